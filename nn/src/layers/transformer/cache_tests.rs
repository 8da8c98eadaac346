//! Cached incremental decoding against full recomputation (kept beside `cache.rs`).

use autograd::{Var, no_grad};
use tensor::Tensor;

use super::*;
use crate::layers::embedding::Embedding;
use crate::layers::linear::Linear;
use crate::layers::positional::SinusoidalPositionalEncoding;
use crate::layers::transformer::decoder::TransformerDecoder;
use crate::layers::transformer::decoder_layer::TransformerDecoderLayer;
use crate::layers::transformer::encoder::TransformerEncoder;
use crate::layers::transformer::encoder_layer::TransformerEncoderLayer;
use crate::layers::transformer::{DecoderMasks, EncoderMasks, TransformerLayerConfig};
use crate::module::{Forward, Module};

/// `[B, T]` bool padding mask, true where `padded(b, t)`.
fn padding(b: usize, t: usize, padded: impl Fn(usize, usize) -> bool) -> Tensor {
    let data = (0..b * t).map(|i| padded(i / t, i % t)).collect();
    Tensor::from_vec_bool(data, &[b, t])
}

/// The id of the largest logit of each row of `[B, V]` logits.
fn argmax_ids(logits: &Tensor) -> Vec<usize> {
    logits
        .argmax(-1, false)
        .to_vec::<i64>()
        .into_iter()
        .map(|i| i as usize)
        .collect()
}

#[test]
fn cached_logits_equal_full_recomputation_over_a_50_token_generation() {
    let (vocab, d, steps, b, t_src, prompt) = (13, 16, 50, 3, 7, 4);
    for norm_first in [false, true] {
        tensor::manual_seed(3);
        let config = TransformerLayerConfig::new(d, 4)
            .dim_feedforward(32)
            .norm_first(norm_first);
        let mut decoder = TransformerDecoder::new(
            TransformerDecoderLayer::new(config),
            2,
            Some(LayerNorm::new(&[d])),
        );
        decoder.eval();
        let (embed, head) = (Embedding::new(vocab, d), Linear::new(d, vocab));
        let pe = SinusoidalPositionalEncoding::new(d, steps).dropout(0.0);
        let memory = Var::new(Tensor::randn(&[t_src, b, d]));
        // source row 1 ends in two padding positions; target row 2 is left-padded by 3
        let memory_pad = padding(b, t_src, |r, t| r == 1 && t >= t_src - 2);
        let target_pad = padding(b, steps, |r, t| r == 2 && t < 3);
        let embed_ids = |ids: &[Vec<usize>], from: usize| -> Var {
            let t = ids[0].len() - from;
            let flat = (from..ids[0].len()).flat_map(|i| ids.iter().map(move |row| row[i] as i64));
            let x = embed.forward(&Tensor::from_vec_i64(flat.collect(), &[t, b]));
            pe.forward_from(&x, from)
        };
        let mut ids: Vec<Vec<usize>> = (0..b)
            .map(|r| (0..prompt).map(|t| (r + t) % vocab).collect())
            .collect();
        let mut cache = decoder.new_cache();
        let mut worst = 0.0f64;
        no_grad(|| {
            for step in 0..steps - prompt {
                let len = ids[0].len();
                let seen = target_pad.narrow(1, 0, len);
                let masks = DecoderMasks {
                    tgt_key_padding_mask: Some(&seen),
                    memory_key_padding_mask: Some(&memory_pad),
                    tgt_is_causal: true,
                    ..Default::default()
                };
                // cached: the prompt at the first step, then the newest token only
                let from = if step == 0 { 0 } else { len - 1 };
                let cached =
                    decoder.forward_cached(&embed_ids(&ids, from), &memory, &masks, &mut cache);
                let cached = head.forward(&cached).value().select(0, len - from - 1);
                let full = decoder.forward(&embed_ids(&ids, 0), &memory, &masks);
                let full = head.forward(&full).value().select(0, len - 1);
                worst = worst.max((&cached - &full).abs().max().item());
                for (row, next) in ids.iter_mut().zip(argmax_ids(&cached)) {
                    row.push(next);
                }
            }
        });
        assert!(
            worst < 1e-5,
            "norm_first {norm_first}: largest logit gap {worst:e}"
        );
        assert_eq!(cache.len(), steps - 1);
    }
}

#[test]
fn a_decoder_only_stack_of_encoder_layers_decodes_with_the_cache() {
    let config = TransformerLayerConfig::new(8, 2)
        .dim_feedforward(16)
        .batch_first(true);
    let mut stack = TransformerEncoder::new(TransformerEncoderLayer::new(config), 3, None);
    stack.eval();
    let x = Var::new(Tensor::randn(&[2, 20, 8])); // [B, T, C]
    let causal = EncoderMasks {
        is_causal: true,
        ..Default::default()
    };
    let full = stack.forward_masked(&x, &causal).value();
    let mut cache = stack.new_cache();
    let mut at = 0;
    for len in [5, 1, 1, 3, 10] {
        let y = stack
            .forward_cached(&x.narrow(1, at, len), &causal, &mut cache)
            .value();
        let gap = (&y - &full.narrow(1, at, len)).abs().max().item();
        assert!(gap < 1e-5, "positions {at}..{}: {gap}", at + len);
        at += len;
    }
    assert_eq!(cache.len(), 20);
}

#[test]
fn reordered_caches_follow_the_beams() {
    let config = TransformerLayerConfig::new(8, 2).dim_feedforward(16);
    let mut decoder = TransformerDecoder::new(TransformerDecoderLayer::new(config), 2, None);
    decoder.eval();
    let tgt = Var::new(Tensor::randn(&[3, 2, 8]));
    let memory = Var::new(Tensor::randn(&[4, 2, 8]));
    let masks = DecoderMasks {
        tgt_is_causal: true,
        ..Default::default()
    };
    let mut cache = decoder.new_cache();
    decoder.forward_cached(&tgt.narrow(0, 0, 2), &memory, &masks, &mut cache);
    cache.reorder(&[1, 0, 1]); // three beams: copies of rows 1, 0, 1
    let rows = Tensor::from_vec_i64(vec![1, 0, 1], &[3]);
    let pick = |v: &Var| Var::new(v.value().index_select(1, &rows));
    let (tgt3, memory3) = (pick(&tgt), pick(&memory));
    let y = decoder.forward_cached(&tgt3.narrow(0, 2, 1), &memory3, &masks, &mut cache);
    let full = decoder
        .forward(&tgt3, &memory3, &masks)
        .value()
        .narrow(0, 2, 1);
    assert!((&y.value() - &full).abs().max().item() < 1e-5);
}

#[test]
#[should_panic(expected = "TransformerDecoder: the cache holds 1 layer caches for 2 layers")]
fn a_cache_of_another_stack_is_refused() {
    let config = TransformerLayerConfig::new(8, 2).dim_feedforward(16);
    let decoder = TransformerDecoder::new(TransformerDecoderLayer::new(config), 2, None);
    let x = Var::new(Tensor::randn(&[1, 1, 8]));
    decoder.forward_cached(&x, &x, &DecoderMasks::default(), &mut StackCache::new(1));
}
