//! GPT (Radford et al. 2019, GPT-2), as Karpathy's nanoGPT writes it: [`GPTConfig`],
//! [`GPTBlock`] and the model [`GPT`].
//!
//! ```text
//! x = drop(wte[ids] + wpe[t₀ .. t₀+T])           learned token and position tables
//! for each block h.i:
//!     x = x + attn(ln_1(x))                      causal self-attention, H heads
//!     x = x + mlp(ln_2(x))                       c_proj(GELU(c_fc(x))), 4C hidden
//! logits = ln_f(x) · wteᵀ                        [B, T, V]: the output is tied to wte
//! ```
//! Tying the output to the input table (Press & Wolf 2017) saves `V·C` parameters and
//! helps small models: a token's embedding is also the direction that predicts it.
//! Parameter names are nanoGPT's without its `transformer.` prefix: `wte.weight`,
//! `wpe.weight`, `h.{i}.ln_1.weight`, `h.{i}.attn.{q,k,v,o}_proj.weight` (nanoGPT's
//! `c_attn` is q, k, v stacked and its `c_proj` is `o_proj`), `h.{i}.ln_2.weight`,
//! `h.{i}.mlp.c_fc.weight`, `h.{i}.mlp.c_proj.weight`, `ln_f.weight` (and `.bias`
//! of each when `bias`), and `lm_head.weight`, the same tensor as `wte.weight` (listed
//! once by `parameters()`, saved under both names by `state_dict()`, as PyTorch).
//! Init: nanoGPT's, N(0, 0.02) for every matrix, N(0, 0.02/√(2·n_layer)) for the two
//! projections into the residual stream (`o_proj`, `mlp.c_proj`), zero biases.
//! Read next: [`super::llama`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::{DecoderBlock, StackCache, check_ids, init_normal, next_token_logits, run_blocks};
use crate::decoding::NextTokenModel;
use crate::layers::attention::KvCache;
use crate::layers::attention::causal_self_attention::{CausalAttentionConfig, CausalSelfAttention};
use crate::layers::embedding::Embedding;
use crate::layers::feed_forward::Mlp;
use crate::layers::layer_norm::LayerNorm;
use crate::layers::positional::LearnedPositionalEncoding;
use crate::module::{Forward, Module, child_prefix};

/// The shape of a [`GPT`], nanoGPT's `GPTConfig` field names.
#[derive(Clone, Debug, PartialEq)]
pub struct GPTConfig {
    /// V, the number of token ids.
    pub vocab_size: usize,
    /// The context: the longest sequence (rows of `wpe`).
    pub block_size: usize,
    /// Number of blocks.
    pub n_layer: usize,
    /// Attention heads per block; must divide `n_embd`.
    pub n_head: usize,
    /// Model width C.
    pub n_embd: usize,
    /// Hidden width of each MLP (default 4·C).
    pub ffn_hidden: usize,
    /// Dropout on the embeddings, the attention weights and both residual branches,
    /// in training (default 0).
    pub dropout: f64,
    /// Biases in the Linear layers and LayerNorms (default true; nanoGPT's train.py
    /// uses false).
    pub bias: bool,
    /// ε of every LayerNorm (default 1e-5).
    pub layer_norm_eps: f64,
}

impl GPTConfig {
    /// `n_layer` blocks of width `n_embd` with `n_head` heads; MLP 4·C, no dropout,
    /// biases.
    pub fn new(
        vocab_size: usize,
        block_size: usize,
        n_layer: usize,
        n_head: usize,
        n_embd: usize,
    ) -> GPTConfig {
        GPTConfig {
            vocab_size,
            block_size,
            n_layer,
            n_head,
            n_embd,
            ffn_hidden: 4 * n_embd,
            dropout: 0.0,
            bias: true,
            layer_norm_eps: 1e-5,
        }
    }

    /// nanoGPT's CPU recipe for Shakespeare characters ("I only have a MacBook"): 4
    /// layers, 4 heads, C = 128, context 64, no biases, dropout 0 (804,096
    /// parameters for V = 65).
    pub fn nanogpt_cpu(vocab_size: usize) -> GPTConfig {
        GPTConfig::new(vocab_size, 64, 4, 4, 128).bias(false)
    }

    /// Set the dropout probability.
    pub fn dropout(mut self, dropout: f64) -> Self {
        self.dropout = dropout;
        self
    }
    /// Set whether Linear layers and LayerNorms have biases.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }
    /// Set the MLP's hidden width.
    pub fn ffn_hidden(mut self, ffn_hidden: usize) -> Self {
        self.ffn_hidden = ffn_hidden;
        self
    }

    fn layer_norm(&self) -> LayerNorm {
        LayerNorm::new(&[self.n_embd])
            .eps(self.layer_norm_eps)
            .bias(self.bias)
    }
}

/// One GPT block, nanoGPT's `Block`: `x + attn(ln_1(x))`, then `+ mlp(ln_2(·))`.
///
/// # Shapes
/// input and output `[B, T, C]`.
pub struct GPTBlock {
    /// LayerNorm before the attention.
    pub ln_1: LayerNorm,
    /// Causal self-attention, `n_head` heads, no RoPE.
    pub attn: CausalSelfAttention,
    /// LayerNorm before the MLP.
    pub ln_2: LayerNorm,
    /// The GELU MLP.
    pub mlp: Mlp,
}

impl GPTBlock {
    /// A block of `config`'s shape, PyTorch's default init (the model re-initialises).
    ///
    /// # Panics
    /// If `n_head` does not divide `n_embd`.
    #[track_caller]
    pub fn new(config: &GPTConfig) -> GPTBlock {
        let c = config;
        let attn = CausalAttentionConfig::new(c.n_embd, c.n_head)
            .bias(c.bias)
            .dropout(c.dropout);
        GPTBlock {
            ln_1: c.layer_norm(),
            attn: CausalSelfAttention::new(attn),
            ln_2: c.layer_norm(),
            mlp: Mlp::new(c.n_embd, c.ffn_hidden, c.bias).dropout(c.dropout),
        }
    }

    /// The block on new positions `x`, with the attention's KV cache (see
    /// [`CausalSelfAttention::forward_cached`]).
    #[track_caller]
    pub fn forward_cached(&self, x: &Var, cache: &mut KvCache) -> Var {
        self.forward_block(x, Some(cache))
    }
}

impl DecoderBlock for GPTBlock {
    fn forward_block(&self, x: &Var, cache: Option<&mut KvCache>) -> Var {
        super::pre_norm_block(x, &self.ln_1, &self.attn, &self.ln_2, &self.mlp, cache)
    }
}

impl Forward for GPTBlock {
    /// `h = x + attn(ln_1(x))`, `h + mlp(ln_2(h))`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.forward_block(x, None)
    }
}

impl Module for GPTBlock {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.ln_1.visit_params(&child_prefix(prefix, "ln_1"), f);
        self.attn.visit_params(&child_prefix(prefix, "attn"), f);
        self.ln_2.visit_params(&child_prefix(prefix, "ln_2"), f);
        self.mlp.visit_params(&child_prefix(prefix, "mlp"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.attn.set_training(training);
        self.mlp.set_training(training);
    }
}

/// The GPT language model; see the [module docs](self).
///
/// # Shapes
/// token ids `[B, T]` (i64, `T ≤ block_size`) → logits `[B, T, V]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::decoding::greedy;
/// use ferrograd::nn::layers::decoder_only::gpt::{GPT, GPTConfig};
/// use ferrograd::nn::loss::cross_entropy;
/// use ferrograd::nn::Module;
/// use ferrograd::tensor::Tensor;
/// let model = GPT::new(GPTConfig::new(65, 16, 2, 2, 32));
/// let ids = Tensor::from_vec_i64((0..24).map(|i| i % 65).collect(), &[2, 12]); // [B, T]
/// let logits = model.forward(&ids.narrow(1, 0, 11)); // [B, T, V]
/// assert_eq!(logits.shape(), vec![2, 11, 65]);
/// // next-token loss: position t predicts ids[t + 1]
/// let targets = ids.narrow(1, 1, 11).contiguous().reshape(&[22]);
/// let loss = cross_entropy(&logits.reshape(&[22, 65]), &targets);
/// loss.backward();
/// // generation with the KV cache (nn::decoding drives any NextTokenModel)
/// let new_tokens = greedy(&model, &[vec![1, 2, 3]], 5, None);
/// assert_eq!(new_tokens[0].len(), 5);
/// ```
pub struct GPT {
    /// Token table `[V, C]`, also the output layer.
    pub wte: Embedding,
    /// Position table `[block_size, C]`.
    pub wpe: LearnedPositionalEncoding,
    /// The blocks.
    pub h: Vec<GPTBlock>,
    /// The final LayerNorm.
    pub ln_f: LayerNorm,
    /// The shape it was built with.
    pub config: GPTConfig,
    training: bool,
}

impl GPT {
    /// A model of `config`'s shape with nanoGPT's initialisation (see the module docs).
    ///
    /// # Panics
    /// If `n_head` does not divide `n_embd`, or dropout is not in [0, 1].
    #[track_caller]
    pub fn new(config: GPTConfig) -> GPT {
        let c = &config;
        let model = GPT {
            wte: Embedding::new(c.vocab_size, c.n_embd),
            wpe: LearnedPositionalEncoding::new(c.n_embd, c.block_size).batch_first(true),
            h: (0..c.n_layer).map(|_| GPTBlock::new(c)).collect(),
            ln_f: c.layer_norm(),
            config,
            training: true,
        };
        let residual_std = 0.02 / (2.0 * model.config.n_layer as f64).sqrt();
        init_normal(
            &model,
            0.02,
            &["o_proj.weight", "c_proj.weight"],
            residual_std,
        );
        model
    }

    /// Logits `[B, T, V]` for token ids `[B, T]` at positions `0 .. T`.
    ///
    /// # Panics
    /// If `ids` is not a `[B, T]` i64 tensor of ids below `vocab_size`, or
    /// `T > block_size`.
    #[track_caller]
    pub fn forward(&self, ids: &Tensor) -> Var {
        self.logits(ids, None)
    }

    /// Logits `[B, T_new, V]` of the new tokens `ids` `[B, T_new]`, which follow the
    /// `cache.len()` tokens the cache has read; the cache keeps their keys and values.
    /// Feeding a sequence in pieces gives the rows of one `forward` over all of it.
    ///
    /// # Panics
    /// As [`GPT::forward`] (with `cache.len() + T_new ≤ block_size`), and if the cache
    /// was not made by [`GPT::new_cache`] or holds another batch size.
    #[track_caller]
    pub fn forward_cached(&self, ids: &Tensor, cache: &mut StackCache) -> Var {
        self.logits(ids, Some(cache))
    }

    /// An empty cache for [`GPT::forward_cached`], one KV cache per block.
    pub fn new_cache(&self) -> StackCache {
        StackCache::new(self.h.len())
    }

    #[track_caller]
    fn logits(&self, ids: &Tensor, cache: Option<&mut StackCache>) -> Var {
        let (_, t) = check_ids("GPT", ids);
        let start = cache.as_ref().map_or(0, |c| c.len());
        let block_size = self.config.block_size;
        if start + t > block_size {
            Error::new(
                "GPT",
                ErrorKind::Shape,
                format!(
                    "GPT: positions {start}..{} do not fit the context block_size = {block_size}",
                    start + t
                ),
            )
            .with_hint("crop the input to its last block_size tokens (and start a new cache)")
            .raise();
        }
        let x = self.wpe.forward_from(&self.wte.forward(ids), start);
        let x = x.dropout(self.config.dropout, self.training);
        let x = run_blocks("GPT", &self.h, x, cache);
        self.ln_f.forward(&x).linear(&self.wte.weight, None)
    }
}

impl Module for GPT {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.wte.visit_params(&child_prefix(prefix, "wte"), f);
        self.wpe.visit_params(&child_prefix(prefix, "wpe"), f);
        for (i, block) in self.h.iter().enumerate() {
            block.visit_params(&child_prefix(prefix, &format!("h.{i}")), f);
        }
        self.ln_f.visit_params(&child_prefix(prefix, "ln_f"), f);
        // tied: the output layer is the token table, under PyTorch's second name
        f(&format!("{prefix}lm_head.weight"), &self.wte.weight);
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.h.iter_mut().for_each(|b| b.set_training(training));
    }
}

/// Generation with the KV cache: `greedy(&gpt, ..)`, `sample`, `beam_search`.
impl NextTokenModel for GPT {
    type Cache = StackCache;
    fn new_cache(&self, _batch: usize) -> StackCache {
        GPT::new_cache(self)
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
