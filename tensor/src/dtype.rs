//! The runtime element type of a tensor, and the [`Element`] trait that lets every
//! kernel be written once for both `f32` and `f64`.
//!
//! A learner never writes a type parameter: `Tensor` is one concrete type whose dtype
//! is a runtime tag, as in PyTorch. Inside, each op matches on the dtype and calls the
//! same generic kernel in both arms. Read next: [`crate::tensor`].

use std::fmt::{Debug, Display};
use std::iter::Sum;

use ndarray::{ArcArray, IxDyn, LinalgScalar, ScalarOperand};
use num_traits::{Float, FromPrimitive};

use crate::tensor::{Storage, Tensor};

/// The element type of a tensor: `F32` (the default, for training) or `F64` (for
/// gradient checks with tight tolerances).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DType {
    /// 32-bit IEEE float; what `Tensor::zeros`, `randn`, `from_vec` produce.
    #[default]
    F32,
    /// 64-bit IEEE float; use `.to_dtype(DType::F64)` before a gradcheck.
    F64,
}

impl DType {
    /// Size of one element in bytes.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
        })
    }
}

/// A scalar type a tensor can hold: implemented for `f32` and `f64` only.
///
/// Kernels are generic over `T: Element`, so the arithmetic exists once; the two
/// methods below move between the generic world and the runtime-tagged [`Tensor`].
pub trait Element:
    Float
    + FromPrimitive
    + ScalarOperand
    + LinalgScalar
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + Sum
    + 'static
{
    /// The runtime tag of this type.
    const DTYPE: DType;
    /// Wrap an array of this type as a tensor.
    fn into_tensor(array: ArcArray<Self, IxDyn>) -> Tensor;
    /// The array behind `tensor` if its dtype is this type.
    fn array_of(tensor: &Tensor) -> Option<&ArcArray<Self, IxDyn>>;
    /// The array behind `tensor`, mutably, if its dtype is this type.
    fn array_of_mut(tensor: &mut Tensor) -> Option<&mut ArcArray<Self, IxDyn>>;
    /// `dst[i] = exp(pre(src[i]))` for `i < min(src.len(), dst.len())`, with `pre` a
    /// cheap elementwise step fused into the loop (a shift, a negation). f32 runs the
    /// vectorised exp of [`crate::unary::vector_exp`] (within 1 ulp); f64 calls the C
    /// library's `exp` per element.
    fn exp_map(src: &[Self], dst: &mut [Self], pre: impl Fn(Self) -> Self) {
        Self::exp_map_then(src, dst, pre, |e| e);
    }
    /// `dst[i] = post(exp(pre(src[i])))`: [`Element::exp_map`] with a second cheap
    /// step after the exponential (a scale), in the same loop.
    fn exp_map_then(
        src: &[Self],
        dst: &mut [Self],
        pre: impl Fn(Self) -> Self,
        post: impl Fn(Self) -> Self,
    );
    /// `(m, Σᵢ exp(xᵢ − m))` with `m` the running max of the online softmax
    /// normaliser, in one pass over `x` ([`crate::softmax::online`]); f32 on the
    /// vectorised exp.
    fn max_and_exp_sum(x: &[Self]) -> (Self, Self);
    /// `dst[i] = tanh(src[i])`: vectorised for f32 (within 2 ulp), the C library's
    /// `tanh` for f64.
    fn tanh_map(src: &[Self], dst: &mut [Self]);
    /// Convert from `f64` (rounding for `f32`).
    fn of(value: f64) -> Self {
        Self::from_f64(value)
            .expect("internal error: f64 always converts to a float; this is a bug")
    }
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    fn exp_map_then(
        src: &[f32],
        dst: &mut [f32],
        pre: impl Fn(f32) -> f32,
        post: impl Fn(f32) -> f32,
    ) {
        crate::unary::vector_exp::exp_map_f32(src, dst, pre, post);
    }
    fn max_and_exp_sum(x: &[f32]) -> (f32, f32) {
        crate::unary::vector_exp::max_and_exp_sum_f32(x)
    }
    fn tanh_map(src: &[f32], dst: &mut [f32]) {
        crate::unary::vector_exp::tanh_map_f32(src, dst);
    }
    fn into_tensor(array: ArcArray<f32, IxDyn>) -> Tensor {
        Tensor::from_storage(Storage::F32(array))
    }
    fn array_of(tensor: &Tensor) -> Option<&ArcArray<f32, IxDyn>> {
        match &tensor.storage {
            Storage::F32(a) => Some(a),
            Storage::F64(_) => None,
        }
    }
    fn array_of_mut(tensor: &mut Tensor) -> Option<&mut ArcArray<f32, IxDyn>> {
        match &mut tensor.storage {
            Storage::F32(a) => Some(a),
            Storage::F64(_) => None,
        }
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    fn exp_map_then(
        src: &[f64],
        dst: &mut [f64],
        pre: impl Fn(f64) -> f64,
        post: impl Fn(f64) -> f64,
    ) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = post(pre(s).exp());
        }
    }
    fn max_and_exp_sum(x: &[f64]) -> (f64, f64) {
        crate::softmax::online::max_and_exp_sum(x, f64::exp)
    }
    fn tanh_map(src: &[f64], dst: &mut [f64]) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s.tanh();
        }
    }
    fn into_tensor(array: ArcArray<f64, IxDyn>) -> Tensor {
        Tensor::from_storage(Storage::F64(array))
    }
    fn array_of(tensor: &Tensor) -> Option<&ArcArray<f64, IxDyn>> {
        match &tensor.storage {
            Storage::F64(a) => Some(a),
            Storage::F32(_) => None,
        }
    }
    fn array_of_mut(tensor: &mut Tensor) -> Option<&mut ArcArray<f64, IxDyn>> {
        match &mut tensor.storage {
            Storage::F64(a) => Some(a),
            Storage::F32(_) => None,
        }
    }
}
