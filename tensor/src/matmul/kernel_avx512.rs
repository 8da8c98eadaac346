//! The AVX-512 tier: 32 vector registers of 512 bits (16 f32 or 8 f64 lanes), twice
//! the work per instruction of AVX2 (the shared kernel is in [`super::kernel`]).
//!
//! ```text
//! f32: MR × NR = 12 × 32 (2 registers per row)   f64: 12 × 16 (2 registers of 8)
//! registers: 24 accumulators + 2 B vectors + 1 broadcast = 27 of 32
//! per step:  24 FMAs for 2 + 12 = 14 loads
//! ```
//!
//! The broadcast of A's value is one load instruction (`vbroadcastss zmm, [a]`,
//! no shuffle), shared by the row's two FMAs.
//!
//! Why 12 × 32. Candidates fill 32 registers to different degrees; a stand-alone
//! micro-benchmark ran each kernel over a packed 256 KiB A block and 1024 columns
//! of B (loops 2 and 1, as here) on the 2 GHz Sapphire Rapids VM, GFLOP per
//! CPU-second, best of 15, two runs (the VM is shared, so ±10% is noise):
//!
//! ```text
//! f32 MR × NR  accumulators  kc = 128     kc = 192     kc = 256
//! 12 × 32      24            82 / 77      122 / 112    84* / 125
//! 14 × 32      28            81 / 86      125 / 114    128 / 127
//!  8 × 48      24            112 / 119    124 / 114    121 / 127
//!  9 × 48      27            119 / 120    121 / 120    116 / 122
//!  6 × 64      24            106 / 118    119 / 112    119 / 125
//!  4 × 64      16            112 / 117    100 / 92     88 / 93
//! f64 12 × 16 / 14 × 16 / 8 × 24 / 6 × 32: 54–60 for all at every kc
//! ```
//!
//! (* a disturbed run.) With a deep enough `kc` every tile of 24+ accumulators
//! reaches ~125 GFLOP/s f32 (~60 f64; 16 accumulators fall short), about half of the
//! FMA peak measured on that machine later (≈ 240 GFLOP/s f32, `benches/fma.rs`: the
//! cores ran near 3.7 GHz, not the 2 GHz first assumed). As every shape stops at the
//! same figure, the choice is made by the rest of the gemm: 12 rows keep the loads per
//! FMA low (`(2 + 12) / 24`), leave registers spare, and make `MR` a divisor of the
//! common 12·k row counts; 32 columns are two registers, so B's packing and the edge
//! tiles stay the same shape as in AVX2. At kc = 128 the 12- and 14-row tiles lose:
//! C's rows, 4 KiB apart when n = 1024, share one L1 set, and the tile is stored
//! twice as often as at kc = 256 (see `KC` in [`super::blocking`]).

use std::arch::x86_64::{
    __m512, __m512d, _mm512_add_pd, _mm512_add_ps, _mm512_fmadd_pd, _mm512_fmadd_ps,
    _mm512_loadu_pd, _mm512_loadu_ps, _mm512_set1_pd, _mm512_set1_ps, _mm512_setzero_pd,
    _mm512_setzero_ps, _mm512_storeu_pd, _mm512_storeu_ps,
};

/// Proof that this CPU has AVX-512F: a zero-sized token that only [`Isa::detect`](super::kernel::Isa::detect)
/// can make, required by every entry into the kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

impl_isa!(Avx512, "avx512f", is_x86_feature_detected!("avx512f"));

impl_simd!(Avx512, f32, __m512, lanes 16, tile 12 x 2,
    _mm512_setzero_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
    _mm512_storeu_ps);
impl_simd!(Avx512, f64, __m512d, lanes 8, tile 12 x 2,
    _mm512_setzero_pd, _mm512_loadu_pd, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd,
    _mm512_storeu_pd);
