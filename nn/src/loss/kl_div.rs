//! `kl_div`: the Kullback–Leibler divergence KL(target ‖ model), with the model's
//! distribution given as log-probabilities, as `torch.nn.functional.kl_div`.
//!
//! ```text
//! input x = ln q (log-probabilities, e.g. log_softmax output), target p
//!   ℓ = p · (ln p − x)          elementwise; 0 where p = 0 (the limit p ln p → 0)
//!   log_target: target t = ln p is given in log space:
//!   ℓ = eᵗ · (t − x)            (stable for tiny p, and no ln of 0)
//!
//! KL(p ‖ q) of one distribution = Σ over its classes of ℓ; so:
//!   BatchMean: Σ ℓ / B      (B = input.size(0)) — the true mean KL per sample
//!   Mean:      Σ ℓ / numel  (PyTorch's default; divides by classes too)
//!   Sum:       Σ ℓ          None: ℓ elementwise
//! ```
//! `p ln p` is computed as `where(p > 0, p · ln p, 0)` with `ln` applied to 1 where
//! p = 0, so a target with exact zeros has a finite value *and* gradient.
//! Read next: [`crate::loss::ranking`].

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use super::{check_same_shape, scalar};

/// How [`kl_div`] reduces: PyTorch's `reduction=` strings, including `"batchmean"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KlDivReduction {
    /// Σ ℓ / numel — PyTorch's default, though not the KL divergence's scale.
    #[default]
    Mean,
    /// Σ ℓ / B: the mean KL divergence per sample (what the math calls KL).
    BatchMean,
    /// Σ ℓ.
    Sum,
    /// ℓ elementwise.
    None,
}

/// KL(target ‖ exp(input)) from log-probabilities `input`; `target` is a
/// probability (or, with `log_target`, a log-probability). See the module doc.
///
/// # Shapes
/// `input` and `target`: equal shapes, usually `[B, C]`.
///
/// # Panics
/// If the shapes differ, or `BatchMean` is asked of a 0-d input.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{KlDivReduction, kl_div};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let logq = Var::param(Tensor::from_vec(vec![0.5f32.ln(), 0.5f32.ln()], &[1, 2]));
/// let p = Var::new(Tensor::from_vec(vec![1.0, 0.0], &[1, 2]));
/// let kl = kl_div(&logq, &p, KlDivReduction::BatchMean, false);
/// assert!((kl.item() - 2f64.ln()).abs() < 1e-6); // KL = 1·ln(1/0.5)
/// ```
#[track_caller]
pub fn kl_div(input: &Var, target: &Var, reduction: KlDivReduction, log_target: bool) -> Var {
    check_same_shape(
        "kl_div",
        ["input", "target"],
        &input.shape(),
        &target.shape(),
    );
    let losses = if log_target {
        &target.exp() * &(target - input)
    } else {
        &x_ln_x(target) - &(target * input)
    };
    match reduction {
        KlDivReduction::Mean => losses.mean(),
        KlDivReduction::Sum => losses.sum(),
        KlDivReduction::None => losses,
        KlDivReduction::BatchMean => {
            let shape = input.shape();
            if shape.is_empty() {
                Error::new(
                    "kl_div",
                    ErrorKind::Shape,
                    "reduction BatchMean needs a batch dim, got a 0-d input",
                )
                .raise();
            }
            losses.sum() * (1.0 / shape[0] as f64)
        }
    }
}

/// `p · ln p`, defined as 0 at p = 0 (`torch.xlogy(p, p)`), finite gradient there.
fn x_ln_x(p: &Var) -> Var {
    let positive = p.value().gt_scalar(0.0);
    let p_safe = Var::where_cond(&positive, p, &scalar(1.0, p.dtype()));
    Var::where_cond(&positive, &(p * &p_safe.log()), &scalar(0.0, p.dtype()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::{DType, Tensor};

    fn distributions(dtype: DType) -> (Var, Var) {
        let q = Tensor::from_vec(vec![0.25, 0.75, 0.5, 0.5], &[2, 2]).to_dtype(dtype);
        let p = Tensor::from_vec(vec![0.5, 0.5, 1.0, 0.0], &[2, 2]).to_dtype(dtype);
        (Var::param(q.log()), Var::param(p))
    }

    #[test]
    fn batchmean_is_the_mean_kl_per_sample() {
        for dtype in [DType::F32, DType::F64] {
            let (logq, p) = distributions(dtype);
            // row 0: ½ln(½/¼) + ½ln(½/¾); row 1: 1·ln(1/½) (the 0 term counts 0)
            let row0 = 0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln();
            let row1 = 2f64.ln();
            let kl = kl_div(&logq, &p, KlDivReduction::BatchMean, false).item();
            assert!((kl - (row0 + row1) / 2.0).abs() < 1e-6);
            let mean = kl_div(&logq, &p, KlDivReduction::Mean, false).item();
            assert!((mean - (row0 + row1) / 4.0).abs() < 1e-6);
        }
    }

    #[test]
    fn log_target_gives_the_same_divergence() {
        let (logq, p) = distributions(DType::F64);
        let a = kl_div(&logq, &p, KlDivReduction::Sum, false).item();
        // ln 0 = −inf: e^(−inf)·(−inf − x) would be 0·inf; use a tiny p instead
        let logp = Var::new(p.value().clamp(1e-300, 1.0).log());
        let b = kl_div(&logq, &logp, KlDivReduction::Sum, true).item();
        assert!((a - b).abs() < 1e-12);
    }

    #[test]
    fn zero_target_probabilities_have_finite_gradients() {
        let (logq, p) = distributions(DType::F64);
        kl_div(&logq, &p, KlDivReduction::Sum, false).backward();
        // ∂ℓ/∂p = ln p + 1 − x at p > 0, −x at p = 0 (only the −p·x term)
        let gp = p.grad().unwrap().to_vec::<f64>();
        assert!(gp.iter().all(|g| g.is_finite()));
        assert!((gp[3] - (-(0.5f64.ln()))).abs() < 1e-12);
        assert_eq!(
            logq.grad().unwrap().to_vec::<f64>(),
            vec![-0.5, -0.5, -1.0, 0.0]
        );
    }

    #[test]
    #[should_panic(expected = "kl_div: input has shape [2, 2] but target has shape [4]")]
    fn shape_mismatch_panics() {
        let (logq, _) = distributions(DType::F32);
        kl_div(
            &logq,
            &Var::new(Tensor::zeros(&[4])),
            KlDivReduction::Sum,
            false,
        );
    }
}
