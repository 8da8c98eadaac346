//! `layer_norm`: normalise each sample over its trailing dims, then scale and shift,
//! as one op (`torch.nn.functional.layer_norm`).
//!
//! ```text
//! x: [.., *D]     γ (weight), β (bias): [*D], each optional     N = numel(D)
//! forward:   μ = mean_D(x)   σ² = mean_D((x − μ)²)   rstd = 1/√(σ² + ε)
//!            x̂ = (x − μ)·rstd          y = γ ⊙ x̂ + β
//! backward:  ĝ = g ⊙ γ                                         (g = ∂L/∂y)
//!            ∂L/∂x = rstd · (ĝ − mean_D(ĝ) − x̂ ⊙ mean_D(ĝ ⊙ x̂))
//!            ∂L/∂γ = Σ_samples g ⊙ x̂        ∂L/∂β = Σ_samples g
//! ```
//! The derivation of ∂L/∂x is in [`tensor::layer_norm`]. The composite (sum, mean,
//! subtract, square, sum, add ε, sqrt, divide, multiply, add; see
//! `nn::layers::layer_norm::normalize`) gives the same numbers in about eleven graph
//! nodes with a full-size buffer each, forward and backward; a transformer step runs
//! LayerNorm a dozen times, so here it is one node. Saves `x̂`, `rstd` (one number per
//! sample) and `γ`. Its tests compare it with the composite, forward and backward.
//! Read next: [`crate::ops::lstm_cell`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::function::{Function, record};
use crate::var::Var;

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
        let [dx, dw, db] =
            grad_out.layer_norm_rows_backward(&self.x_hat, &self.rstd, self.weight.as_ref());
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
    /// # use autograd::Var; use tensor::Tensor;
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
        let x = self.value();
        let (w, b) = (weight.map(Var::value), bias.map(Var::value));
        let shape = x.shape();
        let k = normalized_shape.len();
        let trailing_ok =
            k > 0 && shape.len() >= k && shape[shape.len() - k..] == *normalized_shape;
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
        let function = LayerNorm::forward(&x, normalized_shape, w.as_ref(), b.as_ref(), eps);
        let inputs: Vec<&Var> = std::iter::once(self).chain(weight).chain(bias).collect();
        record(function, &inputs)
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

    /// The composite on `[2, 3, 4, 5]` normalised over `[4, 5]`, from elementwise ops:
    /// rows of 20, `(x − μ)/√(σ² + ε)`, then `· γ + β`.
    fn composite(x: &Var, w: Option<&Var>, b: Option<&Var>, eps: f64) -> Var {
        let rows = x.reshape(&[6, 20]);
        let centered = &rows - &rows.mean_dim(1, true);
        let sigma = (&centered * &centered)
            .mean_dim(1, true)
            .add_scalar(eps)
            .sqrt();
        let x_hat = (&centered / &sigma).reshape(&[2, 3, 4, 5]);
        let scaled = w.map_or(x_hat.clone(), |w| &x_hat * w);
        b.map_or(scaled.clone(), |b| &scaled + b)
    }

    #[test]
    fn equals_the_composite_forward_and_backward() {
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
            let z = composite(&cx, cw.as_ref(), cb.as_ref(), 1e-5);
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
