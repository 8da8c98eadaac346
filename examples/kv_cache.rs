//! What the KV cache saves: a 3-layer, d = 256 Transformer decoder generating 128
//! tokens, greedily, with and without its cache, through `nn::decoding::greedy`.
//!
//! ```text
//! cargo run --release --example kv_cache
//! ```
//! Without the cache, step t runs the decoder on the whole prefix of t + 1 tokens:
//! every layer projects t + 1 positions and scores (t + 1)² query–key pairs, so a
//! sequence of n tokens costs O(n²) projections. With the cache
//! (`TransformerDecoder::forward_cached`) step t projects the one new token and scores
//! it against t + 1 kept keys: O(n) projections in all. The model is untrained (random
//! weights; speed does not depend on them); both runs must produce the same tokens.
//! Each mode runs three times, alternating, and the median is reported. The last line
//! is the figure that matters: tokens per second with and without the cache.

use std::time::Instant;

use ferrograd::nn::decoding::{NextTokenModel, greedy};
use ferrograd::nn::layers::transformer::cache::StackCache;
use ferrograd::nn::layers::transformer::{DecoderMasks, TransformerLayerConfig};
use ferrograd::nn::{
    Embedding, Linear, Module, SinusoidalPositionalEncoding, TransformerDecoder,
    TransformerDecoderLayer,
};
use ferrograd::prelude::*;

const VOCAB: usize = 1000;
const D_MODEL: usize = 256;
const LAYERS: usize = 3;
const SOURCE_LEN: usize = 32;
const NEW_TOKENS: usize = 128;
const RUNS: usize = 3;

/// Token embedding + positions → decoder stack (attending to a fixed memory) → logits.
struct Decoder {
    embed: Embedding,
    pe: SinusoidalPositionalEncoding,
    decoder: TransformerDecoder,
    out: Linear,
    /// The encoder output the decoder attends to, `[T_src, 1, d]`.
    memory: Var,
}

impl Decoder {
    fn new() -> Decoder {
        let config = TransformerLayerConfig::new(D_MODEL, 8)
            .dim_feedforward(4 * D_MODEL)
            .dropout(0.0);
        let mut decoder =
            TransformerDecoder::new(TransformerDecoderLayer::new(config), LAYERS, None);
        decoder.eval();
        Decoder {
            embed: Embedding::new(VOCAB, D_MODEL),
            pe: SinusoidalPositionalEncoding::new(D_MODEL, NEW_TOKENS + 1).dropout(0.0),
            decoder,
            out: Linear::new(D_MODEL, VOCAB),
            memory: Var::new(Tensor::randn(&[SOURCE_LEN, 1, D_MODEL])),
        }
    }

    /// Embeddings of the tokens at positions `from..` of the (one) prefix, `[T, 1, d]`.
    fn embed_from(&self, prefix: &[usize], from: usize) -> Var {
        let ids: Vec<f32> = prefix[from..].iter().map(|&i| i as f32).collect();
        let x = self
            .embed
            .forward(&Tensor::from_vec(ids, &[prefix.len() - from, 1]));
        self.pe.forward_from(&x, from)
    }

    /// Logits `[1, V]` of the last position of decoder output `h` `[T, 1, d]`.
    fn last_logits(&self, h: &Var) -> Tensor {
        let last = h.select(0, h.shape()[0] - 1);
        ferrograd::nn::Forward::forward(&self.out, &last).value()
    }

    /// Without a cache: the decoder on the whole prefix, every step.
    fn recompute(&self, prefixes: &[Vec<usize>]) -> Tensor {
        let masks = DecoderMasks {
            tgt_is_causal: true,
            ..Default::default()
        };
        let h = self
            .decoder
            .forward(&self.embed_from(&prefixes[0], 0), &self.memory, &masks);
        self.last_logits(&h)
    }
}

/// With the cache: only the tokens the cache has not read go through the decoder.
impl NextTokenModel for Decoder {
    type Cache = StackCache;
    fn new_cache(&self, _batch: usize) -> StackCache {
        self.decoder.new_cache()
    }
    fn next_token_logits(&self, prefixes: &[Vec<usize>], cache: &mut StackCache) -> Tensor {
        let new = self.embed_from(&prefixes[0], cache.len());
        let masks = DecoderMasks {
            tgt_is_causal: true,
            ..Default::default()
        };
        let h = self
            .decoder
            .forward_cached(&new, &self.memory, &masks, cache);
        self.last_logits(&h)
    }
    fn reorder_cache(&self, cache: &mut StackCache, rows: &[usize]) {
        cache.reorder(rows);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    manual_seed(0);
    let model = Decoder::new();
    println!(
        "decoder: {LAYERS} layers, d_model {D_MODEL}, 8 heads, {} parameters; memory of {SOURCE_LEN} positions; \
         {NEW_TOKENS} new tokens, greedy, batch 1",
        model.decoder.num_parameters()
    );
    let prompt = vec![vec![1]]; // a begin-of-sequence token
    let uncached = |prefixes: &[Vec<usize>]| model.recompute(prefixes);
    let (mut with_cache, mut without) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let start = Instant::now();
        let fast = greedy(&model, &prompt, NEW_TOKENS, None);
        with_cache.push(NEW_TOKENS as f64 / start.elapsed().as_secs_f64());
        let start = Instant::now();
        let slow = greedy(&uncached, &prompt, NEW_TOKENS, None);
        without.push(NEW_TOKENS as f64 / start.elapsed().as_secs_f64());
        assert_eq!(fast, slow, "the cache must not change the tokens");
        println!(
            "run {}: with the cache {:>7.1} tokens/s, without {:>7.1} tokens/s",
            run + 1,
            with_cache[run],
            without[run]
        );
    }
    let (fast, slow) = (median(with_cache), median(without));
    println!(
        "KV cache: {fast:.1} tokens/s vs {slow:.1} tokens/s without ({:.1}× faster) for {NEW_TOKENS} tokens",
        fast / slow
    );
}
