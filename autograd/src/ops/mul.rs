//! `mul`: elementwise product of two same-shape tensors.
//!
//! ```text
//! forward:   z = x ⊙ y
//! backward:  ∂L/∂x = g ⊙ ∂z/∂x = g ⊙ y
//!            ∂L/∂y = g ⊙ x
//! ```
//! Saves both inputs: each one's gradient is scaled by the other.
//! Broadcasting is done before this op by [`crate::ops::broadcast_to`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `mul` op; holds both inputs.
pub struct Mul {
    x: Tensor,
    y: Tensor,
}

impl Mul {
    /// `z = x ⊙ y`.
    pub fn forward(x: &Tensor, y: &Tensor) -> (Tensor, Mul) {
        let z = x * y;
        (
            z,
            Mul {
                x: x.clone(),
                y: y.clone(),
            },
        )
    }
}

impl Function for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out * &self.y), Some(grad_out * &self.x)]
    }
}

impl Var {
    /// `self ⊙ other` elementwise with broadcasting (also the `*` operator).
    ///
    /// # Shapes
    /// `self: S1`, `other: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn mul(&self, other: &Var) -> Var {
        let (x, y) = Var::broadcast_pair("mul", self, other);
        record(Mul::forward(&x.value(), &y.value()), &[&x, &y])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gradient_is_scaled_by_the_other_input() {
        let x = Var::param(Tensor::from_vec(vec![2.0, 3.0], &[2]));
        let y = Var::param(Tensor::from_vec(vec![5.0, 7.0], &[2]));
        x.mul(&y).sum().backward();
        // ∂(Σ xy)/∂x = y, ∂/∂y = x
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![5.0, 7.0]);
        assert_eq!(y.grad().unwrap().to_vec::<f32>(), vec![2.0, 3.0]);
    }
}
