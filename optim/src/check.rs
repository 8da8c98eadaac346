//! Argument checks shared by the optimizers and schedules, with PyTorch's wording:
//! `SGD: invalid learning rate: -1. Hint: use lr >= 0, e.g. 1e-3`.

use autograd::{Gradient, Var};
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

/// Panic with `"<optimizer>: <message>. Hint: <hint>"`.
#[track_caller]
pub(crate) fn fail(optimizer: &'static str, message: String, hint: &str) -> ! {
    Error::new(optimizer, ErrorKind::Value, message)
        .with_hint(hint)
        .raise()
}

/// [`fail`] unless `ok`.
#[track_caller]
pub(crate) fn check(optimizer: &'static str, ok: bool, message: String, hint: &str) {
    if !ok {
        fail(optimizer, message, hint);
    }
}

/// `lr ≥ 0` (PyTorch: "Invalid learning rate").
#[track_caller]
pub(crate) fn check_lr(optimizer: &'static str, lr: f64) {
    check(
        optimizer,
        lr >= 0.0,
        format!("invalid learning rate: {lr}"),
        "use lr >= 0, e.g. 1e-3",
    );
}

/// `weight_decay ≥ 0`.
#[track_caller]
pub(crate) fn check_weight_decay(optimizer: &'static str, weight_decay: f64) {
    check(
        optimizer,
        weight_decay >= 0.0,
        format!("invalid weight_decay value: {weight_decay}"),
        "use weight_decay >= 0 (0 turns it off)",
    );
}

/// `eps ≥ 0`.
#[track_caller]
pub(crate) fn check_eps(optimizer: &'static str, eps: f64) {
    check(
        optimizer,
        eps >= 0.0,
        format!("invalid epsilon value: {eps}"),
        "use a small eps >= 0, e.g. 1e-8",
    );
}

/// A decay rate in `[0, 1)`, such as Adam's betas or RMSprop's alpha (`what` names it).
#[track_caller]
pub(crate) fn check_rate(optimizer: &'static str, what: &str, value: f64) {
    check(
        optimizer,
        (0.0..1.0).contains(&value),
        format!("invalid {what}: {value}"),
        "decay rates lie in [0, 1), e.g. 0.9",
    );
}

/// The gradient of `p`, checked to fit it (shape, dtype, row indices), or `None` if
/// `p` has none. A misfit would otherwise broadcast silently into a wrong update.
#[track_caller]
pub(crate) fn gradient_of(optimizer: &'static str, p: &Var) -> Option<Gradient> {
    let g = p.gradient()?;
    let (shape, dtype) = (p.shape(), p.dtype());
    let (fits, what) = match &g {
        Gradient::Dense(t) => (
            t.shape() == shape.as_slice() && t.dtype() == dtype,
            format!("{} {:?}", t.dtype(), t.shape()),
        ),
        Gradient::Rows(r) => (
            shape.len() == 2
                && r.num_rows == shape[0]
                && r.rows.shape() == [r.indices.len(), shape[1]]
                && r.rows.dtype() == dtype
                && r.indices.iter().all(|&i| i < shape[0]),
            format!(
                "{} rows {:?} at indices {:?} of a table of {} rows",
                r.rows.dtype(),
                r.rows.shape(),
                r.indices,
                r.num_rows
            ),
        ),
    };
    check(
        optimizer,
        fits,
        format!("the gradient ({what}) does not fit the parameter ({dtype} {shape:?})"),
        "a gradient must have its parameter's shape and dtype",
    );
    Some(g)
}

/// [`gradient_of`] as a dense tensor (sparse rows scattered into zeros).
#[track_caller]
pub(crate) fn dense_grad_of(optimizer: &'static str, p: &Var) -> Option<Tensor> {
    gradient_of(optimizer, p).map(|g| g.to_dense())
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::RowGradient;

    #[test]
    fn fitting_gradients_pass() {
        let p = Var::param(Tensor::zeros(&[3, 2]));
        assert!(gradient_of("SGD", &p).is_none());
        p.set_grad(Some(Gradient::Dense(Tensor::ones(&[3, 2]))));
        assert_eq!(dense_grad_of("SGD", &p).unwrap().shape(), &[3, 2]);
        let rows = Tensor::ones(&[1, 2]);
        let g = RowGradient {
            indices: vec![2],
            rows,
            num_rows: 3,
        };
        p.set_grad(Some(Gradient::Rows(g)));
        assert_eq!(
            dense_grad_of("SGD", &p).unwrap().to_vec::<f32>(),
            vec![0., 0., 0., 0., 1., 1.]
        );
    }

    #[test]
    #[should_panic(
        expected = "Adam: the gradient (f32 [2]) does not fit the parameter (f32 [3, 2])"
    )]
    fn broadcastable_dense_gradient_panics() {
        let p = Var::param(Tensor::zeros(&[3, 2]));
        p.set_grad(Some(Gradient::Dense(Tensor::ones(&[2]))));
        dense_grad_of("Adam", &p);
    }

    #[test]
    #[should_panic(
        expected = "SparseAdam: the gradient (f32 rows [1, 2] at indices [5] of a table of 3 rows)"
    )]
    fn out_of_range_row_panics() {
        let p = Var::param(Tensor::zeros(&[3, 2]));
        let g = RowGradient {
            indices: vec![5],
            rows: Tensor::ones(&[1, 2]),
            num_rows: 3,
        };
        p.set_grad(Some(Gradient::Rows(g)));
        gradient_of("SparseAdam", &p);
    }

    #[test]
    #[should_panic(expected = "SGD: invalid learning rate: NaN")]
    fn nan_lr_panics() {
        check_lr("SGD", f64::NAN);
    }
}
