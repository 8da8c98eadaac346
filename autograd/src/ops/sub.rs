//! `sub`: elementwise difference of two same-shape tensors.
//!
//! ```text
//! forward:   z = x − y
//! backward:  ∂L/∂x = g · ∂z/∂x = g · 1 = g
//!            ∂L/∂y = g · ∂z/∂y = g · (−1) = −g
//! ```
//! Saves nothing: the gradient does not depend on the inputs.
//! Broadcasting is done before this op by [`crate::ops::broadcast_to`] (see `Var::sub`),
//! so it only sees equal shapes. Read next: [`crate::ops::div`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `sub` op (same-shape operands).
pub struct Sub;

impl Sub {
    /// `z = x − y`.
    pub fn forward(x: &Tensor, y: &Tensor) -> (Tensor, Sub) {
        (x - y, Sub)
    }
}

impl Function for Sub {
    fn name(&self) -> &'static str {
        "sub"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out.clone()), Some(grad_out.neg())]
    }
}

impl Var {
    /// `self − other` elementwise, with NumPy broadcasting (also the `-` operator).
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
    /// let a = Var::param(Tensor::from_vec(vec![5.0, 7.0], &[2]));
    /// let b = Var::param(Tensor::from_vec(vec![1.0], &[1]));
    /// let c = a.sub(&b);
    /// assert_eq!(c.value().to_vec::<f32>(), vec![4.0, 6.0]);
    /// c.sum().backward();
    /// assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![-2.0]); // −1 from each of 2 uses
    /// ```
    #[track_caller]
    pub fn sub(&self, other: &Var) -> Var {
        let (x, y) = Var::broadcast_pair("sub", self, other);
        record(Sub::forward(&x.value(), &y.value()), &[&x, &y])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_g_and_minus_g() {
        let x = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
        let y = Var::param(Tensor::from_vec(vec![3.0, 5.0], &[2]));
        let z = x.sub(&y);
        assert_eq!(z.value().to_vec::<f32>(), vec![-2.0, -3.0]);
        z.backward_with(&Tensor::from_vec(vec![10.0, 20.0], &[2]));
        // ∂z/∂x = 1, ∂z/∂y = −1
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![10.0, 20.0]);
        assert_eq!(y.grad().unwrap().to_vec::<f32>(), vec![-10.0, -20.0]);
    }

    #[test]
    fn broadcast_operand_gets_the_summed_gradient() {
        let x = Var::param(Tensor::from_vec_f64(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        let y = Var::param(Tensor::from_vec_f64(vec![1.0, 1.0, 1.0], &[3]));
        x.sub(&y).sum().backward();
        // y is subtracted from both rows: ∂/∂y Σ(x − y) = −2 per element
        assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![-2.0; 3]);
        assert_eq!(x.grad().unwrap().shape(), &[2, 3]);
    }

    #[test]
    fn gradcheck_passes_with_broadcast_and_permuted_inputs() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[3, 2]);
        let y = Tensor::from_vec(vec![1.5, 0.5, -0.25], &[3, 1]);
        // x.permute is a non-contiguous [2, 3] view; y [3, 1] → [1, 3]-like broadcast
        gradcheck(
            |v| v[0].permute(&[1, 0]).sub(&v[1].reshape(&[1, 3])),
            &[x, y],
        )
        .assert_passed();
    }
}
