//! The RNN encoder–decoders of `translate train --arch gru|gru-attention`: the two
//! models the Transformer replaced, on the same batches, loss and decoding.
//!
//! ```text
//! --arch gru            (Cho et al. 2014; bentrevett/pytorch-seq2seq tutorial 2)
//! encoder:  h_s = GRU(dropout(E_src[x_s]), h_{s−1})                  h_s: [B, H]
//!           z = h_{last real token}                                   the context vector [B, H]
//! decoder:  s_0 = z
//!           s_t = GRUCell([dropout(E_tgt[y_{t−1}]); z], s_{t−1})      input [B, E + H]
//!           logits_t = W_out [s_t; z; e_t] + b                        [B, V]
//!
//! --arch gru-attention  (Bahdanau et al. 2014; bentrevett tutorial 3)
//! encoder:  o_s = [→h_s; ←h_s] = biGRU(dropout(E_src[x_s]))           o: [B, S, 2H]
//!           s_0 = tanh(W_b [→h_last; ←h_0] + b_b)                     [B, H]
//! decoder:  a_t = softmax_s(vᵀ tanh(W_q s_{t−1} + W_k o_s)), padding → 0    [B, S]
//!           c_t = Σ_s a_t[s] o_s                                      [B, 2H]
//!           s_t = GRUCell([e_t; c_t], s_{t−1})                        input [B, E + 2H]
//!           logits_t = W_out [s_t; c_t; e_t] + b                      [B, V]
//! ```
//! Both decoders are one loop: the only difference is where the context comes from
//! (`z` at every step, or attention over the encoder outputs asked with `s_{t−1}`),
//! so [`RnnSeq2Seq::step`] serves both. The forward final state `→h_last` is read at
//! each row's last real token (padding after it is ignored); the backward direction
//! reads a row's padding before its tokens, as bentrevett's unpacked tutorial 3 does
//! (length-bucketed batches keep that padding short). Teacher forcing collects
//! `[s_t; c_t; e_t]` for every step and applies the output layer once, to `[B·T, ·]`.
//! Parameters: `src_embed.weight` `[V, E]`, `tgt_embed.weight` `[V, E]`, `encoder.*`
//! (`nn::GRU`, `_reverse` for the backward direction), `bridge.*` `[H, 2H]` and
//! `attention.*` (attention only), `decoder.*` (`nn::GRUCell`), `out.*` `[V, H+C+E]`.
//! Read next: `arch.rs` (how the Trainer and decoding pick a model).

use ferrograd::nn::decoding::NextTokenModel;
use ferrograd::nn::layers::rnn::RnnConfig;
use ferrograd::nn::layers::rnn::gru::GRU;
use ferrograd::nn::{
    AdditiveAttention, Embedding, Forward, GRUCell, Linear, Module, ProjectedKeys,
};
use ferrograd::prelude::*;

use crate::batches::{ids_tensor, padding_mask};

/// The shape of an RNN encoder–decoder; saved as `config.*` in its checkpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnModelConfig {
    /// V, the joint vocabulary size.
    pub vocab: usize,
    /// E, the embedding width (source and target tables are separate).
    pub embed: usize,
    /// H, the GRU state size (encoder per direction, and decoder).
    pub hidden: usize,
    /// Dropout on the embeddings.
    pub dropout: f64,
    /// Bahdanau attention over a bidirectional encoder (true) or one context vector.
    pub attention: bool,
    /// The longest pair trained on (longer ones are dropped).
    pub max_len: usize,
}

impl RnnModelConfig {
    /// C, the size of the context the decoder reads: H, or 2H with attention.
    pub fn context_size(&self) -> usize {
        if self.attention {
            2 * self.hidden
        } else {
            self.hidden
        }
    }
}

/// A GRU encoder–decoder, with or without attention; see the module docs.
pub struct RnnSeq2Seq {
    /// E_src `[V, E]`.
    pub src_embed: Embedding,
    /// E_tgt `[V, E]`.
    pub tgt_embed: Embedding,
    /// The encoder: one GRU layer, bidirectional with attention.
    pub encoder: GRU,
    /// `W_b`, `b_b`: the decoder's first state from both final encoder states.
    pub bridge: Option<Linear>,
    /// Bahdanau's attention: query H, keys 2H, hidden size H.
    pub attention: Option<AdditiveAttention>,
    /// The decoder's GRU cell, input `[e_t; c_t]` `[B, E + C]`.
    pub decoder: GRUCell,
    /// `W_out`, `b`: `[s_t; c_t; e_t]` `[B, H + C + E]` → logits `[B, V]`.
    pub out: Linear,
    /// The shape this model was built with.
    pub config: RnnModelConfig,
    training: bool,
}

/// An encoded source batch: what every decoder step reads.
#[derive(Clone)]
pub struct Source {
    /// `z` `[B, H]` (no attention) or the encoder outputs `o` `[B, S, 2H]`.
    pub states: Var,
    /// `W_k o` `[B, S, H]`, computed once (attention only).
    keys: Option<ProjectedKeys>,
    /// `true` where the source is `<pad>`, `[B, S]`.
    pub padding: Tensor,
}

impl RnnSeq2Seq {
    /// A freshly initialised model (PyTorch's default inits, from the default generator).
    pub fn new(config: RnnModelConfig) -> RnnSeq2Seq {
        let (e, h, c) = (config.embed, config.hidden, config.context_size());
        let encoder = GRU::with_config(
            RnnConfig::new(e, h)
                .batch_first(true)
                .bidirectional(config.attention),
        );
        RnnSeq2Seq {
            src_embed: Embedding::new(config.vocab, e),
            tgt_embed: Embedding::new(config.vocab, e),
            encoder,
            bridge: config.attention.then(|| Linear::new(2 * h, h)),
            attention: config
                .attention
                .then(|| AdditiveAttention::new(h, 2 * h, h)),
            decoder: GRUCell::new(e + c, h),
            out: Linear::new(h + c + e, config.vocab),
            config,
            training: true,
        }
    }

    /// Encode source ids `src` `[B, S]` (padding marked by `src_padding` `[B, S]`):
    /// the [`Source`] the decoder reads and its first state `s_0` `[B, H]`.
    ///
    /// # Panics
    /// If `src` and `src_padding` are not both `[B, S]`.
    #[track_caller]
    pub fn encode(&self, src: &Tensor, src_padding: &Tensor) -> (Source, Var) {
        assert_eq!(
            src.shape(),
            src_padding.shape(),
            "RnnSeq2Seq::encode: source ids {:?} and padding mask {:?} must both be [B, S]",
            src.shape(),
            src_padding.shape()
        );
        let (b, s) = (src.shape()[0], src.shape()[1]);
        let embedded = self
            .src_embed
            .forward(src)
            .dropout(self.config.dropout, self.training);
        let (outputs, _) = self.encoder.forward(&embedded, None); // [B, S, D·H]
        let h = self.config.hidden;
        // →h at each row's last real token: row b's step len_b − 1 of the flattened outputs
        let lengths = src_padding
            .logical_not()
            .to_dtype(DType::I64)
            .sum_dim(1, false);
        let last: Vec<i64> = lengths
            .to_vec::<i64>()
            .iter()
            .enumerate()
            .map(|(row, &len)| row as i64 * s as i64 + (len - 1).max(0))
            .collect();
        let flat = outputs.reshape(&[b * s, outputs.shape()[2]]);
        let forward_last = flat
            .index_select(0, &Tensor::from_vec_i64(last, &[b]))
            .narrow(1, 0, h);
        match (&self.bridge, &self.attention) {
            (Some(bridge), Some(attention)) => {
                let backward_first = outputs.select(1, 0).narrow(1, h, h); // ←h_0
                let s_0 = bridge
                    .forward(&Var::cat(&[forward_last, backward_first], 1))
                    .tanh();
                let keys = Some(attention.precompute_keys(&outputs));
                let source = Source {
                    states: outputs,
                    keys,
                    padding: src_padding.clone(),
                };
                (source, s_0)
            }
            _ => {
                let source = Source {
                    states: forward_last.clone(),
                    keys: None,
                    padding: src_padding.clone(),
                };
                (source, forward_last)
            }
        }
    }

    /// One decoder step from `s_{t−1}` `[B, H]` reading the embedded token `e_t`
    /// `[B, E]`: `(s_t [B, H], [s_t; c_t; e_t] [B, H + C + E], attention weights
    /// [B, S] or None)`.
    pub fn step(&self, e_t: &Var, s_prev: &Var, source: &Source) -> (Var, Var, Option<Var>) {
        let (context, weights) = match (&self.attention, &source.keys) {
            (Some(attention), Some(keys)) => {
                let (c, w) = attention.forward(s_prev, keys, &source.states, Some(&source.padding));
                (c, Some(w))
            }
            _ => (source.states.clone(), None),
        };
        let s_t = self
            .decoder
            .forward(&Var::cat(&[e_t.clone(), context.clone()], 1), Some(s_prev));
        let features = Var::cat(&[s_t.clone(), context, e_t.clone()], 1);
        (s_t, features, weights)
    }

    /// Run the decoder over the target ids `tgt` `[B, T]` (teacher forcing) from `s`:
    /// logits `[B, T, V]`, the last state `[B, H]`, and the attention weights of each
    /// step `[B, T, S]` (attention only).
    pub fn decode(&self, tgt: &Tensor, s: &Var, source: &Source) -> (Var, Var, Option<Var>) {
        let (b, t) = (tgt.shape()[0], tgt.shape()[1]);
        let embedded = self
            .tgt_embed
            .forward(tgt)
            .dropout(self.config.dropout, self.training);
        let mut s = s.clone();
        let (mut features, mut weights) = (Vec::with_capacity(t), Vec::new());
        for i in 0..t {
            let (s_t, f, w) = self.step(&embedded.select(1, i), &s, source);
            s = s_t;
            features.push(f);
            weights.extend(w);
        }
        let width = features[0].shape()[1];
        let logits = self
            .out
            .forward(&Var::stack(&features, 1).reshape(&[b * t, width]))
            .reshape(&[b, t, self.config.vocab]);
        let weights = (!weights.is_empty()).then(|| Var::stack(&weights, 1));
        (logits, s, weights)
    }

    /// Logits `[B, T, V]` of every next target token, teacher-forced on `tgt_in`.
    pub fn forward(&self, src: &Tensor, src_padding: &Tensor, tgt_in: &Tensor) -> Var {
        let (source, s_0) = self.encode(src, src_padding);
        self.decode(tgt_in, &s_0, &source).0
    }

    /// The attention weights `[B, T, S]` of `tgt_in` `[B, T]` teacher-forced against
    /// `src` `[B, S]` (row t: where target step t looked), or None without attention.
    pub fn alignment(&self, src: &Tensor, tgt_in: &Tensor) -> Option<Tensor> {
        no_grad(|| {
            let (source, s_0) = self.encode(src, &padding_mask(src));
            self.decode(tgt_in, &s_0, &source).2.map(|w| w.value())
        })
    }
}

impl Module for RnnSeq2Seq {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.src_embed
            .visit_params(&format!("{prefix}src_embed."), f);
        self.tgt_embed
            .visit_params(&format!("{prefix}tgt_embed."), f);
        self.encoder.visit_params(&format!("{prefix}encoder."), f);
        if let Some(bridge) = &self.bridge {
            bridge.visit_params(&format!("{prefix}bridge."), f);
        }
        if let Some(attention) = &self.attention {
            attention.visit_params(&format!("{prefix}attention."), f);
        }
        self.decoder.visit_params(&format!("{prefix}decoder."), f);
        self.out.visit_params(&format!("{prefix}out."), f);
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.encoder.set_training(training);
    }
}

/// An RNN model with an encoded source batch, for `nn::decoding`'s greedy and beam
/// search.
pub struct RnnDecoder<'a> {
    model: &'a RnnSeq2Seq,
    source: Source,
    s_0: Var,
}

/// What an [`RnnDecoder`] remembers per prefix: the decoder state after the tokens
/// read so far, and the encoded source rows that prefix belongs to.
pub struct RnnCache {
    read: usize,
    state: Var,
    source: Source,
}

impl<'a> RnnDecoder<'a> {
    /// Encode the source ids `src` (each ending in `<eos>`).
    pub fn new(model: &'a RnnSeq2Seq, src: &[Vec<u32>]) -> RnnDecoder<'a> {
        let ids = ids_tensor(src);
        let (source, s_0) = no_grad(|| model.encode(&ids, &padding_mask(&ids)));
        RnnDecoder { model, source, s_0 }
    }
}

impl NextTokenModel for RnnDecoder<'_> {
    type Cache = RnnCache;

    fn new_cache(&self, batch: usize) -> RnnCache {
        assert_eq!(
            batch,
            self.s_0.shape()[0],
            "RnnDecoder: one prompt per source sentence"
        );
        RnnCache {
            read: 0,
            state: self.s_0.clone(),
            source: self.source.clone(),
        }
    }

    fn next_token_logits(&self, prefixes: &[Vec<usize>], cache: &mut RnnCache) -> Tensor {
        let new: Vec<Vec<u32>> = prefixes
            .iter()
            .map(|p| p[cache.read..].iter().map(|&t| t as u32).collect())
            .collect();
        let (logits, state, _) = no_grad(|| {
            self.model
                .decode(&ids_tensor(&new), &cache.state, &cache.source)
        });
        cache.read = prefixes[0].len();
        cache.state = state;
        let [b, t, v] = logits.shape()[..] else {
            unreachable!("decode returns [B, t, V]")
        };
        logits.value().narrow(1, t - 1, 1).reshape(&[b, v])
    }

    fn reorder_cache(&self, cache: &mut RnnCache, rows: &[usize]) {
        let index = Tensor::from_vec_i64(rows.iter().map(|&r| r as i64).collect(), &[rows.len()]);
        let states = Var::new(cache.source.states.value().index_select(0, &index));
        cache.source = Source {
            keys: self
                .model
                .attention
                .as_ref()
                .map(|a| no_grad(|| a.precompute_keys(&states))),
            states,
            padding: cache.source.padding.index_select(0, &index),
        };
        cache.state = Var::new(cache.state.value().index_select(0, &index));
    }
}
