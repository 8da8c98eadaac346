//! Margin and ranking losses: learn an order or a distance, not a label.
//!
//! ```text
//! margin_ranking(x₁, x₂, y=±1):  ℓ = max(0, −y·(x₁ − x₂) + margin)
//! hinge_embedding(x, y=±1):      ℓ = x                   if y = 1
//!                                  = max(0, margin − x)   if y = −1
//! cosine_embedding(x₁, x₂, y):   cos = x₁·x₂ / √((‖x₁‖² + ε)(‖x₂‖² + ε)),  ε = 1e-12
//!                                    = a·b / √((‖a‖² + ε/s₁²)(‖b‖² + ε/s₂²))   computed:
//!                                a = x₁/s₁, b = x₂/s₂ scaled by their largest entry
//!                                (crate::functional), so 1e30-sized rows do not overflow
//!                                ℓ = 1 − cos              if y = 1
//!                                  = max(0, cos − margin) if y = −1
//! triplet_margin(a, p, n):       d(u, v) = ‖u − v + eps‖_p   (PyTorch's pairwise_distance,
//!                                          = s·‖(u − v + eps)/s‖_p, s its largest entry)
//!                                ℓ = max(0, d(a, p) − d(a, n) + margin)
//!                                swap: d(a, n) → min(d(a, n), d(p, n))
//! ranknet(sᵢ, sⱼ, P):            ℓ = −P·ln σ(sᵢ − sⱼ) − (1 − P)·ln σ(sⱼ − sᵢ)
//!                                  = bce_with_logits(sᵢ − sⱼ, P)     (stable)
//! pairwise_hinge(s₊, s₋):        ℓ = max(0, margin − (s₊ − s₋))
//! ```
//! The first four follow `torch.nn.functional` exactly (including what happens for
//! labels other than ±1: both terms of hinge/cosine are masked independently).
//! RankNet (Burges et al. 2005) takes P ∈ {0, ½, 1}: sᵢ should rank below, level
//! with, or above sⱼ. Inputs are `Var`s; ±1 labels and P are `Tensor`s.
//! Read next: [`crate::loss::focal`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::binary::{BceWithLogitsOptions, binary_cross_entropy_with_logits_with};
use super::{Reduction, check_non_negative, check_same_shape, constant, scalar};
use crate::functional::scaled_by_max;

/// `max(0, −y·(x₁ − x₂) + margin)`: `y = 1` asks for `x₁ > x₂ + margin`.
///
/// # Shapes
/// `x1`, `x2`, `y`: equal shapes (`[B]` usually).
///
/// # Panics
/// If the shapes differ.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{Reduction, margin_ranking_loss};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let x1 = Var::new(Tensor::from_vec(vec![2.0, 0.0], &[2]));
/// let x2 = Var::new(Tensor::from_vec(vec![1.0, 1.0], &[2]));
/// let y = Tensor::from_vec(vec![1.0, 1.0], &[2]);
/// let l = margin_ranking_loss(&x1, &x2, &y, 0.5, Reduction::None);
/// assert_eq!(l.value().to_vec::<f32>(), vec![0.0, 1.5]);
/// ```
#[track_caller]
pub fn margin_ranking_loss(
    x1: &Var,
    x2: &Var,
    y: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Var {
    let op = "margin_ranking_loss";
    check_same_shape(op, ["x1", "x2"], &x1.shape(), &x2.shape());
    check_same_shape(op, ["x1", "y"], &x1.shape(), y.shape());
    let y = constant(y, x1.dtype());
    reduction.apply(&(&(-&y * &(x1 - x2)) + margin).relu())
}

/// PyTorch's `hinge_embedding_loss` (default margin 1.0): pulls `y = 1` distances
/// to 0 and pushes `y = −1` ones beyond `margin`.
///
/// # Shapes
/// `input` and `target`: equal shapes.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn hinge_embedding_loss(
    input: &Var,
    target: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Var {
    check_same_shape(
        "hinge_embedding_loss",
        ["input", "target"],
        &input.shape(),
        target.shape(),
    );
    let zero = scalar(0.0, input.dtype());
    let push = (margin - input).relu();
    let push = Var::where_cond(&target.eq_scalar(1.0), &zero, &push);
    let pull = Var::where_cond(&target.eq_scalar(-1.0), &zero, input);
    reduction.apply(&(&push + &pull))
}

/// PyTorch's `cosine_embedding_loss` (default margin 0.0): `y = 1` pairs should point
/// the same way, `y = −1` pairs should have cosine below `margin`.
///
/// # Shapes
/// `x1`, `x2`: `[B, D]` with `y: [B]`, or `[D]` with `y: []`; the output of
/// `Reduction::None` has `y`'s shape.
///
/// # Panics
/// If the shapes do not fit.
#[track_caller]
pub fn cosine_embedding_loss(
    x1: &Var,
    x2: &Var,
    y: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Var {
    let op = "cosine_embedding_loss";
    check_same_shape(op, ["x1", "x2"], &x1.shape(), &x2.shape());
    let shape = x1.shape();
    if !(1..=2).contains(&shape.len()) || y.shape() != &shape[..shape.len() - 1] {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("expected x1, x2 of shape [B, D] with y [B] (or [D] with y []), got x1 {shape:?} and y {:?}", y.shape()),
        )
        .raise();
    }
    const EPSILON: f64 = 1e-12;
    // Each row divided by its largest entry (at least √ε, so ε/s² ≤ 1), ε with it.
    let squared_norm = |x: &Var| {
        let (a, s) = scaled_by_max(x, -1, EPSILON.sqrt());
        let eps = Var::new(s.pow(-2.0).mul_scalar(EPSILON).squeeze(-1));
        (&(&a * &a).sum_dim(-1, false) + &eps, a)
    };
    let ((norm1, a), (norm2, b)) = (squared_norm(x1), squared_norm(x2));
    let dot = (&a * &b).sum_dim(-1, false);
    let cos = &dot / &(&norm1 * &norm2).sqrt();
    let zero = scalar(0.0, x1.dtype());
    let similar = Var::where_cond(&y.eq_scalar(1.0), &(1.0 - &cos), &zero);
    let dissimilar = Var::where_cond(&y.eq_scalar(-1.0), &(&cos - margin).relu(), &zero);
    reduction.apply(&(&similar + &dissimilar))
}

/// Options of [`triplet_margin_loss_with`]; `Default` is PyTorch's.
#[derive(Clone, Copy, Debug)]
pub struct TripletMarginOptions {
    /// Required gap between the negative and the positive distance (default 1.0).
    pub margin: f64,
    /// The norm's degree p ≥ 1 (default 2.0).
    pub p: f64,
    /// Added to the difference before the norm, keeping ‖·‖ differentiable at 0
    /// (default 1e-6).
    pub eps: f64,
    /// Use min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016).
    pub swap: bool,
    /// How per-triplet losses are combined (default `Mean`).
    pub reduction: Reduction,
}

impl Default for TripletMarginOptions {
    fn default() -> Self {
        TripletMarginOptions {
            margin: 1.0,
            p: 2.0,
            eps: 1e-6,
            swap: false,
            reduction: Reduction::Mean,
        }
    }
}

/// `‖u − v + eps‖_p` along the last dim (`torch.pairwise_distance`), as
/// `s·‖(u − v + eps)/s‖_p` with `s` the largest entry of each row, so that `|d|ᵖ`
/// cannot overflow (see [`crate::functional`]).
fn pairwise_distance(u: &Var, v: &Var, p: f64, eps: f64) -> Var {
    let d = &(u - v) + eps;
    let (d, s) = scaled_by_max(&d, -1, f64::from(f32::MIN_POSITIVE));
    let norm = d.abs().pow(p).sum_dim(-1, true).pow(1.0 / p);
    (&norm * &Var::new(s)).squeeze(-1)
}

/// The triplet loss with PyTorch's defaults (margin 1, p 2, eps 1e-6, no swap, mean).
///
/// # Shapes
/// `anchor`, `positive`, `negative`: equal shapes `[B, D]` (or `[D]`).
///
/// # Panics
/// If the shapes differ.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::triplet_margin_loss;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let a = Var::new(Tensor::from_vec(vec![0.0, 0.0], &[1, 2]));
/// let p = Var::new(Tensor::from_vec(vec![3.0, 0.0], &[1, 2]));
/// let n = Var::new(Tensor::from_vec(vec![0.0, 2.0], &[1, 2]));
/// let l = triplet_margin_loss(&a, &p, &n);
/// assert!((l.item() - 2.0).abs() < 1e-5); // 3 − 2 + 1
/// ```
#[track_caller]
pub fn triplet_margin_loss(anchor: &Var, positive: &Var, negative: &Var) -> Var {
    triplet_margin_loss_with(anchor, positive, negative, &TripletMarginOptions::default())
}

/// The triplet loss with options (margin, p, eps, swap, reduction).
///
/// # Shapes
/// As [`triplet_margin_loss`]; `Reduction::None` gives `[B]`.
///
/// # Panics
/// If the shapes differ, `p < 1`, or `margin`/`eps` is negative.
#[track_caller]
pub fn triplet_margin_loss_with(
    anchor: &Var,
    positive: &Var,
    negative: &Var,
    options: &TripletMarginOptions,
) -> Var {
    let op = "triplet_margin_loss";
    check_same_shape(
        op,
        ["anchor", "positive"],
        &anchor.shape(),
        &positive.shape(),
    );
    check_same_shape(
        op,
        ["anchor", "negative"],
        &anchor.shape(),
        &negative.shape(),
    );
    check_non_negative(op, "margin", options.margin);
    check_non_negative(op, "eps", options.eps);
    if !(options.p >= 1.0 && options.p.is_finite()) || anchor.shape().is_empty() {
        Error::new(
            op,
            ErrorKind::Value,
            format!(
                "needs p ≥ 1 and inputs of at least 1 dim, got p = {} and shape {:?}",
                options.p,
                anchor.shape()
            ),
        )
        .raise();
    }
    let (p, eps) = (options.p, options.eps);
    let d_pos = pairwise_distance(anchor, positive, p, eps);
    let mut d_neg = pairwise_distance(anchor, negative, p, eps);
    if options.swap {
        d_neg = d_neg.minimum(&pairwise_distance(positive, negative, p, eps));
    }
    options
        .reduction
        .apply(&(&(&d_pos - &d_neg) + options.margin).relu())
}

/// RankNet's pairwise loss: cross-entropy between P(sᵢ ranks above sⱼ) = σ(sᵢ − sⱼ)
/// and the label `p` ∈ {0, ½, 1}, computed stably from the score difference.
///
/// # Shapes
/// `s_i`, `s_j`, `p`: equal shapes (`[pairs]`).
///
/// # Panics
/// If the shapes differ.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{Reduction, ranknet_loss};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let s = Var::new(Tensor::from_vec(vec![1.0, 1.0], &[2]));
/// let l = ranknet_loss(&s, &s, &Tensor::from_vec(vec![0.5, 1.0], &[2]), Reduction::None);
/// // equal scores: ln 2 for any label
/// assert!((l.value().to_vec::<f32>()[1] - 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn ranknet_loss(s_i: &Var, s_j: &Var, p: &Tensor, reduction: Reduction) -> Var {
    check_same_shape("ranknet_loss", ["s_i", "s_j"], &s_i.shape(), &s_j.shape());
    let options = BceWithLogitsOptions {
        reduction,
        ..Default::default()
    };
    binary_cross_entropy_with_logits_with(&(s_i - s_j), p, &options)
}

/// Pairwise hinge loss `max(0, margin − (s₊ − s₋))`: a relevant item must outscore
/// an irrelevant one by `margin`.
///
/// # Shapes
/// `s_pos`, `s_neg`: equal shapes.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn pairwise_hinge_loss(s_pos: &Var, s_neg: &Var, margin: f64, reduction: Reduction) -> Var {
    check_same_shape(
        "pairwise_hinge_loss",
        ["s_pos", "s_neg"],
        &s_pos.shape(),
        &s_neg.shape(),
    );
    reduction.apply(&(margin - &(s_pos - s_neg)).relu())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::DType;

    fn v(values: &[f64], shape: &[usize]) -> Var {
        Var::param(Tensor::from_vec_f64(values.to_vec(), shape))
    }

    #[test]
    fn hinge_embedding_known_values() {
        let x = v(&[0.3, 0.4, 2.0], &[3]);
        let y = Tensor::from_vec(vec![1.0, -1.0, -1.0], &[3]);
        let l = hinge_embedding_loss(&x, &y, 1.0, Reduction::None);
        assert_eq!(l.value().to_vec::<f64>(), vec![0.3, 0.6, 0.0]);
    }

    #[test]
    fn cosine_embedding_known_values() {
        let x1 = v(&[1.0, 0.0, 1.0, 0.0], &[2, 2]);
        let x2 = v(&[1.0, 1.0, 1.0, 1.0], &[2, 2]);
        let y = Tensor::from_vec(vec![1.0, -1.0], &[2]);
        let l = cosine_embedding_loss(&x1, &x2, &y, 0.5, Reduction::None);
        let c = 0.5f64.sqrt(); // cos 45°
        let got = l.value().to_vec::<f64>();
        assert!((got[0] - (1.0 - c)).abs() < 1e-9 && (got[1] - (c - 0.5)).abs() < 1e-9);
    }

    #[test]
    fn triplet_swap_uses_the_closer_negative() {
        let a = v(&[0.0, 0.0], &[1, 2]);
        let p = v(&[1.0, 0.0], &[1, 2]);
        let n = v(&[1.0, 1.0], &[1, 2]);
        let options = TripletMarginOptions {
            swap: true,
            eps: 0.0,
            ..Default::default()
        };
        // d(a,p) = 1, d(a,n) = √2, d(p,n) = 1 → swap picks 1: ℓ = 1 − 1 + 1
        let l = triplet_margin_loss_with(&a, &p, &n, &options).item();
        assert!((l - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ranknet_and_pairwise_hinge_known_values() {
        let s_i = v(&[2.0, 0.0], &[2]);
        let s_j = v(&[0.0, 0.0], &[2]);
        let l = ranknet_loss(
            &s_i,
            &s_j,
            &Tensor::from_vec(vec![1.0, 0.0], &[2]),
            Reduction::None,
        );
        let got = l.value().to_vec::<f64>();
        // softplus(−2) and ln 2
        assert!((got[0] - (1.0 + (-2f64).exp()).ln()).abs() < 1e-12);
        assert!((got[1] - 2f64.ln()).abs() < 1e-12);
        let h = pairwise_hinge_loss(&s_i, &s_j, 1.0, Reduction::None);
        assert_eq!(h.value().to_vec::<f64>(), vec![0.0, 1.0]);
    }

    #[test]
    fn ranknet_is_finite_at_huge_score_gaps() {
        for dtype in [DType::F32, DType::F64] {
            let s_i = Var::param(Tensor::from_vec(vec![1e4, -1e4], &[2]).to_dtype(dtype));
            let s_j = Var::param(Tensor::zeros(&[2]).to_dtype(dtype));
            let l = ranknet_loss(
                &s_i,
                &s_j,
                &Tensor::from_vec(vec![0.0, 1.0], &[2]),
                Reduction::Sum,
            );
            assert_eq!(l.item(), 2e4);
            l.backward();
            assert_eq!(s_i.grad().unwrap().to_vec::<f64>(), vec![1.0, -1.0]);
        }
    }

    #[test]
    #[should_panic(expected = "cosine_embedding_loss: expected x1, x2 of shape [B, D] with y [B]")]
    fn cosine_bad_label_shape_panics() {
        let x = v(&[1.0, 0.0], &[1, 2]);
        cosine_embedding_loss(&x, &x, &Tensor::zeros(&[2]), 0.0, Reduction::Mean);
    }

    #[test]
    #[should_panic(
        expected = "triplet_margin_loss: anchor has shape [1, 2] but negative has shape [2]"
    )]
    fn triplet_shape_mismatch_panics() {
        let a = v(&[0.0, 0.0], &[1, 2]);
        triplet_margin_loss(&a, &a, &v(&[0.0, 0.0], &[2]));
    }
}
