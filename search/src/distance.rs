//! The two kernels every index spends its time in: the dot product and the squared
//! L2 distance of two `f32` slices.
//!
//! ```text
//! dot(a, b)        = Σᵢ aᵢ·bᵢ
//! l2_squared(a, b) = Σᵢ (aᵢ − bᵢ)²
//! ```
//!
//! How they are made fast. The portable loop walks the slices in chunks of 16 and
//! keeps 16 independent partial sums (`acc[0..16]`), added pairwise at the end (8 + 8,
//! 4 + 4, ...); the last 0–15 elements go one by one. The compiler vectorises it, but
//! only into 128-bit registers (LLVM's SLP vectoriser stops at 128 bits; `objdump`
//! of the first version showed `xmm` only, and `perf` put 68% of an HNSW search in
//! it). So on CPUs with AVX2 and FMA (checked once per call, the standard library
//! caches the answer) the same plan is written with intrinsics: four 8-lane `ymm`
//! accumulators, 32 elements and four fused multiply-adds per step, then one 8-lane
//! step, then the scalar tail. Four independent accumulators cover the FMA's latency
//! (4 cycles, 2 units).
//!
//! Cost: C multiply-adds per call; a 128-d distance is 4 steps of 4 FMAs. In HNSW
//! the vector usually comes from main memory, so the loads, not the arithmetic, set
//! the pace; `hnsw` prefetches the vectors of a node's neighbours before summing.
//! Read next: [`crate::topk`].

/// Lanes of the partial sums: two AVX registers of 8 `f32`.
const LANES: usize = 16;

/// `Σᵢ aᵢ·bᵢ` over the common length of `a` and `b`.
///
/// ```
/// assert_eq!(ferrograd::search::distance::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    one::<false>(a, b)
}

/// `Σᵢ (aᵢ − bᵢ)²` over the common length of `a` and `b`.
///
/// ```
/// assert_eq!(ferrograd::search::distance::l2_squared(&[1.0, 2.0], &[4.0, 6.0]), 25.0);
/// ```
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    one::<true>(a, b)
}

/// The dot products of `q` with four vectors, computed together (see
/// [`crate::hnsw`]: four vectors fetched from memory at once).
///
/// ```
/// let d = ferrograd::search::distance::dot_4(&[1.0, 2.0], [&[1.0, 0.0], &[0.0, 1.0], &[1.0, 1.0], &[2.0, 2.0]]);
/// assert_eq!(d, [1.0, 2.0, 3.0, 6.0]);
/// ```
#[inline]
pub fn dot_4(q: &[f32], xs: [&[f32]; 4]) -> [f32; 4] {
    four::<false>(q, xs)
}

/// The squared L2 distances of `q` to four vectors, computed together.
///
/// ```
/// let d = ferrograd::search::distance::l2_squared_4(&[0.0, 0.0], [&[1.0, 0.0], &[0.0, 2.0], &[1.0, 1.0], &[3.0, 4.0]]);
/// assert_eq!(d, [1.0, 4.0, 2.0, 25.0]);
/// ```
#[inline]
pub fn l2_squared_4(q: &[f32], xs: [&[f32]; 4]) -> [f32; 4] {
    four::<true>(q, xs)
}

/// The squared distance (`L2`) or the dot product of `a` and `b` on the kernel this
/// CPU has: AVX2 + FMA intrinsics, else the portable loop.
#[inline]
fn one<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked at run time just above).
        return unsafe { simd::sum::<L2>(a, b) };
    }
    if L2 {
        sum_lanes(a, b, difference)
    } else {
        sum_lanes(a, b, |x, y| (x, y))
    }
}

/// [`one`] of `q` and four vectors, computed together where the CPU has AVX2 + FMA.
#[inline]
fn four<const L2: bool>(q: &[f32], xs: [&[f32]; 4]) -> [f32; 4] {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked at run time just above).
        return unsafe { simd::sum4::<L2>(q, xs) };
    }
    xs.map(|x| one::<L2>(q, x))
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

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::{
        __m256, _mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps,
        _mm256_add_ps, _mm256_castps256_ps128, _mm256_extractf128_ps, _mm256_fmadd_ps,
        _mm256_loadu_ps, _mm256_setzero_ps, _mm256_sub_ps,
    };

    /// `Σ (aᵢ − bᵢ)²` if `L2`, else `Σ aᵢ·bᵢ`, in four 8-lane accumulators.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn sum<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        // SAFETY (every load below): `at + 8 ≤ n` is checked by the loop bounds, so the
        // 8 floats read from `a[at..]` and `b[at..]` are inside the slices.
        let load = |x: &[f32], at: usize| unsafe { _mm256_loadu_ps(x.as_ptr().add(at)) };
        let step = |x: __m256, y: __m256, acc: __m256| {
            if L2 {
                let d = _mm256_sub_ps(x, y);
                _mm256_fmadd_ps(d, d, acc)
            } else {
                _mm256_fmadd_ps(x, y, acc)
            }
        };
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut at = 0;
        while at + 32 <= n {
            for (j, s) in acc.iter_mut().enumerate() {
                *s = step(load(a, at + 8 * j), load(b, at + 8 * j), *s);
            }
            at += 32;
        }
        while at + 8 <= n {
            acc[0] = step(load(a, at), load(b, at), acc[0]);
            at += 8;
        }
        let total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        // 8 lanes → 4 → 2 → 1
        let quad = _mm_add_ps(
            _mm256_castps256_ps128(total),
            _mm256_extractf128_ps::<1>(total),
        );
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        let one = _mm_add_ss(pair, _mm_shuffle_ps::<0b01>(pair, pair));
        let tail: f32 = (a[at..].iter().zip(&b[at..]))
            .map(|(&x, &y)| if L2 { (x - y) * (x - y) } else { x * y })
            .sum();
        _mm_cvtss_f32(one) + tail
    }
    /// [`sum`] of `q` against four vectors at once: one load of `q` serves four
    /// multiply-adds, and the four vectors stream from memory side by side.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn sum4<const L2: bool>(q: &[f32], xs: [&[f32]; 4]) -> [f32; 4] {
        let n = xs.iter().fold(q.len(), |n, x| n.min(x.len()));
        // SAFETY: as in `sum`, `at + 8 ≤ n` ≤ every slice's length.
        let load = |x: &[f32], at: usize| unsafe { _mm256_loadu_ps(x.as_ptr().add(at)) };
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut at = 0;
        while at + 8 <= n {
            let y = load(q, at);
            for (s, x) in acc.iter_mut().zip(xs) {
                *s = if L2 {
                    let d = _mm256_sub_ps(load(x, at), y);
                    _mm256_fmadd_ps(d, d, *s)
                } else {
                    _mm256_fmadd_ps(load(x, at), y, *s)
                };
            }
            at += 8;
        }
        let mut out = [0.0; 4];
        for ((o, s), x) in out.iter_mut().zip(acc).zip(xs) {
            let quad = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
            let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
            let one = _mm_add_ss(pair, _mm_shuffle_ps::<0b01>(pair, pair));
            let tail: f32 = (q[at..n].iter().zip(&x[at..n]))
                .map(|(&a, &b)| if L2 { (a - b) * (a - b) } else { a * b })
                .sum();
            *o = _mm_cvtss_f32(one) + tail;
        }
        out
    }
}

/// `Σᵢ u·v` where `(u, v) = factors(aᵢ, bᵢ)`, in 16 lanes (the portable loop of the
/// module doc).
#[inline(always)]
fn sum_lanes(a: &[f32], b: &[f32], factors: impl Fn(f32, f32) -> (f32, f32)) -> f32 {
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
            acc[i] += u * v;
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

    /// Both kernels on every length from 0 to 80 (32-steps, 8-steps, every tail), against
    /// an f64 loop; and the portable copy against the dispatched one.
    #[test]
    fn kernels_match_a_plain_loop() {
        for n in 0..=80 {
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
            let portable = sum_lanes(&a, &b, difference);
            assert!(
                (portable - l2_squared(&a, &b)).abs() < 1e-5,
                "portable, n = {n}"
            );
            let c: Vec<f32> = a.iter().map(|x| x * 2.0).collect();
            let xs = [&b[..], &c, &a, &b];
            let (l2, dots) = (l2_squared_4(&a, xs), dot_4(&a, xs));
            for (j, x) in xs.into_iter().enumerate() {
                assert!((l2[j] - l2_squared(&a, x)).abs() < 1e-4, "l2_4, n = {n}");
                assert!((dots[j] - dot(&a, x)).abs() < 1e-4, "dot_4, n = {n}");
            }
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
