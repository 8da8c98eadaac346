//! Evaluation metrics: plain functions of [`Tensor`]s (no gradients, no graph) that
//! return `f64`s, with scikit-learn's definitions so numbers can be compared.
//!
//! ```text
//! classification   accuracy, top_k_accuracy, confusion_matrix, precision_recall_f1
//! curves           roc_curve, roc_auc, precision_recall_curve, average_precision
//! ranking          ndcg_at_k, mrr, mean_average_precision
//! language models  perplexity = exp(mean cross-entropy in nats)
//! ```
//! Argument order is `(predictions, targets)` everywhere, as in torchmetrics — note
//! that scikit-learn's is `(y_true, y_score)`. Class labels are i64 tensors (like
//! every index in ferrograd, and `argmax`'s result); binary labels are bool or i64
//! 0/1 tensors; scores are float tensors. A metric checks its inputs and panics with a
//! message naming itself if one is not a valid label.
//! Files: [`classification`], [`curves`], [`ranking_metrics`].
//! Read next: the optimizers (`optim` crate).

pub mod classification;
pub mod curves;
pub mod ranking_metrics;

pub use classification::{
    Average, PrecisionRecallF1, accuracy, confusion_matrix, precision_recall_f1, top_k_accuracy,
};
pub use curves::{
    PrecisionRecallCurve, RocCurve, average_precision, precision_recall_curve, roc_auc, roc_curve,
};
pub use ranking_metrics::{mean_average_precision, mrr, ndcg_at_k};

use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::index::check_index_dtype;
use tensor::{DType, Tensor};

/// Perplexity `exp(L)` of a language model whose mean cross-entropy per token is `L`
/// nats: the effective number of equally likely choices it hesitates between.
///
/// # Examples
/// ```
/// // a model as unsure as a uniform guess over 50 words has perplexity 50
/// let ppl = ferrograd::nn::metrics::perplexity(50f64.ln());
/// assert!((ppl - 50.0).abs() < 1e-9);
/// ```
pub fn perplexity(mean_loss: f64) -> f64 {
    mean_loss.exp()
}

/// Panic unless `a` and `b` have equal shapes.
#[track_caller]
pub(crate) fn check_same_shape(op: &'static str, what: [&str; 2], a: &[usize], b: &[usize]) {
    if a != b {
        Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "{} has shape {a:?} but {} has shape {b:?}",
                what[0], what[1]
            ),
        )
        .raise();
    }
}

/// Panic unless `t` has `dims` dims (`shape_text` describes the expected shape).
#[track_caller]
pub(crate) fn check_dims(op: &'static str, name: &str, t: &Tensor, dims: usize, shape_text: &str) {
    if t.dims() != dims {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("{name} must have shape {shape_text}, got {:?}", t.shape()),
        )
        .raise();
    }
}

/// The values of the i64 tensor `t` as class labels, each below `num_classes` if
/// given.
#[track_caller]
pub(crate) fn class_labels(
    op: &'static str,
    name: &str,
    t: &Tensor,
    num_classes: Option<usize>,
) -> Vec<usize> {
    check_index_dtype(op, name, t).or_raise();
    t.to_vec::<i64>()
        .into_iter()
        .map(|y| {
            let bound = num_classes.map_or(i64::MAX, |c| c as i64);
            if !(0..bound).contains(&y) {
                let range = num_classes.map_or("0, 1, ..".to_string(), |c| format!("0..{c}"));
                Error::new(
                    op,
                    ErrorKind::Index,
                    format!("{name} holds {y}, which is not a class label in {range}"),
                )
                .raise();
            }
            y as usize
        })
        .collect()
}

/// The values of `t` as binary labels: a bool tensor, or an i64 tensor of 1 → true,
/// 0 → false (anything else panics).
#[track_caller]
pub(crate) fn binary_labels(op: &'static str, t: &Tensor) -> Vec<bool> {
    if t.dtype() == DType::Bool {
        return t.to_vec::<bool>();
    }
    check_index_dtype(op, "labels", t)
        .map_err(|e| e.with_hint("binary labels are bool (e.g. target.eq_scalar(1.0)) or i64 0/1"))
        .or_raise();
    t.to_vec::<i64>()
        .into_iter()
        .map(|y| {
            if y != 0 && y != 1 {
                Error::new(
                    op,
                    ErrorKind::Value,
                    format!("labels must be 0 or 1, found {y}"),
                )
                .with_hint("for multi-class problems, compute one-vs-rest labels (target == class)")
                .raise();
            }
            y == 1
        })
        .collect()
}

/// The values of `t`, panicking on NaN or infinity (scores must be comparable).
#[track_caller]
pub(crate) fn finite_scores(op: &'static str, t: &Tensor) -> Vec<f64> {
    let v = t.to_vec::<f64>();
    if let Some(bad) = v.iter().find(|s| !s.is_finite()) {
        Error::new(
            op,
            ErrorKind::Value,
            format!("scores must be finite, found {bad}"),
        )
        .raise();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perplexity_of_zero_loss_is_one() {
        assert_eq!(perplexity(0.0), 1.0);
        assert!((perplexity(2f64.ln()) - 2.0).abs() < 1e-12);
    }

    #[test]
    #[should_panic(expected = "accuracy: target must be an i64 tensor, got f32 [1]")]
    fn float_labels_panic() {
        let labels = Tensor::from_vec(vec![1.0], &[1]);
        class_labels("accuracy", "target", &labels, Some(3));
    }

    #[test]
    #[should_panic(expected = "accuracy: target holds 3, which is not a class label in 0..3")]
    fn out_of_range_label_panics() {
        let labels = Tensor::from_vec_i64(vec![3], &[1]);
        class_labels("accuracy", "target", &labels, Some(3));
    }

    #[test]
    #[should_panic(expected = "roc_auc: labels must be 0 or 1, found 2")]
    fn non_binary_label_panics() {
        binary_labels("roc_auc", &Tensor::from_vec_i64(vec![0, 2], &[2]));
    }

    #[test]
    fn binary_labels_are_bool_or_i64() {
        let from_bool = binary_labels("roc_auc", &Tensor::from_vec_bool(vec![true, false], &[2]));
        let from_i64 = binary_labels("roc_auc", &Tensor::from_vec_i64(vec![1, 0], &[2]));
        assert_eq!(
            (from_bool, from_i64),
            (vec![true, false], vec![true, false])
        );
    }

    #[test]
    #[should_panic(
        expected = "roc_auc: labels must be an i64 tensor, got f32 [1]. Hint: \
                               binary labels are bool"
    )]
    fn float_binary_labels_panic() {
        binary_labels("roc_auc", &Tensor::from_vec(vec![1.0], &[1]));
    }

    #[test]
    #[should_panic(expected = "roc_curve: scores must be finite, found NaN")]
    fn nan_score_panics() {
        finite_scores("roc_curve", &Tensor::from_vec(vec![f32::NAN], &[1]));
    }
}
