//! `Embedding`: a trained lookup table from integer ids (words, tokens, items) to
//! vectors, as `torch.nn.Embedding`.
//!
//! ```text
//! weight W: [V, C]     one row of C features per id in 0..V
//! y[.., :] = W[idx[..], :]                       indices [..] → output [.., C]
//! ∂L/∂W[r] = Σ_{n : idx[n] = r} ∂L/∂y[n]         only looked-up rows get gradient
//! padding_idx p:  W[p] starts at 0 and ∂L/∂W[p] = 0 (a "no token" id that stays put)
//! ```
//! Looking up row `r` is the same as multiplying a one-hot vector by `W`, without
//! building the one-hot vector. With `sparse(true)` the gradient of `W` is stored as
//! the looked-up rows only (`Gradient::Rows`), so an optimizer can update a few rows
//! of a 50k-word table instead of all of them; the default is a dense `[V, C]` gradient.
//! Default init (PyTorch's): W ~ N(0, 1), with the padding row set to 0.
//! Read next: [`crate::layers::dropout`], and `ferrograd::autograd::ops::embedding` for the op.

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::index::check_index_dtype;

use crate::init;
use crate::module::{Forward, Module};

/// A table of `num_embeddings` vectors of size `embedding_dim`, looked up by id.
///
/// # Shapes
/// - indices: `[..]` (e.g. `[B, T]`), an i64 tensor of ids in `0..V`
/// - output: `[.., embedding_dim]` (e.g. `[B, T, C]`)
///
/// # Examples
/// ```
/// use ferrograd::nn::{Embedding, Module};
/// use ferrograd::tensor::Tensor;
/// let emb = Embedding::new(10, 3).padding_idx(0);
/// let ids = Tensor::from_vec_i64(vec![4, 0, 9, 4], &[2, 2]); // [B = 2, T = 2]
/// let y = emb.forward(&ids);
/// assert_eq!(y.shape(), vec![2, 2, 3]);
/// assert_eq!(y.value().to_vec::<f32>()[3..6], [0.0, 0.0, 0.0]); // the padding row
/// y.sum().backward();
/// let grad = emb.weight.grad().unwrap().to_vec::<f32>();
/// assert_eq!(grad[12..15], [2.0, 2.0, 2.0]); // row 4 was looked up twice
/// assert_eq!(grad[0..3], [0.0, 0.0, 0.0]); // the padding row gets no gradient
/// assert_eq!(emb.num_parameters(), 30);
/// ```
pub struct Embedding {
    /// The table, `[num_embeddings, embedding_dim]`.
    pub weight: Var,
    /// V, the number of rows (ids `0..V`).
    pub num_embeddings: usize,
    /// C, the size of each vector.
    pub embedding_dim: usize,
    /// The id whose row is kept at its value (zero by default) and gets no gradient.
    pub padding_idx: Option<usize>,
    /// Whether the weight's gradient is stored as sparse rows.
    pub sparse: bool,
}

impl Embedding {
    /// A table initialised from N(0, 1), as PyTorch; dense gradients, no padding id.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Embedding {
        Embedding {
            weight: Var::param(init::normal(&[num_embeddings, embedding_dim], 0.0, 1.0)),
            num_embeddings,
            embedding_dim,
            padding_idx: None,
            sparse: false,
        }
    }

    /// Make id `padding_idx` a padding id: its row is set to zero now and never
    /// receives a gradient. Negative values count from the end, as in PyTorch.
    ///
    /// # Panics
    /// If `padding_idx` is not in `-V..V`.
    #[track_caller]
    pub fn padding_idx(mut self, padding_idx: isize) -> Embedding {
        let v = self.num_embeddings as isize;
        if !(-v..v).contains(&padding_idx) {
            Error::new(
                "Embedding",
                ErrorKind::Index,
                format!(
                    "{}: padding_idx {padding_idx} is not in {}..{v}",
                    self.describe(),
                    -v
                ),
            )
            .with_hint("padding_idx is an id in the table, e.g. 0")
            .raise();
        }
        let row = padding_idx.rem_euclid(v.max(1)) as usize;
        let w = self.weight.value();
        // W ⊙ keep, keep = 0 on the padding row and 1 elsewhere (broadcast over C)
        let keep = Tensor::arange_i64(0, v as i64, 1)
            .ne_scalar(row as f64)
            .reshape(&[self.num_embeddings, 1])
            .to_dtype(w.dtype());
        self.weight.set_value(&w * &keep);
        self.padding_idx = Some(row);
        self
    }

    /// With `true`, the weight's gradient holds only the looked-up rows
    /// (`Gradient::Rows`, PyTorch's `sparse=True`); `weight.grad()` still gives it dense.
    pub fn sparse(mut self, sparse: bool) -> Embedding {
        self.sparse = sparse;
        self
    }

    fn describe(&self) -> String {
        format!(
            "Embedding(num_embeddings={}, embedding_dim={})",
            self.num_embeddings, self.embedding_dim
        )
    }

    #[track_caller]
    fn check_indices(&self, indices: &Tensor) {
        check_index_dtype("Embedding", "the indices", indices)
            .map_err(|e| Error {
                message: format!("{}: {}", self.describe(), e.message),
                ..e
            })
            .or_raise();
        let values: Vec<i64> = indices.to_vec();
        let bad = values
            .iter()
            .position(|&i| !(0..self.num_embeddings as i64).contains(&i));
        if let Some(pos) = bad {
            Error::new(
                "Embedding",
                ErrorKind::Index,
                format!(
                    "{}: index {} (at flat position {pos} of indices with shape {:?}) is not \
                     in 0..{}",
                    self.describe(),
                    values[pos],
                    indices.shape(),
                    self.num_embeddings
                ),
            )
            .with_hint("ids must come from a vocabulary of num_embeddings entries")
            .raise();
        }
    }

    /// The rows of `weight` at `indices`.
    ///
    /// # Shapes
    /// `indices: [..]` → `[.., embedding_dim]`; a 0-d index gives `[embedding_dim]`.
    ///
    /// # Panics
    /// If `indices` is not an i64 tensor or an index is not in `0..num_embeddings`.
    #[track_caller]
    pub fn forward(&self, indices: &Tensor) -> Var {
        self.check_indices(indices);
        let y = Var::embedding(&self.weight, indices, self.sparse);
        let Some(p) = self.padding_idx else {
            return y;
        };
        let is_padding = indices.eq_scalar(p as f64).unsqueeze(-1); // [.., 1]
        if is_padding.sum().item() == 0.0 {
            return y;
        }
        // At padding positions, use a detached copy of the same rows: the value is
        // unchanged, and no gradient flows back to the padding row.
        Var::where_cond(&is_padding, &y.detach(), &y)
    }
}

impl Module for Embedding {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        f(&format!("{prefix}weight"), &self.weight);
    }
}

/// So that an `Embedding` can open a `Sequential`: the input `Var`'s value holds the
/// ids (no gradient flows to them). Called directly, `emb.forward(&ids)` takes the
/// ids as a `Tensor`.
impl Forward for Embedding {
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        Embedding::forward(self, &x.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::{Gradient, gradcheck_with_params};
    use tensor::DType;

    #[test]
    fn looks_up_rows_in_both_dtypes() {
        for dtype in [DType::F32, DType::F64] {
            let emb = Embedding::new(3, 2);
            emb.weight.set_value(Tensor::from_vec(
                vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5],
                &[3, 2],
            ));
            emb.to_dtype(dtype);
            let y = emb.forward(&Tensor::from_vec_i64(vec![2, 0, 2], &[3]));
            assert_eq!(y.shape(), vec![3, 2]);
            assert_eq!(y.value().to_vec::<f64>(), [2.0, 2.5, 0.0, 0.5, 2.0, 2.5]);
            // a 0-d id gives one vector
            assert_eq!(
                emb.forward(&Tensor::from_vec_i64(vec![1], &[])).shape(),
                vec![2]
            );
        }
    }

    #[test]
    fn init_is_standard_normal() {
        let w: Vec<f64> = Embedding::new(100, 50).weight.value().to_vec();
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        let var = w.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / w.len() as f64;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.1,
            "mean {mean} var {var}"
        );
    }

    #[test]
    fn padding_row_is_zero_and_frozen_even_after_being_changed() {
        let emb = Embedding::new(4, 2).padding_idx(-1); // id 3
        assert_eq!(emb.padding_idx, Some(3));
        assert_eq!(emb.weight.value().to_vec::<f32>()[6..], [0.0, 0.0]);
        // a loaded (non-zero) padding row is returned as is, but still gets no gradient
        let mut w = emb.weight.value().to_vec::<f32>();
        w[6..].copy_from_slice(&[5.0, 6.0]);
        emb.weight.set_value(Tensor::from_vec(w, &[4, 2]));
        let y = emb.forward(&Tensor::from_vec_i64(vec![3, 1, 3], &[3]));
        assert_eq!(y.value().to_vec::<f32>()[0..2], [5.0, 6.0]);
        y.sum().backward();
        // ∂Σy/∂W[r] = (number of lookups of r)·1, except for the padding row
        let grad = emb.weight.grad().unwrap().to_vec::<f32>();
        assert_eq!(grad, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn sparse_gradient_holds_the_looked_up_rows() {
        let emb = Embedding::new(5, 2).sparse(true).padding_idx(0);
        emb.forward(&Tensor::from_vec_i64(vec![4, 0, 4], &[1, 3]))
            .sum()
            .backward();
        let Some(Gradient::Rows(rows)) = emb.weight.gradient() else {
            panic!("expected sparse rows, got {:?}", emb.weight.gradient());
        };
        assert_eq!(rows.num_rows, 5);
        assert_eq!(rows.indices, vec![4, 0, 4]);
        // the padding id's row is present but zero
        assert_eq!(rows.rows.to_vec::<f32>(), [1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn gradcheck_dense_and_sparse() {
        // No padding id here: its row's gradient is zero by decree, not by calculus,
        // so central differences would (rightly) disagree with it.
        for sparse in [false, true] {
            let emb = Embedding::new(4, 3).sparse(sparse);
            emb.to_dtype(DType::F64);
            let ids = Tensor::from_vec_i64(vec![1, 2, 2, 0, 1, 3], &[2, 3]);
            gradcheck_with_params(|_| emb.forward(&ids), &[], &emb.parameters()).assert_passed();
        }
    }

    #[test]
    #[should_panic(
        expected = "Embedding: Embedding(num_embeddings=4, embedding_dim=2): index 4 (at flat position 1 of indices with shape [2]) is not in 0..4"
    )]
    fn out_of_range_index_names_the_layer() {
        Embedding::new(4, 2).forward(&Tensor::from_vec_i64(vec![0, 4], &[2]));
    }

    #[test]
    #[should_panic(
        expected = "Embedding: Embedding(num_embeddings=4, embedding_dim=2): the \
                               indices must be an i64 tensor, got f32 [1]"
    )]
    fn float_indices_are_refused() {
        Embedding::new(4, 2).forward(&Tensor::from_vec(vec![1.0], &[1]));
    }

    #[test]
    #[should_panic(expected = "padding_idx 4 is not in -4..4")]
    fn padding_idx_out_of_range_is_refused() {
        let _ = Embedding::new(4, 2).padding_idx(4);
    }
}
