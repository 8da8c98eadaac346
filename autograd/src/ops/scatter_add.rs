//! `scatter_add`: add the elements of `src` into a copy of `self` at positions given
//! by `index` along a dim (PyTorch's `scatter_add`); the adjoint of `gather`.
//!
//! ```text
//! forward (dim = 1, 2-D):  out = base,  then  out[i, index[i, j]] += src[i, j]
//! backward:  ∂L/∂base = g                        (out = base + something)
//!            ∂L/∂src[i, j] = g[i, index[i, j]]   (src[i, j] landed there)
//!                          = g.gather(dim, index)
//! ```
//! `src` may be larger than `index` (only its leading `index`-shaped block is
//! scattered, as in PyTorch); the rest of `src` did not reach the output, so its
//! gradient is zero: the gathered block is padded with zeros to `src`'s shape.
//! Saves the index and `src`'s shape.
//! Read next: [`crate::ops::where_cond`].

use tensor::Tensor;
use tensor::error::OrRaise;
use tensor::shape::normalize_dim;

use crate::function::{Function, record};
use crate::var::Var;

/// The `scatter_add` op; holds the index and the shape of `src`.
pub struct ScatterAdd {
    dim: isize,
    index: Tensor,
    src_shape: Vec<usize>,
}

impl ScatterAdd {
    /// `out = base` with `src` added at `index` along `dim` (checked by the tensor op).
    #[track_caller]
    pub fn forward(
        base: &Tensor,
        dim: isize,
        index: &Tensor,
        src: &Tensor,
    ) -> (Tensor, ScatterAdd) {
        let out = base.scatter_add(dim, index, src);
        let saved = ScatterAdd {
            dim,
            index: index.clone(),
            src_shape: src.shape().to_vec(),
        };
        (out, saved)
    }
}

impl Function for ScatterAdd {
    fn name(&self) -> &'static str {
        "scatter_add"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let grad_src = pad_with_zeros(grad_out.gather(self.dim, &self.index), &self.src_shape);
        vec![Some(grad_out.clone()), Some(grad_src)]
    }
}

/// `t` extended with zeros at the end of each dim up to `shape` (`t` fits inside it).
fn pad_with_zeros(mut t: Tensor, shape: &[usize]) -> Tensor {
    for (d, &want) in shape.iter().enumerate() {
        let have = t.shape()[d];
        if have < want {
            let mut zeros_shape = t.shape().to_vec();
            zeros_shape[d] = want - have;
            let zeros = Tensor::full_dtype(&zeros_shape, 0.0, t.dtype());
            t = Tensor::cat(&[t, zeros], d as isize);
        }
    }
    t
}

impl Var {
    /// A copy of `self` with the elements of `src` added at `index` along `dim`, as
    /// `torch.scatter_add`: for 2-D and `dim = 1`, `out[i, index[i, j]] += src[i, j]`.
    /// Repeated positions accumulate.
    ///
    /// # Shapes
    /// `self: S` → `S`. `index` and `src` have as many dims as `self`;
    /// `index.size(d) ≤ src.size(d)` for every `d`, and `≤ self.size(d)` for `d ≠ dim`.
    ///
    /// # Panics
    /// If `dim` is out of range, the shapes do not fit, the dtypes differ, or an index
    /// is not an integer in `0..self.size(dim)`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let base = Var::param(Tensor::zeros(&[3]));
    /// let src = Var::param(Tensor::from_vec(vec![1.0, 2.0, 4.0], &[3]));
    /// let out = base.scatter_add(0, &Tensor::from_vec_i64(vec![2, 0, 2], &[3]), &src);
    /// assert_eq!(out.value().to_vec::<f32>(), vec![2.0, 0.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Var) -> Var {
        normalize_dim("scatter_add", dim, &self.shape()).or_raise();
        let forward = ScatterAdd::forward(&self.value(), dim, index, &src.value());
        record(forward, &[self, src])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    #[test]
    fn forward_adds_and_backward_gathers() {
        let base = Var::param(Tensor::from_vec_f64(vec![1.0; 6], &[2, 3]));
        let src = Var::param(Tensor::from_vec_f64(vec![10.0, 20.0, 30.0, 40.0], &[2, 2]));
        // row 0: both src elements go to column 2; row 1: to columns 0 and 1
        let index = Tensor::from_vec_i64(vec![2, 2, 0, 1], &[2, 2]);
        let out = base.scatter_add(1, &index, &src);
        assert_eq!(
            out.value().to_vec::<f64>(),
            vec![1.0, 1.0, 31.0, 31.0, 41.0, 1.0]
        );
        let g = Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        out.backward_with(&g);
        // ∂L/∂base = g; ∂L/∂src[i, j] = g[i, index[i, j]]
        assert_eq!(base.grad().unwrap().to_vec::<f64>(), g.to_vec::<f64>());
        assert_eq!(
            src.grad().unwrap().to_vec::<f64>(),
            vec![3.0, 3.0, 4.0, 5.0]
        );
    }

    #[test]
    fn the_unscattered_part_of_a_larger_src_gets_zero() {
        let base = Var::param(Tensor::zeros(&[2, 2]));
        let src = Var::param(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        let index = Tensor::from_vec_i64(vec![1, 0], &[1, 2]); // only src[0, 0..2] is used
        let out = base.scatter_add(0, &index, &src);
        assert_eq!(out.value().to_vec::<f32>(), vec![0.0, 2.0, 1.0, 0.0]);
        out.backward_with(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
        // src[0, 0] landed at out[1, 0] (g = 3), src[0, 1] at out[0, 1] (g = 2)
        assert_eq!(
            src.grad().unwrap().to_vec::<f32>(),
            vec![3.0, 2.0, 0.0, 0.0, 0.0, 0.0]
        );
    }

    #[test]
    fn gradcheck_both_inputs() {
        let index = Tensor::from_vec_i64(vec![0, 2, 2, 1, 0, 0], &[2, 3]);
        let inputs = [Tensor::randn(&[2, 4]), Tensor::randn(&[2, 3])];
        gradcheck(|v| v[0].scatter_add(1, &index, &v[1]), &inputs).assert_passed();
        // a larger src, and a transposed (non-contiguous) base
        let index = Tensor::from_vec_i64(vec![3, 0], &[1, 2]);
        let inputs = [
            Tensor::randn(&[2, 4]).to_dtype(DType::F64).t(),
            Tensor::randn(&[2, 3]),
        ];
        gradcheck(|v| v[0].scatter_add(0, &index, &v[1]), &inputs).assert_passed();
    }

    #[test]
    #[should_panic(expected = "scatter_add: dim 1 is out of range for shape [3]")]
    fn a_bad_dim_is_reported() {
        let src = Var::param(Tensor::zeros(&[3]));
        Var::param(Tensor::zeros(&[3])).scatter_add(1, &Tensor::zeros(&[3]), &src);
    }

    #[test]
    #[should_panic(expected = "scatter_add")]
    fn an_index_out_of_range_is_reported() {
        let src = Var::param(Tensor::zeros(&[1]));
        Var::param(Tensor::zeros(&[3])).scatter_add(0, &Tensor::from_vec_i64(vec![3], &[1]), &src);
    }
}
