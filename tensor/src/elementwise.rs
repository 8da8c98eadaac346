//! The two elementwise engines every other op is built on, and the arithmetic
//! operators.
//!
//! - [`Tensor::map`]: `y[i] = f(x[i])`, same shape out as in.
//! - [`Tensor::zip_with`]: `z[i] = f(a[i'], b[i''])` after broadcasting `a` and `b` to
//!   a common shape (see [`crate::shape::broadcast_shapes`]); a broadcast operand is
//!   read through zero strides, never copied.
//!
//! Both take one closure per dtype, so a generic kernel such as
//! `fn sigmoid<T: Float>(x: T) -> T` is written once and passed twice:
//! `t.map(sigmoid, sigmoid)`. Both run on rayon above [`crate::parallel::THRESHOLD`].
//!
//! Operators: `&a + &b`, `a + b`, `&a * 2.0`, `2.0 - &a`, ... (`+ - * /` with NumPy
//! broadcasting; scalars are `f64` and are converted to the tensor's dtype), and
//! `a += &b`, which adds into `a`'s own buffer when nothing else shares it (see
//! [`Tensor::zip_assign`], the in-place engine).
//! Read next: [`crate::unary`] for the math functions.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use ndarray::{ArcArray, IxDyn, Zip};

use crate::dtype::Element;
use crate::error::{Error, OrRaise};
use crate::parallel::worth_parallel;
use crate::shape::broadcast_shapes;
use crate::tensor::{Storage, Tensor, check_same_dtype};

/// `y = f(x)` over an array, in parallel when large.
pub(crate) fn map_array<T: Element>(
    a: &ArcArray<T, IxDyn>,
    f: impl Fn(T) -> T + Sync + Send,
) -> ArcArray<T, IxDyn> {
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

impl Tensor {
    /// Apply a function to every element: `f32_fn` on an f32 tensor, `f64_fn` on f64.
    ///
    /// # Shapes
    /// Output shape = input shape. The output is always contiguous.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let y = Tensor::from_vec(vec![1.0, 4.0], &[2]).map(f32::sqrt, f64::sqrt);
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0]);
    /// ```
    pub fn map(
        &self,
        f32_fn: impl Fn(f32) -> f32 + Sync + Send,
        f64_fn: impl Fn(f64) -> f64 + Sync + Send,
    ) -> Tensor {
        match &self.storage {
            Storage::F32(a) => Storage::F32(map_array(a, f32_fn)).into(),
            Storage::F64(a) => Storage::F64(map_array(a, f64_fn)).into(),
        }
    }

    /// Combine two tensors elementwise after broadcasting them to a common shape.
    ///
    /// `op` names the operation in error messages.
    ///
    /// # Errors
    /// If the shapes do not broadcast or the dtypes differ.
    pub fn try_zip_with(
        &self,
        other: &Tensor,
        op: &'static str,
        f32_fn: impl Fn(f32, f32) -> f32 + Sync + Send,
        f64_fn: impl Fn(f64, f64) -> f64 + Sync + Send,
    ) -> Result<Tensor, Error> {
        check_same_dtype(op, self, other)?;
        let shape = broadcast_shapes(op, self.shape(), other.shape())?;
        Ok(match (&self.storage, &other.storage) {
            (Storage::F32(a), Storage::F32(b)) => {
                Storage::F32(zip_arrays(a, b, &shape, f32_fn)).into()
            }
            (Storage::F64(a), Storage::F64(b)) => {
                Storage::F64(zip_arrays(a, b, &shape, f64_fn)).into()
            }
            _ => unreachable!("dtypes were checked equal above"),
        })
    }

    /// [`Tensor::try_zip_with`], panicking with the error message.
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn zip_with(
        &self,
        other: &Tensor,
        op: &'static str,
        f32_fn: impl Fn(f32, f32) -> f32 + Sync + Send,
        f64_fn: impl Fn(f64, f64) -> f64 + Sync + Send,
    ) -> Tensor {
        self.try_zip_with(other, op, f32_fn, f64_fn).or_raise()
    }

    /// `self + other` with broadcasting. Same as the `+` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn add(&self, other: &Tensor) -> Tensor {
        self.zip_with(other, "add", |a, b| a + b, |a, b| a + b)
    }

    /// `self - other` with broadcasting. Same as the `-` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn sub(&self, other: &Tensor) -> Tensor {
        self.zip_with(other, "sub", |a, b| a - b, |a, b| a - b)
    }

    /// `self * other` elementwise with broadcasting. Same as the `*` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn mul(&self, other: &Tensor) -> Tensor {
        self.zip_with(other, "mul", |a, b| a * b, |a, b| a * b)
    }

    /// `self / other` elementwise with broadcasting. Same as the `/` operator.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn div(&self, other: &Tensor) -> Tensor {
        self.zip_with(other, "div", |a, b| a / b, |a, b| a / b)
    }

    /// `-self`.
    pub fn neg(&self) -> Tensor {
        self.map(|x| -x, |x| -x)
    }

    /// `self + s` for a scalar `s` (converted to the tensor's dtype).
    pub fn add_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| x + s32, move |x| x + s)
    }

    /// `self * s` for a scalar `s` (converted to the tensor's dtype).
    pub fn mul_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| x * s32, move |x| x * s)
    }

    /// `s - self` for a scalar `s`.
    pub fn rsub_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| s32 - x, move |x| s - x)
    }

    /// `s / self` for a scalar `s`.
    pub fn rdiv_scalar(&self, s: f64) -> Tensor {
        let s32 = s as f32;
        self.map(move |x| s32 / x, move |x| s / x)
    }
}

/// `a[i] = f(a[i], b[i'])` with `b` broadcast to `a`'s shape, in `a`'s buffer.
fn zip_assign_array<T: Element>(
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
    /// If `other` does not broadcast to `self`'s shape or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let mut m = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// let g = Tensor::from_vec(vec![3.0, 6.0], &[2]);
    /// m.zip_assign(&g, "average", |m, g| 0.5 * m + 0.5 * g, |m, g| 0.5 * m + 0.5 * g);
    /// assert_eq!(m.to_vec::<f32>(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn zip_assign(
        &mut self,
        other: &Tensor,
        op: &'static str,
        f32_fn: impl Fn(f32, f32) -> f32,
        f64_fn: impl Fn(f64, f64) -> f64,
    ) {
        check_same_dtype(op, self, other).or_raise();
        crate::shape::check_broadcast_to(op, other.shape(), self.shape()).or_raise();
        match (&mut self.storage, &other.storage) {
            (Storage::F32(a), Storage::F32(b)) => zip_assign_array(a, b, f32_fn),
            (Storage::F64(a), Storage::F64(b)) => zip_assign_array(a, b, f64_fn),
            _ => unreachable!("dtypes were checked equal above"),
        }
    }
}

impl AddAssign<&Tensor> for Tensor {
    /// `self += other`, with `other` broadcast to `self`'s shape: a
    /// [`Tensor::zip_assign`], so in place when `self` owns its buffer alone. This is
    /// how gradients are accumulated in `backward` and how `Linear` adds its bias.
    ///
    /// # Panics
    /// If `other` does not broadcast to `self`'s shape or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let mut a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let view = a.clone();
    /// a += &Tensor::from_vec(vec![10.0, 20.0], &[2]); // each row + [10, 20]
    /// assert_eq!(a.to_vec::<f32>(), vec![11.0, 22.0, 13.0, 24.0]);
    /// assert_eq!(view.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]); // unchanged
    /// ```
    #[track_caller]
    fn add_assign(&mut self, other: &Tensor) {
        self.zip_assign(other, "add_assign", |a, b| a + b, |a, b| a + b);
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
mod tests {
    use super::*;

    #[test]
    fn broadcasting_add_matches_hand_values() {
        let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let b = Tensor::from_vec(vec![10.0, 20.0], &[2, 1]);
        assert_eq!(
            (&a + &b).to_vec::<f32>(),
            vec![11., 12., 13., 24., 25., 26.]
        );
        assert_eq!((&a - 1.0).to_vec::<f32>(), vec![0., 1., 2., 3., 4., 5.]);
        assert_eq!((2.0 / &b).to_vec::<f32>(), vec![0.2, 0.1]);
        assert_eq!((-&b).to_vec::<f32>(), vec![-10., -20.]);
    }

    #[test]
    fn add_assign_writes_in_place_only_when_unshared() {
        // a fresh tensor owns its buffer: the sum lands in the same memory
        let mut a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let before = a.array::<f32>().as_ptr();
        a += &Tensor::ones(&[2, 3]);
        assert_eq!(a.array::<f32>().as_ptr(), before);
        assert_eq!(a.to_vec::<f32>(), vec![2., 3., 4., 5., 6., 7.]);
        // a shared one is copied first; a strided `self` and a broadcast `other` work
        let mut t = a.t();
        let shared = t.clone();
        t += &Tensor::from_vec(vec![10.0, 20.0], &[1, 2]);
        assert_eq!(t.to_vec::<f32>(), vec![12., 25., 13., 26., 14., 27.]);
        assert_eq!(shared.to_vec::<f32>(), vec![2., 5., 3., 6., 4., 7.]);
    }

    #[test]
    #[should_panic(expected = "add_assign: cannot broadcast shape [2, 3] to [3]")]
    fn add_assign_never_changes_the_shape() {
        let mut a = Tensor::zeros(&[3]);
        a += &Tensor::zeros(&[2, 3]);
    }

    #[test]
    #[should_panic(expected = "mul: shapes [2, 3] and [2] cannot be broadcast")]
    fn bad_broadcast_names_op_and_shapes() {
        let _ = &Tensor::zeros(&[2, 3]) * &Tensor::zeros(&[2]);
    }

    #[test]
    #[should_panic(expected = "add: operands have different dtypes: f32 [2] and f64 [2]")]
    fn dtypes_never_promote() {
        let _ = &Tensor::zeros(&[2]) + &Tensor::zeros(&[2]).to_dtype(crate::DType::F64);
    }
}
