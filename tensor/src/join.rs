//! Joining and splitting along a dim: `cat`, `stack`, `split`, `chunk`.
//!
//! ```text
//! cat([a: [2, 3], b: [4, 3]], dim 0)    → [6, 3]      sizes add along dim
//! stack([a: [2, 3], b: [2, 3]], dim 0)  → [2, 2, 3]   a new dim of size 2
//! split(2, dim 0) of [5, 3]             → [2, 3], [2, 3], [1, 3]   (last smaller)
//! chunk(3, dim 0) of [5, 3]             → ceil(5/3) = 2 per piece → [2, 3], [2, 3], [1, 3]
//! ```
//! `cat` and `stack` copy into a new buffer; `split` and `chunk` return views
//! ([`Tensor::narrow`]) that share the input's storage. `split` is the inverse of
//! `cat` when the pieces have the split sizes, and the backward of `cat` in autograd.
//! Read next: [`crate::index`].

use ndarray::{ArcArray, ArrayView, Axis, IxDyn};

use crate::dtype::{DType, Element};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::shape::{normalize_dim, normalize_insert_dim};
use crate::tensor::Tensor;

/// Check the list is non-empty and every tensor has the first one's dtype.
fn check_list(op: &'static str, tensors: &[Tensor]) -> Result<DType, Error> {
    let first = tensors.first().ok_or_else(|| {
        Error::new(op, ErrorKind::Value, "got an empty list of tensors")
            .with_hint("pass at least one tensor")
    })?;
    for (i, t) in tensors.iter().enumerate().skip(1) {
        if t.dtype() != first.dtype() {
            return Err(Error::new(
                op,
                ErrorKind::DType,
                format!(
                    "tensor {i} is {} {:?} but tensor 0 is {} {:?}",
                    t.dtype(),
                    t.shape(),
                    first.dtype(),
                    first.shape()
                ),
            )
            .with_hint("convert with .to_dtype(..); ferrograd never promotes silently"));
        }
    }
    Ok(first.dtype())
}

/// `cat` of row-major arrays along `axis`, by whole rows (`None` if one is strided).
///
/// ```text
/// piece i seen as [outer, nᵢ·inner]      outer = Π dims before axis, inner = Π after
/// output seen as  [outer, Σnᵢ·inner]     output row r = piece₀ row r ‖ piece₁ row r ‖ ..
/// ```
/// so the output is filled by one `memcpy` per (row, piece), in order: the
/// backward of `narrow`/`chunk` joins multi-megabyte gradients this way.
fn cat_rows<T: Element>(tensors: &[Tensor], axis: usize) -> Option<Tensor> {
    let slices: Vec<&[T]> = tensors
        .iter()
        .map(|t| t.array::<T>().as_slice())
        .collect::<Option<_>>()?;
    let first = tensors[0].shape();
    let outer: usize = first[..axis].iter().product();
    let mut shape = first.to_vec();
    shape[axis] = tensors.iter().map(|t| t.shape()[axis]).sum();
    let mut out = Vec::with_capacity(shape.iter().product());
    for r in 0..outer {
        for piece in &slices {
            let width = piece.len() / outer.max(1);
            out.extend_from_slice(&piece[r * width..(r + 1) * width]);
        }
    }
    Some(
        Tensor::try_from_vec_of(out, &shape)
            .expect("internal error: cat sizes add up; this is a bug"),
    )
}

/// Join arrays along `axis` (`stack = false`) or along a new axis (`stack = true`).
/// Shapes were checked, so ndarray's own checks cannot fail.
fn join_arrays<T: Element>(tensors: &[Tensor], axis: usize, stack: bool) -> Tensor {
    if !stack && let Some(joined) = cat_rows::<T>(tensors, axis) {
        return joined;
    }
    let views: Vec<ArrayView<T, IxDyn>> = tensors.iter().map(|t| t.array::<T>().view()).collect();
    let joined = if stack {
        ndarray::stack(Axis(axis), &views)
    } else {
        ndarray::concatenate(Axis(axis), &views)
    };
    let joined: ArcArray<T, IxDyn> = joined
        .expect("internal error: join shapes were checked; this is a bug")
        .into_shared();
    Tensor::from_storage(T::into_storage(joined))
}

/// Join with the dtype's kernel: the one dtype match of this file.
fn join(tensors: &[Tensor], dtype: DType, axis: usize, stack: bool) -> Tensor {
    match dtype {
        DType::F32 => join_arrays::<f32>(tensors, axis, stack),
        DType::F64 => join_arrays::<f64>(tensors, axis, stack),
        DType::I64 => join_arrays::<i64>(tensors, axis, stack),
        DType::Bool => join_arrays::<bool>(tensors, axis, stack),
    }
}

impl Tensor {
    /// Concatenate tensors along an existing dim.
    ///
    /// # Errors
    /// An empty list ([`ErrorKind::Value`]), mixed dtypes ([`ErrorKind::DType`]), a
    /// dim out of range, or shapes that differ outside `dim` ([`ErrorKind::Shape`],
    /// naming the offending tensor's index and both shapes).
    pub fn try_cat(tensors: &[Tensor], dim: isize) -> Result<Tensor, Error> {
        let dtype = check_list("cat", tensors)?;
        let first = tensors[0].shape();
        let axis = normalize_dim("cat", dim, first)?;
        for (i, t) in tensors.iter().enumerate().skip(1) {
            let s = t.shape();
            let fits =
                s.len() == first.len() && (0..s.len()).all(|d| d == axis || s[d] == first[d]);
            if !fits {
                return Err(Error::new(
                    "cat",
                    ErrorKind::Shape,
                    format!(
                        "tensor {i} has shape {s:?} but tensor 0 has shape {first:?}; \
                         shapes must match except in dim {dim}"
                    ),
                )
                .with_hint("reshape or narrow the tensors so that only the cat dim differs"));
            }
        }
        Ok(join(tensors, dtype, axis, false))
    }

    /// [`Tensor::try_cat`], panicking on bad input.
    ///
    /// # Shapes
    /// `[2, 3]` and `[4, 3]` along dim 0 → `[6, 3]`.
    ///
    /// # Panics
    /// On an empty list, mixed dtypes, a bad dim or mismatched shapes.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1., 2.], &[1, 2]);
    /// let b = Tensor::from_vec(vec![3., 4.], &[1, 2]);
    /// assert_eq!(Tensor::cat(&[a.clone(), b.clone()], 0).shape(), &[2, 2]);
    /// assert_eq!(Tensor::cat(&[a, b], -1).to_vec::<f32>(), vec![1., 2., 3., 4.]);
    /// ```
    #[track_caller]
    pub fn cat(tensors: &[Tensor], dim: isize) -> Tensor {
        Tensor::try_cat(tensors, dim).or_raise()
    }

    /// Stack equal-shaped tensors along a new dim inserted at `dim`.
    ///
    /// # Errors
    /// An empty list, mixed dtypes, a dim outside `-(ndim+1)..=ndim`, or a tensor
    /// whose shape differs from tensor 0's (named by index).
    pub fn try_stack(tensors: &[Tensor], dim: isize) -> Result<Tensor, Error> {
        let dtype = check_list("stack", tensors)?;
        let first = tensors[0].shape();
        let axis = normalize_insert_dim("stack", dim, first)?;
        for (i, t) in tensors.iter().enumerate().skip(1) {
            if t.shape() != first {
                return Err(Error::new(
                    "stack",
                    ErrorKind::Shape,
                    format!(
                        "tensor {i} has shape {:?} but tensor 0 has shape {first:?}; \
                         stack needs equal shapes",
                        t.shape()
                    ),
                )
                .with_hint("use cat to join along an existing dim of different sizes"));
            }
        }
        Ok(join(tensors, dtype, axis, true))
    }

    /// [`Tensor::try_stack`], panicking on bad input.
    ///
    /// # Shapes
    /// N tensors of shape `[2, 3]`, dim 0 → `[N, 2, 3]`; dim -1 → `[2, 3, N]`.
    ///
    /// # Panics
    /// On an empty list, mixed dtypes, a bad dim or unequal shapes.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1., 2.], &[2]);
    /// let b = Tensor::from_vec(vec![3., 4.], &[2]);
    /// let s = Tensor::stack(&[a, b], 1); // columns a and b
    /// assert_eq!(s.shape(), &[2, 2]);
    /// assert_eq!(s.to_vec::<f32>(), vec![1., 3., 2., 4.]);
    /// ```
    #[track_caller]
    pub fn stack(tensors: &[Tensor], dim: isize) -> Tensor {
        Tensor::try_stack(tensors, dim).or_raise()
    }

    /// Views of consecutive pieces of `split_size` along `dim`; the last piece is
    /// smaller when the size does not divide evenly, as `torch.split`.
    ///
    /// # Shapes
    /// `[5, 3].split(2, 0)` → `[2, 3], [2, 3], [1, 3]`. A dim of size 0 gives one
    /// empty piece.
    ///
    /// # Panics
    /// When `dim` is out of range, or `split_size` is 0 on a non-empty dim.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::arange(0.0, 5.0, 1.0);
    /// let parts = x.split(2, 0);
    /// assert_eq!(parts.len(), 3);
    /// assert_eq!(parts[2].to_vec::<f32>(), vec![4.0]);
    /// ```
    #[track_caller]
    pub fn split(&self, split_size: usize, dim: isize) -> Vec<Tensor> {
        let axis = normalize_dim("split", dim, self.shape()).or_raise();
        let size = self.shape()[axis];
        if size == 0 {
            return vec![self.clone()];
        }
        if split_size == 0 {
            Error::new(
                "split",
                ErrorKind::Value,
                format!(
                    "split_size 0 cannot split dim {dim} of size {size} (shape {:?})",
                    self.shape()
                ),
            )
            .with_hint("split_size is the length of each piece and must be at least 1")
            .raise();
        }
        (0..size)
            .step_by(split_size)
            .map(|start| self.narrow(axis as isize, start, split_size.min(size - start)))
            .collect()
    }

    /// Split into at most `chunks` views along `dim`, each of `ceil(n / chunks)`
    /// elements except a smaller last one, as `torch.chunk` (so there may be fewer
    /// than `chunks` pieces: 6 split into 4 chunks gives sizes 2, 2, 2).
    ///
    /// # Shapes
    /// `[5, 3].chunk(3, 0)` → `[2, 3], [2, 3], [1, 3]`. A dim of size 0 gives
    /// `chunks` empty pieces.
    ///
    /// # Panics
    /// When `dim` is out of range or `chunks` is 0.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::zeros(&[2, 7]);
    /// let sizes: Vec<usize> = x.chunk(3, -1).iter().map(|c| c.size(-1)).collect();
    /// assert_eq!(sizes, vec![3, 3, 1]);
    /// ```
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Tensor> {
        let axis = normalize_dim("chunk", dim, self.shape()).or_raise();
        if chunks == 0 {
            Error::new(
                "chunk",
                ErrorKind::Value,
                format!(
                    "chunks must be at least 1, got 0 (shape {:?})",
                    self.shape()
                ),
            )
            .raise();
        }
        let size = self.shape()[axis];
        if size == 0 {
            return vec![self.clone(); chunks];
        }
        self.split(size.div_ceil(chunks), axis as isize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[[0, 1, 2], [3, 4, 5]]` in the given dtype.
    fn m23(dtype: DType) -> Tensor {
        Tensor::arange(0.0, 6.0, 1.0)
            .reshape(&[2, 3])
            .to_dtype(dtype)
    }

    #[test]
    fn cat_joins_along_any_dim() {
        for dtype in [DType::F32, DType::F64, DType::I64] {
            let a = m23(dtype);
            let b = a.mul_scalar(10.0).narrow(0, 0, 1); // [[0, 10, 20]]
            let c = Tensor::cat(&[a.clone(), b.clone()], 0);
            assert_eq!(c.shape(), &[3, 3]);
            assert_eq!(c.dtype(), dtype);
            assert_eq!(
                c.to_vec::<f64>(),
                vec![0., 1., 2., 3., 4., 5., 0., 10., 20.]
            );
            // Along the last dim, with a strided (non-contiguous) input:
            // a.t().narrow(0, 0, 2).t() = [[0, 1], [3, 4]].
            let d = Tensor::cat(&[a.clone(), a.t().narrow(0, 0, 2).t()], -1);
            assert_eq!(d.shape(), &[2, 5]);
            assert_eq!(
                d.to_vec::<f64>(),
                vec![0., 1., 2., 0., 1., 3., 4., 5., 3., 4.]
            );
            // One tensor: a copy of it.
            assert_eq!(
                Tensor::cat(std::slice::from_ref(&a), 1).to_vec::<f64>(),
                a.to_vec::<f64>()
            );
        }
        // A middle dim, row-major pieces (joined row by row): [2, 2, 3] ‖ [2, 1, 3].
        let x = Tensor::arange(0.0, 12.0, 1.0).reshape(&[2, 2, 3]);
        let column = x.narrow(1, 0, 1).narrow(2, 0, 1).broadcast_to(&[2, 1, 3]); // [0, 6]
        let y = Tensor::cat(&[x.clone(), column], 1);
        assert_eq!(y.shape(), &[2, 3, 3]);
        assert_eq!(
            y.to_vec::<f32>(),
            vec![
                0., 1., 2., 3., 4., 5., 0., 0., 0., 6., 7., 8., 9., 10., 11., 6., 6., 6.
            ]
        );
        // Size-0 pieces are allowed.
        let e = Tensor::cat(&[Tensor::zeros(&[0, 2]), Tensor::ones(&[1, 2])], 0);
        assert_eq!(e.to_vec::<f32>(), vec![1., 1.]);
    }

    #[test]
    fn stack_adds_a_dim() {
        for dtype in [DType::F32, DType::F64, DType::I64] {
            let a = m23(dtype);
            let b = a.add_scalar(6.0);
            let s0 = Tensor::stack(&[a.clone(), b.clone()], 0);
            assert_eq!(s0.shape(), &[2, 2, 3]);
            assert_eq!(
                s0.to_vec::<f64>(),
                (0..12).map(f64::from).collect::<Vec<_>>()
            );
            let s2 = Tensor::stack(&[a.clone(), b.clone()], -1);
            assert_eq!(s2.shape(), &[2, 3, 2]);
            // s2[i, j] = [a[i, j], b[i, j]] = [x, x + 6].
            assert_eq!(&s2.to_vec::<f64>()[..4], &[0., 6., 1., 7.]);
        }
        let s = Tensor::stack(&[Tensor::scalar(1.0), Tensor::scalar(2.0)], 0);
        assert_eq!(s.shape(), &[2]);
    }

    #[test]
    fn split_and_chunk_follow_pytorch_sizes() {
        for dtype in [DType::F32, DType::F64, DType::I64] {
            let x = Tensor::arange(0.0, 10.0, 1.0)
                .reshape(&[5, 2])
                .to_dtype(dtype);
            let parts = x.split(2, 0);
            let sizes: Vec<usize> = parts.iter().map(|p| p.size(0)).collect();
            assert_eq!(sizes, vec![2, 2, 1]);
            assert_eq!(parts[1].to_vec::<f64>(), vec![4., 5., 6., 7.]);
            assert!(parts[0].shares_storage_with(&x));
            assert_eq!(parts[2].dtype(), dtype);
            // chunk: ceil(5/3) = 2 per piece; ceil(5/4) = 2 gives only 3 pieces.
            assert_eq!(x.chunk(3, 0).len(), 3);
            assert_eq!(x.chunk(4, 0).len(), 3);
            assert_eq!(x.chunk(10, 0).len(), 5);
            assert_eq!(x.chunk(1, 0)[0].to_vec::<f64>(), x.to_vec::<f64>());
            // Along the last dim of a transposed view: x.t() is [2, 5], row 0 = 0 2 4 6 8.
            let cols = x.t().split(3, -1);
            assert_eq!(cols[0].to_vec::<f64>(), vec![0., 2., 4., 1., 3., 5.]);
            assert_eq!(cols[1].to_vec::<f64>(), vec![6., 8., 7., 9.]);
        }
        // Split size larger than the dim: one piece.
        assert_eq!(Tensor::zeros(&[3]).split(7, 0).len(), 1);
        // Empty dim: one empty piece for split, `chunks` empty pieces for chunk.
        assert_eq!(Tensor::zeros(&[0, 2]).split(2, 0).len(), 1);
        assert_eq!(Tensor::zeros(&[0, 2]).chunk(3, 0).len(), 3);
    }

    #[test]
    #[should_panic(
        expected = "cat: tensor 2 has shape [2, 4] but tensor 0 has shape [2, 3]; \
                               shapes must match except in dim 0"
    )]
    fn cat_names_the_offending_tensor() {
        let t = Tensor::zeros(&[2, 3]);
        Tensor::cat(
            &[t.clone(), Tensor::zeros(&[1, 3]), Tensor::zeros(&[2, 4])],
            0,
        );
    }

    #[test]
    #[should_panic(expected = "cat: tensor 1 has shape [3] but tensor 0 has shape [2, 3]")]
    fn cat_checks_rank() {
        Tensor::cat(&[Tensor::zeros(&[2, 3]), Tensor::zeros(&[3])], 0);
    }

    #[test]
    #[should_panic(expected = "cat: tensor 1 is f64 [2] but tensor 0 is f32 [2]")]
    fn cat_checks_dtypes() {
        let a = Tensor::zeros(&[2]);
        Tensor::cat(&[a.clone(), a.to_dtype(DType::F64)], 0);
    }

    #[test]
    #[should_panic(expected = "stack: got an empty list of tensors")]
    fn stack_needs_tensors() {
        Tensor::stack(&[], 0);
    }

    #[test]
    #[should_panic(expected = "stack: tensor 1 has shape [3, 2] but tensor 0 has shape [2, 3]")]
    fn stack_needs_equal_shapes() {
        Tensor::stack(&[Tensor::zeros(&[2, 3]), Tensor::zeros(&[3, 2])], 0);
    }

    #[test]
    #[should_panic(
        expected = "stack: dim 3 is out of range for shape [2, 3] (valid dims are -3..=2)"
    )]
    fn stack_checks_dim() {
        Tensor::stack(&[Tensor::zeros(&[2, 3])], 3);
    }

    #[test]
    #[should_panic(expected = "cat: dim 0 is out of range for shape [] (a 0-d tensor has no dims)")]
    fn cat_of_scalars_has_no_dim() {
        Tensor::cat(&[Tensor::scalar(1.0), Tensor::scalar(2.0)], 0);
    }

    #[test]
    #[should_panic(expected = "split: split_size 0 cannot split dim 0 of size 3 (shape [3])")]
    fn split_size_must_be_positive() {
        Tensor::zeros(&[3]).split(0, 0);
    }

    #[test]
    #[should_panic(expected = "chunk: chunks must be at least 1, got 0 (shape [3])")]
    fn chunks_must_be_positive() {
        Tensor::zeros(&[3]).chunk(0, 0);
    }
}
