//! Property tests of `Tensor::matmul` on every gemm tier the CPU has (AVX-512,
//! AVX2+FMA, the `matrixmultiply` fallback: `assert_matches_naive` forces each in
//! turn) against a naive triple loop with f64 accumulation: random small shapes (dims 1..=17) with
//! transposed operands, broadcast batch dims, 1-D operands and both dtypes; random
//! shapes around the kernel's tile and cache block sizes (primes, one either side)
//! in four layouts (row-major, transposed, strided, negative strides) on 1 and 2
//! threads; then products that take the parallel paths (row blocks, column blocks,
//! several NC column blocks, one task per batch item).
//!
//! ```text
//! want[b.., i, j] = Σ_p lhs[b'.., i, p] · rhs[b''.., p, j]   (b', b'' = b with
//!                   broadcast dims read at index 0)
//! f32: |got - want| ≤ 1e-4 · (1 + |want|)     f64: ≤ 1e-12 · (1 + |want|)
//! ```

mod matmul_reference;

use matmul_reference::{Layout, assert_matches_naive, dims, layout, matrix, on_threads, operand};
use ndarray::IxDyn;
use proptest::prelude::*;
use tensor::{DType, Tensor};

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
    fn blocked_shapes_and_layouts_equal_the_naive_loop(
        (m, k, n) in dims(),
        layouts in (layout(), layout()),
        f64 in any::<bool>(),
        threads in 1usize..=2,
        seed in any::<u64>(),
    ) {
        let dtype = if f64 { DType::F64 } else { DType::F32 };
        let a = matrix(m, k, layouts.0, seed, dtype);
        let b = matrix(k, n, layouts.1, seed ^ 0xb, dtype);
        on_threads(threads, || assert_matches_naive(&a, &b));
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
    // 2·300·257·129 ≈ 20 MFLOP ≥ SPLIT_FLOPS (2.1 MFLOP) and m ≥ n: split into row blocks.
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
fn weight_gradients_split_their_panels_evenly() {
    // A linear layer's weight gradient gᵀ · x: A a transposed view (columns contiguous,
    // its full micro-panels packed together), m = 1031 rows (85 full panels of 12 and
    // one of 11; 172 of 6 rows for AVX2), 2·1031·263·33 ≈ 18 MFLOP ≥ SPLIT_FLOPS: on
    // two threads the row blocks hold different numbers of panels, each half the same.
    for dtype in [DType::F32, DType::F64] {
        let g = matrix(1031, 263, Layout::Transposed, 14, dtype);
        let x = matrix(263, 33, Layout::RowMajor, 15, dtype);
        on_threads(1, || assert_matches_naive(&g, &x));
        on_threads(2, || assert_matches_naive(&g, &x));
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
fn wide_products_span_several_column_blocks() {
    // NC = 4096 f32 / 2048 f64 columns, KC = 256: n = 4100 and 2053 cross the column
    // block, k = 260 the depth block (so C is accumulated over two kc blocks).
    let a = matrix(7, 260, Layout::Transposed, 10, DType::F32);
    let b = matrix(260, 4100, Layout::RowMajor, 11, DType::F32);
    on_threads(1, || assert_matches_naive(&a, &b));
    on_threads(2, || assert_matches_naive(&a, &b));
    let a = matrix(13, 300, Layout::Strided, 12, DType::F64);
    let b = matrix(300, 2053, Layout::Transposed, 13, DType::F64);
    on_threads(2, || assert_matches_naive(&a, &b));
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
            other => unreachable!("matmul operands are floats, not {other}"),
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
