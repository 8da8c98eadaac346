//! Shared by the matmul test files: operands in every layout, the naive reference
//! loop (f64 accumulation) and the comparison on every gemm tier. (A folder with `mod.rs`, so cargo
//! does not build it as a test of its own.)

use ndarray::{ArrayD, IxDyn, s};
use proptest::prelude::*;
use std::sync::Mutex;

use tensor::matmul::{self, Tier};
use tensor::{DType, Tensor};

/// A tensor of `shape` with values in [-1, 1) from a small LCG (reproducible, cheap),
/// stored transposed in its last two dims when `transposed` (a non-contiguous view).
pub fn operand(shape: &[usize], seed: u64, transposed: bool, dtype: DType) -> Tensor {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let n: usize = shape.iter().product();
    let data: Vec<f64> = (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect();
    let r = shape.len();
    let t = if transposed && r >= 2 {
        // Store [.., cols, rows], then swap the last two axes back: same shape, strides
        // [.., 1, rows] in the last two dims.
        let mut stored = shape.to_vec();
        stored.swap(r - 2, r - 1);
        let mut axes: Vec<usize> = (0..r).collect();
        axes.swap(r - 2, r - 1);
        let a = ArrayD::from_shape_vec(IxDyn(&stored), data)
            .unwrap()
            .permuted_axes(axes);
        let t = Tensor::from_array(a);
        assert!(t.is_contiguous() == (shape[r - 2] <= 1 || shape[r - 1] <= 1));
        t
    } else {
        Tensor::from_array(ArrayD::from_shape_vec(IxDyn(shape), data).unwrap())
    };
    t.to_dtype(dtype)
}

/// The naive reference: read both operands in logical order and loop.
pub fn naive(lhs: &Tensor, rhs: &Tensor) -> (Vec<usize>, Vec<f64>) {
    let (ls, rs) = (lhs.shape().to_vec(), rhs.shape().to_vec());
    let a = ArrayD::from_shape_vec(IxDyn(&ls), lhs.to_vec::<f64>()).unwrap();
    let b = ArrayD::from_shape_vec(IxDyn(&rs), rhs.to_vec::<f64>()).unwrap();
    // Lift vectors: [k] → [1, k] (lhs), [k] → [k, 1] (rhs).
    let a = if ls.len() == 1 {
        a.insert_axis(ndarray::Axis(0))
    } else {
        a
    };
    let b = if rs.len() == 1 {
        b.insert_axis(ndarray::Axis(1))
    } else {
        b
    };
    let (la, lb) = (a.ndim() - 2, b.ndim() - 2);
    let (m, k, n) = (a.shape()[la], a.shape()[la + 1], b.shape()[lb + 1]);
    let rank = la.max(lb);
    let batch: Vec<usize> = (0..rank)
        .map(|d| {
            let da = if d + la >= rank {
                a.shape()[d + la - rank]
            } else {
                1
            };
            let db = if d + lb >= rank {
                b.shape()[d + lb - rank]
            } else {
                1
            };
            da.max(db)
        })
        .collect();
    let mut out = Vec::new();
    for flat in 0..batch.iter().product::<usize>() {
        let mut idx = vec![0; rank];
        let mut rest = flat;
        for d in (0..rank).rev() {
            idx[d] = rest % batch[d];
            rest /= batch[d];
        }
        // An operand's batch index: right-aligned, 0 on its size-1 dims.
        let pick = |x: &ArrayD<f64>, nb: usize| -> Vec<usize> {
            (0..nb)
                .map(|d| {
                    if x.shape()[d] == 1 {
                        0
                    } else {
                        idx[d + rank - nb]
                    }
                })
                .collect()
        };
        let (ia, ib) = (pick(&a, la), pick(&b, lb));
        let a2 = batch_item(&a, &ia);
        let b2 = batch_item(&b, &ib);
        for i in 0..m {
            for j in 0..n {
                out.push((0..k).map(|p| a2[[i, p]] * b2[[p, j]]).sum());
            }
        }
    }
    let mut shape = batch;
    if ls.len() > 1 {
        shape.push(m);
    }
    if rs.len() > 1 {
        shape.push(n);
    }
    (shape, out)
}

/// The matrix at batch index `idx` of `x`, as a 2-D view.
fn batch_item<'a>(x: &'a ArrayD<f64>, idx: &[usize]) -> ndarray::ArrayView2<'a, f64> {
    let mut view = x.view();
    for &i in idx {
        view = view.index_axis_move(ndarray::Axis(0), i);
    }
    view.into_dimensionality().unwrap()
}

/// Serialises [`assert_matches_naive`]'s tier loop across the test threads of one
/// binary: the tier is a process-wide setting.
static TIER_LOCK: Mutex<()> = Mutex::new(());

/// Check `lhs.matmul(rhs)` against the naive loop on every gemm tier this CPU has
/// (AVX-512, AVX2+FMA, the `matrixmultiply` fallback), forcing each in turn. A tier
/// the CPU lacks is reported once on stderr and skipped.
pub fn assert_matches_naive(lhs: &Tensor, rhs: &Tensor) {
    let (shape, want) = naive(lhs, rhs);
    let _lock = TIER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for tier in Tier::ALL {
        if !tier.is_available() {
            eprintln!("matmul tier {tier:?} not available on this CPU: not tested");
            continue;
        }
        matmul::force_tier(Some(tier));
        assert_eq!(matmul::tier(), tier);
        let got = lhs.matmul(rhs);
        matmul::force_tier(None);
        assert_eq!(
            got.shape(),
            &shape[..],
            "{:?} · {:?}",
            lhs.shape(),
            rhs.shape()
        );
        assert_eq!(got.dtype(), lhs.dtype());
        assert!(got.is_contiguous());
        let rtol = if lhs.dtype() == DType::F32 {
            1e-4
        } else {
            1e-12
        };
        for (i, (g, w)) in got.to_vec::<f64>().iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= rtol * (1.0 + w.abs()),
                "{tier:?}: {:?} · {:?}: element {i} is {g}, naive loop gives {w}",
                lhs.shape(),
                rhs.shape()
            );
        }
    }
}

/// Run `f` on a private pool of `threads` threads (so the parallel paths run on any
/// machine, and the 1-thread path can be compared).
pub fn on_threads(threads: usize, f: impl FnOnce() + Send) {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f);
}

/// How a matrix operand is laid out in memory.
#[derive(Debug, Clone, Copy)]
pub enum Layout {
    /// Row-major, contiguous.
    RowMajor,
    /// The transpose of a row-major `[cols, rows]`: strides `[1, rows]`.
    Transposed,
    /// Every other row and column of a row-major `[2·rows, 2·cols]`: strides `[4·cols, 2]`.
    Strided,
    /// Rows in reverse order: a negative row stride.
    Reversed,
}

/// A `[rows, cols]` operand with `layout`, values in [-1, 1) from `seed`.
pub fn matrix(rows: usize, cols: usize, layout: Layout, seed: u64, dtype: DType) -> Tensor {
    let stored = match layout {
        Layout::RowMajor | Layout::Reversed => [rows, cols],
        Layout::Transposed => [cols, rows],
        Layout::Strided => [2 * rows, 2 * cols],
    };
    let data = operand(&stored, seed, false, DType::F64).to_vec::<f64>();
    let data = ArrayD::from_shape_vec(IxDyn(&stored), data).unwrap();
    let t = match dtype {
        DType::F64 => Tensor::from_array(view(data, layout)),
        DType::F32 => Tensor::from_array(view(data.mapv(|x| x as f32), layout)),
        other => unreachable!("matmul operands are floats, not {other}"),
    };
    assert_eq!(t.shape(), &[rows, cols]);
    if rows > 1 && cols > 1 {
        // Only row-major is contiguous: the kernel really reads the other strides.
        assert_eq!(
            t.is_contiguous(),
            matches!(layout, Layout::RowMajor),
            "{layout:?}"
        );
    }
    t
}

/// The `layout` view of a stored array (strides change, data is not copied).
fn view<T>(stored: ArrayD<T>, layout: Layout) -> ArrayD<T> {
    match layout {
        Layout::RowMajor => stored,
        Layout::Transposed => stored.reversed_axes(),
        Layout::Strided => stored.slice_move(s![..;2, ..;2]).into_dyn(),
        Layout::Reversed => stored.slice_move(s![..;-1, ..]).into_dyn(),
    }
}

/// Any of the four layouts.
pub fn layout() -> impl Strategy<Value = Layout> {
    prop::sample::select(vec![
        Layout::RowMajor,
        Layout::Transposed,
        Layout::Strided,
        Layout::Reversed,
    ])
}

/// Matrix sizes around the kernels' tiles (AVX2: MR = 6, NR = 16 f32 / 8 f64;
/// AVX-512: MR = 12, NR = 32 / 16) and cache blocks (KC = 256, MC = 120 to 252):
/// 1, primes, and one either side.
pub fn dim() -> impl Strategy<Value = usize> {
    prop::sample::select(vec![
        1, 2, 5, 6, 7, 11, 12, 13, 16, 17, 31, 32, 33, 71, 97, 119, 121, 127, 251, 253, 255, 257,
        263,
    ])
}

/// `(m, k, n)` from [`dim`] with at most 4·10⁶ multiply-adds (the naive loop's budget).
pub fn dims() -> impl Strategy<Value = (usize, usize, usize)> {
    (dim(), dim(), dim()).prop_filter("naive loop budget", |(m, k, n)| m * k * n <= 4_000_000)
}
