//! The [`Function`] trait — one per differentiable op — and [`record`], which puts
//! an op's output into the graph.
//!
//! Every op file in [`crate::ops`] follows the same pattern (minitorch's `Function`):
//! ```text
//! struct Exp { y: Tensor }                       // what backward needs, saved by forward
//! impl Exp { fn forward(x) -> (y, Exp { y }) }   // the math on tensors
//! impl Function for Exp { fn backward(g) -> [g·y] }  // the vector–Jacobian product
//! impl Var { pub fn exp(&self) -> Var { record(Exp::forward(..), &[self]) } }
//! ```
//! All graph bookkeeping happens once, here and in [`crate::backward`], so each op
//! reads as pure math. Read next: [`crate::backward`].

use tensor::Tensor;

use crate::anomaly;
use crate::gradient::Gradient;
use crate::no_grad::is_grad_enabled;
use crate::node::Recorded;
use crate::var::Var;

/// The backward half of a differentiable op. The forward half is each op's
/// `forward` constructor, which returns the output and this struct holding what the
/// backward needs.
pub trait Function: Send + Sync + 'static {
    /// The op's name, for error messages, anomaly reports and graph pictures.
    fn name(&self) -> &'static str;

    /// Given `grad_out = ∂L/∂output`, return `∂L/∂input` for each input, in order:
    /// `None` for inputs that are not differentiable (indices, masks).
    ///
    /// Each gradient has its input's shape.
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>>;

    /// Like [`Function::backward`], but an op may return a sparse [`Gradient::Rows`]
    /// for an input (only the embedding lookup does). The default wraps `backward`.
    fn backward_gradients(&self, grad_out: &Tensor) -> Vec<Option<Gradient>> {
        self.backward(grad_out)
            .into_iter()
            .map(|g| g.map(Gradient::Dense))
            .collect()
    }
}

/// Wrap an op's output as a `Var`, recording `function` and `inputs` in the graph
/// when some input wants a gradient and recording is enabled (not in [`no_grad`](crate::no_grad::no_grad)).
///
/// `forward` is what the op's `forward` constructor returned: the output value and
/// the function holding what backward needs.
#[track_caller]
pub fn record<F: Function>(forward: (Tensor, F), inputs: &[&Var]) -> Var {
    let (value, function) = forward;
    anomaly::check_forward(function.name(), inputs, &value);
    let wants_grad = is_grad_enabled() && inputs.iter().any(|v| v.wants_grad());
    if !wants_grad {
        return Var::new(value);
    }
    let inputs = inputs.iter().map(|&v| v.clone()).collect();
    let function = Box::new(function);
    Var::from_parts(value, true, Some(Recorded { function, inputs }))
}
