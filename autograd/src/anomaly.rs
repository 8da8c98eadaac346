//! Anomaly mode: find the first op that produces a NaN or an infinity.
//!
//! Off by default, and per thread, as PyTorch's and like
//! [`no_grad`](crate::no_grad::no_grad): turned on in one thread, it leaves the others
//! alone (an ordinary `log(0) = −∞` elsewhere stays a value, not a panic). Off, an op
//! pays one thread-local read. On, the two hooks below scan every op's forward output
//! ([`crate::function::record`] calls [`check_forward`]) and every gradient its
//! backward returns ([`crate::backward`] calls [`check_backward`]); the first
//! non-finite value panics with the op's name, the shapes and the pass:
//! ```text
//! anomaly: `log` produced NaN/inf in forward; inputs [4, 3]; output [4, 3]
//! ```
//! Read next: [`crate::graphviz`].

use std::cell::Cell;
use std::marker::PhantomData;

use tensor::Tensor;

use crate::gradient::Gradient;
use crate::var::Var;

thread_local! {
    static ANOMALY: Cell<bool> = const { Cell::new(false) };
}

/// Turn anomaly detection on or off for this thread.
pub fn set_detect_anomaly(on: bool) {
    ANOMALY.with(|a| a.set(on));
}

/// Whether anomaly detection is on in this thread.
pub fn is_anomaly_enabled() -> bool {
    ANOMALY.with(Cell::get)
}

/// Anomaly detection on for this thread while the returned guard lives; dropping it
/// (also when unwinding from a panic) restores the previous setting, as leaving
/// PyTorch's `with torch.autograd.detect_anomaly():` block does.
///
/// # Examples
/// ```
/// # use ferrograd::autograd::{Var, detect_anomaly, is_anomaly_enabled};
/// # use ferrograd::tensor::Tensor;
/// {
///     let _anomaly = detect_anomaly();
///     assert!(is_anomaly_enabled());
///     let x = Var::param(Tensor::from_vec(vec![1.0, 0.0], &[2]));
///     let caught = std::panic::catch_unwind(|| x.log()); // log(0) = −∞: named at once
///     assert!(caught.is_err());
/// }
/// assert!(!is_anomaly_enabled());
/// ```
pub fn detect_anomaly() -> AnomalyGuard {
    AnomalyGuard {
        previous: ANOMALY.with(|a| a.replace(true)),
        _this_thread: PhantomData,
    }
}

/// The guard of [`detect_anomaly`]: anomaly mode is on until it is dropped. It
/// belongs to the thread that made it (not `Send`), as the setting does.
#[must_use = "anomaly mode is on only while the guard lives: `let _anomaly = detect_anomaly();`"]
pub struct AnomalyGuard {
    previous: bool,
    _this_thread: PhantomData<*const ()>,
}

impl Drop for AnomalyGuard {
    fn drop(&mut self) {
        set_detect_anomaly(self.previous);
    }
}

fn all_finite(t: &Tensor) -> bool {
    t.to_vec::<f64>().iter().all(|x| x.is_finite())
}

/// Hook after each op's forward: panic if anomaly mode is on and the `output` of op
/// `name` holds a NaN or an infinity.
#[track_caller]
pub(crate) fn check_forward(name: &str, inputs: &[&Var], output: &Tensor) {
    if is_anomaly_enabled() && !all_finite(output) {
        let shapes: Vec<String> = inputs.iter().map(|v| format!("{:?}", v.shape())).collect();
        panic!(
            "anomaly: `{name}` produced NaN/inf in forward; inputs {}; output {:?}",
            shapes.join(", "),
            output.shape()
        );
    }
}

/// Hook after each op's backward: panic if anomaly mode is on and a gradient that
/// the backward of op `name` returned holds a NaN or an infinity.
pub(crate) fn check_backward(name: &str, grad_out: &Tensor, grads: &[Option<Gradient>]) {
    if !is_anomaly_enabled() {
        return;
    }
    for (i, g) in grads.iter().enumerate() {
        if let Some(g) = g.as_ref().map(Gradient::to_dense)
            && !all_finite(&g)
        {
            panic!(
                "anomaly: `{name}` produced NaN/inf in backward (gradient for input {i}, \
                 shape {:?}); incoming gradient {:?}",
                g.shape(),
                grad_out.shape()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_restores_the_previous_setting() {
        assert!(!is_anomaly_enabled());
        {
            let _outer = detect_anomaly();
            {
                let _inner = detect_anomaly();
                assert!(is_anomaly_enabled());
            }
            assert!(is_anomaly_enabled());
            set_detect_anomaly(false);
        }
        assert!(!is_anomaly_enabled());
    }

    #[test]
    #[should_panic(expected = "anomaly: `log` produced NaN/inf in forward; inputs [2]; output [2]")]
    fn forward_names_the_op_and_shapes() {
        let _anomaly = detect_anomaly();
        Var::param(Tensor::from_vec(vec![1.0, 0.0], &[2])).log();
    }

    #[test]
    #[should_panic(expected = "anomaly: `sqrt` produced NaN/inf in backward (gradient for input 0")]
    fn backward_names_the_op() {
        let x = Var::param(Tensor::from_vec(vec![1.0, 0.0], &[2]));
        let y = x.sqrt().sum(); // √0 = 0 is finite; its gradient 1/(2√0) is not
        let _anomaly = detect_anomaly();
        y.backward();
    }
}
