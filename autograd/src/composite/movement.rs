//! Movement composites: new views of the same elements, built from `reshape`,
//! `permute` and `narrow`. Their gradients are those primitives' backward passes.
//!
//! ```text
//! flatten(x, s, e)     = reshape to [.., Sₛ·..·Sₑ, ..]
//! unsqueeze(x, d)      = reshape with a size-1 dim inserted at d
//! squeeze(x, d)        = reshape with the size-1 dim d removed
//! transpose(x, a, b)   = permute with a and b swapped;  t(x) = transpose(x, 0, 1)
//! select(x, d, i)      = squeeze(narrow(x, d, i, 1), d)
//! ```
//! Read next: [`crate::composite::join`].

use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::shape::{normalize_dim, normalize_insert_dim};

use crate::var::Var;

impl Var {
    /// Merge dims `start_dim ..= end_dim` into one, as `torch.flatten`. A 0-d input
    /// becomes `[1]`.
    ///
    /// # Shapes
    /// `[B, C, H, W]` with `(1, -1)` → `[B, C·H·W]`.
    ///
    /// # Panics
    /// If a dim is out of range or `start_dim` comes after `end_dim`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::zeros(&[2, 3, 4, 5]));
    /// assert_eq!(x.flatten(1, -1).shape(), vec![2, 60]);
    /// assert_eq!(x.flatten(0, 1).shape(), vec![6, 4, 5]);
    /// ```
    #[track_caller]
    pub fn flatten(&self, start_dim: isize, end_dim: isize) -> Var {
        let shape = self.shape();
        if shape.is_empty() {
            return self.reshape(&[1]);
        }
        let s = normalize_dim("flatten", start_dim, &shape).or_raise();
        let e = normalize_dim("flatten", end_dim, &shape).or_raise();
        if s > e {
            Error::new(
                "flatten",
                ErrorKind::Dim,
                format!("start_dim {start_dim} comes after end_dim {end_dim} (shape {shape:?})"),
            )
            .with_hint("flatten merges start_dim ..= end_dim, so start_dim ≤ end_dim")
            .raise();
        }
        let merged: usize = shape[s..=e].iter().product();
        let new_shape: Vec<usize> = shape[..s]
            .iter()
            .copied()
            .chain([merged])
            .chain(shape[e + 1..].iter().copied())
            .collect();
        self.reshape(&new_shape)
    }

    /// Swap two dims, as `torch.transpose`. A view (a `permute`).
    ///
    /// # Shapes
    /// `[.., A, .., B, ..]` → `[.., B, .., A, ..]`.
    ///
    /// # Panics
    /// If a dim is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::zeros(&[2, 3, 4]));
    /// assert_eq!(x.transpose(0, -1).shape(), vec![4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, d0: isize, d1: isize) -> Var {
        let shape = self.shape();
        let a = normalize_dim("transpose", d0, &shape).or_raise();
        let b = normalize_dim("transpose", d1, &shape).or_raise();
        let mut dims: Vec<isize> = (0..shape.len() as isize).collect();
        dims.swap(a, b);
        self.permute(&dims)
    }

    /// The transpose of a matrix: `transpose(0, 1)`.
    ///
    /// # Shapes
    /// `[M, N]` → `[N, M]`.
    ///
    /// # Panics
    /// If `self` is not 2-D.
    #[track_caller]
    pub fn t(&self) -> Var {
        if self.dims() != 2 {
            Error::new(
                "t",
                ErrorKind::Shape,
                format!("expects a 2-D tensor, got shape {:?}", self.shape()),
            )
            .with_hint("use transpose(d0, d1) or permute(..) for other ranks")
            .raise();
        }
        self.transpose(0, 1)
    }

    /// Insert a size-1 dim at `dim` (`-1` appends one), as `torch.unsqueeze`.
    ///
    /// # Shapes
    /// `[A, B]` with `dim = 1` → `[A, 1, B]`.
    ///
    /// # Panics
    /// If `dim` is outside `-(ndim + 1) ..= ndim`.
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Var {
        let mut shape = self.shape();
        let d = normalize_insert_dim("unsqueeze", dim, &shape).or_raise();
        shape.insert(d, 1);
        self.reshape(&shape)
    }

    /// Remove `dim` if it has size 1; otherwise return `self` unchanged (as
    /// `torch.squeeze(dim)`).
    ///
    /// # Shapes
    /// `[A, 1, B]` with `dim = 1` → `[A, B]`.
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn squeeze(&self, dim: isize) -> Var {
        let mut shape = self.shape();
        let d = normalize_dim("squeeze", dim, &shape).or_raise();
        if shape[d] != 1 {
            return self.clone();
        }
        shape.remove(d);
        self.reshape(&shape)
    }

    /// Entry `index` along `dim`, dropping that dim, as `torch.select` (`x[:, i]`).
    ///
    /// # Shapes
    /// `[.., N, ..]` → `[.., ..]`.
    ///
    /// # Panics
    /// If `dim` is out of range or `index ≥ N`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// assert_eq!(x.select(1, 0).value().to_vec::<f32>(), vec![1.0, 3.0]); // column 0
    /// ```
    #[track_caller]
    pub fn select(&self, dim: isize, index: usize) -> Var {
        let shape = self.shape();
        let d = normalize_dim("select", dim, &shape).or_raise();
        if index >= shape[d] {
            Error::new(
                "select",
                ErrorKind::Index,
                format!(
                    "index {index} is out of range for dim {dim} of size {} (shape {shape:?})",
                    shape[d]
                ),
            )
            .raise();
        }
        let mut out_shape = shape;
        out_shape.remove(d);
        self.narrow(d as isize, index, 1).reshape(&out_shape)
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
    fn flatten_shapes_and_0d() {
        let x = Var::new(Tensor::zeros(&[2, 3, 4]));
        assert_eq!(x.flatten(0, -1).shape(), vec![24]);
        assert_eq!(x.flatten(-2, -1).shape(), vec![2, 12]);
        assert_eq!(x.flatten(1, 1).shape(), vec![2, 3, 4]);
        assert_eq!(
            Var::new(Tensor::scalar(3.0)).flatten(0, -1).shape(),
            vec![1]
        );
    }

    #[test]
    fn transpose_and_t_values_and_gradient() {
        let x = x23();
        let y = x.t();
        assert_eq!(y.value().to_vec::<f64>(), vec![0., 3., 1., 4., 2., 5.]);
        y.backward_with(&Tensor::from_vec_f64(
            vec![10., 20., 30., 40., 50., 60.],
            &[3, 2],
        ));
        // ∂L/∂x[i, j] = g[j, i]
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![10., 30., 50., 20., 40., 60.]
        );
        assert_eq!(
            Var::new(Tensor::zeros(&[2, 3, 4])).transpose(-1, 0).shape(),
            vec![4, 3, 2]
        );
    }

    #[test]
    fn unsqueeze_and_squeeze() {
        let x = x23();
        assert_eq!(x.unsqueeze(0).shape(), vec![1, 2, 3]);
        assert_eq!(x.unsqueeze(-1).shape(), vec![2, 3, 1]);
        assert_eq!(x.unsqueeze(1).squeeze(1).shape(), vec![2, 3]);
        assert_eq!(x.squeeze(0).shape(), vec![2, 3]); // size 2: unchanged
        assert_eq!(
            Var::new(Tensor::zeros(&[1])).squeeze(-1).shape(),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn select_value_and_gradient() {
        let x = x23();
        let row = x.select(0, 1);
        assert_eq!(row.value().to_vec::<f64>(), vec![3., 4., 5.]);
        let column = x.select(-1, 2);
        assert_eq!(column.value().to_vec::<f64>(), vec![2., 5.]);
        (&row.sum() + &column.sum()).backward();
        // row 1 and column 2 each get 1; x[1, 2] is in both
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![0., 0., 1., 1., 1., 2.]
        );
    }

    #[test]
    fn gradchecks_incl_transposed_inputs() {
        let a = Tensor::from_vec_f64(vec![0.3, -1.2, 2.1, 0.7, -0.4, 1.6], &[2, 3]);
        let aa = std::slice::from_ref(&a);
        gradcheck(|v| v[0].t().flatten(0, -1).exp(), aa).assert_passed();
        gradcheck(|v| v[0].transpose(1, 0).unsqueeze(1).exp(), aa).assert_passed();
        gradcheck(|v| v[0].unsqueeze(0).squeeze(0).t().exp(), aa).assert_passed();
        gradcheck(|v| v[0].t().select(0, 1).exp(), aa).assert_passed();
    }

    #[test]
    #[should_panic(expected = "flatten: start_dim 2 comes after end_dim 1")]
    fn flatten_reversed_dims_panics() {
        Var::new(Tensor::zeros(&[2, 3, 4])).flatten(2, 1);
    }

    #[test]
    #[should_panic(expected = "t: expects a 2-D tensor, got shape [2, 3, 4]")]
    fn t_of_3d_panics() {
        Var::new(Tensor::zeros(&[2, 3, 4])).t();
    }

    #[test]
    #[should_panic(expected = "select: index 3 is out of range for dim 1 of size 3")]
    fn select_out_of_range_panics() {
        x23().select(1, 3);
    }

    #[test]
    #[should_panic(expected = "unsqueeze: dim 3 is out of range")]
    fn unsqueeze_bad_dim_panics() {
        x23().unsqueeze(3);
    }
}
