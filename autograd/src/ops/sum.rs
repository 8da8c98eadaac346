//! `sum`: add up elements along some dims (or all of them).
//!
//! ```text
//! forward:   y[..] = Σ_{i ∈ dims} x[.., i, ..]
//! backward:  ∂L/∂x[.., i, ..] = g[..]        (every summed element gets the same g)
//!            = broadcast g back to x's shape (after re-inserting the summed dims)
//! ```
//! Saves the input's shape and which dims were summed.

use tensor::Tensor;
use tensor::error::OrRaise;
use tensor::shape::normalize_dims;

use crate::function::{Function, record};
use crate::var::Var;

/// The `sum` op over a set of dims.
pub struct Sum {
    input_shape: Vec<usize>,
    /// The output's shape with the summed dims kept as size 1.
    kept_shape: Vec<usize>,
}

impl Sum {
    /// `y = Σ x` over `dims` (all dims when `dims` is empty... see `Var::sum`).
    #[track_caller]
    pub fn forward(x: &Tensor, dims: &[isize], keepdim: bool) -> (Tensor, Sum) {
        let input_shape = x.shape().to_vec();
        let dims = normalize_dims("sum", dims, &input_shape).or_raise();
        let kept_shape: Vec<usize> = (0..input_shape.len())
            .map(|d| if dims.contains(&d) { 1 } else { input_shape[d] })
            .collect();
        let dims: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
        let y = x.sum_dims(&dims, keepdim);
        (
            y,
            Sum {
                input_shape,
                kept_shape,
            },
        )
    }
}

impl Function for Sum {
    fn name(&self) -> &'static str {
        "sum"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let g = grad_out.reshape(&self.kept_shape);
        vec![Some(g.broadcast_to(&self.input_shape))]
    }
}

impl Var {
    /// Sum of all elements, a 0-d `Var` (the usual last step before `backward`).
    pub fn sum(&self) -> Var {
        let all: Vec<isize> = (0..self.dims() as isize).collect();
        record(Sum::forward(&self.value(), &all, false), &[self])
    }

    /// Sum along `dim` (negative counts from the end), keeping it as size 1 if `keepdim`.
    ///
    /// # Shapes
    /// `[.., N, ..]` → `[.., ..]` (or `[.., 1, ..]` with `keepdim`).
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// assert_eq!(x.sum_dim(0, false).value().to_vec::<f32>(), vec![4.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Var {
        record(Sum::forward(&self.value(), &[dim], keepdim), &[self])
    }

    /// Sum along several dims at once.
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    #[track_caller]
    pub fn sum_dims(&self, dims: &[isize], keepdim: bool) -> Var {
        record(Sum::forward(&self.value(), dims, keepdim), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_summed_element_gets_the_output_gradient() {
        let x = Var::param(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        let y = x.sum_dim(-1, false); // [6, 15]
        assert_eq!(y.value().to_vec::<f32>(), vec![6.0, 15.0]);
        y.backward_with(&Tensor::from_vec(vec![1.0, 2.0], &[2]));
        // ∂L/∂x[i, j] = g[i]
        assert_eq!(
            x.grad().unwrap().to_vec::<f32>(),
            vec![1., 1., 1., 2., 2., 2.]
        );
    }
}
