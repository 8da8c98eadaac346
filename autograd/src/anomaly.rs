//! Anomaly mode: find the first op that produces a NaN or an infinity.
//!
//! Off by default; then each op pays one relaxed atomic load. When on, every op's
//! forward output and every gradient its backward returns are scanned, and the
//! first non-finite value panics with the op's name, the shapes and the pass:
//! ```text
//! anomaly: `ln` produced NaN/inf in forward; inputs [4, 3]; output [4, 3]
//! ```
//! Read next: [`crate::graphviz`].

use std::sync::atomic::{AtomicBool, Ordering};

use tensor::Tensor;

static ANOMALY: AtomicBool = AtomicBool::new(false);

/// Turn anomaly detection on or off for the whole process.
pub fn set_detect_anomaly(on: bool) {
    ANOMALY.store(on, Ordering::Relaxed);
}

/// Whether anomaly detection is on.
pub fn is_anomaly_enabled() -> bool {
    ANOMALY.load(Ordering::Relaxed)
}

/// Run `f` with anomaly detection on, restoring the previous setting afterwards.
pub fn detect_anomaly<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_detect_anomaly(self.0);
        }
    }
    let _restore = Restore(ANOMALY.swap(true, Ordering::Relaxed));
    f()
}

fn all_finite(t: &Tensor) -> bool {
    t.to_vec::<f64>().iter().all(|x| x.is_finite())
}

/// Panic if `output` of op `name` (forward pass) holds a NaN or an infinity.
#[track_caller]
pub(crate) fn check_forward(name: &str, inputs: &[Vec<usize>], output: &Tensor) {
    if is_anomaly_enabled() && !all_finite(output) {
        panic!(
            "anomaly: `{name}` produced NaN/inf in forward; inputs {}; output {:?}",
            shapes(inputs),
            output.shape()
        );
    }
}

/// Panic if a gradient returned by the backward of op `name` holds NaN or infinity.
pub(crate) fn check_backward(name: &str, grad_out: &Tensor, grads: &[Option<Tensor>]) {
    if !is_anomaly_enabled() {
        return;
    }
    for (i, g) in grads.iter().enumerate() {
        if let Some(g) = g
            && !all_finite(g)
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

fn shapes(inputs: &[Vec<usize>]) -> String {
    inputs
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
