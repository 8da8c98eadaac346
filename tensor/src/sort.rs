//! Ordering along a dim: `sort`, `argsort` and `topk`, each returning positions as
//! well as values (the positions are what a decoder or a gradient needs).
//!
//! ```text
//! sort(dim 1, descending) of [[1, 5, 3],    values  [[5, 3, 1],    indices [[1, 2, 0],
//!                             [4, 4, 0]]             [4, 4, 0]]             [0, 1, 2]]
//! topk(2, dim 1, largest)                   values  [[5, 3],       indices [[1, 2],
//!                                                    [4, 4]]                [0, 1]]
//! values = x.gather(dim, indices)          (how autograd differentiates both)
//! ```
//!
//! Every lane (the 1-D line of elements along `dim`) is ordered on its own, with two
//! rules written once, in [`order`]:
//! - **ties keep their original order** (a stable sort: PyTorch's `stable=True`); for
//!   `topk` this means that of equal values the lower index is picked first, as
//!   `argmax` does;
//! - **NaN is larger than every number**, as in PyTorch: it comes last ascending and
//!   first descending, and `topk(largest)` picks it first.
//!
//! Index tensors are made in one place, [`index_tensor`], so the index dtype is
//! decided there. Read next: [`crate::scan`] (cumsum), then [`crate::multinomial`].

use std::cmp::Ordering;

use ndarray::{ArcArray, ArrayD, ArrayView1, ArrayViewD, Axis, IxDyn, Zip};

use crate::dtype::{Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::shape::normalize_dim;
use crate::tensor::Tensor;

/// The tensor that holds element positions (the output of `argsort`, `topk`,
/// `multinomial`): i64, as PyTorch's, which is what `gather`, `index_select` and
/// `scatter_add` read. This is the one place that decides the index dtype.
pub(crate) fn index_tensor(positions: ArrayD<usize>) -> Tensor {
    Tensor::from_array(positions.mapv(|i| i as i64))
}

/// `a` with every lane along `axis` replaced by `len` elements that `f` writes from the
/// lane: the result has `a`'s shape with `axis` of size `len`, in row-major order.
pub(crate) fn map_lanes<T: Element, U: Clone + Default>(
    a: ArrayViewD<'_, T>,
    axis: usize,
    len: usize,
    mut f: impl FnMut(ArrayView1<'_, T>, &mut [U]),
) -> ArrayD<U> {
    let mut shape = a.shape().to_vec();
    shape[axis] = len;
    let mut out = ArrayD::<U>::default(IxDyn(&shape));
    let mut buffer = vec![U::default(); len];
    Zip::from(a.lanes(Axis(axis)))
        .and(out.lanes_mut(Axis(axis)))
        .for_each(|lane, mut out_lane| {
            f(lane, &mut buffer);
            out_lane
                .iter_mut()
                .zip(&buffer)
                .for_each(|(o, b)| *o = b.clone());
        });
    out
}

/// The total order of `sort` and `topk`: ascending with NaN above every number, or
/// descending (the reverse); equal values keep their positions' order (`i < j`).
fn order<T: Element>(a: (usize, T), b: (usize, T), descending: bool) -> Ordering {
    // NaN is the one value not comparable with itself (never true for i64 and bool)
    let is_nan = |v: T| v.partial_cmp(&v).is_none();
    let by_value = match (is_nan(a.1), is_nan(b.1)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal),
    };
    let by_value = if descending {
        by_value.reverse()
    } else {
        by_value
    };
    by_value.then(a.0.cmp(&b.0))
}

/// The `k` first (position, value) pairs of `lane` in [`order`]; sorted by that order
/// if `sorted`, else by position.
fn select_first<T: Element>(
    lane: ArrayView1<'_, T>,
    k: usize,
    descending: bool,
    sorted: bool,
) -> Vec<(usize, T)> {
    let mut pairs: Vec<(usize, T)> = lane.iter().copied().enumerate().collect();
    let by_order = |a: &(usize, T), b: &(usize, T)| order(*a, *b, descending);
    if k < pairs.len() {
        // Partition in O(n) around the k-th pair; only the k winners are sorted after.
        pairs.select_nth_unstable_by(k, by_order);
        pairs.truncate(k);
    }
    if sorted {
        pairs.sort_unstable_by(by_order); // a total order: unstable sorting is safe
    } else {
        pairs.sort_unstable_by_key(|&(i, _)| i);
    }
    pairs
}

/// Values and positions of the `k` first elements of every lane along `axis`.
fn first_k_lanes<T: Element>(
    a: &ArcArray<T, IxDyn>,
    axis: usize,
    k: usize,
    descending: bool,
    sorted: bool,
) -> (Tensor, Tensor) {
    let pairs = map_lanes(a.view(), axis, k, |lane, out: &mut [(T, usize)]| {
        for (o, (i, v)) in out
            .iter_mut()
            .zip(select_first(lane, k, descending, sorted))
        {
            *o = (v, i);
        }
    });
    (
        Tensor::from_array(pairs.mapv(|(v, _)| v)),
        index_tensor(pairs.mapv(|(_, i)| i)),
    )
}

impl Tensor {
    /// `k` first elements of every lane along `dim` (checked), in order or by position.
    fn try_first_k(
        &self,
        op: &'static str,
        k: usize,
        dim: isize,
        descending: bool,
        sorted: bool,
    ) -> Result<(Tensor, Tensor), Error> {
        let axis = normalize_dim(op, dim, self.shape())?;
        let size = self.shape()[axis];
        if k > size {
            return Err(Error::new(
                op,
                ErrorKind::Value,
                format!(
                    "k = {k} is larger than dim {dim} of shape {:?}, which has {size} elements",
                    self.shape()
                ),
            )
            .with_hint(format!("k must be at most {size}")));
        }
        Ok(match &self.storage {
            Storage::F32(a) => first_k_lanes(a, axis, k, descending, sorted),
            Storage::F64(a) => first_k_lanes(a, axis, k, descending, sorted),
            Storage::I64(a) => first_k_lanes(a, axis, k, descending, sorted),
            Storage::Bool(a) => first_k_lanes(a, axis, k, descending, sorted),
        })
    }

    /// The elements of every lane along `dim` in order, and where each came from:
    /// `(values, indices)` with `values = self.gather(dim, indices)`, as `torch.sort`.
    ///
    /// ```text
    /// [3, 1, 2].sort(0, false) → values [1, 2, 3], indices [1, 2, 0]
    /// ```
    /// Stable (equal values keep their order, PyTorch's `stable=True`); NaN sorts above
    /// every number (last ascending, first descending). Indices are whole numbers
    /// stored as f32 (ferrograd's index tensors).
    ///
    /// # Shapes
    /// Both outputs have `self`'s shape.
    ///
    /// # Errors
    /// A [`ErrorKind::Dim`] error when `dim` is out of range (a 0-d tensor has none).
    pub fn try_sort(&self, dim: isize, descending: bool) -> Result<(Tensor, Tensor), Error> {
        let axis = normalize_dim("sort", dim, self.shape())?;
        self.try_first_k("sort", self.shape()[axis], dim, descending, true)
    }

    /// The elements of every lane along `dim` in order, and their positions (see
    /// [`Tensor::try_sort`]).
    ///
    /// # Shapes
    /// Both outputs have `self`'s shape.
    ///
    /// # Panics
    /// When `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 4.0, 4.0, 0.0], &[2, 3]);
    /// let (values, indices) = x.sort(-1, true);
    /// assert_eq!(values.to_vec::<f32>(), vec![5.0, 3.0, 1.0, 4.0, 4.0, 0.0]);
    /// assert_eq!(indices.to_vec::<f32>(), vec![1.0, 2.0, 0.0, 0.0, 1.0, 2.0]); // ties keep order
    /// ```
    #[track_caller]
    pub fn sort(&self, dim: isize, descending: bool) -> (Tensor, Tensor) {
        self.try_sort(dim, descending).or_raise()
    }

    /// The positions that sort every lane along `dim` (the indices of
    /// [`Tensor::sort`]), as `torch.argsort(stable=True)`.
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
    /// let x = Tensor::from_vec(vec![0.2, 0.5, 0.3], &[3]);
    /// assert_eq!(x.argsort(0, true).to_vec::<f32>(), vec![1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn argsort(&self, dim: isize, descending: bool) -> Tensor {
        self.try_sort(dim, descending).or_raise().1
    }

    /// The `k` largest (or smallest) elements of every lane along `dim` and their
    /// positions, as `torch.topk`: `(values, indices)` with
    /// `values = self.gather(dim, indices)`.
    ///
    /// ```text
    /// [1, 5, 3, 5].topk(2, 0, largest, sorted) → values [5, 5], indices [1, 3]
    /// ```
    /// With `sorted` the `k` come best first; without, in the order of their positions
    /// (PyTorch leaves that order unspecified). Of equal values the lower position is
    /// picked first; NaN counts as the largest value. Selection is O(n) per lane
    /// (a partition around the k-th element), then O(k log k) to sort the k.
    ///
    /// # Shapes
    /// `[.., N, ..]` with `dim` of size N → both outputs `[.., k, ..]`.
    ///
    /// # Errors
    /// A [`ErrorKind::Dim`] error when `dim` is out of range, a [`ErrorKind::Value`]
    /// error when `k` exceeds the size of `dim`.
    pub fn try_topk(
        &self,
        k: usize,
        dim: isize,
        largest: bool,
        sorted: bool,
    ) -> Result<(Tensor, Tensor), Error> {
        self.try_first_k("topk", k, dim, largest, sorted)
    }

    /// The `k` largest (or smallest) elements along `dim` and their positions (see
    /// [`Tensor::try_topk`]).
    ///
    /// # Shapes
    /// `[.., N, ..]` → both outputs `[.., k, ..]`.
    ///
    /// # Panics
    /// When `dim` is out of range or `k` is larger than its size.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let logits = Tensor::from_vec(vec![0.1, 2.0, -1.0, 0.7], &[1, 4]);
    /// let (values, indices) = logits.topk(2, -1, true, true);
    /// assert_eq!(values.to_vec::<f32>(), vec![2.0, 0.7]);
    /// assert_eq!(indices.to_vec::<f32>(), vec![1.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn topk(&self, k: usize, dim: isize, largest: bool, sorted: bool) -> (Tensor, Tensor) {
        self.try_topk(k, dim, largest, sorted).or_raise()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn t(data: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_vec(data.to_vec(), shape)
    }

    #[test]
    fn sort_both_directions_along_each_dim() {
        let x = t(&[3., 1., 2., 0., 5., 4.], &[2, 3]);
        let (v, i) = x.sort(1, false);
        assert_eq!(v.to_vec::<f32>(), vec![1., 2., 3., 0., 4., 5.]);
        assert_eq!(i.to_vec::<f32>(), vec![1., 2., 0., 0., 2., 1.]);
        let (v, i) = x.sort(0, true);
        assert_eq!(v.to_vec::<f32>(), vec![3., 5., 4., 0., 1., 2.]);
        assert_eq!(i.to_vec::<f32>(), vec![0., 1., 1., 1., 0., 0.]);
        // a transposed (non-contiguous) input sorts its logical lanes
        assert_eq!(
            x.t().sort(-1, false).0.to_vec::<f32>(),
            vec![0., 3., 1., 5., 2., 4.]
        );
    }

    #[test]
    fn ties_keep_their_order_and_nan_is_largest() {
        let x = t(&[2., f32::NAN, 1., 2., 1.], &[5]);
        let (v, i) = x.sort(0, false);
        assert_eq!(i.to_vec::<f32>(), vec![2., 4., 0., 3., 1.]);
        assert!(v.to_vec::<f32>()[4].is_nan());
        assert_eq!(x.argsort(0, true).to_vec::<f32>(), vec![1., 0., 3., 2., 4.]);
        let (v, i) = x.topk(2, 0, true, true);
        assert!(v.to_vec::<f32>()[0].is_nan());
        assert_eq!(i.to_vec::<f32>(), vec![1., 0.]);
    }

    #[test]
    fn topk_largest_smallest_sorted_or_by_position() {
        let x = t(&[1., 5., 3., 5., 0., 4.], &[6]);
        assert_eq!(x.topk(3, 0, true, true).1.to_vec::<f32>(), vec![1., 3., 5.]);
        assert_eq!(
            x.topk(3, 0, false, true).1.to_vec::<f32>(),
            vec![4., 0., 2.]
        );
        let (v, i) = x.topk(3, 0, true, false);
        assert_eq!(i.to_vec::<f32>(), vec![1., 3., 5.]);
        assert_eq!(v.to_vec::<f32>(), vec![5., 5., 4.]);
        let (v, i) = x.topk(2, 0, false, false);
        assert_eq!(
            (v.to_vec::<f32>(), i.to_vec::<f32>()),
            (vec![1., 0.], vec![0., 4.])
        );
        assert_eq!(x.topk(0, 0, true, true).0.shape(), &[0]);
        assert_eq!(
            x.topk(6, 0, true, true).0.to_vec::<f32>(),
            vec![5., 5., 4., 3., 1., 0.]
        );
    }

    #[test]
    fn topk_of_a_batch_keeps_other_dims_and_dtype() {
        let x = t(&[0., 9., 1., 8., 2., 7., 3., 6.], &[2, 2, 2]).to_dtype(DType::F64);
        let (v, i) = x.topk(1, 1, true, true);
        assert_eq!(v.shape(), &[2, 1, 2]);
        assert_eq!(v.dtype(), DType::F64);
        assert_eq!(v.to_vec::<f64>(), vec![1., 9., 3., 7.]);
        assert_eq!(i.to_vec::<f32>(), vec![1., 0., 1., 0.]);
        // values are the input gathered at the indices
        assert_eq!(x.gather(1, &i).to_vec::<f64>(), v.to_vec::<f64>());
    }

    #[test]
    fn a_lane_that_matches_a_reference_sort() {
        let data: Vec<f32> = (0..200).map(|k| ((k * 37) % 101) as f32 * 0.5).collect();
        let x = t(&data, &[200]);
        for k in [1, 7, 100, 200] {
            let (v, _) = x.topk(k, 0, true, true);
            let mut expected = data.clone();
            expected.sort_by(|a, b| b.partial_cmp(a).unwrap());
            assert_eq!(v.to_vec::<f32>(), expected[..k].to_vec());
        }
    }

    #[test]
    fn misuse_is_reported() {
        let x = Tensor::zeros(&[2, 3]);
        let e = x.try_topk(4, 1, true, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Value);
        assert_eq!(
            e.to_string(),
            "topk: k = 4 is larger than dim 1 of shape [2, 3], which has 3 elements. \
             Hint: k must be at most 3"
        );
        assert_eq!(x.try_sort(2, false).unwrap_err().kind, ErrorKind::Dim);
        assert!(
            Tensor::scalar(1.0)
                .try_sort(0, false)
                .unwrap_err()
                .to_string()
                .contains("a 0-d tensor has no dims")
        );
    }

    #[test]
    #[should_panic(expected = "topk: k = 3 is larger than dim -1 of shape [2]")]
    fn topk_panics_on_a_large_k() {
        Tensor::zeros(&[2]).topk(3, -1, true, true);
    }
}
