//! `exp`: elementwise exponential.
//!
//! ```text
//! forward:   y = eˣ
//! backward:  ∂L/∂x = g · ∂y/∂x = g · eˣ = g · y
//! ```
//! Saves the output `y`, because the derivative of `eˣ` is `eˣ` itself: no second
//! exponential is computed in backward.

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `exp` op; holds its output for the backward pass.
pub struct Exp {
    y: Tensor,
}

impl Exp {
    /// `y = eˣ`.
    pub fn forward(x: &Tensor) -> (Tensor, Exp) {
        let y = x.exp();
        (y.clone(), Exp { y })
    }
}

impl Function for Exp {
    fn name(&self) -> &'static str {
        "exp"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out * &self.y)]
    }
}

impl Var {
    /// `eˣ` elementwise.
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
    /// x.exp().sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0]); // d/dx eˣ at 0 = 1
    /// ```
    pub fn exp(&self) -> Var {
        record(Exp::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_is_the_output() {
        let x = Var::param(Tensor::from_vec_f64(vec![0.0, 1.0, -2.0], &[3]));
        x.exp().sum().backward();
        // d/dx Σ eˣ = eˣ
        let expected: Vec<f64> = [0.0f64, 1.0, -2.0].iter().map(|v| v.exp()).collect();
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), expected);
    }
}
