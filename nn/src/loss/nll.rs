//! `nll_loss`: the negative log-likelihood of class-index targets, given
//! log-probabilities, as `torch.nn.functional.nll_loss`. Also the class-target
//! bookkeeping (shape rules, `weight`, `ignore_index`) that
//! [`crate::loss::cross_entropy`](mod@crate::loss::cross_entropy) reuses.
//!
//! ```text
//! input  logp: [B, C, d1, ..] (or [C])      log-probabilities, class dim 1 (0 for 1-D)
//! target y:    [B, d1, ..]    (or [])       i64 class indices, or ignore_index
//!
//! wᵢ = weight[yᵢ]·[yᵢ ≠ ignore_index]        (weight defaults to all ones)
//! ℓᵢ = −wᵢ · logp[i, yᵢ]
//! Mean: Σᵢ ℓᵢ / Σᵢ wᵢ      (PyTorch: normalised by the total weight of the counted
//!                           targets, so ignored targets do not dilute the mean;
//!                           NaN when every target is ignored, as in PyTorch)
//! Sum:  Σᵢ ℓᵢ             None: ℓ with the target's shape (0 at ignored targets)
//! ```
//! `logp[i, yᵢ]` is a `gather` along the class dim, so the gradient is
//! `−wᵢ·g` at the target class and 0 elsewhere.
//! Read next: [`crate::loss::binary`].

use autograd::Var;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::index::check_index_dtype;
use tensor::{DType, Tensor};

use super::{Reduction, constant};

/// Options of [`nll_loss_with`] (and the class-index part of cross-entropy).
#[derive(Clone, Debug)]
pub struct NllLossOptions {
    /// A rescaling weight per class, shape `[C]` (converted to the input's dtype).
    pub weight: Option<Tensor>,
    /// Targets equal to this value count for nothing (PyTorch's default −100).
    pub ignore_index: i64,
    /// How per-target losses are combined (see the module doc for `Mean`).
    pub reduction: Reduction,
}

impl Default for NllLossOptions {
    fn default() -> Self {
        NllLossOptions {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
        }
    }
}

/// Class-index targets checked against an input shape, ready to gather with.
pub(crate) struct ClassTargets {
    /// The class dim of the input: 1, or 0 for a 1-D input.
    pub(crate) class_dim: isize,
    /// Number of classes `C`.
    pub(crate) num_classes: usize,
    /// Target indices (i64) with ignored ones replaced by 0 (a valid index), target's
    /// shape.
    pub(crate) index: Tensor,
    /// wᵢ = weight[yᵢ] (1 without weights), 0 at ignored targets; target's shape.
    pub(crate) w: Tensor,
    /// 1 where the target counts, 0 where it is ignored; target's shape.
    pub(crate) keep: Tensor,
}

/// Check `target` (i64 class indices) against an input of `input_shape` and resolve
/// weights and ignored entries. `op` names the calling loss in messages.
#[track_caller]
pub(crate) fn class_targets(
    op: &'static str,
    input_shape: &[usize],
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: i64,
    dtype: DType,
) -> ClassTargets {
    if input_shape.is_empty() || input_shape.contains(&0) {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("input of shape {input_shape:?} has no classes to score"),
        )
        .with_hint("expected [C], [B, C] or [B, C, d1, ..] with every size ≥ 1")
        .raise();
    }
    check_index_dtype(op, "target", target).or_raise();
    let class_dim = if input_shape.len() == 1 { 0 } else { 1 };
    let num_classes = input_shape[class_dim];
    let mut expected = input_shape.to_vec();
    expected.remove(class_dim);
    if target.shape() != expected.as_slice() {
        Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "input has shape {input_shape:?} (classes along dim {class_dim}) so class-index \
                 targets must have shape {expected:?}, got {:?}",
                target.shape()
            ),
        )
        .with_hint("the class dim is 1 for inputs of 2 or more dims, as in PyTorch: [B, C, d1, ..] with targets [B, d1, ..]")
        .raise();
    }
    let class_weight: Vec<f64> = match weight {
        Some(w) if w.shape() != [num_classes] => Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "weight must have shape [{num_classes}] (one per class), got {:?}",
                w.shape()
            ),
        )
        .raise(),
        Some(w) => w.to_vec(),
        None => vec![1.0; num_classes],
    };
    let values: Vec<i64> = target.to_vec();
    let mut index = Vec::with_capacity(values.len());
    let mut w = Vec::with_capacity(values.len());
    let mut keep = Vec::with_capacity(values.len());
    for &y in &values {
        if y == ignore_index {
            index.push(0);
            w.push(0.0);
            keep.push(0.0);
        } else if !(0..num_classes as i64).contains(&y) {
            Error::new(
                op,
                ErrorKind::Index,
                format!(
                    "target {y} is not a class index in 0..{num_classes} (nor ignore_index {ignore_index})"
                ),
            )
            .with_hint("targets are class indices; for class probabilities pass a float target of the input's shape to cross_entropy")
            .raise();
        } else {
            index.push(y);
            w.push(class_weight[y as usize]);
            keep.push(1.0);
        }
    }
    let make = |v: Vec<f64>| Tensor::from_vec_f64(v, target.shape()).to_dtype(dtype);
    ClassTargets {
        class_dim: class_dim as isize,
        num_classes,
        index: Tensor::from_vec_i64(index, target.shape()),
        w: make(w),
        keep: make(keep),
    }
}

/// `logp[i, yᵢ]` for every target: a gather along the class dim, target's shape.
pub(crate) fn pick(logp: &Var, targets: &ClassTargets) -> Var {
    let d = targets.class_dim;
    logp.gather(d, &targets.index.unsqueeze(d)).squeeze(d)
}

/// `−wᵢ·logp[i, yᵢ]`, reduced with the weight-normalised mean.
pub(crate) fn weighted_nll(logp: &Var, targets: &ClassTargets, reduction: Reduction) -> Var {
    let w = constant(&targets.w, logp.dtype());
    let losses = -(&pick(logp, targets) * &w);
    reduce_weighted(&losses, targets, reduction)
}

/// Reduce per-target losses: `Mean` divides by Σ wᵢ (the total weight of the targets
/// that count), as PyTorch's nll_loss and cross_entropy do.
pub(crate) fn reduce_weighted(losses: &Var, targets: &ClassTargets, reduction: Reduction) -> Var {
    match reduction {
        Reduction::Mean => losses.sum() * (1.0 / targets.w.sum().item()),
        other => other.apply(losses),
    }
}

/// The negative log-likelihood with PyTorch's defaults (no weights, ignore_index −100,
/// mean). See [`nll_loss_with`] and the module doc.
///
/// # Shapes
/// `input: [C]`, `[B, C]` or `[B, C, d1, ..]`; `target: []`, `[B]` or `[B, d1, ..]`.
///
/// # Panics
/// If the shapes do not fit, the target is not i64, or a target is not a class index.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::nll_loss;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let logp = Var::new(Tensor::from_vec(vec![-0.5, -1.0, -2.0, -0.1], &[2, 2]));
/// let loss = nll_loss(&logp, &Tensor::from_vec_i64(vec![1, 1], &[2]));
/// assert!((loss.item() - 0.55).abs() < 1e-6); // (1.0 + 0.1) / 2
/// ```
#[track_caller]
pub fn nll_loss(input: &Var, target: &Tensor) -> Var {
    nll_loss_with(input, target, &NllLossOptions::default())
}

/// The negative log-likelihood with options (`weight`, `ignore_index`, `reduction`).
///
/// # Shapes
/// As [`nll_loss`]; with `Reduction::None` the output has the target's shape.
///
/// # Panics
/// If the shapes do not fit, `weight` is not `[C]`, or a target is not a class index
/// (nor `ignore_index`).
#[track_caller]
pub fn nll_loss_with(input: &Var, target: &Tensor, options: &NllLossOptions) -> Var {
    let targets = class_targets(
        "nll_loss",
        &input.shape(),
        target,
        options.weight.as_ref(),
        options.ignore_index,
        input.dtype(),
    );
    weighted_nll(input, &targets, options.reduction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logp() -> Var {
        // rows: [−0.5, −1, −2], [−3, −0.25, −4]
        Var::new(Tensor::from_vec_f64(
            vec![-0.5, -1.0, -2.0, -3.0, -0.25, -4.0],
            &[2, 3],
        ))
    }

    #[test]
    fn mean_sum_none_on_known_values() {
        let y = Tensor::from_vec_i64(vec![2, 1], &[2]);
        // ℓ = [2, 0.25]
        assert_eq!(nll_loss(&logp(), &y).item(), 1.125);
        let sum = NllLossOptions {
            reduction: Reduction::Sum,
            ..Default::default()
        };
        assert_eq!(nll_loss_with(&logp(), &y, &sum).item(), 2.25);
        let none = NllLossOptions {
            reduction: Reduction::None,
            ..Default::default()
        };
        let l = nll_loss_with(&logp(), &y, &none);
        assert_eq!(l.value().to_vec::<f64>(), vec![2.0, 0.25]);
    }

    #[test]
    fn weights_and_ignore_index_normalise_the_mean() {
        let y = Tensor::from_vec_i64(vec![2, -100], &[2]);
        let options = NllLossOptions {
            weight: Some(Tensor::from_vec(vec![1.0, 1.0, 4.0], &[3])),
            ..Default::default()
        };
        // only the first target counts: 4·2 / 4 = 2
        assert_eq!(nll_loss_with(&logp(), &y, &options).item(), 2.0);
        // gradient: −w/Σw = −1 at [0, 2], nothing for the ignored row
        let x = Var::param(logp().value());
        nll_loss_with(&x, &y, &options).backward();
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![0.0, 0.0, -1.0, 0.0, 0.0, 0.0]
        );
    }

    #[test]
    fn one_dim_input_takes_a_scalar_target() {
        let x = Var::new(Tensor::from_vec_f64(vec![-0.5, -1.5], &[2]));
        let y = Tensor::from_vec_i64(vec![1], &[]);
        assert_eq!(nll_loss(&x, &y).item(), 1.5);
    }

    #[test]
    fn class_dim_is_one_for_spatial_inputs() {
        // [B=1, C=2, d=2]: position 0 picks class 1, position 1 picks class 0
        let x = Var::new(Tensor::from_vec_f64(
            vec![-1.0, -2.0, -3.0, -4.0],
            &[1, 2, 2],
        ));
        let y = Tensor::from_vec_i64(vec![1, 0], &[1, 2]);
        // ℓ = [3, 2] → mean 2.5
        assert_eq!(nll_loss(&x, &y).item(), 2.5);
    }

    #[test]
    #[should_panic(
        expected = "nll_loss: input has shape [2, 3] (classes along dim 1) so class-index targets must have shape [2], got [2, 3]"
    )]
    fn wrong_target_shape_panics() {
        nll_loss(&logp(), &Tensor::zeros_dtype(&[2, 3], DType::I64));
    }

    #[test]
    #[should_panic(expected = "nll_loss: target 3 is not a class index in 0..3")]
    fn out_of_range_target_panics() {
        nll_loss(&logp(), &Tensor::from_vec_i64(vec![0, 3], &[2]));
    }

    #[test]
    #[should_panic(expected = "nll_loss: weight must have shape [3] (one per class), got [2]")]
    fn wrong_weight_shape_panics() {
        let options = NllLossOptions {
            weight: Some(Tensor::ones(&[2])),
            ..Default::default()
        };
        nll_loss_with(&logp(), &Tensor::zeros_dtype(&[2], DType::I64), &options);
    }

    #[test]
    #[should_panic(
        expected = "nll_loss: target must be an i64 tensor, got f32 [2]. Hint: \
                               indices, class labels and token ids are i64"
    )]
    fn float_targets_are_refused() {
        nll_loss(&logp(), &Tensor::from_vec(vec![0.0, 1.0], &[2]));
    }
}
