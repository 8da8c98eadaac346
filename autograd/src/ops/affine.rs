//! `affine`: `y = a·x + b` with scalar `a` and `b`. Covers `x + 2`, `x - 1`, `3 * x`,
//! `x / 4`, `1 - x` without materialising a tensor full of the scalar.
//!
//! ```text
//! forward:   y = a·x + b
//! backward:  ∂L/∂x = g · a
//! ```
//! Saves only the scalar `a`.

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `affine` op with scalar coefficients.
pub struct Affine {
    a: f64,
}

impl Affine {
    /// `y = a·x + b`.
    pub fn forward(x: &Tensor, a: f64, b: f64) -> (Tensor, Affine) {
        let y = if b == 0.0 {
            x.mul_scalar(a)
        } else if a == 1.0 {
            x.add_scalar(b)
        } else {
            x.mul_scalar(a).add_scalar(b)
        };
        (y, Affine { a })
    }
}

impl Function for Affine {
    fn name(&self) -> &'static str {
        "affine"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out.mul_scalar(self.a))]
    }
}

impl Var {
    /// `a·self + b` for scalars `a`, `b` (what `x * 2.0 + 1.0` records, as one node each).
    pub fn affine(&self, a: f64, b: f64) -> Var {
        record(Affine::forward(&self.value(), a, b), &[self])
    }

    /// `self + s` for a scalar `s`.
    pub fn add_scalar(&self, s: f64) -> Var {
        self.affine(1.0, s)
    }

    /// `self · s` for a scalar `s`.
    pub fn mul_scalar(&self, s: f64) -> Var {
        self.affine(s, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_is_the_slope() {
        let x = Var::param(Tensor::from_vec(vec![1.0, -2.0], &[2]));
        let y = x.affine(3.0, 1.0);
        assert_eq!(y.value().to_vec::<f32>(), vec![4.0, -5.0]);
        y.sum().backward();
        // d(3x + 1)/dx = 3
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
    }
}
