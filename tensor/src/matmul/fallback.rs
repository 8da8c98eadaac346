//! The portable path: `matrixmultiply`'s `sgemm` / `dgemm`, used where our SIMD
//! kernels cannot run (another architecture, an x86-64 CPU without AVX2+FMA) or
//! when [`super::force_tier`] asks for it (tests and benchmarks).
//!
//! `matrixmultiply` follows the same plan as [`super::blocking`] (packing, cache
//! blocks, a register-tile micro-kernel) with portable block sizes, and accepts any
//! strides, so it takes the views as they are. Its own threading stays off: for a
//! large product we cut C into one block of rows (or columns) per rayon thread.

use std::any::TypeId;
use std::mem::MaybeUninit;

use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::dtype::Float;

/// `c = a · b` on `threads` rayon threads (see [`split_gemm`]); every element of `c`
/// is written, so it may start uninitialised.
pub(crate) fn gemm<T: Float>(
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    c: ArrayViewMut2<MaybeUninit<T>>,
    threads: usize,
) {
    if threads > 1 {
        split_gemm(a, b, c, threads);
    } else {
        one_gemm(a, b, c);
    }
}

/// One product `c = a · b` cut into one block of output rows per thread (or columns,
/// if the output is wider than tall), each block an independent gemm:
///
/// ```text
/// [ a₀ ]         [ a₀·b ]            a · [ b₀ b₁ ] = [ a·b₀  a·b₁ ]
/// [ a₁ ] · b  =  [ a₁·b ]
/// ```
fn split_gemm<T: Float>(
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    mut c: ArrayViewMut2<MaybeUninit<T>>,
    threads: usize,
) {
    // Round blocks up to a multiple of 8 so the micro-kernel's tiles stay full.
    let block = |len: usize| len.div_ceil(threads).div_ceil(8).max(1) * 8;
    let (m, n) = c.dim();
    if m >= n {
        let rows = block(m);
        c.axis_chunks_iter_mut(Axis(0), rows)
            .into_par_iter()
            .zip(a.axis_chunks_iter(Axis(0), rows))
            .for_each(|(c, a)| one_gemm(a, b, c));
    } else {
        let cols = block(n);
        c.axis_chunks_iter_mut(Axis(1), cols)
            .into_par_iter()
            .zip(b.axis_chunks_iter(Axis(1), cols))
            .for_each(|(c, b)| one_gemm(a, b, c));
    }
}

/// `c = a · b` for one matrix each on the calling thread; every element of `c` is
/// written, so it may start uninitialised. Every view is passed as `(pointer, row
/// stride, column stride)`, so any layout (transposed, broadcast with stride 0,
/// sliced) is read in place.
fn one_gemm<T: Float>(a: ArrayView2<T>, b: ArrayView2<T>, mut c: ArrayViewMut2<MaybeUninit<T>>) {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    // These checks make the unsafe call below sound: keep them as real asserts.
    assert!(
        k == k2 && c.dim() == (m, n),
        "internal error: gemm shapes; this is a bug"
    );
    let [rsa, csa] = [a.strides()[0], a.strides()[1]];
    let [rsb, csb] = [b.strides()[0], b.strides()[1]];
    let [rsc, csc] = [c.strides()[0], c.strides()[1]];
    let t = TypeId::of::<T>();
    // SAFETY: each view guarantees that `ptr + i·row_stride + j·col_stride` is a valid
    // element for every i < rows, j < cols, which is exactly what `sgemm`/`dgemm` read
    // (a: m×k, b: k×n) and write (c: m×n); the shapes agree (asserted above). `c` is a
    // mutable view of a buffer made by `matmul_arrays`, so it aliases neither input, and
    // its strides come from a row-major array, so no two of its elements overlap (the
    // kernel's only requirement on C; A and B may use any stride, including 0).
    // beta = 0 means C is overwritten, never read, so uninitialised C is fine. The
    // pointer casts are to T itself (MaybeUninit<T> has T's layout): the TypeId test
    // proves T is f32 (resp. f64).
    unsafe {
        if t == TypeId::of::<f32>() {
            let (a, b, c) = (a.as_ptr().cast(), b.as_ptr().cast(), c.as_mut_ptr().cast());
            matrixmultiply::sgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, csc);
        } else if t == TypeId::of::<f64>() {
            let (a, b, c) = (a.as_ptr().cast(), b.as_ptr().cast(), c.as_mut_ptr().cast());
            matrixmultiply::dgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, csc);
        } else {
            unreachable!("internal error: Float is only f32 and f64; this is a bug");
        }
    }
}
