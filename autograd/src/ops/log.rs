//! `log`: elementwise natural logarithm.
//!
//! ```text
//! forward:   y = ln x
//! backward:  ∂L/∂x = g · d(ln x)/dx = g / x
//! ```
//! Saves the input `x`: the derivative `1/x` needs it (recovering it as `eʸ` would
//! cost an exponential and lose digits). At `x = 0` the gradient is ±∞ and below 0
//! the output is NaN, as in PyTorch; add a small ε (`(x + 1e-12).log()`) or use a
//! stable fused op (`log_softmax`) when the input can reach 0.
//! Read next: [`crate::ops::sqrt`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `log` op; holds its input.
pub struct Log {
    x: Tensor,
}

impl Log {
    /// `y = ln x`.
    pub fn forward(x: &Tensor) -> (Tensor, Log) {
        (x.log(), Log { x: x.clone() })
    }
}

impl Function for Log {
    fn name(&self) -> &'static str {
        "log"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out / &self.x)]
    }
}

impl Var {
    /// The natural logarithm `ln x` elementwise (PyTorch's `log`).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 4.0], &[2]));
    /// let y = x.log();
    /// assert_eq!(y.value().to_vec::<f32>()[0], 0.0);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.25]); // 1/x
    /// ```
    pub fn log(&self) -> Var {
        record(Log::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_one_over_x() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.0, 2.0, 0.5], &[3]));
        let y = x.log();
        assert_eq!(y.value().to_vec::<f64>(), vec![0.0, 2f64.ln(), 0.5f64.ln()]);
        y.sum().backward();
        // d ln x / dx = 1/x
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![1.0, 0.5, 2.0]);
    }

    #[test]
    fn gradient_at_zero_is_infinite_like_pytorch() {
        let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
        x.log().sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![f32::INFINITY]);
    }

    #[test]
    fn gradcheck_passes_on_a_permuted_input() {
        let x = Tensor::from_vec(vec![0.3, 0.7, 1.1, 2.0, 1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).log(), &[x]).assert_passed();
    }
}
