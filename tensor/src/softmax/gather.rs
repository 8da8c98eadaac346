//! `log_softmax_gather`: one log-probability per row, the log-softmax of a `[N, C]`
//! logit matrix picked at a class per row, without building the `[N, C]` log-softmax.
//!
//! ```text
//! x: [N, C], index: N classes tᵢ in 0..C
//! mᵢ = max_c x[i, c]      sᵢ = ln Σ_c exp(x[i, c] − mᵢ)       (saved: norm [N, 2])
//! forward:   y[i] = (x[i, tᵢ] − mᵢ) − sᵢ               = log_softmax(x)[i, tᵢ]
//! backward:  ∂L/∂x[i, c] = gᵢ·[c = tᵢ] − exp((x[i, c] − mᵢ) − sᵢ) · gᵢ
//!                        = gᵢ · (onehot(tᵢ) − softmax(x)ᵢ)[c]       g = ∂L/∂y: [N]
//! ```
//! This is the core of cross-entropy (`−y[i]` is the loss of row i). Done as
//! `log_softmax` then `gather`, it writes a `[N, C]` log-softmax forward, and a
//! `[N, C]` scatter of g plus another `[N, C]` gradient backward; with a 10 000-word
//! vocabulary and 1 120 rows each is 45 MB. Fused, the forward reads the logits once
//! ([`super::online`] gives mᵢ and the sum in one pass) and writes `N` numbers; the
//! backward reads them once and writes the `[N, C]` gradient in the same loop,
//! `−gᵢ · exp((x − mᵢ) − sᵢ)`, then adds gᵢ at the target. Each element comes out of
//! the same expressions as [`Tensor::log_softmax`] and its backward (so the results
//! are bit-identical).

use rayon::prelude::*;

use super::online::max_and_exp_sum_vectorised;
use crate::dtype::check_float;
use crate::error::OrRaise;
use crate::parallel::worth_parallel;
use crate::tensor::Tensor;
use crate::unary::vectorised::{Vectorised, exp_map};

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

fn backward<T: Vectorised>(x: &Tensor, norm: &Tensor, index: &[usize], grad: &Tensor) -> Tensor {
    let (x, c) = rows::<T>(x);
    let (norm, g) = (norm.to_vec::<T>(), grad.to_vec::<T>());
    // a recycled buffer when `crate::pool` has one (the loop below overwrites it all;
    // zero-filling keeps it safe code, at one cheap pass)
    let mut dx = crate::pool::filled(x.len(), T::zero());
    let row = |(i, (dx, x)): (usize, (&mut [T], &[T]))| {
        let (m, s, g_sum) = (norm[2 * i], norm[2 * i + 1], g[i]);
        // g − exp(y)·Σg, with g = gᵢ at the target and 0 elsewhere (as log_softmax's)
        exp_map(x, dx, move |x| (x - m) - s, move |e| T::zero() - e * g_sum);
        dx[index[i]] = g_sum + dx[index[i]];
    };
    let width = c.max(1);
    if worth_parallel(x.len()) {
        let pairs = dx.par_chunks_mut(width).zip(x.par_chunks(width));
        pairs.enumerate().for_each(row);
    } else {
        dx.chunks_mut(width)
            .zip(x.chunks(width))
            .enumerate()
            .for_each(row);
    }
    Tensor::from_array(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[index.len(), c]), dx)
            .expect("internal error: one gradient per logit; this is a bug"),
    )
}

impl Tensor {
    /// `log_softmax(self, 1)[i, index[i]]` for every row of a 2-D `self`, and the
    /// per-row normalisers `[mᵢ, sᵢ]` that [`Tensor::log_softmax_gather_backward`]
    /// needs (see the module doc). `index` holds valid class indices (the caller
    /// checks them, as cross-entropy does).
    ///
    /// # Shapes
    /// `self: [N, C]`, `index: N values in 0..C` → `(y: [N], norm: [N, 2])`.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
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

    /// The gradient of [`Tensor::log_softmax_gather`] with respect to its input `self`,
    /// from the saved `norm` and `grad = ∂L/∂y`: `gᵢ · (onehot(index[i]) − softmax(x)ᵢ)`,
    /// in one pass over the logits.
    ///
    /// # Shapes
    /// `self: [N, C]`, `norm: [N, 2]`, `index: N values`, `grad: [N]` → `[N, C]`.
    pub fn log_softmax_gather_backward(
        &self,
        norm: &Tensor,
        index: &[usize],
        grad: &Tensor,
    ) -> Tensor {
        let x = self.contiguous();
        match self.dtype() {
            crate::DType::F32 => backward::<f32>(&x, norm, index, grad),
            crate::DType::F64 => backward::<f64>(&x, norm, index, grad),
            _ => unreachable!("the forward checked for a float dtype"),
        }
    }
}
