//! `sqrt`: elementwise square root.
//!
//! ```text
//! forward:   y = √x
//! backward:  ∂L/∂x = g · d√x/dx = g · 1/(2√x) = g / (2y)
//! ```
//! Saves the output `y`: the derivative is written in terms of `√x`, which forward
//! already computed. At `x = 0` the gradient is +∞, as in PyTorch; `std` and norms
//! that can hit 0 add a small ε inside the root.
//! Read next: [`crate::ops::pow_scalar`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `sqrt` op; holds its output.
pub struct Sqrt {
    y: Tensor,
}

impl Sqrt {
    /// `y = √x`.
    pub fn forward(x: &Tensor) -> (Tensor, Sqrt) {
        let y = x.sqrt();
        (y.clone(), Sqrt { y })
    }
}

impl Function for Sqrt {
    fn name(&self) -> &'static str {
        "sqrt"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out / &self.y.mul_scalar(2.0))]
    }
}

impl Var {
    /// `√x` elementwise (NaN below 0).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![4.0, 9.0], &[2]));
    /// x.sqrt().sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.25, 1.0 / 6.0]); // 1/(2√x)
    /// ```
    pub fn sqrt(&self) -> Var {
        record(Sqrt::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_one_over_two_root() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.0, 4.0, 0.25], &[3]));
        let y = x.sqrt();
        assert_eq!(y.value().to_vec::<f64>(), vec![1.0, 2.0, 0.5]);
        y.sum().backward();
        // d√x/dx = 1/(2√x) = [1/2, 1/4, 1]
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.5, 0.25, 1.0]);
    }

    #[test]
    fn gradient_at_zero_is_infinite_like_pytorch() {
        let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
        x.sqrt().sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![f32::INFINITY]);
    }

    #[test]
    fn gradcheck_passes_on_a_permuted_input() {
        let x = Tensor::from_vec(vec![0.3, 0.7, 1.1, 2.0, 1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).sqrt(), &[x]).assert_passed();
    }
}
