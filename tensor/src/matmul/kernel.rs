//! Loops 2 and 1 of the GEMM loop nest and the micro-kernel at their centre, written
//! once for every instruction set (see [`super::blocking`] for the whole nest; the
//! instruction sets are [`super::kernel_avx512`] and [`super::kernel_avx2`]).
//!
//! The micro-kernel computes one `MR × NR` tile of C from an `MR × kc` micro-panel of
//! packed A and a `kc × NR` micro-panel of packed B, keeping the whole tile in
//! registers for the `kc` steps. With `NV` vector registers per row of the tile
//! (`NR = NV · LANES`):
//!
//! ```text
//! for p in 0..kc:                          e.g. AVX-512 f32, MR × NR = 12 × 32:
//!   b[v] = B~[p, v·LANES ..][..LANES]       NV = 2 vector loads
//!   for i in 0..MR:
//!     a = broadcast(A~[p, i])               1 broadcast (folded into the FMA)
//!     acc[i][v] += a · b[v]  for each v     NV FMAs
//! C[tile] (+)= acc                          MR·NV accumulators, written once at the end
//! ```
//!
//! What fixes `MR × NR` for an instruction set: the tile must fit the vector
//! registers with the `NV` B vectors and a broadcast (`MR·NV + NV + 1 ≤ registers`);
//! each step needs `NV + MR` loads for `MR·NV` FMAs, and the CPU issues 2 FMAs but
//! only 2–3 loads per cycle, so `MR·NV` must be well above `(NV + MR) / 1.5`; and
//! `MR·NV` independent accumulators must cover the FMA latency (4 cycles × 2 units =
//! 8 in flight). Each instruction set's file gives its numbers and measurements.
//!
//! Edge tiles run the same kernel (the packed panels are zero-padded, so the extra
//! rows and lanes compute zeros), with fewer rows for the bottom edge: a 4- or 8-row
//! tile ([`tail_rows`]), which stores only the rows that exist. With fewer than NR
//! columns, it writes into a small buffer on the stack, and only the valid part is
//! copied to C.
//!
//! `unsafe` lives in the kernels and [`super::pack`] only. The public functions are
//! safe: [`macro_kernel_with`] asserts the buffer sizes it relies on, and the CPU
//! features are proved by an [`Isa`] token that only its `detect` can make.

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, ArrayViewMut2};

/// An instruction set with a micro-kernel, as a zero-sized proof token: a value of
/// the type exists only if `detect` found the CPU features, so holding one is the
/// permission to run the kernel.
pub(crate) trait Isa: Copy + Send + Sync + 'static {
    /// The token if this CPU supports the instruction set (checked at run time; the
    /// standard library caches the answer, so this is cheap).
    fn detect() -> Option<Self>;

    /// [`micro_kernel`] compiled with this instruction set's target features.
    ///
    /// # Safety
    /// As [`micro_kernel`]; the token proves the features. Each instruction set
    /// implements this with [`impl_isa!`].
    unsafe fn micro_kernel<T: Simd<Self>, const MR: usize, const NV: usize, const PACKED: bool>(
        self,
        call: Call<T>,
    );
}

/// `impl Isa for $isa` (a token struct `$isa(())`): `detect` checks `$detect`, and
/// `micro_kernel` enters [`micro_kernel`] through a function compiled with the
/// target features `$features`.
macro_rules! impl_isa {
    ($isa:ident, $features:literal, $detect:expr) => {
        impl $crate::matmul::kernel::Isa for $isa {
            fn detect() -> Option<$isa> {
                ($detect).then_some($isa(()))
            }

            unsafe fn micro_kernel<T, const MR: usize, const NV: usize, const PACKED: bool>(
                self,
                call: $crate::matmul::kernel::Call<T>,
            ) where
                T: $crate::matmul::kernel::Simd<$isa>,
            {
                /// The kernel compiled for this instruction set.
                ///
                /// # Safety
                /// As `micro_kernel`, on a CPU with the features.
                #[target_feature(enable = $features)]
                unsafe fn compiled<T, const MR: usize, const NV: usize, const PACKED: bool>(
                    call: $crate::matmul::kernel::Call<T>,
                ) where
                    T: $crate::matmul::kernel::Simd<$isa>,
                {
                    // SAFETY: the caller's contract is the kernel's.
                    unsafe { $crate::matmul::kernel::micro_kernel::<$isa, T, MR, NV, PACKED>(call) }
                }
                // SAFETY: the token (`self`) proves the features; the rest is the
                // caller's contract.
                unsafe { compiled::<T, MR, NV, PACKED>(call) }
            }
        }
    };
}

/// One micro-kernel call: an `MR × kc` micro-panel of A, packed column by column
/// (`a[p·MR + i]`) or read in place (`a[i·rsa + p·csa]`), a `kc × NR` micro-panel of
/// B whose rows of `NR` contiguous values start `rsb` apart (`b[p·rsb + j]`: `NR`
/// when packed, B's row stride when read in place), and the tile of C they update:
/// its first `rows ≤ MR` rows of `NR` contiguous elements starting `rsc` apart,
/// overwritten, or added to with `accumulate` (the other rows of the register tile
/// are dropped).
#[derive(Clone, Copy)]
pub(crate) struct Call<T> {
    pub kc: usize,
    pub a: *const T,
    /// A's row and column strides when read in place (unused when packed).
    pub rsa: isize,
    pub csa: isize,
    pub b: *const T,
    pub rsb: isize,
    pub c: *mut T,
    pub rsc: isize,
    pub rows: usize,
    pub accumulate: bool,
}

/// The element types `f32` and `f64` in the vector registers of instruction set `I`:
/// the register type, the tile shape, and the six operations the micro-kernel needs.
/// The operations are `unsafe` because they need `I`'s features (the kernel that
/// inlines them is compiled with them) and valid pointers.
pub(crate) trait Simd<I: Isa>:
    Copy + Default + Send + Sync + std::ops::Add<Output = Self> + 'static
{
    /// The register type (e.g. `__m512` for f32 in AVX-512).
    type V: Copy;
    /// Lanes per register (e.g. 16 for f32 in AVX-512).
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
    /// Loops 2 and 1 over a packed block with this tile shape: calls
    /// [`macro_kernel_with`] with `MR` and `NR / LANES` as const parameters (array
    /// lengths cannot be computed from a generic's constants in stable Rust).
    fn macro_kernel(cpu: I, kc: usize, a: Panels<Self>, b: Panels<Self>, c: Tile<Self>, acc: bool);
}

/// `impl Simd<$isa> for $t`: the register type, the tile `MR × NV` registers, and
/// the intrinsics of the six operations (each a single instruction), so the
/// instruction-set files state only what differs between them.
macro_rules! impl_simd {
    ($isa:ty, $t:ty, $v:ty, lanes $lanes:literal, tile $mr:literal x $nv:literal,
     $zero:ident, $load:ident, $splat:ident, $fma:ident, $add:ident, $store:ident) => {
        // SAFETY (every method): the intrinsics need the instruction set's features,
        // which the caller guarantees (they are only reached from its
        // `Isa::micro_kernel`, compiled with them and entered through its token);
        // loads and stores touch `LANES` elements from `p`, which the caller
        // guarantees are valid.
        impl $crate::matmul::kernel::Simd<$isa> for $t {
            type V = $v;
            const LANES: usize = $lanes;
            const MR: usize = $mr;
            const NR: usize = $nv * $lanes;
            #[inline(always)]
            unsafe fn zeroed() -> $v {
                unsafe { $zero() }
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> $v {
                unsafe { $load(p) }
            }
            #[inline(always)]
            unsafe fn splat(p: *const $t) -> $v {
                unsafe { $splat(*p) }
            }
            #[inline(always)]
            unsafe fn fma(a: $v, b: $v, c: $v) -> $v {
                unsafe { $fma(a, b, c) }
            }
            #[inline(always)]
            unsafe fn plus(a: $v, b: $v) -> $v {
                unsafe { $add(a, b) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: $v) {
                unsafe { $store(p, v) }
            }
            fn macro_kernel(
                cpu: $isa,
                kc: usize,
                a: $crate::matmul::kernel::Panels<$t>,
                b: $crate::matmul::kernel::Panels<$t>,
                c: $crate::matmul::kernel::Tile<$t>,
                acc: bool,
            ) {
                $crate::matmul::kernel::macro_kernel_with::<$isa, $t, $mr, $nv>(
                    cpu, kc, a, b, c, acc,
                );
            }
        }
    };
}

/// A block of C being computed: uninitialised until its first `kc` block is stored.
pub(crate) type Tile<'a, T> = ArrayViewMut2<'a, MaybeUninit<T>>;

/// The widest `NR` of any instruction set (AVX-512 f32: 2 × 16 lanes, with room for
/// a 4-register row): the row length of the edge tiles' stack buffer.
const MAX_NR: usize = 64;

/// A block of A (`rows × kc`) or of Bᵀ (B's `cols` columns as rows, `× kc`) as
/// loops 2 and 1 read it, in micro-panels of `width` rows (`MR` for A, `NR` for
/// Bᵀ): packed, `⌈rows/width⌉` micro-panels of `width × kc` (see [`super::pack`]);
/// or, when packing would cost more than it saves (see [`super::blocking`]), the
/// block itself, read in place through its strides, with only its last, partial
/// micro-panel packed (so that the kernel's reads stay inside the block).
pub(crate) enum Panels<'a, T> {
    /// All micro-panels packed.
    Packed(&'a [T]),
    /// Full micro-panels read in place from `block`, the partial one (if any) packed
    /// in `last`.
    InPlace {
        block: ArrayView2<'a, T>,
        last: &'a [T],
    },
}

/// One micro-panel as the kernel reads it: first element, strides of its rows and
/// of its steps, and whether it is packed (strides 1 and its width).
type Panel<T> = (*const T, isize, isize, bool);

impl<'a, T> Panels<'a, T> {
    /// Whether the panels cover a block of `rows × kc` in micro-panels of `width`
    /// rows, for a kernel that reads `last_reads` rows of the last, partial one (if
    /// any): the kernel reads them through unchecked pointers, so this is asserted
    /// before it runs. In place, the partial panel is packed in `last` unless the
    /// block has all the rows the kernel reads.
    fn cover(&self, rows: usize, width: usize, kc: usize, last_reads: usize) -> bool {
        match self {
            Panels::Packed(packed) => packed.len() >= rows.div_ceil(width) * width * kc,
            Panels::InPlace { block, last } => {
                let tail = rows % width;
                block.dim() == (rows, kc)
                    && (tail == 0 || tail >= last_reads || last.len() >= width * kc)
            }
        }
    }

    /// Micro-panel `index` (rows `index·width ..`, depth `kc`) for a kernel that reads its first
    /// `reads ≤ width` rows: its first element, the strides of its rows and steps,
    /// and whether it is packed. Read in place if the block has all `reads` rows,
    /// else from the packed `last`.
    fn panel(&self, index: usize, width: usize, kc: usize, reads: usize) -> Panel<T> {
        let packed = |p: &[T]| (p.as_ptr(), 1, width as isize, true);
        match self {
            Panels::Packed(all) => packed(&all[index * width * kc..]),
            Panels::InPlace { block, .. } if (index * width + reads) <= block.nrows() => {
                let [rs, cs] = [block.strides()[0], block.strides()[1]];
                let first = block
                    .as_ptr()
                    .wrapping_offset((index * width) as isize * rs);
                (first, rs, cs, false)
            }
            Panels::InPlace { last, .. } => packed(last),
        }
    }

    /// The panels of rows `first .. first + len` (`first` a multiple of `width`; the
    /// packed `last` belongs to the block's end, so in place `first + len` must be
    /// the end or a multiple of `width`).
    pub(crate) fn rows(&self, first: usize, len: usize, width: usize, kc: usize) -> Panels<'a, T> {
        match self {
            Panels::Packed(all) => {
                Panels::Packed(&all[first * kc..(first + len).next_multiple_of(width) * kc])
            }
            Panels::InPlace { block, last } => Panels::InPlace {
                block: super::blocking::block(*block, first..first + len, 0..block.ncols()),
                last,
            },
        }
    }
}

/// Loops 2 and 1: every `MR × NR` tile of the block `c` (`rows × cols`) from A's
/// block `a` (`rows × kc`) and Bᵀ's block `b` (`cols × kc`, see [`Panels`]). With
/// `accumulate` the tiles are added to C (a later `kc` block), otherwise they
/// overwrite it (C may be uninitialised).
///
/// The B micro-panel is the outer loop so that it stays in L1 while the A
/// micro-panels stream past it from L2.
///
/// # Panics
/// If the panels do not cover the blocks (the kernel reads them with unchecked
/// pointers, so this is checked first), or Bᵀ read in place has no unit stride
/// along its rows (the kernel loads `NR` consecutive values of each row of B).
pub(crate) fn macro_kernel_with<I: Isa, T: Simd<I>, const MR: usize, const NV: usize>(
    cpu: I,
    kc: usize,
    a: Panels<T>,
    b: Panels<T>,
    mut c: Tile<T>,
    accumulate: bool,
) {
    let nr = NV * T::LANES;
    assert!(
        (MR, nr) == (T::MR, T::NR) && nr <= MAX_NR,
        "internal error: tile shape; this is a bug"
    );
    let (rows, cols) = c.dim();
    let b_unit = match &b {
        Panels::InPlace { block, .. } => block.strides()[0] == 1 || cols <= 1,
        Panels::Packed(_) => true,
    };
    assert!(
        a.cover(rows, MR, kc, tail_rows(rows % MR, MR)) && b.cover(cols, nr, kc, nr) && b_unit,
        "internal error: panels do not cover the block; this is a bug"
    );
    let [rsc, csc] = [c.strides()[0], c.strides()[1]];
    let c = c.as_mut_ptr().cast::<T>();
    for s in 0..cols.div_ceil(nr) {
        // B's micro-panel: packed (rows NR apart) or in place (B's row stride).
        let (b_panel, _, rsb, _) = b.panel(s, nr, kc, nr);
        let width = nr.min(cols - s * nr);
        for r in 0..rows.div_ceil(MR) {
            let height = MR.min(rows - r * MR);
            let kernel_rows = tail_rows(height, MR);
            let (a_panel, rsa, csa, packed) = a.panel(r, MR, kc, kernel_rows);
            // The top-left element of this tile in C.
            let offset = (r * MR) as isize * rsc + (s * nr) as isize * csc;
            // Tiles of full width with contiguous rows are computed in place (only
            // their `height` rows stored); a right-edge tile, or C's columns not
            // contiguous, into a row-major buffer, and then the part that exists is
            // copied. (The buffer is left uninitialised: zero-filling it cost a
            // memset per edge tile.)
            let in_place = width == nr && csc == 1;
            let mut buf = [[MaybeUninit::<T>::uninit(); MAX_NR]; MR];
            // Where the kernel writes: C itself, or the buffer (then added to C below).
            let (target, target_rsc, target_rows, target_accumulates) = if in_place {
                (c.wrapping_offset(offset), rsc, height, accumulate)
            } else {
                (buf.as_mut_ptr().cast(), MAX_NR as isize, kernel_rows, false)
            };
            let call = Call {
                kc,
                a: a_panel,
                rsa,
                csa,
                b: b_panel,
                rsb,
                c: target,
                rsc: target_rsc,
                rows: target_rows,
                accumulate: target_accumulates,
            };
            // SAFETY: the token proves the CPU features. The panels cover the blocks
            // (asserted above): a packed micro-panel holds width·kc elements from its
            // start, read through strides (1, width); a micro-panel read in place has
            // its element (i, p) at i·rs + p·cs from its first, inside its block's
            // view, for p < kc and i < the rows the kernel reads (`kernel_rows` of A,
            // NR of Bᵀ, unit stride: asserted), which `Panels::panel` checked exist.
            // In place, the tile's first `height` rows of NR contiguous elements
            // (csc = 1) lie inside the view `c`, whose element (i, j) is at
            // i·rsc + j·csc for i < rows, j < cols; otherwise `buf` holds MR ≥
            // kernel_rows rows of MAX_NR ≥ NR elements (asserted above), written (not
            // read) by the kernel.
            unsafe {
                match (kernel_rows, packed) {
                    (4, _) => cpu.micro_kernel::<T, 4, NV, false>(call),
                    (8, _) => cpu.micro_kernel::<T, 8, NV, false>(call),
                    (_, true) => cpu.micro_kernel::<T, MR, NV, true>(call),
                    (_, false) => cpu.micro_kernel::<T, MR, NV, false>(call),
                }
            }
            if !in_place {
                // SAFETY: the tile's `height ≤ rows - r·MR` rows and `width ≤ cols -
                // s·NR` columns from `offset` are elements of the view `c`, written by
                // the previous kc block when `accumulate` is set; the kernel above
                // wrote the first `kernel_rows ≥ height` rows of NR ≥ width values of
                // `buf`.
                unsafe {
                    store_edge(
                        &buf,
                        c.wrapping_offset(offset),
                        [rsc, csc],
                        [height, width],
                        accumulate,
                    )
                };
            }
        }
    }
}

/// Write (or with `accumulate` add) the `height × width` values at the top left of
/// `buf`, an edge tile the kernel computed, to C's tile whose element (i, j) is at
/// `c + i·rsc + j·csc`. Out of line, as right-edge tiles are few: inlined into
/// [`macro_kernel_with`], this copy made its loop several times larger, and that
/// loop runs once per tile (three times in a whole 32³ product).
///
/// # Safety
/// For `i < height`, `j < width`: `buf[i][j]` is initialised, and `c + i·rsc +
/// j·csc` is valid for writes, and for reads of an initialised value with
/// `accumulate`.
#[inline(never)]
unsafe fn store_edge<T: Copy + std::ops::Add<Output = T>, const MR: usize>(
    buf: &[[MaybeUninit<T>; MAX_NR]; MR],
    c: *mut T,
    [rsc, csc]: [isize; 2],
    [height, width]: [usize; 2],
    accumulate: bool,
) {
    for (i, row) in buf.iter().enumerate().take(height) {
        for (j, value) in row.iter().enumerate().take(width) {
            // SAFETY: i < height, j < width: the caller's contract.
            unsafe {
                let value = value.assume_init();
                let p = c.offset(i as isize * rsc + j as isize * csc);
                *p = if accumulate { *p + value } else { value };
            }
        }
    }
}

/// Rows of the register tile that computes a micro-panel of `height ≤ mr` rows:
/// `mr` for a full one; for the last, partial one the smallest of 4, 8 and `mr`
/// that covers it, so that e.g. 32 rows with `MR` = 12 cost 12 + 12 + 8 rows of
/// FMAs, not 36 (at 32³ that tail was a ninth of the arithmetic). When `height` is
/// exactly 4 or 8, A's rows can also be read in place (see [`super::blocking`]).
pub(crate) fn tail_rows(height: usize, mr: usize) -> usize {
    match height {
        h if h == mr => mr,
        0..=4 => 4,
        5..=8 if mr > 8 => 8,
        _ => mr,
    }
}

/// The micro-kernel: `C[0..MR, 0..NR] (+)= A~ · B~` over `kc` steps for one [`Call`],
/// `NR = NV · LANES`, with A packed (`PACKED`: the strides are the constants 1 and
/// MR, so each broadcast is one load at a fixed offset) or read in place (the
/// call's strides).
///
/// Always inlined into [`Isa::micro_kernel`], which compiles it with the
/// instruction set's features (so `T`'s operations become single instructions).
///
/// # Safety
/// The CPU must support `I`; `a + i·rsa + p·csa` (packed: `a + i + p·MR`) must be
/// valid for reads for `i < MR`, `p < kc`, `b + p·rsb + j` for `p < kc`, `j < NR`,
/// and `c + i·rsc + j` for reads (if `accumulate`) and writes for every
/// `i < rows ≤ MR`, `j < NR`.
#[inline(always)]
pub(crate) unsafe fn micro_kernel<
    I: Isa,
    T: Simd<I>,
    const MR: usize,
    const NV: usize,
    const PACKED: bool,
>(
    call: Call<T>,
) {
    let Call {
        kc,
        a,
        rsa,
        csa,
        b,
        rsb,
        c,
        rsc,
        rows,
        accumulate,
    } = call;
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    let nr = NV * T::LANES;
    let (rsa, csa) = if PACKED { (1, MR as isize) } else { (rsa, csa) };
    // SAFETY: the caller guarantees the features; every pointer below stays in the
    // ranges the caller guarantees (p < kc, i < rows ≤ MR, v·LANES + LANES ≤ NR).
    unsafe {
        // Ask for C's tile now, so it is in L1 when the sum is added to it, kc steps
        // later (a row of the tile spans at most 2 cache lines when NR·size ≤ 64 B,
        // and its first and last line otherwise: the middle ones follow by the
        // hardware prefetcher).
        for i in 0..rows.min(MR) {
            let row = c.offset(i as isize * rsc).cast::<i8>();
            _mm_prefetch::<_MM_HINT_T0>(row);
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(nr * size_of::<T>() - 1));
        }
        let mut acc = [[T::zeroed(); NV]; MR];
        for p in 0..kc {
            let mut bv = [T::zeroed(); NV];
            for (v, b_reg) in bv.iter_mut().enumerate() {
                *b_reg = T::load(b.offset(p as isize * rsb).add(v * T::LANES));
            }
            for (i, row) in acc.iter_mut().enumerate() {
                let a_reg = T::splat(a.offset(i as isize * rsa + p as isize * csa));
                for (acc_reg, &b_reg) in row.iter_mut().zip(&bv) {
                    *acc_reg = T::fma(a_reg, b_reg, *acc_reg);
                }
            }
        }
        for (i, row) in acc.iter().enumerate().take(rows) {
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
