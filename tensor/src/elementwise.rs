//! The two elementwise engines every other op is built on, and the arithmetic
//! operators.
//!
//! - [`Tensor::map`]: `y[i] = f(x[i])`, same shape out as in.
//! - [`Tensor::zip_with`]: `z[i] = f(a[i'], b[i''])` after broadcasting `a` and `b` to
//!   a common shape (see [`crate::shape::broadcast_shapes`]); a broadcast operand is
//!   read through zero strides, never copied.
//!
//! Both take one closure over `f64`, written once for both float dtypes:
//! `t.map(|x| x.max(0.0))`. An f32 tensor's elements are widened to f64, the closure
//! runs, and the result is rounded back to f32. For `+ − × ÷` and `√` of f32 values
//! this gives exactly f32 arithmetic's answer: f64 carries more than twice f32's
//! precision, so rounding the exact result to f64 and then to f32 never differs from
//! rounding it to f32 once (Figueroa, "When is double rounding innocuous?", 1995).
//! Other functions come out at least as accurate as their f32 versions. The few
//! kernels where f32 speed matters (exp, tanh, sigmoid, softmax) have vectorised f32
//! loops of their own ([`crate::unary::vectorised`]). Both engines run on rayon above
//! [`crate::parallel::THRESHOLD`], and work on float tensors only.
//!
//! Operators: `&a + &b`, `a + b`, `&a * 2.0`, `2.0 - &a`, ... (`+ - * /` with NumPy
//! broadcasting; a scalar is rounded to the tensor's dtype first, as in PyTorch), and
//! `a += &b`, which adds into `a`'s own buffer when nothing else shares it (see
//! [`Tensor::zip_assign`], the in-place engine). `+ - *` also work on two `i64`
//! tensors (wrapping on overflow, as PyTorch); `/` of integers is refused rather than
//! silently giving floats, and `bool` tensors take the logical ops of
//! [`crate::compare`] instead.
//! Read next: [`crate::unary`] for the math functions.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use ndarray::{ArcArray, IxDyn, Zip};

use crate::dtype::{DType, Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::parallel::worth_parallel;
use crate::shape::broadcast_shapes;
use crate::tensor::{Tensor, check_float, check_same_dtype};

/// `y = f(x)` over an array, in parallel when large.
pub(crate) fn map_array<T: Element, U: Element>(
    a: &ArcArray<T, IxDyn>,
    f: impl Fn(T) -> U + Sync + Send,
) -> ArcArray<U, IxDyn> {
    if worth_parallel(a.len()) {
        Zip::from(a).par_map_collect(|&x| f(x)).into_shared()
    } else {
        a.mapv(f).into_shared()
    }
}

/// `z = f(a, b)` with both arrays broadcast to `shape` (already checked).
pub(crate) fn zip_arrays<T: Element, U: Element>(
    a: &ArcArray<T, IxDyn>,
    b: &ArcArray<T, IxDyn>,
    shape: &[usize],
    f: impl Fn(T, T) -> U + Sync + Send,
) -> ArcArray<U, IxDyn> {
    let shape = IxDyn(shape);
    let a = a
        .broadcast(shape.clone())
        .expect("internal error: broadcast shape was checked; this is a bug");
    let b = b
        .broadcast(shape)
        .expect("internal error: broadcast shape was checked; this is a bug");
    let zip = Zip::from(&a).and(&b);
    if worth_parallel(a.len()) {
        zip.par_map_collect(|&x, &y| f(x, y)).into_shared()
    } else {
        zip.map_collect(|&x, &y| f(x, y)).into_shared()
    }
}

/// Integer arithmetic of two i64 tensors; `None` when the op has no integer form.
type IntOp = Option<fn(i64, i64) -> i64>;

impl Tensor {
    /// Apply `f` to every element of a float tensor: `y[i] = f(x[i])`, computed in f64
    /// and rounded to the tensor's dtype (see the module doc).
    ///
    /// # Shapes
    /// Output shape = input shape, same dtype. The output is always contiguous.
    ///
    /// # Panics
    /// If the tensor is not f32 or f64.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec(vec![1.0, 4.0], &[2]).map(f64::sqrt);
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0]);
    /// let relu = Tensor::from_vec(vec![-1.0, 3.0], &[2]).map(|x| x.max(0.0));
    /// assert_eq!(relu.to_vec::<f32>(), vec![0.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn map(&self, f: impl Fn(f64) -> f64 + Sync + Send) -> Tensor {
        check_float("map", self).or_raise();
        match &self.storage {
            Storage::F32(a) => Storage::F32(map_array(a, |x| f(f64::from(x)) as f32)).into(),
            Storage::F64(a) => Storage::F64(map_array(a, f)).into(),
            _ => unreachable!("the dtype was checked to be a float above"),
        }
    }

    /// Combine two float tensors elementwise after broadcasting them to a common
    /// shape, computing in f64 and rounding to their dtype (see the module doc).
    /// `op` names the operation in error messages.
    ///
    /// # Errors
    /// If the shapes do not broadcast, the dtypes differ, or they are not floats.
    pub fn try_zip_with(
        &self,
        other: &Tensor,
        op: &'static str,
        f: impl Fn(f64, f64) -> f64 + Sync + Send,
    ) -> Result<Tensor, Error> {
        check_same_dtype(op, self, other)?;
        check_float(op, self)?;
        let shape = broadcast_shapes(op, self.shape(), other.shape())?;
        Ok(match (&self.storage, &other.storage) {
            (Storage::F32(a), Storage::F32(b)) => Storage::F32(zip_arrays(a, b, &shape, |x, y| {
                f(f64::from(x), f64::from(y)) as f32
            }))
            .into(),
            (Storage::F64(a), Storage::F64(b)) => Storage::F64(zip_arrays(a, b, &shape, f)).into(),
            _ => unreachable!("dtypes were checked equal and float above"),
        })
    }

    /// [`Tensor::try_zip_with`], panicking with the error message.
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast, the dtypes differ, or they are not floats.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::from_vec(vec![3.0, 4.0], &[2]);
    /// let b = Tensor::from_vec(vec![4.0, 3.0], &[2]);
    /// assert_eq!(a.zip_with(&b, "hypot", f64::hypot).to_vec::<f32>(), vec![5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn zip_with(
        &self,
        other: &Tensor,
        op: &'static str,
        f: impl Fn(f64, f64) -> f64 + Sync + Send,
    ) -> Tensor {
        self.try_zip_with(other, op, f).or_raise()
    }

    /// `float(a, b)` for float tensors, `int(a, b)` for two i64 tensors; a clear error
    /// for bool tensors and for integer ops that would need fractions. (`float` is a
    /// closure type, not a `fn` pointer, so that it is inlined into the loop.)
    #[track_caller]
    fn arithmetic(
        &self,
        other: &Tensor,
        op: &'static str,
        float: impl Fn(f64, f64) -> f64 + Sync + Send,
        int: IntOp,
    ) -> Tensor {
        check_same_dtype(op, self, other).or_raise();
        match (&self.storage, &other.storage, int) {
            (Storage::I64(a), Storage::I64(b), Some(int)) => {
                let shape = broadcast_shapes(op, self.shape(), other.shape()).or_raise();
                Storage::I64(zip_arrays(a, b, &shape, int)).into()
            }
            _ => {
                self.check_arithmetic(op, int.is_some()).or_raise();
                self.zip_with(other, op, float)
            }
        }
    }

    /// The error for arithmetic on a bool tensor, or on i64 when `int_ok` is false.
    fn check_arithmetic(&self, op: &'static str, int_ok: bool) -> Result<(), Error> {
        let hint = match self.dtype() {
            DType::F32 | DType::F64 => return Ok(()),
            DType::I64 if int_ok => return Ok(()),
            DType::I64 => {
                "integer division would give fractions: convert first with .to_dtype(DType::F32)"
            }
            DType::Bool => {
                "use logical_and / logical_or / logical_not, or convert with .to_dtype(..)"
            }
        };
        Err(Error::new(
            op,
            ErrorKind::DType,
            format!(
                "not defined for {} tensors {:?}",
                self.dtype(),
                self.shape()
            ),
        )
        .with_hint(hint))
    }

    /// `self` with the scalar `s` applied elementwise: `float(x, s)` with `s` first
    /// rounded to the tensor's float dtype (as PyTorch), or `int(x, s)` on an i64
    /// tensor when `s` is a whole number.
    #[track_caller]
    fn arithmetic_scalar(
        &self,
        s: f64,
        op: &'static str,
        float: impl Fn(f64, f64) -> f64 + Sync + Send,
        int: IntOp,
    ) -> Tensor {
        match (&self.storage, int) {
            (Storage::I64(a), Some(int)) if s.fract() == 0.0 => {
                let s = s as i64;
                Storage::I64(map_array(a, move |x| int(x, s))).into()
            }
            (Storage::I64(_), Some(_)) => Error::new(
                op,
                ErrorKind::DType,
                format!("an i64 tensor cannot take the fractional scalar {s}"),
            )
            .with_hint(
                "convert first with .to_dtype(DType::F32); ferrograd never promotes silently",
            )
            .raise(),
            _ => {
                self.check_arithmetic(op, int.is_some()).or_raise();
                let s = match self.dtype() {
                    DType::F32 => f64::from(s as f32),
                    _ => s,
                };
                self.map(move |x| float(x, s))
            }
        }
    }

    /// `self + other` with broadcasting. Same as the `+` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast, the dtypes differ, or they are bool.
    #[track_caller]
    pub fn add(&self, other: &Tensor) -> Tensor {
        self.arithmetic(other, "add", |a, b| a + b, Some(i64::wrapping_add))
    }

    /// `self - other` with broadcasting. Same as the `-` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast, the dtypes differ, or they are bool.
    #[track_caller]
    pub fn sub(&self, other: &Tensor) -> Tensor {
        self.arithmetic(other, "sub", |a, b| a - b, Some(i64::wrapping_sub))
    }

    /// `self * other` elementwise with broadcasting. Same as the `*` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast, the dtypes differ, or they are bool.
    #[track_caller]
    pub fn mul(&self, other: &Tensor) -> Tensor {
        self.arithmetic(other, "mul", |a, b| a * b, Some(i64::wrapping_mul))
    }

    /// `self / other` elementwise with broadcasting. Same as the `/` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast, the dtypes differ, or they are not floats.
    #[track_caller]
    pub fn div(&self, other: &Tensor) -> Tensor {
        self.arithmetic(other, "div", |a, b| a / b, None)
    }

    /// `-self`.
    ///
    /// # Panics
    /// If the tensor is bool.
    #[track_caller]
    pub fn neg(&self) -> Tensor {
        self.arithmetic_scalar(0.0, "neg", |a, _| -a, Some(|a, _| a.wrapping_neg()))
    }

    /// `self + s` for a scalar `s` (rounded to the tensor's dtype).
    ///
    /// # Panics
    /// If the tensor is bool, or i64 with a fractional `s`.
    #[track_caller]
    pub fn add_scalar(&self, s: f64) -> Tensor {
        self.arithmetic_scalar(s, "add_scalar", |a, b| a + b, Some(i64::wrapping_add))
    }

    /// `self * s` for a scalar `s` (rounded to the tensor's dtype).
    ///
    /// # Panics
    /// If the tensor is bool, or i64 with a fractional `s`.
    #[track_caller]
    pub fn mul_scalar(&self, s: f64) -> Tensor {
        self.arithmetic_scalar(s, "mul_scalar", |a, b| a * b, Some(i64::wrapping_mul))
    }

    /// `s - self` for a scalar `s`.
    ///
    /// # Panics
    /// If the tensor is bool, or i64 with a fractional `s`.
    #[track_caller]
    pub fn rsub_scalar(&self, s: f64) -> Tensor {
        self.arithmetic_scalar(
            s,
            "rsub_scalar",
            |a, b| b - a,
            Some(|a, b| b.wrapping_sub(a)),
        )
    }

    /// `s / self` for a scalar `s`.
    ///
    /// # Panics
    /// If the tensor is not a float tensor.
    #[track_caller]
    pub fn rdiv_scalar(&self, s: f64) -> Tensor {
        self.arithmetic_scalar(s, "rdiv_scalar", |a, b| b / a, None)
    }
}

/// `a[i] = f(a[i], b[i'])` with `b` broadcast to `a`'s shape, in `a`'s buffer.
fn zip_assign_array<T: Copy>(
    a: &mut ArcArray<T, IxDyn>,
    b: &ArcArray<T, IxDyn>,
    f: impl Fn(T, T) -> T,
) {
    if let (Some(x), Some(y)) = (a.as_slice_mut(), b.as_slice())
        && x.len() == y.len()
    {
        // Same shape, both row-major: a plain loop over two slices, which the compiler
        // turns into SIMD code.
        x.iter_mut().zip(y).for_each(|(x, &y)| *x = f(*x, y));
    } else {
        a.zip_mut_with(b, |x, &y| *x = f(*x, y));
    }
}

impl Tensor {
    /// `self[i] = f(self[i], other[i'])` in place, with `other` broadcast to `self`'s
    /// shape (which never changes). `op` names the operation in error messages.
    ///
    /// Tensors are copy-on-write: when `self`'s buffer is shared with another tensor
    /// (a clone or a view), `self` first gets a private copy, so the other tensor never
    /// changes. When `self` owns its buffer alone (a fresh result, an optimizer's
    /// moment), the result is written in place, without allocating.
    ///
    /// # Panics
    /// If `other` does not broadcast to `self`'s shape, the dtypes differ, or they are
    /// not floats.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let mut m = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// let g = Tensor::from_vec(vec![3.0, 6.0], &[2]);
    /// m.zip_assign(&g, "average", |m, g| 0.5 * m + 0.5 * g);
    /// assert_eq!(m.to_vec::<f32>(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn zip_assign(&mut self, other: &Tensor, op: &'static str, f: impl Fn(f64, f64) -> f64) {
        check_same_dtype(op, self, other).or_raise();
        check_float(op, self).or_raise();
        crate::shape::check_broadcast_to(op, other.shape(), self.shape()).or_raise();
        match (&mut self.storage, &other.storage) {
            (Storage::F32(a), Storage::F32(b)) => {
                zip_assign_array(a, b, |x, y| f(f64::from(x), f64::from(y)) as f32)
            }
            (Storage::F64(a), Storage::F64(b)) => zip_assign_array(a, b, f),
            _ => unreachable!("dtypes were checked equal and float above"),
        }
    }
}

impl AddAssign<&Tensor> for Tensor {
    /// `self += other`, with `other` broadcast to `self`'s shape: a
    /// [`Tensor::zip_assign`], so in place when `self` owns its buffer alone. This is
    /// how gradients are accumulated in `backward` and how `Linear` adds its bias.
    /// Two i64 tensors are added into a new buffer.
    ///
    /// # Panics
    /// If `other` does not broadcast to `self`'s shape, the dtypes differ, or they are
    /// bool.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let mut a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let view = a.clone();
    /// a += &Tensor::from_vec(vec![10.0, 20.0], &[2]); // each row + [10, 20]
    /// assert_eq!(a.to_vec::<f32>(), vec![11.0, 22.0, 13.0, 24.0]);
    /// assert_eq!(view.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]); // unchanged
    /// ```
    #[track_caller]
    fn add_assign(&mut self, other: &Tensor) {
        if self.dtype() == DType::I64 {
            crate::shape::check_broadcast_to("add_assign", other.shape(), self.shape()).or_raise();
            *self = Tensor::add(self, other);
        } else {
            self.zip_assign(other, "add_assign", |a, b| a + b);
        }
    }
}

// Operator overloads: every ownership combination forwards to the named method
// above, so `a + b`, `&a + &b`, `a + &b` and `&a + b` all work. This small macro only
// writes the forwarding; the arithmetic is the methods' and is read there.
macro_rules! forward_binary_operator {
    ($Trait:ident, $method:ident) => {
        impl $Trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$method(self, rhs)
            }
        }
        impl $Trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$method(&self, &rhs)
            }
        }
        impl $Trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$method(&self, rhs)
            }
        }
        impl $Trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$method(self, &rhs)
            }
        }
    };
}
forward_binary_operator!(Add, add);
forward_binary_operator!(Sub, sub);
forward_binary_operator!(Mul, mul);
forward_binary_operator!(Div, div);

impl Add<f64> for &Tensor {
    type Output = Tensor;
    fn add(self, s: f64) -> Tensor {
        self.add_scalar(s)
    }
}
impl Sub<f64> for &Tensor {
    type Output = Tensor;
    fn sub(self, s: f64) -> Tensor {
        self.add_scalar(-s)
    }
}
impl Mul<f64> for &Tensor {
    type Output = Tensor;
    fn mul(self, s: f64) -> Tensor {
        self.mul_scalar(s)
    }
}
impl Div<f64> for &Tensor {
    type Output = Tensor;
    fn div(self, s: f64) -> Tensor {
        self.mul_scalar(1.0 / s)
    }
}
impl Add<&Tensor> for f64 {
    type Output = Tensor;
    fn add(self, t: &Tensor) -> Tensor {
        t.add_scalar(self)
    }
}
impl Sub<&Tensor> for f64 {
    type Output = Tensor;
    fn sub(self, t: &Tensor) -> Tensor {
        t.rsub_scalar(self)
    }
}
impl Mul<&Tensor> for f64 {
    type Output = Tensor;
    fn mul(self, t: &Tensor) -> Tensor {
        t.mul_scalar(self)
    }
}
impl Div<&Tensor> for f64 {
    type Output = Tensor;
    fn div(self, t: &Tensor) -> Tensor {
        t.rdiv_scalar(self)
    }
}
impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}
impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}

#[cfg(test)]
mod tests;
