//! The standard normal CDF `Φ(x)` and density `φ(x)` for one f32, branch-free so that
//! a loop calling it becomes vector code (8 lanes with AVX2+FMA, 16 with AVX-512F; see
//! [`super::vectorised`]). Exact GELU, `x·Φ(x)`, and its derivative `Φ(x) + x·φ(x)`
//! are built on it; through the f64 `erfc` of [`super::erf`] they cost a scalar call
//! per element, a fifth of a small GPT's training step.
//!
//! ```text
//! a = |x|,  z = a/√2               Φ(−a) = ½·erfc(z),  Φ(a) = 1 − ½·erfc(z)
//! erfc(z) = t · e^(−z²) · R(t),    t = 1/(1 + z/2) ∈ (0, 1]
//! R(t) = erfc(z)·e^(z²)/t          smooth on (0, 1]: R(1) = 1, R(0⁺) = 1/(2√π);
//!                                  a degree-10 polynomial fitted to it (below)
//! e^(−z²) = e^(−a²/2):             a² = hi + lo exactly (hi = a·a, lo = fma(a, a, −hi)),
//!                                  e^(−a²/2) ≈ e^(−hi/2)·(1 − lo/2), so the rounding of a²
//!                                  does not grow into the tail (it would be 1e-6 at a = 6)
//! φ(x) = e^(−a²/2)/√(2π)           the same exponential, shared
//! ```
//! The left tail `Φ(−a) = ½·erfc(z)` is computed directly, never as `1 − something`,
//! so it keeps its relative accuracy down to the subnormals; the right side
//! `1 − ½·erfc(z)` only needs absolute accuracy there. `|x|` is clamped at 20 (Φ(−20)
//! ≈ 3e-89 is 0 in f32). Error, measured over a sweep in the tests: Φ within 4e-7
//! relative for Φ ≥ f32::MIN_POSITIVE and within 2.5e-7 absolute, φ within 3e-7
//! relative (a few ulp; the reference is the f64 path, `erfc` to 1e-15). PyTorch's
//! vectorised f32 `erf` (Abramowitz & Stegun 7.1.26) is within 1.5e-7 absolute and
//! loses the relative accuracy of the tail.
//!
//! The coefficients of R come from a near-minimax fit in relative error (Chebyshev
//! least squares, then Lawson's reweighting) of R on t ∈ [1/8.1, 1], i.e. z ∈ [0,
//! 14.2], against f64 `erfc`: 5e-9 in f64, 1.2e-7 evaluated in f32; the script that
//! made them is `tools/fit_normal_tail.py`.
//! Read next: [`super::vectorised`], where `normal_fast` dispatches to this.

use super::vector_exp::exp_f32;

/// R(t) = erfc(z)·e^(z²)/t as a polynomial in t, highest degree first.
const R: [f32; 11] = [
    0.040_635_217,
    -0.219_523_65,
    0.454_365_13,
    -0.396_916_2,
    0.078_246_65,
    -0.026_448_98,
    0.080_361_54,
    0.178_697_51,
    0.246_349_38,
    0.282_140_3,
    0.282_093_1,
];
/// Beyond this |x|, Φ is 0 or 1 in f32 and φ is 0.
const FAR: f32 = 20.0;
/// 1/√(2π), the density's constant.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// `(Φ(x), φ(x))` for one f32, by the steps in the module doc. NaN gives NaN for both.
#[inline(always)]
pub fn normal_f32(x: f32) -> (f32, f32) {
    let a = x.abs().min(FAR);
    let hi = a * a;
    let lo = a.mul_add(a, -hi);
    let gauss = exp_f32(-0.5 * hi);
    let gauss = gauss.mul_add(-0.5 * lo, gauss); // e^(−a²/2)
    let t = 1.0 / (a * std::f32::consts::FRAC_1_SQRT_2).mul_add(0.5, 1.0);
    let r = R[1..].iter().fold(R[0], |acc, &c| acc.mul_add(t, c));
    let left = 0.5 * t * gauss * r; // Φ(−a) = ½·erfc(a/√2)
    let cdf = if x < 0.0 { left } else { 1.0 - left };
    let pdf = gauss * FRAC_1_SQRT_2PI;
    if x.is_nan() { (x, x) } else { (cdf, pdf) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unary::kernels::{normal_cdf, normal_pdf};

    fn rel(got: f32, want: f64) -> f64 {
        ((got as f64 - want) / want).abs()
    }

    #[test]
    fn within_a_few_ulp_of_the_f64_reference_over_the_whole_range() {
        // every 29th f32 from 0 to 14 by bit pattern, both signs: ~70k inputs per side
        let (lo, hi) = (0.0f32.to_bits(), 14.0f32.to_bits());
        let pos = (lo..=hi).step_by(29).map(f32::from_bits);
        let (mut worst_cdf, mut worst_pdf) = ((0.0, 0.0f32), (0.0, 0.0f32));
        for x in pos.flat_map(|x| [x, -x]) {
            let (cdf, pdf) = normal_f32(x);
            let (want_cdf, want_pdf) = (normal_cdf(x as f64), normal_pdf(x as f64));
            if want_cdf >= f32::MIN_POSITIVE as f64 && rel(cdf, want_cdf) > worst_cdf.0 {
                worst_cdf = (rel(cdf, want_cdf), x);
            }
            if want_pdf >= f32::MIN_POSITIVE as f64 && rel(pdf, want_pdf) > worst_pdf.0 {
                worst_pdf = (rel(pdf, want_pdf), x);
            }
            assert!((cdf as f64 - want_cdf).abs() < 2.5e-7, "Φ({x}) = {cdf}");
        }
        assert!(
            worst_cdf.0 < 4e-7,
            "Φ: {:.2e} at x = {}",
            worst_cdf.0,
            worst_cdf.1
        );
        assert!(
            worst_pdf.0 < 3e-7,
            "φ: {:.2e} at x = {}",
            worst_pdf.0,
            worst_pdf.1
        );
    }

    #[test]
    fn special_values() {
        assert_eq!(normal_f32(0.0).0, 0.5);
        assert_eq!(normal_f32(f32::INFINITY), (1.0, 0.0));
        assert_eq!(normal_f32(f32::NEG_INFINITY), (0.0, 0.0));
        assert_eq!(normal_f32(-30.0), (0.0, 0.0));
        let (cdf, pdf) = normal_f32(f32::NAN);
        assert!(cdf.is_nan() && pdf.is_nan());
        // the left tail keeps its relative accuracy: Φ(−10) = 7.62e-24
        assert!(rel(normal_f32(-10.0).0, normal_cdf(-10.0)) < 4e-7);
    }
}
