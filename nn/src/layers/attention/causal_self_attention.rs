//! `CausalSelfAttention`: the attention of decoder-only language models (GPT, LLaMA),
//! with grouped-query attention and, optionally, rotary positions on q and k.
//!
//! ```text
//! x: [B, T, C]
//! Q = x·W_qᵀ (+ b_q)   [B, T, H·D]   → heads [B, H, T, D]
//! K = x·W_kᵀ (+ b_k)   [B, T, G·D]   → heads [B, G, T, D]     G = num_kv_heads
//! V = x·W_vᵀ (+ b_v)   [B, T, G·D]   → heads [B, G, T, D]
//! with RoPE:  Q, K = rope(Q, t), rope(K, t)    per head, t = the position of the row
//! query head h reads key/value head ⌊h / (H/G)⌋:
//! head_h = softmax(Q_h·K_⌊h/(H/G)⌋ᵀ / √D + causal)·V_⌊h/(H/G)⌋     [B, H, T, D]
//! output = concat(head_1 .. head_H)·W_oᵀ (+ b_o)                   [B, T, C]
//! ```
//! G = H is ordinary multi-head attention (GPT-2), 1 < G < H grouped-query attention
//! (GQA, Ainslie et al. 2023; LLaMA 2 70B, LLaMA 3), G = 1 multi-query attention (MQA,
//! Shazeer 2019). Fewer key/value heads shrink the KV cache by H/G; the query heads
//! of a group share one key and one value head. The sharing is done without copying K
//! and V: the queries are viewed as `[B, G, H/G, T, D]` and the keys as
//! `[B, G, 1, T, D]`, whose size-1 dim the batched matmul broadcasts (as Hugging Face's
//! `repeat_kv`, which copies, computes).
//!
//! RoPE is [`apply_rotary`](crate::layers::positional::apply_rotary), rotate-half
//! pairing (feature `i` with `i + D/2`) as Hugging Face's LLaMA, applied to q and k
//! after the head split and before the scores; v is not rotated.
//!
//! Parameters, Hugging Face LLaMA's names (`LlamaAttention`): `q_proj.weight [H·D, C]`,
//! `k_proj.weight [G·D, C]`, `v_proj.weight [G·D, C]`, `o_proj.weight [C, H·D]`, and a
//! `.bias` for each when `bias` is on. nanoGPT's packed `c_attn.weight [3C, C]` is
//! `q_proj`, `k_proj` and `v_proj` stacked; its `c_proj` is `o_proj`.
//! Init: PyTorch's `Linear` default (the models re-initialise as their papers do).
//! Read next: [`crate::layers::feed_forward`], then [`crate::layers::decoder_only`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::kv_cache::{KvCache, causal_after};
use super::scaled_dot_product::scaled_dot_product_attention;
use crate::layers::linear::Linear;
use crate::layers::positional::apply_rotary;
use crate::module::{Forward, Module, child_prefix};

/// The options of a [`CausalSelfAttention`]:
/// `CausalAttentionConfig::new(128, 4).num_kv_heads(2).rope(10_000.0).bias(false)`.
#[derive(Clone, Debug, PartialEq)]
pub struct CausalAttentionConfig {
    /// Model width `C` (input and output features).
    pub embed_dim: usize,
    /// Query heads `H`; must divide `embed_dim` (head dim `D = C / H`).
    pub num_heads: usize,
    /// Key/value heads `G`; must divide `num_heads` (default `num_heads`: plain MHA).
    pub num_kv_heads: usize,
    /// Whether the four projections have biases (default true).
    pub bias: bool,
    /// RoPE on q and k with this base θ (LLaMA: 10000); `None` = no rotation (default).
    pub rope_base: Option<f64>,
    /// Dropout on the attention weights and on the output, in training (default 0).
    pub dropout: f64,
}

impl CausalAttentionConfig {
    /// `embed_dim` split over `num_heads` heads, as many key/value heads, biases, no
    /// RoPE, no dropout.
    pub fn new(embed_dim: usize, num_heads: usize) -> CausalAttentionConfig {
        CausalAttentionConfig {
            embed_dim,
            num_heads,
            num_kv_heads: num_heads,
            bias: true,
            rope_base: None,
            dropout: 0.0,
        }
    }
    /// Set the number of key/value heads (1 = multi-query attention).
    pub fn num_kv_heads(mut self, num_kv_heads: usize) -> Self {
        self.num_kv_heads = num_kv_heads;
        self
    }
    /// Set whether the projections have biases.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }
    /// Rotate q and k by RoPE with base `base` (θ_i = base^(−2i/D)).
    pub fn rope(mut self, base: f64) -> Self {
        self.rope_base = Some(base);
        self
    }
    /// Set the dropout probability.
    pub fn dropout(mut self, dropout: f64) -> Self {
        self.dropout = dropout;
        self
    }

    /// The layer as it would be written, for error messages.
    fn describe(&self) -> String {
        format!(
            "CausalSelfAttention(embed_dim={}, num_heads={}, num_kv_heads={})",
            self.embed_dim, self.num_heads, self.num_kv_heads
        )
    }
}

/// Causal multi-head self-attention with grouped key/value heads and optional RoPE;
/// see the [module docs](self).
///
/// # Shapes
/// input and output `[B, T, C]` (batch-first, as nanoGPT and Hugging Face); the KV
/// cache holds `[B, G, T, D]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::attention::causal_self_attention::{CausalAttentionConfig, CausalSelfAttention};
/// use ferrograd::nn::{Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// // 4 query heads share 2 key/value heads; RoPE; no biases (LLaMA's attention)
/// let config = CausalAttentionConfig::new(16, 4).num_kv_heads(2).rope(10_000.0).bias(false);
/// let attn = CausalSelfAttention::new(config);
/// let x = Var::new(Tensor::randn(&[2, 5, 16])); // [B, T, C]
/// assert_eq!(attn.forward(&x).shape(), vec![2, 5, 16]);
/// // q and o: 16·16 each; k and v: 8·16 each (2 heads of D = 4)
/// assert_eq!(attn.num_parameters(), 2 * 16 * 16 + 2 * 8 * 16);
/// ```
pub struct CausalSelfAttention {
    /// `W_q`, `[H·D, C]`.
    pub q_proj: Linear,
    /// `W_k`, `[G·D, C]`.
    pub k_proj: Linear,
    /// `W_v`, `[G·D, C]`.
    pub v_proj: Linear,
    /// `W_o`, `[C, H·D]`.
    pub o_proj: Linear,
    /// The options it was built with.
    pub config: CausalAttentionConfig,
    training: bool,
}

impl CausalSelfAttention {
    /// A layer with PyTorch's `Linear` init.
    ///
    /// # Panics
    /// If `num_heads` is 0 or does not divide `embed_dim`, `num_kv_heads` is 0 or
    /// does not divide `num_heads`, the head dim is odd with RoPE on, or dropout is
    /// not in [0, 1].
    #[track_caller]
    pub fn new(config: CausalAttentionConfig) -> CausalSelfAttention {
        let c = &config;
        let fail = |problem: String| -> ! {
            Error::new("CausalSelfAttention", ErrorKind::Value, problem).raise()
        };
        if c.num_heads == 0 || !c.embed_dim.is_multiple_of(c.num_heads) {
            fail(format!(
                "{}: embed_dim {} is not a multiple of num_heads {}",
                c.describe(),
                c.embed_dim,
                c.num_heads
            ));
        }
        if c.num_kv_heads == 0 || !c.num_heads.is_multiple_of(c.num_kv_heads) {
            fail(format!(
                "{}: num_heads {} is not a multiple of num_kv_heads {}",
                c.describe(),
                c.num_heads,
                c.num_kv_heads
            ));
        }
        let d = c.embed_dim / c.num_heads;
        if c.rope_base.is_some() && !d.is_multiple_of(2) {
            fail(format!(
                "{}: RoPE needs an even head dim, got D = {d}",
                c.describe()
            ));
        }
        if !(0.0..=1.0).contains(&c.dropout) {
            fail(format!(
                "{}: dropout {} is not in [0, 1]",
                c.describe(),
                c.dropout
            ));
        }
        let (e, kv) = (c.embed_dim, c.num_kv_heads * d);
        CausalSelfAttention {
            q_proj: Linear::with_bias(e, e, c.bias),
            k_proj: Linear::with_bias(e, kv, c.bias),
            v_proj: Linear::with_bias(e, kv, c.bias),
            o_proj: Linear::with_bias(e, e, c.bias),
            config,
            training: true,
        }
    }

    /// Features per head, `D = C / H`.
    pub fn head_dim(&self) -> usize {
        self.config.embed_dim / self.config.num_heads
    }

    /// Self-attention of the new positions `x` over the positions already in `cache`
    /// and over themselves, causally; `x`'s keys and values (after RoPE) are added to
    /// the cache. The new rows are positions `cache.len() ..`, so feeding a sequence in
    /// pieces gives the rows of one [`Forward::forward`] over all of it.
    ///
    /// # Shapes
    /// `x` and output `[B, T_new, C]`; the cache `[B, G, T, D]`.
    ///
    /// # Panics
    /// As `forward`, and if the cache holds another batch size.
    #[track_caller]
    pub fn forward_cached(&self, x: &Var, cache: &mut KvCache) -> Var {
        let (b, t_new) = self.check_input(x);
        if let Some((k, _)) = cache.keys_values()
            && k.shape()[0] != b
        {
            Error::new(
                "CausalSelfAttention",
                ErrorKind::Shape,
                format!(
                    "{}.forward_cached: the cache holds {} rows (keys {:?}) but the input has batch size {b}",
                    self.config.describe(),
                    k.shape()[0],
                    k.shape()
                ),
            )
            .with_hint("use one cache per batch, or reorder it with KvCache::reorder")
            .raise();
        }
        let t_past = cache.len();
        let (q, k, v) = self.heads(x, t_past);
        let (k, v) = cache.append(&k.value(), &v.value());
        // one new row sees every key; several see the keys up to their own position
        let mask = (t_new > 1).then(|| causal_after(t_past, t_new, x.dtype()));
        self.attend(
            &q,
            &Var::new(k),
            &Var::new(v),
            mask.as_ref(),
            false,
            (b, t_new),
        )
    }

    /// Queries `[B, G, H/G, T, D]` (grouped by the key/value head they read), keys and
    /// values `[B, G, T, D]`, for rows at positions `start .. start + T`; RoPE applied
    /// if configured.
    fn heads(&self, x: &Var, start: usize) -> (Var, Var, Var) {
        let c = &self.config;
        let (b, t) = (x.shape()[0], x.shape()[1]);
        let (g, d) = (c.num_kv_heads, self.head_dim());
        // [B, T, H·D] → [B, T, G, H/G, D] (a free reshape) → [B, G, H/G, T, D] (a view)
        let q = self
            .q_proj
            .forward(x)
            .reshape(&[b, t, g, c.num_heads / g, d])
            .permute(&[0, 2, 3, 1, 4]);
        let kv_heads = |proj: &Linear| {
            proj.forward(x)
                .reshape(&[b, t, g, d])
                .permute(&[0, 2, 1, 3])
        };
        let (k, v) = (kv_heads(&self.k_proj), kv_heads(&self.v_proj));
        match c.rope_base {
            Some(base) => {
                let positions = Tensor::arange(start as f64, (start + t) as f64, 1.0);
                let q = apply_rotary(&q, &positions, base);
                (q, apply_rotary(&k, &positions, base), v)
            }
            None => (q, k, v),
        }
    }

    /// `softmax(Q·Kᵀ/√D + mask)·V` per head (with SDPA's top-left causal mask if
    /// `is_causal`), heads concatenated, then `W_o` and dropout: `[B, T, C]`.
    fn attend(
        &self,
        q: &Var,
        k: &Var,
        v: &Var,
        mask: Option<&Tensor>,
        is_causal: bool,
        (b, t): (usize, usize),
    ) -> Var {
        let p = if self.training {
            self.config.dropout
        } else {
            0.0
        };
        // keys [B, G, 1, T_k, D]: the size-1 dim broadcasts over the H/G query heads
        let (k, v) = (k.unsqueeze(2), v.unsqueeze(2));
        let (heads, _) = scaled_dot_product_attention(q, &k, &v, mask, p, is_causal, self.training);
        // [B, G, H/G, T, D] → [B, T, G, H/G, D] → [B, T, C]: head h = g·(H/G) + j
        let concat = heads
            .permute(&[0, 3, 1, 2, 4])
            .reshape(&[b, t, self.config.embed_dim]);
        self.o_proj.forward(&concat).dropout(p, self.training)
    }

    /// Panics unless `x` is `[B, T, C]`; returns `(B, T)`.
    #[track_caller]
    fn check_input(&self, x: &Var) -> (usize, usize) {
        let shape = x.shape();
        if shape.len() != 3 || shape[2] != self.config.embed_dim || shape[1] == 0 {
            Error::new(
                "CausalSelfAttention",
                ErrorKind::Shape,
                format!(
                    "{}: input has shape {shape:?}, expected [B, T, {}] with T > 0",
                    self.config.describe(),
                    self.config.embed_dim
                ),
            )
            .with_hint("the input is batch-first [B, T, C]; unsqueeze(0) a single sequence")
            .raise();
        }
        (shape[0], shape[1])
    }
}

impl Module for CausalSelfAttention {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.q_proj.visit_params(&child_prefix(prefix, "q_proj"), f);
        self.k_proj.visit_params(&child_prefix(prefix, "k_proj"), f);
        self.v_proj.visit_params(&child_prefix(prefix, "v_proj"), f);
        self.o_proj.visit_params(&child_prefix(prefix, "o_proj"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Forward for CausalSelfAttention {
    /// Causal self-attention over the whole input, positions `0 .. T`.
    ///
    /// # Panics
    /// If `x` is not `[B, T, embed_dim]` with `T > 0`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        let (b, t) = self.check_input(x);
        let (q, k, v) = self.heads(x, 0);
        self.attend(&q, &k, &v, None, true, (b, t))
    }
}

#[cfg(test)]
#[path = "causal_self_attention_tests.rs"]
mod tests;
