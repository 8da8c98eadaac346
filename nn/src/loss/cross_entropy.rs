//! `cross_entropy`: softmax + negative log-likelihood in one stable step, as
//! `torch.nn.functional.cross_entropy`. The loss of every classifier.
//!
//! ```text
//! logits x: [B, C, d1, ..] (or [C]); classes along dim 1 (dim 0 for a 1-D input)
//! logp = log_softmax(x, class dim) = x − logsumexp(x)     (stable: max subtracted)
//!
//! class-index targets y: [B, d1, ..], i64    (ε = label_smoothing, w = weight)
//!   nllᵢ    = −w[yᵢ] · logp[i, yᵢ]
//!   smoothᵢ = −Σ_c w[c] · logp[i, c]                (0 at ignored targets)
//!   ℓᵢ      = (1 − ε) · nllᵢ + (ε / C) · smoothᵢ
//!   Mean    = Σᵢ ℓᵢ / Σᵢ w[yᵢ]  over targets ≠ ignore_index   (PyTorch's normalisation)
//!
//! probability targets q: float, same shape as x (each row sums to 1)
//!   q' = (1 − ε) · q + ε / C
//!   ℓᵢ = −Σ_c w[c] · q'[i, c] · logp[i, c]
//!   Mean = Σᵢ ℓᵢ / (number of rows)          (weights do not normalise here, as PyTorch)
//! ```
//! Which form applies is decided by the target's dtype, as in PyTorch: an i64 target
//! holds class indices, a float target holds probabilities.
//! Never computing `softmax` then `ln` is the point: `log_softmax` is a fused primitive
//! that stays finite at logits of ±1e4, and its gradient is `softmax(x) − onehot(y)`.
//! For `[N, C]` logits without smoothing only `logp[i, yᵢ]` is needed, so the
//! `log_softmax_gather` primitive computes just those (same numbers, no `[N, C]`
//! log-probabilities: 45 MB for 1 120 rows of a 10 000-word vocabulary).
//! Read next: [`crate::loss::nll`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::nll::{class_targets, reduce_weighted, weighted_nll};
use super::{Reduction, constant};

/// Options of [`cross_entropy_with`]; `Default` is PyTorch's.
#[derive(Clone, Debug)]
pub struct CrossEntropyOptions {
    /// A rescaling weight per class, shape `[C]` (converted to the logits' dtype).
    pub weight: Option<Tensor>,
    /// Class-index targets equal to this count for nothing (default −100).
    pub ignore_index: i64,
    /// ε in `[0, 1]`: mix the target with the uniform distribution (default 0).
    pub label_smoothing: f64,
    /// How per-sample losses are combined (see the module doc for `Mean`).
    pub reduction: Reduction,
}

impl Default for CrossEntropyOptions {
    fn default() -> Self {
        CrossEntropyOptions {
            weight: None,
            ignore_index: -100,
            label_smoothing: 0.0,
            reduction: Reduction::Mean,
        }
    }
}

/// Cross-entropy of `logits` against class indices or class probabilities, with
/// PyTorch's defaults (mean, no weights, no smoothing). See the module doc.
///
/// # Shapes
/// - `logits: [B, C]` with `target: [B]` (i64 indices) or `[B, C]` (float
///   probabilities);
/// - `[B, C, d1, ..]` with `[B, d1, ..]` or `[B, C, d1, ..]` (classes along dim 1);
/// - `[C]` with `[]` or `[C]`.
///
/// # Panics
/// If the target is bool, its shape does not fit its form, or an index is not a
/// class index.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::cross_entropy;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let logits = Var::param(Tensor::from_vec(vec![2.0, 0.0, 0.0, 0.0, 0.0, 0.0], &[2, 3]));
/// let loss = cross_entropy(&logits, &Tensor::from_vec_i64(vec![0, 2], &[2]));
/// // row 0: ln(e² + 2) − 2 = 0.2395; row 1: ln 3 = 1.0986
/// assert!((loss.item() - 0.6691).abs() < 1e-4);
/// loss.backward(); // ∂/∂x = (softmax(x) − onehot(y)) / B
/// ```
#[track_caller]
pub fn cross_entropy(logits: &Var, target: &Tensor) -> Var {
    cross_entropy_with(logits, target, &CrossEntropyOptions::default())
}

/// Cross-entropy with options (`weight`, `ignore_index`, `label_smoothing`,
/// `reduction`). With `Reduction::None` the output has one loss per sample: the
/// class-index target's shape.
///
/// # Shapes
/// As [`cross_entropy`].
///
/// # Panics
/// As [`cross_entropy`]; also if `weight` is not `[C]` or `label_smoothing` is
/// outside `[0, 1]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{CrossEntropyOptions, Reduction, cross_entropy_with};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let logits = Var::new(Tensor::zeros(&[3, 4]));
/// let target = Tensor::from_vec_i64(vec![1, -100, 3], &[3]);
/// let options = CrossEntropyOptions { label_smoothing: 0.1, ..Default::default() };
/// let loss = cross_entropy_with(&logits, &target, &options);
/// assert!((loss.item() - 4f64.ln()).abs() < 1e-6); // uniform logits: ln C whatever ε
/// ```
#[track_caller]
pub fn cross_entropy_with(logits: &Var, target: &Tensor, options: &CrossEntropyOptions) -> Var {
    let epsilon = options.label_smoothing;
    if !(0.0..=1.0).contains(&epsilon) {
        Error::new(
            "cross_entropy",
            ErrorKind::Value,
            format!("label_smoothing must be in [0, 1], got {epsilon}"),
        )
        .raise();
    }
    if target.dtype().is_float() {
        return probability_targets(logits, target, options);
    }
    let targets = class_targets(
        "cross_entropy",
        &logits.shape(),
        target,
        options.weight.as_ref(),
        options.ignore_index,
        logits.dtype(),
    );
    if epsilon == 0.0 && logits.dims() == 2 {
        // [N, C] logits, no smoothing: only logp[i, yᵢ] is needed, fused
        let picked = logits.log_softmax_gather(&targets.index);
        let losses = -(&picked * &constant(&targets.w, logits.dtype()));
        return reduce_weighted(&losses, &targets, options.reduction);
    }
    let logp = logits.log_softmax(targets.class_dim);
    let nll = weighted_nll(&logp, &targets, options.reduction);
    if epsilon == 0.0 {
        return nll;
    }
    // smoothᵢ = −Σ_c w[c]·logp[i, c], zero at ignored targets
    let weighted = match &options.weight {
        Some(w) => &logp * &class_weight_column(w, &logits.shape(), targets.class_dim, logits),
        None => logp.clone(),
    };
    let keep = constant(&targets.keep, logits.dtype());
    let smooth = -(&weighted.sum_dim(targets.class_dim, false) * &keep);
    let smooth = reduce_weighted(&smooth, &targets, options.reduction);
    &nll * (1.0 - epsilon) + &smooth * (epsilon / targets.num_classes as f64)
}

/// The probability-target form (see the module doc).
#[track_caller]
fn probability_targets(logits: &Var, target: &Tensor, options: &CrossEntropyOptions) -> Var {
    let shape = logits.shape();
    if target.shape() != shape.as_slice() || shape.is_empty() {
        Error::new(
            "cross_entropy",
            ErrorKind::Shape,
            format!(
                "a float target holds class probabilities and must have the logits' shape \
                 {shape:?}, got {:?}",
                target.shape()
            ),
        )
        .with_hint("for class indices pass an i64 target, e.g. Tensor::from_vec_i64")
        .raise();
    }
    let class_dim = if shape.len() == 1 { 0 } else { 1 };
    let num_classes = shape[class_dim];
    let epsilon = options.label_smoothing;
    let q = target.to_dtype(logits.dtype());
    let q = Var::new(&(&q * (1.0 - epsilon)) + epsilon / num_classes as f64);
    let logp = logits.log_softmax(class_dim as isize);
    let mut terms = &logp * &q;
    if let Some(w) = &options.weight {
        if w.shape() != [num_classes] {
            Error::new(
                "cross_entropy",
                ErrorKind::Shape,
                format!(
                    "weight must have shape [{num_classes}] (one per class), got {:?}",
                    w.shape()
                ),
            )
            .raise();
        }
        terms = &terms * &class_weight_column(w, &shape, class_dim as isize, logits);
    }
    let losses = -terms.sum_dim(class_dim as isize, false);
    options.reduction.apply(&losses)
}

/// `weight` reshaped to `[1, C, 1, ..]` so it broadcasts along the class dim.
fn class_weight_column(weight: &Tensor, shape: &[usize], class_dim: isize, like: &Var) -> Var {
    let mut column = vec![1; shape.len()];
    column[class_dim as usize] = shape[class_dim as usize];
    constant(&weight.reshape(&column), like.dtype())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::DType;

    fn logits() -> Var {
        Var::param(Tensor::from_vec_f64(
            vec![1.0, 2.0, 0.5, -1.0, 0.0, 3.0],
            &[2, 3],
        ))
    }

    /// ln Σ_c exp(x_c) − x_y, computed directly for one row.
    fn row_ce(row: &[f64], y: usize) -> f64 {
        row.iter().map(|v| v.exp()).sum::<f64>().ln() - row[y]
    }

    #[test]
    fn class_indices_equal_the_textbook_formula() {
        let y = Tensor::from_vec_i64(vec![1, 2], &[2]);
        let expected = (row_ce(&[1.0, 2.0, 0.5], 1) + row_ce(&[-1.0, 0.0, 3.0], 2)) / 2.0;
        assert!((cross_entropy(&logits(), &y).item() - expected).abs() < 1e-12);
    }

    #[test]
    fn one_hot_probabilities_equal_class_indices() {
        let y = Tensor::from_vec_i64(vec![1, 2], &[2]);
        let q = Tensor::one_hot(&y, 3).to_dtype(DType::F32);
        let a = cross_entropy(&logits(), &y).item();
        let b = cross_entropy(&logits(), &q).item();
        assert!((a - b).abs() < 1e-12);
    }

    #[test]
    fn gradient_is_softmax_minus_onehot_over_b() {
        let x = logits();
        let y = Tensor::from_vec_i64(vec![1, 2], &[2]);
        cross_entropy(&x, &y).backward();
        let expected =
            &(&x.value().softmax(1) - &Tensor::one_hot(&y, 3).to_dtype(DType::F64)) * 0.5;
        let g = x.grad().unwrap().to_vec::<f64>();
        for (a, b) in g.iter().zip(expected.to_vec::<f64>()) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn label_smoothing_equals_smoothed_probabilities_without_ignores() {
        let y = Tensor::from_vec_i64(vec![1, 2], &[2]);
        let smoothed = &(&Tensor::one_hot(&y, 3).to_dtype(DType::F32) * 0.8) + 0.2 / 3.0;
        let options = CrossEntropyOptions {
            label_smoothing: 0.2,
            ..Default::default()
        };
        let a = cross_entropy_with(&logits(), &y, &options).item();
        let b = cross_entropy(&logits(), &smoothed).item();
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }

    #[test]
    fn finite_values_and_gradients_at_huge_logits() {
        for dtype in [DType::F32, DType::F64] {
            let x = Var::param(
                Tensor::from_vec(vec![1e4, -1e4, 0.0, -1e4, 1e4, 1e4], &[2, 3]).to_dtype(dtype),
            );
            let y = Tensor::from_vec_i64(vec![1, 0], &[2]);
            let loss = cross_entropy(&x, &y);
            // row 0: 1e4 − (−1e4) = 2e4; row 1: (1e4 + ln 2) − (−1e4) → mean 2e4 + ½ln 2
            assert!((loss.item() - (2e4 + 2f64.ln() / 2.0)).abs() < 1e-2);
            loss.backward();
            assert!(
                x.grad()
                    .unwrap()
                    .to_vec::<f64>()
                    .iter()
                    .all(|g| g.is_finite())
            );
        }
    }

    #[test]
    fn transposed_logits_give_the_same_loss_and_gradient() {
        // logits stored as [C=3, B=2] and viewed as [B, C]: a non-contiguous input
        let stored = Var::param(Tensor::from_vec_f64(
            vec![1.0, -1.0, 2.0, 0.0, 0.5, 3.0],
            &[3, 2],
        ));
        let y = Tensor::from_vec_i64(vec![1, 2], &[2]);
        let loss = cross_entropy(&stored.transpose(0, 1), &y);
        assert!((loss.item() - cross_entropy(&logits(), &y).item()).abs() < 1e-12);
        loss.backward();
        let x = logits();
        cross_entropy(&x, &y).backward();
        let expected = x.grad().unwrap().t().contiguous().to_vec::<f64>();
        assert_eq!(stored.grad().unwrap().to_vec::<f64>(), expected);
    }

    #[test]
    fn reduction_none_keeps_the_target_shape() {
        let x = Var::new(Tensor::zeros(&[2, 3, 4]));
        let y = Tensor::zeros_dtype(&[2, 4], DType::I64);
        let options = CrossEntropyOptions {
            reduction: Reduction::None,
            ..Default::default()
        };
        assert_eq!(cross_entropy_with(&x, &y, &options).shape(), vec![2, 4]);
    }

    #[test]
    #[should_panic(expected = "cross_entropy: label_smoothing must be in [0, 1], got 1.5")]
    fn bad_smoothing_panics() {
        let options = CrossEntropyOptions {
            label_smoothing: 1.5,
            ..Default::default()
        };
        cross_entropy_with(&logits(), &Tensor::zeros_dtype(&[2], DType::I64), &options);
    }

    #[test]
    #[should_panic(
        expected = "cross_entropy: input has shape [2, 3] (classes along dim 1) so class-index targets must have shape [2], got [3]"
    )]
    fn bad_target_shape_panics() {
        cross_entropy(&logits(), &Tensor::zeros_dtype(&[3], DType::I64));
    }

    #[test]
    #[should_panic(
        expected = "cross_entropy: a float target holds class probabilities and must \
                               have the logits' shape [2, 3], got [2]. Hint: for class indices \
                               pass an i64 target"
    )]
    fn float_class_indices_are_refused_with_a_hint() {
        cross_entropy(&logits(), &Tensor::from_vec(vec![1.0, 2.0], &[2]));
    }

    #[test]
    #[should_panic(expected = "cross_entropy: target must be an i64 tensor, got bool [2]")]
    fn bool_targets_are_refused() {
        cross_entropy(&logits(), &Tensor::from_vec_bool(vec![true, false], &[2]));
    }
}
