//! `layer_norm`: normalise each sample over its trailing dims, then scale and shift
//! (`torch.nn.functional.layer_norm`). A fused op: read [`layer_norm_reference`]
//! first, the same function built from primitives.
//!
//! ```text
//! x: [.., *D]     γ (weight), β (bias): [*D], each optional     N = numel(D)
//! forward:   μ = mean_D(x)   σ² = mean_D((x − μ)²)   rstd = 1/√(σ² + ε)
//!            x̂ = (x − μ)·rstd          y = γ ⊙ x̂ + β
//! backward:  ĝ = g ⊙ γ                                         (g = ∂L/∂y)
//!            ∂L/∂x = rstd · (ĝ − mean_D(ĝ) − x̂ ⊙ mean_D(ĝ ⊙ x̂))
//!            ∂L/∂γ = Σ_samples g ⊙ x̂        ∂L/∂β = Σ_samples g
//! ```
//! Why ∂L/∂x has that form: x̂ depends on every x of its sample through μ and rstd,
//! ```text
//! ∂μ/∂xⱼ = 1/N        ∂rstd/∂xⱼ = −rstd³ · (xⱼ − μ)/N = −rstd² · x̂ⱼ / N
//! ∂x̂ₖ/∂xⱼ = rstd · (δₖⱼ − 1/N) + (xₖ − μ) · ∂rstd/∂xⱼ = rstd · (δₖⱼ − 1/N − x̂ₖ x̂ⱼ / N)
//! ∂L/∂xⱼ = Σₖ ĝₖ ∂x̂ₖ/∂xⱼ = rstd · (ĝⱼ − mean(ĝ) − x̂ⱼ · mean(ĝ ⊙ x̂))
//! ```
//! the gradient minus its mean (the μ path) minus its projection on x̂ (the σ path).
//!
//! Why fused: the reference is about eleven graph nodes, each a full pass and a
//! fresh buffer, forward and backward; a transformer step runs LayerNorm a dozen
//! times. Here the forward is the tensor crate's `layer_norm_rows` (reads x twice,
//! writes x̂ and y) and the backward, [`backward_rows`], reads g and x̂ twice and
//! writes ∂L/∂x. Saves `x̂`, `rstd` (one number per sample) and `γ`. Its tests check
//! values and gradients against the reference.
//! Read next: [`crate::ops::lstm_cell`].

use tensor::error::{Error, ErrorKind};
use tensor::lanes::{as_slice, from_rows, lane_sum, scale_row};
use tensor::{DType, Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// Layer normalisation from primitive ops, the definition the fused
/// [`Var::layer_norm`] is tested against: each sample seen as one row of `N`
/// numbers, `(x − mean) / √(var + ε)` with the biased variance, then `· γ + β`.
///
/// # Shapes
/// `x: [.., *normalized_shape]`, `weight`, `bias`: `normalized_shape` → `x`'s shape.
///
/// # Panics
/// As [`Var::layer_norm`].
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::layer_norm::layer_norm_reference;
/// # use ferrograd::tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![1.0, 3.0, 5.0, 9.0], &[2, 2]));
/// let y = layer_norm_reference(&x, &[2], None, None, 0.0); // μ = 2 and 7, σ = 1 and 2
/// assert_eq!(y.value().to_vec::<f32>(), vec![-1.0, 1.0, -1.0, 1.0]);
/// ```
#[track_caller]
pub fn layer_norm_reference(
    x: &Var,
    normalized_shape: &[usize],
    weight: Option<&Var>,
    bias: Option<&Var>,
    eps: f64,
) -> Var {
    check_arguments(x, normalized_shape, weight, bias);
    let n: usize = normalized_shape.iter().product();
    let rows = x.reshape(&[x.numel() / n, n]);
    let centered = &rows - &rows.mean_dim(1, true);
    let std = rows.var_dim(1, false, true).add_scalar(eps).sqrt();
    let x_hat = (&centered / &std).reshape(&x.shape());
    let scaled = weight.map_or(x_hat.clone(), |w| &x_hat * w);
    bias.map_or(scaled.clone(), |b| &scaled + b)
}

/// The `layer_norm` op; holds `x̂`, `rstd` and `γ` for backward.
pub struct LayerNorm {
    x_hat: Tensor,
    rstd: Tensor,
    weight: Option<Tensor>,
    has_bias: bool,
    normalized_shape: Vec<usize>,
}

impl LayerNorm {
    /// `y = γ ⊙ (x − μ)·rstd + β` over the trailing `normalized_shape` dims (shapes
    /// already checked by [`Var::layer_norm`]).
    pub fn forward(
        x: &Tensor,
        normalized_shape: &[usize],
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> (Tensor, LayerNorm) {
        let n = normalized_shape.iter().product();
        let [y, x_hat, rstd] = x.layer_norm_rows(n, weight, bias, eps);
        let op = LayerNorm {
            x_hat,
            rstd,
            weight: weight.cloned(),
            has_bias: bias.is_some(),
            normalized_shape: normalized_shape.to_vec(),
        };
        (y, op)
    }
}

impl Function for LayerNorm {
    fn name(&self) -> &'static str {
        "layer_norm"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let (g, w) = (
            grad_out.contiguous(),
            self.weight.as_ref().map(Tensor::contiguous),
        );
        let [dx, dw, db] = match g.dtype() {
            DType::F32 => backward_rows::<f32>(&g, &self.x_hat, &self.rstd, w.as_ref()),
            DType::F64 => backward_rows::<f64>(&g, &self.x_hat, &self.rstd, w.as_ref()),
            _ => unreachable!("the forward's layer_norm_rows checked for a float dtype"),
        };
        let mut grads = vec![Some(dx)];
        if self.weight.is_some() {
            grads.push(Some(dw.reshape(&self.normalized_shape)));
        }
        if self.has_bias {
            grads.push(Some(db.reshape(&self.normalized_shape)));
        }
        grads
    }
}

/// `[∂L/∂x, ∂L/∂γ, ∂L/∂β]` from the contiguous `g = ∂L/∂y` and the saved `x̂` and
/// `rstd`, one sample (row of `N`) at a time (the formulas in the module doc).
fn backward_rows<T: Float>(
    g: &Tensor,
    x_hat: &Tensor,
    rstd: &Tensor,
    w: Option<&Tensor>,
) -> [Tensor; 3] {
    let (gs, xh, rstd) = (as_slice::<T>(g), as_slice::<T>(x_hat), as_slice::<T>(rstd));
    let w = w.map(as_slice::<T>);
    let n = xh.len() / rstd.len().max(1);
    let inv_n = T::of(1.0 / n as f64);
    let dx = from_rows(x_hat.shape(), n, |i, out| {
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
    let vec = |v: Vec<T>| {
        Tensor::try_from_vec_of(v, &[n]).expect("internal error: n values; this is a bug")
    };
    [dx, vec(dw), vec(db)]
}

impl Var {
    /// Layer normalisation over the trailing `normalized_shape` dims with optional
    /// `weight` (γ) and `bias` (β), as `torch.nn.functional.layer_norm`:
    /// `γ ⊙ (x − μ)/√(σ² + ε) + β`, μ and the biased σ² taken per sample.
    ///
    /// # Shapes
    /// `self: [.., *normalized_shape]`, `weight`, `bias`: `normalized_shape` → `self`'s shape.
    ///
    /// # Panics
    /// If `normalized_shape` is empty or is not `self`'s trailing dims, if `weight` or
    /// `bias` does not have shape `normalized_shape`, or if the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0, 3.0, 5.0, 9.0], &[2, 2]));
    /// let b = Var::param(Tensor::from_vec(vec![0.0, 10.0], &[2]));
    /// let y = x.layer_norm(&[2], None, Some(&b), 0.0); // μ = 2 and 7, σ = 1 and 2
    /// assert_eq!(y.value().to_vec::<f32>(), vec![-1.0, 11.0, -1.0, 11.0]);
    /// ```
    #[track_caller]
    pub fn layer_norm(
        &self,
        normalized_shape: &[usize],
        weight: Option<&Var>,
        bias: Option<&Var>,
        eps: f64,
    ) -> Var {
        check_arguments(self, normalized_shape, weight, bias);
        let x = self.value();
        let (w, b) = (weight.map(Var::value), bias.map(Var::value));
        let function = LayerNorm::forward(&x, normalized_shape, w.as_ref(), b.as_ref(), eps);
        let inputs: Vec<&Var> = std::iter::once(self).chain(weight).chain(bias).collect();
        record(function, &inputs)
    }
}

/// Panics unless `normalized_shape` is `x`'s trailing dims and `weight` and `bias`
/// (when given) have that shape and `x`'s dtype.
#[track_caller]
fn check_arguments(x: &Var, normalized_shape: &[usize], weight: Option<&Var>, bias: Option<&Var>) {
    let x = x.value();
    let (w, b) = (weight.map(Var::value), bias.map(Var::value));
    let shape = x.shape();
    let k = normalized_shape.len();
    let trailing_ok = k > 0 && shape.len() >= k && shape[shape.len() - k..] == *normalized_shape;
    let param_ok = |p: &Option<Tensor>| {
        p.as_ref()
            .is_none_or(|p| p.shape() == normalized_shape && p.dtype() == x.dtype())
    };
    if !trailing_ok || !param_ok(&w) || !param_ok(&b) {
        let describe = |p: &Option<Tensor>| {
            p.as_ref().map_or("none".to_string(), |p| {
                format!("{} {:?}", p.dtype(), p.shape())
            })
        };
        Error::new(
            "layer_norm",
            ErrorKind::Shape,
            format!(
                "input {} {shape:?}, normalized_shape {normalized_shape:?}, weight {}, bias {}: \
                 expected input [.., *normalized_shape] and weight and bias \
                 normalized_shape, of one dtype",
                x.dtype(),
                describe(&w),
                describe(&b),
            ),
        )
        .with_hint("normalized_shape is the input's last dims, e.g. [C] for [B, T, C]")
        .raise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    fn randn64(shape: &[usize]) -> Tensor {
        Tensor::randn(shape).to_dtype(DType::F64)
    }

    #[test]
    fn equals_the_reference_forward_and_backward() {
        let close = |a: Tensor, b: Tensor| {
            let (a, b) = (a.to_vec::<f64>(), b.to_vec::<f64>());
            assert!(
                a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-10),
                "{a:?} vs {b:?}"
            );
        };
        for (with_w, with_b) in [(true, true), (true, false), (false, true), (false, false)] {
            let g = randn64(&[2, 3, 4, 5]);
            let x = randn64(&[2, 3, 4, 5]);
            let (w, b) = (randn64(&[4, 5]), randn64(&[4, 5]));
            let make = || {
                let x = Var::param(x.clone());
                let w = with_w.then(|| Var::param(w.clone()));
                let b = with_b.then(|| Var::param(b.clone()));
                (x, w, b)
            };
            let (fx, fw, fb) = make();
            let y = fx.layer_norm(&[4, 5], fw.as_ref(), fb.as_ref(), 1e-5);
            y.backward_with(&g);
            let (cx, cw, cb) = make();
            let z = layer_norm_reference(&cx, &[4, 5], cw.as_ref(), cb.as_ref(), 1e-5);
            z.backward_with(&g);
            close(y.value(), z.value());
            close(fx.grad().unwrap(), cx.grad().unwrap());
            for (f, c) in [(fw, cw), (fb, cb)] {
                if let (Some(f), Some(c)) = (f, c) {
                    close(f.grad().unwrap(), c.grad().unwrap());
                }
            }
        }
    }

    #[test]
    fn gradcheck_input_weight_and_bias_on_a_transposed_input() {
        let inputs = [randn64(&[3, 4, 2]), randn64(&[3]), randn64(&[3])];
        gradcheck(
            |v| {
                v[0].transpose(0, 2)
                    .layer_norm(&[3], Some(&v[1]), Some(&v[2]), 1e-5)
            },
            &inputs,
        )
        .assert_passed();
    }

    #[test]
    #[should_panic(
        expected = "layer_norm: input f32 [2, 7], normalized_shape [8], weight none, bias none"
    )]
    fn wrong_trailing_dims_name_the_op_and_shapes() {
        Var::new(Tensor::ones(&[2, 7])).layer_norm(&[8], None, None, 1e-5);
    }

    #[test]
    #[should_panic(expected = "weight f32 [3], bias none")]
    fn wrong_weight_shape_is_reported() {
        let w = Var::param(Tensor::ones(&[3]));
        Var::new(Tensor::ones(&[2, 4])).layer_norm(&[4], Some(&w), None, 1e-5);
    }
}
