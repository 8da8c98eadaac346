//! `relu`: the rectified linear unit.
//!
//! ```text
//! forward:   y = max(x, 0)
//! backward:  ∂L/∂x = g · [x > 0]        (1 where x > 0, else 0)
//! ```
//! relu has a kink at 0 with no derivative; like PyTorch we use 0 there, so an input
//! that is exactly 0 gets no gradient. Saves the input `x` for the mask
//! ([`relu_grad`], also elu's mask).
//! Read next: [`crate::ops::leaky_relu`].

use tensor::{Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `relu` op; holds its input.
pub struct Relu {
    x: Tensor,
}

impl Relu {
    /// `y = max(x, 0)`.
    pub fn forward(x: &Tensor) -> (Tensor, Relu) {
        (x.relu(), Relu { x: x.clone() })
    }
}

impl Function for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out * &self.x.map(relu_grad))]
    }
}

/// `relu'(x) = 1 if x > 0 else 0` (0 at the kink x = 0, as PyTorch).
pub(crate) fn relu_grad<T: Float>(x: T) -> T {
    if x > T::zero() { T::one() } else { T::zero() }
}

impl Var {
    /// `max(x, 0)` elementwise. The gradient is 1 where `x > 0` and 0 elsewhere,
    /// including at `x = 0` (PyTorch's rule).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![-1.0, 0.0, 2.0], &[3]));
    /// let y = x.relu();
    /// assert_eq!(y.value().to_vec::<f32>(), vec![0.0, 0.0, 2.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0, 1.0]);
    /// ```
    pub fn relu(&self) -> Var {
        record(Relu::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_passes_only_where_positive() {
        let x = Var::param(Tensor::from_vec_f64(vec![-2.0, 0.0, 0.5, 3.0], &[4]));
        x.relu()
            .backward_with(&Tensor::from_vec_f64(vec![5.0, 5.0, 5.0, 5.0], &[4]));
        // d relu/dx = [x > 0]; 0 at the kink x = 0
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.0, 0.0, 5.0, 5.0]);
    }

    #[test]
    fn gradcheck_passes_away_from_the_kink() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).relu(), &[x]).assert_passed();
    }

    #[test]
    fn derivative_kernel_matches_central_differences() {
        crate::ops::assert_derivative("relu", tensor::unary::kernels::relu, relu_grad);
        assert_eq!(relu_grad(0.0), 0.0); // at the kink, as PyTorch
    }
}
