//! Making tensors: constants, ranges, identity, and tensors from Rust data.
//!
//! Everything here makes `f32` tensors unless the name says otherwise (`from_vec_f64`,
//! `from_vec_i64`, `from_vec_bool`, `arange_i64`, `full_dtype`; `zeros_like` keeps the
//! input's dtype), as PyTorch's default dtype is float32. Integer data (class labels,
//! token ids, indices) is `i64`, as PyTorch's `torch.tensor([1, 2, 3])`.
//! Random tensors are in [`crate::random`]. Read next: [`crate::elementwise`].

use ndarray::{ArrayD, IxDyn};

use crate::dtype::{DType, Element};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::shape::numel;
use crate::tensor::{Storage, Tensor};

impl Tensor {
    /// A tensor of `shape` filled with `value`, of the given dtype (`value` converted
    /// as [`Tensor::to_dtype`] does: truncated for i64, `value != 0` for bool).
    ///
    /// ```
    /// # use tensor::{DType, Tensor};
    /// let pad = Tensor::full_dtype(&[2], 3.0, DType::I64);
    /// assert_eq!(pad.to_vec::<i64>(), vec![3, 3]);
    /// ```
    pub fn full_dtype(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        fn full<T: Element>(shape: &[usize], value: f64) -> Tensor {
            Tensor::from_array(ArrayD::from_elem(IxDyn(shape), T::of(value)))
        }
        match dtype {
            DType::F32 => full::<f32>(shape, value),
            DType::F64 => full::<f64>(shape, value),
            DType::I64 => full::<i64>(shape, value),
            DType::Bool => full::<bool>(shape, value),
        }
    }

    /// Zeros (`false` for bool) of the given dtype.
    ///
    /// ```
    /// # use tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros_dtype(&[2], DType::Bool).to_vec::<bool>(), vec![false, false]);
    /// ```
    pub fn zeros_dtype(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full_dtype(shape, 0.0, dtype)
    }

    /// Ones (`true` for bool) of the given dtype.
    pub fn ones_dtype(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full_dtype(shape, 1.0, dtype)
    }

    /// An f32 tensor of `shape` filled with `value`.
    ///
    /// ```
    /// # use tensor::Tensor;
    /// assert_eq!(Tensor::full(&[2], 7.0).to_vec::<f32>(), vec![7.0, 7.0]);
    /// ```
    pub fn full(shape: &[usize], value: f64) -> Tensor {
        Tensor::full_dtype(shape, value, DType::F32)
    }

    /// An f32 tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// An f32 tensor of ones.
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
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
        if data.len() != numel(shape) {
            return Err(Error::new(
                "from_vec",
                ErrorKind::Shape,
                format!(
                    "{} values cannot fill shape {shape:?}, which holds {}",
                    data.len(),
                    numel(shape)
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
    /// # use tensor::Tensor;
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
    /// # use tensor::{DType, Tensor};
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
    /// # use tensor::Tensor;
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
    /// # use tensor::Tensor;
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
        let data = (0..n).map(|i| (start + i as f64 * step) as f32).collect();
        Tensor::from_vec(data, &[n])
    }

    /// 1-D i64 tensor `[start, start+step, ...]` stopping before `end`, as
    /// `torch.arange` with integer arguments (positions, indices).
    ///
    /// # Panics
    /// If `step` is zero or has the wrong sign for `start..end`.
    ///
    /// ```
    /// # use tensor::Tensor;
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
    pub fn linspace(start: f64, end: f64, steps: usize) -> Tensor {
        let data = (0..steps)
            .map(|i| {
                if steps == 1 {
                    start as f32
                } else {
                    (start + (end - start) * i as f64 / (steps - 1) as f64) as f32
                }
            })
            .collect();
        Tensor::from_vec(data, &[steps])
    }

    /// The `n × n` f32 identity matrix.
    pub fn eye(n: usize) -> Tensor {
        Storage::F32(ndarray::Array2::<f32>::eye(n).into_dyn().into_shared()).into()
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
    #[should_panic(expected = "from_vec: 5 values cannot fill shape [2, 3], which holds 6")]
    fn from_vec_checks_length() {
        Tensor::from_vec(vec![0.0; 5], &[2, 3]);
    }
}
