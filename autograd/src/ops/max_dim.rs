//! `max_dim`: the largest element along one dim, and where it is.
//!
//! ```text
//! forward:   y[..] = max_i x[.., i, ..]        a[..] = argmax_i x[.., i, ..] (first on ties)
//! backward:  ∂L/∂x[.., i, ..] = g[..]  if i = a[..]
//!                             = 0      otherwise
//!            = scatter_add(zeros like x, dim, a, g)
//! ```
//! The max is locally just one of its inputs (`y = x[a]`), so only the winning
//! element gets the gradient, like a switch. On ties the first index wins, in both the
//! returned indices and the gradient (a subgradient; PyTorch's `max(dim)` does the same).
//! Saves the input's shape, the dim, and the indices with the dim kept as size 1
//! (the layout `scatter_add` wants).
//!
//! Composites built on it: `max`, `min`, `min_dim`, and the detached max in
//! `logsumexp` (in [`crate::composite`]). Read next: [`crate::ops::log_softmax`].

use tensor::Tensor;
use tensor::error::OrRaise;
use tensor::shape::normalize_dim;

use crate::function::{Function, record};
use crate::var::Var;

/// The `max_dim` op; holds the argmax positions for backward.
pub struct MaxDim {
    input_shape: Vec<usize>,
    dim: usize,
    /// Argmax indices, shape = input shape with `dim` set to 1.
    kept_indices: Tensor,
}

impl MaxDim {
    /// `(y, a)`: max values and argmax indices along `dim`; the values are the output.
    #[track_caller]
    pub fn forward(x: &Tensor, dim: isize, keepdim: bool) -> (Tensor, MaxDim) {
        let input_shape = x.shape().to_vec();
        let d = normalize_dim("max_dim", dim, &input_shape).or_raise();
        let (y, indices) = x.max_dim(d as isize, keepdim);
        let mut kept_shape = input_shape.clone();
        kept_shape[d] = 1;
        let kept_indices = indices.reshape(&kept_shape);
        let max_dim = MaxDim {
            input_shape,
            dim: d,
            kept_indices,
        };
        (y, max_dim)
    }

    /// The argmax indices in the output's layout (without the kept dim unless `keepdim`).
    fn indices(&self, keepdim: bool) -> Tensor {
        if keepdim {
            self.kept_indices.clone()
        } else {
            self.kept_indices.squeeze(self.dim as isize)
        }
    }
}

impl Function for MaxDim {
    fn name(&self) -> &'static str {
        "max_dim"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let g = grad_out.reshape(self.kept_indices.shape());
        let mut grad = Tensor::full_dtype(&self.input_shape, 0.0, grad_out.dtype());
        grad.scatter_add_(self.dim as isize, &self.kept_indices, &g);
        vec![Some(grad)]
    }
}

impl Var {
    /// The max along `dim` and its position (first index on ties), as `torch.max(x, dim)`.
    /// The gradient flows only to the max element of each slice.
    ///
    /// Returns `(values, indices)`; `indices` is a plain i64 tensor (not
    /// differentiable).
    ///
    /// # Shapes
    /// `[.., N, ..]` → values and indices `[.., ..]` (or `[.., 1, ..]` with `keepdim`).
    ///
    /// # Panics
    /// If `dim` is out of range or the dim has size 0.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 5.0, 3.0, 4.0, 2.0, 0.0], &[2, 3]));
    /// let (values, indices) = x.max_dim(1, false);
    /// assert_eq!(values.value().to_vec::<f32>(), vec![5.0, 4.0]);
    /// assert_eq!(indices.to_vec::<f32>(), vec![1.0, 0.0]);
    /// values.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0., 1., 0., 1., 0., 0.]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Var, Tensor) {
        let (y, function) = MaxDim::forward(&self.value(), dim, keepdim);
        let indices = function.indices(keepdim);
        (record((y, function), &[self]), indices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn gradient_goes_to_the_argmax() {
        // x = [[1, 7, 3], [9, 2, 8]]: max along dim 1 is [7, 9] at [1, 0]
        let x = Var::param(Tensor::from_vec_f64(vec![1., 7., 3., 9., 2., 8.], &[2, 3]));
        let (y, a) = x.max_dim(-1, false);
        assert_eq!(y.value().to_vec::<f64>(), vec![7., 9.]);
        assert_eq!(a.to_vec::<f64>(), vec![1., 0.]);
        y.backward_with(&Tensor::from_vec_f64(vec![10., 20.], &[2]));
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![0., 10., 0., 20., 0., 0.]
        );
    }

    #[test]
    fn along_dim_0_with_keepdim() {
        // columns of [[1, 7, 3], [9, 2, 8]]: max [9, 7, 8] at rows [1, 0, 1]
        let x = Var::param(Tensor::from_vec(vec![1., 7., 3., 9., 2., 8.], &[2, 3]));
        let (y, a) = x.max_dim(0, true);
        assert_eq!(y.shape(), vec![1, 3]);
        assert_eq!(a.shape(), &[1, 3]);
        assert_eq!(a.to_vec::<f32>(), vec![1., 0., 1.]);
        y.sum().backward();
        assert_eq!(
            x.grad().unwrap().to_vec::<f32>(),
            vec![0., 1., 0., 1., 0., 1.]
        );
    }

    #[test]
    fn ties_send_the_gradient_to_the_first_index() {
        let x = Var::param(Tensor::from_vec(vec![2.0, 5.0, 5.0], &[3]));
        let (y, a) = x.max_dim(0, false);
        assert_eq!(a.item(), 1.0);
        y.backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn gradcheck_away_from_ties_incl_transposed() {
        let x = Tensor::from_vec_f64(
            (0..12).map(|k| ((k * 7) % 12) as f64 * 0.3).collect(),
            &[3, 4],
        );
        gradcheck(|v| v[0].max_dim(1, false).0, std::slice::from_ref(&x)).assert_passed();
        gradcheck(|v| v[0].transpose(0, 1).max_dim(-1, true).0, &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "max_dim: dim 2 is out of range")]
    fn bad_dim_panics() {
        Var::new(Tensor::zeros(&[2, 3])).max_dim(2, false);
    }
}
