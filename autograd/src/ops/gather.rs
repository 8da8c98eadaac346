//! `gather`: pick one element per output position along a dim (PyTorch's `gather`).
//!
//! ```text
//! forward (dim = 1, 2-D):  y[i, j] = x[i, index[i, j]]          y has index's shape
//! backward:                ∂L/∂x[i, r] = Σ_{j : index[i, j] = r} g[i, j]
//!                          = zeros(shape of x).scatter_add(dim, index, g)
//! ```
//! `scatter_add` is the adjoint of `gather`: it sends each g back to the element it
//! came from, adding where an element was picked several times. The usual use is
//! picking each row's target log-probability in a loss. Saves the index and the
//! input's shape and dtype.
//! Read next: [`crate::ops::scatter_add`], the op going the other way.

use tensor::error::OrRaise;
use tensor::shape::normalize_dim;
use tensor::{DType, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `gather` op; holds the index and the input's shape.
pub struct Gather {
    dim: isize,
    index: Tensor,
    input_shape: Vec<usize>,
    dtype: DType,
}

impl Gather {
    /// `y = x` gathered along `dim` at `index` (checked by the tensor op).
    #[track_caller]
    pub fn forward(x: &Tensor, dim: isize, index: &Tensor) -> (Tensor, Gather) {
        let y = x.try_gather(dim, index).or_raise();
        let saved = Gather {
            dim,
            index: index.clone(),
            input_shape: x.shape().to_vec(),
            dtype: x.dtype(),
        };
        (y, saved)
    }
}

impl Function for Gather {
    fn name(&self) -> &'static str {
        "gather"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let mut grad = Tensor::full_dtype(&self.input_shape, 0.0, self.dtype);
        grad.scatter_add_(self.dim, &self.index, grad_out); // in place: no copy of the zeros
        vec![Some(grad)]
    }
}

impl Var {
    /// Elements of `self` picked along `dim` by `index`, as `torch.gather`:
    /// for 2-D and `dim = 1`, `out[i, j] = self[i, index[i, j]]`.
    ///
    /// # Shapes
    /// `index` has as many dims as `self`, and `index.size(d) ≤ self.size(d)` for every
    /// `d ≠ dim`; the output has `index`'s shape.
    ///
    /// # Panics
    /// If `dim` is out of range, the shapes do not fit, or an index is not an integer
    /// in `0..self.size(dim)`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let logp = Var::param(Tensor::from_vec(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]));
    /// let target = Tensor::from_vec_i64(vec![2, 0], &[2, 1]);
    /// let picked = logp.gather(1, &target); // [[0.3], [0.4]]
    /// assert_eq!(picked.value().to_vec::<f32>(), vec![0.3, 0.4]);
    /// picked.sum().backward();
    /// assert_eq!(logp.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &Tensor) -> Var {
        normalize_dim("gather", dim, &self.shape()).or_raise();
        record(Gather::forward(&self.value(), dim, index), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn repeated_picks_accumulate() {
        let x = Var::param(Tensor::from_vec_f64(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        // row 0 picks column 1 twice; row 1 picks columns 2 and 0
        let index = Tensor::from_vec_i64(vec![1, 1, 2, 0], &[2, 2]);
        let y = x.gather(-1, &index);
        assert_eq!(y.value().to_vec::<f64>(), vec![2.0, 2.0, 6.0, 4.0]);
        y.backward_with(&Tensor::from_vec_f64(
            vec![1.0, 10.0, 100.0, 1000.0],
            &[2, 2],
        ));
        // x[0, 1] gets 1 + 10; x[1, 2] gets 100; x[1, 0] gets 1000
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![0.0, 11.0, 0.0, 1000.0, 0.0, 100.0]
        );
    }

    #[test]
    fn gradcheck_along_each_dim_and_on_a_transposed_input() {
        let x = Tensor::randn(&[3, 4]).to_dtype(DType::F64);
        let rows = Tensor::from_vec_i64(vec![0, 3, 3, 1, 2, 0], &[3, 2]);
        gradcheck(|v| v[0].gather(1, &rows), std::slice::from_ref(&x)).assert_passed();
        let cols = Tensor::from_vec_i64(vec![2, 0, 1, 1], &[1, 4]);
        gradcheck(|v| v[0].gather(0, &cols), std::slice::from_ref(&x)).assert_passed();
        // non-contiguous: x.t() is a [4, 3] view
        gradcheck(|v| v[0].gather(0, &rows), &[x.t()]).assert_passed();
    }

    #[test]
    fn float32_and_a_single_element() {
        let x = Var::param(Tensor::from_vec(vec![7.0], &[1]));
        let y = x.gather(0, &Tensor::from_vec_i64(vec![0, 0], &[2]));
        assert_eq!(y.value().to_vec::<f32>(), vec![7.0, 7.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![2.0]); // picked twice
    }

    #[test]
    #[should_panic(expected = "gather")]
    fn an_index_out_of_range_is_reported() {
        Var::param(Tensor::zeros(&[2, 3])).gather(1, &Tensor::from_vec_i64(vec![3, 0], &[2, 1]));
    }

    #[test]
    #[should_panic(expected = "gather: dim -3 is out of range for shape [2, 3]")]
    fn a_bad_dim_is_reported() {
        Var::param(Tensor::zeros(&[2, 3])).gather(-3, &Tensor::zeros(&[2, 1]));
    }
}
