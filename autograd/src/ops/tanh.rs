//! `tanh`: elementwise hyperbolic tangent.
//!
//! ```text
//! forward:   y = tanh x = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)
//! backward:  ∂L/∂x = g · d(tanh x)/dx = g · (1 − tanh² x) = g · (1 − y²)
//! ```
//! Saves the output `y`: the derivative is a polynomial in `y`, so backward needs no
//! exponential, and it stays finite for any `x` (`1 − y²` → 0 as |x| → ∞).
//! The derivative kernel is [`tanh_grad`].
//! Read next: [`crate::ops::sigmoid`].

use tensor::{Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `tanh` op; holds its output.
pub struct Tanh {
    y: Tensor,
}

impl Tanh {
    /// `y = tanh x`.
    pub fn forward(x: &Tensor) -> (Tensor, Tanh) {
        let y = x.tanh();
        (y.clone(), Tanh { y })
    }
}

impl Function for Tanh {
    fn name(&self) -> &'static str {
        "tanh"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out * &self.y.map(tanh_grad))]
    }
}

/// `tanh'(x) = 1 − y²`, taking the OUTPUT `y = tanh(x)`.
fn tanh_grad<T: Float>(y: T) -> T {
    T::one() - y * y
}

impl Var {
    /// `tanh x` elementwise, in (−1, 1).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
    /// x.tanh().sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0]); // 1 − tanh²(0)
    /// ```
    pub fn tanh(&self) -> Var {
        record(Tanh::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_one_minus_y_squared() {
        let xs = [0.0f64, 0.5, -2.0];
        let x = Var::param(Tensor::from_vec_f64(xs.to_vec(), &[3]));
        x.tanh().sum().backward();
        // d tanh x/dx = 1 − tanh² x
        let grad = x.grad().unwrap().to_vec::<f64>();
        for (g, x) in grad.iter().zip(xs) {
            assert!((g - (1.0 - x.tanh().powi(2))).abs() < 1e-15, "{g} at {x}");
        }
        assert_eq!(grad[0], 1.0);
    }

    #[test]
    fn saturated_inputs_give_zero_not_nan() {
        let x = Var::param(Tensor::from_vec(vec![-100.0, 100.0], &[2]));
        let y = x.tanh();
        assert_eq!(y.value().to_vec::<f32>(), vec![-1.0, 1.0]);
        y.sum().backward();
        // y = ±1 exactly in f32, so 1 − y² = 0
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0]);
    }

    #[test]
    fn gradcheck_passes_on_a_permuted_input() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).tanh(), &[x]).assert_passed();
    }

    #[test]
    fn derivative_kernel_matches_central_differences() {
        crate::ops::assert_derivative("tanh", f64::tanh, |x| tanh_grad(x.tanh()));
    }
}
