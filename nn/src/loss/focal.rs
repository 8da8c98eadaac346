//! Focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection"): cross-entropy
//! scaled down on examples the model already gets right.
//!
//! ```text
//! binary, on logits x with labels y ∈ [0, 1] (torchvision.ops.sigmoid_focal_loss):
//!   p   = σ(x)
//!   p_t = p·y + (1 − p)·(1 − y)               probability given to the true label
//!   α_t = α·y + (1 − α)·(1 − y)               (α < 0: no α_t factor)
//!   ℓ   = α_t · (1 − p_t)^γ · bce_with_logits(x, y)
//!   stable: bce_with_logits uses softplus, and 1 − p_t = y·σ(−x) + (1 − y)·σ(x)
//!   is computed directly instead of as 1 − (something rounded to 1).
//!
//! multi-class, on logits x: [B, C, ..] with i64 class indices y:
//!   ln p_y = log_softmax(x)[y]               (stable)
//!   ℓ      = −α[y] · (1 − p_y)^γ · ln p_y     (α: one weight per class, default all 1)
//!   Mean   = Σ ℓ / (number of targets ≠ ignore_index)   (not normalised by α)
//! ```
//! The (1 − p_t)^γ term — the "γ term" — is ≈ 0 for confident correct predictions, so
//! the many easy negatives of a detector stop dominating the loss. γ = 0 gives
//! (α-weighted) cross-entropy. `(1 − p_t)` is clamped below at the dtype's smallest
//! normal number before `powf`, so its gradient stays finite for any γ > 0 when a
//! logit saturates (the value changes by at most that number to the power γ).
//! Read next: [`crate::loss::info_nce`](mod@crate::loss::info_nce).

use autograd::Var;
use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use super::binary::{BceWithLogitsOptions, binary_cross_entropy_with_logits_with};
use super::nll::{class_targets, pick};
use super::{Reduction, check_non_negative, check_same_shape, constant};

/// Options of [`sigmoid_focal_loss_with`]; `Default` is torchvision's
/// (α = 0.25, γ = 2, no reduction).
#[derive(Clone, Copy, Debug)]
pub struct SigmoidFocalOptions {
    /// Weight of the positive class in `[0, 1]`; a negative value disables α_t.
    pub alpha: f64,
    /// The focusing exponent γ ≥ 0.
    pub gamma: f64,
    /// How per-element losses are combined (torchvision's default: `None`).
    pub reduction: Reduction,
}

impl Default for SigmoidFocalOptions {
    fn default() -> Self {
        SigmoidFocalOptions {
            alpha: 0.25,
            gamma: 2.0,
            reduction: Reduction::None,
        }
    }
}

/// Options of [`softmax_focal_loss_with`].
#[derive(Clone, Debug)]
pub struct SoftmaxFocalOptions {
    /// One weight α per class (`alpha[c]`), or `None` for all 1.
    pub alpha: Option<Vec<f64>>,
    /// The focusing exponent γ ≥ 0 (default 2).
    pub gamma: f64,
    /// Targets equal to this count for nothing (default −100).
    pub ignore_index: i64,
    /// How per-sample losses are combined (default `Mean` over counted targets).
    pub reduction: Reduction,
}

impl Default for SoftmaxFocalOptions {
    fn default() -> Self {
        SoftmaxFocalOptions {
            alpha: None,
            gamma: 2.0,
            ignore_index: -100,
            reduction: Reduction::Mean,
        }
    }
}

/// `(1 − p_t)^γ` from `1 − p_t`, clamped away from 0 (see the module doc).
fn modulating_factor(one_minus_pt: &Var, gamma: f64) -> Var {
    let tiny = match one_minus_pt.dtype() {
        DType::F64 => f64::MIN_POSITIVE,
        _ => f64::from(f32::MIN_POSITIVE), // f32 (a Var is a float)
    };
    one_minus_pt.clamp(tiny, 1.0).pow(gamma)
}

/// The binary focal loss with torchvision's defaults (α = 0.25, γ = 2, no reduction).
///
/// # Shapes
/// `inputs` (logits) and `targets` (labels in `[0, 1]`): equal shapes; the output
/// has that shape.
///
/// # Panics
/// If the shapes differ.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::sigmoid_focal_loss;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.0], &[1]));
/// let l = sigmoid_focal_loss(&x, &Tensor::ones(&[1]));
/// // p_t = ½: 0.25 · ½² · ln 2
/// assert!((l.value().to_vec::<f32>()[0] - 0.0625 * 2f32.ln()).abs() < 1e-7);
/// ```
#[track_caller]
pub fn sigmoid_focal_loss(inputs: &Var, targets: &Tensor) -> Var {
    sigmoid_focal_loss_with(inputs, targets, &SigmoidFocalOptions::default())
}

/// The binary focal loss with options (α, γ, reduction).
///
/// # Shapes
/// As [`sigmoid_focal_loss`].
///
/// # Panics
/// If the shapes differ, α > 1, or γ is negative.
#[track_caller]
pub fn sigmoid_focal_loss_with(
    inputs: &Var,
    targets: &Tensor,
    options: &SigmoidFocalOptions,
) -> Var {
    let op = "sigmoid_focal_loss";
    check_same_shape(op, ["inputs", "targets"], &inputs.shape(), targets.shape());
    check_non_negative(op, "gamma", options.gamma);
    if options.alpha > 1.0 || options.alpha.is_nan() {
        Error::new(
            op,
            ErrorKind::Value,
            format!(
                "alpha must be in [0, 1] (or negative to disable it), got {}",
                options.alpha
            ),
        )
        .raise();
    }
    let none = BceWithLogitsOptions {
        reduction: Reduction::None,
        ..Default::default()
    };
    let mut losses = binary_cross_entropy_with_logits_with(inputs, targets, &none);
    let y = constant(targets, inputs.dtype());
    if options.gamma != 0.0 {
        // 1 − p_t = y·σ(−x) + (1 − y)·σ(x)
        let one_minus_pt = &(&y * &(-inputs).sigmoid()) + &(&(1.0 - &y) * &inputs.sigmoid());
        losses = &losses * &modulating_factor(&one_minus_pt, options.gamma);
    }
    if options.alpha >= 0.0 {
        let t = targets.to_dtype(inputs.dtype());
        let alpha_t = &(&t * options.alpha) + &(&t.rsub_scalar(1.0) * (1.0 - options.alpha));
        losses = &losses * &Var::new(alpha_t);
    }
    options.reduction.apply(&losses)
}

/// The multi-class focal loss with γ = 2, no α, mean over targets.
///
/// # Shapes
/// As [`crate::loss::cross_entropy`](mod@crate::loss::cross_entropy) with class-index targets: `logits: [B, C, ..]`,
/// `target: [B, ..]`.
///
/// # Panics
/// If the shapes do not fit or a target is not a class index.
#[track_caller]
pub fn softmax_focal_loss(logits: &Var, target: &Tensor) -> Var {
    softmax_focal_loss_with(logits, target, &SoftmaxFocalOptions::default())
}

/// The multi-class focal loss with options (per-class α, γ, ignore_index, reduction).
///
/// # Shapes
/// As [`softmax_focal_loss`]; `Reduction::None` gives the target's shape.
///
/// # Panics
/// As [`softmax_focal_loss`]; also if `alpha` does not have one entry per class or
/// γ is negative.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{SoftmaxFocalOptions, softmax_focal_loss_with};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let logits = Var::new(Tensor::zeros(&[1, 2]));
/// let options = SoftmaxFocalOptions { alpha: Some(vec![0.25, 0.75]), ..Default::default() };
/// let l = softmax_focal_loss_with(&logits, &Tensor::from_vec_i64(vec![1], &[1]), &options);
/// assert!((l.item() - 0.75 * 0.25 * 2f64.ln()).abs() < 1e-6); // p = ½
/// ```
#[track_caller]
pub fn softmax_focal_loss_with(
    logits: &Var,
    target: &Tensor,
    options: &SoftmaxFocalOptions,
) -> Var {
    let op = "softmax_focal_loss";
    check_non_negative(op, "gamma", options.gamma);
    let shape = logits.shape();
    let alpha = options.alpha.as_ref().map(|a| {
        let classes = if shape.len() == 1 {
            shape.first()
        } else {
            shape.get(1)
        };
        let classes = classes.copied().unwrap_or(0);
        if a.len() != classes {
            Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "alpha has {} entries but logits of shape {shape:?} have {classes} classes",
                    a.len()
                ),
            )
            .raise();
        }
        Tensor::from_vec_f64(a.clone(), &[a.len()])
    });
    let targets = class_targets(
        op,
        &shape,
        target,
        alpha.as_ref(),
        options.ignore_index,
        logits.dtype(),
    );
    let log_p = pick(&logits.log_softmax(targets.class_dim), &targets);
    let alpha_y = constant(&targets.w, logits.dtype()); // α[y], 0 at ignored targets
    let mut losses = -(&log_p * &alpha_y);
    if options.gamma != 0.0 {
        losses = &losses * &modulating_factor(&(1.0 - &log_p.exp()), options.gamma);
    }
    match options.reduction {
        Reduction::Mean => losses.sum() * (1.0 / targets.keep.sum().item()),
        other => other.apply(&losses),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::cross_entropy;

    #[test]
    fn gamma_zero_without_alpha_is_bce_and_cross_entropy() {
        let x = Var::new(Tensor::from_vec_f64(vec![0.3, -1.2, 2.0, 0.1], &[2, 2]));
        let y = Tensor::from_vec_i64(vec![1, 0], &[2]);
        let options = SoftmaxFocalOptions {
            gamma: 0.0,
            ..Default::default()
        };
        let a = softmax_focal_loss_with(&x, &y, &options).item();
        assert!((a - cross_entropy(&x, &y).item()).abs() < 1e-12);
        let binary = SigmoidFocalOptions {
            alpha: -1.0,
            gamma: 0.0,
            reduction: Reduction::Mean,
        };
        let t = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]);
        let b = sigmoid_focal_loss_with(&x, &t, &binary).item();
        let bce = crate::loss::binary_cross_entropy_with_logits(&x, &t).item();
        assert!((b - bce).abs() < 1e-12);
    }

    #[test]
    fn easy_examples_are_down_weighted() {
        // x = 3, y = 1: p_t = σ(3) = 0.9526, factor (1 − p_t)² ≈ 0.00225
        let x = Var::new(Tensor::from_vec_f64(vec![3.0], &[1]));
        let l = sigmoid_focal_loss(&x, &Tensor::ones(&[1])).item();
        let p = 1.0 / (1.0 + (-3.0f64).exp());
        let expected = 0.25 * (1.0 - p).powi(2) * -(p.ln());
        assert!((l - expected).abs() < 1e-15);
    }

    #[test]
    fn finite_at_saturated_logits_in_both_dtypes() {
        for dtype in [DType::F32, DType::F64] {
            let x =
                Var::param(Tensor::from_vec(vec![1e4, -1e4, 1e4, -1e4], &[2, 2]).to_dtype(dtype));
            let t = Tensor::from_vec(vec![1.0, 1.0, 0.0, 0.0], &[2, 2]);
            let l = sigmoid_focal_loss_with(
                &x,
                &t,
                &SigmoidFocalOptions {
                    gamma: 0.5,
                    ..Default::default()
                },
            );
            // wrong and certain: α_t · 1 · 1e4
            assert_eq!(l.value().to_vec::<f64>(), vec![0.0, 2500.0, 7500.0, 0.0]);
            l.sum().backward();
            assert!(
                x.grad()
                    .unwrap()
                    .to_vec::<f64>()
                    .iter()
                    .all(|g| g.is_finite())
            );
            // row 0 wrong by 2e4 (loss 2e4), row 1 right (loss 0)
            let y = Tensor::from_vec_i64(vec![1, 0], &[2]);
            let m = softmax_focal_loss(&x, &y);
            assert!((m.item() - 1e4).abs() < 1e-2);
            m.backward();
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
    #[should_panic(
        expected = "softmax_focal_loss: alpha has 3 entries but logits of shape [1, 2] have 2 classes"
    )]
    fn wrong_alpha_length_panics() {
        let options = SoftmaxFocalOptions {
            alpha: Some(vec![1.0; 3]),
            ..Default::default()
        };
        softmax_focal_loss_with(
            &Var::new(Tensor::zeros(&[1, 2])),
            &Tensor::zeros_dtype(&[1], tensor::DType::I64),
            &options,
        );
    }
}
