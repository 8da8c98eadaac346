//! Comparisons and selection: elementwise `maximum`/`minimum`, 0/1 masks from
//! `eq gt lt ge le`, and choosing between tensors with a mask.
//!
//! ```text
//! a.gt(&b)[i]            = 1 if a[i] > b[i] else 0       (a mask, in a's dtype)
//! where_cond(c, a, b)[i] = a[i] if c[i] ≠ 0 else b[i]
//! t.masked_fill(m, v)[i] = v    if m[i] ≠ 0 else t[i]
//! ```
//!
//! Masks are ordinary float tensors of 0s and 1s (any nonzero value, NaN included,
//! counts as true), like PyTorch's bool tensors; a mask may have either dtype. All
//! binary forms broadcast NumPy-style (see [`crate::shape::broadcast_shapes`]).
//! Read next: [`crate::reduce`].

use ndarray::{ArcArray, ArrayD, IxDyn, Zip};
use num_traits::Float;

use crate::dtype::Element;
use crate::error::{Error, ErrorKind, OrRaise};
use crate::parallel::worth_parallel;
use crate::shape::{broadcast_shapes, check_broadcast_to};
use crate::tensor::{Storage, Tensor, check_same_dtype};

/// 1 for true, 0 for false.
fn mask_value<T: Float>(condition: bool) -> T {
    if condition { T::one() } else { T::zero() }
}

/// `max(a, b)`, NaN if either is NaN (as `torch.maximum`; `f32::max` would drop it).
fn maximum_kernel<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || a > b { a } else { b }
}

/// `min(a, b)`, NaN if either is NaN.
fn minimum_kernel<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || a < b { a } else { b }
}

/// Where `tensor` is nonzero (NaN counts as nonzero, as `bool(nan)` in Python).
fn nonzero(tensor: &Tensor) -> ArrayD<bool> {
    fn of<T: Element>(a: &ArcArray<T, IxDyn>) -> ArrayD<bool> {
        a.mapv(|x| x != T::zero())
    }
    match tensor.storage() {
        Storage::F32(a) => of(a),
        Storage::F64(a) => of(a),
    }
}

/// `out[i] = a[i] if cond[i] else b[i]`, all three broadcast to `shape` (checked).
fn select_arrays<T: Element>(
    cond: &ArrayD<bool>,
    a: &ArcArray<T, IxDyn>,
    b: &ArcArray<T, IxDyn>,
    shape: &[usize],
) -> ArcArray<T, IxDyn> {
    let broadcast_failed = "internal error: where_cond shapes were checked; this is a bug";
    let cond = cond.broadcast(IxDyn(shape)).expect(broadcast_failed);
    let a = a.broadcast(IxDyn(shape)).expect(broadcast_failed);
    let b = b.broadcast(IxDyn(shape)).expect(broadcast_failed);
    let pick = |&c: &bool, &x: &T, &y: &T| if c { x } else { y };
    let zip = Zip::from(&cond).and(&a).and(&b);
    if worth_parallel(cond.len()) {
        zip.par_map_collect(pick).into_shared()
    } else {
        zip.map_collect(pick).into_shared()
    }
}

impl Tensor {
    /// Elementwise `max(self, other)` with broadcasting; NaN wins (as `torch.maximum`).
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 5.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0, 2.0], &[2]);
    /// assert_eq!(a.maximum(&b).to_vec::<f32>(), vec![3.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn maximum(&self, other: &Tensor) -> Tensor {
        self.zip_with(other, "maximum", maximum_kernel, maximum_kernel)
    }

    /// Elementwise `min(self, other)` with broadcasting; NaN wins.
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn minimum(&self, other: &Tensor) -> Tensor {
        self.zip_with(other, "minimum", minimum_kernel, minimum_kernel)
    }

    /// Mask of `self == other`: 1 where equal, else 0, in `self`'s dtype.
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    /// let b = Tensor::from_vec(vec![2.0], &[1]);
    /// assert_eq!(a.eq(&b).to_vec::<f32>(), vec![0.0, 1.0, 0.0]);
    /// assert_eq!(a.gt(&b).to_vec::<f32>(), vec![0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn eq(&self, other: &Tensor) -> Tensor {
        fn k<T: Float>(a: T, b: T) -> T {
            mask_value(a == b)
        }
        self.zip_with(other, "eq", k, k)
    }

    /// Mask of `self > other` (1/0 in `self`'s dtype), broadcasting. Same shapes and
    /// panics as [`Tensor::eq`].
    #[track_caller]
    pub fn gt(&self, other: &Tensor) -> Tensor {
        fn k<T: Float>(a: T, b: T) -> T {
            mask_value(a > b)
        }
        self.zip_with(other, "gt", k, k)
    }

    /// Mask of `self < other` (1/0 in `self`'s dtype), broadcasting. Same shapes and
    /// panics as [`Tensor::eq`].
    #[track_caller]
    pub fn lt(&self, other: &Tensor) -> Tensor {
        fn k<T: Float>(a: T, b: T) -> T {
            mask_value(a < b)
        }
        self.zip_with(other, "lt", k, k)
    }

    /// Mask of `self >= other` (1/0 in `self`'s dtype), broadcasting. Same shapes and
    /// panics as [`Tensor::eq`].
    #[track_caller]
    pub fn ge(&self, other: &Tensor) -> Tensor {
        fn k<T: Float>(a: T, b: T) -> T {
            mask_value(a >= b)
        }
        self.zip_with(other, "ge", k, k)
    }

    /// Mask of `self <= other` (1/0 in `self`'s dtype), broadcasting. Same shapes and
    /// panics as [`Tensor::eq`].
    #[track_caller]
    pub fn le(&self, other: &Tensor) -> Tensor {
        fn k<T: Float>(a: T, b: T) -> T {
            mask_value(a <= b)
        }
        self.zip_with(other, "le", k, k)
    }

    /// Mask of `self == s` for a scalar `s` (converted to `self`'s dtype first, so an
    /// f32 tensor holding `0.1` equals `0.1`).
    ///
    /// ```
    /// # use tensor::Tensor;
    /// let t = Tensor::from_vec(vec![0.1, 0.2], &[2]);
    /// assert_eq!(t.eq_scalar(0.1).to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    pub fn eq_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| mask_value(x == s32), move |x| mask_value(x == s))
    }

    /// Mask of `self > s`, same shape and dtype as `self`.
    pub fn gt_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| mask_value(x > s32), move |x| mask_value(x > s))
    }

    /// Mask of `self < s`, same shape and dtype as `self`.
    pub fn lt_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| mask_value(x < s32), move |x| mask_value(x < s))
    }

    /// Mask of `self >= s`, same shape and dtype as `self`.
    pub fn ge_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| mask_value(x >= s32), move |x| mask_value(x >= s))
    }

    /// Mask of `self <= s`, same shape and dtype as `self`.
    pub fn le_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| mask_value(x <= s32), move |x| mask_value(x <= s))
    }

    /// `a` where `cond` is nonzero, else `b` (PyTorch's `torch.where(cond, a, b)`).
    ///
    /// # Errors
    /// If `a` and `b` have different dtypes, or the three shapes do not broadcast
    /// together. `cond` may have either dtype.
    pub fn try_where_cond(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor, Error> {
        const OP: &str = "where_cond";
        check_same_dtype(OP, a, b)?;
        let shape = broadcast_shapes(OP, cond.shape(), a.shape())
            .and_then(|s| broadcast_shapes(OP, &s, b.shape()))
            .map_err(|_| {
                Error::new(
                    OP,
                    ErrorKind::Shape,
                    format!(
                        "cond {:?}, a {:?} and b {:?} cannot be broadcast to one shape",
                        cond.shape(),
                        a.shape(),
                        b.shape()
                    ),
                )
                .with_hint("aligned from the right, each dim's sizes must be equal or 1")
            })?;
        let mask = nonzero(cond);
        Ok(match (&a.storage, &b.storage) {
            (Storage::F32(a), Storage::F32(b)) => {
                Storage::F32(select_arrays(&mask, a, b, &shape)).into()
            }
            (Storage::F64(a), Storage::F64(b)) => {
                Storage::F64(select_arrays(&mask, a, b, &shape)).into()
            }
            _ => unreachable!("dtypes were checked equal above"),
        })
    }

    /// `a` where `cond` is nonzero, else `b`, elementwise with three-way broadcasting.
    ///
    /// ```text
    /// out[i] = a[i] if cond[i] ≠ 0 else b[i]
    /// ```
    ///
    /// # Shapes
    /// `cond: S1`, `a: S2`, `b: S3` → `broadcast(S1, S2, S3)`; the dtype is `a`'s.
    ///
    /// # Panics
    /// If `a` and `b` have different dtypes or the shapes do not broadcast.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0, 2.0, -3.0], &[3]);
    /// let relu = Tensor::where_cond(&x.gt_scalar(0.0), &x, &Tensor::scalar(0.0));
    /// assert_eq!(relu.to_vec::<f32>(), vec![0.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn where_cond(cond: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
        Tensor::try_where_cond(cond, a, b).or_raise()
    }

    /// `self` with `value` written wherever `mask` is nonzero (a new tensor).
    ///
    /// # Errors
    /// If `mask`'s shape does not broadcast to `self`'s (the result always has
    /// `self`'s shape). `mask` may have either dtype.
    pub fn try_masked_fill(&self, mask: &Tensor, value: f64) -> Result<Tensor, Error> {
        check_broadcast_to("masked_fill", mask.shape(), self.shape()).map_err(|_| {
            Error::new(
                "masked_fill",
                ErrorKind::Shape,
                format!(
                    "mask of shape {:?} cannot be broadcast to the tensor's shape {:?}",
                    mask.shape(),
                    self.shape()
                ),
            )
            .with_hint("the mask's dims must equal the tensor's or be 1, aligned from the right")
        })?;
        // With the mask fitting inside self's shape, where_cond's shape is self's.
        let fill = Tensor::full_dtype(&[], value, self.dtype());
        Tensor::try_where_cond(mask, &fill, self)
    }

    /// `self` with `value` wherever `mask` is nonzero, e.g. −∞ on masked attention
    /// scores before a softmax.
    ///
    /// # Shapes
    /// `self: S`, `mask`: broadcastable to `S` → `S` (dtype of `self`).
    ///
    /// # Panics
    /// If `mask`'s shape does not broadcast to `self`'s.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let scores = Tensor::zeros(&[2, 2]);
    /// let causal = Tensor::from_vec(vec![0.0, 1.0, 0.0, 0.0], &[2, 2]); // 1 = hide
    /// let masked = scores.masked_fill(&causal, f64::NEG_INFINITY);
    /// assert_eq!(masked.to_vec::<f32>(), vec![0.0, f32::NEG_INFINITY, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Tensor {
        self.try_masked_fill(mask, value).or_raise()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    fn f64s(t: &Tensor) -> Vec<f64> {
        t.to_vec::<f64>()
    }

    /// A transposed (non-contiguous) view of `[[1, 2, 3], [4, 5, 6]]`, logically
    /// `[[1, 4], [2, 5], [3, 6]]`.
    fn transposed() -> Tensor {
        let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let Storage::F32(arr) = a.storage() else {
            unreachable!()
        };
        Storage::F32(arr.clone().reversed_axes()).into()
    }

    #[test]
    fn masks_broadcast_and_keep_self_dtype() {
        for dtype in [DType::F32, DType::F64] {
            // a: [2, 1] column (1, 3); b: [3] row (1, 2, 3) → [2, 3].
            let a = Tensor::from_vec(vec![1.0, 3.0], &[2, 1]).to_dtype(dtype);
            let b = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).to_dtype(dtype);
            assert_eq!(a.eq(&b).dtype(), dtype);
            assert_eq!(a.eq(&b).shape(), &[2, 3]);
            assert_eq!(f64s(&a.eq(&b)), [1., 0., 0., 0., 0., 1.]);
            assert_eq!(f64s(&a.gt(&b)), [0., 0., 0., 1., 1., 0.]);
            assert_eq!(f64s(&a.ge(&b)), [1., 0., 0., 1., 1., 1.]);
            assert_eq!(f64s(&a.lt(&b)), [0., 1., 1., 0., 0., 0.]);
            assert_eq!(f64s(&a.le(&b)), [1., 1., 1., 0., 0., 1.]);
            assert_eq!(f64s(&a.maximum(&b)), [1., 2., 3., 3., 3., 3.]);
            assert_eq!(f64s(&a.minimum(&b)), [1., 1., 1., 1., 2., 3.]);
        }
    }

    #[test]
    fn scalar_masks() {
        let t = Tensor::from_vec_f64(vec![-1.0, 0.0, 2.0], &[3]);
        assert_eq!(f64s(&t.gt_scalar(0.0)), [0., 0., 1.]);
        assert_eq!(f64s(&t.ge_scalar(0.0)), [0., 1., 1.]);
        assert_eq!(f64s(&t.lt_scalar(0.0)), [1., 0., 0.]);
        assert_eq!(f64s(&t.le_scalar(0.0)), [1., 1., 0.]);
        assert_eq!(f64s(&t.eq_scalar(2.0)), [0., 0., 1.]);
        assert_eq!(t.eq_scalar(2.0).dtype(), DType::F64);
        // f32: the scalar is rounded to f32 before comparing, so 0.1 == 0.1.
        let s = Tensor::scalar(0.1);
        assert_eq!(s.eq_scalar(0.1).item(), 1.0);
        assert_eq!(s.eq_scalar(0.1).shape(), &[] as &[usize]);
    }

    #[test]
    fn nan_propagates_through_maximum_and_is_unequal_to_itself() {
        let a = Tensor::from_vec(vec![f32::NAN, 1.0], &[2]);
        let b = Tensor::from_vec(vec![0.0, f32::NAN], &[2]);
        assert!(a.maximum(&b).to_vec::<f32>().iter().all(|x| x.is_nan()));
        assert!(a.minimum(&b).to_vec::<f32>().iter().all(|x| x.is_nan()));
        assert_eq!(a.eq(&a).to_vec::<f32>(), vec![0.0, 1.0]);
    }

    #[test]
    fn where_cond_broadcasts_three_ways() {
        // cond [2, 1], a [3], b 0-d → [2, 3]; cond is f64 while a, b are f32.
        let cond = Tensor::from_vec_f64(vec![1.0, 0.0], &[2, 1]);
        let a = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
        let b = Tensor::scalar(-1.0);
        let out = Tensor::where_cond(&cond, &a, &b);
        assert_eq!(out.shape(), &[2, 3]);
        assert_eq!(out.dtype(), DType::F32);
        assert_eq!(out.to_vec::<f32>(), vec![1., 2., 3., -1., -1., -1.]);
        // Any nonzero counts as true, NaN included.
        let cond = Tensor::from_vec(vec![0.5, f32::NAN, 0.0], &[3]);
        let out = Tensor::where_cond(&cond, &a, &b);
        assert_eq!(out.to_vec::<f32>(), vec![1., 2., -1.]);
    }

    #[test]
    fn non_contiguous_operands() {
        let t = transposed(); // [[1, 4], [2, 5], [3, 6]]
        assert!(!t.is_contiguous());
        let col = Tensor::from_vec(vec![2.0, 2.0, 2.0], &[3, 1]);
        assert_eq!(t.gt(&col).to_vec::<f32>(), vec![0., 1., 0., 1., 1., 1.]);
        let out = Tensor::where_cond(&t.gt_scalar(3.0), &t, &Tensor::scalar(0.0));
        assert_eq!(out.to_vec::<f32>(), vec![0., 4., 0., 5., 0., 6.]);
        let mask = Tensor::from_vec(vec![1.0, 0.0], &[2]); // broadcast over rows
        assert_eq!(
            t.masked_fill(&mask, 9.0).to_vec::<f32>(),
            vec![9., 4., 9., 5., 9., 6.]
        );
    }

    #[test]
    fn masked_fill_keeps_shape_and_dtype() {
        let t = Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let mask = Tensor::from_vec(vec![0.0, 1.0], &[2]); // f32 mask on an f64 tensor
        let out = t.masked_fill(&mask, -7.0);
        assert_eq!(out.dtype(), DType::F64);
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(f64s(&out), [1., -7., 3., -7.]);
        // A 0-d mask fills everything or nothing; a 0-d tensor can be filled too.
        assert_eq!(f64s(&t.masked_fill(&Tensor::scalar(1.0), 0.0)), [0.; 4]);
        assert_eq!(
            Tensor::scalar(5.0)
                .masked_fill(&Tensor::scalar(0.0), 1.0)
                .item(),
            5.0
        );
    }

    #[test]
    #[should_panic(expected = "gt: shapes [2, 3] and [2] cannot be broadcast")]
    fn comparison_names_op_and_shapes() {
        Tensor::zeros(&[2, 3]).gt(&Tensor::zeros(&[2]));
    }

    #[test]
    #[should_panic(expected = "maximum: operands have different dtypes: f32 [2] and f64 [2]")]
    fn maximum_refuses_mixed_dtypes() {
        Tensor::zeros(&[2]).maximum(&Tensor::zeros(&[2]).to_dtype(DType::F64));
    }

    #[test]
    #[should_panic(expected = "where_cond: cond [2], a [3] and b [1] cannot be broadcast")]
    fn where_cond_names_all_three_shapes() {
        Tensor::where_cond(
            &Tensor::zeros(&[2]),
            &Tensor::zeros(&[3]),
            &Tensor::zeros(&[1]),
        );
    }

    #[test]
    #[should_panic(expected = "where_cond: operands have different dtypes: f32 [3] and f64 [3]")]
    fn where_cond_refuses_mixed_value_dtypes() {
        let b = Tensor::zeros(&[3]).to_dtype(DType::F64);
        Tensor::where_cond(&Tensor::zeros(&[3]), &Tensor::zeros(&[3]), &b);
    }

    #[test]
    #[should_panic(expected = "masked_fill: mask of shape [2, 3] cannot be broadcast to \
                               the tensor's shape [3]")]
    fn masked_fill_mask_must_fit_inside_self() {
        // [3] and [2, 3] broadcast together, but the result must keep self's shape.
        Tensor::zeros(&[3]).masked_fill(&Tensor::zeros(&[2, 3]), 1.0);
    }
}
