//! `div`: elementwise quotient of two same-shape tensors.
//!
//! ```text
//! forward:   z = x / y
//! backward:  ∂L/∂x = g · ∂z/∂x = g / y
//!            ∂L/∂y = g · ∂z/∂y = g · (−x / y²) = −(g / y) · z
//! ```
//! Saves the divisor `y` and the output `z`: `g / y` is the gradient for `x`, and the
//! gradient for `y` reuses it, times `−z` (since `x / y² = z / y`), so backward does
//! one division and one multiplication. Division by zero follows IEEE arithmetic
//! (±∞ or NaN), as in PyTorch.
//! Broadcasting is done before this op by [`crate::ops::broadcast_to`] (see `Var::div`).
//! Read next: [`crate::ops::maximum`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `div` op; holds the divisor and the quotient.
pub struct Div {
    y: Tensor,
    z: Tensor,
}

impl Div {
    /// `z = x / y`.
    pub fn forward(x: &Tensor, y: &Tensor) -> (Tensor, Div) {
        let z = x / y;
        (z.clone(), Div { y: y.clone(), z })
    }
}

impl Function for Div {
    fn name(&self) -> &'static str {
        "div"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let grad_x = grad_out / &self.y;
        let grad_y = -(&grad_x * &self.z);
        vec![Some(grad_x), Some(grad_y)]
    }
}

impl Var {
    /// `self / other` elementwise, with NumPy broadcasting (also the `/` operator).
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
    /// let x = Var::param(Tensor::from_vec(vec![6.0], &[1]));
    /// let y = Var::param(Tensor::from_vec(vec![2.0], &[1]));
    /// x.div(&y).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5]); // 1/y
    /// assert_eq!(y.grad().unwrap().to_vec::<f32>(), vec![-1.5]); // −x/y²
    /// ```
    #[track_caller]
    pub fn div(&self, other: &Var) -> Var {
        let (x, y) = Var::broadcast_pair("div", self, other);
        record(Div::forward(&x.value(), &y.value()), &[&x, &y])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn quotient_rule_on_known_values() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.0, -6.0], &[2]));
        let y = Var::param(Tensor::from_vec_f64(vec![4.0, 2.0], &[2]));
        let z = x.div(&y);
        assert_eq!(z.value().to_vec::<f64>(), vec![0.25, -3.0]);
        z.sum().backward();
        // ∂(x/y)/∂x = 1/y = [0.25, 0.5];  ∂(x/y)/∂y = −x/y² = [−1/16, 6/4]
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.25, 0.5]);
        assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![-0.0625, 1.5]);
    }

    #[test]
    fn f32_gradients_match_the_formula() {
        let x = Var::param(Tensor::from_vec(vec![3.0], &[1]));
        let y = Var::param(Tensor::from_vec(vec![-2.0], &[1]));
        x.div(&y).sum().backward();
        // 1/y = −0.5, −x/y² = −3/4
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![-0.5]);
        assert_eq!(y.grad().unwrap().to_vec::<f32>(), vec![-0.75]);
    }

    #[test]
    fn broadcast_divisor_gets_the_summed_gradient() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
        let y = Var::param(Tensor::from_vec_f64(vec![2.0], &[]));
        x.div(&y).sum().backward();
        // ∂/∂y Σ x/y = −Σx / y² = −10/4
        assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![-2.5]);
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.5; 4]);
    }

    #[test]
    fn gradcheck_passes_with_broadcast_and_permuted_inputs() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[3, 2]);
        let y = Tensor::from_vec(vec![1.5, -0.5, 2.25], &[3]);
        // y is kept away from 0, where 1/y blows up
        gradcheck(|v| v[0].permute(&[1, 0]).div(&v[1]), &[x, y]).assert_passed();
    }
}
