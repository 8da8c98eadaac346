//! `embedding`: look up rows of a table by integer index (a word's vector).
//!
//! ```text
//! forward:   W: [V, C]   indices: [..] (integers in 0..V)   →   y: [.., C]
//!            y[.., :] = W[indices[..], :]
//!          = W.index_select(0, flatten(indices)), reshaped to indices.shape + [C]
//! backward:  ∂L/∂W[r, :] = Σ_{n : idx[n] = r} g[n, :]      (g seen as [N, C] rows)
//!   dense:   zeros([V, C]).index_add(0, idx, g)            a full [V, C] tensor
//!   sparse:  RowGradient { indices: idx, rows: g, num_rows: V }   only the N rows
//! ```
//! With a 50k-word vocabulary and a batch touching a few thousand words, the dense
//! gradient is mostly zeros; `sparse = true` (PyTorch's `sparse=True`) stores only
//! the looked-up rows, and the optimizer updates only those. Repeated indices keep
//! their separate rows (they add up when made dense). Saves the flat indices.
//! Read next: [`crate::gradient`] for how sparse rows accumulate.

use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::{DType, Tensor};

use crate::function::{Function, record};
use crate::gradient::{Gradient, RowGradient};
use crate::var::Var;

/// The `embedding` op; holds the flattened indices and the table's size.
pub struct Embedding {
    /// `indices` flattened to `[N]`.
    flat: Tensor,
    num_rows: usize,
    dim: usize,
    dtype: DType,
    sparse: bool,
}

impl Embedding {
    /// `y = W[indices]`, of shape `indices.shape + [C]`.
    #[track_caller]
    pub fn forward(weight: &Tensor, indices: &Tensor, sparse: bool) -> (Tensor, Embedding) {
        let &[num_rows, dim] = weight.shape() else {
            Error::new(
                "embedding",
                ErrorKind::Shape,
                format!(
                    "the weight must be a 2-D table [V, C], got shape {:?}",
                    weight.shape()
                ),
            )
            .with_hint("one row of C features per index in 0..V")
            .raise();
        };
        let flat = indices.reshape(&[indices.numel()]);
        let rows = weight
            .try_index_select(0, &flat)
            .map_err(|e| Error {
                op: "embedding",
                ..e
            }) // name the op the caller used
            .or_raise(); // [N, C]
        let out_shape: Vec<usize> = indices.shape().iter().copied().chain([dim]).collect();
        let saved = Embedding {
            flat,
            num_rows,
            dim,
            dtype: weight.dtype(),
            sparse,
        };
        (rows.reshape(&out_shape), saved)
    }

    /// The incoming gradient as one row per looked-up index: `[N, C]`.
    fn grad_rows(&self, grad_out: &Tensor) -> Tensor {
        grad_out.reshape(&[self.flat.numel(), self.dim])
    }
}

impl Function for Embedding {
    fn name(&self) -> &'static str {
        "embedding"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let mut grad = Tensor::full_dtype(&[self.num_rows, self.dim], 0.0, self.dtype);
        grad.index_add_(0, &self.flat, &self.grad_rows(grad_out)); // in place: no copy
        vec![Some(grad)]
    }

    fn backward_gradients(&self, grad_out: &Tensor) -> Vec<Option<Gradient>> {
        if !self.sparse {
            return vec![self.backward(grad_out).swap_remove(0).map(Gradient::Dense)];
        }
        // The indices were validated (i64 in 0..V) by index_select in forward.
        let indices = self
            .flat
            .to_vec::<i64>()
            .into_iter()
            .map(|i| i as usize)
            .collect();
        let rows = RowGradient {
            indices,
            rows: self.grad_rows(grad_out).contiguous(),
            num_rows: self.num_rows,
        };
        vec![Some(Gradient::Rows(rows))]
    }
}

impl Var {
    /// Rows of the table `weight` looked up at `indices`, as
    /// `torch.nn.functional.embedding`. With `sparse = true` the weight's gradient is
    /// stored as the looked-up rows only ([`Gradient::Rows`]; `weight.grad()` still
    /// returns it dense).
    ///
    /// `indices` is an i64 tensor of any shape holding integers in `0..V`.
    ///
    /// # Shapes
    /// `weight: [V, C]`, `indices: [..]` → `[.., C]` (e.g. `[B, T]` → `[B, T, C]`).
    ///
    /// # Panics
    /// If `weight` is not 2-D, `indices` is not i64, or an index is not in `0..V`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::{Gradient, Var}; use ferrograd::tensor::Tensor;
    /// let table = Var::param(Tensor::from_vec(vec![0.0, 0.1, 1.0, 1.1, 2.0, 2.1], &[3, 2]));
    /// let words = Tensor::from_vec_i64(vec![2, 0, 2], &[1, 3]); // [B = 1, T = 3]
    /// let x = Var::embedding(&table, &words, true);
    /// assert_eq!(x.shape(), vec![1, 3, 2]);
    /// x.sum().backward();
    /// let Some(Gradient::Rows(g)) = table.gradient() else { panic!("expected rows") };
    /// assert_eq!(g.indices, vec![2, 0, 2]); // row 1 was never looked up
    /// assert_eq!(table.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 0.0, 0.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn embedding(weight: &Var, indices: &Tensor, sparse: bool) -> Var {
        record(
            Embedding::forward(&weight.value(), indices, sparse),
            &[weight],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    fn table() -> Tensor {
        Tensor::from_vec_f64((0..10).map(|v| v as f64).collect(), &[5, 2])
    }

    #[test]
    fn output_has_the_indices_shape_plus_features() {
        let w = Var::param(table());
        let y = Var::embedding(&w, &Tensor::from_vec_i64(vec![4, 0, 1, 4], &[2, 2]), false);
        assert_eq!(y.shape(), vec![2, 2, 2]);
        assert_eq!(
            y.value().to_vec::<f64>(),
            vec![8.0, 9.0, 0.0, 1.0, 2.0, 3.0, 8.0, 9.0]
        );
        // a 0-d index gives a single row [C]
        let one = Var::embedding(&w, &Tensor::from_vec_i64(vec![3], &[]), false);
        assert_eq!(one.shape(), vec![2]);
        assert_eq!(one.value().to_vec::<f64>(), vec![6.0, 7.0]);
    }

    #[test]
    fn dense_gradient_adds_the_rows_of_repeated_indices() {
        let w = Var::param(Tensor::zeros(&[4, 3]));
        let y = Var::embedding(&w, &Tensor::from_vec_i64(vec![1, 3, 1], &[3]), false);
        y.backward_with(&Tensor::from_vec(
            (1..=9).map(|v| v as f32).collect(),
            &[3, 3],
        ));
        // row 1 gets g rows 0 and 2: [1 + 7, 2 + 8, 3 + 9]; row 3 gets g row 1
        assert_eq!(
            w.grad().unwrap().to_vec::<f32>(),
            vec![0.0, 0.0, 0.0, 8.0, 10.0, 12.0, 0.0, 0.0, 0.0, 4.0, 5.0, 6.0]
        );
        assert!(matches!(w.gradient(), Some(Gradient::Dense(_))));
    }

    /// Two lookups of the same table, as in word2vec (centre and context words).
    fn two_lookups(sparse: bool) -> Var {
        let w = Var::param(table());
        let a = Var::embedding(&w, &Tensor::from_vec_i64(vec![1, 3], &[2]), sparse);
        let b = Var::embedding(&w, &Tensor::from_vec_i64(vec![3], &[1, 1]), sparse);
        let loss = &(&a * &a).sum() + &b.exp().sum();
        loss.backward();
        w
    }

    #[test]
    fn sparse_rows_from_two_lookups_are_concatenated() {
        let sparse = two_lookups(true);
        let Some(Gradient::Rows(g)) = sparse.gradient() else {
            panic!("expected a sparse gradient, got {:?}", sparse.gradient());
        };
        assert_eq!(g.num_rows, 5);
        assert_eq!(g.rows.shape(), &[3, 2]); // 2 rows from the first lookup, 1 from the second
        let mut indices = g.indices.clone();
        indices.sort_unstable();
        assert_eq!(indices, vec![1, 3, 3]);
        // rows 0, 2, 4 were never looked up: absent from the sparse form, zero when dense
        for never in [0, 2, 4] {
            assert!(!g.indices.contains(&never));
        }
        let dense = two_lookups(false).grad().unwrap();
        assert_eq!(
            sparse.grad().unwrap().to_vec::<f64>(),
            dense.to_vec::<f64>()
        );
        // ∂(Σ a²)/∂W[1] = 2·W[1] = [4, 6]; ∂/∂W[3] = 2·W[3] + e^W[3] = [12 + e⁶, 14 + e⁷]
        let expected = [
            0.0,
            0.0,
            4.0,
            6.0,
            0.0,
            0.0,
            12.0 + 6f64.exp(),
            14.0 + 7f64.exp(),
            0.0,
            0.0,
        ];
        assert_eq!(dense.to_vec::<f64>(), expected.to_vec());
    }

    #[test]
    fn gradcheck_dense_and_sparse() {
        let idx = Tensor::from_vec_i64(vec![2, 0, 2, 1], &[2, 2]);
        for sparse in [false, true] {
            let w = Tensor::randn(&[3, 4]);
            gradcheck(|v| Var::embedding(&v[0], &idx, sparse), &[w]).assert_passed();
        }
    }

    #[test]
    #[should_panic(expected = "embedding: the weight must be a 2-D table [V, C], got shape [5]")]
    fn a_1d_weight_is_reported() {
        Var::embedding(
            &Var::param(Tensor::zeros(&[5])),
            &Tensor::zeros(&[2]),
            false,
        );
    }

    #[test]
    #[should_panic(expected = "embedding: ")]
    fn an_index_out_of_range_is_reported() {
        Var::embedding(
            &Var::param(table()),
            &Tensor::from_vec_i64(vec![5], &[1]),
            true,
        );
    }
}
