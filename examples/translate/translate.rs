//! Translating: the model behind `nn::decoding`'s greedy and beam search, with the
//! decoder's KV cache.
//!
//! ```text
//! memory = encode(source)                              once per batch of sentences
//! prefixes = [<bos>] per row
//! each step: logits = decode_cached(the one new token of each row, memory)   [B, V]
//!            → greedy: argmax;  beam: the W best continuations by log P / lp(len)
//! ```
//! [`Decoder`] implements `NextTokenModel`: its cache is the decoder stack's
//! `StackCache` plus the memory and its padding mask, whose rows beam search reorders
//! together with the keys and values. Sentences are decoded sorted by length, in
//! batches of at most `max_tokens` padded source tokens, and returned in input order.
//! The RNN models' decoder (`rnn_model.rs`) caches the GRU state instead; the search
//! below is written once for both ([`search_batch`]).
//! Read next: `eval.rs`.

use ferrograd::nn::decoding::{BeamConfig, NextTokenModel, beam_search, greedy};
use ferrograd::nn::layers::transformer::cache::StackCache;
use ferrograd::prelude::*;
use ferrograd::text::{BOS, EOS};

use crate::arch::Model;
use crate::batches::{cut, ids_tensor, padding_mask};
use crate::model::Seq2Seq;
use crate::rnn_model::RnnDecoder;

/// How to choose each next token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Search {
    /// The most probable token.
    Greedy,
    /// Beam search of this width, GNMT length penalty α.
    Beam {
        /// Hypotheses kept per step.
        width: usize,
        /// α of `((5 + |y|) / 6)^α`.
        alpha: f64,
    },
}

/// The model with the encoded source of a batch: what the decoding loop calls.
pub struct Decoder<'a> {
    model: &'a Seq2Seq,
    memory: Var,
    src_padding: Tensor,
}

/// What a [`Decoder`] remembers: keys and values of the tokens read, and the memory
/// rows belonging to each prefix.
pub struct DecodeCache {
    stack: StackCache,
    memory: Var,
    src_padding: Tensor,
}

impl<'a> Decoder<'a> {
    /// Encode the source ids `src` (each ending in `<eos>`).
    pub fn new(model: &'a Seq2Seq, src: &[Vec<u32>]) -> Decoder<'a> {
        let ids = ids_tensor(src);
        let src_padding = padding_mask(&ids);
        let memory = no_grad(|| model.encode(&ids, &src_padding));
        Decoder {
            model,
            memory,
            src_padding,
        }
    }
}

impl NextTokenModel for Decoder<'_> {
    type Cache = DecodeCache;

    fn new_cache(&self, batch: usize) -> DecodeCache {
        assert_eq!(
            batch,
            self.memory.shape()[0],
            "Decoder: one prompt per source sentence"
        );
        DecodeCache {
            stack: self.model.transformer.decoder.new_cache(),
            memory: self.memory.clone(),
            src_padding: self.src_padding.clone(),
        }
    }

    fn next_token_logits(&self, prefixes: &[Vec<usize>], cache: &mut DecodeCache) -> Tensor {
        let from = cache.stack.len();
        let new: Vec<Vec<u32>> = prefixes
            .iter()
            .map(|p| p[from..].iter().map(|&t| t as u32).collect())
            .collect();
        let logits = self
            .model
            .decode_cached(
                &ids_tensor(&new),
                &cache.memory,
                &cache.src_padding,
                &mut cache.stack,
            )
            .value();
        let [b, t, v] = logits.shape()[..] else {
            unreachable!("decode_cached returns [B, t, V]")
        };
        logits.narrow(1, t - 1, 1).reshape(&[b, v])
    }

    fn reorder_cache(&self, cache: &mut DecodeCache, rows: &[usize]) {
        cache.stack.reorder(rows);
        let index = ids_tensor(&[rows.iter().map(|&r| r as u32).collect()]).reshape(&[rows.len()]);
        cache.memory = Var::new(cache.memory.value().index_select(0, &index));
        cache.src_padding = cache.src_padding.index_select(0, &index);
    }
}

/// The longest output for a source of `len` tokens.
fn max_new_tokens(len: usize) -> usize {
    len * 3 / 2 + 10
}

/// Search from `<bos>` for each of the `rows` encoded sources of `decoder`: the
/// output of each row (greedy), or of the one row (beam).
fn search_batch<D: NextTokenModel>(
    decoder: &D,
    rows: usize,
    longest: usize,
    search: Search,
) -> Vec<Vec<usize>> {
    let eos = EOS as usize;
    match search {
        Search::Greedy => {
            let prompts = vec![vec![BOS as usize]; rows];
            greedy(decoder, &prompts, max_new_tokens(longest), Some(eos))
        }
        Search::Beam { width, alpha } => {
            let config = BeamConfig::new(width, max_new_tokens(longest))
                .length_penalty(alpha)
                .eos(eos);
            let best = beam_search(decoder, &[BOS as usize], &config);
            vec![best[0].tokens.clone()]
        }
    }
}

/// Translate source sentences given as ids (without `<eos>`); the output ids of
/// each, without `<bos>`/`<eos>`, in input order.
pub fn translate_ids(
    model: &Model,
    sources: &[Vec<u32>],
    search: Search,
    max_tokens: usize,
) -> Vec<Vec<u32>> {
    let src: Vec<Vec<u32>> = sources
        .iter()
        .map(|s| [s.as_slice(), &[EOS]].concat())
        .collect();
    let mut order: Vec<usize> = (0..src.len()).collect();
    order.sort_by_key(|&i| src[i].len());
    let mut outputs = vec![Vec::new(); src.len()];
    let batches = match search {
        Search::Greedy => cut(&order, |i| src[i].len(), max_tokens),
        Search::Beam { .. } => order.iter().map(|&i| vec![i]).collect(),
    };
    for batch in batches {
        let rows: Vec<Vec<u32>> = batch.iter().map(|&i| src[i].clone()).collect();
        let longest = rows.iter().map(Vec::len).max().unwrap_or(0);
        let out = match model {
            Model::Transformer(m) => {
                search_batch(&Decoder::new(m, &rows), rows.len(), longest, search)
            }
            Model::Rnn(m) => search_batch(&RnnDecoder::new(m, &rows), rows.len(), longest, search),
        };
        for (&i, o) in batch.iter().zip(out) {
            outputs[i] = o
                .iter()
                .map(|&t| t as u32)
                .take_while(|&t| t != EOS)
                .collect();
        }
    }
    outputs
}
