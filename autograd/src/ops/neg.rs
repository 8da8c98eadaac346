//! `neg`: elementwise negation.
//!
//! ```text
//! forward:   y = −x
//! backward:  ∂L/∂x = g · ∂y/∂x = g · (−1) = −g
//! ```
//! Saves nothing: the derivative is the constant −1.
//! Read next: [`crate::ops::abs`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `neg` op; needs nothing for the backward pass.
pub struct Neg;

impl Neg {
    /// `y = −x`.
    pub fn forward(x: &Tensor) -> (Tensor, Neg) {
        (x.neg(), Neg)
    }
}

impl Function for Neg {
    fn name(&self) -> &'static str {
        "neg"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out.neg())]
    }
}

impl Var {
    /// `−self` elementwise (also the unary `-` operator).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![2.0, -3.0], &[2]));
    /// let y = -&x;
    /// assert_eq!(y.value().to_vec::<f32>(), vec![-2.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![-1.0, -1.0]);
    /// ```
    pub fn neg(&self) -> Var {
        record(Neg::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_minus_g() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.5, -2.0, 0.0], &[3]));
        let y = x.neg();
        assert_eq!(y.value().to_vec::<f64>(), vec![-1.5, 2.0, -0.0]);
        y.backward_with(&Tensor::from_vec_f64(vec![1.0, 2.0, 3.0], &[3]));
        // d(−x)/dx = −1
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![-1.0, -2.0, -3.0]);
    }

    #[test]
    fn gradcheck_passes_on_a_permuted_input() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).neg(), &[x]).assert_passed();
    }
}
