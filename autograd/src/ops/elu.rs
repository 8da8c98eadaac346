//! `elu`: the exponential linear unit.
//!
//! ```text
//! forward:   y = x              if x > 0
//!              = α · (eˣ − 1)   otherwise
//! backward:  dy/dx = 1          if x > 0
//!                  = α · eˣ = y + α   otherwise      (since y = αeˣ − α)
//!            ∂L/∂x = g · ([x > 0] + [x ≤ 0] · (y + α))
//! ```
//! Saves the input `x` (for the side of the kink: with α ≤ 0 the sign of `y` does not
//! tell it) and the output `y`, so backward reuses `αeˣ = y + α` instead of computing
//! a second exponential. At the kink x = 0 the gradient is `y + α = α`, as in PyTorch.
//! The mask `[x > 0]` is relu's derivative, [`relu_grad`].
//! Read next: [`crate::ops::softplus`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::ops::relu::relu_grad;
use crate::var::Var;

/// The `elu` op; holds its input, its output and α.
pub struct Elu {
    x: Tensor,
    y: Tensor,
    alpha: f64,
}

impl Elu {
    /// `y = x if x > 0 else α(eˣ − 1)`.
    pub fn forward(x: &Tensor, alpha: f64) -> (Tensor, Elu) {
        let y = x.elu(alpha);
        let saved = Elu {
            x: x.clone(),
            y: y.clone(),
            alpha,
        };
        (y, saved)
    }
}

impl Function for Elu {
    fn name(&self) -> &'static str {
        "elu"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let positive = self.x.map(relu_grad); // [x > 0]
        let negative_slope = self.y.add_scalar(self.alpha); // y + α = αeˣ
        let dy_dx = &positive + &(&positive.rsub_scalar(1.0) * &negative_slope);
        vec![Some(grad_out * &dy_dx)]
    }
}

impl Var {
    /// `x if x > 0 else α(eˣ − 1)` elementwise (PyTorch's `elu`, whose default α is 1).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![0.0, 2.0], &[2]));
    /// let y = x.elu(1.0);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![0.0, 2.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0]); // αe⁰ = 1, and 1
    /// ```
    pub fn elu(&self, alpha: f64) -> Var {
        record(Elu::forward(&self.value(), alpha), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_one_or_alpha_exp_x() {
        let x = Var::param(Tensor::from_vec_f64(vec![-1.0, 0.0, 3.0], &[3]));
        let y = x.elu(2.0);
        let e = (-1.0f64).exp();
        let y_vals = y.value().to_vec::<f64>();
        assert!((y_vals[0] - 2.0 * (e - 1.0)).abs() < 1e-15);
        assert_eq!(y_vals[1..], [0.0, 3.0]);
        y.sum().backward();
        // dy/dx = αeˣ for x ≤ 0 (2e⁻¹ at −1, α = 2 at the kink), 1 for x > 0
        let grad = x.grad().unwrap().to_vec::<f64>();
        assert!((grad[0] - 2.0 * e).abs() < 1e-15, "{grad:?}");
        assert_eq!(grad[1..], [2.0, 1.0]);
    }

    /// `elu'(x) = 1 if x > 0 else α·eˣ`, from the input (the op uses `y + α`).
    fn elu_grad(x: f64, alpha: f64) -> f64 {
        if x > 0.0 { 1.0 } else { alpha * x.exp() }
    }

    #[test]
    fn derivative_from_the_input_matches_central_differences() {
        let f = |x| tensor::unary::kernels::elu(x, 1.3);
        crate::ops::assert_derivative("elu", f, |x| elu_grad(x, 1.3));
        assert_eq!(elu_grad(0.0, 2.0), 2.0); // α at the kink, as PyTorch
    }

    #[test]
    fn matches_the_derivative_from_the_input() {
        // y + α (from the saved output) equals elu_grad(x, α) = αeˣ.
        let xs = vec![-3.0f64, -0.5, 0.25, 4.0];
        let x = Var::param(Tensor::from_vec_f64(xs.clone(), &[4]));
        x.elu(0.7).sum().backward();
        for (g, x) in x.grad().unwrap().to_vec::<f64>().iter().zip(xs) {
            assert!((g - elu_grad(x, 0.7)).abs() < 1e-15, "{g} at {x}");
        }
    }

    #[test]
    fn gradcheck_passes_away_from_the_kink() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).elu(1.5), &[x]).assert_passed();
    }
}
