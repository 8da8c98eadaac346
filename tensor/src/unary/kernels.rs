//! Scalar kernels of the activation functions, written once, generic over `T: Float`,
//! so the same code serves f32 and f64 tensors and `Tensor::map` (over f64):
//! `t.map(kernels::sigmoid)`.
//!
//! ```text
//! relu        max(x, 0)                   sigmoid     σ(x) = 1/(1 + e⁻ˣ)
//! leaky_relu  x if x > 0 else s·x         softplus    ln(1 + eˣ)
//! elu         x if x > 0 else α(eˣ − 1)   silu        x·σ(x)
//! gelu        x·Φ(x)                      gelu_tanh   x·σ(2u), u = √(2/π)(x + 0.044715x³)
//! ```
//! where Φ is the standard normal CDF and φ its density. Each kernel is written in
//! the form that cannot overflow (see `sigmoid` and `softplus`). The derivatives are
//! written in the autograd op files, next to each backward (`ops/relu.rs`, …).
//! Read next: [`crate::unary`] (the tensor methods built on these), `erf` in `erf.rs`.

use num_traits::Float;

pub use super::erf::{erf, erfc};

/// `v` in `T` (every f64 converts to a float, rounding for f32).
fn c<T: Float>(v: f64) -> T {
    T::from(v).expect("internal error: f64 always converts to a float; this is a bug")
}

/// `x` as f64 (exact for f32 and f64).
fn f64_of<T: Float>(x: T) -> f64 {
    x.to_f64()
        .expect("internal error: a float always converts to f64; this is a bug")
}

/// √(2/π), the slope of the tanh GELU approximation's inner term.
pub const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh GELU approximation (Hendrycks & Gimpel, 2016).
pub const GELU_TANH_CUBIC: f64 = 0.044_715;

/// `relu(x) = max(x, 0)`; NaN stays NaN (as in PyTorch).
pub fn relu<T: Float>(x: T) -> T {
    if x < T::zero() { T::zero() } else { x }
}

/// `leaky_relu(x) = x if x > 0 else slope·x`.
pub fn leaky_relu<T: Float>(x: T, slope: T) -> T {
    if x > T::zero() { x } else { slope * x }
}

/// `elu(x) = x if x > 0 else α(eˣ − 1)` (`exp_m1` keeps digits near 0).
pub fn elu<T: Float>(x: T, alpha: T) -> T {
    if x > T::zero() { x } else { alpha * x.exp_m1() }
}

/// `sign(x)`: −1, 0 or 1 (unlike `f32::signum`, which gives 1 for +0); NaN stays NaN.
pub fn sign<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        x // ±0 or NaN
    }
}

/// `clamp(x) = lo if x < lo, hi if x > hi, else x`; NaN stays NaN.
pub fn clamp<T: Float>(x: T, lo: T, hi: T) -> T {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// The logistic sigmoid `σ(x) = 1/(1 + e⁻ˣ)`, in a form that never overflows.
///
/// ```text
/// x ≥ 0:  1 / (1 + e⁻ˣ)      e⁻ˣ ≤ 1
/// x < 0:  eˣ / (1 + eˣ)      eˣ < 1   (1/(1 + e⁻ˣ) would compute e^10000 = inf)
/// ```
pub fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// `softplus(x) = ln(1 + eˣ)`, written as `max(x, 0) + ln(1 + e^(−|x|))` so that
/// e^(−|x|) ≤ 1 never overflows and `ln_1p` keeps the tiny tail accurate.
pub fn softplus<T: Float>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).exp().ln_1p()
}

/// SiLU (swish): `silu(x) = x·σ(x)`.
pub fn silu<T: Float>(x: T) -> T {
    x * sigmoid(x)
}

/// The standard normal CDF `Φ(x) = ½(1 + erf(x/√2)) = ½·erfc(−x/√2)`, in f64.
///
/// The erfc form keeps relative accuracy far in the left tail (Φ(−10) ≈ 7.6e-24,
/// where `1 + erf` would round to 0).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal density `φ(x) = e^(−x²/2) / √(2π)`, in f64.
pub fn normal_pdf(x: f64) -> f64 {
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// `erf` for either float type (computed in f64, rounded once for f32).
pub fn erf_t<T: Float>(x: T) -> T {
    c(erf(f64_of(x)))
}

/// Exact GELU (Hendrycks & Gimpel, 2016), PyTorch's default `approximate="none"`:
///
/// ```text
/// gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))
/// ```
/// computed in f64 for both dtypes.
pub fn gelu<T: Float>(x: T) -> T {
    let x = f64_of(x);
    c(x * normal_cdf(x))
}

/// The tanh approximation of GELU (PyTorch's `approximate="tanh"`, GPT-2's):
///
/// ```text
/// gelu_tanh(x) = ½·x·(1 + tanh(u)),   u = √(2/π)·(x + 0.044715·x³)
///              = x·σ(2u)              since ½(1 + tanh u) = σ(2u)
/// ```
/// The σ form is the one computed: `1 + tanh(u)` cancels for negative x (and is
/// exactly 0 beyond x ≈ −10), while σ(2u) keeps its relative accuracy.
pub fn gelu_tanh<T: Float>(x: T) -> T {
    x * sigmoid(gelu_tanh_2u(x))
}

/// `2u = 2·√(2/π)·(x + 0.044715·x³)`, the argument of σ in [`gelu_tanh`].
pub fn gelu_tanh_2u<T: Float>(x: T) -> T {
    c::<T>(2.0 * SQRT_2_OVER_PI) * (x + c::<T>(GELU_TANH_CUBIC) * x * x * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central difference (f(x+h) − f(x−h)) / 2h in f64: error O(h²) ≈ 1e-10.
    fn numeric(f: impl Fn(f64) -> f64, x: f64) -> f64 {
        let h = 1e-5;
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    #[test]
    fn normal_pdf_is_the_derivative_of_normal_cdf() {
        for x in [-6.0, -2.5, -1.0, -0.3, 0.2, 0.7, 1.5, 3.0, 6.0] {
            let (analytic, numeric) = (normal_pdf(x), numeric(normal_cdf, x));
            assert!(
                (analytic - numeric).abs() < 1e-7 * (1.0 + numeric.abs()),
                "normal_cdf'({x}): analytic {analytic} vs numeric {numeric}"
            );
        }
    }

    #[test]
    fn known_values_f64() {
        // mpmath at 30 digits.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * b.abs().max(1e-300);
        assert!(close(sigmoid(1.0), 0.731_058_578_630_004_9));
        assert!(close(sigmoid(-2.0), 0.119_202_922_022_117_56));
        assert!(close(softplus(1.0), 1.313_261_687_518_222_8));
        assert!(close(softplus(-2.0), 0.126_928_011_042_972_5));
        assert!(close(silu(-2.0), -0.238_405_844_044_235_1));
        assert!(close(gelu(1.0), 0.841_344_746_068_543));
        // Left of 0, Φ(x) = ½·erfc(−x/√2) carries erfc's 1.3e-13 relative error.
        assert!((gelu(-2.0) / -0.045_500_263_896_358_41 - 1.0).abs() < 2e-13);
        assert!(close(gelu_tanh(1.0), 0.841_191_990_608_276_7));
        assert!(close(gelu_tanh(-2.0), -0.045_402_305_912_224_98));
        assert!(close(elu(-2.0, 1.0), -0.864_664_716_763_387_3));
        // ½·x·erfc(−x/√2) keeps the tail: −10·Φ(−10) = −5·erfc(√50) = −7.61985…e-23
        // (mpmath at 50 digits; `1 + erf` would have given 0).
        assert!((gelu(-10.0) / -7.619_853_024_160_526e-23 - 1.0).abs() < 1e-13);
    }

    #[test]
    fn known_values_f32() {
        let close = |a: f32, b: f32| (a - b).abs() <= 2.0 * f32::EPSILON * b.abs();
        assert!(close(sigmoid(1.0_f32), 0.731_058_6));
        assert!(close(softplus(1.0_f32), 1.313_261_6));
        assert!(close(gelu(1.0_f32), 0.841_344_8));
        assert!(close(gelu_tanh(1.0_f32), 0.841_192));
        assert!(close(silu(1.0_f32), 0.731_058_6));
        assert!(close(erf_t(0.5_f32), 0.520_499_9));
    }

    #[test]
    fn stable_forms_stay_finite_far_out() {
        for x in [-1e4, 1e4, -1e30, 1e30] {
            for v in [sigmoid(x), softplus(x), silu(x), gelu(x), gelu_tanh(x)] {
                assert!(v.is_finite(), "non-finite at x = {x}");
            }
            let x32 = x as f32; // ±1e30 stays finite in f32; its cube overflows to ±inf
            for v in [sigmoid(x32), softplus(x32)] {
                assert!(v.is_finite(), "non-finite at x = {x32} (f32)");
            }
        }
        assert_eq!(sigmoid(-1e4), 0.0);
        assert_eq!(sigmoid(1e4), 1.0);
        assert_eq!(softplus(1e4), 1e4); // ≈ x for large x
        assert_eq!(softplus(-1e4), 0.0);
    }

    #[test]
    fn piecewise_kernels() {
        assert_eq!([sign(-3.0), sign(0.0), sign(2.0)], [-1.0, 0.0, 1.0]);
        assert!(sign(f64::NAN).is_nan() && relu(f64::NAN).is_nan());
        assert_eq!([relu(-1.0), relu(2.0)], [0.0, 2.0]);
        assert_eq!([leaky_relu(-2.0, 0.1), leaky_relu(3.0, 0.1)], [-0.2, 3.0]);
        assert_eq!([clamp(-5.0, -1.0, 1.0), clamp(0.5, -1.0, 1.0)], [-1.0, 0.5]);
        assert_eq!(clamp(5.0, -1.0, 1.0), 1.0);
        assert!(clamp(f64::NAN, -1.0, 1.0).is_nan());
    }
}
