//! `sort` and `topk` on a `Var`: the order is found on the tensor, then the values are
//! a `gather` of the input at the positions found, so the gradient needs no code of its
//! own.
//!
//! ```text
//! (values, indices) = sort or topk of x along dim      indices: plain tensor, no gradient
//! values            = x.gather(dim, indices)           the same numbers, now in the graph
//! ∂L/∂x             = zeros like x, scatter_add(dim, indices, g)    (gather's backward)
//! ```
//! Each output value *is* one input element, so its gradient goes back to where that
//! element came from, and elements left out by `topk` get zero — like `max_dim`'s
//! switch, k times over. The order itself is piecewise constant in x (it changes only
//! where two values cross), so it has no gradient. Ties and NaN follow
//! [`ferrograd::tensor::sort`]. Read next: [`crate::ops::gather`].

use tensor::Tensor;

use crate::var::Var;

impl Var {
    /// The elements along `dim` in order, and their positions, as `torch.sort`
    /// (stable: equal values keep their order). The gradient flows to the element each
    /// value came from.
    ///
    /// # Shapes
    /// Values (a `Var`) and indices (a plain tensor of whole numbers) have the input's
    /// shape.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![3.0, 1.0, 2.0], &[3]));
    /// let (values, indices) = x.sort(0, false);
    /// assert_eq!(values.value().to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
    /// assert_eq!(indices.to_vec::<f32>(), vec![1.0, 2.0, 0.0]);
    /// values.backward_with(&Tensor::from_vec(vec![10.0, 20.0, 30.0], &[3]));
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![30.0, 10.0, 20.0]);
    /// ```
    #[track_caller]
    pub fn sort(&self, dim: isize, descending: bool) -> (Var, Tensor) {
        let (_, indices) = self.value().sort(dim, descending);
        (self.gather(dim, &indices), indices)
    }

    /// The `k` largest (or smallest) elements along `dim` and their positions, as
    /// `torch.topk` (best first if `sorted`, else by position; of equal values the
    /// lower position first). The gradient flows to the `k` chosen elements only.
    ///
    /// # Shapes
    /// `[.., N, ..]` → values (a `Var`) and indices (a plain tensor) `[.., k, ..]`.
    ///
    /// # Panics
    /// If `dim` is out of range or `k` is larger than its size.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![0.5, 3.0, -1.0, 2.0], &[4]));
    /// let (values, indices) = x.topk(2, -1, true, true);
    /// assert_eq!(values.value().to_vec::<f32>(), vec![3.0, 2.0]);
    /// assert_eq!(indices.to_vec::<f32>(), vec![1.0, 3.0]);
    /// values.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn topk(&self, k: usize, dim: isize, largest: bool, sorted: bool) -> (Var, Tensor) {
        let (_, indices) = self.value().topk(k, dim, largest, sorted);
        (self.gather(dim, &indices), indices)
    }
}

#[cfg(test)]
mod tests {
    use tensor::DType;

    use super::*;
    use crate::gradcheck::gradcheck;

    fn distinct(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        let data = (0..n).map(|k| ((k * 7) % n) as f64 * 0.3 - 1.0).collect();
        Tensor::from_vec_f64(data, shape)
    }

    #[test]
    fn values_equal_the_tensor_ops() {
        let x = distinct(&[3, 5]);
        let (v, i) = Var::new(x.clone()).topk(3, 1, false, true);
        let (tv, ti) = x.topk(3, 1, false, true);
        assert_eq!(v.value().to_vec::<f64>(), tv.to_vec::<f64>());
        assert_eq!(i.to_vec::<f32>(), ti.to_vec::<f32>());
        let (v, _) = Var::new(x.clone()).sort(0, true);
        assert_eq!(v.value().to_vec::<f64>(), x.sort(0, true).0.to_vec::<f64>());
    }

    #[test]
    fn elements_left_out_by_topk_get_no_gradient() {
        let x = Var::param(Tensor::from_vec_f64(vec![1., 9., 5., 7.], &[1, 4]));
        let (v, _) = x.topk(2, 1, true, false); // 9 and 7, by position
        v.backward_with(&Tensor::from_vec_f64(vec![2., 3.], &[1, 2]));
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0., 2., 0., 3.]);
    }

    #[test]
    fn gradcheck_sort_and_topk_incl_a_transposed_input() {
        let x = distinct(&[4, 5]).to_dtype(DType::F64);
        gradcheck(|v| v[0].sort(-1, true).0, std::slice::from_ref(&x)).assert_passed();
        gradcheck(|v| v[0].topk(2, 0, true, true).0, std::slice::from_ref(&x)).assert_passed();
        gradcheck(|v| v[0].t().topk(3, 1, false, false).0, &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "topk: k = 6 is larger than dim 1 of shape [4, 5]")]
    fn a_large_k_is_reported() {
        Var::param(distinct(&[4, 5])).topk(6, 1, true, true);
    }
}
