//! Loops over rows and lanes: the iteration that fused kernels share, here (softmax,
//! layer_norm) and in the backward kernels of autograd's fused ops. Nothing here knows
//! any math: each loop takes the per-row or per-lane kernel as a closure over slices.
//!
//! ```text
//! row:   n consecutive elements of a row-major buffer ([R, n] seen as R rows)
//! lane:  the elements along one dim, the others fixed (x[a, :, c] is a lane of dim 1)
//! ```
//! Large inputs are spread over rayon ([`crate::parallel`] decides). Lanes along the
//! last dim of a row-major tensor are rows, read in place; any other lane is copied
//! into a buffer first, so kernels only ever see contiguous slices.
//! Read next: [`crate::softmax`], the first user.

use ndarray::{ArcArray, ArrayD, ArrayView1, ArrayViewMut1, Axis, IxDyn, Zip};
use rayon::prelude::*;

use crate::dtype::{Element, Float, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::parallel::worth_parallel;
use crate::shape::normalize_dim;
use crate::tensor::{Tensor, check_float, check_same_dtype};

/// The elements of a row-major tensor as one slice, without copying.
///
/// # Panics
/// If `t` is not row-major (a transposed view, say) or its dtype is not `T`'s.
///
/// # Examples
/// ```
/// # use ferrograd::tensor::{Tensor, lanes};
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(lanes::as_slice::<f32>(&x), &[1.0, 2.0, 3.0, 4.0]);
/// ```
#[track_caller]
pub fn as_slice<T: Element>(t: &Tensor) -> &[T] {
    t.array::<T>().as_slice().unwrap_or_else(|| {
        Error::new(
            "as_slice",
            ErrorKind::Shape,
            format!(
                "the tensor of shape {:?} is not row-major (strides {:?})",
                t.shape(),
                t.strides()
            ),
        )
        .with_hint("call .contiguous() first")
        .raise()
    })
}

/// Run `row(i, out_row)` over the rows of `out`, `n` elements each, in parallel when
/// `out` is large.
pub fn for_rows<T: Element>(out: &mut [T], n: usize, row: impl Fn(usize, &mut [T]) + Sync + Send) {
    if n == 0 {
        return;
    }
    if worth_parallel(out.len()) {
        out.par_chunks_mut(n)
            .enumerate()
            .for_each(|(i, o)| row(i, o));
    } else {
        out.chunks_mut(n).enumerate().for_each(|(i, o)| row(i, o));
    }
}

/// A new row-major tensor of `shape`, written row by row (`n` elements each) by
/// `row(i, out_row)` as in [`for_rows`]. A large result may reuse a recycled buffer,
/// zero-filled first.
///
/// # Shapes
/// `n` divides the number of elements of `shape`.
///
/// # Examples
/// ```
/// # use ferrograd::tensor::lanes;
/// let t = lanes::from_rows::<f64>(&[2, 3], 3, |i, row| row.fill(i as f64));
/// assert_eq!(t.to_vec::<f64>(), vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
/// ```
pub fn from_rows<T: Element>(
    shape: &[usize],
    n: usize,
    row: impl Fn(usize, &mut [T]) + Sync + Send,
) -> Tensor {
    let mut out = crate::pool::filled(shape.iter().product(), T::default());
    for_rows(&mut out, n, row);
    Tensor::try_from_vec_of(out, shape)
        .expect("internal error: one element per place; this is a bug")
}

/// `out = x ⊙ w` elementwise, or `out = x` without `w` (a row times optional
/// per-column weights, as LayerNorm's γ).
///
/// # Shapes
/// `out`, `x` and `w` have one length.
pub fn scale_row<T: Float>(out: &mut [T], x: &[T], w: Option<&[T]>) {
    match w {
        Some(w) => out
            .iter_mut()
            .zip(x.iter().zip(w))
            .for_each(|(o, (&x, &w))| *o = x * w),
        None => out.copy_from_slice(x),
    }
}

/// Partial sums of [`dot`]: independent chains that the compiler turns into vector
/// lanes.
const DOT_LANES: usize = 16;

/// `⟨x, y⟩ = Σₖ x[k]·y[k]` of two equally long slices, in 16 interleaved partial sums
/// over whole chunks of both slices, so the loop vectorises without bounds checks
/// (the GEMV's and `rows_dot`'s inner product).
///
/// # Examples
/// ```
/// # use ferrograd::tensor::lanes::dot;
/// assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
pub fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::zero(); DOT_LANES];
    let (xs, ys) = (x.chunks_exact(DOT_LANES), y.chunks_exact(DOT_LANES));
    let (x_rest, y_rest) = (xs.remainder(), ys.remainder());
    for (cx, cy) in xs.zip(ys) {
        for ((a, &u), &v) in acc.iter_mut().zip(cx).zip(cy) {
            *a = *a + u * v;
        }
    }
    for ((a, &u), &v) in acc.iter_mut().zip(x_rest).zip(y_rest) {
        *a = *a + u * v;
    }
    acc.iter().fold(T::zero(), |s, &a| s + a)
}

/// `Σₖ f(k)` for `k` in `0..n`, in 8 interleaved partial sums (so the compiler can keep
/// them in one SIMD register instead of waiting on one running sum).
///
/// # Examples
/// ```
/// # use ferrograd::tensor::lanes::lane_sum;
/// assert_eq!(lane_sum(10, |k| k as f64), 45.0);
/// ```
pub fn lane_sum<T: Float>(n: usize, f: impl Fn(usize) -> T) -> T {
    let mut acc = [T::zero(); 8];
    let full = n - n % 8;
    for base in (0..full).step_by(8) {
        for (lane, a) in acc.iter_mut().enumerate() {
            *a = *a + f(base + lane);
        }
    }
    let tail = (full..n).fold(T::zero(), |s, k| s + f(k));
    acc.iter().fold(tail, |s, &a| s + a)
}

/// A new row-major array of `a`'s shape, each lane along `axis` written by
/// `f(lane of a, lane of b, output lane)` (`a` and `b` have the same shape).
///
/// Fast path: along the last dim of row-major inputs the lanes are consecutive
/// slices, read as chunks. Otherwise (a softmax along another dim) each lane is
/// copied into a contiguous buffer.
pub(crate) fn zip_lanes<T: Element>(
    a: &ArcArray<T, IxDyn>,
    b: &ArcArray<T, IxDyn>,
    axis: usize,
    f: impl Fn(&[T], &[T], &mut [T]) + Sync + Send,
) -> ArrayD<T> {
    let n = a.shape()[axis];
    if let (true, Some(xa), Some(xb)) = (axis + 1 == a.ndim() && n > 0, a.as_slice(), b.as_slice())
    {
        let mut out = vec![T::default(); a.len()];
        let lane = |((y, x), z): ((&mut [T], &[T]), &[T])| f(x, z, y);
        if worth_parallel(a.len()) {
            let rows = out.par_chunks_mut(n).zip(xa.par_chunks(n));
            rows.zip(xb.par_chunks(n)).for_each(lane);
        } else {
            out.chunks_mut(n)
                .zip(xa.chunks(n))
                .zip(xb.chunks(n))
                .for_each(lane);
        }
        return ArrayD::from_shape_vec(a.raw_dim(), out)
            .expect("internal error: one output per input element; this is a bug");
    }
    let mut out = ArrayD::default(a.raw_dim());
    let zip = Zip::from(a.lanes(Axis(axis)))
        .and(b.lanes(Axis(axis)))
        .and(out.lanes_mut(Axis(axis)));
    let copied = |x: ArrayView1<'_, T>, z: ArrayView1<'_, T>, mut y: ArrayViewMut1<'_, T>| {
        let mut y_lane = vec![T::default(); y.len()];
        f(&x.to_vec(), &z.to_vec(), &mut y_lane);
        y.assign(&ArrayView1::from(&y_lane));
    };
    if worth_parallel(a.len()) {
        zip.par_for_each(copied);
    } else {
        zip.for_each(copied);
    }
    out
}

/// [`zip_lanes`] with one input: `f(input lane, output lane)`.
pub(crate) fn map_lanes<T: Element>(
    a: &ArcArray<T, IxDyn>,
    axis: usize,
    f: impl Fn(&[T], &mut [T]) + Sync + Send,
) -> ArrayD<T> {
    zip_lanes(a, a, axis, |x, _, y| f(x, y))
}

impl Tensor {
    /// A new tensor of `self`'s shape whose every lane along `dim` is written by a
    /// kernel reading the same lane of `self` and of `other`: `f(self lane, other lane,
    /// output lane)`, one kernel per float dtype (write it once, generic over
    /// [`Float`], and pass it twice). `op` names the caller in messages.
    ///
    /// # Shapes
    /// `self`, `other`: the same shape `S` → `S` (contiguous).
    ///
    /// # Panics
    /// If the shapes or dtypes differ, they are not floats, or `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// // each lane of a minus the lane's sum of b
    /// fn kernel(a: &[f32], b: &[f32], out: &mut [f32]) {
    ///     let s: f32 = b.iter().sum();
    ///     out.iter_mut().zip(a).for_each(|(o, &a)| *o = a - s);
    /// }
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::ones(&[2, 2]);
    /// let y = a.zip_lanes(&b, "example", 0, kernel, |_, _, _| unreachable!());
    /// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 0.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn zip_lanes(
        &self,
        other: &Tensor,
        op: &'static str,
        dim: isize,
        f32_fn: impl Fn(&[f32], &[f32], &mut [f32]) + Sync + Send,
        f64_fn: impl Fn(&[f64], &[f64], &mut [f64]) + Sync + Send,
    ) -> Tensor {
        check_same_dtype(op, self, other).or_raise();
        check_float(op, self).or_raise();
        if self.shape() != other.shape() {
            Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "the lanes of shapes {:?} and {:?} do not pair up",
                    self.shape(),
                    other.shape()
                ),
            )
            .raise();
        }
        let axis = normalize_dim(op, dim, self.shape()).or_raise();
        match (&self.storage, &other.storage) {
            (Storage::F32(a), Storage::F32(b)) => Tensor::from_array(zip_lanes(a, b, axis, f32_fn)),
            (Storage::F64(a), Storage::F64(b)) => Tensor::from_array(zip_lanes(a, b, axis, f64_fn)),
            _ => unreachable!("dtypes were checked equal and float above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane_sums(a: &[f64], _: &[f64], out: &mut [f64]) {
        out.fill(a.iter().sum());
    }

    #[test]
    fn zip_lanes_reads_lanes_along_any_dim_and_of_views() {
        let x = Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let rows = x.zip_lanes(&x, "t", 1, |_, _, _| {}, lane_sums);
        assert_eq!(rows.to_vec::<f64>(), vec![6.0, 6.0, 6.0, 15.0, 15.0, 15.0]);
        let cols = x.zip_lanes(&x, "t", 0, |_, _, _| {}, lane_sums);
        assert_eq!(cols.to_vec::<f64>(), vec![5.0, 7.0, 9.0, 5.0, 7.0, 9.0]);
        let t = x.t();
        let of_view = t.zip_lanes(&t, "t", -1, |_, _, _| {}, lane_sums);
        assert_eq!(of_view.to_vec::<f64>(), vec![5.0, 5.0, 7.0, 7.0, 9.0, 9.0]);
    }

    #[test]
    #[should_panic(expected = "log_softmax: the lanes of shapes [2] and [3] do not pair up")]
    fn zip_lanes_checks_shapes() {
        let f = |_: &[f32], _: &[f32], _: &mut [f32]| {};
        Tensor::zeros(&[2]).zip_lanes(&Tensor::zeros(&[3]), "log_softmax", 0, f, |_, _, _| {});
    }

    #[test]
    #[should_panic(expected = "as_slice: the tensor of shape [3, 2] is not row-major")]
    fn as_slice_refuses_a_transposed_view() {
        as_slice::<f32>(&Tensor::zeros(&[2, 3]).t());
    }

    #[test]
    fn rows_cover_every_element_and_sums_match() {
        let t = from_rows::<f32>(&[3, 4], 4, |i, row| {
            row.iter_mut()
                .enumerate()
                .for_each(|(k, v)| *v = (4 * i + k) as f32)
        });
        assert_eq!(
            t.to_vec::<f32>(),
            (0..12).map(|v| v as f32).collect::<Vec<_>>()
        );
        assert_eq!(lane_sum(0, |_| 1.0f32), 0.0);
        assert_eq!(lane_sum(19, |k| k as f32), 171.0);
    }
}
