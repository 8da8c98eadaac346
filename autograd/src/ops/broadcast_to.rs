//! `broadcast_to` (PyTorch's `expand`): repeat a tensor along size-1 or missing
//! leading dims. The one place where "sum the gradient over broadcast dims" is written.
//!
//! ```text
//! forward:   y[i, j] = x[j]                  x: [C] → y: [B, C]
//! backward:  ∂L/∂x[j] = Σᵢ g[i, j]            (each x[j] was used B times)
//!            = sum_to(g, shape of x)
//! ```
//! Every binary op (`add`, `mul`, ...) inserts this node for an operand whose shape is
//! smaller than the broadcast shape, so the binary ops themselves only see equal
//! shapes and their backward never has to think about broadcasting.
//! Saves the input's shape.

use tensor::Tensor;
use tensor::error::OrRaise;

use crate::function::{Function, record};
use crate::var::Var;

/// The `broadcast_to` op; remembers the input shape to sum the gradient back to it.
pub struct BroadcastTo {
    input_shape: Vec<usize>,
}

impl BroadcastTo {
    /// `y = x` repeated to `shape`.
    #[track_caller]
    pub fn forward(x: &Tensor, shape: &[usize]) -> (Tensor, BroadcastTo) {
        let y = x.try_broadcast_to(shape).or_raise();
        let input_shape = x.shape().to_vec();
        (y, BroadcastTo { input_shape })
    }
}

impl Function for BroadcastTo {
    fn name(&self) -> &'static str {
        "broadcast_to"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out.sum_to(&self.input_shape))]
    }
}

impl Var {
    /// Repeat along size-1 (or missing leading) dims to `shape`, as `torch.expand`.
    ///
    /// # Shapes
    /// `self: S` → `shape`, where `S` broadcasts to `shape`.
    ///
    /// # Panics
    /// If `self`'s shape cannot be broadcast to `shape`.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Var {
        if self.shape() == shape {
            return self.clone();
        }
        record(BroadcastTo::forward(&self.value(), shape), &[self])
    }

    /// Alias of [`Var::broadcast_to`], PyTorch's name.
    #[track_caller]
    pub fn expand(&self, shape: &[usize]) -> Var {
        self.broadcast_to(shape)
    }

    /// Both operands of a binary op broadcast to their common shape (each side gets
    /// a `broadcast_to` node only if its shape changes).
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ; the message names `op`.
    #[track_caller]
    pub(crate) fn broadcast_pair(op: &'static str, a: &Var, b: &Var) -> (Var, Var) {
        let (av, bv) = (a.value(), b.value());
        tensor::tensor::check_same_dtype(op, &av, &bv).or_raise();
        let shape = tensor::shape::broadcast_shapes(op, av.shape(), bv.shape()).or_raise();
        (a.broadcast_to(&shape), b.broadcast_to(&shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_sums_over_the_repeated_dims() {
        let x = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2, 1]));
        let y = x.broadcast_to(&[3, 2, 4]);
        assert_eq!(y.shape(), vec![3, 2, 4]);
        y.sum().backward();
        // each x[i] was copied 3 · 4 = 12 times
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![12.0, 12.0]);
    }
}
