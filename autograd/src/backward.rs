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
//! `grad[..]` is a [`Pending`] (in [`crate::gradient`], with the sparse rows of an
//! embedding); anomaly mode hooks in after each op's backward ([`crate::anomaly`]).
//! Read next: [`crate::ops`], where each `backward` above lives.

use std::collections::HashSet;

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::anomaly;
use crate::gradient::Pending;
use crate::node::lock;
use crate::var::Var;

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
            let (g, s) = ((grad.dtype(), grad.shape()), (self.dtype(), self.shape()));
            let problem = format!(
                "gradient {} {:?} does not match the output {} {:?}",
                g.0, g.1, s.0, s.1
            );
            Error::new("backward_with", ErrorKind::Shape, problem).raise();
        }
        self.run_backward(grad.clone(), false);
    }

    #[track_caller]
    fn check_scalar_loss(&self) {
        if self.numel() != 1 {
            let problem = format!(
                "expected a scalar loss (shape []), got shape {:?}",
                self.shape()
            );
            Error::new("backward", ErrorKind::Value, problem)
                .with_hint("call .sum() or .mean() first, or use backward_with(grad)")
                .raise();
        }
    }

    /// Steps 1–4 of the module doc, from `grad[self] = seed`.
    #[track_caller]
    fn run_backward(&self, seed: Tensor, retain_graph: bool) {
        if !self.wants_grad() {
            let problem = "this value does not depend on any Var that wants a gradient";
            Error::new("backward", ErrorKind::Value, problem)
                .with_hint("create parameters with Var::param(..), and don't compute the loss inside no_grad")
                .raise();
        }
        let order = topological_order(self);
        let mut grad = Pending::new(self, seed);
        for var in order.iter().rev() {
            let Some(g) = grad.take(var) else {
                continue; // no path from the loss reaches this node
            };
            if var.node.keeps_grad() {
                var.node.accumulate_grad(&g);
            }
            if var.is_leaf() {
                continue;
            }
            let mut op = lock(&var.node.op);
            let Some(recorded) = op.as_ref() else {
                let name = var.op_name();
                let problem = format!(
                    "the graph through `{name}` was already released by an earlier backward"
                );
                Error::new("backward", ErrorKind::Value, problem)
                    .with_hint("call backward_retain() the first time to run backward twice")
                    .raise();
            };
            let g = g.to_dense();
            let input_grads = recorded.function.backward_gradients(&g);
            anomaly::check_backward(var.op_name(), &g, &input_grads);
            grad.add(var.op_name(), &recorded.inputs, input_grads);
            if !retain_graph {
                // Free the saved tensors and the edges now, not when the loss is dropped.
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
