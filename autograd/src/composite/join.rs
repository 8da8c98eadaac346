//! Joining and splitting composites, built from `cat`, `narrow` and `unsqueeze`.
//!
//! ```text
//! stack([x₀, ..], d)   = cat([unsqueeze(x₀, d), ..], d)
//! split(x, n, d)       = [narrow(x, d, 0, n), narrow(x, d, n, n), ..]   (last may be shorter)
//! chunk(x, k, d)       = split(x, ⌈N / k⌉, d)
//! ```
//! The gradient of a split is assembled by the `narrow` backward of each piece (zero
//! outside it) and summed by `backward`'s accumulation.
//! Read next: [`crate::no_grad`](mod@crate::no_grad) and [`crate::gradcheck`](mod@crate::gradcheck).

use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::shape::{normalize_dim, normalize_insert_dim};

use crate::var::Var;

impl Var {
    /// Join equal-shaped `vars` along a new dim `dim`, as `torch.stack`.
    ///
    /// # Shapes
    /// `k` inputs of shape `[A, B]`, `dim = 0` → `[k, A, B]`.
    ///
    /// # Panics
    /// If `vars` is empty, the shapes differ, or `dim` is outside `-(ndim + 1) ..= ndim`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let a = Var::new(Tensor::from_vec(vec![1.0, 2.0], &[2]));
    /// let b = Var::new(Tensor::from_vec(vec![3.0, 4.0], &[2]));
    /// let y = Var::stack(&[a, b], 1);
    /// assert_eq!(y.shape(), vec![2, 2]);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn stack(vars: &[Var], dim: isize) -> Var {
        let Some(first) = vars.first() else {
            Error::new(
                "stack",
                ErrorKind::Value,
                "expects at least one tensor, got none",
            )
            .raise();
        };
        let shape = first.shape();
        if let Some((i, other)) = vars.iter().enumerate().find(|(_, v)| v.shape() != shape) {
            Error::new(
                "stack",
                ErrorKind::Shape,
                format!(
                    "expects tensors of equal shape, got {shape:?} at position 0 and {:?} at position {i}",
                    other.shape()
                ),
            )
            .with_hint("to join along an existing dim with different sizes, use cat")
            .raise();
        }
        let d = normalize_insert_dim("stack", dim, &shape).or_raise() as isize;
        let unsqueezed: Vec<Var> = vars.iter().map(|v| v.unsqueeze(d)).collect();
        Var::cat(&unsqueezed, d)
    }

    /// Split along `dim` into pieces of `split_size` (the last may be shorter), as
    /// `torch.split`. Each piece is a `narrow` view.
    ///
    /// # Shapes
    /// `[.., N, ..]` → ⌈N / split_size⌉ pieces `[.., split_size, ..]`.
    ///
    /// # Panics
    /// If `split_size` is 0 or `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::arange(0.0, 5.0, 1.0));
    /// let sizes: Vec<Vec<usize>> = x.split(2, 0).iter().map(|p| p.shape()).collect();
    /// assert_eq!(sizes, vec![vec![2], vec![2], vec![1]]);
    /// ```
    #[track_caller]
    pub fn split(&self, split_size: usize, dim: isize) -> Vec<Var> {
        let shape = self.shape();
        let d = normalize_dim("split", dim, &shape).or_raise();
        if split_size == 0 {
            Error::new(
                "split",
                ErrorKind::Value,
                format!("split_size must be positive, got 0 (shape {shape:?})"),
            )
            .raise();
        }
        let n = shape[d];
        if n == 0 {
            return vec![self.clone()];
        }
        (0..n)
            .step_by(split_size)
            .map(|start| self.narrow(d as isize, start, split_size.min(n - start)))
            .collect()
    }

    /// Split along `dim` into `chunks` pieces of size ⌈N / chunks⌉ (the last may be
    /// shorter, and there may be fewer pieces), as `torch.chunk`.
    ///
    /// # Shapes
    /// `[.., N, ..]` → pieces `[.., ⌈N / chunks⌉, ..]`.
    ///
    /// # Panics
    /// If `chunks` is 0 or `dim` is out of range.
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Var> {
        let shape = self.shape();
        let d = normalize_dim("chunk", dim, &shape).or_raise();
        if chunks == 0 {
            Error::new(
                "chunk",
                ErrorKind::Value,
                format!("chunks must be positive, got 0 (shape {shape:?})"),
            )
            .raise();
        }
        self.split(shape[d].div_ceil(chunks).max(1), dim)
    }
}

#[cfg(test)]
mod tests {
    use tensor::Tensor;

    use crate::gradcheck::gradcheck;
    use crate::var::Var;

    /// x = [[0, 1, 2], [3, 4, 5]] (f64).
    fn x23() -> Var {
        Var::param(Tensor::from_vec_f64(vec![0., 1., 2., 3., 4., 5.], &[2, 3]))
    }

    #[test]
    fn stack_values_and_gradient() {
        let a = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
        let b = Var::param(Tensor::from_vec(vec![3.0, 4.0], &[2]));
        let y = Var::stack(&[a.clone(), b.clone()], 0);
        assert_eq!(y.shape(), vec![2, 2]);
        assert_eq!(y.value().to_vec::<f32>(), vec![1., 2., 3., 4.]);
        assert_eq!(
            Var::stack(&[a.clone(), b.clone()], -1)
                .value()
                .to_vec::<f32>(),
            vec![1., 3., 2., 4.]
        );
        y.backward_with(&Tensor::from_vec(vec![5., 6., 7., 8.], &[2, 2]));
        assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![5., 6.]);
        assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![7., 8.]);
    }

    #[test]
    fn split_and_chunk() {
        let x = Var::param(Tensor::arange(0.0, 10.0, 1.0).reshape(&[2, 5]));
        let pieces = x.split(2, 1);
        let shapes: Vec<Vec<usize>> = pieces.iter().map(Var::shape).collect();
        assert_eq!(shapes, vec![vec![2, 2], vec![2, 2], vec![2, 1]]);
        assert_eq!(pieces[2].value().to_vec::<f32>(), vec![4., 9.]);
        // chunk(3) of 5: size ⌈5/3⌉ = 2 → [2, 2, 1]; chunk(4) of 5 → size 2 → 3 pieces
        assert_eq!(x.chunk(3, -1).len(), 3);
        assert_eq!(x.chunk(4, -1).len(), 3);
        assert_eq!(
            x.chunk(2, 0)[1].value().to_vec::<f32>(),
            vec![5., 6., 7., 8., 9.]
        );
        // weight piece k by k + 1: ∂L/∂x = that weight at each position
        let loss = pieces
            .iter()
            .enumerate()
            .map(|(k, p)| p.sum().mul_scalar(k as f64 + 1.0))
            .reduce(|a, b| &a + &b)
            .unwrap();
        loss.backward();
        assert_eq!(
            x.grad().unwrap().to_vec::<f32>(),
            vec![1., 1., 2., 2., 3., 1., 1., 2., 2., 3.]
        );
    }

    #[test]
    fn gradchecks_incl_transposed_inputs() {
        let a = Tensor::from_vec_f64(vec![0.3, -1.2, 2.1, 0.7, -0.4, 1.6], &[2, 3]);
        let b = Tensor::from_vec_f64(vec![1.1, 0.2, -0.5, 0.9, -1.4, 0.6], &[3, 2]);
        let aa = std::slice::from_ref(&a);
        gradcheck(
            |v| Var::stack(&[v[0].t(), v[1].clone()], 1).exp(),
            &[a.clone(), b.clone()],
        )
        .assert_passed();
        gradcheck(|v| v[0].t().split(2, 0)[1].exp(), aa).assert_passed();
        gradcheck(|v| v[0].chunk(2, 1)[0].exp(), aa).assert_passed();
    }

    #[test]
    #[should_panic(
        expected = "stack: expects tensors of equal shape, got [2] at position 0 and [3] at position 1"
    )]
    fn stack_of_unequal_shapes_panics() {
        Var::stack(
            &[Var::new(Tensor::zeros(&[2])), Var::new(Tensor::zeros(&[3]))],
            0,
        );
    }

    #[test]
    #[should_panic(expected = "stack: expects at least one tensor, got none")]
    fn stack_of_nothing_panics() {
        Var::stack(&[], 0);
    }

    #[test]
    #[should_panic(expected = "split: split_size must be positive")]
    fn split_size_zero_panics() {
        x23().split(0, 0);
    }
}
