//! Packing: copying a block of A or B into the order the micro-kernel reads it.
//!
//! The micro-kernel (see [`super::kernel`]) walks `kc` steps; at step `p` it
//! wants `MR` consecutive values of A's column `p` and `NR` consecutive values of
//! B's row `p`. Packing lays each *micro-panel* out exactly like that, once per
//! block, so the kernel reads memory strictly sequentially whatever the strides of
//! the original (row-major, transposed, sliced or broadcast):
//!
//! ```text
//! A block (rows × kc), MR = 3:            packed A~: one micro-panel per MR rows
//!   a00 a01 a02 a03                          a00 a10 a20 | a01 a11 a21 | a02 ...   (panel 0)
//!   a10 a11 a12 a13                          a30 a40  0  | a31 a41  0  | ...       (panel 1,
//!   a20 a21 a22 a23                                                        zero-padded)
//!   a30 a31 a32 a33
//!   a40 a41 a42 a43
//! ```
//!
//! Packing B is the same operation on Bᵀ: a micro-panel of `NR` columns of B is a
//! micro-panel of `NR` rows of Bᵀ. So there is one function, [`pack_panel`], applied
//! to A with width `MR` and to Bᵀ with width `NR`.
//!
//! The copy is cheap next to the arithmetic it feeds (each packed A value is used
//! `nc` times, each packed B value `mc` times), and it is where transposed operands
//! stop costing anything: the loop order below follows whichever stride is 1, so
//! reading a transposed view is as sequential as reading a row-major one.

use std::cell::Cell;
use std::thread::LocalKey;

use ndarray::ArrayView2;

/// Pack rows `row0 .. row0 + width` of `x` (`len × kc`, any strides) into `dst` as
/// one micro-panel: `dst[p·width + i] = x[row0 + i, p]`, rows past the end of `x`
/// filled with zeros (so edge tiles can run the full-size kernel).
///
/// # Panics
/// If `dst` is shorter than `width · kc` or `row0 > len`.
pub(crate) fn pack_panel<T: Packable>(x: &ArrayView2<T>, row0: usize, width: usize, dst: &mut [T]) {
    let (len, kc) = x.dim();
    assert!(
        row0 <= len && dst.len() >= width * kc,
        "internal error: pack_panel bounds; this is a bug"
    );
    let dst = &mut dst[..width * kc];
    let height = width.min(len - row0); // rows that exist; the rest are padding
    let [s0, s1] = [x.strides()[0], x.strides()[1]];
    // `x`'s element (row0 + i, p) is at `first + i·s0 + p·s1`; it exists for
    // i < height ≤ len - row0 and p < kc, and the view guarantees its address is
    // valid for reads while `x` lives. `dst[p·width + i]` exists for i < width, p < kc.
    // `wrapping_offset`: computing the pointer is safe, only reading it needs care.
    let first = x.as_ptr().wrapping_offset(row0 as isize * s0);
    let out = dst.as_mut_ptr();
    match (height == width, s0 == 1) {
        // Columns contiguous (B row-major, A transposed): each step's values are one
        // slice, a constant-size copy for the widths in use.
        // SAFETY: all `width = height` rows exist, see above.
        (true, true) if unsafe { columns_contiguous(first, s1, kc, width, 1, out) } => {}
        (_, true) => {
            for p in 0..kc {
                // SAFETY: elements (i, p) for i < height are `height` consecutive
                // values from `first + p·s1` (s0 = 1), see above; the destination
                // slots p·width .. p·width + height exist and do not overlap `x`.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        first.offset(p as isize * s1),
                        out.add(p * width),
                        height,
                    );
                }
                dst[p * width + height..(p + 1) * width].fill(T::default());
            }
        }
        // Rows contiguous (A row-major, B transposed) or no stride 1 at all: a
        // transpose, in SIMD blocks where s1 = 1.
        _ => {
            if s1 == 1 {
                transpose_blocks(first, s0, height, kc, width, out);
            }
            // The rest one value at a time: the rows and steps the blocks left
            // (all of them if s1 ≠ 1), then the zero padding.
            let block = if s1 == 1 { T::BLOCK } else { usize::MAX };
            let (rows_done, steps_done) = (height / block * block, kc / block * block);
            if (rows_done, steps_done, height) == (width, kc, width) {
                return; // all done in blocks (the usual case): skip kc empty passes
            }
            for p in 0..kc {
                let from = if p < steps_done { rows_done } else { 0 };
                for i in from..height {
                    // SAFETY: i < height, p < kc: see above.
                    unsafe {
                        *out.add(p * width + i) = *first.offset(i as isize * s0 + p as isize * s1);
                    }
                }
                dst[p * width + height..(p + 1) * width].fill(T::default());
            }
        }
    }
}

/// Pack all of `x` (`len × kc`, any strides) into `dst` as its ⌈len / width⌉
/// micro-panels of `width` rows, one after the other (`width · kc` values each, the
/// last one zero-padded): [`pack_panel`] for each, except that when `x`'s columns
/// are contiguous (`s0 = 1`: a transposed A, as in the weight gradient `gᵀ · x` of
/// a linear layer) its full panels are packed together, [`STEPS_TOGETHER`] steps at
/// a time ([`columns_contiguous`]).
///
/// Why together. Step `p` of a transposed A is a column of `g`, `len` contiguous
/// values, and the next step's column is a whole row of `g` further on (32 KB for
/// 8000 outputs). Panel by panel, every panel reads `MR` values (48 bytes, part of a
/// cache line) from each of `kc` columns: each of the block's lines is requested in
/// pieces, one panel at a time, far apart in memory, so the hardware prefetcher
/// never sees a stream. Together, each column is read as one run of `len` values.
/// Share of packing in the time of kernel + packing for `[8000, 1024]ᵀ · [1024,
/// 256]` (`perf record`, f32, AVX-512): 27% with a `memcpy` call per step and
/// panel, 21% with constant-size copies panel by panel, 12% together (the product
/// from ~87 to ~105 GFLOP per CPU-second).
///
/// # Panics
/// If `dst` is shorter than `⌈len / width⌉ · width · kc`.
pub(crate) fn pack_block<T: Packable>(x: &ArrayView2<T>, width: usize, dst: &mut [T]) {
    let (len, kc) = x.dim();
    let panels = len.div_ceil(width);
    assert!(
        dst.len() >= panels * width * kc,
        "internal error: pack_block bounds; this is a bug"
    );
    let full = len / width;
    // SAFETY: with s0 = 1, x's element (i, p) for i < full · width ≤ len and p < kc is
    // at `x.as_ptr() + i + p·s1`, inside the view; `dst`, a buffer of its own, has
    // panels · width · kc ≥ full · width · kc slots.
    let together = x.strides()[0] == 1
        && full > 1
        && unsafe {
            columns_contiguous(
                x.as_ptr(),
                x.strides()[1],
                kc,
                width,
                full,
                dst.as_mut_ptr(),
            )
        };
    let done = if together { full } else { 0 };
    for (i, panel) in dst
        .chunks_mut(width * kc)
        .enumerate()
        .take(panels)
        .skip(done)
    {
        pack_panel(x, i * width, width, panel);
    }
}

/// Steps of a block of A that [`pack_block`] copies into all of its panels before
/// moving on: an A block has at most `A_BLOCK_BYTES / KC` = 1 KiB per step (see
/// [`super::blocking`]), so the 16 columns being read (16 KiB) stay in L1 while
/// every panel takes its part of them.
const STEPS_TOGETHER: usize = 16;

/// Pack `panels` full micro-panels of `width` rows whose columns are contiguous
/// (`s0 = 1`: B row-major, A transposed): step `p` of panel `j` is the `width`
/// values from `first + j·width + p·s1`, copied to `out + (j·kc + p)·width`, one
/// constant-size copy (a few vector moves) each, for the widths in use (`NR`: 32,
/// 16, 8; `MR`: 12, 6). Returns false, having done nothing, for any other width.
/// (A copy of run-time length is a call to `memcpy` per step.)
///
/// # Safety
/// For `i < panels · width`, `p < kc`, `first + i + p·s1` must be valid for reads,
/// and `out` for writes of `panels · width · kc` values not overlapping them.
unsafe fn columns_contiguous<T: Copy>(
    first: *const T,
    s1: isize,
    kc: usize,
    width: usize,
    panels: usize,
    out: *mut T,
) -> bool {
    // SAFETY: the caller's contract, for W = width.
    unsafe {
        match width {
            32 => copy_columns::<T, 32>(first, s1, kc, panels, out),
            16 => copy_columns::<T, 16>(first, s1, kc, panels, out),
            12 => copy_columns::<T, 12>(first, s1, kc, panels, out),
            8 => copy_columns::<T, 8>(first, s1, kc, panels, out),
            6 => copy_columns::<T, 6>(first, s1, kc, panels, out),
            _ => return false,
        }
    }
    true
}

/// [`columns_contiguous`] for the constant width `W`, [`STEPS_TOGETHER`] steps of
/// every panel at a time.
///
/// # Safety
/// As [`columns_contiguous`] with `width = W`.
unsafe fn copy_columns<T: Copy, const W: usize>(
    first: *const T,
    s1: isize,
    kc: usize,
    panels: usize,
    out: *mut T,
) {
    for p0 in (0..kc).step_by(STEPS_TOGETHER) {
        for j in 0..panels {
            for p in p0..kc.min(p0 + STEPS_TOGETHER) {
                // SAFETY: j·W + W ≤ panels · W rows of step p < kc, and slot
                // (j·kc + p)·W + W ≤ panels · W · kc: the caller's contract.
                unsafe {
                    let column = first
                        .offset(p as isize * s1)
                        .add(j * W)
                        .cast::<[T; W]>()
                        .read_unaligned();
                    out.add((j * kc + p) * W)
                        .cast::<[T; W]>()
                        .write_unaligned(column);
                }
            }
        }
    }
}

/// The part of [`pack_panel`] for rows with unit stride (`s1 = 1`: row-major A,
/// transposed B) that whole `BLOCK × BLOCK` squares cover: each square is read as
/// `BLOCK` vectors, one per row, transposed in registers and written as `BLOCK`
/// vectors, one per step (`out[p·width + i] = x[i, p]`):
///
/// ```text
///   x (rows i, steps p)         out (one line per step p)
///   a0 a1 a2 a3                 a0 b0 c0 d0 | ...
///   b0 b1 b2 b3     ──────►     a1 b1 c1 d1 | ...
///   c0 c1 c2 c3                 a2 b2 c2 d2 | ...
///   d0 d1 d2 d3                 a3 b3 c3 d3 | ...
/// ```
///
/// Steps outermost: each row's cache line is read on `64 / (BLOCK · size)`
/// consecutive steps while the panel's `width` lines stay in L1, and `out` is
/// written strictly in order.
fn transpose_blocks<T: Packable>(
    first: *const T,
    s0: isize,
    height: usize,
    kc: usize,
    width: usize,
    out: *mut T,
) {
    let b = T::BLOCK;
    for p0 in (0..kc / b * b).step_by(b) {
        for i0 in (0..height / b * b).step_by(b) {
            // SAFETY: rows i0 .. i0 + b < height and steps p0 .. p0 + b ≤ kc exist, at
            // `first + i·s0 + p` (s1 = 1); the slots p·width + i for those p and i
            // exist (see `pack_panel`, the only caller).
            unsafe {
                T::transpose(
                    first.offset(i0 as isize * s0 + p0 as isize),
                    s0,
                    out.add(p0 * width + i0),
                    width,
                );
            }
        }
    }
}

/// Which packing buffer: one for A's block, one for B's, per thread.
#[derive(Clone, Copy)]
pub(crate) enum Buffer {
    /// The packed A block, `MC × KC` (each task's own).
    A,
    /// The packed B block, `KC × NC` (shared by the tasks of one product).
    B,
}

thread_local! {
    // Packing buffers are reused from call to call: allocating and freeing a few
    // hundred KiB per product made the kernel map fresh pages every time (page faults
    // took ~20% of a 256³ product).
    static F32_A: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static F32_B: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static F64_A: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
    static F64_B: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// The element types with per-thread packing buffers and an in-register transpose
/// (f32, f64).
pub(crate) trait Packable: Copy + Default + 'static {
    /// Side of the square [`Packable::transpose`] moves: the values in one 128-bit
    /// SSE2 register (4 f32, 2 f64). SSE2 is part of x86-64, so packing needs no
    /// run-time feature check; the shuffles, not the loads, bound its speed.
    const BLOCK: usize;

    /// This thread's buffer `which` for this type.
    fn buffer(which: Buffer) -> &'static LocalKey<Cell<Vec<Self>>>;

    /// Write the transpose of the `BLOCK × BLOCK` square whose row `r` is the
    /// `BLOCK` values from `src + r·stride`: `dst[q·width + r] = src[r·stride + q]`.
    ///
    /// # Safety
    /// Those `BLOCK` values of each of the `BLOCK` rows must be readable, and
    /// `dst + q·width + r` writable for `q, r < BLOCK`, not overlapping the source.
    unsafe fn transpose(src: *const Self, stride: isize, dst: *mut Self, width: usize);
}

impl Packable for f32 {
    const BLOCK: usize = 4;

    fn buffer(which: Buffer) -> &'static LocalKey<Cell<Vec<f32>>> {
        match which {
            Buffer::A => &F32_A,
            Buffer::B => &F32_B,
        }
    }

    #[inline(always)]
    unsafe fn transpose(src: *const f32, stride: isize, dst: *mut f32, width: usize) {
        use std::arch::x86_64::{
            _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps,
            _mm_unpacklo_ps,
        };
        // SAFETY: the caller's contract: 4 values from each src + r·stride, r < 4,
        // and 4 slots from each dst + q·width, q < 4.
        unsafe {
            let [a, b, c, d] = [0, 1, 2, 3].map(|r| _mm_loadu_ps(src.offset(r * stride)));
            let (ab01, cd01) = (_mm_unpacklo_ps(a, b), _mm_unpacklo_ps(c, d)); // a0 b0 a1 b1
            let (ab23, cd23) = (_mm_unpackhi_ps(a, b), _mm_unpackhi_ps(c, d)); // a2 b2 a3 b3
            let columns = [
                _mm_movelh_ps(ab01, cd01), // a0 b0 c0 d0
                _mm_movehl_ps(cd01, ab01), // a1 b1 c1 d1
                _mm_movelh_ps(ab23, cd23),
                _mm_movehl_ps(cd23, ab23),
            ];
            for (q, column) in columns.into_iter().enumerate() {
                _mm_storeu_ps(dst.add(q * width), column);
            }
        }
    }
}

impl Packable for f64 {
    const BLOCK: usize = 2;

    fn buffer(which: Buffer) -> &'static LocalKey<Cell<Vec<f64>>> {
        match which {
            Buffer::A => &F64_A,
            Buffer::B => &F64_B,
        }
    }

    #[inline(always)]
    unsafe fn transpose(src: *const f64, stride: isize, dst: *mut f64, width: usize) {
        use std::arch::x86_64::{_mm_loadu_pd, _mm_storeu_pd, _mm_unpackhi_pd, _mm_unpacklo_pd};
        // SAFETY: the caller's contract: 2 values from src and from src + stride, and
        // 2 slots from dst and from dst + width.
        unsafe {
            let (a, b) = (_mm_loadu_pd(src), _mm_loadu_pd(src.offset(stride)));
            _mm_storeu_pd(dst, _mm_unpacklo_pd(a, b)); // a0 b0
            _mm_storeu_pd(dst.add(width), _mm_unpackhi_pd(a, b)); // a1 b1
        }
    }
}

/// Run `f` on `len` elements of this thread's buffer `which`, starting on a 64-byte
/// boundary (one cache line, so the kernel's vector loads never straddle two lines).
/// The buffer is taken out of its slot while `f` runs, so a nested call on the same
/// thread (rayon may run another task while this one waits) gets a fresh one. With
/// `len` 0 (nothing to pack: a small product read in place) the slot is not touched.
pub(crate) fn with_buffer<T: Packable, R>(
    which: Buffer,
    len: usize,
    f: impl FnOnce(&mut [T]) -> R,
) -> R {
    if len == 0 {
        return f(&mut []);
    }
    let slot = T::buffer(which);
    let mut storage = slot.take();
    let slack = 64 / size_of::<T>();
    if storage.len() < len + slack {
        storage.resize(len + slack, T::default());
    }
    let start = storage.as_ptr().align_offset(64);
    assert!(start <= slack, "internal error: alignment; this is a bug");
    let result = f(&mut storage[start..start + len]);
    slot.set(storage);
    result
}
