//! The [`Tensor`] type: runtime-typed, reference-counted n-d storage.
//!
//! ```text
//! Tensor { storage: F32(ArcArray<f32, IxDyn>) | F64(..f64..) | I64(..i64..) | Bool(..bool..) }
//!          └ shape [2, 3], strides [3, 1], data shared by clones and views
//! ```
//! Clones share the buffer (an `Arc`); a write makes a private copy first
//! (copy-on-write), so a tensor a learner holds never changes under them. When the
//! last owner of a large buffer is dropped, the buffer goes to [`crate::pool`] for the
//! next result of its size.
//! The dtype checks ops start with (`check_same_dtype`, `check_float`, `check_dtype`)
//! are at the end of this file.
//! Read next: [`crate::creation`] to make tensors, [`crate::shape`] for the rules.

use ndarray::{ArcArray, ArrayD, IxDyn};

use crate::dtype::{DType, Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};

/// An n-dimensional array of `f32` (default), `f64`, `i64` or `bool`, with NumPy-style
/// broadcasting.
///
/// Cheap to clone (shared storage). Views such as [`Tensor::transpose`] change strides
/// only; [`Tensor::contiguous`] makes a row-major copy when a kernel needs one.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// let b = Tensor::ones(&[3]);
/// let c = &a + &b; // [2, 3] + [3] broadcasts to [2, 3]
/// assert_eq!(c.to_vec::<f32>(), vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
/// ```
#[derive(Clone)]
pub struct Tensor {
    pub(crate) storage: Storage,
}

impl Tensor {
    /// Wrap a storage value. Every tensor is built here (the first one also sets the
    /// allocator to keep freed memory: [`crate::memory`]).
    pub fn from_storage(storage: Storage) -> Tensor {
        crate::memory::keep_freed_memory();
        Tensor { storage }
    }

    /// The storage (for kernels outside this crate that need the raw array).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Build a tensor from an ndarray array of any element type.
    pub fn from_array<T: Element>(array: ArrayD<T>) -> Tensor {
        Tensor::from_storage(T::into_storage(array.into_shared()))
    }

    /// The array behind this tensor, if its dtype is `T`.
    ///
    /// # Panics
    /// If the dtype is not `T`'s, naming both.
    #[track_caller]
    pub fn array<T: Element>(&self) -> &ArcArray<T, IxDyn> {
        T::array_of(&self.storage).unwrap_or_else(|| {
            Error::new(
                "array",
                ErrorKind::DType,
                format!(
                    "asked for {} elements of a {} tensor",
                    T::DTYPE,
                    self.dtype()
                ),
            )
            .with_hint("convert first with .to_dtype(..)")
            .raise()
        })
    }

    /// The shape, e.g. `[2, 3]` (`[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        match &self.storage {
            Storage::F32(a) => a.shape(),
            Storage::F64(a) => a.shape(),
            Storage::I64(a) => a.shape(),
            Storage::Bool(a) => a.shape(),
        }
    }

    /// Strides in elements, one per dim (0 on a broadcast dim).
    pub fn strides(&self) -> &[isize] {
        match &self.storage {
            Storage::F32(a) => a.strides(),
            Storage::F64(a) => a.strides(),
            Storage::I64(a) => a.strides(),
            Storage::Bool(a) => a.strides(),
        }
    }

    /// Number of dims (PyTorch's `dim()`); 0 for a scalar.
    pub fn dims(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape().iter().product()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match &self.storage {
            Storage::F32(_) => DType::F32,
            Storage::F64(_) => DType::F64,
            Storage::I64(_) => DType::I64,
            Storage::Bool(_) => DType::Bool,
        }
    }

    /// Size of `dim` (negative counts from the end).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn size(&self, dim: isize) -> usize {
        let d = crate::shape::normalize_dim("size", dim, self.shape()).or_raise();
        self.shape()[d]
    }

    /// Whether the elements are laid out row-major without gaps (C order).
    pub fn is_contiguous(&self) -> bool {
        match &self.storage {
            Storage::F32(a) => a.is_standard_layout(),
            Storage::F64(a) => a.is_standard_layout(),
            Storage::I64(a) => a.is_standard_layout(),
            Storage::Bool(a) => a.is_standard_layout(),
        }
    }

    /// A row-major copy if the layout is not already row-major, else a cheap clone.
    pub fn contiguous(&self) -> Tensor {
        fn standard<T: Element>(a: &ArcArray<T, IxDyn>) -> ArcArray<T, IxDyn> {
            if a.is_standard_layout() {
                a.clone()
            } else {
                a.as_standard_layout().into_owned().into_shared()
            }
        }
        match &self.storage {
            Storage::F32(a) => Storage::F32(standard(a)).into(),
            Storage::F64(a) => Storage::F64(standard(a)).into(),
            Storage::I64(a) => Storage::I64(standard(a)).into(),
            Storage::Bool(a) => Storage::Bool(standard(a)).into(),
        }
    }

    /// Convert to `dtype` (a cheap clone when it already is), as Rust's `as` and
    /// PyTorch's `.to(dtype)`: floats to i64 truncate toward zero (NaN → 0, out of
    /// range saturates), anything to bool is `x != 0`, bool to numbers is 0 or 1.
    ///
    /// ```
    /// # use ferrograd::tensor::{DType, Tensor};
    /// let x = Tensor::from_vec(vec![-1.7, 0.0, 2.5], &[3]);
    /// assert_eq!(x.to_dtype(DType::I64).to_vec::<i64>(), vec![-1, 0, 2]);
    /// assert_eq!(x.to_dtype(DType::Bool).to_vec::<bool>(), vec![true, false, true]);
    /// ```
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        fn convert<T: Element>(t: &Tensor) -> Tensor {
            fn cast<S: Element, T: Element>(a: &ArcArray<S, IxDyn>) -> Tensor {
                Tensor::from_storage(T::into_storage(a.mapv(|x| T::of(x.as_f64())).into_shared()))
            }
            match &t.storage {
                Storage::F32(a) => cast::<f32, T>(a),
                Storage::F64(a) => cast::<f64, T>(a),
                Storage::I64(a) => cast::<i64, T>(a),
                Storage::Bool(a) => cast::<bool, T>(a),
            }
        }
        if self.dtype() == dtype {
            return self.clone();
        }
        match dtype {
            DType::F32 => convert::<f32>(self),
            DType::F64 => convert::<f64>(self),
            DType::I64 => convert::<i64>(self),
            DType::Bool => convert::<bool>(self),
        }
    }

    /// The elements in row-major order, converted to `T` as [`Tensor::to_dtype`] does.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let v: Vec<f32> = Tensor::arange(0.0, 3.0, 1.0).to_vec();
    /// assert_eq!(v, vec![0.0, 1.0, 2.0]);
    /// let ids: Vec<i64> = Tensor::from_vec_i64(vec![4, 2], &[2]).to_vec();
    /// assert_eq!(ids, vec![4, 2]);
    /// ```
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        fn values<S: Element, T: Element>(a: &ArcArray<S, IxDyn>) -> Vec<T> {
            a.iter().map(|&x| T::of(x.as_f64())).collect()
        }
        if let Some(a) = T::array_of(&self.storage) {
            return match a.as_slice() {
                Some(slice) => slice.to_vec(),       // row-major: one memcpy
                None => a.iter().copied().collect(), // the same dtype: a plain copy
            };
        }
        match &self.storage {
            Storage::F32(a) => values(a),
            Storage::F64(a) => values(a),
            Storage::I64(a) => values(a),
            Storage::Bool(a) => values(a),
        }
    }

    /// The single value of a one-element tensor, as `f64` (exact for f32, f64 and
    /// bool, and for i64 up to ±2⁵³; use `to_vec::<i64>()` beyond).
    ///
    /// # Panics
    /// If the tensor has more than one element.
    #[track_caller]
    pub fn item(&self) -> f64 {
        if self.numel() != 1 {
            Error::new(
                "item",
                ErrorKind::Shape,
                format!(
                    "only one-element tensors have an item; shape is {:?}",
                    self.shape()
                ),
            )
            .with_hint("reduce first, e.g. .sum() or .mean()")
            .raise();
        }
        self.to_vec::<f64>()[0]
    }

    /// The elements as one mutable row-major slice, for kernels that update a tensor in
    /// place (an optimizer step, `index_add_`). Copy-on-write: if the buffer is shared
    /// with another tensor, or not row-major, `self` first gets a private row-major copy,
    /// so no other tensor ever sees the change.
    ///
    /// # Panics
    /// If the dtype is not `T`'s, naming both.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::zeros(&[2]);
    /// let mut b = a.clone(); // shares a's buffer
    /// b.as_mut_slice::<f32>()[0] = 1.0; // b gets its own copy first
    /// assert_eq!((a.to_vec::<f32>(), b.to_vec::<f32>()), (vec![0.0, 0.0], vec![1.0, 0.0]));
    /// ```
    #[track_caller]
    pub fn as_mut_slice<T: Element>(&mut self) -> &mut [T] {
        let dtype = self.dtype();
        let Some(a) = T::array_of_mut(&mut self.storage) else {
            Error::new(
                "as_mut_slice",
                ErrorKind::DType,
                format!("asked for {} elements of a {dtype} tensor", T::DTYPE),
            )
            .with_hint("convert first with .to_dtype(..)")
            .raise()
        };
        if !a.is_standard_layout() {
            *a = a.as_standard_layout().into_owned().into_shared();
        }
        // `as_slice_mut` makes the (shared) buffer unique before handing it out.
        a.as_slice_mut()
            .expect("internal error: a standard-layout array is a slice; this is a bug")
    }

    /// Whether the two tensors read overlapping memory of one buffer: a view or
    /// clone of the other, or two views of one buffer that touch a common element.
    ///
    /// Each view spans the addresses from its lowest to its highest element
    /// (`ptr + Σ min(0, (dᵢ−1)·sᵢ)` to `ptr + Σ max(0, (dᵢ−1)·sᵢ)`, strides in
    /// elements); distinct allocations never overlap, so overlapping spans mean one
    /// buffer. Two disjoint slices of one buffer (rows 0 and 1, say) answer false.
    /// Empty tensors read no memory and share with nothing.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0f32, 1., 2., 3., 4., 5.], &[2, 3]);
    /// assert!(x.narrow(1, 1, 2).shares_storage_with(&x)); // a view at an offset
    /// assert!(!x.narrow(0, 0, 1).shares_storage_with(&x.narrow(0, 1, 1)));
    /// let copy = Tensor::from_vec(x.to_vec::<f32>(), &[2, 3]);
    /// assert!(!copy.shares_storage_with(&x));
    /// ```
    pub fn shares_storage_with(&self, other: &Tensor) -> bool {
        match (self.address_span(), other.address_span()) {
            (Some((lo_a, hi_a)), Some((lo_b, hi_b))) => {
                self.dtype() == other.dtype() && lo_a <= hi_b && lo_b <= hi_a
            }
            _ => false,
        }
    }

    /// First and last byte address this tensor's elements occupy (`None` if empty).
    fn address_span(&self) -> Option<(usize, usize)> {
        if self.numel() == 0 {
            return None;
        }
        let ptr = match &self.storage {
            Storage::F32(a) => a.as_ptr() as usize,
            Storage::F64(a) => a.as_ptr() as usize,
            Storage::I64(a) => a.as_ptr() as usize,
            Storage::Bool(a) => a.as_ptr() as usize,
        };
        let item = self.dtype().size_in_bytes();
        let (mut low, mut high) = (0isize, 0isize);
        for (&dim, &stride) in self.shape().iter().zip(self.strides()) {
            let reach = (dim as isize - 1) * stride;
            low += reach.min(0);
            high += reach.max(0);
        }
        let at = |offset: isize| ptr.wrapping_add_signed(offset * item as isize);
        Some((at(low), at(high) + item - 1))
    }
}

impl From<Storage> for Tensor {
    fn from(storage: Storage) -> Tensor {
        Tensor::from_storage(storage)
    }
}

/// Check that two operands have the same dtype (ops do not promote silently).
///
/// # Errors
/// A [`ErrorKind::DType`] error naming the op and both dtypes.
pub fn check_same_dtype(op: &'static str, lhs: &Tensor, rhs: &Tensor) -> Result<(), Error> {
    if lhs.dtype() == rhs.dtype() {
        Ok(())
    } else {
        Err(Error::new(
            op,
            ErrorKind::DType,
            format!(
                "operands have different dtypes: {} {:?} and {} {:?}",
                lhs.dtype(),
                lhs.shape(),
                rhs.dtype(),
                rhs.shape()
            ),
        )
        .with_hint("convert one with .to_dtype(..); ferrograd never promotes silently"))
    }
}

/// Check that `tensor` (called `what` in the message: "index", "mask", ...) has dtype
/// `want`; `hint` says how to get one.
///
/// # Errors
/// A [`ErrorKind::DType`] error naming the op, both dtypes and the shape.
pub fn check_dtype(
    op: &'static str,
    what: &str,
    tensor: &Tensor,
    want: DType,
    hint: &str,
) -> Result<(), Error> {
    if tensor.dtype() == want {
        return Ok(());
    }
    let article = if want == DType::I64 { "an" } else { "a" };
    Err(Error::new(
        op,
        ErrorKind::DType,
        format!(
            "{what} must be {article} {want} tensor, got {} {:?}",
            tensor.dtype(),
            tensor.shape()
        ),
    )
    .with_hint(hint))
}

/// Check that `tensor` is a float tensor, for an op that computes with fractions or
/// carries gradients.
///
/// # Errors
/// A [`ErrorKind::DType`] error naming the op, the dtype and the shape.
pub fn check_float(op: &'static str, tensor: &Tensor) -> Result<(), Error> {
    if tensor.dtype().is_float() {
        return Ok(());
    }
    Err(Error::new(
        op,
        ErrorKind::DType,
        format!(
            "needs a float tensor (f32 or f64), got {} {:?}",
            tensor.dtype(),
            tensor.shape()
        ),
    )
    .with_hint("convert first with .to_dtype(DType::F32)"))
}
