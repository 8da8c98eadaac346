//! The fallback path (`matrixmultiply`, for CPUs without AVX2+FMA), forced with
//! `tensor::matmul::force_fallback` for this whole test binary: the same comparison
//! with the naive loop as `matmul_properties.rs`, shapes around the block sizes, all
//! layouts, both dtypes, 1 and 2 threads, and a batch.

mod matmul_reference;

use matmul_reference::{assert_matches_naive, dims, layout, matrix, on_threads, operand};
use proptest::prelude::*;
use tensor::DType;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn fallback_equals_the_naive_loop(
        (m, k, n) in dims(),
        layouts in (layout(), layout()),
        f64 in any::<bool>(),
        threads in 1usize..=2,
        seed in any::<u64>(),
    ) {
        tensor::matmul::force_fallback(true);
        let dtype = if f64 { DType::F64 } else { DType::F32 };
        let a = matrix(m, k, layouts.0, seed, dtype);
        let b = matrix(k, n, layouts.1, seed ^ 0xb, dtype);
        on_threads(threads, || assert_matches_naive(&a, &b));
    }
}

#[test]
fn fallback_batches_and_splits() {
    tensor::matmul::force_fallback(true);
    // A large product (row split on 2 threads) and a broadcast, transposed batch.
    let a = operand(&[300, 257], 1, false, DType::F32);
    let b = operand(&[257, 129], 2, true, DType::F32);
    on_threads(2, || assert_matches_naive(&a, &b));
    let a = operand(&[3, 4, 17, 9], 3, true, DType::F64);
    let b = operand(&[4, 9, 5], 4, false, DType::F64);
    on_threads(1, || assert_matches_naive(&a, &b));
}
