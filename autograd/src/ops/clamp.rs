//! `clamp`: limit every element to `[min, max]`.
//!
//! ```text
//! forward:   y = min(max(x, min), max)
//! backward:  dy/dx = 1   where min ≤ x ≤ max     (y = x there)
//!                  = 0   where x < min or x > max (y is a constant there)
//!            ∂L/∂x = g · [min ≤ x ≤ max]
//! ```
//! At the two kinks (`x = min`, `x = max`) there is no derivative; we follow PyTorch,
//! whose `clamp` passes the gradient there (the bounds are inclusive), rather than the
//! strict `min < x < max`. Saves the input `x` and the bounds, for the mask; the mask
//! comes from the tensor crate's comparisons.
//! Read next: [`crate::ops::maximum`].

use tensor::Tensor;

use crate::function::{Function, record};
use crate::var::Var;

/// The `clamp` op; holds its input and the bounds.
pub struct Clamp {
    x: Tensor,
    min: f64,
    max: f64,
}

impl Clamp {
    /// `y = min(max(x, min), max)`.
    ///
    /// # Panics
    /// If `min > max` or a bound is NaN.
    #[track_caller]
    pub fn forward(x: &Tensor, min: f64, max: f64) -> (Tensor, Clamp) {
        let y = x.clamp(min, max);
        (
            y,
            Clamp {
                x: x.clone(),
                min,
                max,
            },
        )
    }
}

impl Function for Clamp {
    fn name(&self) -> &'static str {
        "clamp"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let inside = &self.x.ge_scalar(self.min) & &self.x.le_scalar(self.max);
        let inside = inside.to_dtype(grad_out.dtype()); // 1 inside, 0 where cut
        vec![Some(grad_out * &inside)]
    }
}

impl Var {
    /// Limit every element to `[min, max]` (PyTorch's `clamp`). The gradient is 1 where
    /// `min ≤ x ≤ max` (bounds included, as PyTorch) and 0 where the value was cut.
    /// Use `f64::NEG_INFINITY` or `f64::INFINITY` for a one-sided clamp.
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Panics
    /// If `min > max` or a bound is NaN.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![-5.0, 0.5, 5.0], &[3]));
    /// let y = x.clamp(-1.0, 1.0);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: f64, max: f64) -> Var {
        record(Clamp::forward(&self.value(), min, max), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_passes_inside_and_on_the_bounds() {
        let x = Var::param(Tensor::from_vec_f64(vec![-3.0, -1.0, 0.25, 2.0, 7.0], &[5]));
        let y = x.clamp(-1.0, 2.0);
        assert_eq!(y.value().to_vec::<f64>(), vec![-1.0, -1.0, 0.25, 2.0, 2.0]);
        y.sum().backward();
        // dy/dx = [−1 ≤ x ≤ 2]: the bounds themselves pass the gradient (PyTorch's rule)
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![0.0, 1.0, 1.0, 1.0, 0.0]
        );
    }

    #[test]
    fn one_sided_clamp_in_f32() {
        let x = Var::param(Tensor::from_vec(vec![-2.0, 3.0], &[2]));
        let y = x.clamp(0.0, f64::INFINITY);
        assert_eq!(y.value().to_vec::<f32>(), vec![0.0, 3.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0]);
    }

    #[test]
    #[should_panic(expected = "clamp: min 2 must not exceed max 1")]
    fn reversed_bounds_panic() {
        Var::param(Tensor::ones(&[2])).clamp(2.0, 1.0);
    }

    #[test]
    fn gradcheck_passes_away_from_the_bounds() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0, -1.5, 0.2], &[2, 3]);
        gradcheck(|v| v[0].permute(&[1, 0]).clamp(-1.0, 1.5), &[x]).assert_passed();
    }
}
