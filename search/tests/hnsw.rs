//! HNSW: recall@10 against exact search on seeded data with fixed parameters, for
//! every metric; a base vector finds itself; incremental batches.

mod common;

use common::clustered;
use search::{Hnsw, HnswConfig, Metric, knn, recall};

const CONFIG: HnswConfig = HnswConfig {
    m: 16,
    ef_construction: 100,
    ef_search: 64,
};

#[test]
fn recall_at_10_is_at_least_095() {
    tensor::manual_seed(21);
    let (base, queries) = clustered(6_000, 200, 32, 30);
    for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine] {
        let mut index = Hnsw::new(32, metric, CONFIG);
        index.add(&base);
        let r = recall(
            &index.search(&queries, 10),
            &knn(&base, &queries, 10, metric),
        );
        assert!(r >= 0.95, "{metric:?}: recall@10 = {r}");
    }
}

#[test]
fn incremental_batches_and_self_queries() {
    tensor::manual_seed(22);
    let (base, _) = clustered(3_000, 0, 8, 10);
    let mut index = Hnsw::new(8, Metric::L2, CONFIG);
    for start in (0..3_000).step_by(1_000) {
        index.add(&base.narrow(0, start, 1_000));
    }
    assert_eq!(index.len(), 3_000);
    let queries = base.narrow(0, 0, 3_000);
    let found = index.search(&queries, 1);
    let own = found
        .iter()
        .enumerate()
        .filter(|(i, h)| h[0].id == *i || h[0].score == 0.0);
    assert!(own.count() >= 2_990, "base vectors should find themselves");
    assert!(
        recall(
            &index.search(&queries.narrow(0, 0, 200), 10),
            &knn(&base, &queries.narrow(0, 0, 200), 10, Metric::L2)
        ) >= 0.95
    );
}

#[test]
fn more_ef_never_hurts_much_and_k_above_ef_is_served() {
    tensor::manual_seed(23);
    let (base, queries) = clustered(2_000, 50, 16, 20);
    let mut index = Hnsw::new(
        16,
        Metric::L2,
        HnswConfig {
            ef_search: 10,
            ..CONFIG
        },
    );
    index.add(&base);
    let truth = knn(&base, &queries, 10, Metric::L2);
    let low = recall(&index.search(&queries, 10), &truth);
    index.ef_search = 200;
    let high = recall(&index.search(&queries, 10), &truth);
    assert!(high >= low && high >= 0.99, "ef 10: {low}, ef 200: {high}");
    index.ef_search = 5;
    assert!(index.search(&queries, 30).iter().all(|h| h.len() == 30));
}
