//! The training loss of the two towers: InfoNCE over the batch's documents, the
//! in-batch negatives, plus any hard negatives appended after them (DPR's "in-batch +
//! hard negatives"; ANCE mines them from the index).
//!
//! ```text
//! q: [B, C] queries, d: [B + M, C] documents; row i of d is query i's positive,
//!    rows B.. are M extra (hard) negatives shared by every query
//! s = e^λ                                 λ = log-scale, ln(1/τ) (fixed or learned)
//! logits[i, j] = s · q̂ᵢ · d̂ⱼ              cosine similarity, û = u / ‖u‖
//! loss = −(1/B) Σᵢ ln( e^logits[i,i] / Σⱼ e^logits[i,j] )   cross-entropy, target i
//! ```
//! With M = 0 and λ fixed this is `ferrograd::nn::loss::info_nce` with in-batch negatives and
//! temperature τ = 1/s (tested below); learning λ is CLIP's learned temperature.
//! Cost: one `[B, C] × [C, B + M]` product.
//! Read next: `negatives.rs`.

use autograd::Var;
use nn::functional::normalize;
use nn::loss::cross_entropy;
use tensor::{Error, ErrorKind, Tensor};

/// The in-batch InfoNCE loss with extra negatives (module doc).
///
/// # Shapes
/// `queries: [B, C]`, `documents: [B + M, C]`, `log_scale`: 0-d. Output: 0-d.
///
/// # Panics
/// If `documents` has fewer rows than `queries` or another width.
///
/// # Examples
/// ```
/// use ferrograd::prelude::*;
/// use ferrograd::retrieval::contrastive_loss;
/// let q = Var::param(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]));
/// // the positives, then one extra negative shared by both queries
/// let d = Var::new(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]));
/// let loss = contrastive_loss(&q, &d, &Var::new(Tensor::scalar(0.0)));
/// // each row: logits (1, 0, 1/√2) at scale 1, target the first
/// let expected = -(1f64.exp() / (1f64.exp() + 1.0 + 0.5f64.sqrt().exp())).ln();
/// assert!((loss.item() - expected).abs() < 1e-6);
/// loss.backward();
/// ```
#[track_caller]
pub fn contrastive_loss(queries: &Var, documents: &Var, log_scale: &Var) -> Var {
    let (q, d) = (queries.shape(), documents.shape());
    if q.len() != 2 || d.len() != 2 || d[0] < q[0] || d[1] != q[1] || q[0] == 0 {
        Error::new(
            "contrastive_loss",
            ErrorKind::Shape,
            format!("queries must be [B, C] and documents [B + M, C], got {q:?} and {d:?}"),
        )
        .with_hint("documents hold the B positives first, then the extra negatives")
        .raise();
    }
    let (q_hat, d_hat) = (
        normalize(queries, -1, 1e-12),
        normalize(documents, -1, 1e-12),
    );
    let logits = &q_hat.matmul(&d_hat.t()) * &log_scale.exp(); // [B, B + M]
    cross_entropy(&logits, &Tensor::arange_i64(0, q[0] as i64, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nn::loss::{Similarity, info_nce};

    #[test]
    fn without_extra_negatives_it_is_in_batch_info_nce() {
        tensor::manual_seed(3);
        let q = Var::param(Tensor::randn(&[5, 4]));
        let d = Var::param(Tensor::randn(&[5, 4]));
        let tau = 0.07;
        let ours = contrastive_loss(&q, &d, &Var::new(Tensor::scalar((1.0 / tau) as f32)).log());
        let reference = info_nce(&q, &d, None, tau, Similarity::Cosine);
        assert!((ours.item() - reference.item()).abs() < 1e-4);
    }

    #[test]
    fn the_loss_gradchecks_in_queries_documents_and_scale() {
        tensor::manual_seed(4);
        let f64s = |shape: &[usize]| Tensor::randn(shape).to_dtype(tensor::DType::F64);
        let inputs = [
            f64s(&[3, 4]),
            f64s(&[5, 4]),
            Tensor::scalar(0.5).to_dtype(tensor::DType::F64),
        ];
        autograd::gradcheck(|v: &[Var]| contrastive_loss(&v[0], &v[1], &v[2]), &inputs)
            .assert_passed();
    }

    #[test]
    #[should_panic(expected = "documents hold the B positives first")]
    fn fewer_documents_than_queries_is_an_error() {
        let q = Var::new(Tensor::zeros(&[3, 2]));
        contrastive_loss(
            &q,
            &Var::new(Tensor::zeros(&[2, 2])),
            &Var::new(Tensor::scalar(0.0)),
        );
    }
}
