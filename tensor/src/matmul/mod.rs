//! Matrix multiplication, the hot path of every model: [`Tensor::matmul`] with
//! PyTorch's shape rules, on our own SIMD GEMM (packing, cache blocking, AVX-512 or
//! AVX2+FMA micro-kernels).
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
//! the 2-D part, `(ptr, row stride, column stride)`, and ours accepts *any* strides,
//! because it first copies ("packs") small panels of `A` and `B` into cache-sized
//! buffers in the order its SIMD micro-kernel wants. So:
//!
//! ```text
//! B = w.t(), w a row-major [n, k]: strides [1, k], not [n, 1] → packed as is, no copy
//! a batch dim of size 1 broadcast to 5: stride 0          → one matrix read 5 times
//! C: a fresh row-major [.., m, n] buffer: strides [.., n, 1]
//! ```
//!
//! The gemm itself, `C = A · B` for one pair of matrices, is ours, written to be read:
//!
//! ```text
//! mod.rs           shapes, batching, and the choice of kernel (this file)
//! blocking.rs      the five-loop GEMM nest, cache block sizes, threads  ← start here
//! pack.rs          copying blocks of A and B into the kernel's order
//! kernel.rs        loops 2 and 1 and the micro-kernel, for any instruction set
//! kernel_avx512.rs AVX-512F: 32 registers × 16 f32 (tile 12 × 32 f32, 12 × 16 f64)
//! kernel_avx2.rs   AVX2+FMA: 16 registers × 8 f32 (tile 6 × 16 f32, 6 × 8 f64)
//! fallback.rs      matrixmultiply, for CPUs with neither
//! gemv.rs          one row times a matrix (m = 1, a decoding step), without packing
//! ```
//!
//! Three tiers ([`Tier`]), picked once per matmul at run time
//! (`is_x86_feature_detected!`): AVX-512F → AVX2+FMA → `matrixmultiply`, which
//! follows the same plan with portable block sizes. Our two tiers share everything
//! but the micro-kernel's instructions and tile shape. [`force_tier`] selects a
//! tier by hand, for tests (every tier is checked against a naive loop) and
//! comparisons.
//!
//! Parallelism (rayon, one pool): one large product (≥ [`SPLIT_FLOPS`]) spreads its
//! blocks of C over the threads; a batch of smaller products (≥ [`BATCH_FLOPS`] in
//! all) runs one task per product, each on one thread.
//!
//! Read next: [`blocking`] for how the gemm works, [`crate::display`] to print the
//! result, or `benches/matmul.rs` and `BENCHMARKS.md` for speed.

#[cfg(target_arch = "x86_64")]
#[macro_use]
mod kernel;
#[cfg(target_arch = "x86_64")]
pub mod blocking;
mod fallback;
mod gemv;
#[cfg(target_arch = "x86_64")]
mod kernel_avx2;
#[cfg(target_arch = "x86_64")]
mod kernel_avx512;
#[cfg(target_arch = "x86_64")]
mod pack;
#[cfg(test)]
mod tests;

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, Ordering};

use ndarray::{ArcArray, ArrayView2, ArrayViewD, ArrayViewMut2, Axis, Ix2, IxDyn};
use rayon::prelude::*;

use crate::dtype::{DType, Float, Storage};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::shape::numel;
use crate::tensor::{Tensor, check_float, check_same_dtype};

/// Flops (`2·m·k·n`) from which one product spreads its blocks of C over the rayon
/// threads.
///
/// Measured with our kernel on the 2-core AMD EPYC VM (AVX2), quiet, 2026-12-07
/// (`MATMUL_CASES=64,128,256 cargo bench --bench matmul -- table`, two threads
/// against one): 128³ (4.2 MFLOP) split runs 1.60× faster (31 → 51 GFLOP/s, MKL
/// reaches 64), 256³ 1.83×; at the earlier threshold, 2²³ (set with the
/// `matrixmultiply` path, where 128³ gained nothing), 128³ ran on one thread. 64³
/// (0.5 MFLOP) stays on one thread: the two halves cost as much as the whole.
pub const SPLIT_FLOPS: usize = 1 << 21;

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
fn plan(lhs: &[usize], rhs: &[usize]) -> Result<Plan, Error> {
    let fail = |problem: String, hint: &str| {
        Err(Error::new(
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
    /// # use ferrograd::tensor::Tensor;
    /// let e = Tensor::zeros(&[32, 64]).try_matmul(&Tensor::zeros(&[65, 10])).unwrap_err();
    /// assert!(e.to_string().starts_with(
    ///     "matmul: cannot multiply [32, 64] by [65, 10]: inner dimensions 64 and 65 differ"));
    /// ```
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor, Error> {
        check_same_dtype("matmul", self, other)?;
        check_float("matmul", self)?;
        let plan = plan(self.shape(), other.shape())?;
        Ok(match self.dtype() {
            DType::F32 => Storage::F32(matmul_arrays(self.array(), other.array(), &plan)).into(),
            DType::F64 => Storage::F64(matmul_arrays(self.array(), other.array(), &plan)).into(),
            _ => unreachable!("the dtype was checked to be a float above"),
        })
    }
}

/// The batched product of `a` and `b` following `plan` (shapes already checked).
fn matmul_arrays<T: Scalar>(
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
    // 2. One row-major output, seen as [batch items, m, n]: a dead tensor's buffer from
    //    `crate::pool` if one of this size is free, else fresh. It is left
    //    uninitialised: gemm overwrites every element (beta = 0), and zero-filling it
    //    first would cost an extra pass over memory (~5% of a 2048×256×1024 product).
    let count = numel(&plan.batch);
    let mut out = crate::pool::uninit::<T, _>((count, m, n));
    let flops = 2 * m * k * n;
    let tier = tier();
    let threads = rayon::current_num_threads();
    let bad = "internal error: matmul shapes were checked; this is a bug";
    if plan.batch.is_empty() {
        // 3a. One product (no batch dims, the common case): the two matrices as they
        //     are. At 32³ the whole product takes ~1 µs, so the broadcast shapes of
        //     3b, built on the heap, would cost a few percent for nothing.
        let a = a.into_dimensionality::<Ix2>().expect(bad);
        let b = b.into_dimensionality::<Ix2>().expect(bad);
        let threads = if flops >= SPLIT_FLOPS { threads } else { 1 };
        gemm(tier, a, b, out.index_axis_mut(Axis(0), 0), threads);
    } else {
        // 3b. Broadcast both to the full batch shape: repeated dims get stride 0.
        let full = |rows, cols| IxDyn(&[&plan.batch[..], &[rows, cols]].concat());
        let a = a.broadcast(full(m, k)).expect(bad);
        let b = b.broadcast(full(k, n)).expect(bad);
        if threads > 1 && flops >= SPLIT_FLOPS {
            // Big products: each one split across the threads, one after the other.
            for (i, c) in out.outer_iter_mut().enumerate() {
                gemm(tier, matrix_at(&a, i), matrix_at(&b, i), c, threads);
            }
        } else if threads > 1 && count >= 2 && flops * count >= BATCH_FLOPS {
            // Many smaller products: one rayon task per batch item.
            out.axis_iter_mut(Axis(0))
                .into_par_iter()
                .enumerate()
                .for_each(|(i, c)| gemm(tier, matrix_at(&a, i), matrix_at(&b, i), c, 1));
        } else {
            for (i, c) in out.outer_iter_mut().enumerate() {
                gemm(tier, matrix_at(&a, i), matrix_at(&b, i), c, 1);
            }
        }
    }
    // SAFETY: 3a or the loops of 3b gave every batch item's [m, n] matrix to `gemm`, which
    // writes every element of its `c` (both kernels, also when k = 0: see `gemm`).
    let out = unsafe { out.assume_init() };
    let out = if plan.out_shape[..] == [m, n] {
        // [1, m, n] → [m, n]: dropping the axis is much cheaper than a general
        // reshape, which checks the layout of every dim (~4% of a 32³ product).
        out.index_axis_move(Axis(0), 0).into_dyn()
    } else {
        out.into_shape_with_order(IxDyn(&plan.out_shape))
            .expect(bad)
    };
    out.into_shared()
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

/// The element types with a gemm, f32 and f64: a [`Float`] with, on x86-64, the
/// SIMD operations of every tier's kernel and packing buffers.
#[cfg(target_arch = "x86_64")]
pub(crate) trait Scalar:
    Float + kernel::Simd<kernel_avx512::Avx512> + kernel::Simd<kernel_avx2::Avx2Fma> + pack::Packable
{
}
/// The element types with a gemm, f32 and f64.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) trait Scalar: Float {}
impl Scalar for f32 {}
impl Scalar for f64 {}

/// The gemm kernels, fastest first. Each runs only on a CPU with its instruction set;
/// [`tier`] says which one the next matmul uses, [`force_tier`] picks one by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// Our kernel on AVX-512F (x86-64): 32 registers of 16 f32 lanes.
    Avx512,
    /// Our kernel on AVX2 + FMA (x86-64): 16 registers of 8 f32 lanes.
    Avx2,
    /// `matrixmultiply`, portable (it picks its own SIMD kernel at run time).
    Fallback,
}

impl Tier {
    /// All tiers, fastest first.
    pub const ALL: [Tier; 3] = [Tier::Avx512, Tier::Avx2, Tier::Fallback];

    /// Whether this CPU can run the tier.
    pub fn is_available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use kernel::Isa;
            match self {
                Tier::Avx512 => kernel_avx512::Avx512::detect().is_some(),
                Tier::Avx2 => kernel_avx2::Avx2Fma::detect().is_some(),
                Tier::Fallback => true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Tier::Fallback
        }
    }
}

/// Set by [`force_tier`]: 0 for none, else 1 + the tier's index in [`Tier::ALL`].
static FORCED: AtomicU8 = AtomicU8::new(0);

/// Make every following matmul in this process use `tier` (or, if this CPU lacks
/// it, the fastest available tier below it), or with `None` (the default) the
/// fastest tier the CPU supports. For tests of every kernel and for speed
/// comparisons; results agree to rounding whichever tier runs.
pub fn force_tier(tier: Option<Tier>) {
    let code = tier.map_or(0, |t| {
        1 + Tier::ALL.iter().position(|&x| x == t).unwrap_or(0)
    });
    FORCED.store(code as u8, Ordering::Relaxed);
}

/// The tier the next matmul will use (see [`force_tier`]).
pub fn tier() -> Tier {
    let start = match FORCED.load(Ordering::Relaxed) {
        0 => 0,
        code => usize::from(code) - 1,
    };
    Tier::ALL[start..]
        .iter()
        .copied()
        .find(|t| t.is_available())
        .unwrap_or(Tier::Fallback)
}

/// f32 and f64, the element types with a GEMM: one product of 2-d views written into
/// a view, for kernels that multiply pieces of their own buffers, one image at a time
/// (the convolution: `tensor::conv::lowered` forward, autograd's `ops/conv2d` backward).
pub trait GemmElement: Float {
    /// `c = a · b` for one matrix each (any strides; every element of `c` is
    /// overwritten) on `threads` rayon threads (1: the calling thread only), with the
    /// fastest kernel this CPU has ([`tier`]).
    ///
    /// # Panics
    /// If the shapes do not fit: `a: [m, k]`, `b: [k, n]`, `c: [m, n]`.
    ///
    /// # Examples
    /// ```
    /// use ndarray::{Array2, array};
    /// use ferrograd::tensor::matmul::GemmElement;
    /// let (a, b) = (array![[1.0f32, 2.0], [3.0, 4.0]], array![[5.0f32], [6.0]]);
    /// let mut c = Array2::zeros((2, 1));
    /// f32::gemm_into(a.view(), b.view(), c.view_mut(), 1);
    /// assert_eq!(c, array![[17.0], [39.0]]);
    /// ```
    fn gemm_into(a: ArrayView2<Self>, b: ArrayView2<Self>, c: ArrayViewMut2<Self>, threads: usize);
}

impl<T: Scalar> GemmElement for T {
    #[track_caller]
    fn gemm_into(a: ArrayView2<T>, b: ArrayView2<T>, mut c: ArrayViewMut2<T>, threads: usize) {
        let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
        if b.nrows() != k || c.dim() != (m, n) {
            Error::new(
                "gemm_into",
                ErrorKind::Shape,
                format!(
                    "cannot write [{m}, {k}] · {:?} into {:?}",
                    b.shape(),
                    c.shape()
                ),
            )
            .raise();
        }
        let raw = c.raw_view_mut().cast::<MaybeUninit<T>>();
        // SAFETY: the view of `c`'s elements as `MaybeUninit<T>` (same layout) is used
        // while `c` is borrowed here, and gemm writes only initialised `T` values.
        gemm(tier(), a, b, unsafe { raw.deref_into_view_mut() }, threads);
    }
}

/// `c = a · b` for one matrix each, on `threads` rayon threads (1: the calling thread
/// only), with the kernel of `tier` (which [`tier`] checked this CPU has). Every
/// element of `c` is written (an empty sum, k = 0, gives 0), so it may start
/// uninitialised. The convolution reaches it through [`GemmElement::gemm_into`].
pub(crate) fn gemm<T: Scalar>(
    tier: Tier,
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    mut c: ArrayViewMut2<MaybeUninit<T>>,
    threads: usize,
) {
    // One row (a decoding step): a vector–matrix product needs no packing (gemv.rs).
    if a.nrows() == 1 && gemv::row_times_matrix(a.row(0), b, c.row_mut(0)) {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        use kernel::Isa;
        match tier {
            Tier::Avx512 => {
                if let Some(cpu) = kernel_avx512::Avx512::detect() {
                    return blocking::gemm(cpu, a, b, c, threads);
                }
            }
            Tier::Avx2 => {
                if let Some(cpu) = kernel_avx2::Avx2Fma::detect() {
                    return blocking::gemm(cpu, a, b, c, threads);
                }
            }
            Tier::Fallback => {}
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = tier; // only the fallback exists here
    fallback::gemm(a, b, c, threads);
}
