//! `reshape`: the same elements in row-major order, viewed with a new shape.
//!
//! ```text
//! forward:   y = reshape(x, shape)          numel(shape) = numel(x)
//! backward:  ∂L/∂x = reshape(g, shape of x)
//! ```
//! Reshape only relabels positions: element k (in row-major order) of `y` *is*
//! element k of `x`, so the gradient of element k goes back unchanged, and putting
//! the gradient back in `x`'s shape is all backward does.
//! Saves the input's shape.
//!
//! Composites built on it: `flatten`, `unsqueeze`, `squeeze`, `select` (in
//! [`crate::composite`]). Read next: [`crate::ops::permute`].

use tensor::Tensor;
use tensor::error::OrRaise;

use crate::function::{Function, record};
use crate::var::Var;

/// The `reshape` op; remembers the input shape to reshape the gradient back.
pub struct Reshape {
    input_shape: Vec<usize>,
}

impl Reshape {
    /// `y = x` viewed with `shape` (a copy only if `x` is not contiguous).
    #[track_caller]
    pub fn forward(x: &Tensor, shape: &[usize]) -> (Tensor, Reshape) {
        let y = x.try_reshape(shape).or_raise();
        let input_shape = x.shape().to_vec();
        (y, Reshape { input_shape })
    }
}

impl Function for Reshape {
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(grad_out.reshape(&self.input_shape))]
    }
}

impl Var {
    /// The same elements (row-major order) with a new shape, as `torch.reshape`.
    ///
    /// # Shapes
    /// `S` → `shape`, with `numel(S) = numel(shape)`.
    ///
    /// # Panics
    /// If the element counts differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]));
    /// let y = x.reshape(&[3, 2]);
    /// assert_eq!(y.shape(), vec![3, 2]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Var {
        record(Reshape::forward(&self.value(), shape), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_is_reshaped_back() {
        let x = Var::param(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        let y = x.reshape(&[3, 2]);
        assert_eq!(
            y.value().to_vec::<f32>(),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        y.backward_with(&Tensor::from_vec(
            vec![10., 20., 30., 40., 50., 60.],
            &[3, 2],
        ));
        // y[k] = x[k] in row-major order, so ∂L/∂x[k] = g[k], in x's shape
        let g = x.grad().unwrap();
        assert_eq!(g.shape(), &[2, 3]);
        assert_eq!(g.to_vec::<f32>(), vec![10., 20., 30., 40., 50., 60.]);
    }

    #[test]
    fn to_and_from_0d() {
        let x = Var::param(Tensor::from_vec_f64(vec![2.5], &[1, 1]));
        let y = x.reshape(&[]);
        assert_eq!(y.shape(), Vec::<usize>::new());
        y.backward();
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![1.0]);
    }

    #[test]
    fn gradcheck_contiguous_and_transposed() {
        let x = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6], &[2, 3]);
        gradcheck(|v| v[0].reshape(&[6]).exp(), std::slice::from_ref(&x)).assert_passed();
        // a transposed (non-contiguous) input: reshape must copy in row-major order
        gradcheck(|v| v[0].transpose(0, 1).reshape(&[2, 3]).exp(), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "reshape")]
    fn wrong_element_count_panics() {
        Var::new(Tensor::zeros(&[2, 3])).reshape(&[4]);
    }
}
