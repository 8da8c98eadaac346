//! Threshold curves of a binary scorer: ROC and precision–recall, with their areas,
//! following scikit-learn's definitions exactly (including how ties are handled).
//!
//! ```text
//! sort by score, descending; one threshold per *distinct* score (tied samples enter
//! together, so ties give a diagonal segment: half credit in the AUC)
//! at threshold s:  TP(s) = #positives with score ≥ s,  FP(s) = #negatives with score ≥ s
//!
//! ROC:  fpr = FP / #neg,  tpr = TP / #pos, starting at (0, 0) with threshold +inf;
//!       points on a straight segment are dropped (sklearn's drop_intermediate=True)
//!       roc_auc = trapezoid area under (fpr, tpr)
//!               = P(score₊ > score₋) + ½ P(score₊ = score₋)
//! PR:   precision = TP / (TP + FP),  recall = TP / #pos, listed by increasing
//!       threshold, then the point (recall 0, precision 1) appended
//!       average_precision = Σₙ (Rₙ − Rₙ₋₁) · Pₙ       (step function, no interpolation)
//! ```
//! Read next: [`crate::metrics::ranking_metrics`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::{binary_labels, check_dims, check_same_shape, finite_scores};

/// False and true positive counts at each distinct threshold (descending), as
/// sklearn's `_binary_clf_curve`: `(fps, tps, thresholds)`.
#[track_caller]
fn binary_clf_curve(
    op: &'static str,
    scores: &Tensor,
    labels: &Tensor,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    check_dims(op, "scores", scores, 1, "[N]");
    check_same_shape(op, ["scores", "labels"], scores.shape(), labels.shape());
    let s = finite_scores(op, scores);
    let y = binary_labels(op, labels);
    if s.is_empty() {
        Error::new(op, ErrorKind::Shape, "needs at least one sample, got 0").raise();
    }
    let mut order: Vec<usize> = (0..s.len()).collect();
    order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
    let (mut fps, mut tps, mut thresholds) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tp, mut fp) = (0.0, 0.0);
    for (rank, &i) in order.iter().enumerate() {
        if y[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        // close a threshold at the last sample of each group of equal scores
        let last_of_group = order.get(rank + 1).is_none_or(|&next| s[next] != s[i]);
        if last_of_group {
            fps.push(fp);
            tps.push(tp);
            thresholds.push(s[i]);
        }
    }
    (fps, tps, thresholds)
}

/// A ROC curve: `fpr[i]`, `tpr[i]` when predicting positive for `score ≥ thresholds[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RocCurve {
    /// False positive rates, increasing from 0 to 1.
    pub fpr: Vec<f64>,
    /// True positive rates, increasing from 0 to 1.
    pub tpr: Vec<f64>,
    /// Decreasing thresholds; the first is `+inf` (nothing predicted positive).
    pub thresholds: Vec<f64>,
}

/// The ROC curve of `scores` against binary `labels` (bool, or i64 0/1), as
/// `sklearn.metrics.roc_curve` (with its default `drop_intermediate=True`). Rates are
/// NaN if a class is absent.
///
/// # Shapes
/// `scores`, `labels`: `[N]`.
///
/// # Panics
/// If the shapes differ, a label is not 0 or 1, or a score is not finite.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let scores = Tensor::from_vec(vec![0.1, 0.4, 0.35, 0.8], &[4]);
/// let labels = Tensor::from_vec_bool(vec![false, false, true, true], &[4]);
/// let roc = ferrograd::nn::metrics::roc_curve(&scores, &labels);
/// assert_eq!(roc.fpr, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
/// assert_eq!(roc.tpr, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
/// ```
#[track_caller]
pub fn roc_curve(scores: &Tensor, labels: &Tensor) -> RocCurve {
    let (fps, tps, thresholds) = binary_clf_curve("roc_curve", scores, labels);
    // keep the ends and every corner: drop i when both fps and tps are straight at i
    let n = fps.len();
    let keep: Vec<usize> = (0..n)
        .filter(|&i| {
            n <= 2
                || i == 0
                || i == n - 1
                || fps[i + 1] - 2.0 * fps[i] + fps[i - 1] != 0.0
                || tps[i + 1] - 2.0 * tps[i] + tps[i - 1] != 0.0
        })
        .collect();
    let (neg, pos) = (fps[n - 1], tps[n - 1]);
    let rate = |count: f64, total: f64| if total > 0.0 { count / total } else { f64::NAN };
    let mut curve = RocCurve {
        fpr: vec![0.0],
        tpr: vec![0.0],
        thresholds: vec![f64::INFINITY],
    };
    if neg == 0.0 {
        curve.fpr[0] = f64::NAN;
    }
    if pos == 0.0 {
        curve.tpr[0] = f64::NAN;
    }
    for i in keep {
        curve.fpr.push(rate(fps[i], neg));
        curve.tpr.push(rate(tps[i], pos));
        curve.thresholds.push(thresholds[i]);
    }
    curve
}

/// Area under the ROC curve (trapezoids; ties count half), as
/// `sklearn.metrics.roc_auc_score` for binary labels.
///
/// # Shapes
/// `scores`, `labels`: `[N]`.
///
/// # Panics
/// As [`roc_curve`]; also if `labels` hold only one class (the AUC is undefined).
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let scores = Tensor::from_vec(vec![0.9, 0.5, 0.5, 0.1], &[4]);
/// let labels = Tensor::from_vec_i64(vec![1, 1, 0, 0], &[4]);
/// // pairs (+, −): (0.9, 0.5) ✓ (0.9, 0.1) ✓ (0.5, 0.5) ½ (0.5, 0.1) ✓ → 3.5 / 4
/// assert_eq!(ferrograd::nn::metrics::roc_auc(&scores, &labels), 0.875);
/// ```
#[track_caller]
pub fn roc_auc(scores: &Tensor, labels: &Tensor) -> f64 {
    let roc = roc_curve(scores, labels);
    if roc.fpr.iter().chain(&roc.tpr).any(|v| v.is_nan()) {
        Error::new(
            "roc_auc",
            ErrorKind::Value,
            "labels hold only one class, so the ROC AUC is not defined",
        )
        .raise();
    }
    (1..roc.fpr.len())
        .map(|i| (roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1]) / 2.0)
        .sum()
}

/// A precision–recall curve, by increasing threshold, ending at (recall 0, precision 1).
#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionRecallCurve {
    /// Precision at each threshold, then a final 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold (decreasing), then a final 0.
    pub recall: Vec<f64>,
    /// The distinct scores, increasing (one fewer entry than `precision`).
    pub thresholds: Vec<f64>,
}

/// The precision–recall curve of `scores` against binary `labels` (bool, or i64
/// 0/1), as `sklearn.metrics.precision_recall_curve` (recall is 1 everywhere when
/// there are no positives, as there).
///
/// # Shapes
/// `scores`, `labels`: `[N]`.
///
/// # Panics
/// If the shapes differ, a label is not 0 or 1, or a score is not finite.
#[track_caller]
pub fn precision_recall_curve(scores: &Tensor, labels: &Tensor) -> PrecisionRecallCurve {
    let (fps, tps, thresholds) = binary_clf_curve("precision_recall_curve", scores, labels);
    let pos = tps[tps.len() - 1];
    let mut precision: Vec<f64> = fps
        .iter()
        .zip(&tps)
        .map(|(fp, tp)| if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 })
        .rev()
        .collect();
    let mut recall: Vec<f64> = tps
        .iter()
        .map(|tp| if pos > 0.0 { tp / pos } else { 1.0 })
        .rev()
        .collect();
    precision.push(1.0);
    recall.push(0.0);
    PrecisionRecallCurve {
        precision,
        recall,
        thresholds: thresholds.into_iter().rev().collect(),
    }
}

/// Average precision `Σₙ (Rₙ − Rₙ₋₁)·Pₙ` over the thresholds, as
/// `sklearn.metrics.average_precision_score` (no interpolation).
///
/// # Shapes
/// `scores`, `labels`: `[N]`.
///
/// # Panics
/// As [`precision_recall_curve`].
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let scores = Tensor::from_vec(vec![0.9, 0.8, 0.7], &[3]);
/// let labels = Tensor::from_vec_i64(vec![1, 0, 1], &[3]);
/// // hits at ranks 1 and 3: (1/1 + 2/3) / 2
/// assert!((ferrograd::nn::metrics::average_precision(&scores, &labels) - 5.0 / 6.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn average_precision(scores: &Tensor, labels: &Tensor) -> f64 {
    let curve = precision_recall_curve(scores, labels);
    let area: f64 = (1..curve.recall.len())
        .map(|i| (curve.recall[i] - curve.recall[i - 1]) * curve.precision[i - 1])
        .sum();
    (-area).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_vec_f64(v.to_vec(), &[v.len()])
    }

    /// Binary labels: 1 → true.
    fn y(v: &[i64]) -> Tensor {
        Tensor::from_vec_i64(v.to_vec(), &[v.len()])
    }

    #[test]
    fn all_tied_scores_give_the_chance_diagonal() {
        let roc = roc_curve(&t(&[0.5, 0.5, 0.5]), &y(&[1, 0, 1]));
        assert_eq!(roc.fpr, vec![0.0, 1.0]);
        assert_eq!(roc.thresholds, vec![f64::INFINITY, 0.5]);
        assert_eq!(roc_auc(&t(&[0.5, 0.5, 0.5]), &y(&[1, 0, 1])), 0.5);
    }

    #[test]
    fn perfect_and_reversed_rankings() {
        let labels = y(&[1, 1, 0]);
        assert_eq!(roc_auc(&t(&[3.0, 2.0, 1.0]), &labels), 1.0);
        assert_eq!(roc_auc(&t(&[1.0, 2.0, 3.0]), &labels), 0.0);
        assert_eq!(average_precision(&t(&[3.0, 2.0, 1.0]), &labels), 1.0);
    }

    #[test]
    fn pr_curve_on_sklearn_doc_example() {
        // sklearn's docstring: y = [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]
        let c = precision_recall_curve(&t(&[0.1, 0.4, 0.35, 0.8]), &y(&[0, 0, 1, 1]));
        assert_eq!(c.precision, vec![0.5, 2.0 / 3.0, 0.5, 1.0, 1.0]);
        assert_eq!(c.recall, vec![1.0, 1.0, 0.5, 0.5, 0.0]);
        assert_eq!(c.thresholds, vec![0.1, 0.35, 0.4, 0.8]);
    }

    #[test]
    #[should_panic(expected = "roc_auc: labels hold only one class")]
    fn one_class_auc_panics() {
        roc_auc(&t(&[0.1, 0.2]), &y(&[1, 1]));
    }

    #[test]
    #[should_panic(expected = "roc_curve: scores has shape [2] but labels has shape [3]")]
    fn length_mismatch_panics() {
        roc_curve(&t(&[0.1, 0.2]), &y(&[1, 0, 1]));
    }
}
