//! Choosing elements with a bool mask: `where_cond` (PyTorch's `torch.where`) and
//! `masked_fill`.
//!
//! ```text
//! where_cond(c, a, b)[i] = a[i] if c[i] else b[i]          (c a bool tensor)
//! t.masked_fill(m, v)[i] = v    if m[i] else t[i]          (m a bool tensor)
//! ```
//! Both take bool masks only, as PyTorch does; the values may have any dtype (both
//! of one dtype). A mask broadcasts like any operand. Which value of a mask means
//! "keep" is the API's to say, and each one documents it: here true picks `a` and
//! true is filled. Read next: [`crate::reduce`].

use ndarray::{ArcArray, IxDyn, Zip};

use crate::compare::check_bool;
use crate::dtype::{Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::parallel::worth_parallel;
use crate::shape::{broadcast_shapes, check_broadcast_to};
use crate::tensor::{Tensor, check_same_dtype};

/// `out[i] = a[i] if cond[i] else b[i]`, all three broadcast to `shape` (checked).
fn select_arrays<T: Element>(
    cond: &ArcArray<bool, IxDyn>,
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
    /// `a` where `cond` is true, else `b` (PyTorch's `torch.where(cond, a, b)`).
    ///
    /// # Errors
    /// If `cond` is not a bool tensor, `a` and `b` have different dtypes, or the three
    /// shapes do not broadcast together.
    pub fn try_where_cond(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor, Error> {
        const OP: &str = "where_cond";
        check_bool(OP, "cond", cond)?;
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
        let Storage::Bool(mask) = &cond.storage else {
            unreachable!("cond was checked to be bool above")
        };
        Ok(match (&a.storage, &b.storage) {
            (Storage::F32(a), Storage::F32(b)) => {
                Storage::F32(select_arrays(mask, a, b, &shape)).into()
            }
            (Storage::F64(a), Storage::F64(b)) => {
                Storage::F64(select_arrays(mask, a, b, &shape)).into()
            }
            (Storage::I64(a), Storage::I64(b)) => {
                Storage::I64(select_arrays(mask, a, b, &shape)).into()
            }
            (Storage::Bool(a), Storage::Bool(b)) => {
                Storage::Bool(select_arrays(mask, a, b, &shape)).into()
            }
            _ => unreachable!("dtypes were checked equal above"),
        })
    }

    /// `a` where `cond` is true, else `b`, elementwise with three-way broadcasting.
    ///
    /// ```text
    /// out[i] = a[i] if cond[i] else b[i]
    /// ```
    ///
    /// # Shapes
    /// `cond: S1` (bool), `a: S2`, `b: S3` → `broadcast(S1, S2, S3)`; the dtype is `a`'s.
    ///
    /// # Panics
    /// If `cond` is not bool, `a` and `b` have different dtypes, or the shapes do not
    /// broadcast.
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

    /// `self` with `value` written wherever `mask` is true (a new tensor).
    ///
    /// # Errors
    /// If `mask` is not a bool tensor, or its shape does not broadcast to `self`'s
    /// (the result always has `self`'s shape).
    pub fn try_masked_fill(&self, mask: &Tensor, value: f64) -> Result<Tensor, Error> {
        check_bool("masked_fill", "mask", mask)?;
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

    /// `self` with `value` wherever `mask` is true (PyTorch's `masked_fill`), e.g. −∞
    /// on the attention scores a position may not see, before a softmax.
    ///
    /// # Shapes
    /// `self: S`, `mask`: bool, broadcastable to `S` → `S` (dtype of `self`).
    ///
    /// # Panics
    /// If `mask` is not bool or its shape does not broadcast to `self`'s.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let scores = Tensor::zeros(&[2, 2]);
    /// let future = Tensor::from_vec_bool(vec![false, true, false, false], &[2, 2]);
    /// let masked = scores.masked_fill(&future, f64::NEG_INFINITY);
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

    fn bools(values: &[bool], shape: &[usize]) -> Tensor {
        Tensor::from_vec_bool(values.to_vec(), shape)
    }

    #[test]
    fn where_cond_broadcasts_three_ways_in_every_dtype() {
        // cond [2, 1], a [3], b 0-d → [2, 3]
        let cond = bools(&[true, false], &[2, 1]);
        for dtype in [DType::F32, DType::F64, DType::I64, DType::Bool] {
            let a = Tensor::from_vec(vec![1.0, 2.0, 0.0], &[3]).to_dtype(dtype);
            let b = Tensor::full_dtype(&[], -1.0, dtype);
            let out = Tensor::where_cond(&cond, &a, &b);
            assert_eq!((out.shape(), out.dtype()), (&[2, 3][..], dtype));
            let want =
                [1., 2., 0., -1., -1., -1.].map(|v| Tensor::full_dtype(&[], v, dtype).item());
            assert_eq!(out.to_vec::<f64>(), want);
        }
    }

    #[test]
    fn masked_fill_keeps_shape_and_dtype_and_reads_views_in_order() {
        let t = Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let out = t.masked_fill(&bools(&[false, true], &[2]), -7.0);
        assert_eq!((out.dtype(), out.shape()), (DType::F64, &[2, 2][..]));
        assert_eq!(out.to_vec::<f64>(), [1., -7., 3., -7.]);
        // transposed self: [[1, 3], [2, 4]]
        let out = t.t().masked_fill(&bools(&[true, false], &[2]), 0.0);
        assert_eq!(out.to_vec::<f64>(), [0., 3., 0., 4.]);
        // a 0-d mask fills everything or nothing; a 0-d tensor can be filled too
        assert_eq!(
            t.masked_fill(&bools(&[true], &[]), 0.0).to_vec::<f64>(),
            [0.; 4]
        );
        assert_eq!(
            Tensor::scalar(5.0)
                .masked_fill(&bools(&[false], &[]), 1.0)
                .item(),
            5.0
        );
        // i64 values: the fill is truncated to an integer
        let ids = Tensor::from_vec_i64(vec![3, 4], &[2]);
        let padded = ids.masked_fill(&ids.eq_scalar(4.0), 0.0);
        assert_eq!(padded.to_vec::<i64>(), [3, 0]);
    }

    #[test]
    #[should_panic(expected = "where_cond: cond must be a bool tensor, got f32 [3]")]
    fn where_cond_refuses_a_float_condition() {
        Tensor::where_cond(
            &Tensor::ones(&[3]),
            &Tensor::zeros(&[3]),
            &Tensor::zeros(&[3]),
        );
    }

    #[test]
    #[should_panic(expected = "masked_fill: mask must be a bool tensor, got i64 [2]")]
    fn masked_fill_refuses_an_integer_mask() {
        Tensor::zeros(&[2]).masked_fill(&Tensor::from_vec_i64(vec![0, 1], &[2]), 1.0);
    }

    #[test]
    #[should_panic(expected = "where_cond: cond [2], a [3] and b [1] cannot be broadcast")]
    fn where_cond_names_all_three_shapes() {
        let cond = bools(&[true, false], &[2]);
        Tensor::where_cond(&cond, &Tensor::zeros(&[3]), &Tensor::zeros(&[1]));
    }

    #[test]
    #[should_panic(expected = "where_cond: operands have different dtypes: f32 [3] and f64 [3]")]
    fn where_cond_refuses_mixed_value_dtypes() {
        let b = Tensor::zeros(&[3]).to_dtype(DType::F64);
        Tensor::where_cond(&bools(&[true; 3], &[3]), &Tensor::zeros(&[3]), &b);
    }

    #[test]
    #[should_panic(expected = "masked_fill: mask of shape [2, 3] cannot be broadcast to \
                               the tensor's shape [3]")]
    fn masked_fill_mask_must_fit_inside_self() {
        // [3] and [2, 3] broadcast together, but the result must keep self's shape.
        Tensor::zeros(&[3]).masked_fill(&bools(&[true; 6], &[2, 3]), 1.0);
    }
}
