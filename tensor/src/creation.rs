//! Making tensors: constants, ranges, identity, and tensors from Rust data.
//!
//! Everything here makes `f32` tensors unless the name says otherwise (`from_vec_f64`,
//! `from_vec_i64`, `from_vec_bool`, `arange_i64`, `full_dtype`; `zeros_like` keeps the
//! input's dtype), as PyTorch's default dtype is float32. Integer data (class labels,
//! token ids, indices) is `i64`, as PyTorch's `torch.tensor([1, 2, 3])`.
//! Random tensors are in [`crate::random`].
//!
//! Every constructor that sizes its memory from a shape goes through [`try_alloc`]:
//! the element count is checked ([`crate::shape::try_numel`]) and the allocation is
//! fallible, so `Tensor::zeros(&[1 << 22, 1 << 22])` (64 TiB) panics with a message
//! naming `zeros` and the shape, and [`Tensor::try_zeros`] returns the error, instead
//! of the process aborting with "memory allocation failed". Read next:
//! [`crate::elementwise`].

use std::alloc::Layout;

use ndarray::{ArrayD, IxDyn};

use crate::dtype::{DType, Element};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::shape::try_numel;
use crate::tensor::Tensor;

/// The number of elements of `shape` and an empty `Vec` with room for exactly that
/// many: the one fallible allocation of the constructors.
///
/// # Errors
/// [`ErrorKind::Shape`] if the count overflows, [`ErrorKind::Memory`] if the memory
/// cannot be had; both name `op` and the shape.
pub(crate) fn try_alloc<T: Element>(
    op: &'static str,
    shape: &[usize],
) -> Result<(usize, Vec<T>), Error> {
    let n = try_numel(op, shape)?;
    let mut data = Vec::new();
    data.try_reserve_exact(n)
        .map_err(|_| out_of_memory::<T>(op, shape, n))?;
    Ok((n, data))
}

/// [`try_alloc`]'s zeros, without writing them: the allocator hands out zeroed
/// pages (`calloc`), which the system zeroes on first touch, so a large zero
/// gradient of which a sparse update touches a few rows costs only those pages.
fn try_alloc_zeroed<T: Element>(op: &'static str, shape: &[usize]) -> Result<Vec<T>, Error> {
    let n = try_numel(op, shape)?;
    let layout = Layout::array::<T>(n).map_err(|_| out_of_memory::<T>(op, shape, n))?;
    if layout.size() == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: `layout` has a nonzero size. The block holds `n` elements of `T`, all
    // bits zero, which for every element type (floats, integers, bool) is the value
    // zero; it comes from the global allocator with `T`'s layout, as `Vec` requires.
    let data = unsafe {
        let ptr = std::alloc::alloc_zeroed(layout).cast::<T>();
        if ptr.is_null() {
            return Err(out_of_memory::<T>(op, shape, n));
        }
        Vec::from_raw_parts(ptr, n, n)
    };
    Ok(data)
}

fn out_of_memory<T: Element>(op: &'static str, shape: &[usize], n: usize) -> Error {
    let bytes = n as u128 * size_of::<T>() as u128;
    Error::new(
        op,
        ErrorKind::Memory,
        format!(
            "cannot allocate {bytes} bytes ({:.1} GiB) for shape {shape:?} of {}: out of memory",
            bytes as f64 / f64::from(1u32 << 30),
            T::DTYPE
        ),
    )
    .with_hint("use a smaller shape or batch")
}

/// A tensor of `shape` filled with `value`: the body of `zeros`, `ones`, `full`.
fn filled(op: &'static str, shape: &[usize], value: f64, dtype: DType) -> Result<Tensor, Error> {
    fn of<T: Element>(op: &'static str, shape: &[usize], value: f64) -> Result<Tensor, Error> {
        let value = T::of(value);
        // all bits zero (not −0.0): what the zeroed pages already hold
        let data = if value.as_f64().to_bits() == 0 {
            try_alloc_zeroed(op, shape)?
        } else {
            let (n, mut data) = try_alloc(op, shape)?;
            data.resize(n, value);
            data
        };
        Tensor::try_from_vec_of(data, shape)
    }
    match dtype {
        DType::F32 => of::<f32>(op, shape, value),
        DType::F64 => of::<f64>(op, shape, value),
        DType::I64 => of::<i64>(op, shape, value),
        DType::Bool => of::<bool>(op, shape, value),
    }
}

impl Tensor {
    /// A tensor of `shape` filled with `value`, of the given dtype (`value` converted
    /// as [`Tensor::to_dtype`] does: truncated for i64, `value != 0` for bool).
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold (see
    /// [`Tensor::try_full_dtype`]).
    ///
    /// ```
    /// # use ferrograd::tensor::{DType, Tensor};
    /// let pad = Tensor::full_dtype(&[2], 3.0, DType::I64);
    /// assert_eq!(pad.to_vec::<i64>(), vec![3, 3]);
    /// ```
    #[track_caller]
    pub fn full_dtype(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        Tensor::try_full_dtype(shape, value, dtype).or_raise()
    }

    /// [`Tensor::full_dtype`], returning an error where it would panic.
    ///
    /// # Errors
    /// [`ErrorKind::Shape`] if the element count overflows; [`ErrorKind::Memory`] if
    /// the memory cannot be allocated.
    pub fn try_full_dtype(shape: &[usize], value: f64, dtype: DType) -> Result<Tensor, Error> {
        filled("full", shape, value, dtype)
    }

    /// Zeros (`false` for bool) of the given dtype.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    ///
    /// ```
    /// # use ferrograd::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros_dtype(&[2], DType::Bool).to_vec::<bool>(), vec![false, false]);
    /// ```
    #[track_caller]
    pub fn zeros_dtype(shape: &[usize], dtype: DType) -> Tensor {
        filled("zeros", shape, 0.0, dtype).or_raise()
    }

    /// Ones (`true` for bool) of the given dtype.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn ones_dtype(shape: &[usize], dtype: DType) -> Tensor {
        filled("ones", shape, 1.0, dtype).or_raise()
    }

    /// An f32 tensor of `shape` filled with `value`.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// assert_eq!(Tensor::full(&[2], 7.0).to_vec::<f32>(), vec![7.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn full(shape: &[usize], value: f64) -> Tensor {
        Tensor::full_dtype(shape, value, DType::F32)
    }

    /// An f32 tensor of zeros.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold (see [`Tensor::try_zeros`]).
    #[track_caller]
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::try_zeros(shape).or_raise()
    }

    /// [`Tensor::zeros`], returning an error where it would panic: a request too big
    /// for the machine is an error to handle, not the end of the process.
    ///
    /// # Errors
    /// [`ErrorKind::Shape`] if the element count overflows; [`ErrorKind::Memory`] if
    /// the memory cannot be allocated.
    ///
    /// ```
    /// # use ferrograd::tensor::{ErrorKind, Tensor};
    /// let e = Tensor::try_zeros(&[1 << 22, 1 << 22]).unwrap_err(); // 64 TiB
    /// assert_eq!(e.kind, ErrorKind::Memory);
    /// assert!(e.to_string().starts_with("zeros: cannot allocate 70368744177664 bytes"));
    /// assert_eq!(Tensor::try_zeros(&[2, 3]).unwrap().shape(), &[2, 3]);
    /// ```
    pub fn try_zeros(shape: &[usize]) -> Result<Tensor, Error> {
        filled("zeros", shape, 0.0, DType::F32)
    }

    /// An f32 tensor of ones.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn ones(shape: &[usize]) -> Tensor {
        filled("ones", shape, 1.0, DType::F32).or_raise()
    }

    /// Zeros with the shape and dtype of `like`.
    pub fn zeros_like(like: &Tensor) -> Tensor {
        Tensor::full_dtype(like.shape(), 0.0, like.dtype())
    }

    /// Ones with the shape and dtype of `like`.
    pub fn ones_like(like: &Tensor) -> Tensor {
        Tensor::full_dtype(like.shape(), 1.0, like.dtype())
    }

    /// A 0-d f32 tensor holding `value`.
    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_vec(vec![value], &[])
    }

    /// A tensor from row-major data of any element type (the dtype follows `T`).
    ///
    /// # Errors
    /// If `data.len()` is not the product of `shape`.
    pub fn try_from_vec_of<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor, Error> {
        let n = try_numel("from_vec", shape)?;
        if data.len() != n {
            return Err(Error::new(
                "from_vec",
                ErrorKind::Shape,
                format!(
                    "{} values cannot fill shape {shape:?}, which holds {n}",
                    data.len()
                ),
            ));
        }
        let array = ArrayD::from_shape_vec(IxDyn(shape), data)
            .expect("internal error: length was checked; this is a bug");
        Ok(Tensor::from_array(array))
    }

    /// An f32 tensor from row-major data.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.shape(), &[2, 2]);
    /// ```
    #[track_caller]
    pub fn from_vec(data: Vec<f32>, shape: &[usize]) -> Tensor {
        Tensor::try_from_vec_of(data, shape).or_raise()
    }

    /// An f64 tensor from row-major data.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    #[track_caller]
    pub fn from_vec_f64(data: Vec<f64>, shape: &[usize]) -> Tensor {
        Tensor::try_from_vec_of(data, shape).or_raise()
    }

    /// An i64 tensor from row-major data: class labels, token ids, indices (PyTorch's
    /// `torch.tensor([2, 0, 1])`).
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// # use ferrograd::tensor::{DType, Tensor};
    /// let labels = Tensor::from_vec_i64(vec![2, 0, 1], &[3]);
    /// assert_eq!(labels.dtype(), DType::I64);
    /// ```
    #[track_caller]
    pub fn from_vec_i64(data: Vec<i64>, shape: &[usize]) -> Tensor {
        Tensor::try_from_vec_of(data, shape).or_raise()
    }

    /// A bool tensor from row-major data: a mask.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let keep = Tensor::from_vec_bool(vec![true, false], &[2]);
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// assert_eq!(x.masked_fill(&keep.logical_not(), 0.0).to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn from_vec_bool(data: Vec<bool>, shape: &[usize]) -> Tensor {
        Tensor::try_from_vec_of(data, shape).or_raise()
    }

    /// An f32 tensor copied from a slice.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    #[track_caller]
    pub fn from_slice(data: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// 1-D f32 tensor `[start, start+step, ...]` stopping before `end`, as `torch.arange`.
    ///
    /// # Panics
    /// If `step` is zero or has the wrong sign for `start..end`.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// assert_eq!(Tensor::arange(0.0, 1.0, 0.25).to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75]);
    /// ```
    #[track_caller]
    pub fn arange(start: f64, end: f64, step: f64) -> Tensor {
        if step == 0.0 || (end - start) * step < 0.0 {
            Error::new(
                "arange",
                ErrorKind::Value,
                format!("step {step} cannot go from {start} to {end}"),
            )
            .raise();
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        let (_, mut data) = try_alloc("arange", &[n]).or_raise();
        data.extend((0..n).map(|i| (start + i as f64 * step) as f32));
        Tensor::from_vec(data, &[n])
    }

    /// 1-D i64 tensor `[start, start+step, ...]` stopping before `end`, as
    /// `torch.arange` with integer arguments (positions, indices).
    ///
    /// # Panics
    /// If `step` is zero or has the wrong sign for `start..end`.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// assert_eq!(Tensor::arange_i64(0, 5, 2).to_vec::<i64>(), vec![0, 2, 4]);
    /// ```
    #[track_caller]
    pub fn arange_i64(start: i64, end: i64, step: i64) -> Tensor {
        if step == 0 || (end - start).signum() * step.signum() < 0 {
            Error::new(
                "arange_i64",
                ErrorKind::Value,
                format!("step {step} cannot go from {start} to {end}"),
            )
            .raise();
        }
        let data: Vec<i64> = (0..)
            .map(|i| start + i * step)
            .take_while(|&v| if step > 0 { v < end } else { v > end })
            .collect();
        let n = data.len();
        Tensor::from_vec_i64(data, &[n])
    }

    /// 1-D f32 tensor of `steps` evenly spaced values from `start` to `end` inclusive.
    ///
    /// # Panics
    /// If `steps` values do not fit in memory.
    #[track_caller]
    pub fn linspace(start: f64, end: f64, steps: usize) -> Tensor {
        let (_, mut data) = try_alloc("linspace", &[steps]).or_raise();
        data.extend((0..steps).map(|i| {
            if steps == 1 {
                start as f32
            } else {
                (start + (end - start) * i as f64 / (steps - 1) as f64) as f32
            }
        }));
        Tensor::from_vec(data, &[steps])
    }

    /// The `n × n` f32 identity matrix.
    ///
    /// # Panics
    /// If `n²` values do not fit in memory.
    #[track_caller]
    pub fn eye(n: usize) -> Tensor {
        let mut data: Vec<f32> = try_alloc_zeroed("eye", &[n, n]).or_raise();
        data.iter_mut().step_by(n + 1).for_each(|d| *d = 1.0);
        Tensor::from_vec(data, &[n, n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_make_the_expected_values() {
        assert_eq!(Tensor::zeros(&[2, 3]).shape(), &[2, 3]);
        assert_eq!(Tensor::ones(&[2]).dtype(), DType::F32);
        assert_eq!(Tensor::scalar(3.0).shape(), &[] as &[usize]);
        assert_eq!(Tensor::scalar(3.0).item(), 3.0);
        assert_eq!(
            Tensor::linspace(0.0, 1.0, 3).to_vec::<f32>(),
            vec![0.0, 0.5, 1.0]
        );
        assert_eq!(Tensor::eye(2).to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(
            Tensor::arange(3.0, 0.0, -1.0).to_vec::<f32>(),
            vec![3.0, 2.0, 1.0]
        );
        let x = Tensor::from_vec_f64(vec![1.0, 2.0], &[2]);
        assert_eq!(Tensor::zeros_like(&x).dtype(), DType::F64);
        let ids = Tensor::arange_i64(5, 0, -2);
        assert_eq!(
            (ids.dtype(), ids.to_vec::<i64>()),
            (DType::I64, vec![5, 3, 1])
        );
        assert_eq!(Tensor::arange_i64(0, 0, 1).shape(), &[0]);
        assert_eq!(Tensor::ones_like(&ids).to_vec::<i64>(), vec![1, 1, 1]);
        let mask = Tensor::ones_dtype(&[2], DType::Bool);
        assert_eq!(mask.to_vec::<bool>(), vec![true, true]);
        assert_eq!(Tensor::full_dtype(&[], -2.9, DType::I64).item(), -2.0);
    }

    #[test]
    fn to_dtype_converts_between_all_four() {
        let x = Tensor::from_vec(vec![-2.5, 0.0, 0.5, 3.0], &[2, 2]);
        assert_eq!(x.to_dtype(DType::I64).to_vec::<i64>(), vec![-2, 0, 0, 3]);
        let b = x.to_dtype(DType::Bool);
        assert_eq!(b.to_vec::<bool>(), vec![true, false, true, true]);
        assert_eq!(
            b.to_dtype(DType::F64).to_vec::<f64>(),
            vec![1.0, 0.0, 1.0, 1.0]
        );
        assert_eq!(
            b.to_dtype(DType::I64)
                .to_dtype(DType::Bool)
                .to_vec::<bool>(),
            b.to_vec::<bool>()
        );
        let big = Tensor::from_vec_i64(vec![i64::MAX, -7], &[2]);
        assert_eq!(big.to_vec::<i64>(), vec![i64::MAX, -7]); // exact, no f64 detour
        assert_eq!(
            big.to_dtype(DType::F32).to_vec::<f32>(),
            vec![9.223372e18, -7.0]
        );
        assert_eq!(
            x.t().to_dtype(DType::I64).to_vec::<i64>(),
            vec![-2, 0, 0, 3]
        );
    }

    #[test]
    #[should_panic(expected = "arange_i64: step -1 cannot go from 0 to 3")]
    fn arange_i64_checks_the_step() {
        Tensor::arange_i64(0, 3, -1);
    }

    #[test]
    fn impossible_and_huge_shapes_are_errors_not_aborts() {
        // 2³² · 2³² overflows the count; 2²² · 2²² f32 is 64 TiB, valid but too big
        let e = Tensor::try_zeros(&[1 << 32, 1 << 32]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Shape);
        assert!(
            e.to_string()
                .starts_with("zeros: shape [4294967296, 4294967296]"),
            "{e}"
        );
        let e = Tensor::try_zeros(&[1 << 22, 1 << 22]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Memory);
        assert_eq!(
            e.to_string(),
            "zeros: cannot allocate 70368744177664 bytes (65536.0 GiB) for shape \
             [4194304, 4194304] of f32: out of memory. Hint: use a smaller shape or batch"
        );
        let e = Tensor::try_full_dtype(&[1 << 61], 2.0, DType::F64).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("full: cannot allocate 18446744073709551616 bytes")
        );
        // a failed request leaves the allocator usable; zeros are still zeros
        assert_eq!(
            Tensor::eye(3).to_vec::<f32>(),
            [1., 0., 0., 0., 1., 0., 0., 0., 1.]
        );
        assert!(
            Tensor::zeros(&[1000, 1000])
                .to_vec::<f32>()
                .iter()
                .all(|&v| v == 0.0)
        );
        assert_eq!(
            Tensor::full(&[2], -0.0).to_vec::<f32>()[0].to_bits(),
            (-0.0f32).to_bits()
        );
    }

    #[test]
    #[should_panic(expected = "ones: shape [4294967296, 4294967296, 4294967296] has more elements")]
    fn huge_shape_panics_naming_the_op() {
        Tensor::ones(&[1 << 32, 1 << 32, 1 << 32]);
    }

    #[test]
    #[should_panic(expected = "from_vec: 5 values cannot fill shape [2, 3], which holds 6")]
    fn from_vec_checks_length() {
        Tensor::from_vec(vec![0.0; 5], &[2, 3]);
    }
}
