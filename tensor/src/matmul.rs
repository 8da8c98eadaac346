//! Matrix multiplication, the hot path of every model: [`Tensor::matmul`] with
//! PyTorch's shape rules, on `matrixmultiply`'s SIMD kernels (`sgemm` / `dgemm`).
//!
//! ```text
//! C[i, j] = Σ_p A[i, p] · B[p, j]          A: [m, k]   B: [k, n]   C: [m, n]
//!
//! shape rules (torch.matmul):
//!   [k]       · [k]        → []            dot product
//!   [m, k]    · [k, n]     → [m, n]
//!   [k]       · [k, n]     → [n]           lhs read as [1, k], the 1 removed after
//!   [m, k]    · [k]        → [m]           rhs read as [k, 1], the 1 removed after
//!   [.., m, k] · [.., k, n] → [.., m, n]    batch dims (all but the last two) broadcast:
//!   [2, 1, 3, 4] · [5, 4, 6] → [2, 5, 3, 6]
//! ```
//!
//! How the data is walked. An n-d array is a pointer plus one stride per dim: element
//! `[b, i, p]` of `A` lives at `ptr + b·s_b + i·s_i + p·s_p`. A gemm kernel needs only
//! the 2-D part, `(ptr, row stride, column stride)`, and `matrixmultiply` accepts *any*
//! strides for its inputs, because it first copies ("packs") small panels of `A` and `B`
//! into cache-sized buffers in the order its SIMD micro-kernel wants. So:
//!
//! ```text
//! B = w.t(), w a row-major [n, k]: strides [1, k], not [n, 1] → passed as is, no copy
//! a batch dim of size 1 broadcast to 5: stride 0          → one matrix read 5 times
//! C: a fresh row-major [.., m, n] buffer: strides [.., n, 1]
//! ```
//!
//! Parallelism (rayon; `matrixmultiply`'s own threading feature stays off, so there is
//! one pool): one large product (≥ [`SPLIT_FLOPS`]) is cut into one block of output
//! rows (or columns, when the output is wide) per thread, each block a smaller gemm;
//! a batch of smaller products (≥ [`BATCH_FLOPS`] in all) runs one task per product.
//!
//! Read next: [`crate::display`] to print the result, or `benches/matmul.rs` for speed.

use std::any::TypeId;
use std::mem::MaybeUninit;

use ndarray::{ArcArray, Array3, ArrayView2, ArrayViewD, ArrayViewMut2, Axis, Ix2, IxDyn};
use rayon::prelude::*;

use crate::dtype::{DType, Element};
use crate::error::{ErrorKind, OrRaise, ShapeError};
use crate::shape::numel;
use crate::tensor::{Storage, Tensor, check_same_dtype};

/// Flops (`2·m·k·n`) from which one product is split into row (or column) blocks,
/// one per rayon thread.
///
/// Measured on the 2-core dev machine (`cargo bench --bench matmul -- table` and
/// direct timings): splitting 112³ (2.8 MFLOP) or 128³ (4.2 MFLOP) runs no faster than
/// one thread, 160³ (8.2 MFLOP) runs 1.5× faster and 256³ 1.8×.
pub const SPLIT_FLOPS: usize = 1 << 23;

/// Total flops of a batch of smaller products from which the products are spread over
/// the rayon threads, one task per product: 4 products of 64³ (2.1 MFLOP in all) ran
/// 1.1× faster on two threads, 8 of them 1.2×; 16 of 32³ (1 MFLOP) no faster.
pub const BATCH_FLOPS: usize = 1 << 21;

/// The shapes of one matmul, worked out before touching data.
#[derive(Debug, PartialEq)]
struct Plan {
    /// Broadcast batch shape (empty for plain 2-D).
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
    /// `batch + [m, n]` with the 1-D operands' dims removed.
    out_shape: Vec<usize>,
}

/// Check the shapes of `lhs · rhs` and work out the plan (see the module doc).
fn plan(lhs: &[usize], rhs: &[usize]) -> Result<Plan, ShapeError> {
    let fail = |problem: String, hint: &str| {
        Err(ShapeError::new(
            "matmul",
            ErrorKind::Shape,
            format!("cannot multiply {lhs:?} by {rhs:?}: {problem}"),
        )
        .with_hint(hint))
    };
    if lhs.is_empty() || rhs.is_empty() {
        return fail(
            "both operands need at least 1 dim".into(),
            "to scale by a 0-d tensor use mul (`*`)",
        );
    }
    // A 1-D lhs is a row [1, k]; a 1-D rhs is a column [k, 1].
    let (lhs_batch, m, k) = match lhs {
        [k] => (&[][..], 1, *k),
        [batch @ .., m, k] => (batch, *m, *k),
        [] => unreachable!("checked above"),
    };
    let (rhs_batch, k2, n) = match rhs {
        [k] => (&[][..], *k, 1),
        [batch @ .., k, n] => (batch, *k, *n),
        [] => unreachable!("checked above"),
    };
    if k != k2 {
        return fail(
            format!("inner dimensions {k} and {k2} differ"),
            "the lhs's last dim must equal the rhs's second-to-last; transpose one with .t()?",
        );
    }
    let Ok(batch) = crate::shape::broadcast_shapes("matmul", lhs_batch, rhs_batch) else {
        return fail(
            format!("batch dims {lhs_batch:?} and {rhs_batch:?} cannot be broadcast"),
            "batch dims (all but the last two) must be equal or 1, aligned from the right",
        );
    };
    let mut out_shape = batch.clone();
    if lhs.len() > 1 {
        out_shape.push(m);
    }
    if rhs.len() > 1 {
        out_shape.push(n);
    }
    Ok(Plan {
        batch,
        m,
        k,
        n,
        out_shape,
    })
}

impl Tensor {
    /// Matrix product with PyTorch's rules: dot, matrix·matrix, vector·matrix,
    /// matrix·vector, and batched products whose batch dims broadcast.
    ///
    /// Transposed or broadcast operands are read through their strides, never copied.
    /// The result is a fresh contiguous tensor of the operands' dtype.
    ///
    /// # Shapes
    /// ```text
    /// [k]·[k] → []   [m, k]·[k, n] → [m, n]   [k]·[k, n] → [n]   [m, k]·[k] → [m]
    /// [B.., m, k]·[B'.., k, n] → [broadcast(B, B').., m, n]
    /// ```
    ///
    /// # Panics
    /// If an operand is 0-d, the inner dimensions differ, the batch dims do not
    /// broadcast, or the dtypes differ. [`Tensor::try_matmul`] returns the error instead.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let b = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    /// // [[1+3, 2+3], [4+6, 5+6]]
    /// assert_eq!(a.matmul(&b).to_vec::<f32>(), vec![4.0, 5.0, 10.0, 11.0]);
    /// let v = Tensor::ones(&[3]);
    /// assert_eq!(a.matmul(&v).to_vec::<f32>(), vec![6.0, 15.0]); // row sums, shape [2]
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        self.try_matmul(other).or_raise()
    }

    /// [`Tensor::matmul`], returning an error instead of panicking.
    ///
    /// # Errors
    /// A [`ErrorKind::DType`] error if the dtypes differ; a [`ErrorKind::Shape`] error
    /// naming both shapes if an operand is 0-d, the inner dimensions differ or the batch
    /// dims do not broadcast.
    ///
    /// ```
    /// # use tensor::Tensor;
    /// let e = Tensor::zeros(&[32, 64]).try_matmul(&Tensor::zeros(&[65, 10])).unwrap_err();
    /// assert!(e.to_string().starts_with(
    ///     "matmul: cannot multiply [32, 64] by [65, 10]: inner dimensions 64 and 65 differ"));
    /// ```
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor, ShapeError> {
        check_same_dtype("matmul", self, other)?;
        let plan = plan(self.shape(), other.shape())?;
        Ok(match self.dtype() {
            DType::F32 => Storage::F32(matmul_arrays(self.array(), other.array(), &plan)).into(),
            DType::F64 => Storage::F64(matmul_arrays(self.array(), other.array(), &plan)).into(),
        })
    }
}

/// The batched product of `a` and `b` following `plan` (shapes already checked).
fn matmul_arrays<T: Element>(
    a: &ArcArray<T, IxDyn>,
    b: &ArcArray<T, IxDyn>,
    plan: &Plan,
) -> ArcArray<T, IxDyn> {
    let Plan { m, k, n, .. } = *plan;
    // 1. Lift 1-D operands to matrices: [k] → [1, k] (lhs) and [k] → [k, 1] (rhs).
    //    Inserting a size-1 axis only adds a stride, the data is untouched.
    let mut a = a.view();
    if a.ndim() == 1 {
        a.insert_axis_inplace(Axis(0));
    }
    let mut b = b.view();
    if b.ndim() == 1 {
        b.insert_axis_inplace(Axis(1));
    }
    // 2. Broadcast both to the full batch shape: repeated dims get stride 0.
    let full = |rows, cols| IxDyn(&[&plan.batch[..], &[rows, cols]].concat());
    let bad = "internal error: matmul shapes were checked; this is a bug";
    let a = a.broadcast(full(m, k)).expect(bad);
    let b = b.broadcast(full(k, n)).expect(bad);
    // 3. One fresh row-major output, seen as [batch items, m, n]. It is left
    //    uninitialised: gemm overwrites every element (beta = 0), and zero-filling it
    //    first would cost an extra pass over memory (~5% of a 2048×256×1024 product).
    let count = numel(&plan.batch);
    let mut out = Array3::<T>::uninit((count, m, n));
    let flops = 2 * m * k * n;
    let threads = rayon::current_num_threads();
    if threads > 1 && flops >= SPLIT_FLOPS {
        // Big products: each one split across the threads, one after the other.
        for (i, c) in out.outer_iter_mut().enumerate() {
            split_gemm(matrix_at(&a, i), matrix_at(&b, i), c, threads);
        }
    } else if threads > 1 && count >= 2 && flops * count >= BATCH_FLOPS {
        // Many smaller products: one rayon task per batch item.
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(i, c)| gemm(matrix_at(&a, i), matrix_at(&b, i), c));
    } else {
        for (i, c) in out.outer_iter_mut().enumerate() {
            gemm(matrix_at(&a, i), matrix_at(&b, i), c);
        }
    }
    // SAFETY: the loops above gave every batch item's [m, n] matrix to `gemm` (whole, or
    // as row/column blocks that tile it), and `gemm` writes every element of its `c`:
    // with beta = 0 matrixmultiply overwrites all of C, also when k = 0.
    let out = unsafe { out.assume_init() };
    out.into_shape_with_order(IxDyn(&plan.out_shape))
        .expect(bad)
        .into_shared()
}

/// The `index`-th matrix of a `[batch.., rows, cols]` view, counting batch items in
/// row-major order (the last batch dim fastest), as a 2-D view: no copy.
fn matrix_at<'a, T>(x: &ArrayViewD<'a, T>, mut index: usize) -> ArrayView2<'a, T> {
    let mut view = x.clone();
    // Peel batch dims off from the innermost: earlier axis numbers stay valid.
    for axis in (0..x.ndim() - 2).rev() {
        let len = x.shape()[axis];
        view = view.index_axis_move(Axis(axis), index % len);
        index /= len;
    }
    view.into_dimensionality::<Ix2>()
        .expect("internal error: two dims remain after the batch dims; this is a bug")
}

/// One product `c = a · b` cut into one block of output rows per thread (or columns,
/// if the output is wider than tall), each block an independent gemm:
///
/// ```text
/// [ a₀ ]         [ a₀·b ]            a · [ b₀ b₁ ] = [ a·b₀  a·b₁ ]
/// [ a₁ ] · b  =  [ a₁·b ]
/// ```
fn split_gemm<T: Element>(
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    mut c: ArrayViewMut2<MaybeUninit<T>>,
    threads: usize,
) {
    // Round blocks up to a multiple of 8 so the micro-kernel's tiles stay full.
    let block = |len: usize| len.div_ceil(threads).div_ceil(8).max(1) * 8;
    let (m, n) = c.dim();
    if m >= n {
        let rows = block(m);
        c.axis_chunks_iter_mut(Axis(0), rows)
            .into_par_iter()
            .zip(a.axis_chunks_iter(Axis(0), rows))
            .for_each(|(c, a)| gemm(a, b, c));
    } else {
        let cols = block(n);
        c.axis_chunks_iter_mut(Axis(1), cols)
            .into_par_iter()
            .zip(b.axis_chunks_iter(Axis(1), cols))
            .for_each(|(c, b)| gemm(a, b, c));
    }
}

/// `c = a · b` for one matrix each, on `matrixmultiply`; every element of `c` is
/// written, so it may start uninitialised. Every view is passed as `(pointer, row
/// stride, column stride)`, so any layout (transposed, broadcast with stride 0,
/// sliced) is read in place.
fn gemm<T: Element>(a: ArrayView2<T>, b: ArrayView2<T>, mut c: ArrayViewMut2<MaybeUninit<T>>) {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    // These checks make the unsafe call below sound: keep them as real asserts.
    assert!(
        k == k2 && c.dim() == (m, n),
        "internal error: gemm shapes; this is a bug"
    );
    let [rsa, csa] = [a.strides()[0], a.strides()[1]];
    let [rsb, csb] = [b.strides()[0], b.strides()[1]];
    let [rsc, csc] = [c.strides()[0], c.strides()[1]];
    let t = TypeId::of::<T>();
    // SAFETY: each view guarantees that `ptr + i·row_stride + j·col_stride` is a valid
    // element for every i < rows, j < cols, which is exactly what `sgemm`/`dgemm` read
    // (a: m×k, b: k×n) and write (c: m×n); the shapes agree (asserted above). `c` is a
    // mutable view of a buffer made by `matmul_arrays`, so it aliases neither input, and
    // its strides come from a row-major array, so no two of its elements overlap (the
    // kernel's only requirement on C; A and B may use any stride, including 0).
    // beta = 0 means C is overwritten, never read, so uninitialised C is fine. The
    // pointer casts are to T itself (MaybeUninit<T> has T's layout): the TypeId test
    // proves T is f32 (resp. f64).
    unsafe {
        if t == TypeId::of::<f32>() {
            let (a, b, c) = (a.as_ptr().cast(), b.as_ptr().cast(), c.as_mut_ptr().cast());
            matrixmultiply::sgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, csc);
        } else if t == TypeId::of::<f64>() {
            let (a, b, c) = (a.as_ptr().cast(), b.as_ptr().cast(), c.as_mut_ptr().cast());
            matrixmultiply::dgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, csc);
        } else {
            unreachable!("internal error: Element is only f32 and f64; this is a bug");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;

    /// `[rows, cols]` filled with 1, 2, 3, ... then stored transposed: a view whose
    /// strides are [1, rows], holding the same matrix.
    fn transposed(rows: usize, cols: usize) -> Tensor {
        let data: Vec<f32> = (1..=rows * cols).map(|x| x as f32).collect();
        let stored = ArrayD::from_shape_vec(IxDyn(&[cols, rows]), data).unwrap();
        let t = stored.t().to_owned(); // row-major copy of the transpose
        let view = Tensor::from_array(stored.reversed_axes()); // same values, strided
        assert_eq!(view.to_vec::<f32>(), t.iter().copied().collect::<Vec<_>>());
        view
    }

    #[test]
    fn two_by_two_known_values_in_both_dtypes() {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]]
        let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let b = Tensor::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[2, 2]);
        let c = a.matmul(&b);
        assert_eq!(c.shape(), &[2, 2]);
        assert_eq!(c.to_vec::<f32>(), vec![19.0, 22.0, 43.0, 50.0]);
        let c64 = a.to_dtype(DType::F64).matmul(&b.to_dtype(DType::F64));
        assert_eq!(c64.dtype(), DType::F64);
        assert_eq!(c64.to_vec::<f64>(), vec![19.0, 22.0, 43.0, 50.0]);
    }

    #[test]
    fn identity_leaves_a_matrix_unchanged() {
        // 16×16 identity times arange: exact, as every sum has one nonzero term.
        let x = Tensor::arange(0.0, 256.0, 1.0);
        let x = Tensor::from_vec(x.to_vec(), &[16, 16]);
        assert_eq!(
            Tensor::eye(16).matmul(&x).to_vec::<f32>(),
            x.to_vec::<f32>()
        );
        let x64 = x.to_dtype(DType::F64);
        let eye64 = Tensor::eye(16).to_dtype(DType::F64);
        assert_eq!(x64.matmul(&eye64).to_vec::<f64>(), x64.to_vec::<f64>());
    }

    #[test]
    fn vectors_follow_pytorch() {
        let v = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
        // dot: 1·1 + 2·2 + 3·3 = 14, a 0-d tensor
        let dot = v.matmul(&v);
        assert_eq!(dot.shape(), &[] as &[usize]);
        assert_eq!(dot.item(), 14.0);
        let m = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
        // [1, 2, 3] · m = [1 + 3, 2 + 3]: shape [2], the prepended 1 removed
        assert_eq!(v.matmul(&m).shape(), &[2]);
        assert_eq!(v.matmul(&m).to_vec::<f32>(), vec![4.0, 5.0]);
        // m^T as [2, 3] · v = [1 + 3, 2 + 3]: shape [2], the appended 1 removed
        let mt = Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0], &[2, 3]);
        assert_eq!(mt.matmul(&v).to_vec::<f32>(), vec![4.0, 5.0]);
        // a batch of matrices times a vector: [2, 2, 3] · [3] → [2, 2]
        let stack = Tensor::from_vec([mt.to_vec::<f32>(), mt.to_vec()].concat(), &[2, 2, 3]);
        assert_eq!(stack.matmul(&v).shape(), &[2, 2]);
        // a vector times a batch: [3] · [2, 3, 2] → [2, 2]
        let mstack = Tensor::from_vec([m.to_vec::<f32>(), m.to_vec()].concat(), &[2, 3, 2]);
        assert_eq!(v.matmul(&mstack).to_vec::<f32>(), vec![4.0, 5.0, 4.0, 5.0]);
    }

    #[test]
    fn batch_dims_broadcast() {
        // [2, 1, 3, 4] · [5, 4, 6] → [2, 5, 3, 6]; out[i, j] = a[i, 0] · b[j]
        let a = Tensor::arange(0.0, 24.0, 1.0);
        let a = Tensor::from_vec(a.to_vec(), &[2, 1, 3, 4]);
        let b = Tensor::arange(0.0, 120.0, 1.0);
        let b = Tensor::from_vec(b.to_vec(), &[5, 4, 6]);
        let c = a.matmul(&b);
        assert_eq!(c.shape(), &[2, 5, 3, 6]);
        assert!(c.is_contiguous());
        // c[1, 4, 2, 5] = Σ_p a[1, 0, 2, p] · b[4, p, 5], with a[1,0,2,p] = 20 + p and
        // b[4, p, 5] = 96 + 6p + 5: Σ (20+p)(101+6p) for p = 0..4
        // = 2020 + 2247 + 2486 + 2737 = 9490
        let flat = c.to_vec::<f32>();
        assert_eq!(flat[((5 + 4) * 3 + 2) * 6 + 5], 9490.0);
    }

    #[test]
    fn transposed_operands_are_read_in_place() {
        let bt = transposed(4, 3); // values [[1, 5, 9], [2, 6, 10], ...] as a view
        assert!(!bt.is_contiguous());
        let a = Tensor::ones(&[2, 4]);
        // column sums of bt: [1+2+3+4, 5+..+8, 9+..+12]
        let c = a.matmul(&bt);
        assert_eq!(c.to_vec::<f32>(), vec![10.0, 26.0, 42.0, 10.0, 26.0, 42.0]);
        assert_eq!(
            c.to_vec::<f32>(),
            a.matmul(&bt.contiguous()).to_vec::<f32>()
        );
        // a transposed lhs
        let at = transposed(16, 9);
        let want = at.contiguous().matmul(&Tensor::ones(&[9, 5]));
        assert_eq!(
            at.matmul(&Tensor::ones(&[9, 5])).to_vec::<f32>(),
            want.to_vec::<f32>()
        );
    }

    #[test]
    fn empty_dims_give_empty_or_zero_results() {
        assert_eq!(
            Tensor::zeros(&[0, 3])
                .matmul(&Tensor::ones(&[3, 2]))
                .shape(),
            &[0, 2]
        );
        // k = 0: an empty sum is 0
        let c = Tensor::ones(&[2, 0]).matmul(&Tensor::ones(&[0, 3]));
        assert_eq!(c.to_vec::<f32>(), vec![0.0; 6]);
        let c = Tensor::ones(&[0, 2, 3]).matmul(&Tensor::ones(&[3, 4]));
        assert_eq!(c.shape(), &[0, 2, 4]);
    }

    #[test]
    fn plan_removes_the_dims_of_vectors() {
        let p = plan(&[7], &[3, 7, 2]).unwrap();
        assert_eq!(
            (p.batch, p.m, p.k, p.n, p.out_shape),
            (vec![3], 1, 7, 2, vec![3, 2])
        );
        let p = plan(&[2, 1, 3, 4], &[5, 4, 6]).unwrap();
        assert_eq!(p.out_shape, vec![2, 5, 3, 6]);
    }

    #[test]
    #[should_panic(
        expected = "matmul: cannot multiply [32, 64] by [65, 10]: inner dimensions 64 and 65 differ"
    )]
    fn inner_dimension_mismatch_is_named() {
        Tensor::zeros(&[32, 64]).matmul(&Tensor::zeros(&[65, 10]));
    }

    #[test]
    #[should_panic(
        expected = "matmul: cannot multiply [2, 3, 4] by [5, 4, 6]: batch dims [2] and [5] cannot be broadcast"
    )]
    fn batch_mismatch_is_named() {
        Tensor::zeros(&[2, 3, 4]).matmul(&Tensor::zeros(&[5, 4, 6]));
    }

    #[test]
    #[should_panic(
        expected = "matmul: cannot multiply [] by [3]: both operands need at least 1 dim"
    )]
    fn scalars_are_rejected() {
        Tensor::scalar(2.0).matmul(&Tensor::ones(&[3]));
    }

    #[test]
    #[should_panic(expected = "matmul: operands have different dtypes: f32 [2, 3] and f64 [3, 2]")]
    fn dtypes_must_match() {
        Tensor::zeros(&[2, 3]).matmul(&Tensor::zeros(&[3, 2]).to_dtype(DType::F64));
    }

    #[test]
    fn try_matmul_returns_the_error() {
        let e = Tensor::zeros(&[3])
            .try_matmul(&Tensor::zeros(&[4]))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Shape);
        assert!(
            e.to_string()
                .contains("[3] by [4]: inner dimensions 3 and 4 differ"),
            "{e}"
        );
    }
}
