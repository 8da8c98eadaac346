//! Packing: copying a block of A or B into the order the micro-kernel reads it.
//!
//! The micro-kernel (see [`super::kernel_avx2`]) walks `kc` steps; at step `p` it
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
    // `x`'s element (i, p) is at `origin + i·s0 + p·s1`.
    let origin = x.as_ptr();
    if s1 == 1 {
        // Each row of x is contiguous along p (A row-major, or B a transposed view):
        // read each row sequentially, write it with stride `width`.
        for i in 0..height {
            let row = dst[i..].iter_mut().step_by(width);
            for (p, d) in row.enumerate() {
                // SAFETY: i < height ≤ len - row0 and p < kc (dst[i..] stepped by width
                // yields kc slots), so (row0 + i, p) is an element of the view `x`,
                // which guarantees its address is valid for reads while `x` lives.
                *d = unsafe { *origin.offset((row0 + i) as isize * s0 + p as isize) };
            }
        }
    } else {
        // Columns contiguous (B row-major) or any other strides: for each step p,
        // gather the panel's `height` values, written contiguously.
        for (p, out) in dst.chunks_exact_mut(width).enumerate() {
            for (i, d) in out[..height].iter_mut().enumerate() {
                // SAFETY: as above: p < kc (kc chunks of width), i < height.
                *d = unsafe { *origin.offset((row0 + i) as isize * s0 + p as isize * s1) };
            }
        }
    }
    if height < width {
        for p in 0..kc {
            dst[p * width + height..(p + 1) * width].fill(T::default());
        }
    }
}

/// A buffer of `len` elements starting on a 64-byte boundary (one cache line), so
/// the micro-kernel's vector loads never straddle two lines.
pub(crate) struct Aligned<T> {
    storage: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy + Default> Aligned<T> {
    /// A zeroed buffer of `len` elements, aligned to 64 bytes.
    pub(crate) fn new(len: usize) -> Aligned<T> {
        let slack = 64 / size_of::<T>();
        let storage = vec![T::default(); len + slack];
        let start = storage.as_ptr().align_offset(64);
        assert!(start <= slack, "internal error: alignment; this is a bug");
        Aligned {
            storage,
            start,
            len,
        }
    }

    /// The aligned elements.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.storage[self.start..self.start + self.len]
    }
}
