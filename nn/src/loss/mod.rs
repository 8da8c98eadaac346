//! Loss functions: composites of differentiable [`Var`] ops, named and defaulted as
//! `torch.nn.functional`.
//!
//! ```text
//! loss(input, target) → per-element losses ℓᵢ → Reduction:
//!   Mean: (1/N) Σᵢ ℓᵢ        Sum: Σᵢ ℓᵢ        None: the ℓᵢ themselves
//! ```
//! No loss here has a handwritten backward: each is written from primitives whose
//! backward is already checked (`log_softmax`, `softplus`, `where_cond`, ...), and the
//! gradient follows. Where the textbook formula overflows (`ln σ(x)` at x = −1e4,
//! `ln p` at p = 0) the doc gives the stable form that is actually computed.
//!
//! Argument convention: predictions are [`Var`]s. Targets that are labels (class
//! indices, 0/1 or ±1 labels, soft labels) are plain [`Tensor`]s and get no gradient,
//! like data; losses comparing two predictions (mse, l1, huber, smooth_l1, kl_div,
//! the ranking losses) take both sides as `Var`s and send gradients to both.
//! Class indices are float tensors holding whole numbers (see the tensor crate).
//!
//! Families, one file each: [`cross_entropy`](mod@cross_entropy) (read first), [`nll`], [`binary`],
//! [`regression`], [`kl_div`](mod@kl_div), [`ranking`], [`focal`], [`info_nce`](mod@info_nce).
//! Read next: [`crate::metrics`].

pub mod binary;
pub mod cross_entropy;
pub mod focal;
pub mod info_nce;
pub mod kl_div;
pub mod nll;
pub mod ranking;
pub mod regression;

pub use binary::{
    BceOptions, BceWithLogitsOptions, binary_cross_entropy, binary_cross_entropy_with,
    binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_with,
};
pub use cross_entropy::{CrossEntropyOptions, cross_entropy, cross_entropy_with};
pub use focal::{
    SigmoidFocalOptions, SoftmaxFocalOptions, sigmoid_focal_loss, sigmoid_focal_loss_with,
    softmax_focal_loss, softmax_focal_loss_with,
};
pub use info_nce::{Similarity, info_nce};
pub use kl_div::{KlDivReduction, kl_div};
pub use nll::{NllLossOptions, nll_loss, nll_loss_with};
pub use ranking::{
    TripletMarginOptions, cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss,
    pairwise_hinge_loss, ranknet_loss, triplet_margin_loss, triplet_margin_loss_with,
};
pub use regression::{huber_loss, l1_loss, mse_loss, smooth_l1_loss};

use autograd::Var;
use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

/// How per-element losses are combined into the returned value (PyTorch's
/// `reduction=` string).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The average over elements (PyTorch's default). Losses with class weights say
    /// in their doc what they divide by.
    #[default]
    Mean,
    /// The sum over elements.
    Sum,
    /// No reduction: one loss per element (or per sample), for custom weighting.
    None,
}

impl Reduction {
    /// Apply this reduction to per-element losses: a 0-d `Var` for `Mean`/`Sum`,
    /// `loss` itself for `None`.
    ///
    /// # Examples
    /// ```
    /// use ferrograd::nn::loss::Reduction;
    /// use ferrograd::autograd::Var;
    /// use ferrograd::tensor::Tensor;
    /// let l = Var::new(Tensor::from_vec(vec![1.0, 2.0, 6.0], &[3]));
    /// assert_eq!(Reduction::Mean.apply(&l).item(), 3.0);
    /// assert_eq!(Reduction::Sum.apply(&l).item(), 9.0);
    /// assert_eq!(Reduction::None.apply(&l).shape(), vec![3]);
    /// ```
    pub fn apply(self, loss: &Var) -> Var {
        match self {
            Reduction::Mean => loss.mean(),
            Reduction::Sum => loss.sum(),
            Reduction::None => loss.clone(),
        }
    }
}

/// Panic unless `a` and `b` have equal shapes (the elementwise losses do not
/// broadcast, so that a `[B]` vs `[B, 1]` slip is caught instead of giving `[B, B]`).
#[track_caller]
pub(crate) fn check_same_shape(op: &'static str, what: [&str; 2], a: &[usize], b: &[usize]) {
    if a != b {
        Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "{} has shape {a:?} but {} has shape {b:?}; they must be equal",
                what[0], what[1]
            ),
        )
        .with_hint(
            "reshape one side (e.g. squeeze a trailing dim of size 1); losses do not broadcast",
        )
        .raise();
    }
}

/// A label tensor as a constant `Var` of `dtype` (targets come as f32 data; gradchecks
/// run in f64).
pub(crate) fn constant(t: &Tensor, dtype: DType) -> Var {
    Var::new(t.to_dtype(dtype))
}

/// A 0-d constant of `dtype`.
pub(crate) fn scalar(value: f64, dtype: DType) -> Var {
    Var::new(Tensor::full_dtype(&[], value, dtype))
}

/// Panic unless `value` is finite and ≥ 0 (margins, temperatures, betas, ...).
#[track_caller]
pub(crate) fn check_non_negative(op: &'static str, name: &str, value: f64) {
    if !(value.is_finite() && value >= 0.0) {
        Error::new(
            op,
            ErrorKind::Value,
            format!("{name} must be a finite number ≥ 0, got {value}"),
        )
        .raise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_on_known_values() {
        let l = Var::new(Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 6.0], &[2, 2]));
        assert_eq!(Reduction::Mean.apply(&l).item(), 3.0);
        assert_eq!(Reduction::Sum.apply(&l).item(), 12.0);
        assert_eq!(Reduction::None.apply(&l).shape(), vec![2, 2]);
        assert_eq!(Reduction::default(), Reduction::Mean);
    }

    #[test]
    #[should_panic(expected = "mse_loss: input has shape [3] but target has shape [3, 1]")]
    fn shape_mismatch_is_reported() {
        check_same_shape("mse_loss", ["input", "target"], &[3], &[3, 1]);
    }

    #[test]
    #[should_panic(expected = "huber_loss: delta must be a finite number ≥ 0, got -1")]
    fn negative_parameter_is_reported() {
        check_non_negative("huber_loss", "delta", -1.0);
    }
}
