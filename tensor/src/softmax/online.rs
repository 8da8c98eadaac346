//! The online softmax normaliser: a lane's max and its sum of shifted exponentials
//! in one pass over the data (Milakov & Gimelshein, "Online normalizer calculation
//! for softmax", 2018).
//!
//! ```text
//! two passes:  m = maxᵢ xᵢ,   then   s = Σᵢ exp(xᵢ − m)
//! one pass:    keep (m, s) for the elements seen so far; for the next x, d = x − m:
//!                d ≤ 0:  s ← s + exp(−|d|)                       (= exp(x − m))
//!                d > 0:  s ← s · exp(−|d|) + 1,   m ← x          (old terms rescaled)
//!              one exp per element either way, of −|d| ≤ 0 (no overflow)
//! lanes:       LANES interleaved (m, s) pairs (whole vector registers), merged at the end:
//!              m = max_l m_l,   s = Σ_l s_l · exp(m_l − m)
//! ```
//! Both give the same (m, s) up to rounding. The second reads `x` once: for the
//! `[1120, 10000]` logits of a language model's cross-entropy (45 MB, more than the
//! L2 cache) the max pass alone was a third of the forward's time, spent waiting for
//! memory; here those reads overlap the exponentials.
//!
//! The running max starts at the lowest finite value, not −∞: a −∞ element (a masked
//! class) then adds exp(−∞) = 0, where −∞ − (−∞) would be NaN. A lane of only −∞
//! gives s = 0, so its log-softmax is −∞ − ln 0 = NaN, as in PyTorch; a NaN anywhere
//! makes s NaN.
//! Read next: [`super::gather`], the cross-entropy kernel built on it.

use crate::dtype::Float;
use crate::unary::vectorised::Vectorised;

/// Interleaved (m, s) pairs: two AVX-512 registers of f32, so that consecutive
/// updates of one pair (each waits for the previous max) overlap.
const LANES: usize = 32;

/// `(m, Σᵢ exp(xᵢ − m))` of `x`, `m` its max (the lowest finite value if `x` is
/// empty or all −∞), in one pass (module doc). `exp` is the exponential to use,
/// inlined into the loop (the vectorised `exp_f32` for f32).
#[inline(always)]
pub fn max_and_exp_sum<T: Float>(x: &[T], exp: impl Fn(T) -> T) -> (T, T) {
    let mut m = [T::min_value(); LANES];
    let mut s = [T::zero(); LANES];
    let step = |m: &mut T, s: &mut T, x: T| {
        let d = x - *m;
        let e = exp(-d.abs());
        let up = d > T::zero();
        *s = if up { *s * e + T::one() } else { *s + e };
        *m = if up { x } else { *m };
    };
    let mut chunks = x.chunks_exact(LANES);
    for chunk in &mut chunks {
        for ((m, s), &x) in m.iter_mut().zip(s.iter_mut()).zip(chunk) {
            step(m, s, x);
        }
    }
    for ((m, s), &x) in m.iter_mut().zip(s.iter_mut()).zip(chunks.remainder()) {
        step(m, s, x);
    }
    let top = m
        .iter()
        .fold(T::min_value(), |a, &b| if b > a { b } else { a });
    let sum = m
        .iter()
        .zip(&s)
        .fold(T::zero(), |acc, (&m, &s)| acc + s * exp(m - top));
    (top, sum)
}

/// [`max_and_exp_sum`] with the fast exponential, on the widest vectors of the CPU
/// ([`Vectorised`]).
pub fn max_and_exp_sum_vectorised<T: Vectorised>(x: &[T]) -> (T, T) {
    T::vectorised(
        #[inline(always)]
        || max_and_exp_sum(x, T::exp_fast),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-pass form, in f64.
    fn two_pass(x: &[f64]) -> (f64, f64) {
        let m = x.iter().fold(f64::MIN, |a, &b| a.max(b));
        (m, x.iter().map(|v| (v - m).exp()).sum())
    }

    #[test]
    fn equals_the_two_pass_form() {
        // rising, falling and mixed rows, with lengths around the lane count
        for n in [1, 5, 31, 32, 33, 100, 1000] {
            let x: Vec<f64> = (0..n)
                .map(|i| ((i * 37 % 101) as f64 - 50.0) * 0.3 + i as f64 * 0.01)
                .collect();
            let (m, s) = max_and_exp_sum(&x, f64::exp);
            let (m2, s2) = two_pass(&x);
            assert_eq!(m, m2);
            assert!((s - s2).abs() <= 1e-12 * s2, "{n}: {s} vs {s2}");
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let (m, s) = max_and_exp_sum_vectorised::<f32>(&x32);
            assert_eq!(m, m2 as f32);
            assert!((s as f64 - s2).abs() <= 1e-5 * s2, "{n}: {s} vs {s2}");
        }
    }

    #[test]
    fn infinities_and_nan() {
        let inf = f32::INFINITY;
        // −∞ adds nothing, wherever it is
        let (m, s) = max_and_exp_sum_vectorised::<f32>(&[-inf, 0.0, -inf, 0.0]);
        assert_eq!((m, s), (0.0, 2.0));
        // all −∞: s = 0 (log-softmax NaN downstream)
        assert_eq!(max_and_exp_sum_vectorised::<f32>(&[-inf; 40]).1, 0.0);
        assert!(
            max_and_exp_sum_vectorised::<f32>(&[1.0, f32::NAN])
                .1
                .is_nan()
        );
        // huge logits stay finite: exp of −|d| only
        let (m, s) = max_and_exp_sum_vectorised::<f64>(&[1e300, -1e300, 1e300]);
        assert_eq!((m, s), (1e300, 2.0));
    }
}
