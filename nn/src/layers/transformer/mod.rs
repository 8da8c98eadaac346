//! The Transformer (Vaswani et al., 2017), as `torch.nn.Transformer*`.
//!
//! ```text
//! encoder layer (post-norm, PyTorch's default; norm_first = false):
//!   x = norm1(x + dropout1(self_attn(x, x, x)))
//!   x = norm2(x + dropout2(FF(x)))            FF(x) = linear2(dropout(act(linear1(x))))
//! encoder layer (pre-norm, norm_first = true):
//!   x = x + dropout1(self_attn(norm1(x)))
//!   x = x + dropout2(FF(norm2(x)))
//! decoder layer: the same with a cross-attention block between the two,
//!   x = norm2(x + dropout2(multihead_attn(x, memory, memory)))     (post-norm)
//!   and norm3 / dropout3 around FF
//! encoder = N encoder layers (+ a final LayerNorm `norm`), decoder likewise;
//! Transformer: memory = encoder(src), output = decoder(tgt, memory)
//! ```
//! Parameter names are PyTorch's (`self_attn.in_proj_weight`, `linear1.weight`,
//! `norm1.weight`, `layers.0.…`, `encoder.norm.weight`, …), so state dicts move
//! both ways. Masks reach every attention block unchanged and read as PyTorch's
//! `nn.Transformer` reads them: a bool mask has `true` = may NOT attend (a padding
//! position, a future position), a float mask is added to the scores; see
//! [`crate::layers::attention`].
//!
//! Both layers are a chain of residual sublayers (`residual` below), so the two
//! readings of the LayerNorm are written once.
//!
//! Incremental decoding: `forward_cached` on a layer or a stack feeds only the new
//! positions and keeps the keys and values of the earlier ones in a [`cache`]
//! (`StackCache`), with the same outputs as a causal `forward` over the whole prefix.
//!
//! Files: [`encoder_layer`] (read first), [`decoder_layer`], [`encoder`] and
//! [`decoder`] (the stacks), [`transformer`] (both stacks, nn.Transformer), [`cache`]
//! (the KV caches of incremental decoding).
//!
//! Deliberate differences from PyTorch: no "fast path" (PyTorch's fused inference
//! kernel computes the same math); `is_causal` / `tgt_is_causal` build the causal mask
//! themselves instead of being a hint that requires the mask too.
//! Read next: the optimizers (`optim`).

pub mod cache;
pub mod decoder;
pub mod decoder_layer;
pub mod encoder;
pub mod encoder_layer;
#[allow(clippy::module_inception)]
pub mod transformer;

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use super::attention::multihead::{MhaConfig, MhaOptions, MultiheadAttention};
use super::dropout::Dropout;
use super::layer_norm::LayerNorm;
use super::linear::Linear;
use crate::module::{Forward, Module, child_prefix};
use cache::{LayerCache, StackCache};
use tensor::Tensor;

/// The activation inside the feed-forward block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `max(0, x)`, PyTorch's default.
    Relu,
    /// `x·Φ(x)` (erf form, as `F.gelu`).
    Gelu,
}

/// The options of an encoder or decoder layer, PyTorch's constructor arguments and
/// defaults: `TransformerLayerConfig::new(512, 8).dim_feedforward(1024).norm_first(true)`.
#[derive(Clone, Debug, PartialEq)]
pub struct TransformerLayerConfig {
    /// Model width `C` (= `embed_dim` of the attention).
    pub d_model: usize,
    /// Attention heads; must divide `d_model`.
    pub nhead: usize,
    /// Width of the feed-forward block's hidden layer (default 2048).
    pub dim_feedforward: usize,
    /// Dropout after attention, inside and after the feed-forward block, and on the
    /// attention weights (default 0.1).
    pub dropout: f64,
    /// Activation of the feed-forward block (default ReLU).
    pub activation: Activation,
    /// `eps` of every LayerNorm (default 1e-5).
    pub layer_norm_eps: f64,
    /// Inputs and outputs are `[B, T, C]` instead of `[T, B, C]` (default false).
    pub batch_first: bool,
    /// LayerNorm before each block (pre-norm) instead of after the residual (default false).
    pub norm_first: bool,
    /// Whether the Linear, attention and LayerNorm layers have biases (default true).
    pub bias: bool,
}

impl TransformerLayerConfig {
    /// `d_model` wide with `nhead` heads, PyTorch's defaults for the rest.
    pub fn new(d_model: usize, nhead: usize) -> TransformerLayerConfig {
        TransformerLayerConfig {
            d_model,
            nhead,
            dim_feedforward: 2048,
            dropout: 0.1,
            activation: Activation::Relu,
            layer_norm_eps: 1e-5,
            batch_first: false,
            norm_first: false,
            bias: true,
        }
    }
    /// Set the feed-forward width.
    pub fn dim_feedforward(mut self, dim_feedforward: usize) -> Self {
        self.dim_feedforward = dim_feedforward;
        self
    }
    /// Set the dropout probability.
    pub fn dropout(mut self, dropout: f64) -> Self {
        self.dropout = dropout;
        self
    }
    /// Set the feed-forward activation.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }
    /// Set the LayerNorms' eps.
    pub fn layer_norm_eps(mut self, eps: f64) -> Self {
        self.layer_norm_eps = eps;
        self
    }
    /// Set whether inputs are batch-major.
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }
    /// Set pre-norm (true) or post-norm (false).
    pub fn norm_first(mut self, norm_first: bool) -> Self {
        self.norm_first = norm_first;
        self
    }

    /// Set whether the layers have biases (PyTorch's `bias=False` drops every bias,
    /// LayerNorms' β included).
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// A LayerNorm of this config's width, eps and bias.
    fn layer_norm(&self) -> LayerNorm {
        LayerNorm::new(&[self.d_model])
            .eps(self.layer_norm_eps)
            .bias(self.bias)
    }

    /// `Linear(in, out)` with this config's bias.
    fn linear(&self, in_features: usize, out_features: usize) -> Linear {
        Linear::with_bias(in_features, out_features, self.bias)
    }

    /// The config of the layer's attention blocks.
    fn attention(&self) -> MhaConfig {
        MhaConfig::new(self.d_model, self.nhead)
            .dropout(self.dropout)
            .batch_first(self.batch_first)
            .bias(self.bias)
    }

    /// The layer as PyTorch would be called, for error messages.
    fn describe(&self, layer: &str) -> String {
        format!(
            "{layer}(d_model={}, nhead={}, batch_first={})",
            self.d_model, self.nhead, self.batch_first
        )
    }

    /// Panics (naming `layer`) unless `x` is `[T, B, C]` / `[B, T, C]` / `[T, C]` with `C = d_model`.
    #[track_caller]
    fn check_input(&self, layer: &'static str, what: &str, x: &Var) {
        let shape = x.shape();
        if !(shape.len() == 2 || shape.len() == 3) || shape[shape.len() - 1] != self.d_model {
            Error::new(
                layer,
                ErrorKind::Shape,
                format!("{}: {what} has shape {shape:?}, expected [.., {}]", self.describe(layer), self.d_model),
            )
            .with_hint(if self.batch_first {
                "inputs are [B, T, d_model] (batch_first) or [T, d_model] unbatched"
            } else {
                "inputs are [T, B, d_model] (set batch_first for [B, T, d_model]) or [T, d_model] unbatched"
            })
            .raise();
        }
    }
}

/// The masks of an encoder layer or encoder (PyTorch's argument names).
#[derive(Clone, Copy, Debug, Default)]
pub struct EncoderMasks<'a> {
    /// `[T, T]` or `[B·H, T, T]`: (query, key) pairs of `src` that may not attend
    /// (bool, `true` = masked; or float, added to the scores).
    pub src_mask: Option<&'a Tensor>,
    /// `[B, T]`: padding positions of `src` (bool, `true` = padding).
    pub src_key_padding_mask: Option<&'a Tensor>,
    /// Also mask every later position.
    pub is_causal: bool,
}

/// The masks of a decoder layer or decoder (PyTorch's argument names).
#[derive(Clone, Copy, Debug, Default)]
pub struct DecoderMasks<'a> {
    /// `[T_tgt, T_tgt]` or `[B·H, T_tgt, T_tgt]`, for the self-attention.
    pub tgt_mask: Option<&'a Tensor>,
    /// `[T_tgt, T_src]` or `[B·H, T_tgt, T_src]`, for the cross-attention.
    pub memory_mask: Option<&'a Tensor>,
    /// `[B, T_tgt]`: padding positions of `tgt`.
    pub tgt_key_padding_mask: Option<&'a Tensor>,
    /// `[B, T_src]`: padding positions of the memory (the source).
    pub memory_key_padding_mask: Option<&'a Tensor>,
    /// Mask later target positions in the self-attention (what a decoder usually wants).
    pub tgt_is_causal: bool,
    /// Mask later memory positions in the cross-attention.
    pub memory_is_causal: bool,
}

/// The attention options of one block: masks in, no weights out.
fn attention_options<'a>(
    attn_mask: Option<&'a Tensor>,
    key_padding_mask: Option<&'a Tensor>,
    is_causal: bool,
) -> MhaOptions<'a> {
    MhaOptions {
        key_padding_mask,
        need_weights: false,
        attn_mask,
        average_attn_weights: true,
        is_causal,
    }
}

/// `dropout(attn(x, kv, kv))`: one attention block (PyTorch's `_sa_block` / `_mha_block`).
fn attention_block(
    attn: &MultiheadAttention,
    dropout: &Dropout,
    x: &Var,
    kv: &Var,
    options: &MhaOptions,
) -> Var {
    let (attended, _) = attn.forward(x, kv, kv, options);
    dropout.forward(&attended)
}

/// `FF(x) = dropout_out(linear2(dropout(act(linear1(x)))))` (PyTorch's `_ff_block`).
fn feed_forward(
    linear1: &Linear,
    activation: Activation,
    dropout: &Dropout,
    linear2: &Linear,
    dropout_out: &Dropout,
    x: &Var,
) -> Var {
    let hidden = linear1.forward(x);
    let hidden = match activation {
        Activation::Relu => hidden.relu(),
        Activation::Gelu => hidden.gelu(),
    };
    dropout_out.forward(&linear2.forward(&dropout.forward(&hidden)))
}

/// One residual sublayer around `f`: `x + f(norm(x))` with pre-norm (`norm_first`),
/// `norm(x + f(x))` with post-norm. Encoder and decoder layers are chains of these.
fn residual(norm_first: bool, norm: &LayerNorm, x: &Var, f: impl FnOnce(&Var) -> Var) -> Var {
    if norm_first {
        x + &f(&norm.forward(x))
    } else {
        norm.forward(&(x + &f(x)))
    }
}

/// The output of a stack: `x` through its final norm, if it has one.
fn final_norm(norm: &Option<LayerNorm>, x: Var) -> Var {
    match norm {
        Some(norm) => norm.forward(&x),
        None => x,
    }
}

/// Visit a stack's parameters: `layers.0.…`, `layers.1.…`, then `norm.…`.
fn visit_stack<L: Module>(
    layers: &[L],
    norm: &Option<LayerNorm>,
    prefix: &str,
    f: &mut dyn FnMut(&str, &Var),
) {
    for (i, layer) in layers.iter().enumerate() {
        layer.visit_params(&child_prefix(prefix, &format!("layers.{i}")), f);
    }
    if let Some(norm) = norm {
        norm.visit_params(&child_prefix(prefix, "norm"), f);
    }
}

/// A stack on new positions `x`: each layer's `step` with its own cache, then the
/// final norm (`forward_cached` of the encoder and decoder stacks).
///
/// # Panics
/// Naming `stack`, unless `cache` has one layer cache per layer.
#[track_caller]
fn stack_cached<L>(
    stack: &'static str,
    layers: &[L],
    norm: &Option<LayerNorm>,
    cache: &mut StackCache,
    x: &Var,
    step: impl Fn(&L, &Var, &mut LayerCache) -> Var,
) -> Var {
    if cache.layers.len() != layers.len() {
        Error::new(
            stack,
            ErrorKind::Shape,
            format!(
                "the cache holds {} layer caches for {} layers",
                cache.layers.len(),
                layers.len()
            ),
        )
        .with_hint(format!("make the cache with {stack}::new_cache()"))
        .raise();
    }
    let x = layers
        .iter()
        .zip(&mut cache.layers)
        .fold(x.clone(), |x, (layer, c)| step(layer, &x, c));
    final_norm(norm, x)
}

/// A fresh copy of `module`'s parameters in a new module built by `build` (PyTorch's
/// `copy.deepcopy`, used by the encoder and decoder stacks).
fn deep_copy<M: Module>(module: &M, build: impl FnOnce() -> M) -> M {
    let copy = build();
    copy.load_state_dict(&module.state_dict(), true).expect(
        "internal error: a layer built from the same config has the same parameters; this is a bug",
    );
    copy
}
