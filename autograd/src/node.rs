//! The graph node behind every [`Var`](crate::Var), and its bookkeeping: the
//! live-node counter, freeing long chains without recursion, lock helpers, and the
//! rule that only float tensors carry gradients (as in PyTorch).
//!
//! ```text
//!   Var ──Arc──▶ Node { value, grad, op: Some(Recorded { function, inputs: [Var, ..] }) }
//! ```
//! Nothing here is math; [`crate::var`] is the API built on it.
//! Read next: [`crate::gradient`].

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::function::Function;
use crate::gradient::Gradient;
use crate::var::Var;

/// How many graph nodes are alive right now (a leak detector for tests).
static LIVE_NODES: AtomicUsize = AtomicUsize::new(0);

/// Number of graph nodes currently alive in this process.
pub fn live_nodes() -> usize {
    LIVE_NODES.load(Ordering::Relaxed)
}

/// The op that produced a `Var`: its backward, and the inputs to send gradients to.
pub(crate) struct Recorded {
    pub(crate) function: Box<dyn Function>,
    pub(crate) inputs: Vec<Var>,
}

pub(crate) struct Node {
    pub(crate) value: RwLock<Tensor>,
    pub(crate) grad: Mutex<Option<Gradient>>,
    /// Leaves that want a gradient, and every op output computed from one.
    pub(crate) requires_grad: bool,
    /// `false` for op outputs: they keep a gradient only after `retain_grad()`.
    pub(crate) is_leaf: bool,
    pub(crate) retains_grad: AtomicBool,
    /// `None` for leaves, and for op outputs whose graph `backward` has released.
    pub(crate) op: Mutex<Option<Recorded>>,
    /// The op's name, kept after the op is released (for messages and pictures).
    pub(crate) op_name: Option<&'static str>,
}

impl Node {
    /// A new node, counted as alive until dropped; a leaf when `op` is `None`.
    pub(crate) fn new(value: Tensor, requires_grad: bool, op: Option<Recorded>) -> Arc<Node> {
        LIVE_NODES.fetch_add(1, Ordering::Relaxed);
        Arc::new(Node {
            value: RwLock::new(value),
            grad: Mutex::new(None),
            requires_grad,
            is_leaf: op.is_none(),
            retains_grad: AtomicBool::new(false),
            op_name: op.as_ref().map(|r| r.function.name()),
            op: Mutex::new(op),
        })
    }

    /// Whether `backward` stores this node's gradient: leaves, and op outputs after
    /// `retain_grad()`.
    pub(crate) fn keeps_grad(&self) -> bool {
        self.is_leaf || self.retains_grad.load(Ordering::Relaxed)
    }

    /// Add `grad` to the stored gradient (`+=`, until `zero_grad`).
    pub(crate) fn accumulate_grad(&self, grad: &Gradient) {
        let mut slot = lock(&self.grad);
        *slot = Some(match slot.take() {
            Some(old) => old.accumulate(grad.clone()),
            None => grad.clone(),
        });
    }
}

impl Var {
    /// A `Var` on a new node: a leaf when `op` is `None`.
    ///
    /// # Panics
    /// If the node wants a gradient but `value` is an i64 or bool tensor: gradients
    /// flow through floats only, as in PyTorch.
    #[track_caller]
    pub(crate) fn from_parts(value: Tensor, requires_grad: bool, op: Option<Recorded>) -> Var {
        if requires_grad && !value.dtype().is_float() {
            let (name, hint) = match &op {
                None => (
                    "requires_grad",
                    "labels, ids and masks are constants (Var::new); or convert with \
                     .to_dtype(DType::F32)",
                ),
                Some(r) => (
                    r.function.name(),
                    "an integer or bool result has no gradient: compute it on the \
                     Tensor (.value()), not on the Var",
                ),
            };
            let message = format!(
                "only float tensors can have gradients, got {} {:?}",
                value.dtype(),
                value.shape()
            );
            Error::new(name, ErrorKind::DType, message)
                .with_hint(hint)
                .raise();
        }
        Var {
            node: Node::new(value, requires_grad, op),
        }
    }
}

impl Drop for Node {
    /// Free a long chain of nodes iteratively. The default recursive drop would use
    /// one stack frame per node and overflow on a graph thousands of ops deep (an
    /// unrolled RNN); here inputs whose last owner is this node are drained in a loop.
    fn drop(&mut self) {
        LIVE_NODES.fetch_sub(1, Ordering::Relaxed);
        let mut pending: Vec<Var> = match self.op.get_mut() {
            Ok(op) => op.take().map(|r| r.inputs).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        while let Some(var) = pending.pop() {
            if let Ok(mut node) = Arc::try_unwrap(var.node)
                && let Some(recorded) = node.op.get_mut().ok().and_then(|op| op.take())
            {
                pending.extend(recorded.inputs);
            }
        }
    }
}

/// Lock a mutex, ignoring poisoning: a panic in another thread (a failed test, a
/// notebook cell) must not make every later call panic too.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Read a value, ignoring poisoning (as [`lock`]).
pub(crate) fn read(value: &RwLock<Tensor>) -> RwLockReadGuard<'_, Tensor> {
    value.read().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use tensor::DType;

    use super::*;
    use crate::function::record;

    /// An op whose output is integer, as `argmax` would be if it were recorded.
    struct ToIds;

    impl Function for ToIds {
        fn name(&self) -> &'static str {
            "to_ids"
        }
        fn backward(&self, _: &Tensor) -> Vec<Option<Tensor>> {
            vec![None]
        }
    }

    #[test]
    #[should_panic(expected = "to_ids: only float tensors can have gradients, got i64 [2]")]
    fn no_gradient_flows_through_an_integer_output() {
        let x = Var::param(Tensor::zeros(&[2]));
        record((Tensor::zeros_dtype(&[2], DType::I64), ToIds), &[&x]);
    }

    #[test]
    fn without_a_gradient_an_integer_output_is_a_constant() {
        let x = Var::new(Tensor::zeros(&[2]));
        let ids = record((Tensor::zeros_dtype(&[2], DType::I64), ToIds), &[&x]);
        assert_eq!((ids.dtype(), ids.wants_grad()), (DType::I64, false));
    }
}
