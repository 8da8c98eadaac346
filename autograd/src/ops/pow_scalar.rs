//! `pow_scalar`: each element raised to a fixed real power, `Var::pow(p)`.
//!
//! ```text
//! forward:   y = xᵖ
//! backward:  ∂L/∂x = g · d(xᵖ)/dx = g · p · xᵖ⁻¹
//!            p = 0:  y = 1 is constant, so ∂L/∂x = 0
//! ```
//! Saves the input `x` and the exponent `p`. The case `p = 0` is written out, as in
//! PyTorch: `0 · x⁻¹` would be NaN at `x = 0` instead of 0. For `0 < p < 1` the
//! gradient at `x = 0` is +∞ (as for `sqrt`), and for non-integer `p` negative `x`
//! gives NaN, as in PyTorch. `1 / x` (`1.0 / &x`) is `pow(−1)`.
//! Read next: [`crate::ops::tanh`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `pow_scalar` op; holds the base and the exponent.
pub struct PowScalar {
    x: Tensor,
    p: f64,
}

impl PowScalar {
    /// `y = xᵖ`.
    pub fn forward(x: &Tensor, p: f64) -> (Tensor, PowScalar) {
        (x.pow(p), PowScalar { x: x.clone(), p })
    }
}

impl Function for PowScalar {
    fn name(&self) -> &'static str {
        "pow_scalar"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        if self.p == 0.0 {
            return vec![Some(Tensor::zeros_like(grad_out))];
        }
        let dy_dx = self.x.pow(self.p - 1.0).mul_scalar(self.p);
        vec![Some(grad_out * &dy_dx)]
    }
}

impl Var {
    /// `xᵖ` elementwise for a real exponent `p` (PyTorch's `pow` with a scalar
    /// exponent): `x.pow(2.0)` squares, `x.pow(0.5)` is a square root, `x.pow(-1.0)`
    /// a reciprocal.
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![3.0], &[1]));
    /// x.pow(2.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![6.0]); // 2x
    /// ```
    pub fn pow(&self, p: f64) -> Var {
        record(PowScalar::forward(&self.value(), p), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn power_rule_on_known_values() {
        let x = Var::param(Tensor::from_vec_f64(vec![2.0, -1.0, 0.5], &[3]));
        let y = x.pow(3.0);
        assert_eq!(y.value().to_vec::<f64>(), vec![8.0, -1.0, 0.125]);
        y.sum().backward();
        // d x³/dx = 3x² = [12, 3, 0.75]
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![12.0, 3.0, 0.75]);
    }

    #[test]
    fn reciprocal_and_f32() {
        let x = Var::param(Tensor::from_vec(vec![2.0, -4.0], &[2]));
        x.pow(-1.0).sum().backward();
        // d x⁻¹/dx = −x⁻² = [−1/4, −1/16]
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![-0.25, -0.0625]);
    }

    #[test]
    fn exponent_zero_has_zero_gradient_even_at_zero() {
        let x = Var::param(Tensor::from_vec(vec![0.0, 5.0], &[2]));
        let y = x.pow(0.0);
        assert_eq!(y.value().to_vec::<f32>(), vec![1.0, 1.0]);
        y.sum().backward();
        // x⁰ = 1 is constant; 0·x⁻¹ would give NaN at 0
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0]);
    }

    #[test]
    fn gradcheck_passes_for_several_exponents() {
        let x = Tensor::from_vec(vec![0.3, 0.7, 1.1, 2.0, 1.5, 0.2], &[2, 3]);
        for p in [2.0, 3.0, 0.5, -1.5, 1.0] {
            gradcheck(|v| v[0].permute(&[1, 0]).pow(p), std::slice::from_ref(&x)).assert_passed();
        }
    }
}
