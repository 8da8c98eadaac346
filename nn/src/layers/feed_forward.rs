//! The position-wise feed-forward blocks of language models: GPT-2's [`Mlp`] and
//! LLaMA's [`SwiGLU`]. Each maps every position `[.., C]` on its own.
//!
//! ```text
//! Mlp (GPT-2, nanoGPT):   y = dropout(c_proj(GELU(c_fc(x))))           c_fc: C → F, c_proj: F → C
//! SwiGLU (LLaMA):         y = down_proj(silu(gate_proj(x)) ⊙ up_proj(x))
//!                           = W₂(silu(W₁x) ⊙ W₃x)                      W₁, W₃: C → F, W₂: F → C
//!                         silu(z) = z·σ(z)
//! ```
//! SwiGLU (Shazeer 2020, "GLU Variants Improve Transformer") gates one projection by
//! another: `silu(W₁x)` decides, per hidden unit, how much of `W₃x` passes. With three
//! matrices instead of two, LLaMA takes `F ≈ (2/3)·4C` to keep the parameter count of
//! a `4C` MLP.
//! GELU: nanoGPT uses the exact (erf) form, `nn.GELU()`; OpenAI's GPT-2 used the tanh
//! approximation (Hugging Face's `gelu_new`): set `activation.approximate`.
//! Parameter names: nanoGPT's (`c_fc`, `c_proj`) and Hugging Face LLaMA's
//! (`gate_proj` = W₁, `up_proj` = W₃, `down_proj` = W₂).
//! Read next: [`crate::layers::decoder_only`].

use autograd::Var;

use crate::layers::activation::GELU;
use crate::layers::linear::Linear;
use crate::module::{Forward, Module, child_prefix};

/// GPT-2's feed-forward block, `dropout(c_proj(GELU(c_fc(x))))`.
///
/// # Shapes
/// input and output `[.., C]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::feed_forward::Mlp;
/// use ferrograd::nn::{Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let mlp = Mlp::new(8, 32, true);
/// assert_eq!(mlp.forward(&Var::new(Tensor::randn(&[2, 3, 8]))).shape(), vec![2, 3, 8]);
/// assert_eq!(mlp.num_parameters(), 8 * 32 + 32 + 32 * 8 + 8);
/// ```
pub struct Mlp {
    /// `C → F`, weight `[F, C]`.
    pub c_fc: Linear,
    /// `F → C`, weight `[C, F]`.
    pub c_proj: Linear,
    /// The activation (exact GELU by default, as nanoGPT).
    pub activation: GELU,
    /// Dropout on the output, in training (default 0).
    pub dropout: f64,
    training: bool,
}

impl Mlp {
    /// `embed_dim → hidden → embed_dim`, with or without biases, exact GELU, no
    /// dropout; PyTorch's `Linear` init.
    pub fn new(embed_dim: usize, hidden: usize, bias: bool) -> Mlp {
        Mlp {
            c_fc: Linear::with_bias(embed_dim, hidden, bias),
            c_proj: Linear::with_bias(hidden, embed_dim, bias),
            activation: GELU::default(),
            dropout: 0.0,
            training: true,
        }
    }

    /// Set the dropout probability on the output.
    pub fn dropout(mut self, dropout: f64) -> Mlp {
        self.dropout = dropout;
        self
    }
}

impl Module for Mlp {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.c_fc.visit_params(&child_prefix(prefix, "c_fc"), f);
        self.c_proj.visit_params(&child_prefix(prefix, "c_proj"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Forward for Mlp {
    /// `dropout(c_proj(GELU(c_fc(x))))`.
    ///
    /// # Panics
    /// If the input's last dim is not `C` (reported by `c_fc`).
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        let hidden = self.activation.forward(&self.c_fc.forward(x));
        self.c_proj
            .forward(&hidden)
            .dropout(self.dropout, self.training)
    }
}

/// LLaMA's feed-forward block, `down_proj(silu(gate_proj(x)) ⊙ up_proj(x))`
/// (Hugging Face's `LlamaMLP`).
///
/// # Shapes
/// input and output `[.., C]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::feed_forward::SwiGLU;
/// use ferrograd::nn::{Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let ffn = SwiGLU::new(8, 24, false);
/// assert_eq!(ffn.forward(&Var::new(Tensor::randn(&[2, 3, 8]))).shape(), vec![2, 3, 8]);
/// assert_eq!(ffn.num_parameters(), 3 * 8 * 24);
/// ```
pub struct SwiGLU {
    /// W₁, `C → F`, weight `[F, C]`: the gate, through silu.
    pub gate_proj: Linear,
    /// W₃, `C → F`, weight `[F, C]`: the gated values.
    pub up_proj: Linear,
    /// W₂, `F → C`, weight `[C, F]`.
    pub down_proj: Linear,
}

impl SwiGLU {
    /// `embed_dim → hidden → embed_dim`, with or without biases (LLaMA: without);
    /// PyTorch's `Linear` init.
    pub fn new(embed_dim: usize, hidden: usize, bias: bool) -> SwiGLU {
        SwiGLU {
            gate_proj: Linear::with_bias(embed_dim, hidden, bias),
            up_proj: Linear::with_bias(embed_dim, hidden, bias),
            down_proj: Linear::with_bias(hidden, embed_dim, bias),
        }
    }
}

impl Module for SwiGLU {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.gate_proj
            .visit_params(&child_prefix(prefix, "gate_proj"), f);
        self.up_proj
            .visit_params(&child_prefix(prefix, "up_proj"), f);
        self.down_proj
            .visit_params(&child_prefix(prefix, "down_proj"), f);
    }
}

impl Forward for SwiGLU {
    /// `W₂(silu(W₁x) ⊙ W₃x)`.
    ///
    /// # Panics
    /// If the input's last dim is not `C` (reported by `gate_proj`).
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        let gate = self.gate_proj.forward(x).silu();
        self.down_proj.forward(&(&gate * &self.up_proj.forward(x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::{DType, Tensor};

    fn set(linear: &Linear, w: Vec<f64>) {
        let shape = linear.weight.shape();
        linear.weight.set_value(Tensor::from_vec_f64(w, &shape));
    }

    #[test]
    fn swiglu_gates_the_up_projection_by_silu_of_the_gate() {
        // C = 1, F = 2: W₁ = [1, −2], W₃ = [3, 1], W₂ = [1, 1]; x = 0.5
        // silu(0.5)·1.5 + silu(−1)·0.5
        let ffn = SwiGLU::new(1, 2, false);
        ffn.to_dtype(DType::F64);
        set(&ffn.gate_proj, vec![1.0, -2.0]);
        set(&ffn.up_proj, vec![3.0, 1.0]);
        set(&ffn.down_proj, vec![1.0, 1.0]);
        let silu = |z: f64| z / (1.0 + (-z).exp());
        let y = ffn
            .forward(&Var::new(Tensor::from_vec_f64(vec![0.5], &[1, 1])))
            .item();
        let expected = silu(0.5) * 1.5 + silu(-1.0) * 0.5;
        assert!((y - expected).abs() < 1e-12, "{y} vs {expected}");
    }

    #[test]
    fn mlp_is_gelu_between_two_linears_and_its_dropout_acts_in_training() {
        let mut mlp = Mlp::new(2, 3, false).dropout(1.0);
        mlp.to_dtype(DType::F64);
        let x = Var::new(Tensor::from_vec_f64(vec![0.3, -0.7], &[1, 2]));
        assert!(
            mlp.forward(&x)
                .value()
                .to_vec::<f64>()
                .iter()
                .all(|&v| v == 0.0)
        );
        mlp.eval();
        let expected = mlp.c_proj.forward(&mlp.c_fc.forward(&x).gelu()).value();
        assert_eq!(
            mlp.forward(&x).value().to_vec::<f64>(),
            expected.to_vec::<f64>()
        );
        let names: Vec<String> = mlp.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["c_fc.weight", "c_proj.weight"]);
    }
}
