//! Classification metrics, as scikit-learn defines them.
//!
//! ```text
//! accuracy        = #(pred = target) / N
//! top_k_accuracy  = #(target among the k highest scores) / N
//! confusion[t, p] = #(target = t and pred = p)            rows: truth, columns: prediction
//! per class c:    TP = confusion[c, c],  FP = Σ_t confusion[t, c] − TP,  FN = Σ_p confusion[c, p] − TP
//!                 precision = TP / (TP + FP),  recall = TP / (TP + FN),
//!                 F1 = 2·P·R / (P + R)          (0 when a denominator is 0, sklearn's
//!                                                zero_division default)
//! averages:  Binary   the pos_label class only
//!            Macro    unweighted mean of the per-class P, R, F1 (over all num_classes)
//!            Weighted mean weighted by support (#targets of each class)
//!            Micro    P, R, F1 of the summed TP, FP, FN (= accuracy for single-label)
//! ```
//! Read next: [`crate::metrics::curves`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::{check_dims, check_same_shape, class_labels};

/// Predicted labels from `pred`: itself if it is an i64 tensor of labels, otherwise
/// (float scores) the argmax over its class dim (1, or 0 for a 1-D `pred` with a 0-d
/// `target`).
#[track_caller]
fn predicted_labels(op: &'static str, pred: &Tensor, target: &Tensor) -> Vec<usize> {
    if !pred.dtype().is_float() {
        check_same_shape(
            op,
            ["pred (labels)", "target"],
            pred.shape(),
            target.shape(),
        );
        return class_labels(op, "pred", pred, None);
    }
    let class_dim: usize = if pred.dims() == 1 { 0 } else { 1 };
    let mut expected = pred.shape().to_vec();
    if pred.dims() == target.dims() + 1 && pred.shape()[class_dim] > 0 {
        expected.remove(class_dim);
    }
    if expected != target.shape() {
        Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "pred holds float scores of shape {:?}, which must be [B, C, ..] (classes along dim 1) for target's shape {:?}",
                pred.shape(),
                target.shape()
            ),
        )
        .raise();
    }
    class_labels(op, "pred", &pred.argmax(class_dim as isize, false), None)
}

/// Fraction of correct predictions. `pred` holds i64 labels (target's shape) or float
/// class scores with the classes along dim 1, as cross-entropy's logits (argmax is
/// taken).
///
/// # Shapes
/// `pred: [B, ..]` labels or `[B, C, ..]` scores; `target: [B, ..]`, i64.
///
/// # Panics
/// If the shapes do not fit, `target` is not i64, or a label is negative.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let logits = Tensor::from_vec(vec![0.9, 0.1, 0.2, 0.8, 0.7, 0.3], &[3, 2]);
/// let target = Tensor::from_vec_i64(vec![0, 1, 1], &[3]);
/// assert!((ferrograd::nn::metrics::accuracy(&logits, &target) - 2.0 / 3.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn accuracy(pred: &Tensor, target: &Tensor) -> f64 {
    let predicted = predicted_labels("accuracy", pred, target);
    let truth = class_labels("accuracy", "target", target, None);
    let correct = predicted.iter().zip(&truth).filter(|(p, t)| p == t).count();
    correct as f64 / truth.len().max(1) as f64
}

/// Fraction of samples whose target is among the `k` highest scores. Ties are broken
/// as scikit-learn's `top_k_accuracy_score` does: among equal scores, the higher class
/// index ranks first.
///
/// # Shapes
/// `scores: [B, C]`, `target: [B]` (i64).
///
/// # Panics
/// If the shapes do not fit, `k` is 0, or a target is not a class index.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let scores = Tensor::from_vec(vec![0.5, 0.3, 0.2, 0.1, 0.2, 0.7], &[2, 3]);
/// let target = Tensor::from_vec_i64(vec![1, 0], &[2]);
/// assert_eq!(ferrograd::nn::metrics::top_k_accuracy(&scores, &target, 2), 0.5);
/// ```
#[track_caller]
pub fn top_k_accuracy(scores: &Tensor, target: &Tensor, k: usize) -> f64 {
    let op = "top_k_accuracy";
    check_dims(op, "scores", scores, 2, "[B, C]");
    check_same_shape(
        op,
        ["scores' rows", "target"],
        &scores.shape()[..1],
        target.shape(),
    );
    if k == 0 {
        Error::new(op, ErrorKind::Value, "k must be ≥ 1").raise();
    }
    let classes = scores.size(1);
    let truth = class_labels(op, "target", target, Some(classes));
    let s = scores.to_vec::<f64>();
    let hits = truth
        .iter()
        .enumerate()
        .filter(|&(i, &y)| {
            let row = &s[i * classes..(i + 1) * classes];
            let ahead = (0..classes)
                .filter(|&j| row[j] > row[y] || (row[j] == row[y] && j > y))
                .count();
            ahead < k
        })
        .count();
    hits as f64 / truth.len().max(1) as f64
}

/// The `[C, C]` confusion matrix of i64 counts: row = true class, column = predicted
/// class, as `sklearn.metrics.confusion_matrix(target, pred)`.
///
/// # Shapes
/// `pred` and `target`: equal shapes of i64 labels. Output `[num_classes,
/// num_classes]`.
///
/// # Panics
/// If the shapes differ or a label is not in `0..num_classes`.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let pred = Tensor::from_vec_i64(vec![0, 1, 1], &[3]);
/// let target = Tensor::from_vec_i64(vec![0, 0, 1], &[3]);
/// let m = ferrograd::nn::metrics::confusion_matrix(&pred, &target, 2);
/// assert_eq!(m.to_vec::<i64>(), vec![1, 1, 0, 1]);
/// ```
#[track_caller]
pub fn confusion_matrix(pred: &Tensor, target: &Tensor, num_classes: usize) -> Tensor {
    let op = "confusion_matrix";
    check_same_shape(op, ["pred", "target"], pred.shape(), target.shape());
    let p = class_labels(op, "pred", pred, Some(num_classes));
    let t = class_labels(op, "target", target, Some(num_classes));
    let mut counts = vec![0; num_classes * num_classes];
    for (&p, &t) in p.iter().zip(&t) {
        counts[t * num_classes + p] += 1;
    }
    Tensor::from_vec_i64(counts, &[num_classes, num_classes])
}

/// Which average [`precision_recall_f1`] reports (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Average {
    /// Only the class `pos_label` (sklearn's `average="binary"`, pos_label 1 usually).
    Binary {
        /// The positive class.
        pos_label: usize,
    },
    /// Unweighted mean over the classes.
    Macro,
    /// From the summed counts of all classes.
    Micro,
    /// Mean weighted by each class's support.
    Weighted,
}

/// Precision, recall and F1 under one [`Average`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrecisionRecallF1 {
    /// TP / (TP + FP): of what was predicted positive, how much was right.
    pub precision: f64,
    /// TP / (TP + FN): of what was positive, how much was found.
    pub recall: f64,
    /// The harmonic mean 2PR / (P + R).
    pub f1: f64,
}

/// `a / b`, or 0 when `b` is 0 (sklearn's `zero_division` default, without the warning).
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

impl PrecisionRecallF1 {
    fn from_counts(tp: f64, fp: f64, fn_: f64) -> Self {
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = ratio(2.0 * precision * recall, precision + recall);
        PrecisionRecallF1 {
            precision,
            recall,
            f1,
        }
    }
}

/// Precision, recall and F1 of predicted labels, averaged as `average` says, over
/// the classes `0..num_classes` (sklearn with `labels=range(num_classes)`).
///
/// # Shapes
/// `pred` and `target`: equal shapes of i64 labels.
///
/// # Panics
/// If the shapes differ, a label is not in `0..num_classes`, or `pos_label` is not.
///
/// # Examples
/// ```
/// use ferrograd::nn::metrics::{Average, precision_recall_f1};
/// use ferrograd::tensor::Tensor;
/// let pred = Tensor::from_vec_i64(vec![1, 1, 0, 1], &[4]);
/// let target = Tensor::from_vec_i64(vec![1, 0, 1, 1], &[4]);
/// let m = precision_recall_f1(&pred, &target, 2, Average::Binary { pos_label: 1 });
/// assert_eq!((m.precision, m.recall), (2.0 / 3.0, 2.0 / 3.0)); // TP 2, FP 1, FN 1
/// ```
#[track_caller]
pub fn precision_recall_f1(
    pred: &Tensor,
    target: &Tensor,
    num_classes: usize,
    average: Average,
) -> PrecisionRecallF1 {
    let m = confusion_matrix(pred, target, num_classes).to_vec::<f64>();
    let c = num_classes;
    let tp = |k: usize| m[k * c + k];
    let predicted = |k: usize| (0..c).map(|t| m[t * c + k]).sum::<f64>();
    let support = |k: usize| (0..c).map(|p| m[k * c + p]).sum::<f64>();
    let class =
        |k: usize| PrecisionRecallF1::from_counts(tp(k), predicted(k) - tp(k), support(k) - tp(k));
    match average {
        Average::Binary { pos_label } => {
            if pos_label >= c {
                Error::new(
                    "precision_recall_f1",
                    ErrorKind::Index,
                    format!("pos_label {pos_label} is not a class in 0..{c}"),
                )
                .raise();
            }
            class(pos_label)
        }
        Average::Micro => {
            let tp: f64 = (0..c).map(tp).sum();
            let total: f64 = m.iter().sum();
            // every wrong prediction is one FP (its column) and one FN (its row)
            PrecisionRecallF1::from_counts(tp, total - tp, total - tp)
        }
        Average::Macro | Average::Weighted => {
            let weights: Vec<f64> = match average {
                Average::Macro => vec![1.0; c],
                _ => (0..c).map(support).collect(),
            };
            let total: f64 = weights.iter().sum();
            let mean = |f: fn(&PrecisionRecallF1) -> f64| {
                ratio((0..c).map(|k| weights[k] * f(&class(k))).sum(), total)
            };
            PrecisionRecallF1 {
                precision: mean(|m| m.precision),
                recall: mean(|m| m.recall),
                f1: mean(|m| m.f1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &[i64]) -> Tensor {
        Tensor::from_vec_i64(v.to_vec(), &[v.len()])
    }

    #[test]
    fn accuracy_from_labels_and_from_spatial_scores() {
        assert_eq!(
            accuracy(&labels(&[0, 2, 1]), &labels(&[0, 2, 2])),
            2.0 / 3.0
        );
        // [B=1, C=2, d=2]: argmax over dim 1 → [1, 0]
        let scores = Tensor::from_vec(vec![0.0, 5.0, 1.0, 2.0], &[1, 2, 2]);
        assert_eq!(
            accuracy(&scores, &Tensor::from_vec_i64(vec![1, 1], &[1, 2])),
            0.5
        );
    }

    #[test]
    fn transposed_scores_are_read_in_logical_order() {
        // stored [C=2, B=3], viewed as [B, C]: argmax rows are [1, 0, 1]
        let stored = Tensor::from_vec(vec![0.1, 0.9, 0.2, 0.8, 0.3, 0.7], &[2, 3]);
        let scores = stored.t();
        assert!(!scores.is_contiguous());
        assert_eq!(accuracy(&scores, &labels(&[1, 0, 1])), 1.0);
        assert_eq!(top_k_accuracy(&scores, &labels(&[0, 0, 0]), 1), 1.0 / 3.0);
    }

    #[test]
    fn top_k_ties_rank_the_higher_class_first() {
        // all scores tied: order is class 2, 1, 0
        let scores = Tensor::from_vec(vec![0.5, 0.5, 0.5], &[1, 3]);
        assert_eq!(top_k_accuracy(&scores, &labels(&[2]), 1), 1.0);
        assert_eq!(top_k_accuracy(&scores, &labels(&[0]), 2), 0.0);
        assert_eq!(top_k_accuracy(&scores, &labels(&[0]), 3), 1.0);
    }

    #[test]
    fn averages_on_a_three_class_example() {
        let target = labels(&[0, 0, 1, 1, 2, 2]);
        let pred = labels(&[0, 1, 1, 1, 2, 0]);
        // class 0: TP1 FP1 FN1 → P=R=F1=½; class 1: TP2 FP1 FN0 → P=⅔ R=1 F1=0.8;
        // class 2: TP1 FP0 FN1 → P=1 R=½ F1=⅔
        let macro_ = precision_recall_f1(&pred, &target, 3, Average::Macro);
        assert!((macro_.precision - (0.5 + 2.0 / 3.0 + 1.0) / 3.0).abs() < 1e-12);
        assert!((macro_.f1 - (0.5 + 0.8 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        let micro = precision_recall_f1(&pred, &target, 3, Average::Micro);
        assert!((micro.f1 - accuracy(&pred, &target)).abs() < 1e-12);
        let binary = precision_recall_f1(&pred, &target, 3, Average::Binary { pos_label: 1 });
        assert_eq!(binary.recall, 1.0);
    }

    #[test]
    fn absent_class_counts_zero_as_sklearn() {
        // class 2 never occurs: P = R = F1 = 0 for it
        let m = precision_recall_f1(&labels(&[0, 1]), &labels(&[0, 1]), 3, Average::Macro);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    #[should_panic(expected = "confusion_matrix: pred holds 3, which is not a class label in 0..3")]
    fn label_out_of_range_panics() {
        confusion_matrix(&labels(&[3]), &labels(&[0]), 3);
    }

    #[test]
    #[should_panic(expected = "top_k_accuracy: scores must have shape [B, C], got [3]")]
    fn top_k_needs_a_matrix() {
        top_k_accuracy(&Tensor::zeros(&[3]), &labels(&[0]), 1);
    }

    #[test]
    #[should_panic(
        expected = "accuracy: pred holds float scores of shape [2, 3], which must be \
                               [B, C, ..] (classes along dim 1) for target's shape [3]"
    )]
    fn accuracy_shape_mismatch_panics() {
        accuracy(&Tensor::zeros(&[2, 3]), &labels(&[0, 0, 0]));
    }

    #[test]
    #[should_panic(expected = "accuracy: pred (labels) has shape [2] but target has shape [3]")]
    fn predicted_labels_must_have_the_target_shape() {
        accuracy(&labels(&[0, 1]), &labels(&[0, 0, 0]));
    }

    #[test]
    fn argmax_predictions_compare_with_i64_labels() {
        let logits = Tensor::from_vec(vec![0.1, 0.9, 0.8, 0.2], &[2, 2]);
        let pred = logits.argmax(-1, false);
        assert_eq!(accuracy(&pred, &labels(&[1, 1])), 0.5);
        assert_eq!(
            confusion_matrix(&pred, &labels(&[1, 1]), 2).to_vec::<i64>(),
            [0, 0, 1, 1]
        );
    }
}
