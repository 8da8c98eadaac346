//! `add`: elementwise sum of two same-shape tensors.
//!
//! ```text
//! forward:   z = x + y
//! backward:  ∂L/∂x = ∂L/∂z · ∂z/∂x = g · 1 = g
//!            ∂L/∂y = g
//! ```
//! Saves nothing: the gradient does not depend on the inputs.
//! Broadcasting (`[B, C] + [C]`) is not handled here: [`crate::ops::broadcast_to`]
//! expands the operands first (see `Var::add`), so this op only sees equal shapes.

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `add` op (same-shape operands).
pub struct Add;

impl Add {
    /// `z = x + y`.
    pub fn forward(x: &Tensor, y: &Tensor) -> (Tensor, Add) {
        (x + y, Add)
    }
}

impl Function for Add {
    fn name(&self) -> &'static str {
        "add"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out.clone()), Some(grad_out.clone())]
    }
}

impl Var {
    /// `self + other` elementwise, with NumPy broadcasting (also the `+` operator).
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let a = Var::param(Tensor::ones(&[2, 3]));
    /// let b = Var::param(Tensor::ones(&[3]));
    /// let c = a.add(&b).sum();
    /// c.backward();
    /// assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![2.0, 2.0, 2.0]); // summed over rows
    /// ```
    #[track_caller]
    pub fn add(&self, other: &Var) -> Var {
        let (x, y) = Var::broadcast_pair("add", self, other);
        record(Add::forward(&x.value(), &y.value()), &[&x, &y])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_flows_unchanged_to_both_inputs() {
        let x = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
        let y = Var::param(Tensor::from_vec(vec![3.0, 4.0], &[2]));
        let z = x.add(&y);
        assert_eq!(z.value().to_vec::<f32>(), vec![4.0, 6.0]);
        z.backward_with(&Tensor::from_vec(vec![10.0, 20.0], &[2]));
        // dz/dx = 1, so ∂L/∂x = g
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![10.0, 20.0]);
        assert_eq!(y.grad().unwrap().to_vec::<f32>(), vec![10.0, 20.0]);
    }
}
