//! Indexing with index tensors: `index_select` / `index_add`, `gather` /
//! `scatter_add`, and `one_hot`. Each pair is adjoint (the second is the backward of
//! the first in autograd), which is why repeated indices *accumulate*.
//!
//! ```text
//! index_select(dim 0, idx):  out[i, j]    = x[idx[i], j]
//! index_add(dim 0, idx, s):  out          = x;  out[idx[i], j] += s[i, j]   for every i
//! gather(dim 1, idx):        out[i, j, k] = x[i, idx[i, j, k], k]           (out shape = idx shape)
//! scatter_add(dim 1, idx, s): out = x;  out[i, idx[i, j, k], k] += s[i, j, k]
//! one_hot(idx, C):           out[.., c]   = 1 if idx[..] == c else 0
//!
//! adjointness: ⟨index_select(x), y⟩ = ⟨x, index_add(0, idx, y)⟩,
//!              ⟨gather(x), y⟩       = ⟨x, scatter_add(0, idx, y)⟩
//! ```
//! Index tensors are i64 tensors, as PyTorch's long tensors (`argmax` returns one,
//! `Tensor::from_vec_i64` makes one); a float index is refused with a hint. Every value
//! is checked to be in range before any element is read, and errors name the op, the
//! value and the size. The indexed tensor may have any dtype for `index_select` and
//! `gather`; `index_add` and `scatter_add` (the backward of those two) add, so they
//! take floats and i64.
//! Read next: [`crate::matmul`].

use ndarray::{ArcArray, ArrayD, Axis, Dimension, IxDyn};

use crate::dtype::{DType, Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::reduce::Summable;
use crate::shape::normalize_dim;
use crate::tensor::{Tensor, check_dtype, check_same_dtype};

/// Check that `index` is an i64 tensor (`what` names it: "index", "target", ...).
///
/// # Errors
/// A [`ErrorKind::DType`] error naming the op, the dtype and the shape, with a hint.
pub fn check_index_dtype(op: &'static str, what: &str, index: &Tensor) -> Result<(), Error> {
    let hint = "indices, class labels and token ids are i64: make them with \
                Tensor::from_vec_i64, or convert with .to_dtype(DType::I64)";
    check_dtype(op, what, index, DType::I64, hint)
}

/// The values of the i64 tensor `index` in row-major order as `usize`, each in
/// `0..size`. `range` says what the size is (e.g. "dim 0 of size 3"), `shapes` the
/// shapes involved; both go into the error message.
fn index_values(
    op: &'static str,
    index: &Tensor,
    size: usize,
    range: &dyn Fn() -> String,
    shapes: &dyn Fn() -> String,
) -> Result<Vec<usize>, Error> {
    check_index_dtype(op, "index", index)?;
    index
        .to_vec::<i64>()
        .into_iter()
        .map(|v| match usize::try_from(v) {
            Ok(i) if i < size => Ok(i),
            _ => Err(Error::new(
                op,
                ErrorKind::Index,
                format!("index {v} is out of range for {} ({})", range(), shapes()),
            )
            .with_hint(format!("valid indices are 0..{size}"))),
        })
        .collect()
}

/// Check that `x` can be added to (index_add, scatter_add): not a bool tensor.
fn check_not_bool(op: &'static str, x: &Tensor) -> Result<(), Error> {
    if x.dtype() != DType::Bool {
        return Ok(());
    }
    Err(Error::new(
        op,
        ErrorKind::DType,
        format!("cannot add into a bool tensor {:?}", x.shape()),
    )
    .with_hint("convert first with .to_dtype(DType::I64) or .to_dtype(DType::F32)"))
}

/// Check an index tensor is 0-d or 1-D (for `index_select`, `index_add`).
fn check_index_1d(op: &'static str, index: &Tensor, x: &Tensor) -> Result<(), Error> {
    if index.dims() > 1 {
        return Err(Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "index must be 1-D, got shape {:?} (input shape {:?})",
                index.shape(),
                x.shape()
            ),
        )
        .with_hint("flatten the index, or use gather for an index per element"));
    }
    Ok(())
}

/// Check `gather` / `scatter_add` shapes: equal ranks, and `index` no larger than
/// `bound` in every dim (except `skip`, the indexed dim of the input).
fn check_index_fits(
    op: &'static str,
    index: &Tensor,
    bound: (&str, &Tensor),
    skip: Option<usize>,
) -> Result<(), Error> {
    let (name, t) = bound;
    if index.dims() != t.dims() {
        return Err(Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "index has {} dims (shape {:?}) but {name} has {} (shape {:?}); they must match",
                index.dims(),
                index.shape(),
                t.dims(),
                t.shape()
            ),
        )
        .with_hint("unsqueeze the index so it has one dim per input dim"));
    }
    for (d, (&i, &s)) in index.shape().iter().zip(t.shape()).enumerate() {
        if Some(d) != skip && i > s {
            return Err(Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "index shape {:?} exceeds {name} shape {:?} in dim {d} ({i} > {s})",
                    index.shape(),
                    t.shape()
                ),
            ));
        }
    }
    Ok(())
}

/// A row-major shape seen as `[outer, size, inner]` around `axis`: `outer` blocks,
/// each `size` slices of `inner` contiguous elements.
fn blocks(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    (outer, shape[axis], shape[axis + 1..].iter().product())
}

/// `out[.., i, ..] = x[.., idx[i], ..]` along `axis`. A contiguous input is copied one
/// whole slice (`inner` elements, a row for dim 0) per index; any other layout goes
/// through ndarray's element-wise `select`.
fn index_select_array<T: Element>(
    a: &ArcArray<T, IxDyn>,
    axis: usize,
    idx: &[usize],
) -> ArcArray<T, IxDyn> {
    let Some(source) = a.as_slice() else {
        return a.select(Axis(axis), idx).into_shared();
    };
    let (outer, size, inner) = blocks(a.shape(), axis);
    let mut out = Vec::with_capacity(outer * idx.len() * inner);
    // (An empty slice means an empty output: `chunks_exact` needs a non-zero size.)
    for block in source.chunks_exact((size * inner).max(1)).take(outer) {
        for &k in idx {
            out.extend_from_slice(&block[k * inner..(k + 1) * inner]);
        }
    }
    let mut shape = a.shape().to_vec();
    shape[axis] = idx.len();
    ArrayD::from_shape_vec(IxDyn(&shape), out)
        .expect("internal error: index_select writes one slice per index; this is a bug")
        .into_shared()
}

/// `x[.., idx[i], ..] += s[.., i, ..]` along `axis`, in place, one whole slice of
/// `inner` contiguous elements per index (`x` is first made private and row-major, see
/// [`Tensor::as_mut_slice`]; a contiguous `s` is not copied).
fn index_add_array<T: Summable>(x: &mut Tensor, axis: usize, idx: &[usize], s: &Tensor) {
    let (outer, size, inner) = blocks(x.shape(), axis);
    let s = s.array::<T>().as_standard_layout();
    let source = s
        .as_slice()
        .expect("internal error: a standard-layout array is a slice; this is a bug");
    if size * inner == 0 {
        return;
    }
    let n = idx.len();
    let target = x.as_mut_slice::<T>();
    for (o, block) in target
        .chunks_exact_mut(size * inner)
        .take(outer)
        .enumerate()
    {
        for (i, &k) in idx.iter().enumerate() {
            let from = &source[(o * n + i) * inner..(o * n + i + 1) * inner];
            let row = &mut block[k * inner..(k + 1) * inner];
            row.iter_mut().zip(from).for_each(|(t, &v)| *t = *t + v);
        }
    }
}

/// `out[pos] = x[pos with pos[axis] = idx[pos]]`, shaped like `idx`.
fn gather_array<T: Element>(x: &Tensor, axis: usize, idx: &ArrayD<usize>) -> Tensor {
    let a = x.array::<T>();
    let out = ArrayD::from_shape_fn(idx.raw_dim(), |mut pos: IxDyn| {
        let k = idx[pos.slice()];
        pos[axis] = k;
        a[pos.slice()]
    });
    Tensor::from_storage(T::into_storage(out.into_shared()))
}

/// `x[pos with pos[axis] = idx[pos]] += s[pos]` for every `pos` of `idx`, in place
/// (copy-on-write: a shared `x` is copied first).
fn scatter_add_array<T: Summable>(
    x: &mut ArcArray<T, IxDyn>,
    axis: usize,
    idx: &ArrayD<usize>,
    s: &Tensor,
) {
    let s = s.array::<T>();
    let mut out = x.view_mut();
    for (mut pos, &k) in idx.indexed_iter() {
        let v = s[pos.slice()];
        pos[axis] = k;
        out[pos.slice()] = out[pos.slice()] + v;
    }
}

impl Tensor {
    /// The entries at positions `index` along `dim`, copied (`torch.index_select`).
    /// An index may repeat; a 0-d index counts as a 1-element list.
    ///
    /// # Errors
    /// A bad dim, an index with more than one dim ([`ErrorKind::Shape`]), or an index
    /// value outside `0..size(dim)` ([`ErrorKind::Index`]); a non-i64 index ([`ErrorKind::DType`]).
    pub fn try_index_select(&self, dim: isize, index: &Tensor) -> Result<Tensor, Error> {
        let axis = normalize_dim("index_select", dim, self.shape())?;
        check_index_1d("index_select", index, self)?;
        let size = self.shape()[axis];
        let idx = index_values(
            "index_select",
            index,
            size,
            &|| format!("dim {dim} of size {size}"),
            &|| {
                format!(
                    "input shape {:?}, index shape {:?}",
                    self.shape(),
                    index.shape()
                )
            },
        )?;
        Ok(match &self.storage {
            Storage::F32(a) => Storage::F32(index_select_array(a, axis, &idx)).into(),
            Storage::F64(a) => Storage::F64(index_select_array(a, axis, &idx)).into(),
            Storage::I64(a) => Storage::I64(index_select_array(a, axis, &idx)).into(),
            Storage::Bool(a) => Storage::Bool(index_select_array(a, axis, &idx)).into(),
        })
    }

    /// [`Tensor::try_index_select`], panicking on bad input. The lookup behind an
    /// embedding layer: `weight.index_select(0, &token_ids)`.
    ///
    /// # Shapes
    /// `self: [V, C]`, `index: [N]`, dim 0 → `[N, C]`.
    ///
    /// # Panics
    /// On a bad dim, a multi-dim index, or an index value out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0., 1., 10., 11., 20., 21.], &[3, 2]);
    /// let rows = x.index_select(0, &Tensor::from_vec_i64(vec![2, 0, 2], &[3]));
    /// assert_eq!(rows.to_vec::<f32>(), vec![20., 21., 0., 1., 20., 21.]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, dim: isize, index: &Tensor) -> Tensor {
        self.try_index_select(dim, index).or_raise()
    }

    /// `self` with slice `i` of `source` added at position `index[i]` along `dim`;
    /// repeated indices accumulate. The adjoint (backward) of
    /// [`Tensor::index_select`].
    ///
    /// # Shapes
    /// `self: [V, C]`, `index: [N]`, `source: [N, C]`, dim 0 → `[V, C]`.
    ///
    /// # Panics
    /// On a bad dim, a multi-dim index, an index value out of range, a dtype
    /// mismatch, or a `source` whose shape is not `self`'s with `size(dim) = N`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let idx = Tensor::from_vec_i64(vec![1, 1, 0], &[3]);
    /// let src = Tensor::from_vec(vec![1., 2., 3.], &[3]);
    /// // out[1] = 1 + 2, out[0] = 3
    /// assert_eq!(Tensor::zeros(&[2]).index_add(0, &idx, &src).to_vec::<f32>(), vec![3., 3.]);
    /// ```
    #[track_caller]
    pub fn index_add(&self, dim: isize, index: &Tensor, source: &Tensor) -> Tensor {
        let mut out = self.clone();
        out.index_add_(dim, index, source);
        out
    }

    /// [`Tensor::index_add`] in place (PyTorch's `index_add_`): `self[index[i]] += source[i]`
    /// along `dim`. Writes into `self`'s buffer when no other tensor shares it (else
    /// copies it once, see [`Tensor::as_mut_slice`]), so updating a few rows of a large
    /// table costs the rows, not the table.
    ///
    /// # Shapes
    /// As [`Tensor::index_add`].
    ///
    /// # Panics
    /// As [`Tensor::index_add`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let mut table = Tensor::zeros(&[3, 2]);
    /// table.index_add_(0, &Tensor::from_vec_i64(vec![2], &[1]), &Tensor::ones(&[1, 2]));
    /// assert_eq!(table.to_vec::<f32>(), vec![0., 0., 0., 0., 1., 1.]);
    /// ```
    #[track_caller]
    pub fn index_add_(&mut self, dim: isize, index: &Tensor, source: &Tensor) {
        let axis = normalize_dim("index_add", dim, self.shape()).or_raise();
        check_same_dtype("index_add", self, source).or_raise();
        check_not_bool("index_add", self).or_raise();
        check_index_1d("index_add", index, self).or_raise();
        let mut expected = self.shape().to_vec();
        expected[axis] = index.numel();
        if source.shape() != expected {
            Error::new(
                "index_add",
                ErrorKind::Shape,
                format!(
                    "source has shape {:?} but input {:?} with {} indices along dim {dim} needs {expected:?}",
                    source.shape(),
                    self.shape(),
                    index.numel()
                ),
            )
            .raise();
        }
        let size = self.shape()[axis];
        let idx = index_values(
            "index_add",
            index,
            size,
            &|| format!("dim {dim} of size {size}"),
            &|| {
                format!(
                    "input shape {:?}, index shape {:?}",
                    self.shape(),
                    index.shape()
                )
            },
        )
        .or_raise();
        match self.dtype() {
            DType::F32 => index_add_array::<f32>(self, axis, &idx, source),
            DType::F64 => index_add_array::<f64>(self, axis, &idx, source),
            DType::I64 => index_add_array::<i64>(self, axis, &idx, source),
            DType::Bool => unreachable!("bool was refused above"),
        }
    }

    /// Pick one entry along `dim` per index position (`torch.gather`):
    /// `out[i][j][k] = self[index[i][j][k]][j][k]` for dim 0 (likewise for other dims).
    ///
    /// # Errors
    /// A bad dim; an index whose rank differs from `self`'s or that is larger than
    /// `self` in a dim other than `dim` ([`ErrorKind::Shape`]); an index value that is
    /// outside `0..size(dim)` ([`ErrorKind::Index`]); a non-i64 index ([`ErrorKind::DType`]).
    pub fn try_gather(&self, dim: isize, index: &Tensor) -> Result<Tensor, Error> {
        let axis = normalize_dim("gather", dim, self.shape())?;
        check_index_fits("gather", index, ("input", self), Some(axis))?;
        let size = self.shape()[axis];
        let values = index_values(
            "gather",
            index,
            size,
            &|| format!("dim {dim} of size {size}"),
            &|| {
                format!(
                    "input shape {:?}, index shape {:?}",
                    self.shape(),
                    index.shape()
                )
            },
        )?;
        let idx = ArrayD::from_shape_vec(IxDyn(index.shape()), values)
            .expect("internal error: one value per index element; this is a bug");
        Ok(match self.dtype() {
            DType::F32 => gather_array::<f32>(self, axis, &idx),
            DType::F64 => gather_array::<f64>(self, axis, &idx),
            DType::I64 => gather_array::<i64>(self, axis, &idx),
            DType::Bool => gather_array::<bool>(self, axis, &idx),
        })
    }

    /// [`Tensor::try_gather`], panicking on bad input. Picks the logit of each target
    /// class in cross-entropy: `logp.gather(1, &targets.unsqueeze(1))`.
    ///
    /// # Shapes
    /// `self: [B, C]`, `index: [B, K]` (K ≤ C allowed), dim 1 → `[B, K]`.
    ///
    /// # Panics
    /// On the errors listed for [`Tensor::try_gather`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]);
    /// let idx = Tensor::from_vec_i64(vec![1, 0], &[2, 1]);
    /// // out[i][0] = x[i][idx[i][0]]: x[0][1] = 2, x[1][0] = 3
    /// assert_eq!(x.gather(1, &idx).to_vec::<f32>(), vec![2., 3.]);
    /// ```
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &Tensor) -> Tensor {
        self.try_gather(dim, index).or_raise()
    }

    /// A copy of `self` with each `src[pos]` added at `pos` with `pos[dim]` replaced by
    /// `index[pos]` (`torch.scatter_add`); repeated targets accumulate. The adjoint
    /// (backward) of [`Tensor::gather`].
    ///
    /// # Shapes
    /// `self: S`, `index` and `src` of the same rank as `S`, `index` no larger than
    /// `src` in any dim and no larger than `S` outside `dim` → `S`.
    ///
    /// # Panics
    /// On a bad dim, mismatched ranks or sizes, a dtype mismatch between `self` and
    /// `src`, a non-i64 index, or an index value outside `0..size(dim)`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let idx = Tensor::from_vec_i64(vec![0, 2, 0], &[3]);
    /// let src = Tensor::from_vec(vec![1., 2., 3.], &[3]);
    /// // out[0] = 1 + 3, out[2] = 2
    /// let out = Tensor::zeros(&[3]).scatter_add(0, &idx, &src);
    /// assert_eq!(out.to_vec::<f32>(), vec![4., 0., 2.]);
    /// ```
    #[track_caller]
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Tensor {
        let mut out = self.clone();
        out.scatter_add_(dim, index, src);
        out
    }

    /// [`Tensor::scatter_add`] in place (PyTorch's `scatter_add_`). Writes into `self`'s
    /// buffer when no other tensor shares it (else copies it once), so a backward that
    /// scatters into fresh zeros does not copy them.
    ///
    /// # Shapes
    /// As [`Tensor::scatter_add`].
    ///
    /// # Panics
    /// As [`Tensor::scatter_add`].
    #[track_caller]
    pub fn scatter_add_(&mut self, dim: isize, index: &Tensor, src: &Tensor) {
        let axis = normalize_dim("scatter_add", dim, self.shape()).or_raise();
        check_same_dtype("scatter_add", self, src).or_raise();
        check_not_bool("scatter_add", self).or_raise();
        check_index_fits("scatter_add", index, ("src", src), None).or_raise();
        check_index_fits("scatter_add", index, ("input", self), Some(axis)).or_raise();
        let size = self.shape()[axis];
        let values = index_values(
            "scatter_add",
            index,
            size,
            &|| format!("dim {dim} of size {size}"),
            &|| {
                format!(
                    "input shape {:?}, index shape {:?}",
                    self.shape(),
                    index.shape()
                )
            },
        )
        .or_raise();
        let idx = ArrayD::from_shape_vec(IxDyn(index.shape()), values)
            .expect("internal error: one value per index element; this is a bug");
        match &mut self.storage {
            Storage::F32(a) => scatter_add_array(a, axis, &idx, src),
            Storage::F64(a) => scatter_add_array(a, axis, &idx, src),
            Storage::I64(a) => scatter_add_array(a, axis, &idx, src),
            Storage::Bool(_) => unreachable!("bool was refused above"),
        }
    }

    /// One-hot encoding: an i64 tensor with a trailing dim of `num_classes`, holding
    /// 1 at each index's class and 0 elsewhere (`torch.nn.functional.one_hot`; convert
    /// with `.to_dtype(DType::F32)` for soft targets).
    ///
    /// # Shapes
    /// `index: [..]` → `[.., num_classes]`; a 0-d index gives `[num_classes]`.
    ///
    /// # Panics
    /// If `index` is not an i64 tensor or a value is not in `0..num_classes`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::one_hot(&Tensor::from_vec_i64(vec![2, 0], &[2]), 3);
    /// assert_eq!(y.shape(), &[2, 3]);
    /// assert_eq!(y.to_vec::<i64>(), vec![0, 0, 1, 1, 0, 0]);
    /// ```
    #[track_caller]
    pub fn one_hot(index: &Tensor, num_classes: usize) -> Tensor {
        let classes = index_values(
            "one_hot",
            index,
            num_classes,
            &|| format!("num_classes {num_classes}"),
            &|| format!("index shape {:?}", index.shape()),
        )
        .or_raise();
        let mut data = vec![0i64; classes.len() * num_classes];
        for (row, &c) in classes.iter().enumerate() {
            data[row * num_classes + c] = 1;
        }
        let shape: Vec<usize> = [index.shape(), &[num_classes]].concat();
        Tensor::from_vec_i64(data, &shape)
    }
}

mod bag;
mod rows_dot;

// Unit tests live in index/tests.rs to keep this file short.
#[cfg(test)]
mod tests;
