//! IVF: with every cell probed it is exact search; with fewer, recall grows with
//! nprobe.

mod common;

use common::{assert_same, brute_force, clustered, integer_rows};
use search::{Ivf, Metric, knn, recall};

#[test]
fn nprobe_equal_to_nlist_is_exact_search() {
    tensor::manual_seed(11);
    let base = integer_rows(2_000, 10, 4);
    let queries = integer_rows(60, 10, 5);
    for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine] {
        let mut ivf = Ivf::new(10, 32, metric);
        ivf.train(&base);
        ivf.add(&base);
        ivf.nprobe = 32;
        let found = ivf.search(&queries, 10);
        if metric == Metric::Cosine {
            assert_same(&found, &knn(&base, &queries, 10, metric), 1e-5);
        } else {
            // integer data: the direct kernels and the GEMM agree bit for bit
            assert_eq!(found, knn(&base, &queries, 10, metric), "{metric:?}");
            assert_eq!(
                found,
                brute_force(&base, &queries, 10, metric),
                "{metric:?}"
            );
        }
    }
}

#[test]
fn recall_grows_with_nprobe() {
    tensor::manual_seed(12);
    let (base, queries) = clustered(4_000, 100, 16, 40);
    let truth = knn(&base, &queries, 10, Metric::L2);
    let mut ivf = Ivf::new(16, 64, Metric::L2);
    ivf.train(&base);
    ivf.add(&base);
    assert_eq!(ivf.list_sizes().iter().sum::<usize>(), 4_000);
    let mut last = 0.0;
    for nprobe in [1, 4, 16, 64] {
        ivf.nprobe = nprobe;
        let r = recall(&ivf.search(&queries, 10), &truth);
        assert!(r >= last, "nprobe {nprobe}: recall {r} < {last}");
        last = r;
    }
    assert_eq!(last, 1.0);
}

#[test]
#[should_panic(expected = "Ivf::add: the index is not trained")]
fn adding_before_training_panics() {
    Ivf::new(4, 2, Metric::L2).add(&tensor::Tensor::zeros(&[3, 4]));
}
