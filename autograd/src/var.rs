//! [`Var`]: a tensor that remembers how it was made.
//!
//! ```text
//!   Var ──Arc──▶ Node { value, grad, op: Some(Recorded { function, inputs: [Var, ..] }) }
//!                                          │                       │
//!                                          │ backward of this op   └ edges to the inputs
//! ```
//! A leaf (made by [`Var::new`] or [`Var::param`]) has no op; an op's output holds the
//! [`Function`] that made it and the input `Var`s. The graph only points backwards
//! (outputs to inputs), so it has no reference cycles and is freed when the last
//! `Var` of a step is dropped — or earlier, when `backward` releases it.
//!
//! `Var` is `Send + Sync` (an `Arc` with locks inside), so it can be kept in an evcxr
//! notebook across cells and shared with rayon workers. The node itself (counters,
//! locks, freeing) is in [`crate::node`]; changing a leaf in place in [`crate::leaf`].
//! Read next: [`crate::function`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use crate::gradient::Gradient;
use crate::node::{Node, lock, read};

/// A tensor in the autograd graph: a value, an optional gradient, and the op that
/// made it. Cloning a `Var` is cheap and the clone is the *same* node.
///
/// # Examples
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let x = Var::param(Tensor::from_vec(vec![3.0], &[]));
/// let y = &(&x * &x) + &x; // y = x² + x
/// y.backward();
/// assert_eq!(x.grad().unwrap().item(), 7.0); // dy/dx = 2x + 1
/// ```
#[derive(Clone)]
pub struct Var {
    pub(crate) node: Arc<Node>,
}

impl Var {
    /// A constant: a leaf that does not want a gradient (inputs, targets, masks).
    pub fn new(value: Tensor) -> Var {
        Var::from_parts(value, false, None)
    }

    /// A parameter: a leaf that wants a gradient (`torch.nn.Parameter`).
    ///
    /// # Panics
    /// If `value` is not a float tensor: as in PyTorch, only floats have gradients.
    #[track_caller]
    pub fn param(value: Tensor) -> Var {
        Var::from_parts(value, true, None)
    }

    /// This leaf, now wanting a gradient (`x.requires_grad_()` in PyTorch).
    ///
    /// # Panics
    /// If `self` is the output of an op (only leaves can be asked for a gradient).
    #[track_caller]
    pub fn requires_grad(self) -> Var {
        if !self.node.is_leaf {
            Error::new(
                "requires_grad",
                ErrorKind::Value,
                format!("the output of `{}` is not a leaf", self.op_name()),
            )
            .with_hint("call .detach().requires_grad() to start a new leaf")
            .raise();
        }
        Var::param(self.value())
    }

    /// Whether this `Var` takes part in gradient computation.
    pub fn wants_grad(&self) -> bool {
        self.node.requires_grad
    }

    /// Whether this `Var` is a leaf (made directly, not by an op).
    pub fn is_leaf(&self) -> bool {
        self.node.is_leaf
    }

    /// An id of this node, unique among the nodes alive at the same time (optimizers
    /// key their per-parameter state by it). It is the node's address, not a counter:
    /// evcxr gives every notebook cell a fresh copy of the library's statics, so a
    /// counter would restart per cell and two cells' `Var`s could share an id.
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.node) as usize
    }

    /// The name of the op that made this `Var` (`"leaf"` for leaves).
    pub fn op_name(&self) -> &'static str {
        self.node.op_name.unwrap_or("leaf")
    }

    /// The value (a cheap clone sharing storage).
    pub fn value(&self) -> Tensor {
        read(&self.node.value).clone()
    }

    /// The accumulated gradient as a dense tensor, if `backward` reached this `Var`.
    ///
    /// Leaves keep their gradient (and accumulate over several `backward` calls until
    /// [`Var::zero_grad`]); op outputs only after [`Var::retain_grad`], as in PyTorch.
    pub fn grad(&self) -> Option<Tensor> {
        lock(&self.node.grad).as_ref().map(Gradient::to_dense)
    }

    /// The gradient as stored: dense, or sparse rows from an embedding lookup.
    pub fn gradient(&self) -> Option<Gradient> {
        lock(&self.node.grad).clone()
    }

    /// Overwrite the stored gradient (used by gradient clipping and tests).
    pub fn set_grad(&self, grad: Option<Gradient>) {
        *lock(&self.node.grad) = grad;
    }

    /// Forget the gradient (PyTorch's `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }

    /// Keep this op output's gradient during `backward` (for inspection and pictures).
    pub fn retain_grad(&self) {
        self.node.retains_grad.store(true, Ordering::Relaxed);
    }

    /// A new constant leaf with the same value: gradients do not flow through it.
    pub fn detach(&self) -> Var {
        Var::new(self.value())
    }

    /// Shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        read(&self.node.value).shape().to_vec()
    }

    /// Number of dims of the value.
    pub fn dims(&self) -> usize {
        read(&self.node.value).dims()
    }

    /// Number of elements of the value.
    pub fn numel(&self) -> usize {
        read(&self.node.value).numel()
    }

    /// Element type of the value.
    pub fn dtype(&self) -> DType {
        read(&self.node.value).dtype()
    }

    /// The single value of a one-element `Var` (e.g. a loss), as `f64`.
    ///
    /// # Panics
    /// If the value has more than one element.
    #[track_caller]
    pub fn item(&self) -> f64 {
        read(&self.node.value).item()
    }

    /// The inputs of the op that made this `Var` (empty for leaves and released graphs).
    pub fn inputs(&self) -> Vec<Var> {
        lock(&self.node.op)
            .as_ref()
            .map(|r| r.inputs.clone())
            .unwrap_or_default()
    }
}

impl From<Tensor> for Var {
    /// A constant `Var` (no gradient), like `Var::new`.
    fn from(value: Tensor) -> Var {
        Var::new(value)
    }
}
