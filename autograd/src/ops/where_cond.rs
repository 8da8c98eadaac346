//! `where_cond`: choose elementwise between two tensors by a mask; and `masked_fill`,
//! built on it.
//!
//! ```text
//! forward:   y = cond ? a : b             (cond: a bool tensor)
//!            = cond·a + (1 − cond)·b      reading true as 1, false as 0
//! backward:  ∂L/∂a = g·cond               (g where cond, 0 elsewhere)
//!            ∂L/∂b = g·(1 − cond)         (0 where cond, g elsewhere)
//! ```
//! The mask is not differentiable (it is a `Tensor`, not a `Var`). The backward is
//! computed as `where(cond, g, 0)` and `where(cond, 0, g)` rather than by multiplying,
//! which is the same for finite g but never turns an infinite g into 0·∞ = NaN in
//! the branch that was not chosen.
//! `a` and `b` are broadcast (with explicit `broadcast_to` nodes) to the shape of all
//! three operands before this op, so it only sees equal shapes for `a` and `b`.
//! Saves the mask.
//! Read next: [`crate::ops::embedding`].

use tensor::Tensor;
use tensor::compare::check_bool;
use tensor::error::OrRaise;
use tensor::shape::{broadcast_shapes, check_broadcast_to};
use tensor::tensor::check_same_dtype;

use crate::function::{Function, record};
use crate::var::Var;

/// The `where_cond` op; holds the mask.
pub struct WhereCond {
    cond: Tensor,
}

impl WhereCond {
    /// `y = cond ? a : b`, with `a` and `b` of equal shapes and `cond` broadcast to it.
    #[track_caller]
    pub fn forward(cond: &Tensor, a: &Tensor, b: &Tensor) -> (Tensor, WhereCond) {
        let y = Tensor::where_cond(cond, a, b);
        (y, WhereCond { cond: cond.clone() })
    }
}

impl Function for WhereCond {
    fn name(&self) -> &'static str {
        "where_cond"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let zero = Tensor::full_dtype(&[], 0.0, grad_out.dtype());
        let grad_a = Tensor::where_cond(&self.cond, grad_out, &zero);
        let grad_b = Tensor::where_cond(&self.cond, &zero, grad_out);
        vec![Some(grad_a), Some(grad_b)]
    }
}

impl Var {
    /// `a` where `cond` is nonzero, `b` elsewhere, elementwise, as `torch.where`.
    /// Gradients flow to `a` at the chosen positions and to `b` at the others.
    ///
    /// # Shapes
    /// `cond`, `a` and `b` broadcast together: the output has the broadcast shape.
    ///
    /// # Panics
    /// If the shapes do not broadcast or `a` and `b` have different dtypes.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let a = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
    /// let b = Var::param(Tensor::from_vec(vec![0.0], &[1])); // broadcast to [3]
    /// let cond = Tensor::from_vec_bool(vec![true, false, true], &[3]);
    /// let y = Var::where_cond(&cond, &a, &b);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![1.0, 0.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 1.0]);
    /// assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![1.0]); // chosen once
    /// ```
    #[track_caller]
    pub fn where_cond(cond: &Tensor, a: &Var, b: &Var) -> Var {
        // Like `Var::broadcast_pair`, but the target shape also includes `cond`'s, so
        // that `a` and `b` get (at most) one `broadcast_to` node each.
        check_bool("where_cond", "cond", cond).or_raise();
        check_same_dtype("where_cond", &a.value(), &b.value()).or_raise();
        let ab = broadcast_shapes("where_cond", &a.shape(), &b.shape()).or_raise();
        let shape = broadcast_shapes("where_cond", cond.shape(), &ab).or_raise();
        let (a, b) = (a.broadcast_to(&shape), b.broadcast_to(&shape));
        record(WhereCond::forward(cond, &a.value(), &b.value()), &[&a, &b])
    }

    /// `self` with the positions where the bool `mask` is true replaced by `value`, as
    /// `torch.masked_fill` (e.g. `-inf` at future positions before a softmax).
    /// The gradient is zero at the filled positions.
    ///
    /// A composite: `where_cond(mask, value, self)`.
    ///
    /// # Shapes
    /// `mask` broadcasts to `self`'s shape; the output has `self`'s shape.
    ///
    /// # Panics
    /// If `mask` is not bool or its shape cannot be broadcast to `self`'s.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// let causal = Tensor::from_vec_bool(vec![false, true, false, false], &[2, 2]); // the future
    /// let y = x.masked_fill(&causal, f64::NEG_INFINITY);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![1.0, f32::NEG_INFINITY, 3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Var {
        check_bool("masked_fill", "mask", mask).or_raise();
        check_broadcast_to("masked_fill", mask.shape(), &self.shape()).or_raise();
        let fill = Var::new(Tensor::full_dtype(&[], value, self.dtype()));
        Var::where_cond(mask, &fill, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    #[test]
    fn each_branch_gets_the_gradient_where_it_was_chosen() {
        let a = Var::param(Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
        let b = Var::param(Tensor::from_vec_f64(vec![-1.0, -2.0, -3.0, -4.0], &[2, 2]));
        let cond = Tensor::from_vec_bool(vec![true, false, true, false], &[2, 2]);
        let y = Var::where_cond(&cond, &a, &b);
        assert_eq!(y.value().to_vec::<f64>(), vec![1.0, -2.0, 3.0, -4.0]);
        y.backward_with(&Tensor::from_vec_f64(vec![10.0, 20.0, 30.0, 40.0], &[2, 2]));
        // ∂y/∂a = cond, ∂y/∂b = 1 − cond
        assert_eq!(
            a.grad().unwrap().to_vec::<f64>(),
            vec![10.0, 0.0, 30.0, 0.0]
        );
        assert_eq!(
            b.grad().unwrap().to_vec::<f64>(),
            vec![0.0, 20.0, 0.0, 40.0]
        );
    }

    #[test]
    fn all_three_operands_broadcast() {
        // cond [2, 1], a [3], b [] → output [2, 3]
        let cond = Tensor::from_vec_bool(vec![true, false], &[2, 1]);
        let a = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
        let b = Var::param(Tensor::from_vec(vec![9.0], &[]));
        let y = Var::where_cond(&cond, &a, &b);
        assert_eq!(y.shape(), vec![2, 3]);
        assert_eq!(
            y.value().to_vec::<f32>(),
            vec![1.0, 2.0, 3.0, 9.0, 9.0, 9.0]
        );
        y.sum().backward();
        // a is chosen in row 0 only; b fills all of row 1 (3 elements)
        assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 1.0]);
        assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![3.0]);
    }

    #[test]
    fn gradcheck_with_broadcast_and_a_transposed_input() {
        let cond = Tensor::from_vec_bool(vec![true, false, false, true, true, false], &[3, 2]);
        let inputs = [
            Tensor::randn(&[2, 3]).to_dtype(DType::F64).t(), // [3, 2], non-contiguous
            Tensor::randn(&[2]),
        ];
        gradcheck(|v| Var::where_cond(&cond, &v[0], &v[1]), &inputs).assert_passed();
    }

    #[test]
    fn masked_fill_blocks_the_gradient_at_filled_positions() {
        let x = Var::param(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        let mask = Tensor::from_vec_bool(vec![false, true, false], &[3]); // over rows
        let y = x.masked_fill(&mask, -5.0);
        assert_eq!(y.shape(), vec![2, 3]);
        assert_eq!(
            y.value().to_vec::<f32>(),
            vec![1.0, -5.0, 3.0, 4.0, -5.0, 6.0]
        );
        y.sum().backward();
        assert_eq!(
            x.grad().unwrap().to_vec::<f32>(),
            vec![1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
        );
    }

    #[test]
    fn masked_fill_gradcheck_in_f64() {
        let mask = Tensor::from_vec_bool(vec![true, false, false, true], &[2, 2]);
        let x = Tensor::randn(&[2, 2]);
        gradcheck(|v| v[0].masked_fill(&mask, 0.5).exp(), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "where_cond: operands have different dtypes: f32 [2] and f64 [2]")]
    fn different_dtypes_are_reported() {
        let a = Var::param(Tensor::zeros(&[2]));
        let b = Var::param(Tensor::zeros(&[2]).to_dtype(DType::F64));
        Var::where_cond(&Tensor::ones_dtype(&[2], DType::Bool), &a, &b);
    }

    #[test]
    #[should_panic(expected = "where_cond: cond must be a bool tensor, got f32 [2]")]
    fn a_float_condition_is_refused() {
        let a = Var::param(Tensor::zeros(&[2]));
        Var::where_cond(&Tensor::ones(&[2]), &a, &a);
    }

    #[test]
    #[should_panic(expected = "where_cond: shapes [4] and [3] cannot be broadcast")]
    fn a_mask_of_the_wrong_shape_is_reported() {
        let a = Var::param(Tensor::zeros(&[3]));
        Var::where_cond(&Tensor::ones_dtype(&[4], DType::Bool), &a, &a);
    }

    #[test]
    #[should_panic(expected = "masked_fill: cannot broadcast shape [2, 3] to [3]")]
    fn masked_fill_never_grows_self() {
        let mask = Tensor::ones_dtype(&[2, 3], DType::Bool);
        Var::param(Tensor::zeros(&[3])).masked_fill(&mask, 0.0);
    }
}
