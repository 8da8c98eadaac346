//! Every metric against scikit-learn, on the fixtures written by
//! `tests/fixtures/fixtures_metrics.py` (float64; scores rounded to one decimal so
//! that many tie, which is where AUC, AP, NDCG and top-k implementations differ).
//!
//! ```text
//! tolerance: |ferrograd − sklearn| ≤ 1e-12 (values are O(1); curves element by element)
//! ```

use nn::checkpoint::{StateDict, load_file};
use nn::metrics::*;
use tensor::Tensor;

fn fixtures() -> StateDict {
    let path = format!(
        "{}/tests/fixtures/metrics.safetensors",
        env!("CARGO_MANIFEST_DIR")
    );
    load_file(&path)
        .unwrap_or_else(|e| panic!("{e}; regenerate with tests/fixtures/fixtures_metrics.py"))
}

fn get<'a>(fx: &'a StateDict, key: &str) -> &'a Tensor {
    fx.get(key)
        .unwrap_or_else(|| panic!("fixture has no tensor {key}"))
}

#[track_caller]
fn close(what: &str, actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12 || (actual == expected),
        "{what}: ferrograd {actual} vs sklearn {expected}"
    );
}

#[track_caller]
fn close_all(what: &str, actual: &[f64], expected: &Tensor) {
    let expected = expected.to_vec::<f64>();
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: length ({actual:?} vs {expected:?})"
    );
    for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
        close(&format!("{what}[{i}]"), *a, *e);
    }
}

#[test]
fn classification_metrics_match_sklearn() {
    let fx = fixtures();
    let (pred, target) = (get(&fx, "cls.pred"), get(&fx, "cls.target"));
    close(
        "accuracy",
        accuracy(pred, target),
        get(&fx, "cls.accuracy").item(),
    );
    let dense = get(&fx, "cls.dense_scores");
    close(
        "accuracy of scores",
        accuracy(dense, target),
        get(&fx, "cls.accuracy_scores").item(),
    );
    for k in 1..=3 {
        let expected = get(&fx, &format!("cls.top{k}")).item();
        close(
            &format!("top_{k}_accuracy"),
            top_k_accuracy(get(&fx, "cls.scores"), target, k),
            expected,
        );
    }
    let confusion = confusion_matrix(pred, target, 5);
    close_all(
        "confusion_matrix",
        &confusion.to_vec::<f64>(),
        get(&fx, "cls.confusion"),
    );
    for (name, average) in [
        ("macro", Average::Macro),
        ("micro", Average::Micro),
        ("weighted", Average::Weighted),
    ] {
        let m = precision_recall_f1(pred, target, 5, average);
        close_all(
            name,
            &[m.precision, m.recall, m.f1],
            get(&fx, &format!("cls.{name}")),
        );
    }
    let m = precision_recall_f1(
        get(&fx, "bin.pred"),
        get(&fx, "bin.target"),
        2,
        Average::Binary { pos_label: 1 },
    );
    close_all(
        "binary",
        &[m.precision, m.recall, m.f1],
        get(&fx, "bin.binary"),
    );
}

#[test]
fn curves_and_areas_match_sklearn_with_tied_scores() {
    let fx = fixtures();
    let (scores, labels) = (get(&fx, "curve.scores"), get(&fx, "curve.labels"));
    let roc = roc_curve(scores, labels);
    close_all("roc fpr", &roc.fpr, get(&fx, "curve.fpr"));
    close_all("roc tpr", &roc.tpr, get(&fx, "curve.tpr"));
    close_all(
        "roc thresholds",
        &roc.thresholds,
        get(&fx, "curve.thresholds"),
    );
    close(
        "roc_auc",
        roc_auc(scores, labels),
        get(&fx, "curve.auc").item(),
    );
    let pr = precision_recall_curve(scores, labels);
    close_all("pr precision", &pr.precision, get(&fx, "curve.precision"));
    close_all("pr recall", &pr.recall, get(&fx, "curve.recall"));
    close_all(
        "pr thresholds",
        &pr.thresholds,
        get(&fx, "curve.pr_thresholds"),
    );
    close(
        "average_precision",
        average_precision(scores, labels),
        get(&fx, "curve.ap").item(),
    );
}

#[test]
fn ranking_metrics_match_sklearn_with_tied_scores() {
    let fx = fixtures();
    let (scores, relevance) = (get(&fx, "rank.scores"), get(&fx, "rank.relevance"));
    close(
        "ndcg",
        ndcg_at_k(scores, relevance, None),
        get(&fx, "rank.ndcg").item(),
    );
    for k in [1, 3, 5] {
        let expected = get(&fx, &format!("rank.ndcg{k}")).item();
        close(
            &format!("ndcg@{k}"),
            ndcg_at_k(scores, relevance, Some(k)),
            expected,
        );
    }
    close(
        "map",
        mean_average_precision(scores, relevance),
        get(&fx, "rank.map").item(),
    );
    let value = mrr(get(&fx, "mrr.scores"), get(&fx, "mrr.relevance"));
    close(
        "mrr (= LRAP with one relevant item)",
        value,
        get(&fx, "mrr.value").item(),
    );
}
