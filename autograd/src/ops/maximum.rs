//! `maximum`: elementwise maximum of two same-shape tensors.
//!
//! ```text
//! forward:   z = max(x, y)
//! backward:  ∂z/∂x = 1 where x > y,  ½ where x = y,  0 where x < y
//!            ∂z/∂y = 1 − ∂z/∂x
//!            ∂L/∂x = g · w,   ∂L/∂y = g · (1 − w),   w = [x > y] + ½·[x = y]
//! ```
//! The gradient goes to the larger input. On a tie `max` has no derivative; like
//! PyTorch's `maximum` we split it evenly, ½ to each side, so the two parts still add
//! up to `g`. (The reduction `max_dim` instead sends it all to the first maximal
//! element.) Saves only the weight `w`, computed in forward from the comparisons of
//! the tensor crate. Broadcasting is done before this op by
//! [`crate::ops::broadcast_to`] (see `Var::maximum`); `minimum` is the composite
//! `−max(−x, −y)`.
//! Read next: [`crate::ops::abs`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `maximum` op; holds the share of the gradient that goes to `x`.
pub struct Maximum {
    w: Tensor,
}

impl Maximum {
    /// `z = max(x, y)`.
    pub fn forward(x: &Tensor, y: &Tensor) -> (Tensor, Maximum) {
        let (wins, ties) = (x.gt(y).to_dtype(x.dtype()), x.eq(y).to_dtype(x.dtype()));
        let w = &wins + &ties.mul_scalar(0.5); // 1 where x wins, ½ on a tie, else 0
        (x.maximum(y), Maximum { w })
    }
}

impl Function for Maximum {
    fn name(&self) -> &'static str {
        "maximum"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let grad_x = grad_out * &self.w;
        let grad_y = grad_out * &self.w.rsub_scalar(1.0);
        vec![Some(grad_x), Some(grad_y)]
    }
}

impl Var {
    /// `max(self, other)` elementwise, with NumPy broadcasting (PyTorch's `maximum`).
    /// The gradient goes to the larger input; ties split it ½/½, as PyTorch does.
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
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 5.0, 2.0], &[3]));
    /// let y = Var::param(Tensor::from_vec(vec![3.0, 4.0, 2.0], &[3]));
    /// let z = x.maximum(&y);
    /// assert_eq!(z.value().to_vec::<f32>(), vec![3.0, 5.0, 2.0]);
    /// z.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.5]);
    /// assert_eq!(y.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 0.5]);
    /// ```
    #[track_caller]
    pub fn maximum(&self, other: &Var) -> Var {
        let (x, y) = Var::broadcast_pair("maximum", self, other);
        record(Maximum::forward(&x.value(), &y.value()), &[&x, &y])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_goes_to_the_larger_and_splits_ties() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.0, 5.0, -2.0, 0.0], &[4]));
        let y = Var::param(Tensor::from_vec_f64(vec![3.0, 4.0, -2.0, 0.0], &[4]));
        let z = x.maximum(&y);
        assert_eq!(z.value().to_vec::<f64>(), vec![3.0, 5.0, -2.0, 0.0]);
        z.backward_with(&Tensor::from_vec_f64(vec![2.0, 2.0, 2.0, 2.0], &[4]));
        // ∂max/∂x = [x > y] + ½[x = y]; ∂max/∂y = the rest; the parts add up to g
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.0, 2.0, 1.0, 1.0]);
        assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![2.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn broadcast_scalar_collects_the_gradient_where_it_wins() {
        // max(x, 0) with a broadcast 0-d threshold: a relu whose threshold is learned
        let x = Var::param(Tensor::from_vec(vec![-1.0, 2.0, -3.0, 4.0], &[2, 2]));
        let t = Var::param(Tensor::from_vec(vec![0.0], &[]));
        x.maximum(&t).sum().backward();
        // the threshold wins at the two negative entries
        assert_eq!(t.grad().unwrap().to_vec::<f32>(), vec![2.0]);
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn gradcheck_passes_without_ties_with_broadcast_and_permuted_inputs() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[3, 2]);
        let y = Tensor::from_vec(vec![0.5, -1.0, 1.0], &[3]);
        gradcheck(|v| v[0].permute(&[1, 0]).maximum(&v[1]), &[x, y]).assert_passed();
    }
}
