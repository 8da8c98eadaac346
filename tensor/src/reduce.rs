//! Reductions: collapse one dim, several dims or the whole tensor into sums, means,
//! variances, norms and log-sum-exp. Max / min with their positions (argmax) are in
//! the `extrema` submodule (`reduce/extrema.rs`).
//!
//! ```text
//! sum_dim(1) of [[1, 2, 3],    keepdim = false → [6, 15]        shape [2]
//!                [4, 5, 6]]    keepdim = true  → [[6], [15]]    shape [2, 1]
//!
//! mean       x̄ = (1/n) Σᵢ xᵢ
//! var        σ² = Σᵢ (xᵢ − x̄)² / (n − δ)     δ = 1 if unbiased (Bessel), else 0
//! std        σ = √σ²
//! norm       ‖x‖ₚ = (Σᵢ |xᵢ|ᵖ)^(1/p);   ‖x‖∞ = maxᵢ |xᵢ|;   ‖x‖₀ = #{i : xᵢ ≠ 0}
//!            = m · ‖x / m‖ₚ,  m = maxᵢ |xᵢ|, when Σ |xᵢ|ᵖ would overflow or underflow
//! logsumexp  ln Σᵢ exp(xᵢ) = m + ln Σᵢ exp(xᵢ − m),   m = maxᵢ xᵢ
//! ```
//!
//! Why logsumexp shifts by the max: `exp` overflows f32 to `inf` above x ≈ 88.7 (f64
//! above ≈ 709.8), and underflows to 0 far below zero, so `ln Σ exp(x)` of logits
//! like `[1000, 1000]` would be `ln(inf) = inf` instead of `1000 + ln 2`. After the
//! shift every exponent is ≤ 0 and the largest term is exactly 1, so the sum lies in
//! `[1, n]` and its log is finite. (A row of all −∞ has m = −∞ and the shift would be
//! `−∞ − (−∞) = NaN`, so that case returns −∞ = ln 0 directly.)
//!
//! How the code is organised: every reduction along a dim is a function of one
//! *lane*, the 1-D line of elements that runs along the reduced dim (for `[B, C]` and
//! dim 1, the lanes are the B rows). Each kernel (`var_of`, `norm_of`, ...) is written
//! once, generic over the element type and over the array's dimension, so the same
//! kernel reduces a lane (`var_dim`) or the whole tensor (`var`). Large inputs
//! spread lanes over rayon; each lane is still reduced serially in a fixed order, so
//! results never depend on the thread count. Whole-tensor reductions run serially.
//!
//! Sums also count: the sum of a bool or i64 tensor is an i64 tensor (as in PyTorch,
//! `mask.sum()` counts the true elements). The other reductions need floats.
//!
//! Read next: [`crate::softmax`], built on the same max shift.

use std::ops::Add;

use ndarray::{ArcArray, ArrayD, ArrayView, ArrayView1, ArrayViewD, Axis, Dimension, IxDyn, Zip};
use num_traits::Zero;

use crate::dtype::{DType, Element, Float, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::parallel::worth_parallel;
use crate::shape::{normalize_dim, normalize_dims};
use crate::tensor::{Tensor, check_float};

mod extrema;

use extrema::Extreme;

/// Apply `f` to every lane of `a` along `axis`. The result has `a`'s shape without
/// `axis`. Lanes are spread over rayon when the input is large.
pub(crate) fn reduce_lanes<T: Element, U: Send>(
    a: ArrayViewD<'_, T>,
    axis: usize,
    f: impl Fn(ArrayView1<'_, T>) -> U + Sync + Send,
) -> ArrayD<U> {
    let lane_count = a.len() / a.shape()[axis].max(1);
    let lanes = Zip::from(a.lanes(Axis(axis)));
    if worth_parallel(a.len()) && lane_count > 1 {
        lanes.par_map_collect(f)
    } else {
        lanes.map_collect(f)
    }
}

/// Σ f(xᵢ), accumulated in blocks of 256 terms.
///
/// One running f32 sum can lose about n·ε of relative accuracy (ε ≈ 6e-8); summing
/// each block on its own and then adding the block sums brings that down to about
/// (256 + n/256)·ε, without allocating.
pub(crate) fn sum_map<T: Float, D: Dimension>(x: ArrayView<'_, T, D>, f: impl Fn(T) -> T) -> T {
    const BLOCK: usize = 256;
    let (mut total, mut block) = (T::zero(), T::zero());
    for (i, &v) in x.iter().enumerate() {
        block = block + f(v);
        if i % BLOCK == BLOCK - 1 {
            total = total + block;
            block = T::zero();
        }
    }
    total + block
}

/// Σ xᵢ of a contiguous lane, in 16 interleaved partial sums (term i goes to sum
/// i mod 16) added up at the end. Independent sums become vector adds, where one
/// running sum waits for each add in turn; each partial sum holds n/16 terms, so the
/// rounding error stays about as small as [`sum_map`]'s blocks. The order depends on
/// the length only, so the result is the same on every CPU.
pub fn sum_slice<T: Float>(x: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    let mut chunks = x.chunks_exact(LANES);
    for chunk in &mut chunks {
        acc.iter_mut().zip(chunk).for_each(|(a, &v)| *a = *a + v);
    }
    acc.iter_mut()
        .zip(chunks.remainder())
        .for_each(|(a, &v)| *a = *a + v);
    acc.iter().fold(T::zero(), |s, &a| s + a)
}

/// The max of a contiguous lane in 16 interleaved running maxima (vector max
/// instructions), −∞ if empty. NaNs are skipped: the softmax kernels use this as
/// their shift, and a NaN in the lane makes its sum of exponentials, hence the whole
/// result, NaN anyway.
pub(crate) fn max_slice<T: Float>(x: &[T]) -> T {
    let mut acc = [T::neg_infinity(); LANES];
    let mut chunks = x.chunks_exact(LANES);
    let keep_larger = |a: &mut T, &v: &T| *a = if v > *a { v } else { *a };
    for chunk in &mut chunks {
        acc.iter_mut()
            .zip(chunk)
            .for_each(|(a, v)| keep_larger(a, v));
    }
    acc.iter_mut()
        .zip(chunks.remainder())
        .for_each(|(a, v)| keep_larger(a, v));
    acc.iter()
        .fold(T::neg_infinity(), |m, &a| if a > m { a } else { m })
}

/// Partial sums / maxima in [`sum_slice`] and [`max_slice`]: one AVX-512 register of
/// f32, and enough independent chains to hide the add latency.
const LANES: usize = 16;

/// The max of `x`, used as the shift `m` of the max-subtraction trick (logsumexp,
/// softmax). NaN wins, so a lane holding a NaN gives NaN; an empty lane gives −∞.
pub(crate) fn max_shift<T: Float, D: Dimension>(x: ArrayView<'_, T, D>) -> T {
    x.fold(T::neg_infinity(), |m, &v| {
        if Extreme::Max.beats(v, m) { v } else { m }
    })
}

/// `ln Σ exp(xᵢ)` computed as `m + ln Σ exp(xᵢ − m)` (see the module doc).
pub(crate) fn logsumexp_of<T: Float, D: Dimension>(x: ArrayView<'_, T, D>) -> T {
    let m = max_shift(x.view());
    if m.is_infinite() {
        // All −∞ (or empty): the sum is 0 and ln 0 = −∞. Any +∞: the sum is +∞.
        // Either way the shifted form would compute ∞ − ∞ = NaN, so answer directly.
        return m;
    }
    m + sum_map(x, |v| (v - m).exp()).ln()
}

/// Two-pass variance: the mean first, then the mean squared deviation from it, which
/// avoids the cancellation of the one-pass `E[x²] − E[x]²` formula.
fn var_of<T: Float, D: Dimension>(x: ArrayView<'_, T, D>, unbiased: bool) -> T {
    let n = x.len() as f64;
    let mean = x.sum() / T::of(n);
    let squares = sum_map(x, |v| (v - mean) * (v - mean));
    // n − 1 ≤ 0 (one element, unbiased) divides 0 by 0 and gives NaN, as PyTorch does.
    let denom = if unbiased { n - 1.0 } else { n };
    squares / T::of(denom.max(0.0))
}

/// The p-norm of `x` (`p` already checked not NaN).
fn norm_of<T: Float, D: Dimension>(x: ArrayView<'_, T, D>, p: f64) -> T {
    if p.is_infinite() {
        // max |x| for +∞ (0 for no elements), min |x| for −∞ (+∞ for no elements).
        let (which, init) = if p > 0.0 {
            (Extreme::Max, T::zero())
        } else {
            (Extreme::Min, T::infinity())
        };
        return x.fold(init, |best, &v| {
            if which.beats(v.abs(), best) {
                v.abs()
            } else {
                best
            }
        });
    }
    match p {
        0.0 => T::of(x.iter().filter(|&&v| v != T::zero()).count() as f64),
        1.0 => sum_map(x, |v| v.abs()),
        _ => {
            let pt = T::of(p);
            let power = |v: T| if p == 2.0 { v * v } else { v.abs().powf(pt) };
            let root = |sum: T| {
                if p == 2.0 {
                    sum.sqrt()
                } else {
                    sum.powf(T::one() / pt)
                }
            };
            let sum = sum_map(x.view(), power);
            // Σ|x|ᵖ overflows long before the norm does (f32 squares are inf above
            // 1.8e19) and drops terms that underflow: then it is summed again over
            // x / m, m = max |x|, every term ≤ 1:  ‖x‖ₚ = m · ‖x / m‖ₚ.
            let underflow = T::min_positive_value() / T::epsilon() * T::of(x.len() as f64);
            if sum.is_finite() && sum >= underflow {
                return root(sum);
            }
            let m = x.fold(T::zero(), |m, &v| m.max(v.abs()));
            if m == T::zero() || !m.is_finite() {
                return root(sum); // all zeros, or an inf (NaN stays NaN either way)
            }
            m * root(sum_map(x, |v| power(v / m)))
        }
    }
}

/// What a sum needs of its elements: zero and `+` (floats and i64).
pub(crate) trait Summable: Element + Zero + Add<Output = Self> {}
impl<T: Element + Zero + Add<Output = T>> Summable for T {}

/// Sum along one axis. Serially this is ndarray's `sum_axis`, which adds whole
/// sub-arrays and so stays cache-friendly when the axis is not the innermost one.
fn sum_along<T: Summable>(a: ArrayViewD<'_, T>, axis: usize) -> ArrayD<T> {
    if worth_parallel(a.len()) {
        reduce_lanes(a, axis, |lane| lane.sum())
    } else {
        a.sum_axis(Axis(axis))
    }
}

/// Sum over `axes` (distinct, in range, non-empty), keeping them as size 1 if asked.
fn sum_axes_of<T: Summable>(a: &ArcArray<T, IxDyn>, axes: &[usize], keepdim: bool) -> Tensor {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    // Reduce the highest axis first, so the lower axis numbers stay valid.
    let mut out: Option<ArrayD<T>> = None;
    for &axis in sorted.iter().rev() {
        out = Some(match &out {
            None => sum_along(a.view(), axis),
            Some(partial) => sum_along(partial.view(), axis),
        });
    }
    let mut out = out.expect("internal error: sum_axes_of got no axes; this is a bug");
    if keepdim {
        for &axis in &sorted {
            out = out.insert_axis(Axis(axis));
        }
    }
    Tensor::from_array(out)
}

/// Wrap the result of a reduction along `axis`, re-inserting it as size 1 if `keepdim`.
pub(crate) fn finish<T: Element>(out: ArrayD<T>, axis: usize, keepdim: bool) -> Tensor {
    Tensor::from_array(if keepdim {
        out.insert_axis(Axis(axis))
    } else {
        out
    })
}

/// A 0-d tensor holding `value`.
fn scalar_of<T: Element>(value: T) -> Tensor {
    Tensor::from_array(ArrayD::from_elem(IxDyn(&[]), value))
}

impl Tensor {
    /// Reduce the whole float tensor to a 0-d tensor with one kernel per dtype (the
    /// same generic kernel twice); `op` names errors.
    pub(crate) fn reduce_all(
        &self,
        op: &'static str,
        f32_fn: impl Fn(ArrayViewD<'_, f32>) -> f32,
        f64_fn: impl Fn(ArrayViewD<'_, f64>) -> f64,
    ) -> Result<Tensor, Error> {
        check_float(op, self)?;
        Ok(match &self.storage {
            Storage::F32(a) => scalar_of(f32_fn(a.view())),
            Storage::F64(a) => scalar_of(f64_fn(a.view())),
            _ => unreachable!("the dtype was checked to be a float above"),
        })
    }

    /// Reduce every lane of a float tensor along `dim` with one kernel per dtype; `op`
    /// names errors.
    pub(crate) fn reduce_dim(
        &self,
        op: &'static str,
        dim: isize,
        keepdim: bool,
        f32_fn: impl Fn(ArrayView1<'_, f32>) -> f32 + Sync + Send,
        f64_fn: impl Fn(ArrayView1<'_, f64>) -> f64 + Sync + Send,
    ) -> Result<Tensor, Error> {
        let axis = normalize_dim(op, dim, self.shape())?;
        check_float(op, self)?;
        Ok(match &self.storage {
            Storage::F32(a) => finish(reduce_lanes(a.view(), axis, f32_fn), axis, keepdim),
            Storage::F64(a) => finish(reduce_lanes(a.view(), axis, f64_fn), axis, keepdim),
            _ => unreachable!("the dtype was checked to be a float above"),
        })
    }

    fn try_sum_dims(
        &self,
        op: &'static str,
        dims: &[isize],
        keepdim: bool,
    ) -> Result<Tensor, Error> {
        let axes = normalize_dims(op, dims, self.shape())?;
        if axes.is_empty() {
            return Ok(self.clone());
        }
        Ok(match &self.storage {
            Storage::F32(a) => sum_axes_of(a, &axes, keepdim),
            Storage::F64(a) => sum_axes_of(a, &axes, keepdim),
            Storage::I64(a) => sum_axes_of(a, &axes, keepdim),
            Storage::Bool(_) => return self.to_dtype(DType::I64).try_sum_dims(op, dims, keepdim),
        })
    }

    /// Sum of all elements, as a 0-d tensor (0 for an empty tensor). Floats keep their
    /// dtype; the sum of an i64 or bool tensor is i64 (a bool sum counts the trues).
    ///
    /// # Shapes
    /// Any shape → `[]`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::{DType, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.sum().item(), 10.0);
    /// let above = x.gt_scalar(2.5).sum();
    /// assert_eq!((above.dtype(), above.item()), (DType::I64, 2.0));
    /// ```
    pub fn sum(&self) -> Tensor {
        match &self.storage {
            Storage::F32(a) => scalar_of(a.sum()),
            Storage::F64(a) => scalar_of(a.sum()),
            Storage::I64(a) => scalar_of(a.iter().fold(0i64, |s, &x| s.wrapping_add(x))),
            Storage::Bool(a) => scalar_of(a.iter().filter(|&&x| x).count() as i64),
        }
    }

    /// Sum along `dim` (negative counts from the end). With `keepdim` the reduced dim
    /// stays as size 1, so the result broadcasts against `self`.
    ///
    /// # Shapes
    /// `[2, 3, 4]`, dim 1 → `[2, 4]` (`[2, 1, 4]` with keepdim).
    ///
    /// # Panics
    /// If `dim` is out of range for the shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(x.sum_dim(-1, false).to_vec::<f32>(), vec![6.0, 15.0]);
    /// assert_eq!(x.sum_dim(0, true).shape(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        self.try_sum_dims("sum_dim", &[dim], keepdim).or_raise()
    }

    /// Sum over several distinct dims at once.
    ///
    /// An empty `dims` sums over nothing and returns `self` unchanged (PyTorch's
    /// `sum(dim=[])` sums over everything instead; use [`Tensor::sum`] for that).
    ///
    /// # Shapes
    /// `[2, 3, 4]`, dims `[0, 2]` → `[3]` (`[1, 3, 1]` with keepdim).
    ///
    /// # Panics
    /// If a dim is out of range or appears twice.
    #[track_caller]
    pub fn sum_dims(&self, dims: &[isize], keepdim: bool) -> Tensor {
        self.try_sum_dims("sum_dims", dims, keepdim).or_raise()
    }

    /// Mean of all elements, as a 0-d tensor (NaN for an empty tensor, as 0/0).
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0, 2.0, 6.0], &[3]).mean().item(), 3.0);
    /// ```
    ///
    /// # Panics
    /// If the tensor is not a float tensor (convert counts first, as in PyTorch).
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        let n = self.numel() as f64;
        self.reduce_all("mean", |x| x.sum() / n as f32, |x| x.sum() / n)
            .or_raise()
    }

    /// Mean along `dim`: the sum divided by that dim's size.
    ///
    /// # Shapes
    /// As [`Tensor::sum_dim`].
    ///
    /// # Panics
    /// If `dim` is out of range for the shape or the tensor is not a float tensor.
    #[track_caller]
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        check_float("mean_dim", self).or_raise();
        let sum = self.try_sum_dims("mean_dim", &[dim], keepdim).or_raise();
        let n = self.size(dim) as f64;
        sum.map(|s| s / n)
    }

    /// Variance of all elements (two-pass: mean first). `unbiased` divides by n − 1
    /// (Bessel's correction, PyTorch's default) instead of n; with one element that
    /// is 0/0 = NaN, as in PyTorch.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]);
    /// assert_eq!(x.var(false).item(), 1.25); // mean 2.5, Σ(x − 2.5)² = 5, 5 / 4
    /// ```
    #[track_caller]
    pub fn var(&self, unbiased: bool) -> Tensor {
        self.reduce_all("var", |x| var_of(x, unbiased), |x| var_of(x, unbiased))
            .or_raise()
    }

    /// Variance along `dim` (see [`Tensor::var`]).
    ///
    /// # Shapes
    /// As [`Tensor::sum_dim`].
    ///
    /// # Panics
    /// If `dim` is out of range for the shape.
    #[track_caller]
    pub fn var_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Tensor {
        self.reduce_dim(
            "var_dim",
            dim,
            keepdim,
            |x| var_of(x, unbiased),
            |x| var_of(x, unbiased),
        )
        .or_raise()
    }

    /// Standard deviation of all elements: `√var(unbiased)`.
    #[track_caller]
    pub fn std(&self, unbiased: bool) -> Tensor {
        self.var(unbiased).map(f64::sqrt)
    }

    /// Standard deviation along `dim`: `√var_dim(..)`.
    ///
    /// # Panics
    /// If `dim` is out of range for the shape.
    #[track_caller]
    pub fn std_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Tensor {
        let var = self
            .reduce_dim(
                "std_dim",
                dim,
                keepdim,
                |x| var_of(x, unbiased),
                |x| var_of(x, unbiased),
            )
            .or_raise();
        var.map(f64::sqrt)
    }

    /// `ln Σ exp(x)` along `dim`, computed stably as `m + ln Σ exp(x − m)` with `m`
    /// the max of the lane (see the module doc). A lane of all −∞ gives −∞.
    ///
    /// # Shapes
    /// As [`Tensor::sum_dim`].
    ///
    /// # Panics
    /// If `dim` is out of range for the shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// // exp(1000) overflows, but the shifted form gives 1000 + ln 2.
    /// let x = Tensor::from_vec(vec![1000.0, 1000.0], &[2]);
    /// let y = x.logsumexp(0, false).item();
    /// assert!((y - (1000.0 + 2f64.ln())).abs() < 1e-3);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, dim: isize, keepdim: bool) -> Tensor {
        self.reduce_dim("logsumexp", dim, keepdim, logsumexp_of, logsumexp_of)
            .or_raise()
    }

    /// The L2 (Euclidean) norm of all elements, `√Σ x²`, as a 0-d tensor.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0, 4.0], &[2]).norm().item(), 5.0);
    /// ```
    #[track_caller]
    pub fn norm(&self) -> Tensor {
        self.reduce_all("norm", |x| norm_of(x, 2.0), |x| norm_of(x, 2.0))
            .or_raise()
    }

    /// The p-norm along `dim`: `(Σ |x|ᵖ)^(1/p)`; `p = ∞` gives `max |x|`, `p = −∞`
    /// gives `min |x|`, `p = 0` counts the nonzero elements (PyTorch's
    /// `linalg.vector_norm`).
    ///
    /// # Shapes
    /// As [`Tensor::sum_dim`].
    ///
    /// # Panics
    /// If `p` is NaN or `dim` is out of range for the shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![3.0, -4.0, 0.0, 1.0], &[2, 2]);
    /// assert_eq!(x.norm_dim(1.0, 1, false).to_vec::<f32>(), vec![7.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn norm_dim(&self, p: f64, dim: isize, keepdim: bool) -> Tensor {
        if p.is_nan() {
            Error::new("norm_dim", ErrorKind::Value, "p is NaN")
                .with_hint("use p = 2.0 for the Euclidean norm, 1.0, f64::INFINITY, ...")
                .raise();
        }
        self.reduce_dim(
            "norm_dim",
            dim,
            keepdim,
            |x| norm_of(x, p),
            |x| norm_of(x, p),
        )
        .or_raise()
    }
}

#[cfg(test)]
mod tests;
