//! `embedding_bag`: the sum or mean of the rows a bag of indices looks up, one vector
//! per bag (PyTorch's `F.embedding_bag`; word2vec's CBOW context). Read
//! [`embedding_bag_reference`] first: an `embedding` lookup, a weighting and a sum.
//!
//! ```text
//! reference: y = (embedding(W, idx) ⊙ w[.., None]).sum(1)     a [G, S, C] lookup in between
//! forward:   W: [V, C], idx: [G, S] (G bags of S indices)  →  y: [G, C]
//!            y[g] = Σ_s w[g, s] · W[idx[g, s]]                 (Tensor::bag_sum)
//!            w[g, s] = 0 at padding_idx, else 1 (sum) or 1 / (non-padding entries of g) (mean)
//! backward:  ∂L/∂W[idx[g, s]] += w[g, s] · g[g]   for the non-padding entries  (scaled_rows)
//!   sparse:  RowGradient { indices: the non-padding idx, rows: [M, C] }
//!   dense:   zeros([V, C]).index_add(0, idx, rows)
//! ```
//! Why fused: the reference writes the `[G, S, C]` lookup, its weighted copy, and the
//! `[G, S, C]` broadcast of the gradient; fused, forward adds each row in place into its
//! bag and backward writes one gradient row per non-padding entry (the padding row
//! never gets one, so an optimizer never touches it). A bag of padding only is zero.
//! Saves the table's row count and the non-padding entries (row, bag, weight).
//! Read next: [`crate::ops::embedding_dot`], the other half of word2vec's fused step.

use tensor::Tensor;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::index::check_index_dtype;

use crate::function::{Function, record};
use crate::gradient::{Gradient, RowGradient};
use crate::var::Var;

/// How a bag's rows are combined (PyTorch's `mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BagMode {
    /// `Σ_s W[idx[g, s]]`.
    Sum,
    /// `(1/n_g) Σ_s W[idx[g, s]]`, `n_g` the non-padding entries of bag g.
    Mean,
}

/// The index and the weight of every slot of `indices: [G, S]`, row-major: weight 0 at
/// `padding_idx`, 1 (sum) or one over the bag's non-padding count (mean). Checks the
/// shapes, dtype and `padding_idx < num_rows`; the index values are checked by the lookup.
#[track_caller]
fn slot_weights(
    indices: &Tensor,
    num_rows: usize,
    mode: BagMode,
    padding_idx: Option<usize>,
) -> (Vec<i64>, Vec<f64>) {
    check_index_dtype("embedding_bag", "indices", indices).or_raise();
    let (&[_, s], true) = (indices.shape(), padding_idx.is_none_or(|p| p < num_rows)) else {
        Error::new(
            "embedding_bag",
            ErrorKind::Shape,
            format!(
                "needs indices [G, S] (G bags of S) and a padding_idx below the table's {num_rows} \
                 rows, got indices {:?} and padding_idx {padding_idx:?}",
                indices.shape()
            ),
        )
        .raise();
    };
    let values = indices.to_vec::<i64>();
    let kept: Vec<bool> = values
        .iter()
        .map(|&i| padding_idx.is_none_or(|p| i != p as i64))
        .collect();
    let weights = kept
        .chunks(s.max(1))
        .flat_map(|bag| {
            let count = bag.iter().filter(|&&k| k).count().max(1) as f64;
            let w = if mode == BagMode::Mean {
                1.0 / count
            } else {
                1.0
            };
            bag.iter().map(move |&k| if k { w } else { 0.0 })
        })
        .collect();
    (values, weights)
}

/// The bag of `weight`'s rows at `indices` from primitive ops, the definition the fused
/// [`Var::embedding_bag`] is tested against.
///
/// # Shapes
/// `weight: [V, C]`, `indices: [G, S]` → `[G, C]`.
///
/// # Panics
/// As [`Var::embedding_bag`].
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::embedding_bag::{BagMode, embedding_bag_reference};
/// # use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::from_vec(vec![1.0, 2.0, 10.0, 20.0], &[2, 2]));
/// let bags = Tensor::from_vec_i64(vec![0, 1, 1, 1], &[2, 2]);
/// let y = embedding_bag_reference(&w, &bags, BagMode::Mean, Some(0), false);
/// assert_eq!(y.value().to_vec::<f32>(), vec![10.0, 20.0, 10.0, 20.0]);
/// ```
#[track_caller]
pub fn embedding_bag_reference(
    weight: &Var,
    indices: &Tensor,
    mode: BagMode,
    padding_idx: Option<usize>,
    sparse: bool,
) -> Var {
    let num_rows = weight.shape()[0];
    let (_, w) = slot_weights(indices, num_rows, mode, padding_idx);
    let (g, s) = (indices.shape()[0], indices.shape()[1]);
    let w = Tensor::from_vec_f64(w, &[g, s, 1]).to_dtype(weight.value().dtype());
    (&Var::embedding(weight, indices, sparse) * &Var::new(w)).sum_dim(1, false)
}

/// The `embedding_bag` op; holds the non-padding entries (row, bag, weight).
pub struct EmbeddingBag {
    rows: Tensor,
    bags: Tensor,
    weights: Tensor,
    num_rows: usize,
    sparse: bool,
}

impl EmbeddingBag {
    /// `y[g] = Σ_s w[g, s] · W[idx[g, s]]`.
    #[track_caller]
    pub fn forward(
        weight: &Tensor,
        indices: &Tensor,
        mode: BagMode,
        padding_idx: Option<usize>,
        sparse: bool,
    ) -> (Tensor, EmbeddingBag) {
        let num_rows = weight.shape().first().copied().unwrap_or(0);
        let (values, slot_weights) = slot_weights(indices, num_rows, mode, padding_idx);
        let s = indices.shape()[1];
        let (mut rows, mut bags, mut weights) = (Vec::new(), Vec::new(), Vec::new());
        for (slot, (i, w)) in values.into_iter().zip(slot_weights).enumerate() {
            if w != 0.0 {
                // a kept slot (padding slots, and only they, weigh 0)
                rows.push(i);
                bags.push((slot / s) as i64);
                weights.push(w);
            }
        }
        let m = rows.len();
        let saved = EmbeddingBag {
            rows: Tensor::from_vec_i64(rows, &[m]),
            bags: Tensor::from_vec_i64(bags, &[m]),
            weights: Tensor::from_vec_f64(weights, &[m]).to_dtype(weight.dtype()),
            num_rows,
            sparse,
        };
        let y = weight
            .try_bag_sum(&saved.rows, &saved.bags, &saved.weights, indices.shape()[0])
            .map_err(|e| Error {
                op: "embedding_bag",
                ..e
            }) // name the op the caller used
            .or_raise();
        (y, saved)
    }
}

impl Function for EmbeddingBag {
    fn name(&self) -> &'static str {
        "embedding_bag"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![
            self.backward_gradients(grad_out)
                .swap_remove(0)
                .map(|g| g.to_dense()),
        ]
    }

    fn backward_gradients(&self, grad_out: &Tensor) -> Vec<Option<Gradient>> {
        let rows = grad_out.contiguous().scaled_rows(&self.bags, &self.weights); // w · g[bag]
        if self.sparse {
            let indices = self.rows.to_vec::<i64>().into_iter().map(|i| i as usize);
            let rows = RowGradient {
                indices: indices.collect(),
                rows,
                num_rows: self.num_rows,
            };
            return vec![Some(Gradient::Rows(rows))];
        }
        let dim = grad_out.shape()[1];
        let mut dense = Tensor::full_dtype(&[self.num_rows, dim], 0.0, grad_out.dtype());
        dense.index_add_(0, &self.rows, &rows);
        vec![Some(Gradient::Dense(dense))]
    }
}

impl Var {
    /// The sum or mean of the rows each bag of `indices` looks up in `weight`, as
    /// `torch.nn.functional.embedding_bag(indices, weight, mode=..., padding_idx=...,
    /// sparse=...)` with 2-D input: one vector per bag, entries equal to `padding_idx`
    /// left out (of the sum and of the mean's count). With `sparse = true` the weight's
    /// gradient is one row per non-padding entry ([`Gradient::Rows`]).
    ///
    /// # Shapes
    /// `weight: [V, C]`, `indices: [G, S]` (i64 in `0..V`) → `[G, C]`.
    ///
    /// # Panics
    /// If `weight` is not a 2-D float table, `indices` is not i64 `[G, S]`, an index is
    /// out of range, or `padding_idx` is not below `V`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::embedding_bag::BagMode;
    /// # use ferrograd::tensor::Tensor;
    /// let w = Var::param(Tensor::from_vec(vec![0.0, 0.0, 1.0, 2.0, 10.0, 20.0], &[3, 2]));
    /// let context = Tensor::from_vec_i64(vec![1, 2, 0, 2, 0, 0], &[2, 3]); // row 0 pads
    /// let h = Var::embedding_bag(&w, &context, BagMode::Sum, Some(0), true);
    /// assert_eq!(h.value().to_vec::<f32>(), vec![11.0, 22.0, 10.0, 20.0]);
    /// ```
    #[track_caller]
    pub fn embedding_bag(
        weight: &Var,
        indices: &Tensor,
        mode: BagMode,
        padding_idx: Option<usize>,
        sparse: bool,
    ) -> Var {
        let op = EmbeddingBag::forward(&weight.value(), indices, mode, padding_idx, sparse);
        record(op, &[weight])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    #[test]
    fn equals_the_reference_values_and_gradients() {
        let idx = Tensor::from_vec_i64(vec![4, 0, 4, 2, 2, 2, 1, 3, 0, 2, 2, 2], &[4, 3]);
        for (mode, dtype) in [(BagMode::Sum, DType::F32), (BagMode::Mean, DType::F64)] {
            for padding_idx in [None, Some(2)] {
                let w = Tensor::randn(&[5, 7]).to_dtype(dtype);
                let g = Tensor::randn(&[4, 7]).to_dtype(dtype);
                let run = |fused: bool| {
                    let wv = Var::param(w.clone());
                    let y = if fused {
                        Var::embedding_bag(&wv, &idx, mode, padding_idx, true)
                    } else {
                        embedding_bag_reference(&wv, &idx, mode, padding_idx, true)
                    };
                    (&y * &Var::new(g.clone())).sum().backward();
                    [y.value(), wv.grad().unwrap()].map(|t| t.to_vec::<f64>())
                };
                for (fused, reference) in run(true).iter().zip(run(false)) {
                    for (f, r) in fused.iter().zip(&reference) {
                        assert!(
                            (f - r).abs() < 1e-5 * (1.0 + r.abs()),
                            "{mode:?}: {f} vs {r}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_padding_row_gets_no_gradient_row() {
        let w = Var::param(Tensor::randn(&[3, 2]));
        let idx = Tensor::from_vec_i64(vec![1, 0, 0, 2], &[2, 2]);
        Var::embedding_bag(&w, &idx, BagMode::Mean, Some(0), true)
            .sum()
            .backward();
        let Some(Gradient::Rows(g)) = w.gradient() else {
            panic!("expected sparse rows, got {:?}", w.gradient());
        };
        assert_eq!(g.indices, vec![1, 2]);
    }

    #[test]
    fn gradcheck_sum_and_mean() {
        let idx = Tensor::from_vec_i64(vec![2, 0, 2, 1, 1, 0], &[3, 2]);
        for (mode, sparse) in [(BagMode::Sum, false), (BagMode::Mean, true)] {
            let w = Tensor::randn(&[3, 4]).to_dtype(DType::F64);
            gradcheck(
                |v| Var::embedding_bag(&v[0], &idx, mode, Some(1), sparse),
                &[w],
            )
            .assert_passed();
        }
    }

    #[test]
    #[should_panic(expected = "embedding_bag: needs indices [G, S] (G bags of S)")]
    fn flat_indices_are_reported() {
        let w = Var::param(Tensor::zeros(&[3, 2]));
        Var::embedding_bag(
            &w,
            &Tensor::from_vec_i64(vec![0, 1], &[2]),
            BagMode::Sum,
            None,
            true,
        );
    }
}
