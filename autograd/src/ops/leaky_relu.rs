//! `leaky_relu`: relu with a small slope for negative inputs.
//!
//! ```text
//! forward:   y = x          if x > 0
//!              = slope · x  otherwise
//! backward:  ∂L/∂x = g · (1 if x > 0 else slope)
//! ```
//! At the kink x = 0 the gradient is `slope`, as in PyTorch. Saves the input `x` (for
//! the side of the kink) and `slope`; the derivative kernel is [`leaky_relu_grad`].
//! Read next: [`crate::ops::elu`].

use tensor::{Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `leaky_relu` op; holds its input and the negative slope.
pub struct LeakyRelu {
    x: Tensor,
    slope: f64,
}

impl LeakyRelu {
    /// `y = x if x > 0 else slope·x`.
    pub fn forward(x: &Tensor, slope: f64) -> (Tensor, LeakyRelu) {
        (
            x.leaky_relu(slope),
            LeakyRelu {
                x: x.clone(),
                slope,
            },
        )
    }
}

impl Function for LeakyRelu {
    fn name(&self) -> &'static str {
        "leaky_relu"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let slope = self.slope;
        let dy_dx = self.x.map(move |x| leaky_relu_grad(x, slope));
        vec![Some(grad_out * &dy_dx)]
    }
}

/// `leaky_relu'(x) = 1 if x > 0 else slope`.
fn leaky_relu_grad<T: Float>(x: T, slope: T) -> T {
    if x > T::zero() { T::one() } else { slope }
}

impl Var {
    /// `x if x > 0 else slope·x` elementwise (PyTorch's `negative_slope`, default 0.01
    /// in `nn`).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![-2.0, 3.0], &[2]));
    /// let y = x.leaky_relu(0.5);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![-1.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5, 1.0]);
    /// ```
    pub fn leaky_relu(&self, slope: f64) -> Var {
        record(LeakyRelu::forward(&self.value(), slope), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_one_or_slope() {
        let x = Var::param(Tensor::from_vec_f64(vec![-2.0, 0.0, 3.0], &[3]));
        let y = x.leaky_relu(0.25);
        assert_eq!(y.value().to_vec::<f64>(), vec![-0.5, 0.0, 3.0]);
        y.sum().backward();
        // dy/dx = 1 for x > 0, slope for x ≤ 0 (slope at the kink, as PyTorch)
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.25, 0.25, 1.0]);
    }

    #[test]
    fn gradcheck_passes_away_from_the_kink() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).leaky_relu(0.1), &[x]).assert_passed();
    }

    #[test]
    fn derivative_kernel_matches_central_differences() {
        let f = |x| tensor::unary::kernels::leaky_relu(x, 0.1);
        crate::ops::assert_derivative("leaky_relu", f, |x| leaky_relu_grad(x, 0.1));
    }
}
