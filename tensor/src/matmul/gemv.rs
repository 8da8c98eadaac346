//! One row times a matrix, `c = a · B` with `m = 1`: the shape of every step of
//! incremental decoding (one new token through each `Linear`), done without the GEMM's
//! packing.
//!
//! ```text
//! c[j] = Σ_p a[p] · B[p, j]                         a: [k]   B: [k, n]   c: [n]
//! B's rows contiguous (B row-major):     c = Σ_p a[p] · B[p, ..]     k scaled row adds
//! B's columns contiguous (B = Wᵀ):       c[j] = ⟨a, W[j, ..]⟩        n dot products
//! ```
//! The GEMM packs panels of `B` so that its micro-kernel can compute an `MR × NR` tile
//! of `C` per step. With one row that is a bad trade: packing reads and writes all of
//! `B` to use it once, and the tile computes `MR` rows of which one is wanted. Here
//! `B` is read once, in its own order. Any other layout (no unit stride) goes to the
//! GEMM. Dot products are [`crate::lanes::dot`]'s (16 partial sums, so they vectorise).
//! Read next: [`super::blocking`].

use std::mem::MaybeUninit;

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1};

use crate::dtype::Float;
use crate::lanes::dot;

/// `c = a · b` for one row `a` if `b` has a unit stride (rows or columns contiguous),
/// writing every element of `c`; `false` (nothing written) for any other layout.
pub(super) fn row_times_matrix<T: Float>(
    a: ArrayView1<T>,
    b: ArrayView2<T>,
    mut c: ArrayViewMut1<MaybeUninit<T>>,
) -> bool {
    let a = a.as_standard_layout(); // k elements: a copy only if `a` is strided
    let a = a
        .as_slice()
        .expect("internal error: a standard-layout row is a slice; this is a bug");
    let (k, n) = b.dim();
    let [row_stride, col_stride] = [b.strides()[0], b.strides()[1]];
    if col_stride == 1 || n == 1 {
        // B's rows are contiguous: c accumulates a[p] · B[p, ..] over p, in order.
        let mut sums = vec![T::zero(); n];
        for (p, &ap) in a.iter().enumerate() {
            let row = b.row(p);
            let row = row
                .as_slice()
                .expect("internal error: a unit-stride row is a slice; this is a bug");
            sums.iter_mut()
                .zip(row)
                .for_each(|(s, &v)| *s = *s + ap * v);
        }
        c.iter_mut()
            .zip(sums)
            .for_each(|(c, s)| *c = MaybeUninit::new(s));
        true
    } else if row_stride == 1 || k == 1 {
        // B's columns are contiguous (B = Wᵀ, W row-major): one dot product each.
        for (j, cj) in c.iter_mut().enumerate() {
            let column = b.column(j);
            let column = column
                .as_slice()
                .expect("internal error: a unit-stride column is a slice; this is a bug");
            *cj = MaybeUninit::new(dot(a, column));
        }
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};

    use super::*;

    /// `row_times_matrix` of `a` and `b`, or `None` if it declines the layout.
    fn product(a: &Array1<f64>, b: ArrayView2<f64>) -> Option<Vec<f64>> {
        let mut c = Array1::from_elem(b.ncols(), MaybeUninit::uninit());
        if !row_times_matrix(a.view(), b, c.view_mut()) {
            return None;
        }
        // SAFETY: row_times_matrix wrote every element when it returned true.
        Some(unsafe { c.assume_init() }.to_vec())
    }

    #[test]
    fn both_layouts_equal_the_naive_sum_and_others_are_declined() {
        let (k, n) = (37, 21); // not multiples of the 16 partial sums
        let a = Array1::from_shape_fn(k, |p| (p as f64 * 0.37).sin());
        let b = Array2::from_shape_fn((k, n), |(p, j)| ((p * n + j) as f64 * 0.11).cos());
        let naive: Vec<f64> = (0..n)
            .map(|j| (0..k).map(|p| a[p] * b[[p, j]]).sum())
            .collect();
        let close = |got: Vec<f64>| got.iter().zip(&naive).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(product(&a, b.view()).unwrap())); // rows contiguous
        let w = b.t().as_standard_layout().into_owned(); // [n, k] row-major
        assert!(close(product(&a, w.t()).unwrap())); // columns contiguous
        let strided = Array2::from_shape_fn((2 * k, 2 * n), |(p, j)| b[[p / 2, j / 2]]);
        let every_other = strided.slice(ndarray::s![..;2, ..;2]);
        assert!(product(&a, every_other).is_none());
    }
}
