//! Movement ops: change how a tensor's elements are *seen* (shape, strides, offset)
//! without touching them, plus the two ops that must copy, `broadcast_to` and `sum_to`.
//!
//! ```text
//! x                  shape [2, 3]  strides [3, 1]  offset 0   (row-major, contiguous)
//! x.transpose(0, 1)  shape [3, 2]  strides [1, 3]  offset 0   same buffer, no copy
//! x.narrow(1, 1, 2)  shape [2, 2]  strides [3, 1]  offset 1
//! x.select(0, 1)     shape [3]     strides [1]     offset 3
//! x.unsqueeze(0)     shape [1, 2, 3]                          a size-1 dim costs nothing
//! ```
//!
//! Every view is one ndarray call on the shared `ArcArray` (see `View` below); a write to
//! either tensor later copies first (copy-on-write), so views never alias visibly.
//!
//! `broadcast_to` and `sum_to` are a pair of adjoint maps, and the autograd crate uses
//! the second as the backward of the first:
//! ```text
//! broadcast_to: [3, 1] → [2, 3, 4]   out[b, i, j] = x[i, 0]
//! sum_to:    [2, 3, 4] → [3, 1]      out[i, 0]    = Σ_b Σ_j y[b, i, j]
//! ⟨broadcast_to(x), y⟩ = Σ_{b,i,j} x[i,0]·y[b,i,j] = ⟨x, sum_to(y)⟩
//! ```
//! Read next: [`crate::join`] (cat, stack, split) and [`crate::index`] (gathers).

use ndarray::{ArcArray, ArrayD, Axis, IxDyn, Slice};

use crate::dtype::{DType, Element, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::reduce::Summable;
use crate::shape::{
    check_broadcast_to, normalize_dim, normalize_dims, normalize_insert_dim, numel, try_numel,
};
use crate::tensor::Tensor;

/// One layout change. Each variant is a single ndarray call on the shared `ArcArray`
/// that rewrites shape, strides and offset only; arguments are checked before.
enum View<'a> {
    /// Reorder the dims: new dim `i` is old dim `axes[i]`.
    Permute(&'a [usize]),
    /// Exchange two dims.
    Swap(usize, usize),
    /// Keep `start..end` along `axis`.
    Narrow {
        axis: usize,
        start: usize,
        end: usize,
    },
    /// Keep position `index` along `axis` and drop that dim.
    Select { axis: usize, index: usize },
    /// Insert a size-1 dim at `axis`.
    Insert(usize),
    /// Drop the size-1 dim `axis`.
    Remove(usize),
}

/// Apply `view` to an array: the result shares `a`'s buffer (an `Arc` clone).
fn relayout<T: Element>(a: &ArcArray<T, IxDyn>, view: &View) -> ArcArray<T, IxDyn> {
    let mut a = a.clone();
    match *view {
        View::Permute(axes) => a.permuted_axes(axes),
        View::Swap(i, j) => {
            a.swap_axes(i, j);
            a
        }
        View::Narrow { axis, start, end } => {
            a.slice_axis_inplace(Axis(axis), Slice::from(start..end));
            a
        }
        View::Select { axis, index } => a.index_axis_move(Axis(axis), index),
        View::Insert(axis) => a.insert_axis(Axis(axis)),
        View::Remove(axis) => a.remove_axis(Axis(axis)),
    }
}

/// `a` as `shape` in row-major order: a view when `a` is contiguous or when `shape`
/// only adds or drops size-1 dims, else one copy.
fn reshape_array<T: Element>(a: &ArcArray<T, IxDyn>, shape: &[usize]) -> ArcArray<T, IxDyn> {
    if let Some(view) = with_unit_dims(a, shape) {
        return view;
    }
    // A reshape reinterprets the row-major sequence of elements. On a contiguous array
    // that sequence *is* memory, so new strides suffice; a transposed or sliced array
    // must first be written out row-major (the only copy reshape makes).
    let standard = if a.is_standard_layout() {
        a.clone()
    } else {
        a.as_standard_layout().into_owned().into_shared()
    };
    standard
        .into_shape_with_order(IxDyn(shape))
        .expect("internal error: reshape of a contiguous array with equal numel; this is a bug")
}

/// `a` as `shape` by removing and inserting size-1 dims, when `shape` and `a`'s shape
/// list the same sizes once the 1s are left out (`[B, 1, T, D]` ↔ `[B, T, D]`): a
/// size-1 dim has no stride that matters, so this is a view whatever `a`'s strides
/// (a permuted tensor's `unsqueeze` does not copy). `None` otherwise.
fn with_unit_dims<T: Element>(
    a: &ArcArray<T, IxDyn>,
    shape: &[usize],
) -> Option<ArcArray<T, IxDyn>> {
    let sizes = |dims: &[usize]| dims.iter().copied().filter(|&n| n != 1).collect::<Vec<_>>();
    if sizes(a.shape()) != sizes(shape) {
        return None;
    }
    let mut view = a.clone();
    while let Some(axis) = view.shape().iter().position(|&n| n == 1) {
        view = view.remove_axis(Axis(axis));
    }
    for (axis, _) in shape.iter().enumerate().filter(|&(_, &n)| n == 1) {
        view = view.insert_axis(Axis(axis));
    }
    Some(view)
}

/// `a` repeated along its size-1 and missing leading dims to `shape` (checked), copied
/// block by block rather than element by element:
/// ```text
/// shape  [B₀ … B_j | R_j … R_k | I_k … ]   I: dims equal in source and target (one
///                                          contiguous block of `inner` elements)
///                                          R: dims the source has as 1 (the block repeats
///                                          `rep` times in a row)
///                                          B: the rest, walked one block at a time
/// [N, 1] → [N, C]:  N blocks of 1 element, each repeated C times
/// [C]    → [N, C]:  1 block of C elements, repeated N times
/// ```
fn broadcast_array<T: Element>(a: &ArcArray<T, IxDyn>, shape: &[usize]) -> ArcArray<T, IxDyn> {
    let total = numel(shape);
    let source = a.as_standard_layout(); // no copy when `a` is already contiguous
    let source = source
        .as_slice()
        .expect("internal error: a standard-layout array is a slice; this is a bug");
    // The source shape padded with leading 1s to the target's rank.
    let from: Vec<usize> = std::iter::repeat_n(1, shape.len() - a.ndim())
        .chain(a.shape().iter().copied())
        .collect();
    let mut k = shape.len();
    while k > 0 && from[k - 1] == shape[k - 1] {
        k -= 1;
    }
    let mut j = k;
    while j > 0 && from[j - 1] == 1 {
        j -= 1;
    }
    let (inner, rep) = (numel(&shape[k..]), numel(&shape[j..k]));
    // Row-major strides of the source, 0 along its size-1 dims.
    let mut strides = vec![0; j];
    let mut stride = numel(&from[j..]);
    for d in (0..j).rev() {
        strides[d] = if from[d] == 1 { 0 } else { stride };
        stride *= from[d];
    }
    let mut out = Vec::with_capacity(total);
    let mut pos = vec![0; j];
    for _ in 0..if total == 0 { 0 } else { numel(&shape[..j]) } {
        let offset: usize = pos.iter().zip(&strides).map(|(p, s)| p * s).sum();
        let block = &source[offset..offset + inner];
        if inner == 1 {
            out.extend(std::iter::repeat_n(block[0], rep));
        } else {
            (0..rep).for_each(|_| out.extend_from_slice(block));
        }
        for d in (0..j).rev() {
            pos[d] += 1;
            if pos[d] < shape[d] {
                break;
            }
            pos[d] = 0;
        }
    }
    ArrayD::from_shape_vec(IxDyn(shape), out)
        .expect("internal error: broadcast_to writes numel(shape) elements; this is a bug")
        .into_shared()
}

/// Sum `a` over the dims that broadcasting `target` to `a`'s shape would expand.
fn sum_to_array<T: Summable>(a: &ArcArray<T, IxDyn>, target: &[usize]) -> ArcArray<T, IxDyn> {
    let lead = a.ndim() - target.len();
    // Leading dims the target lacks, then dims where the target has 1 and `a` does not.
    let axes: Vec<usize> = (0..a.ndim())
        .filter(|&i| i < lead || (target[i - lead] == 1 && a.shape()[i] != 1))
        .collect();
    if axes.is_empty() {
        return a.clone();
    }
    // Sum with keepdim, from the last axis to the first so indices stay valid; the
    // leading size-1 dims left behind are dropped by the final reshape. The first sum
    // reads `a` in place, so the input is never copied.
    let mut rev = axes.iter().rev();
    let last = *rev
        .next()
        .expect("internal error: axes is non-empty; this is a bug");
    let mut out: ArrayD<T> = a.sum_axis(Axis(last)).insert_axis(Axis(last));
    for &axis in rev {
        out = out.sum_axis(Axis(axis)).insert_axis(Axis(axis));
    }
    out.into_shape_with_order(IxDyn(target))
        .expect("internal error: sum_to keeps numel(target) elements; this is a bug")
        .into_shared()
}

impl Tensor {
    /// Apply one checked layout change to whichever dtype this tensor holds.
    fn apply_view(&self, view: View) -> Tensor {
        match &self.storage {
            Storage::F32(a) => Storage::F32(relayout(a, &view)).into(),
            Storage::F64(a) => Storage::F64(relayout(a, &view)).into(),
            Storage::I64(a) => Storage::I64(relayout(a, &view)).into(),
            Storage::Bool(a) => Storage::Bool(relayout(a, &view)).into(),
        }
    }

    /// The same elements in row-major order with a new shape of equal element count.
    ///
    /// A view (no copy) when `self` is contiguous; a transposed or sliced tensor is
    /// first copied to row-major order, as `torch.reshape` does.
    ///
    /// # Shapes
    /// `[..]` (n elements) → `shape` (n elements).
    ///
    /// # Errors
    /// A [`ErrorKind::Shape`] error when the element counts differ.
    pub fn try_reshape(&self, shape: &[usize]) -> Result<Tensor, Error> {
        if try_numel("reshape", shape)? != self.numel() {
            return Err(Error::new(
                "reshape",
                ErrorKind::Shape,
                format!(
                    "cannot reshape {:?} ({} elements) into {shape:?} ({} elements)",
                    self.shape(),
                    self.numel(),
                    numel(shape)
                ),
            )
            .with_hint("the product of the new shape must equal the number of elements"));
        }
        Ok(match &self.storage {
            Storage::F32(a) => Storage::F32(reshape_array(a, shape)).into(),
            Storage::F64(a) => Storage::F64(reshape_array(a, shape)).into(),
            Storage::I64(a) => Storage::I64(reshape_array(a, shape)).into(),
            Storage::Bool(a) => Storage::Bool(reshape_array(a, shape)).into(),
        })
    }

    /// [`Tensor::try_reshape`], panicking on a bad shape.
    ///
    /// # Panics
    /// When `shape` holds a different number of elements.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(x.shape(), &[2, 3]);
    /// assert_eq!(x.reshape(&[3, 2]).to_vec::<f32>(), vec![0., 1., 2., 3., 4., 5.]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        self.try_reshape(shape).or_raise()
    }

    /// Merge dims `start_dim..=end_dim` into one (negative dims count from the end).
    /// A 0-d tensor flattens to shape `[1]`, as in PyTorch.
    ///
    /// # Shapes
    /// `[2, 3, 4].flatten(1, -1)` → `[2, 12]`; `flatten(0, -1)` → `[24]`.
    ///
    /// # Panics
    /// When a dim is out of range or `start_dim` comes after `end_dim`.
    #[track_caller]
    pub fn flatten(&self, start_dim: isize, end_dim: isize) -> Tensor {
        if self.dims() == 0 {
            return self.reshape(&[1]);
        }
        let start = normalize_dim("flatten", start_dim, self.shape()).or_raise();
        let end = normalize_dim("flatten", end_dim, self.shape()).or_raise();
        if start > end {
            Error::new(
                "flatten",
                ErrorKind::Dim,
                format!(
                    "start_dim {start_dim} comes after end_dim {end_dim} (shape {:?})",
                    self.shape()
                ),
            )
            .raise();
        }
        let s = self.shape();
        let merged = s[start..=end].iter().product();
        let new_shape: Vec<usize> = [&s[..start], &[merged], &s[end + 1..]].concat();
        self.reshape(&new_shape)
    }

    /// Reorder the dims (a view): dim `i` of the result is dim `dims[i]` of `self`.
    ///
    /// # Errors
    /// A [`ErrorKind::Dim`] error unless `dims` lists every dim exactly once.
    pub fn try_permute(&self, dims: &[isize]) -> Result<Tensor, Error> {
        if dims.len() != self.dims() {
            return Err(Error::new(
                "permute",
                ErrorKind::Dim,
                format!(
                    "got {} dims {dims:?} for a {}-d tensor of shape {:?}",
                    dims.len(),
                    self.dims(),
                    self.shape()
                ),
            )
            .with_hint("list every dim exactly once, e.g. [0, 2, 1]"));
        }
        let axes = normalize_dims("permute", dims, self.shape())?;
        Ok(self.apply_view(View::Permute(&axes)))
    }

    /// [`Tensor::try_permute`], panicking on bad dims.
    ///
    /// # Shapes
    /// `[B, T, C].permute(&[0, 2, 1])` → `[B, C, T]`, sharing storage.
    ///
    /// # Panics
    /// Unless `dims` lists every dim exactly once.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::zeros(&[2, 3, 4]);
    /// let y = x.permute(&[2, 0, 1]);
    /// assert_eq!(y.shape(), &[4, 2, 3]);
    /// assert!(y.shares_storage_with(&x));
    /// ```
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Tensor {
        self.try_permute(dims).or_raise()
    }

    /// Swap two dims (a view, no copy). Call [`Tensor::contiguous`] to copy if needed.
    ///
    /// # Shapes
    /// `[2, 3, 4].transpose(0, -1)` → `[4, 3, 2]`.
    ///
    /// # Panics
    /// When a dim is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]);
    /// assert_eq!(x.transpose(0, 1).to_vec::<f32>(), vec![1., 4., 2., 5., 3., 6.]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, d0: isize, d1: isize) -> Tensor {
        let i = normalize_dim("transpose", d0, self.shape()).or_raise();
        let j = normalize_dim("transpose", d1, self.shape()).or_raise();
        self.apply_view(View::Swap(i, j))
    }

    /// The transpose of a matrix (a view): `[m, n]` → `[n, m]`.
    ///
    /// # Panics
    /// Unless `self` is 2-D.
    #[track_caller]
    pub fn t(&self) -> Tensor {
        if self.dims() != 2 {
            Error::new(
                "t",
                ErrorKind::Shape,
                format!("expects a 2-D tensor, got shape {:?}", self.shape()),
            )
            .with_hint(
                "use transpose(d0, d1) or permute for other ranks; unsqueeze(1) makes a column",
            )
            .raise();
        }
        self.apply_view(View::Swap(0, 1))
    }

    /// Insert a size-1 dim at position `dim` (a view); `dim` may be `-1` for the end.
    ///
    /// # Shapes
    /// `[3].unsqueeze(0)` → `[1, 3]`; `[3].unsqueeze(-1)` → `[3, 1]`.
    ///
    /// # Panics
    /// When `dim` is outside `-(ndim+1)..=ndim`.
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        let axis = normalize_insert_dim("unsqueeze", dim, self.shape()).or_raise();
        self.apply_view(View::Insert(axis))
    }

    /// Remove `dim` if its size is 1 (a view); otherwise return `self` unchanged, as
    /// `torch.squeeze(dim)` does.
    ///
    /// # Panics
    /// When `dim` is out of range.
    #[track_caller]
    pub fn squeeze(&self, dim: isize) -> Tensor {
        let axis = normalize_dim("squeeze", dim, self.shape()).or_raise();
        if self.shape()[axis] == 1 {
            self.apply_view(View::Remove(axis))
        } else {
            self.clone()
        }
    }

    /// Remove every size-1 dim (a view): `[1, 3, 1, 2]` → `[3, 2]`, `[1, 1]` → `[]`.
    pub fn squeeze_all(&self) -> Tensor {
        let mut out = self.clone();
        // From the back, so the remaining axis numbers stay valid.
        for axis in (0..self.dims()).rev() {
            if self.shape()[axis] == 1 {
                out = out.apply_view(View::Remove(axis));
            }
        }
        out
    }

    /// Repeat `self` along its size-1 dims and new leading dims to reach `shape`.
    ///
    /// Unlike ndarray's borrowed broadcast view, this materialises a contiguous copy
    /// (a cheap clone when the shape already matches): a `Tensor` owns its storage.
    /// The autograd crate treats `broadcast_to` as an explicit graph node whose
    /// backward is [`Tensor::sum_to`].
    ///
    /// # Errors
    /// A [`ErrorKind::Shape`] error when `self` does not broadcast to `shape`.
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Tensor, Error> {
        check_broadcast_to("broadcast_to", self.shape(), shape)?;
        try_numel("broadcast_to", shape)?;
        if self.shape() == shape {
            return Ok(self.clone());
        }
        Ok(match &self.storage {
            Storage::F32(a) => Storage::F32(broadcast_array(a, shape)).into(),
            Storage::F64(a) => Storage::F64(broadcast_array(a, shape)).into(),
            Storage::I64(a) => Storage::I64(broadcast_array(a, shape)).into(),
            Storage::Bool(a) => Storage::Bool(broadcast_array(a, shape)).into(),
        })
    }

    /// [`Tensor::try_broadcast_to`], panicking when the shapes do not fit.
    ///
    /// # Shapes
    /// `[3, 1]` → `[2, 3, 4]`: sizes align from the right; each must equal the
    /// target's or be 1.
    ///
    /// # Panics
    /// When `self` does not broadcast to `shape`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1., 2.], &[2, 1]);
    /// assert_eq!(x.broadcast_to(&[2, 3]).to_vec::<f32>(), vec![1., 1., 1., 2., 2., 2.]);
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        self.try_broadcast_to(shape).or_raise()
    }

    /// PyTorch's name for [`Tensor::broadcast_to`] (here it copies too).
    ///
    /// # Panics
    /// When `self` does not broadcast to `shape`.
    #[track_caller]
    pub fn expand(&self, shape: &[usize]) -> Tensor {
        self.try_broadcast_to(shape).or_raise()
    }

    /// Sum over the dims that broadcasting `shape` to `self.shape()` would expand: the
    /// leading dims `shape` lacks and the dims where `shape` has 1. The adjoint of
    /// [`Tensor::broadcast_to`] (see the module doc).
    ///
    /// # Errors
    /// A [`ErrorKind::Shape`] error when `shape` does not broadcast to `self.shape()`.
    pub fn try_sum_to(&self, shape: &[usize]) -> Result<Tensor, Error> {
        check_broadcast_to("sum_to", shape, self.shape()).map_err(|_| {
            Error::new(
                "sum_to",
                ErrorKind::Shape,
                format!(
                    "cannot sum shape {:?} down to {shape:?}: {shape:?} does not broadcast to {:?}",
                    self.shape(),
                    self.shape()
                ),
            )
            .with_hint("each target dim must equal the input's or be 1, aligned from the right")
        })?;
        Ok(match &self.storage {
            Storage::F32(a) => Storage::F32(sum_to_array(a, shape)).into(),
            Storage::F64(a) => Storage::F64(sum_to_array(a, shape)).into(),
            Storage::I64(a) => Storage::I64(sum_to_array(a, shape)).into(),
            Storage::Bool(_) => return self.to_dtype(DType::I64).try_sum_to(shape),
        })
    }

    /// [`Tensor::try_sum_to`], panicking when the shapes do not fit.
    ///
    /// # Shapes
    /// `[2, 3, 4].sum_to(&[3, 1])` → `[3, 1]`; `sum_to(&[])` sums everything.
    ///
    /// # Panics
    /// When `shape` does not broadcast to `self.shape()`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]);
    /// // out[0, j] = y[0, j] + y[1, j]
    /// assert_eq!(y.sum_to(&[1, 3]).to_vec::<f32>(), vec![5., 7., 9.]);
    /// // out[i] = Σ_j y[i, j]
    /// assert_eq!(y.sum_to(&[2, 1]).to_vec::<f32>(), vec![6., 15.]);
    /// ```
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        self.try_sum_to(shape).or_raise()
    }

    /// Positions `start..start + length` along `dim` (a view sharing storage).
    ///
    /// # Shapes
    /// `[4, 6].narrow(1, 2, 3)` → `[4, 3]`.
    ///
    /// # Panics
    /// When `dim` is out of range or `start + length` exceeds the dim's size.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0);
    /// assert_eq!(x.narrow(0, 2, 3).to_vec::<f32>(), vec![2., 3., 4.]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Tensor {
        let axis = normalize_dim("narrow", dim, self.shape()).or_raise();
        let size = self.shape()[axis];
        match start.checked_add(length) {
            Some(end) if end <= size => self.apply_view(View::Narrow { axis, start, end }),
            _ => Error::new(
                "narrow",
                ErrorKind::Index,
                format!(
                    "start {start} + length {length} exceeds size {size} of dim {dim} (shape {:?})",
                    self.shape()
                ),
            )
            .raise(),
        }
    }

    /// Position `index` along `dim`, dropping that dim (a view): `x.select(0, i)` is
    /// PyTorch's `x[i]`.
    ///
    /// # Shapes
    /// `[B, T, C].select(1, t)` → `[B, C]`.
    ///
    /// # Panics
    /// When `dim` is out of range or `index >= size(dim)`.
    #[track_caller]
    pub fn select(&self, dim: isize, index: usize) -> Tensor {
        let axis = normalize_dim("select", dim, self.shape()).or_raise();
        let size = self.shape()[axis];
        if index >= size {
            Error::new(
                "select",
                ErrorKind::Index,
                format!(
                    "index {index} is out of range for dim {dim} of size {size} (shape {:?})",
                    self.shape()
                ),
            )
            .raise();
        }
        self.apply_view(View::Select { axis, index })
    }
}

// Unit tests live in movement/tests.rs to keep this file short.
#[cfg(test)]
mod tests;
