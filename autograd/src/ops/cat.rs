//! `cat`: join tensors end to end along one dim.
//!
//! ```text
//! forward:   y = [x₀ | x₁ | .. | xₖ₋₁] along dim        y.shape[dim] = Σ nᵢ
//!            y[.., o₀ + j, ..] = x₀[.., j, ..], y[.., o₁ + j, ..] = x₁[.., j, ..], ..
//!            with offsets oᵢ = n₀ + .. + nᵢ₋₁
//! backward:  ∂L/∂xᵢ = narrow(g, dim, oᵢ, nᵢ)           (each input's own slice of g)
//! ```
//! Saves the (normalized) dim and each input's size along it.
//! Composite built on it: `Var::stack` (in [`crate::composite`]).
//! Read next: [`crate::ops::max_dim`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::shape::normalize_dim;

use crate::function::{Function, record};
use crate::var::Var;

/// The `cat` op; remembers where each input's slice lies in the output.
pub struct Cat {
    dim: usize,
    sizes: Vec<usize>,
}

impl Cat {
    /// `y = [x₀ | x₁ | ..]` along `dim`.
    #[track_caller]
    pub fn forward(xs: &[Tensor], dim: isize) -> (Tensor, Cat) {
        if xs.is_empty() {
            Error::new(
                "cat",
                ErrorKind::Value,
                "expects at least one tensor, got none",
            )
            .raise();
        }
        // `try_cat` checks the dim, the shapes and the dtypes.
        let y = Tensor::try_cat(xs, dim).or_raise();
        let d = normalize_dim("cat", dim, xs[0].shape()).or_raise();
        let sizes = xs.iter().map(|x| x.shape()[d]).collect();
        (y, Cat { dim: d, sizes })
    }
}

impl Function for Cat {
    fn name(&self) -> &'static str {
        "cat"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let mut offset = 0;
        self.sizes
            .iter()
            .map(|&n| {
                let grad_x = grad_out.narrow(self.dim as isize, offset, n);
                offset += n;
                Some(grad_x)
            })
            .collect()
    }
}

impl Var {
    /// Concatenate `vars` along `dim`, as `torch.cat`.
    ///
    /// # Shapes
    /// `[.., n₀, ..], [.., n₁, ..], ..` → `[.., n₀ + n₁ + .., ..]`; all other dims equal.
    ///
    /// # Panics
    /// If `vars` is empty, `dim` is out of range, the other dims or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let a = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
    /// let b = Var::param(Tensor::from_vec(vec![3.0], &[1]));
    /// let y = Var::cat(&[a.clone(), b.clone()], 0);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn cat(vars: &[Var], dim: isize) -> Var {
        let values: Vec<Tensor> = vars.iter().map(Var::value).collect();
        let inputs: Vec<&Var> = vars.iter().collect();
        record(Cat::forward(&values, dim), &inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn each_input_gets_its_slice_of_the_gradient() {
        let a = Var::param(Tensor::from_vec_f64(vec![1., 2., 3., 4.], &[2, 2]));
        let b = Var::param(Tensor::from_vec_f64(vec![5., 6.], &[2, 1]));
        let y = Var::cat(&[a.clone(), b.clone()], -1); // [[1, 2, 5], [3, 4, 6]]
        assert_eq!(y.value().to_vec::<f64>(), vec![1., 2., 5., 3., 4., 6.]);
        y.backward_with(&Tensor::from_vec_f64(
            vec![10., 20., 30., 40., 50., 60.],
            &[2, 3],
        ));
        // ∂L/∂a = g[:, 0..2], ∂L/∂b = g[:, 2..3]
        assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![10., 20., 40., 50.]);
        assert_eq!(b.grad().unwrap().to_vec::<f64>(), vec![30., 60.]);
    }

    #[test]
    fn the_same_var_twice_gets_both_slices() {
        let a = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
        Var::cat(&[a.clone(), a.clone()], 0)
            .backward_with(&Tensor::from_vec(vec![1., 2., 3., 4.], &[4]));
        // a appears at positions 0..2 and 2..4: gradients add
        assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![4.0, 6.0]);
    }

    #[test]
    fn gradcheck_three_inputs_one_transposed() {
        let a = Tensor::from_vec(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]);
        let b = Tensor::from_vec(vec![-0.3, 0.7, 1.1], &[1, 3]);
        let c = Tensor::from_vec(vec![0.9, -0.8, 0.7, -0.6, 0.5, -0.4], &[3, 2]);
        // c is used transposed: a non-contiguous input to cat
        let report = gradcheck(
            |v| Var::cat(&[v[0].clone(), v[1].clone(), v[2].transpose(0, 1)], 0).exp(),
            &[a, b, c],
        );
        report.assert_passed();
    }

    #[test]
    #[should_panic(expected = "cat: expects at least one tensor, got none")]
    fn an_empty_list_panics() {
        Var::cat(&[], 0);
    }

    #[test]
    #[should_panic(expected = "cat")]
    fn mismatched_shapes_panic() {
        Var::cat(
            &[
                Var::new(Tensor::zeros(&[2, 3])),
                Var::new(Tensor::zeros(&[2, 4])),
            ],
            0,
        );
    }
}
