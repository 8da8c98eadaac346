//! `log_softmax_gather`: one log-probability per row, the log-softmax of a `[N, C]`
//! logit matrix picked at a class per row, without building the `[N, C]` log-softmax.
//!
//! ```text
//! x: [N, C], index: N classes tᵢ in 0..C
//! mᵢ = max_c x[i, c]      sᵢ = ln Σ_c exp(x[i, c] − mᵢ)       (saved: norm [N, 2])
//! y[i] = (x[i, tᵢ] − mᵢ) − sᵢ               = log_softmax(x)[i, tᵢ]
//! ```
//! This is the core of cross-entropy (`−y[i]` is the loss of row i). Done as
//! `log_softmax` then `gather`, it writes a `[N, C]` log-softmax; with a 10 000-word
//! vocabulary and 1 120 rows that is 45 MB. Fused, the forward reads the logits once
//! ([`super::online`] gives mᵢ and the sum in one pass) and writes `N` numbers, plus
//! the two normalisers per row that the backward (autograd's `ops::log_softmax_gather`)
//! reads to write the `[N, C]` gradient in one pass. Each value comes out of the same
//! expressions as [`Tensor::log_softmax`] (so the results are bit-identical).

use super::online::max_and_exp_sum_vectorised;

use crate::error::OrRaise;
use crate::tensor::{Tensor, check_float};
use crate::unary::vectorised::Vectorised;

/// The rows of a contiguous 2-D tensor, `C` elements each.
fn rows<T: Vectorised>(x: &Tensor) -> (&[T], usize) {
    let slice = x
        .array::<T>()
        .as_slice()
        .expect("internal error: log_softmax_gather reads a contiguous tensor; this is a bug");
    (slice, x.shape()[1])
}

fn forward<T: Vectorised>(x: &Tensor, index: &[usize]) -> (Tensor, Tensor) {
    let (x, c) = rows::<T>(x);
    let mut picked = Vec::with_capacity(index.len());
    let mut norm = Vec::with_capacity(2 * index.len());
    for (row, &t) in x.chunks_exact(c.max(1)).zip(index) {
        // (m, ln Σ exp(x − m)): what turns a logit into a log-probability
        let (m, sum) = max_and_exp_sum_vectorised(row);
        let s = sum.ln();
        picked.push((row[t] - m) - s);
        norm.extend([m, s]);
    }
    let n = index.len();
    (
        Tensor::from_array(ndarray::Array1::from(picked).into_dyn()),
        Tensor::from_array(
            ndarray::Array2::from_shape_vec((n, 2), norm)
                .expect("internal error: two numbers per row; this is a bug")
                .into_dyn(),
        ),
    )
}

impl Tensor {
    /// `log_softmax(self, 1)[i, index[i]]` for every row of a 2-D `self`, and the
    /// per-row normalisers `[mᵢ, sᵢ]` that its backward (autograd's
    /// `ops::log_softmax_gather`) needs (see the module doc). `index` holds valid class
    /// indices (the caller checks them, as cross-entropy does).
    ///
    /// # Shapes
    /// `self: [N, C]`, `index: N values in 0..C` → `(y: [N], norm: [N, 2])`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0], &[2, 2]);
    /// let (y, _) = x.log_softmax_gather(&[1, 0]);
    /// assert_eq!(y.to_vec::<f32>(), x.log_softmax(1).to_vec::<f32>()[1..3]);
    /// ```
    pub fn log_softmax_gather(&self, index: &[usize]) -> (Tensor, Tensor) {
        let x = self.contiguous();
        debug_assert!(x.dims() == 2 && x.shape()[0] == index.len());
        check_float("log_softmax_gather", self).or_raise();
        match self.dtype() {
            crate::DType::F32 => forward::<f32>(&x, index),
            crate::DType::F64 => forward::<f64>(&x, index),
            _ => unreachable!("the dtype was checked to be a float above"),
        }
    }
}
