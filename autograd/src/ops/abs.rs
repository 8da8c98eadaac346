//! `abs`: elementwise absolute value.
//!
//! ```text
//! forward:   y = |x|
//! backward:  ∂L/∂x = g · ∂|x|/∂x = g · sign(x)      sign(x) ∈ {−1, 0, 1}
//! ```
//! `|x|` has a kink at 0 with no derivative; like PyTorch we use `sign(0) = 0` there
//! (a valid subgradient, and the one that leaves an exactly-zero input alone).
//! Saves the input `x`, because the sign cannot be recovered from `|x|`.
//! Read next: [`crate::ops::relu`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `abs` op; holds its input for the sign.
pub struct Abs {
    x: Tensor,
}

impl Abs {
    /// `y = |x|`.
    pub fn forward(x: &Tensor) -> (Tensor, Abs) {
        (x.abs(), Abs { x: x.clone() })
    }
}

impl Function for Abs {
    fn name(&self) -> &'static str {
        "abs"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out * &self.x.sign())]
    }
}

impl Var {
    /// `|x|` elementwise. The gradient is `sign(x)`, taken as 0 at `x = 0` (PyTorch's rule).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![-2.0, 0.0, 3.0], &[3]));
    /// x.abs().sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![-1.0, 0.0, 1.0]);
    /// ```
    pub fn abs(&self) -> Var {
        record(Abs::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_the_sign_and_zero_at_zero() {
        let x = Var::param(Tensor::from_vec_f64(vec![-1.5, 0.0, 2.0], &[3]));
        let y = x.abs();
        assert_eq!(y.value().to_vec::<f64>(), vec![1.5, 0.0, 2.0]);
        y.backward_with(&Tensor::from_vec_f64(vec![10.0, 10.0, 10.0], &[3]));
        // d|x|/dx = sign(x): −1, 0 (PyTorch's choice at the kink), +1
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![-10.0, 0.0, 10.0]);
    }

    #[test]
    fn gradcheck_passes_away_from_the_kink() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).abs(), &[x]).assert_passed();
    }
}
