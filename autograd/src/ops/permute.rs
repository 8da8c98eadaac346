//! `permute`: reorder the dims of a tensor (a view: only the strides change).
//!
//! ```text
//! forward:   y[i₀, .., iₙ₋₁] = x[j]  where j[p[k]] = i[k]     y.shape[k] = x.shape[p[k]]
//! backward:  ∂L/∂x = permute(g, p⁻¹)  where p⁻¹[p[k]] = k
//! ```
//! Permuting moves each element without changing it, so each gradient element moves
//! back the same way: by the inverse permutation. Example: `p = [2, 0, 1]` sends
//! `x: [A, B, C]` to `y: [C, A, B]`; `p⁻¹ = [1, 2, 0]` sends `[C, A, B]` back to `[A, B, C]`.
//! Saves the inverse permutation.
//!
//! Composites built on it: `transpose`, `t` (in [`crate::composite`]).
//! Read next: [`crate::ops::narrow`].

use tensor::Tensor;
use tensor::error::OrRaise;

use crate::function::{Function, record};
use crate::var::Var;

/// The `permute` op; holds the inverse permutation for backward.
pub struct Permute {
    inverse: Vec<isize>,
}

impl Permute {
    /// `y = x` with dims reordered by `dims` (negative dims count from the end).
    #[track_caller]
    pub fn forward(x: &Tensor, dims: &[isize]) -> (Tensor, Permute) {
        let y = x.try_permute(dims).or_raise();
        // `try_permute` accepted `dims`, so they are a permutation of 0..ndim.
        let rank = x.dims() as isize;
        let mut inverse = vec![0isize; dims.len()];
        for (k, &d) in dims.iter().enumerate() {
            let d = if d < 0 { d + rank } else { d };
            inverse[d as usize] = k as isize;
        }
        (y, Permute { inverse })
    }
}

impl Function for Permute {
    fn name(&self) -> &'static str {
        "permute"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out.permute(&self.inverse))]
    }
}

impl Var {
    /// Reorder the dims: output dim `k` is input dim `dims[k]`, as `torch.permute`.
    /// A view; no data is copied.
    ///
    /// # Shapes
    /// `[S₀, .., Sₙ₋₁]` → `[S_dims[0], .., S_dims[n−1]]`.
    ///
    /// # Panics
    /// If `dims` is not a permutation of the dims (wrong length, out of range, repeated).
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::zeros(&[2, 3, 4]));
    /// assert_eq!(x.permute(&[2, 0, 1]).shape(), vec![4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Var {
        record(Permute::forward(&self.value(), dims), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn forward_moves_elements() {
        // x = [[1, 2, 3], [4, 5, 6]];  permute([1, 0]) is the transpose
        let x = Var::new(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]));
        let y = x.permute(&[-1, 0]);
        assert_eq!(y.shape(), vec![3, 2]);
        assert_eq!(y.value().to_vec::<f32>(), vec![1., 4., 2., 5., 3., 6.]);
    }

    #[test]
    fn gradient_moves_back_by_the_inverse() {
        let x = Var::param(Tensor::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]));
        let y = x.permute(&[2, 0, 1]); // [4, 2, 3]
        assert_eq!(y.shape(), vec![4, 2, 3]);
        // L = Σ y ⊙ w with w = permute(x) itself, so ∂L/∂x[j] = w at y-position of j = x[j]
        let w = y.value().contiguous();
        y.backward_with(&w);
        let g = x.grad().unwrap();
        assert_eq!(g.shape(), &[2, 3, 4]);
        assert_eq!(g.to_vec::<f32>(), x.value().to_vec::<f32>());
    }

    #[test]
    fn gradcheck_3d_and_non_contiguous() {
        let x = Tensor::from_vec_f64(
            (0..24).map(|k| (k as f64 * 0.37).sin()).collect(),
            &[2, 3, 4],
        );
        gradcheck(|v| v[0].permute(&[1, 2, 0]).exp(), std::slice::from_ref(&x)).assert_passed();
        // permuting an already permuted view
        gradcheck(|v| v[0].permute(&[2, 0, 1]).permute(&[0, 2, 1]), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "permute")]
    fn repeated_dim_panics() {
        Var::new(Tensor::zeros(&[2, 3])).permute(&[0, 0]);
    }
}
