//! The steps between a model's logits and the distribution a sampler draws from, one
//! function each, in the order [`super::SamplingConfig`] applies them:
//!
//! ```text
//! logits ─ repetition_penalty ─ temperature ─ softmax ─ top_k ─ top_p ─ min_p ─→ probs
//!          (on logits: scores)                          (on probabilities: filters)
//! ```
//! The first two change scores; the filters keep a set of tokens, set the others'
//! probability to 0 and renormalise each row to sum 1, so a learner can print a
//! distribution before and after each one. For `p = [0.5, 0.2, 0.15, 0.1, 0.05]`:
//!
//! ```text
//! top_k(p, 2)      [0.714, 0.286, 0,     0,     0]   the 2 most probable
//! top_p(p, 0.8)    [0.588, 0.235, 0.176, 0,     0]   0.5 + 0.2 < 0.8 ≤ 0.5 + 0.2 + 0.15
//! min_p(p, 0.3)    [0.588, 0.235, 0.176, 0,     0]   p ≥ 0.3 · 0.5 = 0.15
//! ```
//! Every function works on the last dim, so `[V]` and `[B, V]` both work. Ties:
//! `top_k` and `top_p` rank equal probabilities by token id (the lower id first, as
//! `argmax` does), so the kept set is always exactly k tokens, or exactly the smallest
//! set reaching p; `min_p` keeps every token at or above its threshold.
//! Read next: [`super::sampling`].

use tensor::{Error, ErrorKind, Tensor};

/// Check that `value` lies in the range `ok` says, else raise a value error of `op`.
#[track_caller]
fn check_value(op: &'static str, name: &str, value: f64, ok: bool, range: &str) {
    if !ok {
        Error::new(
            op,
            ErrorKind::Value,
            format!("{name} = {value} is outside {range}"),
        )
        .raise();
    }
}

/// Each row divided by its sum, so it sums to 1 again.
fn renormalise(probs: &Tensor) -> Tensor {
    probs / &probs.sum_dim(-1, true)
}

/// Logits divided by the temperature `τ`, which sharpens (`τ < 1`) or flattens (`τ > 1`)
/// the distribution `softmax(logits / τ)`.
///
/// ```text
/// softmax(z / τ)ᵢ = exp(zᵢ/τ) / Σⱼ exp(zⱼ/τ)     τ → 0: all mass on the argmax (greedy)
///                                                τ = 1: the model's distribution
///                                                τ → ∞: uniform
/// ```
///
/// # Shapes
/// Any shape; the output has the input's shape.
///
/// # Panics
/// If `τ` is not a positive finite number (for `τ → 0` use greedy decoding).
///
/// # Examples
/// ```
/// # use nn::decoding::processors::temperature; use tensor::Tensor;
/// let logits = Tensor::from_vec(vec![2.0, 1.0, 0.0], &[3]);
/// let sharp = temperature(&logits, 0.5).softmax(-1).to_vec::<f32>();
/// let flat = temperature(&logits, 2.0).softmax(-1).to_vec::<f32>();
/// assert!(sharp[0] > 0.85 && flat[0] < 0.55);
/// ```
#[track_caller]
pub fn temperature(logits: &Tensor, tau: f64) -> Tensor {
    check_value(
        "temperature",
        "τ",
        tau,
        tau > 0.0 && tau.is_finite(),
        "(0, ∞); for τ → 0 use greedy decoding",
    );
    logits * (1.0 / tau)
}

/// The repetition penalty of CTRL (Keskar et al. 2019): the logit of every token that
/// already occurs in a row's prefix is moved towards "less likely" by a factor θ.
///
/// ```text
/// z'ᵥ = zᵥ / θ   if v is in the prefix and zᵥ > 0
///       zᵥ · θ   if v is in the prefix and zᵥ ≤ 0        (θ > 1 penalises, θ = 1 does nothing)
///       zᵥ       otherwise
/// ```
/// Dividing a positive logit and multiplying a negative one both lower it (a plain
/// division would *raise* a negative logit). Each token counts once, however often it
/// occurs.
///
/// # Shapes
/// `logits: [B, V]`, one prefix per row → `[B, V]`.
///
/// # Panics
/// If `θ` is not a positive finite number, the logits are not `[prefixes.len(), V]`,
/// or a prefix holds a token id `≥ V`.
///
/// # Examples
/// ```
/// # use nn::decoding::processors::repetition_penalty; use tensor::Tensor;
/// let logits = Tensor::from_vec(vec![2.0, -1.0, 3.0], &[1, 3]);
/// let out = repetition_penalty(&logits, &[vec![0, 1, 1]], 2.0);
/// assert_eq!(out.to_vec::<f32>(), vec![1.0, -2.0, 3.0]); // tokens 0 and 1 occurred
/// ```
#[track_caller]
pub fn repetition_penalty(logits: &Tensor, prefixes: &[Vec<usize>], theta: f64) -> Tensor {
    const OP: &str = "repetition_penalty";
    check_value(OP, "θ", theta, theta > 0.0 && theta.is_finite(), "(0, ∞)");
    let &[batch, vocab] = logits.shape() else {
        Error::new(
            OP,
            ErrorKind::Shape,
            format!("logits must be [B, V], got {:?}", logits.shape()),
        )
        .raise()
    };
    if batch != prefixes.len() {
        Error::new(
            OP,
            ErrorKind::Shape,
            format!(
                "logits [{batch}, {vocab}] have {batch} rows for {} prefixes",
                prefixes.len()
            ),
        )
        .raise();
    }
    let mut seen = vec![false; batch * vocab];
    for (b, prefix) in prefixes.iter().enumerate() {
        for &token in prefix {
            if token >= vocab {
                Error::new(
                    OP,
                    ErrorKind::Index,
                    format!("prefix {b} holds token {token}, outside the vocabulary of {vocab}"),
                )
                .raise();
            }
            seen[b * vocab + token] = true;
        }
    }
    let seen = Tensor::from_vec_bool(seen, &[batch, vocab]);
    let penalised = Tensor::where_cond(
        &logits.gt_scalar(0.0),
        &(logits * (1.0 / theta)),
        &(logits * theta),
    );
    Tensor::where_cond(&seen, &penalised, logits)
}

/// Top-k filtering (Fan et al. 2018): keep the `k` most probable tokens of each row,
/// zero the others, renormalise.
///
/// ```text
/// p'ᵥ = pᵥ / Σ_{u ∈ K} pᵤ  if v ∈ K = the k largest pᵥ (lower id first on ties), else 0
/// ```
/// Exactly `k` tokens are kept (all of them if `k ≥ V`); `k = 1` keeps the argmax, so
/// sampling becomes greedy.
///
/// # Shapes
/// `[.., V]` → `[.., V]`.
///
/// # Panics
/// If `k` is 0.
///
/// # Examples
/// ```
/// # use nn::decoding::processors::top_k; use tensor::Tensor;
/// let p = Tensor::from_vec(vec![0.5, 0.2, 0.15, 0.1, 0.05], &[5]);
/// let kept = top_k(&p, 2).to_vec::<f32>();
/// assert!((kept[0] - 0.5 / 0.7).abs() < 1e-6 && (kept[1] - 0.2 / 0.7).abs() < 1e-6);
/// assert_eq!(&kept[2..], &[0.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn top_k(probs: &Tensor, k: usize) -> Tensor {
    check_value(
        "top_k",
        "k",
        k as f64,
        k > 0,
        "1..; k = 0 would keep nothing",
    );
    let k = k.min(probs.size(-1));
    let (values, indices) = probs.topk(k, -1, true, false);
    renormalise(&Tensor::zeros_like(probs).scatter_add(-1, &indices, &values))
}

/// Top-p (nucleus) filtering (Holtzman et al. 2020): keep the smallest set of most
/// probable tokens whose total probability reaches `p`, zero the others, renormalise.
///
/// ```text
/// sort p descending: p₍₁₎ ≥ p₍₂₎ ≥ …     keep rank r  ⇔  p₍₁₎ + … + p₍ᵣ₋₁₎ < p
/// ```
/// A token is kept while the mass ranked above it is still short of `p`, so the kept
/// set is the shortest prefix of the ranking with mass `≥ p` (never empty). Unlike
/// top-k its size adapts: one token when the model is sure, many when it is not.
/// Equal probabilities are ranked by token id (lower first); exactly at the boundary
/// the float sum decides (`p = 1` keeps every token of non-zero probability).
///
/// # Shapes
/// `[.., V]` → `[.., V]`.
///
/// # Panics
/// If `p` is not in `(0, 1]`.
///
/// # Examples
/// ```
/// # use nn::decoding::processors::top_p; use tensor::Tensor;
/// let probs = Tensor::from_vec(vec![0.1, 0.5, 0.25, 0.15], &[4]);
/// let kept = top_p(&probs, 0.7).to_vec::<f32>(); // 0.5 < 0.7 ≤ 0.5 + 0.25
/// assert_eq!(kept, vec![0.0, 0.5 / 0.75, 0.25 / 0.75, 0.0]);
/// ```
#[track_caller]
pub fn top_p(probs: &Tensor, p: f64) -> Tensor {
    check_value("top_p", "p", p, p > 0.0 && p <= 1.0, "(0, 1]");
    let (sorted, order) = probs.sort(-1, true);
    // The mass ranked above each token: the cumulative sum shifted right by one.
    let cumulative = sorted.cumsum(-1);
    let v = sorted.size(-1);
    let first = Tensor::zeros_like(&sorted.narrow(-1, 0, 1));
    let mass_above = Tensor::cat(&[first, cumulative.narrow(-1, 0, v - 1)], -1);
    let kept_sorted = sorted.masked_fill(&mass_above.ge_scalar(p), 0.0);
    renormalise(&Tensor::zeros_like(probs).scatter_add(-1, &order, &kept_sorted))
}

/// Min-p filtering (Nguyen et al. 2024): keep the tokens at least `min_p` times as
/// probable as the most probable one, zero the others, renormalise.
///
/// ```text
/// keep v  ⇔  pᵥ ≥ min_p · maxᵤ pᵤ
/// ```
/// The threshold scales with the model's confidence: a sure model (max near 1) keeps
/// few tokens, an unsure one many. `min_p = 0` keeps everything, `min_p = 1` only the
/// tokens tied with the maximum.
///
/// # Shapes
/// `[.., V]` → `[.., V]`.
///
/// # Panics
/// If `min_p` is not in `[0, 1]`.
///
/// # Examples
/// ```
/// # use nn::decoding::processors::min_p; use tensor::Tensor;
/// let probs = Tensor::from_vec(vec![0.5, 0.2, 0.15, 0.1, 0.05], &[5]);
/// let kept = min_p(&probs, 0.3).to_vec::<f32>(); // threshold 0.15
/// assert_eq!(&kept[3..], &[0.0, 0.0]);
/// assert!((kept[2] - 0.15 / 0.85).abs() < 1e-6);
/// ```
#[track_caller]
pub fn min_p(probs: &Tensor, min_p: f64) -> Tensor {
    check_value(
        "min_p",
        "min_p",
        min_p,
        (0.0..=1.0).contains(&min_p),
        "[0, 1]",
    );
    let threshold = &probs.max_dim(-1, true).0 * min_p;
    renormalise(&probs.masked_fill(&probs.lt(&threshold), 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(p: &[f64]) -> Tensor {
        Tensor::from_vec_f64(p.to_vec(), &[p.len()])
    }

    fn close(a: &Tensor, expected: &[f64]) {
        let a = a.to_vec::<f64>();
        assert_eq!(a.len(), expected.len());
        for (x, e) in a.iter().zip(expected) {
            assert!((x - e).abs() < 1e-12, "{a:?} vs {expected:?}");
        }
    }

    #[test]
    fn the_module_doc_table() {
        let p = probs(&[0.5, 0.2, 0.15, 0.1, 0.05]);
        close(&top_k(&p, 2), &[0.5 / 0.7, 0.2 / 0.7, 0.0, 0.0, 0.0]);
        let nucleus = [0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85, 0.0, 0.0];
        close(&top_p(&p, 0.8), &nucleus);
        close(&min_p(&p, 0.3), &nucleus);
    }

    #[test]
    fn temperature_scales_logits() {
        let z = Tensor::from_vec(vec![2.0, -4.0], &[2]);
        assert_eq!(temperature(&z, 0.5).to_vec::<f32>(), vec![4.0, -8.0]);
        assert_eq!(temperature(&z, 1.0).to_vec::<f32>(), vec![2.0, -4.0]);
    }

    #[test]
    fn top_k_keeps_exactly_k_with_ties_to_the_lower_id() {
        let p = probs(&[0.25, 0.25, 0.25, 0.25]);
        close(&top_k(&p, 2), &[0.5, 0.5, 0.0, 0.0]);
        close(&top_k(&p, 1), &[1.0, 0.0, 0.0, 0.0]);
        close(&top_k(&p, 9), &[0.25; 4]); // k ≥ V keeps all
        // rows of a batch are filtered independently
        let batch = Tensor::from_vec_f64(vec![0.1, 0.6, 0.3, 0.7, 0.2, 0.1], &[2, 3]);
        close(&top_k(&batch, 1), &[0., 1., 0., 1., 0., 0.]);
    }

    #[test]
    fn top_p_keeps_the_smallest_set_that_reaches_p() {
        // dyadic probabilities: the sums are exact, so the boundary is exact too
        let p = probs(&[0.125, 0.5, 0.25, 0.125]);
        close(&top_p(&p, 0.5), &[0.0, 1.0, 0.0, 0.0]); // 0.5 reaches 0.5
        close(&top_p(&p, 0.51), &[0.0, 2.0 / 3.0, 1.0 / 3.0, 0.0]);
        close(&top_p(&p, 0.75), &[0.0, 2.0 / 3.0, 1.0 / 3.0, 0.0]);
        // 0.875 needs one of the tied 0.125s: the lower id, 0, is ranked first
        close(
            &top_p(&p, 0.8),
            &[0.125 / 0.875, 0.5 / 0.875, 0.25 / 0.875, 0.0],
        );
        close(&top_p(&p, 1.0), &[0.125, 0.5, 0.25, 0.125]);
        // a tiny p keeps the argmax only
        close(&top_p(&p, 1e-9), &[0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn min_p_threshold_follows_the_maximum() {
        let sure = probs(&[0.9, 0.06, 0.04]);
        close(&min_p(&sure, 0.1), &[1.0, 0.0, 0.0]); // threshold 0.09
        let unsure = probs(&[0.4, 0.35, 0.25]);
        close(&min_p(&unsure, 0.1), &[0.4, 0.35, 0.25]); // threshold 0.04 keeps all
        close(&min_p(&unsure, 1.0), &[1.0, 0.0, 0.0]);
    }

    #[test]
    fn repetition_penalty_lowers_seen_tokens_only() {
        let z = Tensor::from_vec(vec![1.0, -1.0, 2.0, 4.0, 0.0, -2.0], &[2, 3]);
        let out = repetition_penalty(&z, &[vec![0, 1], vec![2, 2]], 1.25);
        assert_eq!(out.to_vec::<f32>(), vec![0.8, -1.25, 2.0, 4.0, 0.0, -2.5]);
        assert_eq!(
            repetition_penalty(&z, &[vec![0], vec![1]], 1.0).to_vec::<f32>(),
            z.to_vec::<f32>()
        );
    }

    #[test]
    fn misuse_is_reported() {
        let caught = |f: &dyn Fn()| {
            let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
            e.downcast_ref::<String>().unwrap().clone()
        };
        let v = Tensor::zeros(&[3]);
        assert_eq!(
            caught(&|| {
                temperature(&v, 0.0);
            }),
            "temperature: τ = 0 is outside (0, ∞); for τ → 0 use greedy decoding"
        );
        assert!(
            caught(&|| {
                top_k(&v, 0);
            })
            .starts_with("top_k: k = 0 is outside 1..")
        );
        assert!(
            caught(&|| {
                top_p(&v, 1.5);
            })
            .starts_with("top_p: p = 1.5 is outside (0, 1]")
        );
        assert!(
            caught(&|| {
                min_p(&v, -0.1);
            })
            .starts_with("min_p: min_p = -0.1 is outside [0, 1]")
        );
        let z = Tensor::zeros(&[1, 3]);
        assert_eq!(
            caught(&|| {
                repetition_penalty(&z, &[vec![3]], 1.2);
            }),
            "repetition_penalty: prefix 0 holds token 3, outside the vocabulary of 3"
        );
        assert!(
            caught(&|| {
                repetition_penalty(&Tensor::zeros(&[2, 3]), &[vec![0]], 1.2);
            })
            .contains("have 2 rows for 1 prefixes")
        );
    }
}
