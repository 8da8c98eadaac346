//! Layer normalisation of the rows of a tensor, one pass per row: the forward kernel
//! under autograd's `layer_norm` op (`nn::LayerNorm`), whose file also holds the
//! backward and its derivation.
//!
//! ```text
//! x: [.., *D] seen as R rows of N numbers (N = the product of the normalised dims D)
//! μ = Σ x / N      σ² = Σ (x − μ)² / N   (biased, as PyTorch)      rstd = 1 / √(σ² + ε)
//! x̂ = (x − μ) · rstd                     y = x̂ ⊙ γ + β              γ, β: [N], optional
//! ```
//! Composed from elementwise ops this is about eleven graph nodes, each a full pass
//! and a fresh buffer; here forward reads x twice and writes x̂ and y. It also returns
//! `x̂` and `rstd` (one number per row), what the backward reads.
//! Read next: [`crate::softmax`].

use crate::dtype::Float;
use crate::error::OrRaise;
use crate::lanes::{as_slice, for_rows, lane_sum, scale_row};
use crate::tensor::{Tensor, check_float};

fn forward<T: Float>(
    x: &Tensor,
    n: usize,
    w: Option<&Tensor>,
    b: Option<&Tensor>,
    eps: f64,
) -> [Tensor; 3] {
    let xs = as_slice::<T>(x);
    let rows = xs.len() / n;
    let (inv_n, eps) = (T::of(1.0 / n as f64), T::of(eps));
    // (μ, rstd) of each row
    let stats: Vec<(T, T)> = xs
        .chunks_exact(n)
        .map(|r| {
            let mean = lane_sum(n, |k| r[k]) * inv_n;
            let var = lane_sum(n, |k| (r[k] - mean) * (r[k] - mean)) * inv_n;
            (mean, (var + eps).sqrt().recip())
        })
        .collect();
    let mut x_hat = vec![T::zero(); xs.len()];
    for_rows(&mut x_hat, n, |i, out| {
        let (mean, rstd) = stats[i];
        for (o, &v) in out.iter_mut().zip(&xs[i * n..(i + 1) * n]) {
            *o = (v - mean) * rstd;
        }
    });
    let shape = x.shape();
    let x_hat = Tensor::try_from_vec_of(x_hat, shape)
        .expect("internal error: x̂ has x's numel; this is a bug");
    let y = match (w, b) {
        (None, None) => x_hat.clone(),
        _ => {
            let (xh, w, b) = (
                as_slice::<T>(&x_hat),
                w.map(as_slice::<T>),
                b.map(as_slice::<T>),
            );
            let mut y = vec![T::zero(); xs.len()];
            for_rows(&mut y, n, |i, out| {
                scale_row(out, &xh[i * n..(i + 1) * n], w);
                if let Some(b) = b {
                    out.iter_mut().zip(b).for_each(|(o, &b)| *o = *o + b);
                }
            });
            Tensor::try_from_vec_of(y, shape)
                .expect("internal error: y has x's numel; this is a bug")
        }
    };
    let rstd = stats.into_iter().map(|(_, rstd)| rstd).collect();
    let rstd = Tensor::try_from_vec_of(rstd, &[rows])
        .expect("internal error: one rstd per row; this is a bug");
    [y, x_hat, rstd]
}

impl Tensor {
    /// Layer normalisation over rows of `n` trailing elements (see the module doc):
    /// returns `[y, x̂, rstd]`. `weight` (γ) and `bias` (β) hold `n` elements each;
    /// without both, `y` is `x̂` (the same buffer). The caller (autograd's
    /// `layer_norm`) checks the shapes and dtypes; `n` must divide `self.numel()`.
    ///
    /// # Shapes
    /// `self: [.., *D]`, `weight`, `bias`: `n = numel(D)` elements →
    /// `y`, `x̂`: `self`'s shape, `rstd`: `[numel / n]`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0, 0.0, 4.0], &[2, 2]);
    /// let [y, _, rstd] = x.layer_norm_rows(2, None, None, 0.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 1.0, -1.0, 1.0]); // μ = 2, σ = 1 and 2
    /// assert_eq!(rstd.to_vec::<f32>(), vec![1.0, 0.5]);
    /// ```
    pub fn layer_norm_rows(
        &self,
        n: usize,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> [Tensor; 3] {
        debug_assert!(n > 0 && self.numel().is_multiple_of(n));
        check_float("layer_norm", self).or_raise();
        let (x, w, b) = (
            self.contiguous(),
            weight.map(Tensor::contiguous),
            bias.map(Tensor::contiguous),
        );
        match self.dtype() {
            crate::DType::F32 => forward::<f32>(&x, n, w.as_ref(), b.as_ref(), eps),
            crate::DType::F64 => forward::<f64>(&x, n, w.as_ref(), b.as_ref(), eps),
            _ => unreachable!("the dtype was checked to be a float above"),
        }
    }
}
