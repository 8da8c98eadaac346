//! `gelu`: the Gaussian error linear unit, exact (erf) or tanh-approximated.
//!
//! ```text
//! exact (approximate = false), PyTorch's default:
//!   forward:   y = x · Φ(x) = ½ · x · (1 + erf(x/√2))       Φ: standard normal CDF
//!   backward:  dy/dx = Φ(x) + x · φ(x)                     φ(x) = e^(−x²/2)/√(2π)
//!
//! tanh approximation (approximate = true), PyTorch's approximate="tanh", GPT-2's:
//!   forward:   y = ½ · x · (1 + t),   t = tanh(u),   u = √(2/π) · (x + 0.044715 · x³)
//!   backward:  dy/dx = ½(1 + t) + ½ · x · (1 − t²) · √(2/π) · (1 + 3 · 0.044715 · x²)
//!
//! both:        ∂L/∂x = g · dy/dx
//! ```
//! One struct for both forms: they differ only in the kernel pair, chosen by the
//! `approximate` flag. Saves the input `x`: each derivative is a function of `x`
//! alone, computed by [`gelu_grad`] / [`gelu_tanh_grad`] (the exact one on the
//! vectorised normal CDF and density of the forward: f64 through `erfc`, f32 on vector
//! code, see `tensor::unary::vector_normal`). A primitive rather than a
//! composite because the exact form needs `erf`, which has no `Var` op.
//! Read next: [`crate::ops::clamp`].

use tensor::unary::kernels::{GELU_TANH_CUBIC, SQRT_2_OVER_PI, gelu_tanh_2u, sigmoid};
use tensor::unary::vectorised::Vectorised;
use tensor::{Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `gelu` op; holds its input and which form was used.
pub struct Gelu {
    x: Tensor,
    /// `true` for the tanh approximation, `false` for the exact erf form.
    approximate: bool,
}

impl Gelu {
    /// `y = x·Φ(x)`, or its tanh approximation when `approximate` is true.
    pub fn forward(x: &Tensor, approximate: bool) -> (Tensor, Gelu) {
        let y = if approximate { x.gelu_tanh() } else { x.gelu() };
        let saved = Gelu {
            x: x.clone(),
            approximate,
        };
        (y, saved)
    }
}

impl Function for Gelu {
    fn name(&self) -> &'static str {
        if self.approximate {
            "gelu_tanh"
        } else {
            "gelu"
        }
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let dy_dx = if self.approximate {
            self.x.map(gelu_tanh_grad)
        } else {
            self.x.map_vectorised("gelu backward", gelu_grad, gelu_grad)
        };
        vec![Some(grad_out * &dy_dx)]
    }
}

/// `dy_dx[i] = gelu'(x[i]) = Φ(x[i]) + x[i]·φ(x[i])` over a slice, vectorised.
fn gelu_grad<T: Vectorised>(x: &[T], dy_dx: &mut [T]) {
    T::vectorised(
        #[inline(always)]
        || {
            for (d, &x) in dy_dx.iter_mut().zip(x) {
                let (cdf, pdf) = x.normal_fast();
                *d = cdf + x * pdf;
            }
        },
    );
}

/// The derivative of the tanh approximation, from its σ form `y = x·σ(2u)` (the
/// form the forward computes) with `s = σ(2u)`:
///
/// ```text
/// gelu_tanh'(x) = s + x·σ'(2u)·2u' = s + 2·x·s(1 − s)·√(2/π)·(1 + 3·0.044715·x²)
/// ```
/// (equal to `½(1 + t) + ½·x·(1 − t²)·u'` with `t = tanh u`, since 1 − t² = 4s(1 − s)).
fn gelu_tanh_grad<T: Float>(x: T) -> T {
    let s = sigmoid(gelu_tanh_2u(x));
    let slope = s * (T::one() - s);
    // Far out, s(1 − s) = 0 while x³ may overflow: 0·∞ would be NaN, the limit is 0.
    let tail = if slope == T::zero() {
        T::zero()
    } else {
        let du = T::of(SQRT_2_OVER_PI) * (T::one() + T::of(3.0 * GELU_TANH_CUBIC) * x * x);
        T::of(2.0) * x * slope * du
    };
    s + tail
}

impl Var {
    /// Exact GELU `x·Φ(x) = ½·x·(1 + erf(x/√2))` elementwise, as PyTorch's
    /// `gelu(approximate="none")` (BERT's activation).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
    /// let y = x.gelu();
    /// assert_eq!(y.value().to_vec::<f32>(), vec![0.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5]); // Φ(0) + 0·φ(0)
    /// ```
    pub fn gelu(&self) -> Var {
        record(Gelu::forward(&self.value(), false), &[self])
    }

    /// GELU's tanh approximation `½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`
    /// elementwise, as PyTorch's `gelu(approximate="tanh")` (GPT-2's activation).
    /// Within 1e-3 of [`Var::gelu`].
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    pub fn gelu_tanh(&self) -> Var {
        record(Gelu::forward(&self.value(), true), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    /// Φ(1) = 0.8413447460685429 and φ(1) = 0.24197072451914337 (scipy.stats.norm).
    const CDF_1: f64 = 0.841_344_746_068_542_9;
    const PDF_1: f64 = 0.241_970_724_519_143_37;

    #[test]
    fn exact_gradient_on_known_values() {
        let x = Var::param(Tensor::from_vec_f64(vec![0.0, 1.0, -1.0], &[3]));
        x.gelu().sum().backward();
        let grad = x.grad().unwrap().to_vec::<f64>();
        // gelu'(0) = Φ(0) = ½; gelu'(1) = Φ(1) + φ(1);
        // gelu'(−1) = Φ(−1) − φ(−1) = 1 − Φ(1) − φ(1) (Φ(−x) = 1 − Φ(x), φ even)
        assert_eq!(grad[0], 0.5);
        assert!((grad[1] - (CDF_1 + PDF_1)).abs() < 1e-14, "{grad:?}");
        let want = 1.0 - CDF_1 - PDF_1;
        assert!((grad[2] - want).abs() < 1e-14, "{grad:?}");
    }

    #[test]
    fn tanh_form_gradient_is_close_to_the_exact_one() {
        let xs = vec![-2.0f64, -0.5, 0.0, 0.7, 3.0];
        let exact = Var::param(Tensor::from_vec_f64(xs.clone(), &[5]));
        let approx = Var::param(Tensor::from_vec_f64(xs, &[5]));
        exact.gelu().sum().backward();
        let y = approx.gelu_tanh();
        assert_eq!(y.op_name(), "gelu_tanh");
        y.sum().backward();
        let (ge, ga) = (exact.grad().unwrap(), approx.grad().unwrap());
        // at 0 both are exactly ½ (t = 0, x = 0)
        assert_eq!(ga.to_vec::<f64>()[2], 0.5);
        for (e, a) in ge.to_vec::<f64>().iter().zip(ga.to_vec::<f64>()) {
            assert!((e - a).abs() < 2e-3, "exact {e} vs tanh form {a}");
        }
    }

    #[test]
    fn f32_gradient_at_zero() {
        let x = Var::param(Tensor::from_vec(vec![0.0, 0.0], &[2]));
        x.gelu_tanh().sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5, 0.5]);
    }

    #[test]
    fn gradcheck_passes_for_both_forms() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).gelu(), std::slice::from_ref(&x)).assert_passed();
        gradcheck(|v| v[0].permute(&[1, 0]).gelu_tanh(), &[x]).assert_passed();
    }

    #[test]
    fn derivative_kernels_match_central_differences() {
        use tensor::unary::kernels::{gelu, gelu_tanh};
        let gelu_grad_at = |x: f64| {
            let mut d = [0.0];
            gelu_grad(&[x], &mut d);
            d[0]
        };
        crate::ops::assert_derivative("gelu", gelu, gelu_grad_at);
        crate::ops::assert_derivative("gelu_tanh", gelu_tanh, gelu_tanh_grad);
    }

    #[test]
    fn f32_derivative_on_vector_code_agrees_with_the_f64_one() {
        let xs: Vec<f32> = (-480..=480).map(|i| i as f32 * 0.025).collect();
        let wide: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
        let (mut d32, mut d64) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
        gelu_grad(&xs, &mut d32);
        gelu_grad(&wide, &mut d64);
        for ((x, a), b) in xs.iter().zip(d32).zip(d64) {
            assert!(
                (a as f64 - b).abs() < 5e-7,
                "gelu'({x}): f32 {a} vs f64 {b}"
            );
        }
    }

    #[test]
    fn tanh_form_derivative_stays_finite_far_out() {
        // ±1e30 stays finite in f32; its cube overflows to ±inf
        for x in [-1e30_f32, 1e30] {
            assert!(gelu_tanh_grad(x).is_finite(), "non-finite at x = {x}");
        }
        assert_eq!(gelu_tanh_grad(1e30_f32), 1.0);
    }
}
