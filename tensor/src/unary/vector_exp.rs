//! `eˣ` (and `tanh x`, built on it) for one f32, written so that a loop calling it
//! becomes vector code: 16 lanes per instruction with AVX-512F, 8 with AVX2+FMA (the
//! loops are compiled for those in [`super::vectorised`]). Softmax, log-softmax,
//! cross-entropy and sigmoid spend most of their time in `exp`, and the C library's
//! `expf` is one scalar call per element.
//!
//! ```text
//! eˣ = 2ⁿ · eʳ         n = round(x · log₂e),  r = x − n·ln 2  ∈ [−ln2/2, ln2/2]
//! eʳ ≈ 1 + r + r²·P(r) P of degree 5 (Cephes' minimax coefficients for expf)
//! n·ln 2 is subtracted in two parts (ln 2 = LN2_HI + LN2_LO, LN2_HI with 9 bits, so
//! n·LN2_HI is exact): r keeps its low bits (Cody & Waite).
//! 2ⁿ is built from its bits (exponent field n + 127) as 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), two
//! normal numbers even where eˣ itself is subnormal (x < −87.3) or near f32::MAX: the
//! first product is exact, so the result is rounded once.
//! ```
//! Every step is branch-free (min, max, round, multiply-add, a select for NaN), which is
//! what lets the loop become vector code. Inputs are clamped to [−110, 89]: below, eˣ
//! rounds to 0; above, to +∞ (e^89 > f32::MAX); NaN stays NaN. Error: at most 1 ulp
//! against the correctly rounded result (checked over a dense sweep in the tests).
//!
//! Every instruction-set path evaluates the same expression with fused multiply-adds,
//! so results are bit-identical on every CPU. f64 keeps the C library's `exp`.
//! Read next: [`super::vectorised`], which runs loops over these, then
//! [`crate::softmax`], their main user.

/// `log₂ e`: n = round(x · log₂ e).
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// The high part of ln 2 (9 significant bits, so n·LN2_HI is exact for |n| < 2¹⁵).
const LN2_HI: f32 = 0.693_359_4; // = 0.693359375 exactly
/// ln 2 − LN2_HI.
const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes' coefficients of P(r), highest degree first: eʳ ≈ 1 + r + r²·P(r).
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5, // Cephes' 5.0000001201e-1, which rounds to ½ in f32
];
/// 1.5·2²³: adding it to |v| < 2²² rounds v to an integer held in the low mantissa bits.
const ROUNDER: f32 = 12_582_912.0;
/// Below this, eˣ < 2⁻¹⁵⁰ rounds to 0 (and 2ⁿ still splits into two normal factors).
const LOWEST: f32 = -110.0;
/// Above this, eˣ > f32::MAX overflows to +∞.
const HIGHEST: f32 = 89.0;

/// `eˣ` for one f32, by the steps in the module doc. Inlined into the vector loops;
/// on its own it is a slower `f32::exp`.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let xc = x.clamp(LOWEST, HIGHEST); // NaN stays NaN; the select below says so plainly
    // Adding 1.5·2²³ rounds to an integer (ties to even) and leaves that integer in
    // the low bits of the sum: no float-to-int conversion, which would not vectorise.
    let shifted = xc * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    let k = (shifted.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32);
    let r = n.mul_add(-LN2_HI, xc);
    let r = n.mul_add(-LN2_LO, r);
    let p = P[1..].iter().fold(P[0], |acc, &c| acc.mul_add(r, c));
    let e_r = p.mul_add(r * r, r) + 1.0;
    let half = k >> 1;
    let y = e_r * pow2(half) * pow2(k.wrapping_sub(half));
    if x.is_nan() { x } else { y }
}

/// `2ᵏ` for −126 ≤ k ≤ 127, from its exponent bits.
#[inline(always)]
fn pow2(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32) << 23) // wrapping: no overflow check in the loop
}

/// Below this |x|, [`tanh_f32`] uses its series (1 − e^(−2|x|) would cancel).
const TANH_SERIES_BELOW: f32 = 0.4;
/// tanh(x)/x = Σ cₖ·x²ᵏ (the Taylor series, from the Bernoulli numbers), highest
/// degree first; 8 terms leave < 4e-9 relative error for |x| < 0.4.
const TANH_SERIES: [f32; 8] = [
    -929_569.0 / 638_512_875.0,
    21_844.0 / 6_081_075.0,
    -1_382.0 / 155_925.0,
    62.0 / 2_835.0,
    -17.0 / 315.0,
    2.0 / 15.0,
    -1.0 / 3.0,
    1.0,
];

/// `tanh x` for one f32 from [`exp_f32`], branch-free:
///
/// ```text
/// |x| ≥ 0.4:  tanh|x| = (1 − e)/(1 + e),  e = e^(−2|x|) ≤ 0.45, so 1 − e does not cancel
/// |x| < 0.4:  tanh|x| = |x|·Σ cₖ·x²ᵏ      (the series; 1 − e would lose the low bits)
/// tanh x = sign(x)·tanh|x|               (±∞ → ±1, NaN stays NaN, −0 stays −0)
/// ```
/// Within 2 ulp of the correctly rounded result (tested).
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let e = exp_f32(-2.0 * a);
    let far = (1.0 - e) / (1.0 + e);
    let u = a * a;
    let series = a * TANH_SERIES[1..]
        .iter()
        .fold(TANH_SERIES[0], |acc, &c| acc.mul_add(u, c));
    let t = if a < TANH_SERIES_BELOW { series } else { far };
    t.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_within_two_ulp_over_the_whole_range() {
        let (lo, hi) = (0.0f32.to_bits(), 12.0f32.to_bits());
        let pos: Vec<f32> = (lo..=hi).step_by(11).map(f32::from_bits).collect();
        let xs: Vec<f32> = pos.iter().flat_map(|&x| [x, -x]).collect();
        let ys: Vec<f32> = xs.iter().map(|&x| tanh_f32(x)).collect();
        for (&x, &y) in xs.iter().zip(&ys) {
            let want = (x as f64).tanh() as f32;
            assert!(ulps(y, want) <= 2, "tanh({x}) = {y}, want {want}");
        }
        let special = [
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -0.0,
            1e30,
            -1e-30,
        ];
        let ys = special.map(tanh_f32);
        assert_eq!(&ys[..2], &[1.0, -1.0]);
        assert!(ys[2].is_nan());
        assert_eq!(ys[3].to_bits(), (-0.0f32).to_bits());
        assert_eq!((ys[4], ys[5]), (1.0, -1e-30));
    }

    /// Distance in units in the last place between two finite f32 of the same sign.
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    /// The correctly rounded eˣ (f64's exp is accurate far beyond f32's precision).
    fn reference(x: f32) -> f32 {
        (x as f64).exp() as f32
    }

    #[test]
    fn within_one_ulp_of_the_correctly_rounded_result_over_the_whole_range() {
        // every 13th f32 from −110 to 89 by bit pattern: ~1 million inputs on each side
        let mut worst = (0, 0.0f32);
        let sweep = |from: f32, to: f32| {
            let (a, b) = (
                from.to_bits().min(to.to_bits()),
                from.to_bits().max(to.to_bits()),
            );
            (a..=b).step_by(13).map(f32::from_bits)
        };
        let xs: Vec<f32> = sweep(0.0, HIGHEST).chain(sweep(-0.0, LOWEST)).collect();
        for &x in &xs {
            let (y, want) = (exp_f32(x), reference(x));
            let err = ulps(y, want);
            if err > worst.0 {
                worst = (err, x);
            }
            // libm's expf, for comparison, is itself within 1 ulp
            assert!(ulps(x.exp(), want) <= 1, "libm at {x}");
        }
        assert!(worst.0 <= 1, "{} ulps at x = {}", worst.0, worst.1);
    }

    #[test]
    fn special_values_overflow_underflow_and_subnormals() {
        let xs = [
            0.0,
            -0.0,
            1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            88.72,
            88.73,
            1e30,
            -87.0,
            -100.0,
            -103.9,
            -104.0,
            -1e30,
            f32::MIN_POSITIVE,
        ];
        let ys = xs.map(exp_f32);
        for (&x, &y) in xs.iter().zip(&ys) {
            let want = reference(x);
            if want.is_nan() {
                assert!(y.is_nan(), "exp({x}) = {y}");
            } else {
                assert!(ulps(y, want) <= 1, "exp({x}) = {y}, want {want}");
            }
        }
        assert_eq!((ys[0], ys[3], ys[4]), (1.0, f32::INFINITY, 0.0));
        assert!(
            ys[10] > 0.0 && ys[10] < f32::MIN_POSITIVE,
            "subnormal e^-100"
        );
    }
}
