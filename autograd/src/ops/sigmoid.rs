//! `sigmoid`: the logistic function, a fused primitive for numerical stability.
//!
//! ```text
//! forward:   y = σ(x) = 1 / (1 + e⁻ˣ)
//! backward:  dσ/dx = e⁻ˣ / (1 + e⁻ˣ)² = σ(x) · (1 − σ(x))
//!            ∂L/∂x = g · y · (1 − y)
//! ```
//! Saves the output `y`. Why a primitive and not the composite `1 / (1 + exp(−x))`:
//! at x = −100 in f32, `exp(100)` overflows to ∞ and the composite's backward
//! multiplies 0 by ∞ = NaN. The tensor crate's forward never overflows (it uses
//! `eˣ/(1 + eˣ)` for x < 0), and `y(1 − y)` is bounded by ¼, so this gradient is always
//! finite. The derivative kernel is [`sigmoid_grad`].
//! Read next: [`crate::ops::softplus`].

use tensor::{Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `sigmoid` op; holds its output.
pub struct Sigmoid {
    y: Tensor,
}

impl Sigmoid {
    /// `y = σ(x)`.
    pub fn forward(x: &Tensor) -> (Tensor, Sigmoid) {
        let y = x.sigmoid();
        (y.clone(), Sigmoid { y })
    }
}

impl Function for Sigmoid {
    fn name(&self) -> &'static str {
        "sigmoid"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out * &self.y.map(sigmoid_grad))]
    }
}

/// `σ'(x) = y(1 − y)`, taking the OUTPUT `y = σ(x)` (what forward saves).
fn sigmoid_grad<T: Float>(y: T) -> T {
    y * (T::one() - y)
}

impl Var {
    /// The logistic sigmoid `σ(x) = 1/(1 + e⁻ˣ)` elementwise, in (0, 1); stable for any
    /// `x`, forward and backward.
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
    /// let y = x.sigmoid();
    /// assert_eq!(y.value().to_vec::<f32>(), vec![0.5]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.25]); // σ(0)(1 − σ(0))
    /// ```
    pub fn sigmoid(&self) -> Var {
        record(Sigmoid::forward(&self.value()), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_y_times_one_minus_y() {
        let xs = [0.0f64, 2.0, -3.0];
        let x = Var::param(Tensor::from_vec_f64(xs.to_vec(), &[3]));
        x.sigmoid().sum().backward();
        // σ'(x) = σ(x)(1 − σ(x)); σ'(0) = ¼
        let grad = x.grad().unwrap().to_vec::<f64>();
        for (g, x) in grad.iter().zip(xs) {
            let s = 1.0 / (1.0 + (-x).exp());
            assert!((g - s * (1.0 - s)).abs() < 1e-15, "{g} at {x}");
        }
        assert_eq!(grad[0], 0.25);
    }

    #[test]
    fn gradient_is_finite_far_out() {
        // The composite 1/(1 + exp(−x)) would compute exp(100) = inf in f32 here.
        let x = Var::param(Tensor::from_vec(vec![-100.0, 100.0], &[2]));
        let y = x.sigmoid();
        y.sum().backward();
        let grad = x.grad().unwrap().to_vec::<f32>();
        assert!(grad.iter().all(|g| g.is_finite() && *g >= 0.0), "{grad:?}");
        // σ(−100) ≈ 3.7e-44 (f32 subnormal), so σ' ≈ 3.7e-44 too; σ(100) = 1 → σ' = 0
        assert!(grad[0] < 1e-40);
        assert_eq!(grad[1], 0.0);
    }

    #[test]
    fn gradcheck_passes_on_a_permuted_input() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).sigmoid(), &[x]).assert_passed();
    }

    #[test]
    fn derivative_kernel_matches_central_differences() {
        use tensor::unary::kernels::sigmoid;
        crate::ops::assert_derivative("sigmoid", sigmoid, |x| sigmoid_grad(sigmoid(x)));
    }
}
