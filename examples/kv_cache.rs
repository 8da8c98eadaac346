//! What the KV cache saves: a 3-layer, d = 256 Transformer decoder generating 128
//! tokens, greedily, with and without its cache, through `nn::decoding::greedy`.
//!
//! ```text
//! cargo run --release --example kv_cache                  # 3 layers, d 256, 128 tokens
//! cargo run --release --example kv_cache -- --tokens 256 --d-model 512
//! ```
//! Without the cache, step t runs the decoder on the whole prefix of t + 1 tokens:
//! every layer projects t + 1 positions and scores (t + 1)² query–key pairs, so a
//! sequence of n tokens costs O(n²) projections. With the cache
//! (`TransformerDecoder::forward_cached`) step t projects the one new token and scores
//! it against t + 1 kept keys: O(n) projections in all. The model is untrained (random
//! weights; speed does not depend on them); both runs must produce the same tokens.
//! Each mode runs `--runs` times (3), alternating, and the median is reported. The last
//! line is the figure that matters: tokens per second with and without the cache.

use std::time::Instant;

use ferrograd::nn::decoding::{NextTokenModel, greedy};
use ferrograd::nn::layers::transformer::cache::StackCache;
use ferrograd::nn::layers::transformer::{DecoderMasks, TransformerLayerConfig};
use ferrograd::nn::{
    Embedding, Linear, Module, SinusoidalPositionalEncoding, TransformerDecoder,
    TransformerDecoderLayer,
};
use ferrograd::prelude::*;

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "common/cli.rs"]
mod cli;

const VOCAB: usize = 1000;
const HEADS: usize = 8;
const SOURCE_LEN: usize = 32;

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
    /// `layers` decoder layers of width `d` (FF 4·d), positions up to `max_len`.
    fn new(layers: usize, d: usize, max_len: usize) -> Decoder {
        let config = TransformerLayerConfig::new(d, HEADS)
            .dim_feedforward(4 * d)
            .dropout(0.0);
        let mut decoder =
            TransformerDecoder::new(TransformerDecoderLayer::new(config), layers, None);
        decoder.eval();
        Decoder {
            embed: Embedding::new(VOCAB, d),
            pe: SinusoidalPositionalEncoding::new(d, max_len).dropout(0.0),
            decoder,
            out: Linear::new(d, VOCAB),
            memory: Var::new(Tensor::randn(&[SOURCE_LEN, 1, d])),
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

fn main() -> std::process::ExitCode {
    cli::run(kv_cache)
}

fn kv_cache() -> cli::Result<()> {
    let args = cli::Cli::new(
        "kv_cache",
        "Times greedy decoding of a Transformer decoder with and without its KV cache.",
    )
    .flag("--tokens", "N", "128", "tokens to generate")
    .flag("--layers", "N", "3", "decoder layers")
    .flag(
        "--d-model",
        "N",
        "256",
        "model width (8 heads, feed-forward 4·d)",
    )
    .flag("--runs", "N", "3", "timed runs of each mode, alternating")
    .parse()?;
    let (tokens, layers): (usize, usize) = (args.get("--tokens")?, args.get("--layers")?);
    let (d, runs): (usize, usize) = (args.get("--d-model")?, args.get("--runs")?);
    manual_seed(0);
    let model = Decoder::new(layers, d, tokens + 1);
    println!(
        "decoder: {layers} layers, d_model {d}, {HEADS} heads, {} parameters; memory of \
         {SOURCE_LEN} positions; {tokens} new tokens, greedy, batch 1",
        model.decoder.num_parameters()
    );
    let prompt = vec![vec![1]]; // a begin-of-sequence token
    let uncached = |prefixes: &[Vec<usize>]| model.recompute(prefixes);
    let (mut with_cache, mut without) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let start = Instant::now();
        let fast = greedy(&model, &prompt, tokens, None);
        with_cache.push(tokens as f64 / start.elapsed().as_secs_f64());
        let start = Instant::now();
        let slow = greedy(&uncached, &prompt, tokens, None);
        without.push(tokens as f64 / start.elapsed().as_secs_f64());
        if fast != slow {
            return Err("the cache changed the generated tokens".into());
        }
        println!(
            "run {}: with the cache {:>7.1} tokens/s, without {:>7.1} tokens/s",
            run + 1,
            with_cache[run],
            without[run]
        );
    }
    let (fast, slow) = (median(with_cache), median(without));
    println!(
        "KV cache: {fast:.1} tokens/s vs {slow:.1} tokens/s without ({:.1}× faster) for {tokens} tokens",
        fast / slow
    );
    Ok(())
}
