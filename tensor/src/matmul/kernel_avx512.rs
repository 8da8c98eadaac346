//! The AVX-512 tier: 32 vector registers of 512 bits (16 f32 or 8 f64 lanes), twice
//! the work per instruction of AVX2 (the shared kernel is in [`super::kernel`]).
//!
//! ```text
//! f32: MR × NR = 12 × 32 (2 registers per row)   f64: 12 × 16 (2 registers of 8)
//! registers: 24 accumulators + 2 B vectors (+ broadcasts) of 32
//! per step:  24 FMAs for 2 + 12 = 14 loads
//! ```
//!
//! The broadcast of A's value needs no register of its own: the compiler folds it
//! into the FMA as an embedded-broadcast memory operand (`vfmadd231ps zmm, zmm,
//! [a]{1to16}`).
//!
//! TILE-CHOICE

use std::arch::x86_64::{
    __m512, __m512d, _mm512_add_pd, _mm512_add_ps, _mm512_fmadd_pd, _mm512_fmadd_ps,
    _mm512_loadu_pd, _mm512_loadu_ps, _mm512_set1_pd, _mm512_set1_ps, _mm512_setzero_pd,
    _mm512_setzero_ps, _mm512_storeu_pd, _mm512_storeu_ps,
};

use super::kernel::{Isa, Simd, micro_kernel};

/// Proof that this CPU has AVX-512F: a zero-sized token that only [`Isa::detect`]
/// can make, required by every entry into the kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

impl Isa for Avx512 {
    fn detect() -> Option<Avx512> {
        is_x86_feature_detected!("avx512f").then_some(Avx512(()))
    }

    unsafe fn micro_kernel<T: Simd<Self>, const MR: usize, const NV: usize>(
        self,
        kc: usize,
        a: *const T,
        b: *const T,
        c: *mut T,
        rsc: isize,
        accumulate: bool,
    ) {
        // SAFETY: the token proves AVX-512F; the rest is the caller's contract.
        unsafe { with_avx512::<T, MR, NV>(kc, a, b, c, rsc, accumulate) }
    }
}

/// [`micro_kernel`] compiled for AVX-512F.
///
/// # Safety
/// As [`micro_kernel`], with the CPU supporting AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn with_avx512<T: Simd<Avx512>, const MR: usize, const NV: usize>(
    kc: usize,
    a: *const T,
    b: *const T,
    c: *mut T,
    rsc: isize,
    accumulate: bool,
) {
    // SAFETY: the caller's contract is the kernel's.
    unsafe { micro_kernel::<Avx512, T, MR, NV>(kc, a, b, c, rsc, accumulate) }
}

impl_simd!(Avx512, f32, __m512, lanes 16, tile 12 x 2,
    _mm512_setzero_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
    _mm512_storeu_ps);
impl_simd!(Avx512, f64, __m512d, lanes 8, tile 12 x 2,
    _mm512_setzero_pd, _mm512_loadu_pd, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd,
    _mm512_storeu_pd);
