//! Ranking metrics over a batch of queries: each row of `scores` ranks that query's
//! candidates; the same row of `relevance` says how relevant each one really is.
//!
//! ```text
//! NDCG@k (sklearn's ndcg_score, linear gains, log₂ discount):
//!   DCG@k   = Σ_{rank r < k} rel(r) / log₂(r + 2)        (r counted from 0)
//!   ties:   tied candidates share their positions: each gets the group's mean
//!           relevance times the group's summed discount (order-independent)
//!   NDCG@k  = DCG@k / IDCG@k   (IDCG: candidates sorted by relevance); 0 if IDCG = 0
//! MRR:      1 / rank of the best-scored relevant candidate, rank = #{scores ≥ it}
//!           (ties count against you); 0 for a query with no relevant candidate
//! MAP:      mean over queries with ≥ 1 relevant candidate of average_precision(row)
//! ```
//! Every metric is the mean over queries. With exactly one relevant candidate per
//! query, MRR equals scikit-learn's `label_ranking_average_precision_score`.
//! Read next: the `optim` crate.

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::curves::average_precision;
use super::{check_dims, check_same_shape, finite_scores};

/// Check the `[Q, L]` pair and return `(scores, relevance, L)` as flat vectors.
#[track_caller]
fn rows(op: &'static str, scores: &Tensor, relevance: &Tensor) -> (Vec<f64>, Vec<f64>, usize) {
    check_dims(op, "scores", scores, 2, "[Q, L] (queries × candidates)");
    check_same_shape(
        op,
        ["scores", "relevance"],
        scores.shape(),
        relevance.shape(),
    );
    let r = relevance.to_vec::<f64>();
    if let Some(bad) = r.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        Error::new(
            op,
            ErrorKind::Value,
            format!("relevance must be finite and ≥ 0, found {bad}"),
        )
        .raise();
    }
    (finite_scores(op, scores), r, scores.size(1))
}

/// Tie-averaged DCG of one query (sklearn's `_tie_averaged_dcg`), `discount` holding
/// 1/log₂(r + 2) for ranks below k and 0 beyond.
fn tie_averaged_dcg(scores: &[f64], relevance: &[f64], discount: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut dcg = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        let mean_gain =
            order[start..end].iter().map(|&i| relevance[i]).sum::<f64>() / (end - start) as f64;
        dcg += mean_gain * discount[start..end].iter().sum::<f64>();
        start = end;
    }
    dcg
}

/// Normalised discounted cumulative gain at `k` (all candidates if `None`), mean over
/// queries, as `sklearn.metrics.ndcg_score(relevance, scores, k=k)`.
///
/// # Shapes
/// `scores`, `relevance`: `[Q, L]`, relevance ≥ 0 (graded or 0/1).
///
/// # Panics
/// If the shapes differ, `k` is 0, a relevance is negative, or a score not finite.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let scores = Tensor::from_vec(vec![0.9, 0.1, 0.5], &[1, 3]);
/// let relevance = Tensor::from_vec(vec![0.0, 1.0, 2.0], &[1, 3]);
/// // DCG = 0 + 2/log₂3 + 1/2; IDCG = 2 + 1/log₂3
/// let expected = (2.0 / 3f64.log2() + 0.5) / (2.0 + 1.0 / 3f64.log2());
/// assert!((ferrograd::nn::metrics::ndcg_at_k(&scores, &relevance, None) - expected).abs() < 1e-12);
/// ```
#[track_caller]
pub fn ndcg_at_k(scores: &Tensor, relevance: &Tensor, k: Option<usize>) -> f64 {
    let op = "ndcg_at_k";
    let (s, r, l) = rows(op, scores, relevance);
    if k == Some(0) {
        Error::new(op, ErrorKind::Value, "k must be ≥ 1 (or None for all)").raise();
    }
    let cutoff = k.unwrap_or(l).min(l);
    let discount: Vec<f64> = (0..l)
        .map(|r| {
            if r < cutoff {
                1.0 / ((r + 2) as f64).log2()
            } else {
                0.0
            }
        })
        .collect();
    let queries = s.len() / l.max(1);
    let total: f64 = (0..queries)
        .map(|q| {
            let (sq, rq) = (&s[q * l..(q + 1) * l], &r[q * l..(q + 1) * l]);
            let mut ideal = rq.to_vec();
            ideal.sort_by(|a, b| b.total_cmp(a));
            let idcg: f64 = ideal.iter().zip(&discount).map(|(g, d)| g * d).sum();
            if idcg == 0.0 {
                0.0
            } else {
                tie_averaged_dcg(sq, rq, &discount) / idcg
            }
        })
        .sum();
    total / queries.max(1) as f64
}

/// Mean reciprocal rank of the first relevant candidate (relevance > 0), with ties
/// counted pessimistically; queries without a relevant candidate score 0.
///
/// # Shapes
/// `scores`, `relevance`: `[Q, L]`.
///
/// # Panics
/// If the shapes differ, a relevance is negative, or a score not finite.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// let scores = Tensor::from_vec(vec![0.9, 0.8, 0.1, 0.3, 0.2, 0.7], &[2, 3]);
/// let relevant = Tensor::from_vec(vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0], &[2, 3]);
/// assert_eq!(ferrograd::nn::metrics::mrr(&scores, &relevant), (1.0 / 2.0 + 1.0 / 2.0) / 2.0);
/// ```
#[track_caller]
pub fn mrr(scores: &Tensor, relevance: &Tensor) -> f64 {
    let (s, r, l) = rows("mrr", scores, relevance);
    let queries = s.len() / l.max(1);
    let total: f64 = (0..queries)
        .map(|q| {
            let (sq, rq) = (&s[q * l..(q + 1) * l], &r[q * l..(q + 1) * l]);
            let best = (0..l)
                .filter(|&i| rq[i] > 0.0)
                .map(|i| sq[i])
                .max_by(f64::total_cmp);
            best.map_or(0.0, |b| 1.0 / sq.iter().filter(|&&v| v >= b).count() as f64)
        })
        .sum();
    total / queries.max(1) as f64
}

/// Mean average precision: the mean over queries of [`average_precision`] of that
/// query's row (relevance > 0 counts as relevant); queries with no relevant
/// candidate are left out (their AP is undefined). NaN if no query has one.
///
/// # Shapes
/// `scores`, `relevance`: `[Q, L]`.
///
/// # Panics
/// If the shapes differ, a relevance is negative, or a score not finite.
#[track_caller]
pub fn mean_average_precision(scores: &Tensor, relevance: &Tensor) -> f64 {
    let (s, r, l) = rows("mean_average_precision", scores, relevance);
    let queries = s.len() / l.max(1);
    let per_query: Vec<f64> = (0..queries)
        .filter(|&q| r[q * l..(q + 1) * l].iter().any(|&v| v > 0.0))
        .map(|q| {
            let relevant: Vec<bool> = r[q * l..(q + 1) * l].iter().map(|&v| v > 0.0).collect();
            let row = Tensor::from_vec_f64(s[q * l..(q + 1) * l].to_vec(), &[l]);
            average_precision(&row, &Tensor::from_vec_bool(relevant, &[l]))
        })
        .collect();
    per_query.iter().sum::<f64>() / per_query.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec_f64(v.to_vec(), shape)
    }

    #[test]
    fn ndcg_of_a_perfect_ranking_is_one_and_ties_average() {
        let rel = m(&[3.0, 2.0, 0.0], &[1, 3]);
        assert!((ndcg_at_k(&m(&[0.9, 0.5, 0.1], &[1, 3]), &rel, None) - 1.0).abs() < 1e-12);
        // all scores tied: DCG = mean gain 5/3 × (1 + 1/log₂3 + ½)
        let tied = ndcg_at_k(&m(&[0.5, 0.5, 0.5], &[1, 3]), &rel, None);
        let d = [1.0, 1.0 / 3f64.log2(), 0.5];
        let expected = (5.0 / 3.0) * (d[0] + d[1] + d[2]) / (3.0 * d[0] + 2.0 * d[1]);
        assert!((tied - expected).abs() < 1e-12);
    }

    #[test]
    fn ndcg_at_one_and_all_irrelevant_query() {
        let rel = m(&[0.0, 1.0, 0.0, 0.0], &[2, 2]);
        let scores = m(&[0.9, 0.1, 0.3, 0.4], &[2, 2]);
        // query 0 ranks the irrelevant item first: 0; query 1 has no relevant item: 0
        assert_eq!(ndcg_at_k(&scores, &rel, Some(1)), 0.0);
    }

    #[test]
    fn mrr_counts_ties_against_the_model() {
        let scores = m(&[0.5, 0.5, 0.1], &[1, 3]);
        assert_eq!(mrr(&scores, &m(&[1.0, 0.0, 0.0], &[1, 3])), 0.5);
        assert_eq!(mrr(&scores, &m(&[0.0, 0.0, 0.0], &[1, 3])), 0.0);
    }

    #[test]
    fn map_skips_queries_without_relevant_items() {
        let scores = m(&[0.9, 0.8, 0.7, 0.1, 0.2, 0.3], &[2, 3]);
        let rel = m(&[1.0, 0.0, 1.0, 0.0, 0.0, 0.0], &[2, 3]);
        assert!((mean_average_precision(&scores, &rel) - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    #[should_panic(expected = "ndcg_at_k: relevance must be finite and ≥ 0, found -1")]
    fn negative_relevance_panics() {
        ndcg_at_k(&m(&[0.1, 0.2], &[1, 2]), &m(&[-1.0, 0.0], &[1, 2]), None);
    }

    #[test]
    #[should_panic(expected = "mrr: scores must have shape [Q, L] (queries × candidates), got [2]")]
    fn one_dim_scores_panic() {
        mrr(&m(&[0.1, 0.2], &[2]), &m(&[1.0, 0.0], &[2]));
    }
}
