//! Scans along a dim: `cumsum` (running sums) and `flip` (the dim in reverse order).
//!
//! ```text
//! cumsum   y[.., i, ..] = Σ_{j ≤ i} x[.., j, ..]        [1, 2, 3, 4] → [1, 3, 6, 10]
//! flip     y[.., i, ..] = x[.., n−1−i, ..]              [1, 2, 3, 4] → [4, 3, 2, 1]
//! suffix sums          flip(cumsum(flip(x)))[i] = Σ_{j ≥ i} x[j]    → [10, 9, 7, 4]
//! ```
//! The suffix sums are cumsum's adjoint (its backward in autograd), and top-p sampling
//! uses cumsum on sorted probabilities to find where their mass reaches p.
//! Each lane is summed serially in order, in the tensor's dtype, as PyTorch does on
//! the CPU. Read next: [`crate::multinomial`].

use ndarray::{ArcArray, Axis, IxDyn};

use std::ops::Add;

use crate::dtype::{Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::shape::{normalize_dim, normalize_dims};
use crate::sort::map_lanes;
use crate::tensor::Tensor;

/// Running sums of every lane along `axis`.
fn cumsum_lanes<T: Element + Add<Output = T>>(a: &ArcArray<T, IxDyn>, axis: usize) -> Tensor {
    let n = a.shape()[axis];
    let sums = map_lanes(a.view(), axis, n, |lane, out: &mut [T]| {
        let mut total = T::default(); // 0
        for (o, &x) in out.iter_mut().zip(lane.iter()) {
            total = total + x;
            *o = total;
        }
    });
    Tensor::from_array(sums)
}

/// A row-major copy of `a` with each of `axes` reversed.
fn flip_array<T: Element>(a: &ArcArray<T, IxDyn>, axes: &[usize]) -> Tensor {
    let mut view = a.view();
    for &axis in axes {
        view.invert_axis(Axis(axis)); // a negative stride: no copy yet
    }
    Tensor::from_array(view.as_standard_layout().into_owned())
}

impl Tensor {
    /// Running sums along `dim`, as `torch.cumsum`.
    ///
    /// ```text
    /// y[.., i, ..] = Σ_{j ≤ i} x[.., j, ..]
    /// ```
    ///
    /// # Shapes
    /// The output has `self`'s shape.
    ///
    /// # Errors
    /// A [`crate::ErrorKind::Dim`] error when `dim` is out of range, a
    /// [`crate::ErrorKind::DType`] error for a bool tensor.
    pub fn try_cumsum(&self, dim: isize) -> Result<Tensor, Error> {
        let axis = normalize_dim("cumsum", dim, self.shape())?;
        Ok(match &self.storage {
            Storage::F32(a) => cumsum_lanes(a, axis),
            Storage::F64(a) => cumsum_lanes(a, axis),
            Storage::I64(a) => cumsum_lanes(a, axis),
            Storage::Bool(_) => {
                return Err(Error::new(
                    "cumsum",
                    ErrorKind::DType,
                    format!("cannot sum a bool tensor {:?}", self.shape()),
                )
                .with_hint("count with .to_dtype(DType::I64).cumsum(dim)"));
            }
        })
    }

    /// Running sums along `dim` (see [`Tensor::try_cumsum`]).
    ///
    /// # Shapes
    /// The output has `self`'s shape.
    ///
    /// # Panics
    /// When `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let p = Tensor::from_vec(vec![0.5, 0.3, 0.2, 0.1, 0.1, 0.8], &[2, 3]);
    /// let c = p.cumsum(-1).to_vec::<f32>();
    /// assert_eq!(c, vec![0.5, 0.8, 1.0, 0.1, 0.2, 1.0]);
    /// ```
    #[track_caller]
    pub fn cumsum(&self, dim: isize) -> Tensor {
        self.try_cumsum(dim).or_raise()
    }

    /// A copy with the order of elements along each of `dims` reversed, as
    /// `torch.flip` (which also copies, unlike NumPy's view).
    ///
    /// ```text
    /// y[.., i, ..] = x[.., n−1−i, ..]
    /// ```
    ///
    /// # Shapes
    /// The output has `self`'s shape.
    ///
    /// # Errors
    /// A [`crate::ErrorKind::Dim`] error for a dim out of range or repeated.
    pub fn try_flip(&self, dims: &[isize]) -> Result<Tensor, Error> {
        let axes = normalize_dims("flip", dims, self.shape())?;
        Ok(match &self.storage {
            Storage::F32(a) => flip_array(a, &axes),
            Storage::F64(a) => flip_array(a, &axes),
            Storage::I64(a) => flip_array(a, &axes),
            Storage::Bool(a) => flip_array(a, &axes),
        })
    }

    /// A copy with `dims` reversed (see [`Tensor::try_flip`]).
    ///
    /// # Shapes
    /// The output has `self`'s shape.
    ///
    /// # Panics
    /// When a dim is out of range or repeated.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(x.flip(&[-1]).to_vec::<f32>(), vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    /// assert_eq!(x.flip(&[0, 1]).to_vec::<f32>(), vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn flip(&self, dims: &[isize]) -> Tensor {
        self.try_flip(dims).or_raise()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DType, ErrorKind};

    #[test]
    fn cumsum_along_each_dim_and_a_transposed_view() {
        let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]);
        assert_eq!(x.cumsum(1).to_vec::<f32>(), vec![1., 3., 6., 4., 9., 15.]);
        assert_eq!(x.cumsum(0).to_vec::<f32>(), vec![1., 2., 3., 5., 7., 9.]);
        assert_eq!(
            x.t().cumsum(-1).to_vec::<f32>(),
            vec![1., 5., 2., 7., 3., 9.]
        );
        let y = x.to_dtype(DType::F64).cumsum(0);
        assert_eq!(y.dtype(), DType::F64);
        assert_eq!(Tensor::zeros(&[0, 3]).cumsum(0).shape(), &[0, 3]);
    }

    #[test]
    fn flip_then_cumsum_then_flip_gives_suffix_sums() {
        let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[4]);
        let suffix = x.flip(&[0]).cumsum(0).flip(&[0]);
        assert_eq!(suffix.to_vec::<f32>(), vec![10., 9., 7., 4.]);
        assert!(suffix.is_contiguous());
    }

    #[test]
    fn misuse_is_reported() {
        let x = Tensor::zeros(&[2, 3]);
        assert_eq!(x.try_cumsum(2).unwrap_err().kind, ErrorKind::Dim);
        assert_eq!(x.try_flip(&[0, -2]).unwrap_err().kind, ErrorKind::Dim);
    }
}
