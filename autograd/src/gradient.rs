//! What `backward` stores on a leaf: a dense gradient, or the sparse rows of an
//! embedding table that a step actually touched.
//!
//! ```text
//! Embedding weight W: [V, C]; a batch looks up rows i₁..iₙ.
//! ∂L/∂W is zero except in those rows, so it is stored as
//!     RowGradient { indices: [i₁..iₙ], rows: [n, C], num_rows: V }
//! and an optimizer updates n rows instead of V (V = 50k, n = 6k for word2vec).
//! Repeated indices are allowed; their rows add up (a scatter-add).
//! ```
//! [`Pending`] is the sum of these that `backward` keeps per node during one pass.
//! Read next: [`crate::anomaly`].

use std::collections::HashMap;

use tensor::Tensor;

use crate::var::Var;

/// A sparse gradient for a 2-D table: the rows that received gradient.
#[derive(Clone, Debug)]
pub struct RowGradient {
    /// Row indices (may repeat; repeated rows add).
    pub indices: Vec<usize>,
    /// One gradient row per index: shape `[indices.len(), C]`.
    pub rows: Tensor,
    /// Number of rows of the full table (`V`).
    pub num_rows: usize,
}

impl RowGradient {
    /// The same gradient as a dense `[V, C]` tensor (rows scatter-added).
    pub fn to_dense(&self) -> Tensor {
        let dim = self.rows.shape()[1];
        let mut dense = Tensor::full_dtype(&[self.num_rows, dim], 0.0, self.rows.dtype());
        dense.index_add_(0, &self.index_tensor(), &self.rows);
        dense
    }

    /// The indices as an i64 index tensor (for `index_add` / `index_select`).
    pub fn index_tensor(&self) -> Tensor {
        let idx = self.indices.iter().map(|&i| i as i64).collect();
        Tensor::from_vec_i64(idx, &[self.indices.len()])
    }

    /// Sum duplicate indices so each touched row appears once, sorted by index.
    pub fn coalesce(&self) -> RowGradient {
        let mut unique = self.indices.clone();
        unique.sort_unstable();
        unique.dedup();
        let position: std::collections::HashMap<usize, usize> =
            unique.iter().enumerate().map(|(p, &i)| (i, p)).collect();
        let slots: Vec<i64> = self.indices.iter().map(|i| position[i] as i64).collect();
        let dim = self.rows.shape()[1];
        let mut rows = Tensor::full_dtype(&[unique.len(), dim], 0.0, self.rows.dtype());
        rows.index_add_(
            0,
            &Tensor::from_vec_i64(slots, &[self.indices.len()]),
            &self.rows,
        );
        RowGradient {
            indices: unique,
            rows,
            num_rows: self.num_rows,
        }
    }
}

/// A gradient as accumulated by `backward`.
#[derive(Clone, Debug)]
pub enum Gradient {
    /// A full tensor of the variable's shape.
    Dense(Tensor),
    /// Only some rows of a 2-D table (from an embedding lookup with sparse gradients).
    Rows(RowGradient),
}

impl Gradient {
    /// The gradient as a dense tensor of the variable's shape.
    pub fn to_dense(&self) -> Tensor {
        match self {
            Gradient::Dense(t) => t.clone(),
            Gradient::Rows(r) => r.to_dense(),
        }
    }

    /// `self + other`, staying sparse when both are sparse (rows are concatenated).
    ///
    /// Two dense gradients are added into `self`'s buffer when `self` owns it alone
    /// (the usual case: a fresh result of some op's backward), so a `Var` used `n`
    /// times costs `n − 1` passes over its gradient and no new buffers.
    pub fn accumulate(self, other: Gradient) -> Gradient {
        match (self, other) {
            (Gradient::Dense(mut a), Gradient::Dense(b)) => {
                a += &b;
                Gradient::Dense(a)
            }
            (Gradient::Rows(mut a), Gradient::Rows(b)) => {
                a.indices.extend(b.indices);
                a.rows = Tensor::cat(&[a.rows, b.rows], 0);
                Gradient::Rows(a)
            }
            (Gradient::Dense(mut d), Gradient::Rows(r))
            | (Gradient::Rows(r), Gradient::Dense(mut d)) => {
                d.index_add_(0, &r.index_tensor(), &r.rows); // in place when not shared
                Gradient::Dense(d)
            }
        }
    }
}

/// The gradients in flight during one backward pass, keyed by node id: each `Var`'s
/// `∂L/∂var`, summed (`+=`) as the ops that read it send their parts, and taken once
/// the sweep reaches it.
pub(crate) struct Pending(HashMap<usize, Gradient>);

impl Pending {
    /// `∂L/∂root = seed`, nothing else yet.
    pub(crate) fn new(root: &Var, seed: Tensor) -> Pending {
        Pending(HashMap::from([(root.id(), Gradient::Dense(seed))]))
    }

    /// The total gradient of `var`, if any path from the loss reached it.
    pub(crate) fn take(&mut self, var: &Var) -> Option<Gradient> {
        self.0.remove(&var.id())
    }

    /// Add what the backward of `op` returned, one gradient per input, to each input
    /// that wants one. Panics (an internal error: a bug in that op's backward) if the
    /// count or a dense gradient's shape does not fit its input.
    pub(crate) fn add(&mut self, op: &str, inputs: &[Var], grads: Vec<Option<Gradient>>) {
        assert_eq!(
            inputs.len(),
            grads.len(),
            "internal error: `{op}` backward returned {} gradients for {} inputs; this is a bug",
            grads.len(),
            inputs.len()
        );
        for (i, (input, g)) in inputs.iter().zip(grads).enumerate() {
            if let Some(Gradient::Dense(g)) = &g {
                assert_eq!(
                    g.shape(),
                    input.shape().as_slice(),
                    "internal error: `{op}` backward gave input {i} a gradient of shape {:?}, \
                     but the input has shape {:?}; this is a bug",
                    g.shape(),
                    input.shape()
                );
            }
            if let Some(g) = g
                && input.wants_grad()
            {
                let total = match self.0.remove(&input.id()) {
                    Some(old) => old.accumulate(g),
                    None => g,
                };
                self.0.insert(input.id(), total);
            }
        }
    }
}
