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
//! notebook across cells and shared with rayon workers.
//! Read next: [`crate::function`].

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use crate::function::Function;
use crate::gradient::Gradient;

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

/// A tensor in the autograd graph: a value, an optional gradient, and the op that
/// made it. Cloning a `Var` is cheap and the clone is the *same* node.
///
/// # Examples
/// ```
/// use autograd::Var;
/// use tensor::Tensor;
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
    fn from_parts(
        value: Tensor,
        requires_grad: bool,
        op: Option<Recorded>,
        op_name: Option<&'static str>,
    ) -> Var {
        LIVE_NODES.fetch_add(1, Ordering::Relaxed);
        let is_leaf = op.is_none();
        Var {
            node: Arc::new(Node {
                value: RwLock::new(value),
                grad: Mutex::new(None),
                requires_grad,
                is_leaf,
                retains_grad: AtomicBool::new(false),
                op: Mutex::new(op),
                op_name,
            }),
        }
    }

    /// A constant: a leaf that does not want a gradient (inputs, targets, masks).
    pub fn new(value: Tensor) -> Var {
        Var::from_parts(value, false, None, None)
    }

    /// A parameter: a leaf that wants a gradient (`torch.nn.Parameter`).
    ///
    /// # Panics
    /// If `value` is not a float tensor: as in PyTorch, only floats have gradients.
    #[track_caller]
    pub fn param(value: Tensor) -> Var {
        if !value.dtype().is_float() {
            Error::new(
                "requires_grad",
                ErrorKind::DType,
                format!(
                    "only float tensors can have gradients, got {} {:?}",
                    value.dtype(),
                    value.shape()
                ),
            )
            .with_hint("labels, ids and masks are constants (Var::new); or convert with .to_dtype(DType::F32)")
            .raise();
        }
        Var::from_parts(value, true, None, None)
    }

    /// The output of `function` applied to `inputs`; used by [`crate::function::record`].
    pub(crate) fn from_op(value: Tensor, function: Box<dyn Function>, inputs: Vec<Var>) -> Var {
        let name = function.name();
        let recorded = Recorded { function, inputs };
        Var::from_parts(value, true, Some(recorded), Some(name))
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
    /// key their per-parameter state by it; backward keys gradients by it).
    ///
    /// It is the node's address, not a counter: a counter is a `static`, and evcxr
    /// links a fresh copy of the library's statics into every notebook cell, so
    /// counters restart per cell and two `Var`s from different cells would share an id.
    /// An address is unique for as long as the node lives, whichever cell made it.
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

    /// Replace the value of a leaf in place (what an optimizer step does).
    ///
    /// # Panics
    /// If the shape or dtype changes, or `self` is not a leaf.
    #[track_caller]
    pub fn set_value(&self, value: Tensor) {
        let mut slot = self.node.value.write().unwrap_or_else(|p| p.into_inner());
        self.check_replacement((slot.dtype(), slot.shape()), &value);
        *slot = value;
    }

    /// Change a leaf's value in place with `f` (an optimizer updating a few rows of a
    /// large table with [`Tensor::index_add_`]). Unlike `set_value(f(value()))`, this
    /// copies nothing when no other tensor shares the value's buffer; if one does (a
    /// learner kept `value()`), the write makes a private copy first, so that tensor
    /// never changes under them.
    ///
    /// # Panics
    /// If `self` is not a leaf, or `f` changes the shape or dtype.
    ///
    /// # Examples
    /// ```
    /// # use autograd::Var; use tensor::Tensor;
    /// let table = Var::param(Tensor::zeros(&[3, 2]));
    /// let before = table.value(); // shares the buffer: keeps the old values
    /// table.update_value(|t| t.as_mut_slice::<f32>()[0] = 1.0);
    /// assert_eq!(table.value().to_vec::<f32>()[0], 1.0);
    /// assert_eq!(before.to_vec::<f32>()[0], 0.0);
    /// ```
    #[track_caller]
    pub fn update_value(&self, f: impl FnOnce(&mut Tensor)) {
        let mut slot = self.node.value.write().unwrap_or_else(|p| p.into_inner());
        let (dtype, shape) = (slot.dtype(), slot.shape().to_vec());
        self.check_replacement((dtype, &shape), &slot);
        f(&mut slot);
        self.check_replacement((dtype, &shape), &slot);
    }

    /// Panics unless `self` is a leaf and `new` has the old value's dtype and shape.
    #[track_caller]
    fn check_replacement(&self, (dtype, shape): (DType, &[usize]), new: &Tensor) {
        if !self.node.is_leaf || shape != new.shape() || dtype != new.dtype() {
            Error::new(
                "set_value",
                ErrorKind::Shape,
                format!(
                    "cannot replace a {} {:?} {} with a {} {:?}",
                    dtype,
                    shape,
                    if self.node.is_leaf {
                        "leaf"
                    } else {
                        "op output"
                    },
                    new.dtype(),
                    new.shape()
                ),
            )
            .with_hint("only leaves can be updated, keeping their shape and dtype")
            .raise();
        }
    }

    /// Convert a leaf's value to `dtype` in place, dropping its gradient
    /// (`module.to_dtype(F64)` before a gradcheck).
    ///
    /// # Panics
    /// If `self` is not a leaf.
    #[track_caller]
    pub fn cast_leaf(&self, dtype: DType) {
        if !self.node.is_leaf {
            Error::new(
                "cast_leaf",
                ErrorKind::Value,
                format!("the output of `{}` is not a leaf", self.op_name()),
            )
            .raise();
        }
        let mut slot = self.node.value.write().unwrap_or_else(|p| p.into_inner());
        *slot = slot.to_dtype(dtype);
        drop(slot);
        self.zero_grad();
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

impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Var(op={}, requires_grad={}, value={:?})",
            self.op_name(),
            self.wants_grad(),
            self.value()
        )
    }
}

impl std::fmt::Display for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.value())?;
        if self.wants_grad() {
            write!(f, " (op={}, requires_grad)", self.op_name())?;
        }
        Ok(())
    }
}

/// Lock a mutex, ignoring poisoning: a panic in another thread (a failed test, a
/// notebook cell) must not make every later call panic too.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn read(value: &RwLock<Tensor>) -> std::sync::RwLockReadGuard<'_, Tensor> {
    value.read().unwrap_or_else(|p| p.into_inner())
}
