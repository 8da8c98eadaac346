//! The AVX2+FMA tier: 16 vector registers of 256 bits (8 f32 or 4 f64 lanes), for
//! x86-64 CPUs without AVX-512 (the shared kernel is in [`super::kernel`]).
//!
//! ```text
//! f32: MR × NR = 6 × 16 (2 registers per row)    f64: 6 × 8 (2 registers of 4)
//! registers: 12 accumulators + 2 B vectors + 1 broadcast = 15 of 16
//! per step:  12 FMAs for 2 + 6 = 8 loads
//! ```
//!
//! Why 6 × 16: it is the largest tile that fits 16 registers with the B vectors and
//! the broadcast. Zen 3 issues 2 FMAs and 3 loads per cycle, so the 12 FMAs of a
//! step (6 cycles) hide its 8 loads, and the 12 independent accumulators cover the
//! FMA latency (4 cycles × 2 units = 8 in flight). It ran at ~90% of the AVX2 peak
//! here (measured, with a 4 × 24 alternative, in `BENCHMARKS.md`).

use std::arch::x86_64::{
    __m256, __m256d, _mm256_add_pd, _mm256_add_ps, _mm256_fmadd_pd, _mm256_fmadd_ps,
    _mm256_loadu_pd, _mm256_loadu_ps, _mm256_set1_pd, _mm256_set1_ps, _mm256_setzero_pd,
    _mm256_setzero_ps, _mm256_storeu_pd, _mm256_storeu_ps,
};

/// Proof that this CPU has AVX2 and FMA: a zero-sized token that only
/// [`Isa::detect`] can make, required by every entry into the kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2Fma(());

impl_isa!(
    Avx2Fma,
    "avx2,fma",
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
);

impl_simd!(Avx2Fma, f32, __m256, lanes 8, tile 6 x 2,
    _mm256_setzero_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps,
    _mm256_storeu_ps);
impl_simd!(Avx2Fma, f64, __m256d, lanes 4, tile 6 x 2,
    _mm256_setzero_pd, _mm256_loadu_pd, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd,
    _mm256_storeu_pd);
