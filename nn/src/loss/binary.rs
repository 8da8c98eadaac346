//! Binary cross-entropy, on probabilities (`binary_cross_entropy`) and on logits
//! (`binary_cross_entropy_with_logits`), as `torch.nn.functional`.
//!
//! ```text
//! on probabilities p ∈ [0, 1], targets y ∈ [0, 1]:
//!   ℓ = −w · ( y · max(ln p, −100) + (1 − y) · max(ln(1 − p), −100) )
//!   the −100 clamp is PyTorch's: p = 0 or 1 gives a large finite loss, not inf.
//!
//! on logits x (p = σ(x)), with pos_weight P (one per class, last dim):
//!   ℓ = −w · ( P·y · ln σ(x) + (1 − y) · ln(1 − σ(x)) )
//!     = w · ( (1 − y)·x + (1 + (P − 1)·y) · softplus(−x) )      ← computed
//!   softplus(−x) = ln(1 + e^(−x)) = max(−x, 0) + ln(1 + e^(−|x|)), stable; without
//!   pos_weight this is max(x, 0) − x·y + ln(1 + e^(−|x|)).
//! ```
//! Prefer the logits form: it never takes `ln` of a rounded probability, stays exact
//! at x = ±1e4, and its gradient is simply `w·(σ(x) − y)` (with P = 1).
//! `ln p` is guarded so that p = 0 gives a finite gradient too: where p is below the
//! dtype's smallest normal number the log is the constant −100 (gradient 0), and
//! elsewhere `ln` only ever sees p itself. (For f32 p below 1.2e-38 this is −100
//! where PyTorch would give ln p ∈ (−103, −87) clamped; nothing else differs.)
//! Read next: [`crate::loss::regression`].

use autograd::Var;
use tensor::error::{Error, ErrorKind};
use tensor::shape::unravel_index;
use tensor::{DType, Tensor};

use super::{Reduction, check_same_shape, constant, scalar};

/// Options of [`binary_cross_entropy_with`].
#[derive(Clone, Debug, Default)]
pub struct BceOptions {
    /// A weight per element, broadcast to the input's shape.
    pub weight: Option<Tensor>,
    /// How per-element losses are combined (default `Mean`).
    pub reduction: Reduction,
}

/// Options of [`binary_cross_entropy_with_logits_with`].
#[derive(Clone, Debug, Default)]
pub struct BceWithLogitsOptions {
    /// A weight per element, broadcast to the input's shape.
    pub weight: Option<Tensor>,
    /// Weight of the positive term per class, broadcast along the last dim
    /// (`[C]`): P > 1 raises recall, P = #negatives/#positives balances classes.
    pub pos_weight: Option<Tensor>,
    /// How per-element losses are combined (default `Mean`).
    pub reduction: Reduction,
}

/// `max(ln x, −100)` with a finite gradient everywhere on `[0, 1]` (see module doc).
fn clamped_ln(x: &Var) -> Var {
    let tiny = match x.dtype() {
        DType::F64 => f64::MIN_POSITIVE,
        _ => f64::from(f32::MIN_POSITIVE), // f32 (a Var is a float)
    };
    let valid = x.value().ge_scalar(tiny);
    let one = scalar(1.0, x.dtype());
    let x_safe = Var::where_cond(&valid, x, &one);
    let ln = x_safe.log().clamp(-100.0, f64::INFINITY);
    Var::where_cond(&valid, &ln, &scalar(-100.0, x.dtype()))
}

/// Binary cross-entropy of probabilities `input` against targets in `[0, 1]`, mean
/// over elements. See the module doc.
///
/// # Shapes
/// `input` and `target`: any equal shapes.
///
/// # Panics
/// If the shapes differ or an input is outside `[0, 1]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::binary_cross_entropy;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let p = Var::new(Tensor::from_vec(vec![0.8, 0.0], &[2]));
/// let loss = binary_cross_entropy(&p, &Tensor::from_vec(vec![1.0, 1.0], &[2]));
/// assert!((loss.item() - (0.2231 + 100.0) / 2.0).abs() < 1e-3); // ln 0 clamped at −100
/// ```
#[track_caller]
pub fn binary_cross_entropy(input: &Var, target: &Tensor) -> Var {
    binary_cross_entropy_with(input, target, &BceOptions::default())
}

/// [`binary_cross_entropy`] with a per-element `weight` and a `reduction`.
///
/// # Shapes
/// `input` and `target` equal; `weight` broadcasts to them.
///
/// # Panics
/// If the shapes do not fit or an input is outside `[0, 1]`.
#[track_caller]
pub fn binary_cross_entropy_with(input: &Var, target: &Tensor, options: &BceOptions) -> Var {
    check_same_shape(
        "binary_cross_entropy",
        ["input", "target"],
        &input.shape(),
        target.shape(),
    );
    check_probabilities(&input.value());
    let y = constant(target, input.dtype());
    let log_p = clamped_ln(input);
    let log_not_p = clamped_ln(&(1.0 - input));
    let mut losses = -(&(&y * &log_p) + &(&(1.0 - &y) * &log_not_p));
    if let Some(w) = &options.weight {
        losses = &losses * &constant(w, input.dtype());
    }
    options.reduction.apply(&losses)
}

/// Panic unless every input is a probability, naming the first that is not (value,
/// index, flat position) as `Embedding` names a bad index. NaN is refused too.
#[track_caller]
fn check_probabilities(p: &Tensor) {
    let values: Vec<f64> = p.to_vec();
    let outside = |v: &&f64| !(0.0..=1.0).contains(*v);
    if let Some(pos) = values.iter().position(|v| outside(&v)) {
        let count = values.iter().filter(outside).count();
        Error::new(
            "binary_cross_entropy",
            ErrorKind::Value,
            format!(
                "input {} at index {:?} (flat position {pos} of input with shape {:?}) is not \
                 a probability in [0, 1]; {count} of the {} inputs are outside",
                values[pos],
                unravel_index(pos, p.shape()),
                p.shape(),
                values.len()
            ),
        )
        .with_hint("pass logits to binary_cross_entropy_with_logits instead of applying sigmoid")
        .raise();
    }
}

/// Binary cross-entropy on logits (sigmoid included, computed stably), mean over
/// elements. See the module doc.
///
/// # Shapes
/// `input` and `target`: any equal shapes.
///
/// # Panics
/// If the shapes differ.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::binary_cross_entropy_with_logits;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let x = Var::param(Tensor::from_vec(vec![0.0, 1e4], &[2]));
/// let loss = binary_cross_entropy_with_logits(&x, &Tensor::from_vec(vec![1.0, 0.0], &[2]));
/// assert!((loss.item() - (2f64.ln() + 1e4) / 2.0).abs() < 1e-2); // no overflow
/// loss.backward(); // (σ(x) − y) / 2
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![-0.25, 0.5]);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits(input: &Var, target: &Tensor) -> Var {
    binary_cross_entropy_with_logits_with(input, target, &BceWithLogitsOptions::default())
}

/// [`binary_cross_entropy_with_logits`] with `weight`, `pos_weight` and `reduction`.
///
/// # Shapes
/// `input` and `target` equal; `weight` broadcasts to them; `pos_weight` broadcasts
/// along the last dim (`[C]`).
///
/// # Panics
/// If the shapes do not fit.
#[track_caller]
pub fn binary_cross_entropy_with_logits_with(
    input: &Var,
    target: &Tensor,
    options: &BceWithLogitsOptions,
) -> Var {
    check_same_shape(
        "binary_cross_entropy_with_logits",
        ["input", "target"],
        &input.shape(),
        target.shape(),
    );
    let y = constant(target, input.dtype());
    let softplus_neg_x = (-input).softplus();
    // lw = 1 + (P − 1)·y weighs the positive term; 1 without pos_weight
    let log_weighted = match &options.pos_weight {
        Some(pw) => {
            let pw = constant(pw, input.dtype());
            let lw = &(&(&pw - 1.0) * &y) + 1.0;
            &lw * &softplus_neg_x
        }
        None => softplus_neg_x,
    };
    let mut losses = &(&(1.0 - &y) * input) + &log_weighted;
    if let Some(w) = &options.weight {
        losses = &losses * &constant(w, input.dtype());
    }
    options.reduction.apply(&losses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extreme_probabilities(dtype: DType) -> Var {
        Var::param(Tensor::from_vec(vec![0.0, 1.0, 0.0, 1.0, 0.5], &[5]).to_dtype(dtype))
    }

    #[test]
    fn bce_known_values() {
        let p = Var::new(Tensor::from_vec_f64(vec![0.25, 0.5], &[2]));
        let y = Tensor::from_vec(vec![1.0, 0.0], &[2]);
        // (−ln 0.25 − ln 0.5) / 2
        let expected = (4f64.ln() + 2f64.ln()) / 2.0;
        assert!((binary_cross_entropy(&p, &y).item() - expected).abs() < 1e-12);
    }

    #[test]
    fn bce_is_finite_at_zero_and_one() {
        for dtype in [DType::F32, DType::F64] {
            let p = extreme_probabilities(dtype);
            let y = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0], &[5]);
            let options = BceOptions {
                reduction: Reduction::None,
                ..Default::default()
            };
            let l = binary_cross_entropy_with(&p, &y, &options);
            let v = l.value().to_vec::<f64>();
            // wrong and certain: 100 (the clamp); right and certain: 0
            assert_eq!(&v[..4], &[100.0, 100.0, 0.0, 0.0]);
            l.sum().backward();
            assert!(
                p.grad()
                    .unwrap()
                    .to_vec::<f64>()
                    .iter()
                    .all(|g| g.is_finite())
            );
        }
    }

    #[test]
    fn logits_form_equals_probability_form() {
        let x = Var::new(Tensor::from_vec_f64(vec![-2.0, 0.3, 1.5], &[3]));
        let y = Tensor::from_vec(vec![0.0, 1.0, 0.7], &[3]);
        let a = binary_cross_entropy_with_logits(&x, &y).item();
        let b = binary_cross_entropy(&x.sigmoid(), &y).item();
        assert!((a - b).abs() < 1e-12);
    }

    #[test]
    fn pos_weight_scales_the_positive_term() {
        let x = Var::new(Tensor::from_vec_f64(vec![0.0, 0.0], &[1, 2]));
        let y = Tensor::from_vec(vec![1.0, 0.0], &[1, 2]);
        let options = BceWithLogitsOptions {
            pos_weight: Some(Tensor::from_vec(vec![3.0, 3.0], &[2])),
            reduction: Reduction::Sum,
            ..Default::default()
        };
        // 3·ln 2 for the positive, ln 2 for the negative
        let l = binary_cross_entropy_with_logits_with(&x, &y, &options).item();
        assert!((l - 4.0 * 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn logits_form_is_finite_at_huge_logits() {
        for dtype in [DType::F32, DType::F64] {
            let x = Var::param(Tensor::from_vec(vec![1e4, -1e4, 1e4, -1e4], &[4]).to_dtype(dtype));
            let y = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], &[4]);
            let l = binary_cross_entropy_with_logits(&x, &y);
            assert!((l.item() - 5e3).abs() < 1e-3);
            l.backward();
            // (σ(x) − y)/4
            assert_eq!(
                x.grad().unwrap().to_vec::<f64>(),
                vec![0.25, -0.25, 0.0, 0.0]
            );
        }
    }

    #[test]
    #[should_panic(
        expected = "binary_cross_entropy: input 1.5 at index [1, 0] (flat position 2 of input \
                    with shape [2, 2]) is not a probability in [0, 1]; 2 of the 4 inputs are \
                    outside. Hint: pass logits to binary_cross_entropy_with_logits"
    )]
    fn probabilities_outside_zero_one_panic_naming_the_first() {
        let p = Var::new(Tensor::from_vec(vec![0.5, 1.0, 1.5, -0.25], &[2, 2]));
        binary_cross_entropy(&p, &Tensor::ones(&[2, 2]));
    }

    #[test]
    #[should_panic(expected = "binary_cross_entropy: input NaN at index [0] (flat position 0")]
    fn nan_probability_panics() {
        let p = Var::new(Tensor::from_vec(vec![f32::NAN], &[1]));
        binary_cross_entropy(&p, &Tensor::ones(&[1]));
    }

    #[test]
    #[should_panic(
        expected = "binary_cross_entropy_with_logits: input has shape [2] but target has shape [2, 1]"
    )]
    fn shape_mismatch_panics() {
        let x = Var::new(Tensor::zeros(&[2]));
        binary_cross_entropy_with_logits(&x, &Tensor::zeros(&[2, 1]));
    }
}
