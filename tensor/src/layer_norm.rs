//! Layer normalisation of the rows of a tensor and its gradient, one pass per row:
//! the kernels under autograd's `layer_norm` op (`nn::LayerNorm`).
//!
//! ```text
//! x: [.., *D] seen as R rows of N numbers (N = the product of the normalised dims D)
//! μ = Σ x / N      σ² = Σ (x − μ)² / N   (biased, as PyTorch)      rstd = 1 / √(σ² + ε)
//! x̂ = (x − μ) · rstd                     y = x̂ ⊙ γ + β              γ, β: [N], optional
//!
//! backward, per row, with g = ∂L/∂y and ĝ = g ⊙ γ (ĝ = g without γ):
//! ∂L/∂x = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂))
//! ∂L/∂γ = Σ_rows g ⊙ x̂            ∂L/∂β = Σ_rows g
//! ```
//! Why ∂L/∂x has that form: x̂ depends on every x of its row through μ and rstd.
//! ∂x̂ₖ/∂xⱼ = rstd · (δₖⱼ − 1/N − x̂ₖ x̂ⱼ / N), so Σₖ ĝₖ ∂x̂ₖ/∂xⱼ is the line above: the
//! gradient minus its mean (the μ path) minus its projection on x̂ (the σ path).
//! Composed from elementwise ops this is about eleven graph nodes, each a full pass
//! and a fresh buffer; here forward reads x twice and writes x̂ and y, and backward
//! reads g and x̂ twice and writes ∂L/∂x. Forward saves `x̂` and `rstd` (one number per
//! row) for backward.
//! Read next: [`crate::softmax`].

use rayon::prelude::*;

use crate::dtype::{Float, check_float};
use crate::error::OrRaise;
use crate::parallel::worth_parallel;
use crate::tensor::Tensor;

/// Σₖ f(k) for k in 0..n, in 8 interleaved partial sums (so the compiler can keep them
/// in one SIMD register instead of waiting on one running sum).
fn lane_sum<T: Float>(n: usize, f: impl Fn(usize) -> T) -> T {
    let mut acc = [T::zero(); 8];
    let full = n - n % 8;
    for base in (0..full).step_by(8) {
        for (lane, a) in acc.iter_mut().enumerate() {
            *a = *a + f(base + lane);
        }
    }
    let tail = (full..n).fold(T::zero(), |s, k| s + f(k));
    acc.iter().fold(tail, |s, &a| s + a)
}

/// The contiguous data of `t` (made contiguous by the callers).
fn data<T: Float>(t: &Tensor) -> &[T] {
    t.array::<T>()
        .as_slice()
        .expect("internal error: layer_norm reads contiguous tensors; this is a bug")
}

/// Run `row(i, out_row)` over the rows of `out`, `n` wide, in parallel when large.
fn for_rows<T: Float>(out: &mut [T], n: usize, row: impl Fn(usize, &mut [T]) + Sync + Send) {
    if worth_parallel(out.len()) {
        out.par_chunks_mut(n)
            .enumerate()
            .for_each(|(i, o)| row(i, o));
    } else {
        out.chunks_mut(n).enumerate().for_each(|(i, o)| row(i, o));
    }
}

/// `out = x ⊙ γ`, or `out = x` without γ.
fn scale_row<T: Float>(out: &mut [T], x: &[T], w: Option<&[T]>) {
    match w {
        Some(w) => out
            .iter_mut()
            .zip(x.iter().zip(w))
            .for_each(|(o, (&x, &w))| *o = x * w),
        None => out.copy_from_slice(x),
    }
}

fn forward<T: Float>(
    x: &Tensor,
    n: usize,
    w: Option<&Tensor>,
    b: Option<&Tensor>,
    eps: f64,
) -> [Tensor; 3] {
    let xs = data::<T>(x);
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
            let (xh, w, b) = (data::<T>(&x_hat), w.map(data::<T>), b.map(data::<T>));
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

fn backward<T: Float>(
    g: &Tensor,
    x_hat: &Tensor,
    rstd: &Tensor,
    w: Option<&Tensor>,
) -> [Tensor; 3] {
    let (gs, xh, rstd) = (data::<T>(g), data::<T>(x_hat), data::<T>(rstd));
    let w = w.map(data::<T>);
    let n = xh.len() / rstd.len().max(1);
    let inv_n = T::of(1.0 / n as f64);
    let mut dx = vec![T::zero(); xh.len()];
    for_rows(&mut dx, n, |i, out| {
        let (g, xh) = (&gs[i * n..(i + 1) * n], &xh[i * n..(i + 1) * n]);
        scale_row(out, g, w); // ĝ = g ⊙ γ, first written where ∂L/∂x goes
        let gh: &[T] = &*out;
        let mean_g = lane_sum(n, |k| gh[k]) * inv_n;
        let mean_gx = lane_sum(n, |k| gh[k] * xh[k]) * inv_n;
        for (o, &xh) in out.iter_mut().zip(xh) {
            *o = rstd[i] * (*o - mean_g - xh * mean_gx);
        }
    });
    let (mut dw, mut db) = (vec![T::zero(); n], vec![T::zero(); n]);
    for (g, xh) in gs.chunks_exact(n).zip(xh.chunks_exact(n)) {
        for ((dw, db), (&g, &xh)) in dw.iter_mut().zip(db.iter_mut()).zip(g.iter().zip(xh)) {
            *dw = *dw + g * xh;
            *db = *db + g;
        }
    }
    let vec = |v: Vec<T>, shape: &[usize]| {
        Tensor::try_from_vec_of(v, shape).expect("internal error: sizes match; this is a bug")
    };
    [vec(dx, x_hat.shape()), vec(dw, &[n]), vec(db, &[n])]
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
    /// # use tensor::Tensor;
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

    /// The gradients of [`Tensor::layer_norm_rows`] from `self = ∂L/∂y` and the saved
    /// `x̂` and `rstd`: returns `[∂L/∂x, ∂L/∂γ, ∂L/∂β]` (see the module doc).
    ///
    /// # Shapes
    /// `self`, `x_hat`: `[.., *D]`, `rstd`: `[R]`, `weight`: `n` elements →
    /// `∂L/∂x`: `x_hat`'s shape, `∂L/∂γ`, `∂L/∂β`: `[n]`.
    pub fn layer_norm_rows_backward(
        &self,
        x_hat: &Tensor,
        rstd: &Tensor,
        weight: Option<&Tensor>,
    ) -> [Tensor; 3] {
        check_float("layer_norm", self).or_raise();
        let (g, w) = (self.contiguous(), weight.map(Tensor::contiguous));
        match self.dtype() {
            crate::DType::F32 => backward::<f32>(&g, x_hat, rstd, w.as_ref()),
            crate::DType::F64 => backward::<f64>(&g, x_hat, rstd, w.as_ref()),
            _ => unreachable!("the dtype was checked to be a float above"),
        }
    }
}
