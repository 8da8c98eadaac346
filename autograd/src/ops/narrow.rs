//! `narrow`: the slice `start .. start + length` along one dim (a view).
//!
//! ```text
//! forward:   y[.., i, ..] = x[.., start + i, ..]            0 ≤ i < length
//! backward:  ∂L/∂x[.., j, ..] = g[.., j − start, ..]   if start ≤ j < start + length
//!                             = 0                      otherwise
//!            = cat([zeros(before), g, zeros(after)], dim)     (zero-padding)
//! ```
//! Elements outside the slice did not reach the output, so their gradient is zero.
//! Saves the input's shape, the (normalized) dim and `start`.
//!
//! Composites built on it: `select`, `split`, `chunk` (in [`crate::composite`]), and
//! [`crate::ops::cat`]'s backward. Read next: [`crate::ops::cat`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::shape::normalize_dim;

use crate::function::{Function, record};
use crate::var::Var;

/// The `narrow` op; remembers where the slice was taken from.
pub struct Narrow {
    input_shape: Vec<usize>,
    dim: usize,
    start: usize,
}

impl Narrow {
    /// `y = x[.., start .. start + length, ..]` along `dim`.
    #[track_caller]
    pub fn forward(x: &Tensor, dim: isize, start: usize, length: usize) -> (Tensor, Narrow) {
        let input_shape = x.shape().to_vec();
        let d = normalize_dim("narrow", dim, &input_shape).or_raise();
        let size = input_shape[d];
        if start.checked_add(length).is_none_or(|end| end > size) {
            Error::new(
                "narrow",
                ErrorKind::Index,
                format!(
                    "slice start {start}, length {length} does not fit in dim {dim} of size \
                     {size} (shape {input_shape:?})"
                ),
            )
            .with_hint("need start + length ≤ size")
            .raise();
        }
        let y = x.narrow(d as isize, start, length);
        (
            y,
            Narrow {
                input_shape,
                dim: d,
                start,
            },
        )
    }
}

impl Function for Narrow {
    fn name(&self) -> &'static str {
        "narrow"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let length = grad_out.shape()[self.dim];
        let after = self.input_shape[self.dim] - self.start - length;
        let zeros = |n: usize| {
            let mut shape = self.input_shape.clone();
            shape[self.dim] = n;
            Tensor::full_dtype(&shape, 0.0, grad_out.dtype())
        };
        // Only non-empty pieces go to `cat` (a slice may start at 0 or end at the edge).
        let pieces: Vec<Tensor> = [(self.start, zeros(self.start)), (length, grad_out.clone())]
            .into_iter()
            .chain([(after, zeros(after))])
            .filter(|(n, _)| *n > 0)
            .map(|(_, t)| t)
            .collect();
        let grad_x = match pieces.len() {
            0 => zeros(0),
            1 => pieces[0].clone(),
            _ => Tensor::cat(&pieces, self.dim as isize),
        };
        vec![Some(grad_x)]
    }
}

impl Var {
    /// The slice `start .. start + length` along `dim`, as `torch.narrow`. A view.
    ///
    /// # Shapes
    /// `[.., N, ..]` → `[.., length, ..]`.
    ///
    /// # Panics
    /// If `dim` is out of range or `start + length` exceeds the dim's size.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]));
    /// let y = x.narrow(0, 1, 2); // [2, 3]
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Var {
        record(Narrow::forward(&self.value(), dim, start, length), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    #[test]
    fn forward_takes_the_slice() {
        // x = [[0, 1, 2, 3], [4, 5, 6, 7]]
        let x = Var::new(Tensor::arange(0.0, 8.0, 1.0).reshape(&[2, 4]));
        assert_eq!(
            x.narrow(-1, 1, 2).value().to_vec::<f32>(),
            vec![1., 2., 5., 6.]
        );
        assert_eq!(
            x.narrow(0, 1, 1).value().to_vec::<f32>(),
            vec![4., 5., 6., 7.]
        );
    }

    #[test]
    fn gradient_is_zero_padded() {
        let x = Var::param(Tensor::zeros(&[2, 4]).to_dtype(tensor::DType::F64));
        let y = x.narrow(1, 1, 2);
        y.backward_with(&Tensor::from_vec_f64(vec![1., 2., 3., 4.], &[2, 2]));
        // ∂L/∂x[i, j] = g[i, j − 1] for j ∈ {1, 2}, else 0
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![0., 1., 2., 0., 0., 3., 4., 0.]
        );
    }

    #[test]
    fn slices_at_the_edges_and_the_whole_dim() {
        for (start, length, expected) in [
            (0, 2, vec![1., 1., 0.]),
            (1, 2, vec![0., 1., 1.]),
            (0, 3, vec![1., 1., 1.]),
            (1, 0, vec![0., 0., 0.]),
        ] {
            let x = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
            x.narrow(0, start, length).sum().backward();
            assert_eq!(
                x.grad().unwrap().to_vec::<f32>(),
                expected,
                "{start} {length}"
            );
        }
    }

    #[test]
    fn gradcheck_contiguous_and_transposed() {
        let x = Tensor::from_vec_f64((0..12).map(|k| (k as f64 * 0.7).cos()).collect(), &[3, 4]);
        gradcheck(|v| v[0].narrow(1, 1, 2).exp(), std::slice::from_ref(&x)).assert_passed();
        gradcheck(|v| v[0].transpose(0, 1).narrow(0, 2, 2).exp(), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "narrow: slice start 2, length 3 does not fit in dim 0 of size 4")]
    fn slice_past_the_end_panics() {
        Var::new(Tensor::zeros(&[4])).narrow(0, 2, 3);
    }
}
