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
pub(crate) fn pack_panel<T: Copy + Default>(
    x: &ArrayView2<T>,
    row0: usize,
    width: usize,
    dst: &mut [T],
) {
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
    match (width, height == width, s0 == 1) {
        // Columns contiguous (B row-major): each step's values are one slice.
        (32, true, true) => columns_contiguous::<T, 32>(first, s1, kc, out),
        (16, true, true) => columns_contiguous::<T, 16>(first, s1, kc, out),
        (8, true, true) => columns_contiguous::<T, 8>(first, s1, kc, out),
        (_, _, true) => {
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
        // Full panels of the kernel's widths get a loop with a constant width,
        // which the compiler turns into straight-line code.
        // (A's MR of every tier and dtype, B's NR.)
        (6, true, _) => rows_contiguous::<T, 6>(first, s0, s1, kc, out),
        (8, true, _) => rows_contiguous::<T, 8>(first, s0, s1, kc, out),
        (12, true, _) => rows_contiguous::<T, 12>(first, s0, s1, kc, out),
        (14, true, _) => rows_contiguous::<T, 14>(first, s0, s1, kc, out),
        (16, true, _) => rows_contiguous::<T, 16>(first, s0, s1, kc, out),
        (32, true, _) => rows_contiguous::<T, 32>(first, s0, s1, kc, out),
        _ => {
            for p in 0..kc {
                for i in 0..height {
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

/// [`pack_panel`] for a full panel of constant width `W` whose columns are contiguous
/// (`s0 = 1`, B row-major): one copy of `W` values per step, a few vector moves.
fn columns_contiguous<T: Copy, const W: usize>(first: *const T, s1: isize, kc: usize, out: *mut T) {
    for p in 0..kc {
        // SAFETY: x[i, p] for i < W = height are the W values from `first + p·s1`, and
        // slots p·W .. p·W + W exist (see `pack_panel`, the only caller).
        unsafe {
            let column = first
                .offset(p as isize * s1)
                .cast::<[T; W]>()
                .read_unaligned();
            out.add(p * W).cast::<[T; W]>().write_unaligned(column);
        }
    }
}

/// [`pack_panel`] for a full panel of constant width `W` and any strides (row-major
/// A, transposed B: `s1 = 1`): reading goes row by row in pieces of 8 steps (one
/// 32-byte piece of a row-major f32 row), so at most W·8 values are in flight and
/// the W rows' cache lines are each used whole before moving on.
fn rows_contiguous<T: Copy, const W: usize>(
    first: *const T,
    s0: isize,
    s1: isize,
    kc: usize,
    out: *mut T,
) {
    const STEPS: usize = 8;
    for p0 in (0..kc).step_by(STEPS) {
        for i in 0..W {
            for p in p0..(p0 + STEPS).min(kc) {
                // SAFETY: i < W = height and p < kc: the element and the slot exist
                // (see `pack_panel`, the only caller, which checked both).
                unsafe {
                    *out.add(p * W + i) = *first.offset(i as isize * s0 + p as isize * s1);
                }
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

/// The element types with per-thread packing buffers (f32, f64).
pub(crate) trait Packable: Copy + Default + 'static {
    /// This thread's buffer `which` for this type.
    fn buffer(which: Buffer) -> &'static LocalKey<Cell<Vec<Self>>>;
}

impl Packable for f32 {
    fn buffer(which: Buffer) -> &'static LocalKey<Cell<Vec<f32>>> {
        match which {
            Buffer::A => &F32_A,
            Buffer::B => &F32_B,
        }
    }
}

impl Packable for f64 {
    fn buffer(which: Buffer) -> &'static LocalKey<Cell<Vec<f64>>> {
        match which {
            Buffer::A => &F64_A,
            Buffer::B => &F64_B,
        }
    }
}

/// Run `f` on `len` elements of this thread's buffer `which`, starting on a 64-byte
/// boundary (one cache line, so the kernel's vector loads never straddle two lines).
/// The buffer is taken out of its slot while `f` runs, so a nested call on the same
/// thread (rayon may run another task while this one waits) gets a fresh one.
pub(crate) fn with_buffer<T: Packable, R>(
    which: Buffer,
    len: usize,
    f: impl FnOnce(&mut [T]) -> R,
) -> R {
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
