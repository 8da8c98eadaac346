//! Loops 2 and 1 of the GEMM loop nest and the AVX2+FMA micro-kernel at their centre
//! (see [`super::blocking`] for the whole nest).
//!
//! The micro-kernel computes one `MR × NR` tile of C from an `MR × kc` micro-panel of
//! packed A and a `kc × NR` micro-panel of packed B, keeping the whole tile in
//! registers for the `kc` steps:
//!
//! ```text
//! for p in 0..kc:                          f32, MR × NR = 6 × 16:
//!   b0, b1 = B~[p, 0..8], B~[p, 8..16]      2 vector loads
//!   for i in 0..6:
//!     a = broadcast(A~[p, i])               1 broadcast load
//!     acc[i][0] += a · b0                   2 FMAs
//!     acc[i][1] += a · b1
//! C[tile] (+)= acc                          12 accumulators, written once at the end
//! ```
//!
//! Why 6 × 16: x86-64 has 16 vector registers of 256 bits (8 f32 or 4 f64 lanes).
//! 12 accumulators + 2 B vectors + 1 broadcast = 15 registers. Each step does 12 FMAs
//! for 8 loads; Zen 3 issues 2 FMAs and 3 loads per cycle, so the FMA units, not the
//! loads, set the pace: the kernel can run at peak. Every FMA of a step is
//! independent, and 12 chains cover the FMA latency (4 cycles × 2 units = 8 in
//! flight needed). f64 uses the same shape in registers, 6 × 8 (4 lanes each).
//! The measurement (and a 4 × 24 alternative) is in `BENCHMARKS.md`.
//!
//! Edge tiles (fewer than MR rows or NR columns left) run the same full-size kernel
//! into a small buffer on the stack (the packed panels are zero-padded, so the extra
//! lanes compute zeros), and only the valid part is copied to C.
//!
//! `unsafe` lives here and in [`super::pack`] only. The public functions are safe:
//! [`macro_kernel`] asserts the buffer sizes it relies on, and the CPU features are
//! proved by an [`Avx2Fma`] token that only [`Avx2Fma::detect`] can make.

use std::arch::x86_64::{
    __m256, __m256d, _MM_HINT_T0, _mm_prefetch, _mm256_add_pd, _mm256_add_ps, _mm256_broadcast_sd,
    _mm256_broadcast_ss, _mm256_fmadd_pd, _mm256_fmadd_ps, _mm256_loadu_pd, _mm256_loadu_ps,
    _mm256_setzero_pd, _mm256_setzero_ps, _mm256_storeu_pd, _mm256_storeu_ps,
};
use std::mem::MaybeUninit;

use ndarray::ArrayViewMut2;

/// Proof that this CPU has AVX2 and FMA: a zero-sized token that only
/// [`Avx2Fma::detect`] can make, required by every entry into this module.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2Fma(());

impl Avx2Fma {
    /// The token if the CPU supports AVX2 and FMA (checked at run time; the answer
    /// is cached by the standard library, so this is cheap).
    pub(crate) fn detect() -> Option<Avx2Fma> {
        (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")).then_some(Avx2Fma(()))
    }
}

/// One 256-bit register of `f32` or `f64` lanes and the four operations the
/// micro-kernel needs. The methods are `unsafe` because they need AVX2+FMA (the
/// kernel that inlines them is compiled for both) and valid pointers.
pub(crate) trait Simd:
    Copy + Default + Send + Sync + std::ops::Add<Output = Self> + 'static
{
    /// The register type (`__m256` or `__m256d`).
    type V: Copy;
    /// Lanes per register: 8 for f32, 4 for f64.
    const LANES: usize;
    /// Rows of the register tile, `MR`.
    const MR: usize;
    /// Columns of the register tile, `NR = LANES × registers per row`.
    const NR: usize;
    /// All lanes zero.
    unsafe fn zeroed() -> Self::V;
    /// `LANES` values from `p` (any alignment).
    unsafe fn load(p: *const Self) -> Self::V;
    /// `*p` in every lane.
    unsafe fn splat(p: *const Self) -> Self::V;
    /// `a · b + c`, one rounding (fused multiply-add).
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a + b`.
    unsafe fn plus(a: Self::V, b: Self::V) -> Self::V;
    /// Store `LANES` values at `p` (any alignment).
    unsafe fn store(p: *mut Self, v: Self::V);
    /// Loops 2 and 1 over a packed block with this type's tile shape: calls
    /// [`macro_kernel_with`] with `MR` and `NR / LANES` as const parameters.
    fn macro_kernel(cpu: Avx2Fma, kc: usize, a: &[Self], b: &[Self], c: Tile<Self>, acc: bool);
}

// SAFETY (every method of both impls): the intrinsics need AVX2 and FMA, which the
// caller guarantees (they are only reached from `micro_kernel`, compiled with those
// features and entered through an `Avx2Fma` token); loads and stores touch `LANES`
// elements from `p`, which the caller guarantees are valid.
impl Simd for f32 {
    type V = __m256;
    const LANES: usize = 8;
    const MR: usize = 6;
    const NR: usize = 16;
    #[inline(always)]
    unsafe fn zeroed() -> __m256 {
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f32) -> __m256 {
        unsafe { _mm256_broadcast_ss(&*p) }
    }
    #[inline(always)]
    unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn plus(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        unsafe { _mm256_storeu_ps(p, v) }
    }
    fn macro_kernel(cpu: Avx2Fma, kc: usize, a: &[f32], b: &[f32], c: Tile<f32>, acc: bool) {
        macro_kernel_with::<f32, 6, 2>(cpu, kc, a, b, c, acc);
    }
}

impl Simd for f64 {
    type V = __m256d;
    const LANES: usize = 4;
    const MR: usize = 6;
    const NR: usize = 8;
    #[inline(always)]
    unsafe fn zeroed() -> __m256d {
        unsafe { _mm256_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m256d {
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f64) -> __m256d {
        unsafe { _mm256_broadcast_sd(&*p) }
    }
    #[inline(always)]
    unsafe fn fma(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn plus(a: __m256d, b: __m256d) -> __m256d {
        unsafe { _mm256_add_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m256d) {
        unsafe { _mm256_storeu_pd(p, v) }
    }
    fn macro_kernel(cpu: Avx2Fma, kc: usize, a: &[f64], b: &[f64], c: Tile<f64>, acc: bool) {
        macro_kernel_with::<f64, 6, 2>(cpu, kc, a, b, c, acc);
    }
}

/// A block of C being computed: uninitialised until its first `kc` block is stored.
pub(crate) type Tile<'a, T> = ArrayViewMut2<'a, MaybeUninit<T>>;

/// Loops 2 and 1: every `MR × NR` tile of the block `c` (`rows × cols`) from packed
/// A (`⌈rows/MR⌉` micro-panels of `MR × kc`) and packed B (`⌈cols/NR⌉` micro-panels
/// of `kc × NR`). With `accumulate` the tiles are added to C (a later `kc` block),
/// otherwise they overwrite it (C may be uninitialised).
///
/// The B micro-panel is the outer loop so that it stays in L1 while the A
/// micro-panels stream past it from L2.
///
/// # Panics
/// If the packed buffers are shorter than the shapes above (the kernel reads them
/// with unchecked pointers, so this is checked first).
fn macro_kernel_with<T: Simd, const MR: usize, const NV: usize>(
    _cpu: Avx2Fma,
    kc: usize,
    a: &[T],
    b: &[T],
    mut c: Tile<T>,
    accumulate: bool,
) {
    let nr = NV * T::LANES;
    debug_assert_eq!((MR, nr), (T::MR, T::NR));
    let (rows, cols) = c.dim();
    let (row_panels, col_panels) = (rows.div_ceil(MR), cols.div_ceil(nr));
    assert!(
        a.len() >= row_panels * MR * kc && b.len() >= col_panels * nr * kc,
        "internal error: packed panels too short for the block; this is a bug"
    );
    let [rsc, csc] = [c.strides()[0], c.strides()[1]];
    let c = c.as_mut_ptr().cast::<T>();
    for s in 0..col_panels {
        let b_panel = b[s * nr * kc..].as_ptr();
        let width = nr.min(cols - s * nr);
        for r in 0..row_panels {
            let a_panel = a[r * MR * kc..].as_ptr();
            let height = MR.min(rows - r * MR);
            // The top-left element of this tile in C.
            let offset = (r * MR) as isize * rsc + (s * nr) as isize * csc;
            if height == MR && width == nr && csc == 1 {
                // SAFETY: the CPU has AVX2+FMA (the token); the panels hold MR·kc and
                // kc·NR elements from their starts (asserted above); the tile's MR rows
                // of NR contiguous elements (csc = 1) lie inside the view `c`, whose
                // element (i, j) is at i·rsc + j·csc for i < rows, j < cols.
                unsafe {
                    micro_kernel::<T, MR, NV>(
                        kc,
                        a_panel,
                        b_panel,
                        c.offset(offset),
                        rsc,
                        accumulate,
                    );
                }
            } else {
                // An edge tile, or C's columns not contiguous: compute the full tile
                // into a row-major buffer, then copy the part that exists.
                // (Left uninitialised: zero-filling it cost a memset per edge tile.)
                let mut buf = [[MaybeUninit::<T>::uninit(); 32]; MR];
                assert!(nr <= 32, "internal error: NR > 32; this is a bug");
                // SAFETY: as above for the panels; `buf` holds MR rows of 32 ≥ NR
                // contiguous elements, row stride 32, written (not read) by the kernel.
                unsafe {
                    micro_kernel::<T, MR, NV>(
                        kc,
                        a_panel,
                        b_panel,
                        buf.as_mut_ptr().cast(),
                        32,
                        false,
                    );
                }
                for (i, row) in buf.iter().enumerate().take(height) {
                    for (j, value) in row.iter().enumerate().take(width) {
                        let at = offset + i as isize * rsc + j as isize * csc;
                        // SAFETY: i < height ≤ rows - r·MR and j < width ≤ cols - s·NR,
                        // so (r·MR + i, s·NR + j) is an element of the view `c`; it was
                        // written by the previous kc block when `accumulate` is set.
                        // `value` (i < MR, j < NR) was written by the kernel above.
                        unsafe {
                            let value = value.assume_init();
                            let p = c.offset(at);
                            *p = if accumulate { *p + value } else { value };
                        }
                    }
                }
            }
        }
    }
}

/// The micro-kernel: `C[0..MR, 0..NR] (+)= A~ · B~` over `kc` steps, where `a` is an
/// `MR × kc` micro-panel stored column by column (`a[p·MR + i]`) and `b` a `kc × NR`
/// micro-panel stored row by row (`b[p·NR + j]`), `NR = NV · LANES`. C's rows start
/// `rsc` elements apart and are contiguous.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `a` must be valid for `MR·kc` reads, `b` for
/// `kc·NR` reads, and `c + i·rsc + j` for reads (if `accumulate`) and writes for every
/// `i < MR`, `j < NR`.
#[target_feature(enable = "avx2,fma")]
unsafe fn micro_kernel<T: Simd, const MR: usize, const NV: usize>(
    kc: usize,
    a: *const T,
    b: *const T,
    c: *mut T,
    rsc: isize,
    accumulate: bool,
) {
    let nr = NV * T::LANES;
    // SAFETY: the features are enabled for this function; every pointer below stays
    // in the ranges the caller guarantees (p < kc, i < MR, v·LANES + LANES ≤ NR).
    unsafe {
        // Ask for C's tile now, so it is in L1 when the sum is added to it, kc steps
        // later (an MR × NR tile spans at most 2 cache lines per row).
        for i in 0..MR {
            let row = c.offset(i as isize * rsc).cast::<i8>();
            _mm_prefetch::<_MM_HINT_T0>(row);
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(nr * size_of::<T>() - 1));
        }
        let mut acc = [[T::zeroed(); NV]; MR];
        for p in 0..kc {
            let mut bv = [T::zeroed(); NV];
            for (v, b_reg) in bv.iter_mut().enumerate() {
                *b_reg = T::load(b.add(p * nr + v * T::LANES));
            }
            for (i, row) in acc.iter_mut().enumerate() {
                let a_reg = T::splat(a.add(p * MR + i));
                for (acc_reg, &b_reg) in row.iter_mut().zip(&bv) {
                    *acc_reg = T::fma(a_reg, b_reg, *acc_reg);
                }
            }
        }
        for (i, row) in acc.iter().enumerate() {
            for (v, &acc_reg) in row.iter().enumerate() {
                let p = c.offset(i as isize * rsc).add(v * T::LANES);
                let value = if accumulate {
                    T::plus(T::load(p), acc_reg)
                } else {
                    acc_reg
                };
                T::store(p, value);
            }
        }
    }
}
