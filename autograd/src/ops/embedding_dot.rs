//! `embedding_dot`: the dot product of a row looked up in one table with a row looked up
//! in another, one per pair of indices — word2vec's logit `⟨W_in[word], W_out[context]⟩`.
//! Read [`embedding_dot_reference`] first: two `embedding` lookups, a product and a sum.
//!
//! ```text
//! reference: y = (embedding(A, i) ⊙ embedding(B, j)).sum(−1)      two [N, C] lookups and
//!                                                                   their [N, C] product
//! forward:   A: [V_a, C], i: [..] in 0..V_a, B: [V_b, C], j: [..] in 0..V_b  →  y: [..]
//!            y[n] = Σ_c A[i[n], c] · B[j[n], c]                 (Tensor::rows_dot)
//! backward:  ∂L/∂A[i[n], :] += g[n] · B[j[n], :]                (Tensor::scaled_rows)
//!            ∂L/∂B[j[n], :] += g[n] · A[i[n], :]
//!   sparse:  each as RowGradient { indices: i (or j), rows: [N, C] }: only the N rows
//!   dense:   zeros([V, C]).index_add(0, i, rows)
//! ```
//! Why fused: the reference records four nodes and writes five `[N, C]` buffers
//! (two lookups and their product forward; the broadcast of g and two products
//! backward) to produce `N` numbers; fused, forward reads each pair of rows in place and
//! writes `N` numbers, and backward writes only the two `[N, C]` row gradients the
//! tables need anyway. word2vec's step spends its time here (`examples/word2vec`).
//! Saves both tables (shared, not copied) and both index tensors.
//! Read next: [`crate::ops::embedding`], the lookup the reference is built from.

use tensor::Tensor;
use tensor::error::{Error, OrRaise};

use crate::function::{Function, record};
use crate::gradient::{Gradient, RowGradient};
use crate::var::Var;

/// `(embedding(a, index) ⊙ embedding(b, other_index)).sum(−1)` from primitive ops, the
/// definition the fused [`Var::embedding_dot`] is tested against.
///
/// # Shapes
/// `a: [V_a, C]`, `index: [..]`, `b: [V_b, C]`, `other_index: [..]` (the same shape) →
/// `[..]`.
///
/// # Panics
/// If a table is not 2-D, an index is not i64 or out of range, or the shapes differ.
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::embedding_dot::embedding_dot_reference;
/// # use ferrograd::tensor::Tensor;
/// let a = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
/// let i = Tensor::from_vec_i64(vec![1, 0], &[2]);
/// assert_eq!(embedding_dot_reference(&a, &i, &a, &i, false).value().to_vec::<f32>(), vec![25.0, 5.0]);
/// ```
#[track_caller]
pub fn embedding_dot_reference(
    a: &Var,
    index: &Tensor,
    b: &Var,
    other_index: &Tensor,
    sparse: bool,
) -> Var {
    let rows = Var::embedding(a, index, sparse);
    let other_rows = Var::embedding(b, other_index, sparse);
    (&rows * &other_rows).sum_dim(-1, false)
}

/// The `embedding_dot` op; holds both tables and both index tensors.
pub struct EmbeddingDot {
    a: Tensor,
    index: Tensor,
    b: Tensor,
    other_index: Tensor,
    sparse: bool,
}

impl EmbeddingDot {
    /// `y[n] = ⟨a[index[n]], b[other_index[n]]⟩`.
    #[track_caller]
    pub fn forward(
        a: &Tensor,
        index: &Tensor,
        b: &Tensor,
        other_index: &Tensor,
        sparse: bool,
    ) -> (Tensor, EmbeddingDot) {
        let y = a
            .try_rows_dot(index, b, other_index)
            .map_err(|e| Error {
                op: "embedding_dot",
                ..e
            }) // name the op the caller used
            .or_raise();
        let saved = EmbeddingDot {
            a: a.clone(),
            index: index.clone(),
            b: b.clone(),
            other_index: other_index.clone(),
            sparse,
        };
        (y, saved)
    }

    /// The gradient of one table: `rows[n] = g[n] · other[other_index[n]]`, at the rows
    /// `index` of `table`, sparse or dense.
    fn table_gradient(&self, table: &Tensor, index: &Tensor, rows: Tensor) -> Gradient {
        let (num_rows, dim) = (table.shape()[0], table.shape()[1]);
        let rows = rows.reshape(&[index.numel(), dim]);
        let flat = index.reshape(&[index.numel()]);
        if self.sparse {
            // The indices were validated (i64 in 0..V) by rows_dot in forward.
            let indices = flat.to_vec::<i64>().into_iter().map(|i| i as usize);
            return Gradient::Rows(RowGradient {
                indices: indices.collect(),
                rows,
                num_rows,
            });
        }
        let mut dense = Tensor::full_dtype(&[num_rows, dim], 0.0, table.dtype());
        dense.index_add_(0, &flat, &rows);
        Gradient::Dense(dense)
    }
}

impl Function for EmbeddingDot {
    fn name(&self) -> &'static str {
        "embedding_dot"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        self.backward_gradients(grad_out)
            .into_iter()
            .map(|g| g.map(|g| g.to_dense()))
            .collect()
    }

    fn backward_gradients(&self, grad_out: &Tensor) -> Vec<Option<Gradient>> {
        let g = grad_out.to_dtype(self.a.dtype()).contiguous();
        let d_a = self.b.scaled_rows(&self.other_index, &g); // g[n] · B[j[n]]
        let d_b = self.a.scaled_rows(&self.index, &g); // g[n] · A[i[n]]
        vec![
            Some(self.table_gradient(&self.a, &self.index, d_a)),
            Some(self.table_gradient(&self.b, &self.other_index, d_b)),
        ]
    }
}

impl Var {
    /// `y[n] = Σ_c a[index[n], c] · b[other_index[n], c]`: one dot product per pair of
    /// looked-up rows, as `(embedding(a, index) * embedding(b, other_index)).sum(-1)`
    /// but one node, without the `[N, C]` lookups (see the module doc). With `sparse =
    /// true` each table's gradient is its looked-up rows only ([`Gradient::Rows`]), as
    /// [`Var::embedding`]'s.
    ///
    /// # Shapes
    /// `a: [V_a, C]`, `index: [..]` (i64 in `0..V_a`), `b: [V_b, C]`, `other_index: [..]`
    /// (the same shape, i64 in `0..V_b`) → `[..]`.
    ///
    /// # Panics
    /// If a table is not 2-D float, the widths, dtypes or index shapes differ, an index
    /// is not i64, or an index is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::{Gradient, Var}; use ferrograd::tensor::Tensor;
    /// let words = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// let contexts = Var::param(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]));
    /// let ids = |v: Vec<i64>| Tensor::from_vec_i64(v, &[2]);
    /// let y = Var::embedding_dot(&words, &ids(vec![1, 0]), &contexts, &ids(vec![2, 1]), true);
    /// assert_eq!(y.value().to_vec::<f32>(), vec![7.0, 2.0]);
    /// y.sum().backward();
    /// let Some(Gradient::Rows(g)) = contexts.gradient() else { panic!("expected rows") };
    /// assert_eq!(g.indices, vec![2, 1]); // row 0 of `contexts` was not looked up
    /// ```
    #[track_caller]
    pub fn embedding_dot(
        a: &Var,
        index: &Tensor,
        b: &Var,
        other_index: &Tensor,
        sparse: bool,
    ) -> Var {
        let op = EmbeddingDot::forward(&a.value(), index, &b.value(), other_index, sparse);
        record(op, &[a, b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    fn ids(values: &[i64]) -> Tensor {
        Tensor::from_vec_i64(values.to_vec(), &[values.len()])
    }

    #[test]
    fn equals_the_reference_values_and_gradients() {
        for (dtype, sparse) in [(DType::F32, true), (DType::F64, false), (DType::F64, true)] {
            let a = Tensor::randn(&[5, 13]).to_dtype(dtype);
            let b = Tensor::randn(&[4, 13]).to_dtype(dtype);
            let (i, j) = (ids(&[4, 0, 4, 2, 1]), ids(&[3, 3, 0, 1, 3]));
            let g = Tensor::randn(&[5]).to_dtype(dtype);
            let run = |fused: bool| {
                let (av, bv) = (Var::param(a.clone()), Var::param(b.clone()));
                let y = if fused {
                    Var::embedding_dot(&av, &i, &bv, &j, sparse)
                } else {
                    embedding_dot_reference(&av, &i, &bv, &j, sparse)
                };
                (&y * &Var::new(g.clone())).sum().backward();
                [y.value(), av.grad().unwrap(), bv.grad().unwrap()].map(|t| t.to_vec::<f64>())
            };
            for (fused, reference) in run(true).iter().zip(run(false)) {
                for (f, r) in fused.iter().zip(&reference) {
                    assert!((f - r).abs() < 1e-5 * (1.0 + r.abs()), "{f} vs {r}");
                }
            }
        }
    }

    #[test]
    fn sparse_gradients_hold_the_looked_up_rows_only() {
        let (a, b) = (
            Var::param(Tensor::randn(&[6, 3])),
            Var::param(Tensor::randn(&[6, 3])),
        );
        Var::embedding_dot(&a, &ids(&[5, 5]), &b, &ids(&[0, 2]), true)
            .sum()
            .backward();
        let Some(Gradient::Rows(g)) = a.gradient() else {
            panic!("expected sparse rows, got {:?}", a.gradient());
        };
        assert_eq!(
            (g.indices, g.rows.shape().to_vec()),
            (vec![5, 5], vec![2, 3])
        );
    }

    #[test]
    fn gradcheck_dense_and_sparse_with_a_shared_table() {
        let (i, j) = (ids(&[2, 0, 2, 1]), ids(&[1, 1, 0, 2]));
        for sparse in [false, true] {
            let w = Tensor::randn(&[3, 4]).to_dtype(DType::F64);
            let c = Tensor::randn(&[3, 4]).to_dtype(DType::F64);
            gradcheck(
                |v| Var::embedding_dot(&v[0], &i, &v[1], &j, sparse),
                &[w.clone(), c],
            )
            .assert_passed();
            // one table on both sides: its gradient is the sum of both
            gradcheck(|v| Var::embedding_dot(&v[0], &i, &v[0], &j, sparse), &[w]).assert_passed();
        }
    }

    #[test]
    #[should_panic(expected = "embedding_dot: index 3 is out of range for a table of 3 rows")]
    fn an_index_out_of_range_names_the_op() {
        let w = Var::param(Tensor::zeros(&[3, 2]));
        Var::embedding_dot(&w, &ids(&[0]), &w, &ids(&[3]), true);
    }
}
