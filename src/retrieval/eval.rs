//! How well the towers retrieve: every query scored against every candidate document
//! (exact search, one matrix product), then the ranking metrics of `nn::metrics`.
//!
//! ```text
//! scores = Q̂ · D̂ᵀ                       [Q, L], cosine similarities
//! recall@k = fraction of queries whose relevant document is among its k best
//!          = nn::metrics::top_k_accuracy(scores, relevant, k)   (one relevant each)
//! MRR      = mean of 1 / rank of the relevant document   (nn::metrics::mrr)
//! ```
//! Read next: `examples/retrieval/main.rs`.

use std::fmt;

use nn::metrics::{mrr, top_k_accuracy};
use tensor::Tensor;

/// Recall at 1, 5, 10 and the mean reciprocal rank, each in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetrievalMetrics {
    /// Fraction of queries whose document ranks first.
    pub recall_at_1: f64,
    /// Fraction with the document among the first 5.
    pub recall_at_5: f64,
    /// Fraction with the document among the first 10.
    pub recall_at_10: f64,
    /// Mean reciprocal rank of the document.
    pub mrr: f64,
}

impl fmt::Display for RetrievalMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "R@1 {:.3}  R@5 {:.3}  R@10 {:.3}  MRR {:.3}",
            self.recall_at_1, self.recall_at_5, self.recall_at_10, self.mrr
        )
    }
}

/// Score every query against every document; query `i`'s relevant document is row
/// `relevant[i]` of `documents`.
///
/// # Shapes
/// `queries`: `[Q, C]`, `documents`: `[L, C]` (unit rows: the score is the cosine),
/// `relevant`: `Q` ids in `0..L`.
///
/// # Panics
/// If the shapes do not fit or an id is out of range.
///
/// # Examples
/// ```
/// use ferrograd::retrieval::evaluate;
/// use ferrograd::prelude::*;
/// let docs = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8], &[3, 2]);
/// let queries = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]);
/// // query 1's document 2 ranks second (behind document 1)
/// let m = evaluate(&queries, &docs, &[0, 2]);
/// assert_eq!((m.recall_at_1, m.recall_at_5, m.mrr), (0.5, 1.0, 0.75));
/// ```
#[track_caller]
pub fn evaluate(queries: &Tensor, documents: &Tensor, relevant: &[usize]) -> RetrievalMetrics {
    let scores = queries.matmul(&documents.t()); // [Q, L]
    let l = documents.shape()[0];
    assert_eq!(
        relevant.len(),
        queries.shape()[0],
        "evaluate: {} relevant ids for {} queries",
        relevant.len(),
        queries.shape()[0]
    );
    let target = Tensor::from_vec_i64(
        relevant.iter().map(|&i| i as i64).collect(),
        &[relevant.len()],
    );
    let mut one_hot = vec![0.0f32; relevant.len() * l];
    for (row, &i) in relevant.iter().enumerate() {
        one_hot[row * l + i] = 1.0;
    }
    RetrievalMetrics {
        recall_at_1: top_k_accuracy(&scores, &target, 1),
        recall_at_5: top_k_accuracy(&scores, &target, 5),
        recall_at_10: top_k_accuracy(&scores, &target, 10),
        mrr: mrr(&scores, &Tensor::from_vec(one_hot, &[relevant.len(), l])),
    }
}
