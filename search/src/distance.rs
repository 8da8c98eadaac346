//! The two kernels every index spends its time in: the dot product and the squared
//! L2 distance of two `f32` slices.
//!
//! ```text
//! dot(a, b)        = Σᵢ aᵢ·bᵢ
//! l2_squared(a, b) = Σᵢ (aᵢ − bᵢ)²
//! ```
//!
//! How they are made fast without hand-written intrinsics: the loop walks the slices
//! in chunks of 16 and keeps 16 independent partial sums (`acc[0..16]`). The compiler
//! turns the 16 lanes into two 8-wide AVX registers, so each chunk is two
//! fused multiply-adds; the two accumulators also halve the wait on the FMA's latency.
//! The partial sums are added pairwise at the end (8 + 8, 4 + 4, ...), the last 0–15
//! elements one by one. `f32::mul_add` is one instruction only where the CPU has FMA,
//! so the body is compiled twice: inside a `#[target_feature(enable = "avx2,fma")]`
//! function, chosen at run time when the CPU has both, and as a portable copy with a
//! separate multiply and add. (Check with `perf annotate`: the hot loop is `vfmadd231ps`
//! on `ymm` registers.)
//!
//! Cost: C multiply-adds per call; a 128-d distance is 8 iterations of 2 FMAs. In
//! HNSW the vector usually comes from main memory, so the loads, not the arithmetic,
//! set the pace; `hnsw` prefetches the next vector while this one is summed.
//! Read next: [`crate::topk`].

/// Lanes of the partial sums: two AVX registers of 8 `f32`.
const LANES: usize = 16;

/// `Σᵢ aᵢ·bᵢ` over the common length of `a` and `b`.
///
/// ```
/// assert_eq!(search::distance::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked at run time just above).
        return unsafe { dot_fma(a, b) };
    }
    sum_lanes::<false>(a, b, |x, y| (x, y))
}

/// `Σᵢ (aᵢ − bᵢ)²` over the common length of `a` and `b`.
///
/// ```
/// assert_eq!(search::distance::l2_squared(&[1.0, 2.0], &[4.0, 6.0]), 25.0);
/// ```
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked at run time just above).
        return unsafe { l2_squared_fma(a, b) };
    }
    sum_lanes::<false>(a, b, difference)
}

/// `(a − b, a − b)`: the factors of one term of the squared distance.
#[inline(always)]
fn difference(a: f32, b: f32) -> (f32, f32) {
    let d = a - b;
    (d, d)
}

/// Whether this CPU has AVX2 and FMA (the standard library caches the answer).
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_fma() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// [`dot`] compiled for AVX2 + FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_fma(a: &[f32], b: &[f32]) -> f32 {
    sum_lanes::<true>(a, b, |x, y| (x, y))
}

/// [`l2_squared`] compiled for AVX2 + FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn l2_squared_fma(a: &[f32], b: &[f32]) -> f32 {
    sum_lanes::<true>(a, b, difference)
}

/// `Σᵢ u·v` where `(u, v) = factors(aᵢ, bᵢ)`, in 16 lanes (see the module doc);
/// `FMA` says whether `mul_add` is one instruction where this is compiled.
#[inline(always)]
fn sum_lanes<const FMA: bool>(
    a: &[f32],
    b: &[f32],
    factors: impl Fn(f32, f32) -> (f32, f32),
) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (chunks_a, chunks_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = (chunks_a.remainder().iter())
        .zip(chunks_b.remainder())
        .map(|(&x, &y)| {
            let (u, v) = factors(x, y);
            u * v
        })
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for i in 0..LANES {
            let (u, v) = factors(ca[i], cb[i]);
            acc[i] = if FMA {
                u.mul_add(v, acc[i])
            } else {
                acc[i] + u * v
            };
        }
    }
    // Pairwise: lanes i and i + width, halving the width down to one.
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            acc[i] += acc[i + width];
        }
        width /= 2;
    }
    acc[0] + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both kernels on every length from 0 to 40 (full chunks plus every tail), against
    /// an f64 loop; and the portable copy against the dispatched one.
    #[test]
    fn kernels_match_a_plain_loop() {
        for n in 0..=40 {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let dot64: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            let l2_64: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(x - y).powi(2))
                .sum();
            assert!(
                (f64::from(dot(&a, &b)) - dot64).abs() < 1e-5,
                "dot, n = {n}"
            );
            assert!(
                (f64::from(l2_squared(&a, &b)) - l2_64).abs() < 1e-5,
                "l2, n = {n}"
            );
            let portable = sum_lanes::<false>(&a, &b, difference);
            assert!(
                (portable - l2_squared(&a, &b)).abs() < 1e-5,
                "portable, n = {n}"
            );
        }
    }

    #[test]
    fn integer_inputs_give_exact_sums() {
        let a: Vec<f32> = (0..100).map(|i| (i % 7) as f32 - 3.0).collect();
        let b: Vec<f32> = (0..100).map(|i| (i % 5) as f32).collect();
        let exact: i64 = (0..100).map(|i| (i % 7 - 3) * (i % 5)).sum();
        assert_eq!(dot(&a, &b), exact as f32);
    }
}
