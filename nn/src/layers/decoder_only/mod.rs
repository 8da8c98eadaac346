//! Decoder-only language models: [`gpt::GPT`] (GPT-2 / nanoGPT) and [`llama::Llama`]
//! (LLaMA / Hugging Face). Both read token ids and score every next token:
//!
//! ```text
//! ids [B, T] (i64) → x = embed(ids) (+ positions)            [B, T, C]
//! N blocks, each pre-norm with two residual branches:
//!     x = x + attn(norm₁(x))       causal self-attention
//!     x = x + ffn(norm₂(x))        position-wise feed-forward
//! logits = norm(x) · W_outᵀ                                   [B, T, V]
//! logits[b, t] scores the token at t + 1 given ids[b, ..= t]
//! ```
//! | | GPT (nanoGPT's names) | LLaMA (Hugging Face's names) |
//! |---|---|---|
//! | positions | learned, added: `wpe` | RoPE, inside attention on q and k |
//! | norm | LayerNorm (`ln_1`, `ln_2`, `ln_f`) | RMSNorm (`input_layernorm`, `post_attention_layernorm`, `norm`) |
//! | attention | `attn`: H heads | `self_attn`: H query heads, G key/value heads (GQA) |
//! | feed-forward | `mlp`: GELU MLP, 4C | `mlp`: SwiGLU, ≈ 8C/3 |
//! | biases | optional (`bias`) | none by default |
//! | output | tied to `wte` | `lm_head`, its own |
//!
//! Pre-norm (the norm inside the residual branch, GPT-2 onwards) leaves an identity
//! path from the embeddings to the last block, which is what lets deep stacks train
//! without warm-up tricks; the extra final norm then scales the output.
//!
//! Generation: `forward_cached` reads only the new tokens and keeps each block's keys
//! and values in a [`StackCache`] (one [`KvCache`] per block), with the same logits
//! as `forward` on the whole sequence; both models implement
//! [`NextTokenModel`](crate::decoding::NextTokenModel), so `greedy`, `sample` and
//! `beam_search` drive them with their cache.
//!
//! Files: [`gpt`] (read first), [`llama`]. The block and model logic they share is
//! here: [`pre_norm_block`], the stack loop, the next-token step and the GPT-2-style
//! initialisation. Read next: [`crate::masked_lm`] (BERT's objective), then
//! [`crate::decoding`].

pub mod gpt;
pub mod llama;

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::init;
use crate::layers::attention::KvCache;
use crate::layers::attention::causal_self_attention::CausalSelfAttention;
pub use crate::layers::transformer::cache::StackCache;
use crate::module::{Forward, Module};

/// One pre-norm decoder block, with the KV cache when given:
///
/// ```text
/// h = x + attn(norm1(x))
/// y = h + ffn(norm2(h))
/// ```
/// GPT's and LLaMA's blocks are this function with their own norms and feed-forward.
///
/// # Shapes
/// `x` and output `[B, T, C]`; the cache `[B, G, T_cached, D]`.
///
/// # Panics
/// If a part refuses `x` (each names itself), or the cache holds another batch size.
#[track_caller]
pub fn pre_norm_block(
    x: &Var,
    norm1: &impl Forward,
    attn: &CausalSelfAttention,
    norm2: &impl Forward,
    ffn: &impl Forward,
    cache: Option<&mut KvCache>,
) -> Var {
    let normed = norm1.forward(x);
    let attended = match cache {
        Some(cache) => attn.forward_cached(&normed, cache),
        None => attn.forward(&normed),
    };
    let h = x + &attended;
    &h + &ffn.forward(&norm2.forward(&h))
}

/// A block of a decoder-only stack: [`pre_norm_block`] with its own parts.
pub(crate) trait DecoderBlock: Module {
    /// The block on `x` `[B, T, C]`, reading and extending `cache` if given.
    fn forward_block(&self, x: &Var, cache: Option<&mut KvCache>) -> Var;
}

/// `x` through every block in turn; with a cache, each block uses its own.
///
/// # Panics
/// Naming `model`, if `cache` does not hold one cache per block.
#[track_caller]
pub(crate) fn run_blocks<L: DecoderBlock>(
    model: &'static str,
    blocks: &[L],
    x: Var,
    cache: Option<&mut StackCache>,
) -> Var {
    let Some(cache) = cache else {
        return blocks.iter().fold(x, |x, b| b.forward_block(&x, None));
    };
    if cache.layers.len() != blocks.len() {
        Error::new(
            model,
            ErrorKind::Shape,
            format!(
                "{model}: the cache holds {} layer caches for {} blocks",
                cache.layers.len(),
                blocks.len()
            ),
        )
        .with_hint(format!("make the cache with {model}::new_cache()"))
        .raise();
    }
    blocks
        .iter()
        .zip(&mut cache.layers)
        .fold(x, |x, (b, c)| b.forward_block(&x, Some(&mut c.self_attn)))
}

/// Checks that `ids` is `[B, T]` with `T > 0`; returns `(B, T)`. (The embedding
/// checks the dtype and the range of the ids.)
#[track_caller]
pub(crate) fn check_ids(model: &'static str, ids: &Tensor) -> (usize, usize) {
    let shape = ids.shape();
    if shape.len() != 2 || shape[1] == 0 {
        Error::new(
            model,
            ErrorKind::Shape,
            format!("{model}: token ids have shape {shape:?}, expected [B, T] with T > 0"),
        )
        .with_hint("one row of i64 token ids per sequence, e.g. Tensor::from_vec_i64(ids, &[1, n])")
        .raise();
    }
    (shape[0], shape[1])
}

/// The logits `[B, V]` of the token after each prefix: feeds `forward_cached` the ids
/// of every prefix the cache has not read (all prefixes have the same length, as the
/// decoding loop makes them) and keeps the last position.
pub(crate) fn next_token_logits(
    prefixes: &[Vec<usize>],
    cache: &mut StackCache,
    forward_cached: impl FnOnce(&Tensor, &mut StackCache) -> Var,
) -> Tensor {
    let from = cache.len();
    let t_new = prefixes.first().map_or(0, |p| p.len().saturating_sub(from));
    let ids: Vec<i64> = prefixes
        .iter()
        .flat_map(|p| {
            assert_eq!(
                p.len(),
                from + t_new,
                "next_token_logits: prefixes of different lengths"
            );
            p[from..].iter().map(|&t| t as i64)
        })
        .collect();
    let ids = Tensor::from_vec_i64(ids, &[prefixes.len(), t_new]);
    let logits = forward_cached(&ids, cache).value();
    let [b, t, v] = logits.shape()[..] else {
        unreachable!("the models return [B, T, V]")
    };
    logits.narrow(1, t - 1, 1).reshape(&[b, v])
}

/// GPT-2's initialisation (nanoGPT's `_init_weights`, Hugging Face LLaMA's with
/// `initializer_range = std`): every matrix (Linear and Embedding weights) from
/// N(0, std), every bias 0, norms untouched (γ = 1, β = 0); matrices whose name ends
/// with one of `residual_out` (the projections that write into the residual stream)
/// from N(0, residual_std) instead.
pub(crate) fn init_normal(model: &impl Module, std: f64, residual_out: &[&str], residual_std: f64) {
    for (name, p) in model.named_parameters() {
        if name.ends_with("bias") {
            p.set_value(init::zeros(&p.shape()));
        } else if p.dims() >= 2 {
            let scaled = residual_out.iter().any(|s| name.ends_with(s));
            let std = if scaled { residual_std } else { std };
            p.set_value(init::normal(&p.shape(), 0.0, std));
        }
    }
}

#[cfg(test)]
mod tests;
