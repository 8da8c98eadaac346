//! Extrema: max and min over the whole tensor or along a dim, with the position of
//! the extreme (argmax, argmin).
//!
//! ```text
//! max_dim(1) of [[1, 5, 5],    values  [5, 7]
//!                [7, 2, 7]]    indices [1, 0]    ties: the first occurrence wins
//! ```
//!
//! Like PyTorch on the CPU, NaN beats every number: the max (and the min) of a lane
//! holding a NaN is NaN, and its index is that of the first NaN. Indices are i64
//! tensors, as PyTorch's, ready for `gather`, `index_select` and comparisons with
//! i64 labels. Every dtype works (i64 and bool too: false < true). Unlike sums, max
//! and min of nothing are undefined, so an empty input is an error rather than a
//! made-up value.
//! Read next: [`crate::softmax`], which subtracts the max along a dim.

use ndarray::{ArcArray, ArrayD, ArrayView, Dimension, IxDyn};

use super::{finish, reduce_lanes};
use crate::dtype::{Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::shape::normalize_dim;
use crate::tensor::Tensor;

/// Which extreme a reduction looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Extreme {
    /// The largest value.
    Max,
    /// The smallest value.
    Min,
}

impl Extreme {
    /// Whether `x` replaces the best value so far. The comparison is strict, so ties
    /// keep the first occurrence; a NaN beats any number and, once held, stays.
    pub(crate) fn beats<T: PartialOrd>(self, x: T, best: T) -> bool {
        #[allow(clippy::eq_op)] // x ≠ x holds exactly for NaN (and never for integers)
        let is_nan = |v: &T| v != v;
        if is_nan(&best) {
            false
        } else if is_nan(&x) {
            true
        } else {
            match self {
                Extreme::Max => x > best,
                Extreme::Min => x < best,
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Extreme::Max => "max",
            Extreme::Min => "min",
        }
    }
}

/// The first extreme of `x` in row-major order and its position, or `None` if `x`
/// is empty.
fn extreme_of<T: Element, D: Dimension>(
    x: ArrayView<'_, T, D>,
    which: Extreme,
) -> Option<(T, usize)> {
    let mut items = x.iter().copied().enumerate();
    let (mut best_i, mut best) = items.next()?;
    for (i, v) in items {
        if which.beats(v, best) {
            (best_i, best) = (i, v);
        }
    }
    Some((best, best_i))
}

const NON_EMPTY: &str = "internal error: emptiness was checked before reducing; this is a bug";

/// Values and positions of the extremes along `axis` (its size checked > 0).
fn extreme_lanes<T: Element>(
    a: &ArcArray<T, IxDyn>,
    axis: usize,
    which: Extreme,
    keepdim: bool,
) -> (Tensor, Tensor) {
    let pairs = reduce_lanes(a.view(), axis, |lane| {
        extreme_of(lane, which).expect(NON_EMPTY)
    });
    let values = pairs.mapv(|(v, _)| v);
    let indices = pairs.mapv(|(_, i)| i as i64);
    (
        finish(values, axis, keepdim),
        finish(indices, axis, keepdim),
    )
}

impl Tensor {
    fn try_extreme_all(&self, which: Extreme) -> Result<Tensor, Error> {
        if self.numel() == 0 {
            return Err(Error::new(
                which.name(),
                ErrorKind::Shape,
                format!(
                    "cannot take the {} of an empty tensor (shape {:?})",
                    which.name(),
                    self.shape()
                ),
            )
            .with_hint(
                "the max and min of no elements are undefined; check the input is not empty",
            ));
        }
        fn extreme<T: Element>(a: &ArcArray<T, IxDyn>, which: Extreme) -> Tensor {
            let value = extreme_of(a.view(), which).expect(NON_EMPTY).0;
            Tensor::from_array(ArrayD::from_elem(IxDyn(&[]), value))
        }
        Ok(match &self.storage {
            Storage::F32(a) => extreme(a, which),
            Storage::F64(a) => extreme(a, which),
            Storage::I64(a) => extreme(a, which),
            Storage::Bool(a) => extreme(a, which),
        })
    }

    fn try_extreme_dim(
        &self,
        op: &'static str,
        which: Extreme,
        dim: isize,
        keepdim: bool,
    ) -> Result<(Tensor, Tensor), Error> {
        let axis = normalize_dim(op, dim, self.shape())?;
        if self.shape()[axis] == 0 {
            return Err(Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "cannot reduce over dim {dim} of shape {:?}: it has size 0",
                    self.shape()
                ),
            )
            .with_hint(format!(
                "the {} of no elements is undefined; reduce over a non-empty dim",
                which.name()
            )));
        }
        Ok(match &self.storage {
            Storage::F32(a) => extreme_lanes(a, axis, which, keepdim),
            Storage::F64(a) => extreme_lanes(a, axis, which, keepdim),
            Storage::I64(a) => extreme_lanes(a, axis, which, keepdim),
            Storage::Bool(a) => extreme_lanes(a, axis, which, keepdim),
        })
    }

    /// The largest element, as a 0-d tensor (NaN if any element is NaN).
    ///
    /// # Panics
    /// If the tensor is empty.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0, -1.0, 7.0], &[3]).max().item(), 7.0);
    /// ```
    #[track_caller]
    pub fn max(&self) -> Tensor {
        self.try_extreme_all(Extreme::Max).or_raise()
    }

    /// The smallest element, as a 0-d tensor (NaN if any element is NaN).
    ///
    /// # Panics
    /// If the tensor is empty.
    #[track_caller]
    pub fn min(&self) -> Tensor {
        self.try_extreme_all(Extreme::Min).or_raise()
    }

    /// The max along `dim` and where it is: `(values, indices)`. Indices are i64
    /// positions along `dim`; on ties the first one wins.
    ///
    /// # Shapes
    /// `[2, 3, 4]`, dim 1 → both `[2, 4]` (`[2, 1, 4]` with keepdim).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 5.0, 7.0, 2.0, 7.0], &[2, 3]);
    /// let (values, indices) = x.max_dim(1, false);
    /// assert_eq!(values.to_vec::<f32>(), vec![5.0, 7.0]);
    /// assert_eq!(indices.to_vec::<i64>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.try_extreme_dim("max_dim", Extreme::Max, dim, keepdim)
            .or_raise()
    }

    /// The min along `dim` and where it is: `(values, indices)` (see [`Tensor::max_dim`]).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.try_extreme_dim("min_dim", Extreme::Min, dim, keepdim)
            .or_raise()
    }

    /// Positions of the max along `dim` as an i64 tensor (the indices of
    /// [`Tensor::max_dim`]), e.g. the predicted class of `[B, C]` logits with dim −1.
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let logits = Tensor::from_vec(vec![0.1, 2.0, -1.0, 3.0, 0.0, 0.5], &[2, 3]);
    /// assert_eq!(logits.argmax(-1, false).to_vec::<i64>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn argmax(&self, dim: isize, keepdim: bool) -> Tensor {
        self.try_extreme_dim("argmax", Extreme::Max, dim, keepdim)
            .or_raise()
            .1
    }

    /// Positions of the min along `dim` (the indices of [`Tensor::min_dim`]).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    #[track_caller]
    pub fn argmin(&self, dim: isize, keepdim: bool) -> Tensor {
        self.try_extreme_dim("argmin", Extreme::Min, dim, keepdim)
            .or_raise()
            .1
    }
}
