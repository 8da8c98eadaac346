//! What an element of a tensor is: the runtime [`DType`] tag, the [`Storage`] that
//! holds an array of one of them, the [`Element`] trait every storable type implements
//! (`f32`, `f64`, `i64`, `bool`), and the [`Float`] trait that lets an arithmetic
//! kernel be written once for `f32` and `f64`. Nothing here depends on the rest of the
//! crate.
//!
//! A learner never writes a type parameter: `Tensor` is one concrete type whose dtype
//! is a runtime tag, as in PyTorch. Inside, each op matches on the dtype and calls the
//! same generic kernel in every arm. As in PyTorch, `f32` is the default; `f64` is for
//! gradient checks; `i64` holds indices, class labels and token ids; `bool` holds
//! masks and the results of comparisons. Gradients flow through float tensors only.
//! Read next: [`crate::tensor`].

use std::fmt::{Debug, Display};
use std::iter::Sum;

use ndarray::{ArcArray, IxDyn, LinalgScalar, ScalarOperand};
use num_traits::FromPrimitive;

/// The element type of a tensor (PyTorch's `torch.float32`, `float64`, `int64`, `bool`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DType {
    /// 32-bit IEEE float; what `Tensor::zeros`, `randn`, `from_vec` produce.
    #[default]
    F32,
    /// 64-bit IEEE float; use `.to_dtype(DType::F64)` before a gradcheck.
    F64,
    /// 64-bit signed integer: indices, class labels, token ids, `argmax`'s result.
    I64,
    /// `true`/`false`: masks, and what comparisons such as `gt` return.
    Bool,
}

impl DType {
    /// Size of one element in bytes.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
        }
    }

    /// Whether this is `F32` or `F64`, the dtypes that carry gradients
    /// (PyTorch's `dtype.is_floating_point`).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::I64 => "i64",
            DType::Bool => "bool",
        })
    }
}

/// The array behind a tensor, one variant per dtype.
#[derive(Clone)]
pub enum Storage {
    /// 32-bit floats.
    F32(ArcArray<f32, IxDyn>),
    /// 64-bit floats.
    F64(ArcArray<f64, IxDyn>),
    /// 64-bit signed integers (indices, labels, token ids).
    I64(ArcArray<i64, IxDyn>),
    /// Booleans (masks, comparison results).
    Bool(ArcArray<bool, IxDyn>),
}

/// A type a tensor can hold: `f32`, `f64`, `i64` or `bool`.
///
/// The methods move between the generic world of kernels (`fn k<T: Element>`) and the
/// runtime-tagged [`Storage`] of a tensor, and convert to and from `f64`, the common
/// currency of `full`, `to_vec` and printing.
pub trait Element: Copy + PartialEq + PartialOrd + Default + Debug + Send + Sync + 'static {
    /// The runtime tag of this type.
    const DTYPE: DType;
    /// Tag an array of this type with its dtype.
    fn into_storage(array: ArcArray<Self, IxDyn>) -> Storage;
    /// The array in `storage` if its dtype is this type.
    fn array_of(storage: &Storage) -> Option<&ArcArray<Self, IxDyn>>;
    /// The array in `storage`, mutably, if its dtype is this type.
    fn array_of_mut(storage: &mut Storage) -> Option<&mut ArcArray<Self, IxDyn>>;
    /// Convert from `f64` as Rust's `as` does: rounding for `f32`, truncation toward
    /// zero for `i64` (saturating, NaN → 0), `value != 0` for `bool`.
    fn of(value: f64) -> Self;
    /// Convert to `f64` (exact except for `i64` beyond ±2⁵³; `bool` gives 0 or 1).
    fn as_f64(self) -> f64;
}

/// A floating-point element, `f32` or `f64`: arithmetic kernels are generic over it,
/// so each is written once (`fn sigmoid<T: Float>(x: T) -> T`).
pub trait Float:
    Element + num_traits::Float + FromPrimitive + ScalarOperand + LinalgScalar + Display + Sum
{
}

impl Float for f32 {}
impl Float for f64 {}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    fn into_storage(array: ArcArray<f32, IxDyn>) -> Storage {
        Storage::F32(array)
    }
    fn array_of(storage: &Storage) -> Option<&ArcArray<f32, IxDyn>> {
        match storage {
            Storage::F32(a) => Some(a),
            _ => None,
        }
    }
    fn array_of_mut(storage: &mut Storage) -> Option<&mut ArcArray<f32, IxDyn>> {
        match storage {
            Storage::F32(a) => Some(a),
            _ => None,
        }
    }
    fn of(value: f64) -> f32 {
        value as f32
    }
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    fn into_storage(array: ArcArray<f64, IxDyn>) -> Storage {
        Storage::F64(array)
    }
    fn array_of(storage: &Storage) -> Option<&ArcArray<f64, IxDyn>> {
        match storage {
            Storage::F64(a) => Some(a),
            _ => None,
        }
    }
    fn array_of_mut(storage: &mut Storage) -> Option<&mut ArcArray<f64, IxDyn>> {
        match storage {
            Storage::F64(a) => Some(a),
            _ => None,
        }
    }
    fn of(value: f64) -> f64 {
        value
    }
    fn as_f64(self) -> f64 {
        self
    }
}

impl Element for i64 {
    const DTYPE: DType = DType::I64;
    fn into_storage(array: ArcArray<i64, IxDyn>) -> Storage {
        Storage::I64(array)
    }
    fn array_of(storage: &Storage) -> Option<&ArcArray<i64, IxDyn>> {
        match storage {
            Storage::I64(a) => Some(a),
            _ => None,
        }
    }
    fn array_of_mut(storage: &mut Storage) -> Option<&mut ArcArray<i64, IxDyn>> {
        match storage {
            Storage::I64(a) => Some(a),
            _ => None,
        }
    }
    fn of(value: f64) -> i64 {
        value as i64
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn into_storage(array: ArcArray<bool, IxDyn>) -> Storage {
        Storage::Bool(array)
    }
    fn array_of(storage: &Storage) -> Option<&ArcArray<bool, IxDyn>> {
        match storage {
            Storage::Bool(a) => Some(a),
            _ => None,
        }
    }
    fn array_of_mut(storage: &mut Storage) -> Option<&mut ArcArray<bool, IxDyn>> {
        match storage {
            Storage::Bool(a) => Some(a),
            _ => None,
        }
    }
    fn of(value: f64) -> bool {
        value != 0.0
    }
    fn as_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}
