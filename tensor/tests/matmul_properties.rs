//! Property tests of `Tensor::matmul` against a naive triple loop with f64
//! accumulation, over random shapes (dims 1..=17, primes included), transposed
//! operands (strided views), broadcast batch dims, 1-D operands and both dtypes;
//! then large products that take the parallel paths (row blocks, column blocks,
//! one task per batch item).
//!
//! ```text
//! want[b.., i, j] = Σ_p lhs[b'.., i, p] · rhs[b''.., p, j]   (b', b'' = b with
//!                   broadcast dims read at index 0)
//! f32: |got - want| ≤ 1e-4 · (1 + |want|)     f64: ≤ 1e-12 · (1 + |want|)
//! ```

use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;
use tensor::{DType, Tensor};

/// A tensor of `shape` with values in [-1, 1) from a small LCG (reproducible, cheap),
/// stored transposed in its last two dims when `transposed` (a non-contiguous view).
fn operand(shape: &[usize], seed: u64, transposed: bool, dtype: DType) -> Tensor {
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
fn naive(lhs: &Tensor, rhs: &Tensor) -> (Vec<usize>, Vec<f64>) {
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
        let a2 = matrix(&a, &ia);
        let b2 = matrix(&b, &ib);
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
fn matrix<'a>(x: &'a ArrayD<f64>, idx: &[usize]) -> ndarray::ArrayView2<'a, f64> {
    let mut view = x.view();
    for &i in idx {
        view = view.index_axis_move(ndarray::Axis(0), i);
    }
    view.into_dimensionality().unwrap()
}

fn assert_matches_naive(lhs: &Tensor, rhs: &Tensor) {
    let got = lhs.matmul(rhs);
    let (shape, want) = naive(lhs, rhs);
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
            "{:?} · {:?}: element {i} is {g}, naive loop gives {w}",
            lhs.shape(),
            rhs.shape()
        );
    }
}

/// Run `f` on a private pool of `threads` threads (so the parallel paths run on any
/// machine, and the 1-thread path can be compared).
fn on_threads(threads: usize, f: impl FnOnce() + Send) {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f);
}

/// Random matmul arguments: sizes 1..=17, up to 2 batch dims that broadcast, vectors.
#[derive(Debug, Clone)]
struct Case {
    m: usize,
    k: usize,
    n: usize,
    lhs_batch: Vec<usize>,
    rhs_batch: Vec<usize>,
    lhs_vector: bool,
    rhs_vector: bool,
    transpose: (bool, bool),
    f64: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    let size = 1usize..=17;
    // Full batch shape, then each operand keeps a right-aligned suffix of it with some
    // dims set to 1 (broadcast).
    let batch = prop::collection::vec(1usize..=3, 0..=2);
    let masks = (
        prop::collection::vec(any::<bool>(), 2),
        prop::collection::vec(any::<bool>(), 2),
    );
    (
        size.clone(),
        size.clone(),
        size,
        batch,
        masks,
        0usize..=2,
        0usize..=2,
        any::<[bool; 5]>(),
        any::<u64>(),
    )
        .prop_map(|(m, k, n, batch, (ma, mb), la, lb, flags, seed)| {
            let sub = |keep: usize, ones: &[bool]| -> Vec<usize> {
                let keep = keep.min(batch.len());
                let tail = &batch[batch.len() - keep..];
                tail.iter()
                    .zip(ones)
                    .map(|(&d, &one)| if one { 1 } else { d })
                    .collect()
            };
            let (lhs_batch, rhs_batch) = (sub(la, &ma), sub(lb, &mb));
            Case {
                m,
                k,
                n,
                lhs_vector: flags[0] && lhs_batch.is_empty(),
                rhs_vector: flags[1] && rhs_batch.is_empty(),
                lhs_batch,
                rhs_batch,
                transpose: (flags[2], flags[3]),
                f64: flags[4],
                seed,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn matmul_equals_the_naive_loop(c in case()) {
        let dtype = if c.f64 { DType::F64 } else { DType::F32 };
        let lhs_shape = if c.lhs_vector { vec![c.k] } else { [&c.lhs_batch[..], &[c.m, c.k]].concat() };
        let rhs_shape = if c.rhs_vector { vec![c.k] } else { [&c.rhs_batch[..], &[c.k, c.n]].concat() };
        let lhs = operand(&lhs_shape, c.seed, c.transpose.0, dtype);
        let rhs = operand(&rhs_shape, c.seed ^ 0x5eed, c.transpose.1, dtype);
        assert_matches_naive(&lhs, &rhs);
    }

    #[test]
    fn mismatched_inner_dims_are_reported(k in 1usize..=17, extra in 1usize..=5) {
        let e = Tensor::zeros(&[3, k]).try_matmul(&Tensor::zeros(&[k + extra, 2])).unwrap_err();
        let want = format!(
            "matmul: cannot multiply [3, {k}] by [{}, 2]: inner dimensions {k} and {} differ",
            k + extra,
            k + extra
        );
        prop_assert!(e.to_string().starts_with(&want), "{}", e);
    }
}

#[test]
fn large_products_take_the_row_split_path() {
    // 2·300·257·129 ≈ 20 MFLOP ≥ SPLIT_FLOPS (8.4 MFLOP) and m ≥ n: split into row blocks.
    for dtype in [DType::F32, DType::F64] {
        let a = operand(&[300, 257], 1, false, dtype);
        let b = operand(&[257, 129], 2, true, dtype);
        on_threads(4, || assert_matches_naive(&a, &b));
        // [129, 257] · [257, 300]: both operands transposed views, m < n
        on_threads(3, || assert_matches_naive(&b.reversed(), &a.reversed()));
        on_threads(1, || assert_matches_naive(&a, &b));
    }
}

#[test]
fn wide_products_take_the_column_split_path() {
    // m = 40 < n = 1000, 2·40·129·1000 ≈ 10 MFLOP: column blocks; lhs a transposed view.
    let a = operand(&[40, 129], 3, true, DType::F32);
    let b = operand(&[129, 1000], 4, false, DType::F32);
    on_threads(2, || assert_matches_naive(&a, &b));
    // a vector times a big matrix: m = 1, 2·1000·5000 = 10 MFLOP
    let v = operand(&[1000], 5, false, DType::F64);
    on_threads(2, || {
        assert_matches_naive(&v, &operand(&[1000, 5000], 6, true, DType::F64))
    });
}

#[test]
fn many_small_products_run_one_task_per_batch_item() {
    // 24 products of 2·64·48·40 ≈ 0.25 MFLOP each (5.9 MFLOP ≥ BATCH_FLOPS in all):
    // one task per batch item.
    // The rhs has batch dim 1 (stride 0 after broadcasting) and is transposed.
    let a = operand(&[2, 12, 64, 48], 7, false, DType::F32);
    let b = operand(&[12, 1, 48, 40], 8, true, DType::F32);
    let rhs64 = operand(&[2, 1, 48, 40], 9, false, DType::F64);
    on_threads(2, || assert_matches_naive(&a, &b.reversed_batch()));
    on_threads(4, || assert_matches_naive(&a.to_dtype(DType::F64), &rhs64));
}

/// Test-only views made with ndarray (movement ops live elsewhere).
trait Views {
    /// The 2-D transpose as a view.
    fn reversed(&self) -> Tensor;
    /// Swap the two leading batch dims of a 4-D tensor (a permuted view).
    fn reversed_batch(&self) -> Tensor;
}

impl Views for Tensor {
    fn reversed(&self) -> Tensor {
        match self.dtype() {
            DType::F32 => Tensor::from_array(self.array::<f32>().to_owned().reversed_axes()),
            DType::F64 => Tensor::from_array(self.array::<f64>().to_owned().reversed_axes()),
        }
    }
    fn reversed_batch(&self) -> Tensor {
        let a = self
            .array::<f32>()
            .to_owned()
            .permuted_axes(IxDyn(&[1, 0, 2, 3]));
        Tensor::from_array(a)
    }
}
