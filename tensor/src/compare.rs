//! Comparisons and logic: elementwise `maximum`/`minimum`, bool masks from
//! `eq ne gt lt ge le`, and `logical_and / or / xor / not` on masks. Choosing between
//! tensors with a mask (`where_cond`, `masked_fill`) is in [`crate::masked`].
//!
//! ```text
//! a.gt(&b)[i]              = a[i] > b[i]           (a bool tensor)
//! m.logical_and(&n)[i]     = m[i] ∧ n[i]           (also &m & &n;  | and ! likewise)
//! ```
//!
//! As in PyTorch, comparisons return `bool` tensors and `where_cond` / `masked_fill`
//! take them; a float 0/1 tensor is refused with a hint, because "which value means
//! keep" is exactly the kind of thing a mask's dtype should settle. To use a mask in
//! arithmetic, convert it: `mask.to_dtype(DType::F32)` gives 1.0 / 0.0. Comparisons work
//! on every dtype (both operands of one dtype); all binary forms broadcast NumPy-style
//! (see [`crate::shape::broadcast_shapes`]).
//! Read next: [`crate::masked`].

use std::ops::{BitAnd, BitOr, Not};

use ndarray::{ArcArray, IxDyn};
use num_traits::Float;

use crate::dtype::{DType, Element, Storage};
use crate::elementwise::{map_array, zip_arrays};
use crate::error::{Error, OrRaise};
use crate::shape::broadcast_shapes;
use crate::tensor::{Tensor, check_dtype, check_same_dtype};

/// `max(a, b)`, NaN if either is NaN (as `torch.maximum`; `f64::max` would drop it).
fn maximum_kernel<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || a > b { a } else { b }
}

/// `min(a, b)`, NaN if either is NaN.
fn minimum_kernel<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || a < b { a } else { b }
}

/// One of the six comparisons; `holds` is written once for every element type.
#[derive(Clone, Copy)]
enum Comparison {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl Comparison {
    fn name(self) -> &'static str {
        match self {
            Comparison::Eq => "eq",
            Comparison::Ne => "ne",
            Comparison::Gt => "gt",
            Comparison::Lt => "lt",
            Comparison::Ge => "ge",
            Comparison::Le => "le",
        }
    }

    /// Whether `a ⋈ b` holds (IEEE rules: every comparison with NaN is false, except ≠).
    fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Comparison::Eq => a == b,
            Comparison::Ne => a != b,
            Comparison::Gt => a > b,
            Comparison::Lt => a < b,
            Comparison::Ge => a >= b,
            Comparison::Le => a <= b,
        }
    }
}

/// Check that `mask` is a bool tensor; `what` names it in the message ("cond", "mask").
///
/// # Errors
/// A [`crate::ErrorKind::DType`] error naming the op, the dtype and the shape, with a
/// hint.
pub fn check_bool(op: &'static str, what: &str, mask: &Tensor) -> Result<(), Error> {
    let hint = "make one with a comparison such as x.gt_scalar(0.0), or with \
                .to_dtype(DType::Bool) (nonzero → true)";
    check_dtype(op, what, mask, DType::Bool, hint)
}

impl Tensor {
    /// `self ⋈ other` elementwise, broadcasting, into a bool tensor.
    #[track_caller]
    fn compare(&self, other: &Tensor, cmp: Comparison) -> Tensor {
        let op = cmp.name();
        check_same_dtype(op, self, other).or_raise();
        let shape = broadcast_shapes(op, self.shape(), other.shape()).or_raise();
        fn each<T: Element>(
            a: &ArcArray<T, IxDyn>,
            b: &ArcArray<T, IxDyn>,
            shape: &[usize],
            cmp: Comparison,
        ) -> ArcArray<bool, IxDyn> {
            zip_arrays(a, b, shape, move |x, y| cmp.holds(x, y))
        }
        let out = match (&self.storage, &other.storage) {
            (Storage::F32(a), Storage::F32(b)) => each(a, b, &shape, cmp),
            (Storage::F64(a), Storage::F64(b)) => each(a, b, &shape, cmp),
            (Storage::I64(a), Storage::I64(b)) => each(a, b, &shape, cmp),
            (Storage::Bool(a), Storage::Bool(b)) => each(a, b, &shape, cmp),
            _ => unreachable!("dtypes were checked equal above"),
        };
        Storage::Bool(out).into()
    }

    /// `self ⋈ s` elementwise for a scalar `s`, into a bool tensor. For f32, `s` is
    /// rounded to f32 first (so an f32 tensor holding `0.1` equals `0.1`); every other
    /// dtype compares its values as f64 with `s`.
    fn compare_scalar(&self, s: f64, cmp: Comparison) -> Tensor {
        fn each<T: Element>(a: &ArcArray<T, IxDyn>, s: f64, cmp: Comparison) -> Tensor {
            Storage::Bool(map_array(a, move |x| cmp.holds(x.as_f64(), s))).into()
        }
        match &self.storage {
            Storage::F32(a) => each(a, f64::from(s as f32), cmp),
            Storage::F64(a) => each(a, s, cmp),
            Storage::I64(a) => each(a, s, cmp),
            Storage::Bool(a) => each(a, s, cmp),
        }
    }

    /// Elementwise `max(self, other)` with broadcasting; NaN wins (as `torch.maximum`).
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast, the dtypes differ, or they are bool.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 5.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0, 2.0], &[2]);
    /// assert_eq!(a.maximum(&b).to_vec::<f32>(), vec![3.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn maximum(&self, other: &Tensor) -> Tensor {
        self.extreme_of_two(other, "maximum", maximum_kernel, i64::max)
    }

    /// Elementwise `min(self, other)` with broadcasting; NaN wins.
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast, the dtypes differ, or they are bool.
    #[track_caller]
    pub fn minimum(&self, other: &Tensor) -> Tensor {
        self.extreme_of_two(other, "minimum", minimum_kernel, i64::min)
    }

    #[track_caller]
    fn extreme_of_two(
        &self,
        other: &Tensor,
        op: &'static str,
        float: impl Fn(f64, f64) -> f64 + Sync + Send,
        int: fn(i64, i64) -> i64,
    ) -> Tensor {
        check_same_dtype(op, self, other).or_raise();
        if let (Storage::I64(a), Storage::I64(b)) = (&self.storage, &other.storage) {
            let shape = broadcast_shapes(op, self.shape(), other.shape()).or_raise();
            return Storage::I64(zip_arrays(a, b, &shape, int)).into();
        }
        self.zip_with(other, op, float)
    }

    /// Where `self == other`, as a bool tensor (PyTorch's `torch.eq`).
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    /// let b = Tensor::from_vec(vec![2.0], &[1]);
    /// assert_eq!(a.eq(&b).to_vec::<bool>(), vec![false, true, false]);
    /// assert_eq!(a.gt(&b).to_vec::<bool>(), vec![false, false, true]);
    /// // predicted == true labels, counted: a sum of a bool tensor is an i64 count
    /// let pred = Tensor::from_vec_i64(vec![2, 0, 1], &[3]);
    /// let labels = Tensor::from_vec_i64(vec![2, 1, 1], &[3]);
    /// assert_eq!(pred.eq(&labels).sum().item(), 2.0);
    /// ```
    #[track_caller]
    pub fn eq(&self, other: &Tensor) -> Tensor {
        self.compare(other, Comparison::Eq)
    }

    /// Where `self != other` (NaN ≠ NaN), as a bool tensor. Same shapes and panics as
    /// [`Tensor::eq`].
    #[track_caller]
    pub fn ne(&self, other: &Tensor) -> Tensor {
        self.compare(other, Comparison::Ne)
    }

    /// Where `self > other`, as a bool tensor. Same shapes and panics as [`Tensor::eq`].
    #[track_caller]
    pub fn gt(&self, other: &Tensor) -> Tensor {
        self.compare(other, Comparison::Gt)
    }

    /// Where `self < other`, as a bool tensor. Same shapes and panics as [`Tensor::eq`].
    #[track_caller]
    pub fn lt(&self, other: &Tensor) -> Tensor {
        self.compare(other, Comparison::Lt)
    }

    /// Where `self >= other`, as a bool tensor. Same shapes and panics as [`Tensor::eq`].
    #[track_caller]
    pub fn ge(&self, other: &Tensor) -> Tensor {
        self.compare(other, Comparison::Ge)
    }

    /// Where `self <= other`, as a bool tensor. Same shapes and panics as [`Tensor::eq`].
    #[track_caller]
    pub fn le(&self, other: &Tensor) -> Tensor {
        self.compare(other, Comparison::Le)
    }

    /// Where `self == s` for a scalar `s` (PyTorch's `x == s`), as a bool tensor of
    /// `self`'s shape. On f32 `s` is rounded to f32 first, so an f32 `0.1` equals `0.1`.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let t = Tensor::from_vec(vec![0.1, 0.2], &[2]);
    /// assert_eq!(t.eq_scalar(0.1).to_vec::<bool>(), vec![true, false]);
    /// let ids = Tensor::from_vec_i64(vec![0, 5, 0], &[3]);
    /// assert_eq!(ids.eq_scalar(0.0).to_vec::<bool>(), vec![true, false, true]); // padding
    /// ```
    pub fn eq_scalar(&self, s: f64) -> Tensor {
        self.compare_scalar(s, Comparison::Eq)
    }

    /// Where `self != s`, as a bool tensor of `self`'s shape.
    pub fn ne_scalar(&self, s: f64) -> Tensor {
        self.compare_scalar(s, Comparison::Ne)
    }

    /// Where `self > s` (PyTorch's `x > s`), as a bool tensor of `self`'s shape.
    pub fn gt_scalar(&self, s: f64) -> Tensor {
        self.compare_scalar(s, Comparison::Gt)
    }

    /// Where `self < s`, as a bool tensor of `self`'s shape.
    pub fn lt_scalar(&self, s: f64) -> Tensor {
        self.compare_scalar(s, Comparison::Lt)
    }

    /// Where `self >= s`, as a bool tensor of `self`'s shape.
    pub fn ge_scalar(&self, s: f64) -> Tensor {
        self.compare_scalar(s, Comparison::Ge)
    }

    /// Where `self <= s`, as a bool tensor of `self`'s shape.
    pub fn le_scalar(&self, s: f64) -> Tensor {
        self.compare_scalar(s, Comparison::Le)
    }

    /// `f(a, b)` of two bool tensors, broadcasting; `op` names errors.
    #[track_caller]
    fn logical(
        &self,
        other: &Tensor,
        op: &'static str,
        f: impl Fn(bool, bool) -> bool + Sync + Send,
    ) -> Tensor {
        check_bool(op, "the first operand", self).or_raise();
        check_bool(op, "the second operand", other).or_raise();
        let shape = broadcast_shapes(op, self.shape(), other.shape()).or_raise();
        let (Storage::Bool(a), Storage::Bool(b)) = (&self.storage, &other.storage) else {
            unreachable!("both dtypes were checked to be bool above")
        };
        Storage::Bool(zip_arrays(a, b, &shape, f)).into()
    }

    /// Elementwise `self AND other` of two bool tensors, broadcasting (also `&a & &b`).
    ///
    /// # Panics
    /// If either is not a bool tensor or the shapes do not broadcast.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0, 0.5, 2.0], &[3]);
    /// let inside = x.gt_scalar(0.0).logical_and(&x.lt_scalar(1.0));
    /// assert_eq!(inside.to_vec::<bool>(), vec![false, true, false]);
    /// assert_eq!((&x.gt_scalar(0.0) | &x.lt_scalar(0.0)).to_vec::<bool>(), vec![true; 3]);
    /// assert_eq!((!&inside).to_vec::<bool>(), vec![true, false, true]);
    /// ```
    #[track_caller]
    pub fn logical_and(&self, other: &Tensor) -> Tensor {
        self.logical(other, "logical_and", |a, b| a & b)
    }

    /// Elementwise `self OR other` of two bool tensors (also `&a | &b`). Same shapes
    /// and panics as [`Tensor::logical_and`].
    #[track_caller]
    pub fn logical_or(&self, other: &Tensor) -> Tensor {
        self.logical(other, "logical_or", |a, b| a | b)
    }

    /// Elementwise `self XOR other` of two bool tensors. Same shapes and panics as
    /// [`Tensor::logical_and`].
    #[track_caller]
    pub fn logical_xor(&self, other: &Tensor) -> Tensor {
        self.logical(other, "logical_xor", |a, b| a ^ b)
    }

    /// Elementwise NOT of a bool tensor (also `!&mask`).
    ///
    /// # Panics
    /// If the tensor is not bool.
    #[track_caller]
    pub fn logical_not(&self) -> Tensor {
        check_bool("logical_not", "the operand", self).or_raise();
        let Storage::Bool(a) = &self.storage else {
            unreachable!("the dtype was checked to be bool above")
        };
        Storage::Bool(map_array(a, |x| !x)).into()
    }
}

impl BitAnd for &Tensor {
    type Output = Tensor;
    /// [`Tensor::logical_and`].
    #[track_caller]
    fn bitand(self, rhs: &Tensor) -> Tensor {
        self.logical_and(rhs)
    }
}

impl BitOr for &Tensor {
    type Output = Tensor;
    /// [`Tensor::logical_or`].
    #[track_caller]
    fn bitor(self, rhs: &Tensor) -> Tensor {
        self.logical_or(rhs)
    }
}

impl Not for &Tensor {
    type Output = Tensor;
    /// [`Tensor::logical_not`].
    #[track_caller]
    fn not(self) -> Tensor {
        self.logical_not()
    }
}

impl Not for Tensor {
    type Output = Tensor;
    /// [`Tensor::logical_not`].
    #[track_caller]
    fn not(self) -> Tensor {
        self.logical_not()
    }
}

// Unit tests live in compare/tests.rs to keep this file short.
#[cfg(test)]
mod tests;
