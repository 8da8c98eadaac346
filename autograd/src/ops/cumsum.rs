//! `cumsum`: running sums along a dim.
//!
//! ```text
//! forward:   y[i] = Σ_{j ≤ i} x[j]                       (along dim, every lane alike)
//! backward:  ∂L/∂x[j] = Σ_i g[i] · ∂y[i]/∂x[j] = Σ_{i ≥ j} g[i]
//!            = flip(cumsum(flip(g)))                    the suffix sums of g
//! ```
//! `x[j]` is a term of every running sum from position `j` on, so it receives the
//! gradient of all of them: the same scan run from the other end. Nothing needs
//! saving but the dim. Top-p sampling uses the tensor op on sorted probabilities;
//! this op makes cumulative sums usable inside a model as well.
//! Read next: [`crate::ops::max_dim`], another reduction-like op along a dim.

use tensor::Tensor;
use tensor::error::OrRaise;
use tensor::shape::normalize_dim;

use crate::function::{Function, record};
use crate::var::Var;

/// The `cumsum` op; holds the dim it ran along.
pub struct Cumsum {
    dim: isize,
}

impl Cumsum {
    /// `y = cumsum(x)` along `dim`.
    #[track_caller]
    pub fn forward(x: &Tensor, dim: isize) -> (Tensor, Cumsum) {
        let dim = normalize_dim("cumsum", dim, x.shape()).or_raise() as isize;
        (x.cumsum(dim), Cumsum { dim })
    }
}

impl Function for Cumsum {
    fn name(&self) -> &'static str {
        "cumsum"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let d = [self.dim];
        vec![Some(grad_out.flip(&d).cumsum(self.dim).flip(&d))]
    }
}

impl Var {
    /// Running sums along `dim`, as `torch.cumsum`: `y[i] = Σ_{j ≤ i} x[j]`.
    ///
    /// # Shapes
    /// The output has the input's shape.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
    /// let y = x.cumsum(0);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![1.0, 3.0, 6.0]);
    /// y.sum().backward(); // x[0] is in 3 sums, x[1] in 2, x[2] in 1
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn cumsum(&self, dim: isize) -> Var {
        record(Cumsum::forward(&self.value(), dim), &[self])
    }
}

#[cfg(test)]
mod tests {
    use tensor::DType;

    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_the_suffix_sum_of_the_upstream_gradient() {
        let x = Var::param(Tensor::from_vec_f64(vec![1., 2., 3., 4., 5., 6.], &[2, 3]));
        x.cumsum(-1).backward_with(&Tensor::from_vec_f64(
            vec![1., 10., 100., 2., 20., 200.],
            &[2, 3],
        ));
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![111., 110., 100., 222., 220., 200.]
        );
    }

    #[test]
    fn gradcheck_along_each_dim_and_on_a_transposed_input() {
        let x = Tensor::randn(&[3, 4]).to_dtype(DType::F64);
        gradcheck(|v| v[0].cumsum(0), std::slice::from_ref(&x)).assert_passed();
        gradcheck(|v| v[0].cumsum(-1), std::slice::from_ref(&x)).assert_passed();
        gradcheck(|v| v[0].t().cumsum(1), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "cumsum: dim 2 is out of range for shape [2, 3]")]
    fn a_bad_dim_is_reported() {
        Var::param(Tensor::zeros(&[2, 3])).cumsum(2);
    }
}
