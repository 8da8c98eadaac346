//! InfoNCE (van den Oord et al. 2018; SimCLR, CLIP, dense retrieval): contrastive
//! learning as classification — "which of these candidates is my positive?".
//!
//! ```text
//! query q: [B, D], positive p: [B, D], negatives n: [B, K, D] (optional)
//! sim(u, v) = u·v                       (Dot)
//!           = u·v / (‖u‖‖v‖)            (Cosine: both normalised first, ‖·‖ ≥ 1e-12,
//!                                        by crate::functional::normalize, which
//!                                        stays exact for vectors of norm 1e30)
//!
//! explicit negatives:  logits[i] = [sim(qᵢ, pᵢ), sim(qᵢ, nᵢ₁), .., sim(qᵢ, nᵢK)] / τ
//!                      target i  = 0
//! in-batch negatives:  logits[i, j] = sim(qᵢ, pⱼ) / τ     (the other rows' positives
//!                      target i     = i                     are the negatives)
//! loss = cross_entropy(logits, target)   (mean over the batch)
//!      = −(1/B) Σᵢ ln( e^(sim(qᵢ,pᵢ)/τ) / Σ_candidates e^(sim(qᵢ,c)/τ) )
//! ```
//! Built on [`crate::loss::cross_entropy`](mod@crate::loss::cross_entropy), so it inherits its stability (log_softmax);
//! the temperature τ sharpens (τ < 1) or flattens the softmax. Similarities are one
//! batched `matmul`, not a loop over pairs.
//! Read next: [`crate::metrics`].

use autograd::Var;
use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use super::cross_entropy;
use crate::functional::normalize;

/// How [`info_nce`] scores a (query, candidate) pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Similarity {
    /// Cosine similarity (vectors normalised to unit length first), as SimCLR.
    #[default]
    Cosine,
    /// The raw dot product, as dense retrievers that learn the scale.
    Dot,
}

/// The InfoNCE loss of `query` against its `positive`, with explicit `negatives` or,
/// when `None`, the other rows' positives as negatives (in-batch). See the module doc.
///
/// # Shapes
/// `query`, `positive`: `[B, D]`; `negatives`: `[B, K, D]`. Output: 0-d (mean).
///
/// # Panics
/// If the shapes do not fit or `temperature` is not > 0.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{Similarity, info_nce};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let q = Var::param(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]));
/// let p = Var::new(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]));
/// let loss = info_nce(&q, &p, None, 0.1, Similarity::Cosine);
/// // each row: −ln(e^10 / (e^10 + e^0))
/// assert!((loss.item() - (1.0 + (-10f64).exp()).ln()).abs() < 1e-6);
/// loss.backward();
/// ```
#[track_caller]
pub fn info_nce(
    query: &Var,
    positive: &Var,
    negatives: Option<&Var>,
    temperature: f64,
    similarity: Similarity,
) -> Var {
    check_shapes(query, positive, negatives, temperature);
    let prepare = |x: &Var| match similarity {
        Similarity::Cosine => normalize(x, -1, 1e-12),
        Similarity::Dot => x.clone(),
    };
    let (q, p) = (prepare(query), prepare(positive));
    let batch = query.shape()[0];
    let (logits, target) = match negatives {
        Some(n) => {
            let n = prepare(n);
            let positive_logit = (&q * &p).sum_dim(-1, true); // [B, 1]
            let negative_logits = n.matmul(&q.unsqueeze(-1)).squeeze(-1); // [B, K]
            let logits = Var::cat(&[positive_logit, negative_logits], 1);
            (logits, Tensor::zeros_dtype(&[batch], DType::I64))
        }
        None => {
            let logits = q.matmul(&p.t()); // [B, B]
            (logits, Tensor::arange_i64(0, batch as i64, 1))
        }
    };
    cross_entropy(&(&logits * (1.0 / temperature)), &target)
}

#[track_caller]
fn check_shapes(query: &Var, positive: &Var, negatives: Option<&Var>, temperature: f64) {
    let (q, p) = (query.shape(), positive.shape());
    let problem = if q.len() != 2 || q[0] == 0 {
        Some(format!(
            "query must have shape [B, D] with B ≥ 1, got {q:?}"
        ))
    } else if p != q {
        Some(format!(
            "positive must have the query's shape {q:?}, got {p:?}"
        ))
    } else if let Some(n) = negatives.map(Var::shape)
        && (n.len() != 3 || n[0] != q[0] || n[2] != q[1])
    {
        Some(format!(
            "negatives must have shape [B, K, D] = [{}, K, {}], got {n:?}",
            q[0], q[1]
        ))
    } else if !(temperature > 0.0 && temperature.is_finite()) {
        Some(format!("temperature must be > 0, got {temperature}"))
    } else {
        None
    };
    if let Some(message) = problem {
        Error::new("info_nce", ErrorKind::Shape, message)
            .with_hint("pass negatives = None to use the other rows' positives as negatives")
            .raise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[f64], shape: &[usize]) -> Var {
        Var::param(Tensor::from_vec_f64(values.to_vec(), shape))
    }

    #[test]
    fn dot_in_batch_equals_cross_entropy_on_the_similarity_matrix() {
        let q = rows(&[1.0, 2.0, 0.5, -1.0, 0.0, 1.0], &[3, 2]);
        let p = rows(&[0.5, 1.0, 1.0, 0.0, -1.0, 2.0], &[3, 2]);
        let a = info_nce(&q, &p, None, 0.5, Similarity::Dot).item();
        let sims = &q.value().matmul(&p.value().t()) * 2.0;
        let b = cross_entropy(&Var::new(sims), &Tensor::arange_i64(0, 3, 1)).item();
        assert!((a - b).abs() < 1e-12);
    }

    #[test]
    fn explicit_negatives_put_the_positive_in_column_zero() {
        // q = e₁, p = e₁ (cos 1), negatives e₂ and −e₁ (cos 0 and −1), τ = 1
        let q = rows(&[2.0, 0.0], &[1, 2]);
        let p = rows(&[1.0, 0.0], &[1, 2]);
        let n = rows(&[0.0, 3.0, -1.0, 0.0], &[1, 2, 2]);
        let l = info_nce(&q, &p, Some(&n), 1.0, Similarity::Cosine).item();
        let e = std::f64::consts::E;
        assert!((l - ((e + 1.0 + 1.0 / e) / e).ln()).abs() < 1e-12);
    }

    #[test]
    fn zero_vectors_have_finite_gradients() {
        let q = Var::param(Tensor::zeros(&[2, 3]).to_dtype(DType::F64));
        let p = rows(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], &[2, 3]);
        let l = info_nce(&q, &p, None, 0.07, Similarity::Cosine);
        assert!((l.item() - 2f64.ln()).abs() < 1e-12); // all similarities 0
        l.backward();
        assert!(
            q.grad()
                .unwrap()
                .to_vec::<f64>()
                .iter()
                .all(|g| g.is_finite())
        );
    }

    #[test]
    fn cosine_is_the_same_at_1e30_as_at_unit_scale() {
        // f32, as a user would have it: ‖x‖² of 1e30-sized vectors overflows to inf
        let values = [
            0.3, -1.2, 0.7, 2.0, 0.1, -0.4, 1.5, 0.2, -0.9, 0.6, 1.1, -0.3,
        ];
        let run = |scale: f64, negatives: bool| {
            let v = |from: usize, shape: &[usize]| {
                let n: usize = shape.iter().product();
                let data = (0..n)
                    .map(|i| (values[(from + i) % 12] * scale) as f32)
                    .collect();
                Var::param(Tensor::from_vec(data, shape))
            };
            let (q, p, n) = (v(0, &[2, 3]), v(5, &[2, 3]), v(3, &[2, 2, 3]));
            let loss = info_nce(&q, &p, negatives.then_some(&n), 0.1, Similarity::Cosine);
            loss.backward();
            // ∂loss/∂q scales as 1/scale (the loss is scale-free)
            let grad: Vec<f64> = q.grad().unwrap().mul_scalar(scale).to_vec();
            (loss.item(), grad)
        };
        for negatives in [false, true] {
            let (unit, unit_grad) = run(1.0, negatives);
            let (huge, huge_grad) = run(1e30, negatives);
            assert!(
                (huge - unit).abs() < 1e-5,
                "loss {huge} at 1e30, {unit} at 1"
            );
            assert!(unit_grad.iter().any(|g| g.abs() > 1e-3));
            for (h, u) in huge_grad.iter().zip(&unit_grad) {
                assert!((h - u).abs() < 1e-4, "{huge_grad:?} vs {unit_grad:?}");
            }
        }
    }

    #[test]
    #[should_panic(
        expected = "info_nce: negatives must have shape [B, K, D] = [1, K, 2], got [1, 2, 3]"
    )]
    fn bad_negatives_shape_panics() {
        let q = rows(&[1.0, 0.0], &[1, 2]);
        let n = Var::new(Tensor::zeros(&[1, 2, 3]));
        info_nce(&q, &q, Some(&n), 1.0, Similarity::Dot);
    }

    #[test]
    #[should_panic(expected = "info_nce: temperature must be > 0, got 0")]
    fn zero_temperature_panics() {
        let q = rows(&[1.0, 0.0], &[1, 2]);
        info_nce(&q, &q, None, 0.0, Similarity::Dot);
    }
}
