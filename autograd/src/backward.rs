//! `backward()`: reverse-mode differentiation of a scalar, micrograd's loop in Rust.
//!
//! ```text
//! 1. order = every node the loss depends on, inputs before outputs (one DFS);
//! 2. grad[loss] = 1;
//! 3. for node in reverse(order):                  ← outputs before inputs
//!        for (input, g) in node.op.backward(grad[node]):
//!            grad[input] += g                     ← a Var used twice gets the sum
//! 4. leaves keep their grad (+= across calls, until zero_grad); the graph is released.
//! ```
//! Read next: [`crate::ops`], where each `backward` above lives.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::anomaly;
use crate::gradient::Gradient;
use crate::var::{Var, lock};

impl Var {
    /// Compute `∂self/∂x` for every leaf `x` that wants a gradient, adding it to `x.grad()`.
    ///
    /// The graph is released afterwards (saved tensors freed); a second `backward`
    /// through it panics. Use [`Var::backward_retain`] to keep it.
    ///
    /// # Panics
    /// If `self` is not a single-element tensor (a loss), or its graph was released.
    #[track_caller]
    pub fn backward(&self) {
        self.check_scalar_loss();
        self.run_backward(Tensor::ones_like(&self.value()), false);
    }

    /// Like [`Var::backward`], but keeps the graph so `backward` can run through it again.
    ///
    /// # Panics
    /// If `self` is not a single-element tensor.
    #[track_caller]
    pub fn backward_retain(&self) {
        self.check_scalar_loss();
        self.run_backward(Tensor::ones_like(&self.value()), true);
    }

    /// Backward from a non-scalar output, given `grad = ∂L/∂self` (a vector–Jacobian
    /// product). `y.backward_with(&ones)` equals `y.sum().backward()`.
    ///
    /// # Panics
    /// If `grad`'s shape or dtype differs from `self`'s, or the graph was released.
    #[track_caller]
    pub fn backward_with(&self, grad: &Tensor) {
        if grad.shape() != self.shape().as_slice() || grad.dtype() != self.dtype() {
            Error::new(
                "backward_with",
                ErrorKind::Shape,
                format!(
                    "gradient {} {:?} does not match the output {} {:?}",
                    grad.dtype(),
                    grad.shape(),
                    self.dtype(),
                    self.shape()
                ),
            )
            .raise();
        }
        self.run_backward(grad.clone(), false);
    }

    #[track_caller]
    fn check_scalar_loss(&self) {
        if self.numel() != 1 {
            Error::new(
                "backward",
                ErrorKind::Shape,
                format!(
                    "expected a scalar loss (shape []), got shape {:?}",
                    self.shape()
                ),
            )
            .with_hint("call .sum() or .mean() first, or use backward_with(grad)")
            .raise();
        }
    }

    #[track_caller]
    fn run_backward(&self, seed: Tensor, retain_graph: bool) {
        if !self.wants_grad() {
            Error::new(
                "backward",
                ErrorKind::Value,
                "this value does not depend on any Var that wants a gradient".to_string(),
            )
            .with_hint(
                "create parameters with Var::param(..), and don't compute the loss inside no_grad",
            )
            .raise();
        }
        let order = topological_order(self);
        let mut grads: HashMap<usize, Gradient> = HashMap::new();
        grads.insert(self.id(), Gradient::Dense(seed));

        for var in order.iter().rev() {
            let Some(grad) = grads.remove(&var.id()) else {
                continue; // no path from the loss reaches this node
            };
            let node = &var.node;
            if node.is_leaf || node.retains_grad.load(Ordering::Relaxed) {
                let mut slot = lock(&node.grad);
                *slot = Some(match slot.take() {
                    Some(old) => old.accumulate(grad.clone()),
                    None => grad.clone(),
                });
            }
            if node.is_leaf {
                continue;
            }
            let mut op = lock(&node.op);
            let Some(recorded) = op.as_ref() else {
                released_graph_panic(var.op_name());
            };
            let grad_out = grad.to_dense();
            let input_grads = recorded.function.backward_gradients(&grad_out);
            check_input_grads(var, &recorded.inputs, &input_grads, &grad_out);
            for (input, g) in recorded.inputs.iter().zip(input_grads) {
                if let Some(g) = g
                    && input.wants_grad()
                {
                    let total = match grads.remove(&input.id()) {
                        Some(old) => old.accumulate(g),
                        None => g,
                    };
                    grads.insert(input.id(), total);
                }
            }
            if !retain_graph {
                // Drop the saved tensors and the edges: memory is freed now, not
                // when the caller drops the loss.
                let released = op.take();
                drop(op);
                drop(released);
            }
        }
    }
}

/// Nodes reachable from `root` through ops that want gradients, inputs first.
/// Iterative depth-first search (a recursive one overflows on deep graphs).
fn topological_order(root: &Var) -> Vec<Var> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    // (node, whether its inputs have been pushed already)
    let mut stack = vec![(root.clone(), false)];
    while let Some((var, expanded)) = stack.pop() {
        if expanded {
            order.push(var);
            continue;
        }
        if !visited.insert(var.id()) {
            continue;
        }
        let inputs = var.inputs();
        stack.push((var, true));
        for input in inputs {
            if input.wants_grad() && !visited.contains(&input.id()) {
                stack.push((input, false));
            }
        }
    }
    order
}

#[track_caller]
fn released_graph_panic(op: &str) -> ! {
    Error::new(
        "backward",
        ErrorKind::Value,
        format!("the graph through `{op}` was already released by an earlier backward"),
    )
    .with_hint("call backward_retain() the first time to run backward twice")
    .raise()
}

/// Internal consistency: one gradient per input, each with its input's shape.
fn check_input_grads(var: &Var, inputs: &[Var], grads: &[Option<Gradient>], grad_out: &Tensor) {
    let name = var.op_name();
    assert_eq!(
        inputs.len(),
        grads.len(),
        "internal error: `{name}` backward returned {} gradients for {} inputs; this is a bug",
        grads.len(),
        inputs.len()
    );
    for (i, (input, g)) in inputs.iter().zip(grads).enumerate() {
        if let Some(Gradient::Dense(g)) = g {
            assert_eq!(
                g.shape(),
                input.shape().as_slice(),
                "internal error: `{name}` backward gave input {i} a gradient of shape {:?}, \
                 but the input has shape {:?}; this is a bug",
                g.shape(),
                input.shape()
            );
        }
    }
    if anomaly::is_anomaly_enabled() {
        let dense: Vec<Option<Tensor>> = grads
            .iter()
            .map(|g| g.as_ref().map(Gradient::to_dense))
            .collect();
        anomaly::check_backward(name, grad_out, &dense);
    }
}
