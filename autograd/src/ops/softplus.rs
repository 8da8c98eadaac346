//! `softplus`: a smooth relu, `ln(1 + eˣ)` (β = 1).
//!
//! ```text
//! forward:   y = ln(1 + eˣ)   computed as max(x, 0) + ln(1 + e^(−|x|))  (stable)
//! backward:  dy/dx = eˣ / (1 + eˣ) = σ(x)
//!            ∂L/∂x = g · σ(x)
//! ```
//! Saves the input `x`: the derivative is the sigmoid of the input, evaluated with
//! the tensor crate's overflow-free kernel `kernels::sigmoid`, so
//! a huge `|x|` gives 0 or 1, never NaN. Unlike PyTorch there is no `threshold` switch to
//! the identity: the stable form is already exact there.
//! Read next: [`crate::ops::gelu`].

use tensor::Tensor;
use tensor::unary::kernels::sigmoid;

use crate::function::{Function, record};
use crate::var::Var;

/// The `softplus` op; holds its input.
pub struct Softplus {
    x: Tensor,
}

impl Softplus {
    /// `y = ln(1 + eˣ)`.
    pub fn forward(x: &Tensor) -> (Tensor, Softplus) {
        (x.softplus(), Softplus { x: x.clone() })
    }
}

impl Function for Softplus {
    fn name(&self) -> &'static str {
        "softplus"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out * &self.x.map(sigmoid))]
    }
}

impl Var {
    /// `ln(1 + eˣ)` elementwise (PyTorch's `softplus` with β = 1), stable for any `x`.
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
    /// let y = x.softplus();
    /// assert!((y.item() - 2f64.ln()).abs() < 1e-6);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5]); // σ(0)
    /// ```
    pub fn softplus(&self) -> Var {
        record(Softplus::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_the_sigmoid() {
        let xs = [0.0f64, 1.5, -2.0];
        let x = Var::param(Tensor::from_vec_f64(xs.to_vec(), &[3]));
        x.softplus().sum().backward();
        // d ln(1 + eˣ)/dx = eˣ/(1 + eˣ) = σ(x)
        let grad = x.grad().unwrap().to_vec::<f64>();
        for (g, x) in grad.iter().zip(xs) {
            assert!((g - 1.0 / (1.0 + (-x).exp())).abs() < 1e-15, "{g} at {x}");
        }
    }

    #[test]
    fn large_inputs_stay_finite() {
        let x = Var::param(Tensor::from_vec(vec![-200.0, 200.0], &[2]));
        let y = x.softplus();
        // ln(1 + e²⁰⁰) = 200 + ln(1 + e⁻²⁰⁰) = 200; the naive form gives ln(inf) = inf
        assert_eq!(y.value().to_vec::<f32>(), vec![0.0, 200.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0]);
    }

    #[test]
    fn gradcheck_passes_on_a_permuted_input() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).softplus(), &[x]).assert_passed();
    }

    #[test]
    fn derivative_kernel_matches_central_differences() {
        let f = tensor::unary::kernels::softplus;
        crate::ops::assert_derivative("softplus", f, sigmoid); // softplus' = σ
    }
}
