//! Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.
//!
//! ```text
//! clip_grad_norm:   ‖g‖ = ( Σ_params ‖g_p‖ᵖ )^(1/p)      one global norm over all gradients
//!                   c = max_norm / (‖g‖ + 1e-6)
//!                   if c < 1:  g_p ← c · g_p               for every parameter p
//! clip_grad_value:  g ← clamp(g, −clip, clip)             elementwise
//! ```
//! Call between `loss.backward()` and `opt.step()`. Clipping by the global norm keeps
//! the direction of the whole update and only shortens it, which tames the rare
//! exploding step of an RNN or an early transformer. Sparse row gradients stay sparse
//! (their duplicate rows are summed first, so the norm is the norm of the real
//! gradient). Read next: [`crate::schedule`].

use autograd::{Gradient, Var};
use tensor::{DType, Tensor};

use crate::check::{check, fail};

/// The p-norm of all elements of `t`, computed in f64 (`p = ∞`: max |x|) and, where
/// `Σ|x|ᵖ` would overflow (f64 gradients beyond ~1e154), as `m·‖x/m‖ₚ` with
/// `m = max |x|` ([`Tensor::norm_dim`]): a huge gradient is clipped, not zeroed.
fn norm_of(t: &Tensor, norm_type: f64) -> f64 {
    t.to_dtype(DType::F64)
        .reshape(&[t.numel()])
        .norm_dim(norm_type, 0, false)
        .item()
}

/// A gradient with duplicate sparse rows summed (dense gradients unchanged).
fn coalesced(g: Gradient) -> Gradient {
    match g {
        Gradient::Rows(rows) => Gradient::Rows(rows.coalesce()),
        dense => dense,
    }
}

/// Apply `f` to a gradient's values: the whole tensor, or the rows of a sparse one.
fn map_values(g: Gradient, f: impl Fn(&Tensor) -> Tensor) -> Gradient {
    match g {
        Gradient::Dense(t) => Gradient::Dense(f(&t)),
        Gradient::Rows(mut rows) => {
            rows.rows = f(&rows.rows);
            Gradient::Rows(rows)
        }
    }
}

/// The values a gradient holds (dense tensor, or the rows of a sparse one).
fn values(g: &Gradient) -> &Tensor {
    match g {
        Gradient::Dense(t) => t,
        Gradient::Rows(rows) => &rows.rows,
    }
}

/// Scale the gradients of `params` so that their global `norm_type`-norm is at most
/// `max_norm`; returns the total norm *before* clipping (log it: a growing norm is an
/// early sign of divergence). `norm_type` is usually `2.0`; `f64::INFINITY` uses the
/// largest absolute entry. Parameters without a gradient are skipped.
///
/// As in PyTorch, a non-finite total norm gives a NaN or zero scale, so the gradients
/// become NaN or zero: check the returned value.
///
/// # Panics
/// If `max_norm` is negative or NaN, or `norm_type` is NaN.
///
/// # Examples
/// ```
/// use ferrograd::autograd::{Gradient, Var};
/// use ferrograd::optim::clip_grad_norm;
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::zeros(&[2]));
/// w.set_grad(Some(Gradient::Dense(Tensor::from_vec(vec![3.0, 4.0], &[2]))));
/// let total = clip_grad_norm(&[w.clone()], 1.0, 2.0);
/// assert_eq!(total, 5.0); // ‖(3, 4)‖ = 5, so the gradient is scaled by 1/5
/// let g = w.grad().unwrap().to_vec::<f32>();
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
#[track_caller]
pub fn clip_grad_norm(params: &[Var], max_norm: f64, norm_type: f64) -> f64 {
    let message = format!("invalid max_norm: {max_norm}");
    check(
        "clip_grad_norm",
        max_norm >= 0.0,
        message,
        "use max_norm > 0, e.g. 1.0",
    );
    if norm_type.is_nan() {
        fail(
            "clip_grad_norm",
            "norm_type is NaN".to_string(),
            "use 2.0, or f64::INFINITY",
        );
    }
    let grads: Vec<(&Var, Gradient)> = params
        .iter()
        .filter_map(|p| p.gradient().map(|g| (p, coalesced(g))))
        .collect();
    if grads.is_empty() {
        return 0.0;
    }
    // the norm of the per-parameter norms is the norm of all entries together
    let norms: Vec<f64> = grads
        .iter()
        .map(|(_, g)| norm_of(values(g), norm_type))
        .collect();
    let total = norm_of(
        &Tensor::from_vec_f64(norms.clone(), &[norms.len()]),
        norm_type,
    );
    let clip_coef = max_norm / (total + 1e-6);
    if clip_coef < 1.0 || clip_coef.is_nan() {
        for (p, g) in grads {
            p.set_grad(Some(map_values(g, |t| t * clip_coef)));
        }
    }
    total
}

/// Clamp every gradient entry of `params` into `[−clip, clip]`.
///
/// # Panics
/// If `clip` is negative or NaN.
///
/// # Examples
/// ```
/// use ferrograd::autograd::{Gradient, Var};
/// use ferrograd::optim::clip_grad_value;
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::zeros(&[3]));
/// w.set_grad(Some(Gradient::Dense(Tensor::from_vec(vec![-5.0, 0.5, 2.0], &[3]))));
/// clip_grad_value(&[w.clone()], 1.0);
/// assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn clip_grad_value(params: &[Var], clip: f64) {
    let message = format!("invalid clip value: {clip}");
    check(
        "clip_grad_value",
        clip >= 0.0,
        message,
        "use a clip value > 0, e.g. 1.0",
    );
    for p in params {
        if let Some(g) = p.gradient() {
            p.set_grad(Some(map_values(coalesced(g), |t| t.clamp(-clip, clip))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{assert_close, param, set_grad};
    use autograd::RowGradient;
    use std::slice::from_ref;

    fn grad_values(p: &Var) -> Vec<f64> {
        p.grad().unwrap().to_dtype(DType::F64).to_vec::<f64>()
    }

    #[test]
    fn global_norm_over_two_params_both_dtypes() {
        for dtype in [DType::F32, DType::F64] {
            let (a, b, c) = (
                param(&[0.0, 0.0], dtype),
                param(&[0.0], dtype),
                param(&[0.0], dtype),
            );
            set_grad(&a, &[2.0, 4.0]);
            set_grad(&b, &[4.0]); // ‖(2, 4, 4)‖ = 6; c has no gradient
            let total = clip_grad_norm(&[a.clone(), b.clone(), c.clone()], 3.0, 2.0);
            assert_eq!(total, 6.0);
            let scale = 3.0 / (6.0 + 1e-6);
            let tol = if dtype == DType::F32 { 1e-6 } else { 1e-15 };
            assert_close(&grad_values(&a), &[2.0 * scale, 4.0 * scale], tol);
            assert_close(&grad_values(&b), &[4.0 * scale], tol);
            assert!(c.grad().is_none());
        }
    }

    #[test]
    fn huge_gradients_are_clipped_as_unit_ones_are() {
        // ‖g‖² = 1e400 overflows f64: the total norm must still be 1e200 · 6, and the
        // clipped gradient the same as for the unit-scale one.
        for (dtype, scale) in [(DType::F64, 1e200), (DType::F32, 1e30)] {
            let (a, b) = (param(&[0.0, 0.0], dtype), param(&[0.0], dtype));
            set_grad(&a, &[2.0 * scale, 4.0 * scale]);
            set_grad(&b, &[4.0 * scale]);
            let total = clip_grad_norm(&[a.clone(), b.clone()], 3.0, 2.0);
            assert!(
                (total / (6.0 * scale) - 1.0).abs() < 1e-6,
                "{dtype}: total {total}"
            );
            let tol = if dtype == DType::F32 { 1e-6 } else { 1e-15 };
            assert_close(&grad_values(&a), &[1.0, 2.0], tol);
            assert_close(&grad_values(&b), &[2.0], tol);
            set_grad(&a, &[3.0 * scale, 4.0 * scale]); // other norms too
            let l1 = clip_grad_norm(from_ref(&a), 1e300, 1.0);
            assert!(
                (l1 / (7.0 * scale) - 1.0).abs() < 1e-6,
                "{dtype}: ‖g‖₁ {l1}"
            );
        }
    }

    #[test]
    fn small_norms_are_left_alone_and_other_norm_types() {
        let a = param(&[0.0, 0.0], DType::F64);
        set_grad(&a, &[-3.0, 1.0]);
        assert_eq!(clip_grad_norm(from_ref(&a), 10.0, 2.0), 10f64.sqrt());
        assert_eq!(grad_values(&a), vec![-3.0, 1.0]);
        assert_eq!(clip_grad_norm(from_ref(&a), 10.0, 1.0), 4.0); // |−3| + |1|
        assert_eq!(clip_grad_norm(from_ref(&a), 10.0, f64::INFINITY), 3.0); // max |g|
        assert_eq!(clip_grad_norm(&[param(&[1.0], DType::F64)], 1.0, 2.0), 0.0); // no grads
    }

    #[test]
    fn sparse_rows_are_summed_then_scaled_and_stay_sparse() {
        let table = Var::param(Tensor::zeros(&[3, 1]));
        let rows = Tensor::from_vec(vec![1.0, 2.0, 4.0], &[3, 1]);
        let grad = RowGradient {
            indices: vec![0, 0, 2],
            rows,
            num_rows: 3,
        };
        table.set_grad(Some(Gradient::Rows(grad)));
        // dense gradient [3, 0, 4]: norm 5
        assert_eq!(clip_grad_norm(from_ref(&table), 1.0, 2.0), 5.0);
        let Some(Gradient::Rows(rows)) = table.gradient() else {
            panic!("gradient became dense")
        };
        assert_eq!(rows.indices, vec![0, 2]);
        assert_close(&grad_values(&table), &[0.6, 0.0, 0.8], 1e-6);
    }

    #[test]
    fn clip_value_clamps_dense_and_sparse() {
        let a = param(&[0.0, 0.0, 0.0], DType::F64);
        set_grad(&a, &[-2.0, 0.25, 3.0]);
        clip_grad_value(from_ref(&a), 0.5);
        assert_eq!(grad_values(&a), vec![-0.5, 0.25, 0.5]);
        let table = Var::param(Tensor::zeros(&[2, 1]));
        let rows = Tensor::from_vec(vec![0.3, 0.3], &[2, 1]);
        table.set_grad(Some(Gradient::Rows(RowGradient {
            indices: vec![1, 1],
            rows,
            num_rows: 2,
        })));
        clip_grad_value(from_ref(&table), 0.5); // the summed row 0.6 is clipped, not each 0.3
        assert_close(&grad_values(&table), &[0.0, 0.5], 1e-7);
    }

    #[test]
    #[should_panic(expected = "clip_grad_norm: invalid max_norm: -1")]
    fn negative_max_norm_panics() {
        clip_grad_norm(&[], -1.0, 2.0);
    }

    #[test]
    #[should_panic(expected = "clip_grad_norm: norm_type is NaN")]
    fn nan_norm_type_panics() {
        clip_grad_norm(&[], 1.0, f64::NAN);
    }

    #[test]
    #[should_panic(expected = "clip_grad_value: invalid clip value: -0.5")]
    fn negative_clip_panics() {
        clip_grad_value(&[], -0.5);
    }
}
