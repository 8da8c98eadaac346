//! Regression losses on the difference `d = input − target`, as
//! `torch.nn.functional.{mse_loss, l1_loss, huber_loss, smooth_l1_loss}`.
//!
//! ```text
//! mse:        ℓ = d²
//! l1:         ℓ = |d|                                (gradient sign(d), 0 at d = 0)
//! huber(δ):   ℓ = ½ d²            if |d| < δ
//!               = δ · (|d| − ½ δ)  otherwise          (gradient clipped to ±δ)
//! smooth_l1(β): ℓ = ½ d² / β      if |d| < β
//!               = |d| − ½ β        otherwise          (β = 0: plain l1)
//! ```
//! huber(δ) = δ · smooth_l1(β = δ): the same curve, scaled. Both pieces are computed
//! and one is chosen per element with `where_cond`, so each branch's gradient is its own.
//! Both sides are `Var`s: the gradient reaches the target too (−∂ℓ/∂d), as in PyTorch.
//! Read next: [`crate::loss::kl_div`](mod@crate::loss::kl_div).

use autograd::Var;

use super::{Reduction, check_non_negative, check_same_shape};

/// `d = input − target`, after checking the shapes are equal.
#[track_caller]
fn difference(op: &'static str, input: &Var, target: &Var) -> Var {
    check_same_shape(op, ["input", "target"], &input.shape(), &target.shape());
    input - target
}

/// Mean squared error `(input − target)²`, reduced.
///
/// # Shapes
/// `input` and `target`: any equal shapes.
///
/// # Panics
/// If the shapes differ.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{Reduction, mse_loss};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// let y = Var::new(Tensor::from_vec(vec![0.0, 4.0], &[2]));
/// let loss = mse_loss(&x, &y, Reduction::Mean);
/// assert_eq!(loss.item(), 2.5); // (1 + 4) / 2
/// loss.backward(); // 2d / N
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, -2.0]);
/// ```
#[track_caller]
pub fn mse_loss(input: &Var, target: &Var, reduction: Reduction) -> Var {
    let d = difference("mse_loss", input, target);
    reduction.apply(&(&d * &d))
}

/// Mean absolute error `|input − target|`, reduced.
///
/// # Shapes
/// `input` and `target`: any equal shapes.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn l1_loss(input: &Var, target: &Var, reduction: Reduction) -> Var {
    reduction.apply(&difference("l1_loss", input, target).abs())
}

/// Huber loss with threshold `delta` (PyTorch's default is 1.0): quadratic near 0,
/// linear with slope ±δ beyond.
///
/// # Shapes
/// `input` and `target`: any equal shapes.
///
/// # Panics
/// If the shapes differ or `delta` is negative.
///
/// # Examples
/// ```
/// use ferrograd::nn::loss::{Reduction, huber_loss};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.5, 3.0], &[2]));
/// let y = Var::new(Tensor::zeros(&[2]));
/// let l = huber_loss(&x, &y, 1.0, Reduction::None);
/// assert_eq!(l.value().to_vec::<f32>(), vec![0.125, 2.5]); // ½·0.25, 1·(3 − ½)
/// ```
#[track_caller]
pub fn huber_loss(input: &Var, target: &Var, delta: f64, reduction: Reduction) -> Var {
    check_non_negative("huber_loss", "delta", delta);
    let d = difference("huber_loss", input, target);
    let abs = d.abs();
    let quadratic = &(&d * &d) * 0.5;
    let linear = &(&abs - 0.5 * delta) * delta;
    let inside = abs.value().lt_scalar(delta);
    reduction.apply(&Var::where_cond(&inside, &quadratic, &linear))
}

/// Smooth L1 loss with threshold `beta` (PyTorch's default is 1.0): quadratic
/// `½d²/β` near 0, `|d| − ½β` beyond; `beta = 0` is the plain L1 loss.
///
/// # Shapes
/// `input` and `target`: any equal shapes.
///
/// # Panics
/// If the shapes differ or `beta` is negative.
#[track_caller]
pub fn smooth_l1_loss(input: &Var, target: &Var, beta: f64, reduction: Reduction) -> Var {
    check_non_negative("smooth_l1_loss", "beta", beta);
    let d = difference("smooth_l1_loss", input, target);
    let abs = d.abs();
    if beta == 0.0 {
        return reduction.apply(&abs);
    }
    let quadratic = &(&d * &d) * (0.5 / beta);
    let linear = &abs - 0.5 * beta;
    let inside = abs.value().lt_scalar(beta);
    reduction.apply(&Var::where_cond(&inside, &quadratic, &linear))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::{DType, Tensor};

    fn pair(dtype: DType) -> (Var, Var) {
        let x = Var::param(Tensor::from_vec(vec![0.5, -3.0, 2.0], &[3]).to_dtype(dtype));
        let y = Var::param(Tensor::from_vec(vec![0.0, 0.0, 1.5], &[3]).to_dtype(dtype));
        (x, y)
    }

    #[test]
    fn known_values_in_both_dtypes() {
        for dtype in [DType::F32, DType::F64] {
            let (x, y) = pair(dtype);
            // d = [0.5, −3, 0.5]
            assert_eq!(mse_loss(&x, &y, Reduction::Sum).item(), 9.5);
            assert_eq!(l1_loss(&x, &y, Reduction::Sum).item(), 4.0);
            // huber δ=1: 0.125 + 2.5 + 0.125
            assert_eq!(huber_loss(&x, &y, 1.0, Reduction::Sum).item(), 2.75);
            // smooth_l1 β=2: 0.0625 + 2 + 0.0625
            assert_eq!(smooth_l1_loss(&x, &y, 2.0, Reduction::Sum).item(), 2.125);
            assert_eq!(smooth_l1_loss(&x, &y, 0.0, Reduction::Sum).item(), 4.0);
        }
    }

    #[test]
    fn huber_is_delta_times_smooth_l1() {
        let (x, y) = pair(DType::F64);
        let h = huber_loss(&x, &y, 2.0, Reduction::Sum).item();
        let s = smooth_l1_loss(&x, &y, 2.0, Reduction::Sum).item();
        assert!((h - 2.0 * s).abs() < 1e-12);
    }

    #[test]
    fn gradient_reaches_both_sides() {
        let (x, y) = pair(DType::F64);
        huber_loss(&x, &y, 1.0, Reduction::Sum).backward();
        // d = [0.5, −3, 0.5]: ∂ℓ/∂d = [0.5, −1 (clipped), 0.5]
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.5, -1.0, 0.5]);
        assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![-0.5, 1.0, -0.5]);
    }

    #[test]
    #[should_panic(expected = "smooth_l1_loss: beta must be a finite number ≥ 0, got -1")]
    fn negative_beta_panics() {
        let (x, y) = pair(DType::F32);
        smooth_l1_loss(&x, &y, -1.0, Reduction::Mean);
    }

    #[test]
    #[should_panic(expected = "mse_loss: input has shape [3] but target has shape [3, 1]")]
    fn shape_mismatch_panics() {
        let (x, _) = pair(DType::F32);
        mse_loss(&x, &Var::new(Tensor::zeros(&[3, 1])), Reduction::Mean);
    }
}
