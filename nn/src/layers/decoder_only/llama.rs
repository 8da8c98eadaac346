//! LLaMA (Touvron et al. 2023), as Hugging Face's `LlamaForCausalLM` writes it:
//! [`LlamaConfig`], [`LlamaBlock`] (`LlamaDecoderLayer`) and the model [`Llama`].
//!
//! ```text
//! x = embed_tokens[ids]                          no position table: RoPE in attention
//! for each block layers.i:
//!     x = x + self_attn(input_layernorm(x))      H query heads, G key/value heads, RoPE on q, k
//!     x = x + mlp(post_attention_layernorm(x))   SwiGLU: down(silu(gate(x)) ⊙ up(x))
//! logits = norm(x) · lm_headᵀ                    [B, T, V]
//! ```
//! What changed from GPT-2, each a drop-in: RMSNorm instead of LayerNorm (no mean, no
//! β), rotary positions instead of a learned table (relative, and no fixed maximum),
//! SwiGLU instead of the GELU MLP, no biases, and (LLaMA 2 70B, LLaMA 3) fewer
//! key/value heads than query heads.
//! Parameter names are Hugging Face's without its `model.` prefix: `embed_tokens.weight`,
//! `layers.{i}.input_layernorm.weight`, `layers.{i}.self_attn.{q,k,v,o}_proj.weight`,
//! `layers.{i}.post_attention_layernorm.weight`,
//! `layers.{i}.mlp.{gate,up,down}_proj.weight`, `norm.weight`, `lm_head.weight`.
//! RoPE pairs feature `i` with `i + D/2` (Hugging Face's rotate_half; Meta's original
//! checkpoints pair (2i, 2i + 1) and are permuted when converted).
//! Init: Hugging Face's, N(0, 0.02) for every matrix; RMSNorm γ = 1.
//! Read next: [`crate::masked_lm`].

use autograd::Var;
use tensor::Tensor;

use super::{DecoderBlock, StackCache, check_ids, init_normal, next_token_logits, run_blocks};
use crate::decoding::NextTokenModel;
use crate::layers::attention::KvCache;
use crate::layers::attention::causal_self_attention::{CausalAttentionConfig, CausalSelfAttention};
use crate::layers::embedding::Embedding;
use crate::layers::feed_forward::SwiGLU;
use crate::layers::linear::Linear;
use crate::layers::rms_norm::RMSNorm;
use crate::module::{Forward, Module, child_prefix};

/// The shape of a [`Llama`], Hugging Face's `LlamaConfig` field names.
#[derive(Clone, Debug, PartialEq)]
pub struct LlamaConfig {
    /// V, the number of token ids.
    pub vocab_size: usize,
    /// The context the model is trained for. RoPE has no table, so longer inputs run;
    /// recorded for the training loop, not enforced.
    pub max_position_embeddings: usize,
    /// Number of blocks.
    pub num_hidden_layers: usize,
    /// Query heads H; must divide `hidden_size`.
    pub num_attention_heads: usize,
    /// Key/value heads G; must divide `num_attention_heads` (default H; 1 = MQA).
    pub num_key_value_heads: usize,
    /// Model width C.
    pub hidden_size: usize,
    /// SwiGLU hidden width F (default ⌈8C/3⌉ rounded up to a multiple of 32, LLaMA's
    /// rule with `multiple_of = 32`).
    pub intermediate_size: usize,
    /// ε of every RMSNorm (default 1e-6).
    pub rms_norm_eps: f64,
    /// RoPE base θ (default 10000).
    pub rope_theta: f64,
    /// Dropout on the attention weights and the attention output, in training (default
    /// 0; Hugging Face's `attention_dropout` acts on the weights only).
    pub dropout: f64,
    /// Biases in the attention and SwiGLU projections (default false).
    pub bias: bool,
}

impl LlamaConfig {
    /// `num_hidden_layers` blocks of width `hidden_size` with `num_attention_heads`
    /// heads (as many key/value heads), SwiGLU ≈ 8C/3, no biases, no dropout.
    pub fn new(
        vocab_size: usize,
        max_position_embeddings: usize,
        num_hidden_layers: usize,
        num_attention_heads: usize,
        hidden_size: usize,
    ) -> LlamaConfig {
        LlamaConfig {
            vocab_size,
            max_position_embeddings,
            num_hidden_layers,
            num_attention_heads,
            num_key_value_heads: num_attention_heads,
            hidden_size,
            intermediate_size: (8 * hidden_size).div_ceil(3).div_ceil(32) * 32,
            rms_norm_eps: 1e-6,
            rope_theta: 10_000.0,
            dropout: 0.0,
            bias: false,
        }
    }

    /// The LLaMA twin of [`GPTConfig::nanogpt_cpu`](super::gpt::GPTConfig::nanogpt_cpu):
    /// 4 layers, 4 query heads sharing 2 key/value heads, C = 128, context 64,
    /// SwiGLU 384. The key/value heads save what the third SwiGLU matrix costs: each
    /// block has exactly GPT's 196,864 parameters, and the model 804,224 for V = 65
    /// (GPT: 804,096; LLaMA has an untied `lm_head` but no position table).
    pub fn nanogpt_cpu(vocab_size: usize) -> LlamaConfig {
        LlamaConfig::new(vocab_size, 64, 4, 4, 128)
            .num_key_value_heads(2)
            .intermediate_size(384)
    }

    /// Set the number of key/value heads.
    pub fn num_key_value_heads(mut self, num_key_value_heads: usize) -> Self {
        self.num_key_value_heads = num_key_value_heads;
        self
    }
    /// Set the SwiGLU hidden width.
    pub fn intermediate_size(mut self, intermediate_size: usize) -> Self {
        self.intermediate_size = intermediate_size;
        self
    }
    /// Set the RoPE base.
    pub fn rope_theta(mut self, rope_theta: f64) -> Self {
        self.rope_theta = rope_theta;
        self
    }
    /// Set the dropout probability.
    pub fn dropout(mut self, dropout: f64) -> Self {
        self.dropout = dropout;
        self
    }
    /// Set whether the projections have biases.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    fn rms_norm(&self) -> RMSNorm {
        RMSNorm::new(&[self.hidden_size]).eps(Some(self.rms_norm_eps))
    }
}

/// One LLaMA block, Hugging Face's `LlamaDecoderLayer`:
/// `x + self_attn(input_layernorm(x))`, then `+ mlp(post_attention_layernorm(·))`.
///
/// # Shapes
/// input and output `[B, T, C]`.
pub struct LlamaBlock {
    /// RMSNorm before the attention.
    pub input_layernorm: RMSNorm,
    /// Causal self-attention with RoPE and grouped key/value heads.
    pub self_attn: CausalSelfAttention,
    /// RMSNorm before the feed-forward block.
    pub post_attention_layernorm: RMSNorm,
    /// The SwiGLU feed-forward block.
    pub mlp: SwiGLU,
}

impl LlamaBlock {
    /// A block of `config`'s shape, PyTorch's default init (the model re-initialises).
    ///
    /// # Panics
    /// If the heads do not divide as [`CausalSelfAttention::new`] requires.
    #[track_caller]
    pub fn new(config: &LlamaConfig) -> LlamaBlock {
        let c = config;
        let attn = CausalAttentionConfig::new(c.hidden_size, c.num_attention_heads)
            .num_kv_heads(c.num_key_value_heads)
            .rope(c.rope_theta)
            .bias(c.bias)
            .dropout(c.dropout);
        LlamaBlock {
            input_layernorm: c.rms_norm(),
            self_attn: CausalSelfAttention::new(attn),
            post_attention_layernorm: c.rms_norm(),
            mlp: SwiGLU::new(c.hidden_size, c.intermediate_size, c.bias),
        }
    }

    /// The block on new positions `x`, with the attention's KV cache (see
    /// [`CausalSelfAttention::forward_cached`]).
    #[track_caller]
    pub fn forward_cached(&self, x: &Var, cache: &mut KvCache) -> Var {
        self.forward_block(x, Some(cache))
    }
}

impl DecoderBlock for LlamaBlock {
    fn forward_block(&self, x: &Var, cache: Option<&mut KvCache>) -> Var {
        super::pre_norm_block(
            x,
            &self.input_layernorm,
            &self.self_attn,
            &self.post_attention_layernorm,
            &self.mlp,
            cache,
        )
    }
}

impl Forward for LlamaBlock {
    /// `h = x + self_attn(input_layernorm(x))`, `h + mlp(post_attention_layernorm(h))`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.forward_block(x, None)
    }
}

impl Module for LlamaBlock {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.input_layernorm
            .visit_params(&child_prefix(prefix, "input_layernorm"), f);
        self.self_attn
            .visit_params(&child_prefix(prefix, "self_attn"), f);
        self.post_attention_layernorm
            .visit_params(&child_prefix(prefix, "post_attention_layernorm"), f);
        self.mlp.visit_params(&child_prefix(prefix, "mlp"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.self_attn.set_training(training);
    }
}

/// The LLaMA language model; see the [module docs](self).
///
/// # Shapes
/// token ids `[B, T]` (i64) → logits `[B, T, V]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::decoding::{SamplingConfig, sample};
/// use ferrograd::nn::layers::decoder_only::llama::{Llama, LlamaConfig};
/// use ferrograd::nn::Module;
/// use ferrograd::tensor::Tensor;
/// let config = LlamaConfig::nanogpt_cpu(65);
/// let model = Llama::new(config);
/// assert_eq!(model.num_parameters(), 804_224);
/// let logits = model.forward(&Tensor::from_vec_i64(vec![5, 9, 2], &[1, 3]));
/// assert_eq!(logits.shape(), vec![1, 3, 65]);
/// // sampling with the KV cache, seeded
/// let sampling = SamplingConfig::new(4).temperature(0.8).top_k(10).seed(0);
/// let new_tokens = sample(&model, &[vec![5, 9]], &sampling);
/// assert_eq!(new_tokens[0].len(), 4);
/// ```
pub struct Llama {
    /// Token table `[V, C]`.
    pub embed_tokens: Embedding,
    /// The blocks.
    pub layers: Vec<LlamaBlock>,
    /// The final RMSNorm.
    pub norm: RMSNorm,
    /// The output layer `[V, C]`, no bias.
    pub lm_head: Linear,
    /// The shape it was built with.
    pub config: LlamaConfig,
}

impl Llama {
    /// A model of `config`'s shape with Hugging Face's initialisation.
    ///
    /// # Panics
    /// If the heads do not divide as [`CausalSelfAttention::new`] requires.
    #[track_caller]
    pub fn new(config: LlamaConfig) -> Llama {
        let c = &config;
        let model = Llama {
            embed_tokens: Embedding::new(c.vocab_size, c.hidden_size),
            layers: (0..c.num_hidden_layers)
                .map(|_| LlamaBlock::new(c))
                .collect(),
            norm: c.rms_norm(),
            lm_head: Linear::with_bias(c.hidden_size, c.vocab_size, false),
            config,
        };
        init_normal(&model, 0.02, &[], 0.02);
        model
    }

    /// Logits `[B, T, V]` for token ids `[B, T]` at positions `0 .. T`.
    ///
    /// # Panics
    /// If `ids` is not a `[B, T]` i64 tensor of ids below `vocab_size`.
    #[track_caller]
    pub fn forward(&self, ids: &Tensor) -> Var {
        self.logits(ids, None)
    }

    /// Logits `[B, T_new, V]` of the new tokens `ids` `[B, T_new]`, at positions
    /// `cache.len() ..`; the cache keeps their keys and values (after RoPE). Feeding a
    /// sequence in pieces gives the rows of one `forward` over all of it.
    ///
    /// # Panics
    /// As [`Llama::forward`], and if the cache was not made by [`Llama::new_cache`] or
    /// holds another batch size.
    #[track_caller]
    pub fn forward_cached(&self, ids: &Tensor, cache: &mut StackCache) -> Var {
        self.logits(ids, Some(cache))
    }

    /// An empty cache for [`Llama::forward_cached`], one KV cache per block.
    pub fn new_cache(&self) -> StackCache {
        StackCache::new(self.layers.len())
    }

    #[track_caller]
    fn logits(&self, ids: &Tensor, cache: Option<&mut StackCache>) -> Var {
        check_ids("Llama", ids);
        let x = self.embed_tokens.forward(ids);
        let x = run_blocks("Llama", &self.layers, x, cache);
        self.lm_head.forward(&self.norm.forward(&x))
    }
}

impl Module for Llama {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.embed_tokens
            .visit_params(&child_prefix(prefix, "embed_tokens"), f);
        for (i, block) in self.layers.iter().enumerate() {
            block.visit_params(&child_prefix(prefix, &format!("layers.{i}")), f);
        }
        self.norm.visit_params(&child_prefix(prefix, "norm"), f);
        self.lm_head
            .visit_params(&child_prefix(prefix, "lm_head"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.layers
            .iter_mut()
            .for_each(|b| b.set_training(training));
    }
}

/// Generation with the KV cache: `greedy(&llama, ..)`, `sample`, `beam_search`.
impl NextTokenModel for Llama {
    type Cache = StackCache;
    fn new_cache(&self, _batch: usize) -> StackCache {
        Llama::new_cache(self)
    }
    fn next_token_logits(&self, prefixes: &[Vec<usize>], cache: &mut StackCache) -> Tensor {
        next_token_logits(prefixes, cache, |ids, cache| {
            self.forward_cached(ids, cache)
        })
    }
    fn reorder_cache(&self, cache: &mut StackCache, rows: &[usize]) {
        cache.reorder(rows);
    }
}
