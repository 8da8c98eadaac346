//! Exact search against a brute-force reference in f64: bit-equal on integer data
//! (where f32 arithmetic is exact), equal up to rounding on floats, ties to the
//! smaller id, and across the GEMM's query and base blocks.

mod common;

use common::{assert_same, brute_force, integer_rows};
use search::{Flat, Metric, knn};
use tensor::Tensor;

/// 5,000 base rows and 1,100 queries: more than one block of each (4,096 and 1,024).
#[test]
fn integer_data_equals_brute_force_exactly() {
    let base = integer_rows(5_000, 12, 1);
    let queries = integer_rows(1_100, 12, 2);
    for metric in [Metric::L2, Metric::InnerProduct] {
        let found = knn(&base, &queries, 10, metric);
        assert_eq!(
            found,
            brute_force(&base, &queries, 10, metric),
            "{metric:?}"
        );
    }
}

#[test]
fn float_data_equals_brute_force_for_every_metric() {
    tensor::manual_seed(7);
    let base = Tensor::randn(&[3_000, 24]);
    let queries = Tensor::randn(&[50, 24]);
    for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine] {
        let found = knn(&base, &queries, 20, metric);
        assert_same(&found, &brute_force(&base, &queries, 20, metric), 1e-4);
    }
}

#[test]
fn ties_go_to_the_smaller_id() {
    // rows 2500..2510 repeat rows 0..10, so querying row 3 finds 3 and 2503 at 0
    let base = integer_rows(5_000, 6, 3);
    for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine] {
        let hits = knn(&base, &base.narrow(0, 3, 1), 5, metric);
        let first = &hits[0];
        let tied: Vec<usize> = first
            .iter()
            .take_while(|h| h.score == first[0].score)
            .map(|h| h.id)
            .collect();
        assert!(tied.windows(2).all(|w| w[0] < w[1]), "{metric:?}: {tied:?}");
        if metric != Metric::InnerProduct {
            assert_eq!(&tied[..2], &[3, 2503], "{metric:?}");
        }
    }
}

#[test]
fn incremental_adds_keep_ids_and_short_lists() {
    let base = integer_rows(40, 4, 9);
    let mut index = Flat::new(4, Metric::L2);
    index.add(&base.narrow(0, 0, 25));
    index.add(&base.narrow(0, 25, 15));
    assert_eq!(index.len(), 40);
    let q = base.narrow(0, 30, 2);
    assert_eq!(index.search(&q, 7), brute_force(&base, &q, 7, Metric::L2));
    // asking for more than the index holds returns all of it
    assert_eq!(index.search(&q, 100)[0].len(), 40);
}

#[test]
#[should_panic(expected = "Flat::search: vectors must be [N, 4], got [2, 5]")]
fn a_query_of_the_wrong_width_panics() {
    Flat::new(4, Metric::L2).search(&Tensor::zeros(&[2, 5]), 1);
}
