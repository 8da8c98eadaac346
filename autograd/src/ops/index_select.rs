//! `index_select`: pick whole slices of a tensor along one dim, by index.
//!
//! ```text
//! forward:   y[.., i, ..] = x[.., index[i], ..]          index: [N] (repeats allowed)
//! backward:  ∂L/∂x[.., r, ..] = Σ_{i : index[i] = r} g[.., i, ..]
//!            = zeros(shape of x).index_add(dim, index, g)
//! ```
//! A slice picked twice gets both gradients (`index_add` accumulates repeats); a slice
//! never picked gets zero. Saves the index and the input's shape and dtype (not its
//! values: the gradient does not depend on them).
//! Read next: [`crate::ops::gather`], the elementwise version.

use tensor::error::OrRaise;
use tensor::shape::normalize_dim;
use tensor::{DType, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `index_select` op; holds the index and the input's shape.
pub struct IndexSelect {
    dim: isize,
    index: Tensor,
    input_shape: Vec<usize>,
    dtype: DType,
}

impl IndexSelect {
    /// `y = x` indexed by `index` along `dim` (checked by the tensor op).
    #[track_caller]
    pub fn forward(x: &Tensor, dim: isize, index: &Tensor) -> (Tensor, IndexSelect) {
        let y = x.try_index_select(dim, index).or_raise();
        let saved = IndexSelect {
            dim,
            index: index.clone(),
            input_shape: x.shape().to_vec(),
            dtype: x.dtype(),
        };
        (y, saved)
    }
}

impl Function for IndexSelect {
    fn name(&self) -> &'static str {
        "index_select"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let mut grad = Tensor::full_dtype(&self.input_shape, 0.0, self.dtype);
        grad.index_add_(self.dim, &self.index, grad_out); // in place: no copy of the zeros
        vec![Some(grad)]
    }
}

impl Var {
    /// The slices `index[0], index[1], ..` of `self` along `dim`, as `torch.index_select`.
    ///
    /// `index` is a 1-D float tensor holding integer positions (repeats allowed).
    ///
    /// # Shapes
    /// `self: [.., S, ..]` (S at `dim`), `index: [N]` → `[.., N, ..]`.
    ///
    /// # Panics
    /// If `dim` is out of range, `index` is not 1-D, or an index is not an integer in `0..S`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]));
    /// let rows = x.index_select(0, &Tensor::from_vec_i64(vec![2, 0, 2], &[3]));
    /// assert_eq!(rows.value().to_vec::<f32>(), vec![5.0, 6.0, 1.0, 2.0, 5.0, 6.0]);
    /// rows.sum().backward();
    /// // row 2 was picked twice, row 1 never
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 0.0, 0.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, dim: isize, index: &Tensor) -> Var {
        normalize_dim("index_select", dim, &self.shape()).or_raise();
        record(IndexSelect::forward(&self.value(), dim, index), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    fn idx(v: &[i64]) -> Tensor {
        Tensor::from_vec_i64(v.to_vec(), &[v.len()])
    }

    #[test]
    fn repeated_indices_accumulate_along_the_last_dim() {
        let x = Var::param(Tensor::from_vec_f64(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        let y = x.index_select(-1, &idx(&[1, 1, 0]));
        assert_eq!(
            y.value().to_vec::<f64>(),
            vec![2.0, 2.0, 1.0, 5.0, 5.0, 4.0]
        );
        y.backward_with(&Tensor::from_vec_f64(
            vec![1.0, 10.0, 100.0, 1.0, 10.0, 100.0],
            &[2, 3],
        ));
        // column 1 picked at output positions 0 and 1: 1 + 10; column 0 at 2: 100; column 2 never
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![100.0, 11.0, 0.0, 100.0, 11.0, 0.0]
        );
    }

    #[test]
    fn gradcheck_with_repeats_and_a_transposed_input() {
        let x = Tensor::randn(&[4, 3]).to_dtype(DType::F64);
        gradcheck(
            |v| v[0].index_select(0, &idx(&[3, 0, 3, 1])),
            std::slice::from_ref(&x),
        )
        .assert_passed();
        // non-contiguous: x.t() is a [3, 4] view
        gradcheck(|v| v[0].index_select(1, &idx(&[2, 2])), &[x.t()]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "index_select")]
    fn an_index_out_of_range_is_reported() {
        Var::param(Tensor::zeros(&[3, 2])).index_select(0, &idx(&[3]));
    }

    #[test]
    #[should_panic(expected = "index_select: dim 2 is out of range for shape [3, 2]")]
    fn a_bad_dim_is_reported() {
        Var::param(Tensor::zeros(&[3, 2])).index_select(2, &idx(&[0]));
    }
}
