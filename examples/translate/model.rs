//! The translation model: token embeddings and positions around `nn::Transformer`.
//!
//! ```text
//! x_src = dropout(E[src]·√C + P[0..S])          E: the embedding table [V, C]
//! memory = encoder(x_src, src padding mask)      (shared by both languages: one joint BPE vocabulary)
//! x_tgt = dropout(E[tgt_in]·√C + P[0..T])
//! h = decoder(x_tgt, memory, causal + target padding mask, source padding mask)
//! logits = h·Eᵀ  (tied output)   or   h·Wᵀ + b  (a Linear of its own)
//! ```
//! Scaling by √C keeps the embeddings (drawn from N(0, 1/C), as fairseq does for a tied
//! table) as large as the positions they are added to. Parameter names, which the
//! PyTorch reference script (`reference.py`) repeats: `embed.weight` (or `src_embed`,
//! `tgt_embed` when not shared), `pos.weight` (learned positions), `transformer.…`
//! (PyTorch's `nn.Transformer` names, batch_first), `out.weight`, `out.bias` (untied).
//! Read next: `batches.rs`.

use ferrograd::nn::layers::transformer::cache::StackCache;
use ferrograd::nn::layers::transformer::{DecoderMasks, EncoderMasks, TransformerLayerConfig};
use ferrograd::nn::{
    Embedding, Forward, LearnedPositionalEncoding, Linear, Module, SinusoidalPositionalEncoding,
    Transformer, init,
};
use ferrograd::prelude::*;
use ferrograd::tensor::io::StateDict;

use crate::batches::padding_mask;

/// Which tables the model shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// Separate source and target embeddings, an output Linear of its own.
    None,
    /// One embedding table for both languages, an output Linear of its own.
    Embeddings,
    /// One table for both languages and as the output layer (`logits = h·Eᵀ`).
    All,
}

/// The model's shape: what `train` saves beside the checkpoint and `translate` reads.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// V, the joint vocabulary size.
    pub vocab: usize,
    /// C, the model width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Encoder layers.
    pub encoder_layers: usize,
    /// Decoder layers.
    pub decoder_layers: usize,
    /// Width of the feed-forward blocks.
    pub ffn: usize,
    /// Dropout on embeddings, attention, residuals and inside the FFN.
    pub dropout: f64,
    /// Pre-LN (true) or Post-LN (false).
    pub pre_norm: bool,
    /// Learned positions (true) or sinusoids (false).
    pub learned_positions: bool,
    /// Which tables are shared.
    pub sharing: Sharing,
    /// The longest sequence (positions `0..max_len`).
    pub max_len: usize,
}

/// Positions added to the scaled embeddings.
enum Positions {
    Learned(LearnedPositionalEncoding),
    Sinusoidal(SinusoidalPositionalEncoding),
}

/// The encoder-decoder translation model; see the module docs.
pub struct Seq2Seq {
    /// The embedding table of the source (and of the target when shared).
    pub embed: Embedding,
    /// The target's own table when embeddings are not shared.
    tgt_embed: Option<Embedding>,
    positions: Positions,
    /// Encoder and decoder stacks.
    pub transformer: Transformer,
    /// The output layer when it is not tied to the embeddings.
    out: Option<Linear>,
    /// The shape this model was built with.
    pub config: ModelConfig,
    training: bool,
}

/// A table of `vocab` rows of width `d`, drawn from N(0, 1/d).
fn embedding(vocab: usize, d: usize) -> Embedding {
    let e = Embedding::new(vocab, d);
    e.weight
        .set_value(init::normal(&[vocab, d], 0.0, (d as f64).powf(-0.5)));
    e
}

impl Seq2Seq {
    /// A freshly initialised model (weights from the default generator).
    pub fn new(config: ModelConfig) -> Seq2Seq {
        let c = &config;
        let layer = TransformerLayerConfig::new(c.d_model, c.heads)
            .dim_feedforward(c.ffn)
            .dropout(c.dropout)
            .norm_first(c.pre_norm)
            .batch_first(true);
        let transformer = Transformer::new(layer, c.encoder_layers, c.decoder_layers);
        let positions = if c.learned_positions {
            let p = LearnedPositionalEncoding::new(c.d_model, c.max_len).batch_first(true);
            p.weight
                .set_value(init::normal(&[c.max_len, c.d_model], 0.0, 0.02));
            Positions::Learned(p)
        } else {
            Positions::Sinusoidal(
                SinusoidalPositionalEncoding::new(c.d_model, c.max_len)
                    .dropout(0.0)
                    .batch_first(true),
            )
        };
        Seq2Seq {
            embed: embedding(c.vocab, c.d_model),
            tgt_embed: (c.sharing == Sharing::None).then(|| embedding(c.vocab, c.d_model)),
            positions,
            transformer,
            out: (c.sharing != Sharing::All).then(|| Linear::new(c.d_model, c.vocab)),
            config,
            training: true,
        }
    }

    /// `dropout(E[ids]·√C + P[start..])` for ids `[B, T]` → `[B, T, C]`.
    fn embed_tokens(&self, table: &Embedding, ids: &Tensor, start: usize) -> Var {
        let x = table
            .forward(ids)
            .mul_scalar((self.config.d_model as f64).sqrt());
        let x = match &self.positions {
            Positions::Learned(p) => p.forward_from(&x, start),
            Positions::Sinusoidal(p) => p.forward_from(&x, start),
        };
        x.dropout(self.config.dropout, self.training)
    }

    /// The encoder's output `[B, S, C]` for source ids `[B, S]`.
    pub fn encode(&self, src: &Tensor, src_padding: &Tensor) -> Var {
        let masks = EncoderMasks {
            src_key_padding_mask: Some(src_padding),
            ..Default::default()
        };
        self.transformer
            .encoder
            .forward_masked(&self.embed_tokens(&self.embed, src, 0), &masks)
    }

    /// The target's embedding table (the source's when shared).
    fn target_table(&self) -> &Embedding {
        self.tgt_embed.as_ref().unwrap_or(&self.embed)
    }

    /// Logits `[B, T, V]` of every next target token, teacher-forced on `tgt_in` `[B, T]`.
    pub fn decode(
        &self,
        tgt_in: &Tensor,
        tgt_padding: &Tensor,
        memory: &Var,
        src_padding: &Tensor,
    ) -> Var {
        let masks = DecoderMasks {
            tgt_key_padding_mask: Some(tgt_padding),
            memory_key_padding_mask: Some(src_padding),
            tgt_is_causal: true,
            ..Default::default()
        };
        let x = self.embed_tokens(self.target_table(), tgt_in, 0);
        self.logits(&self.transformer.decoder.forward(&x, memory, &masks))
    }

    /// Logits `[B, t, V]` of the `t` new target tokens `new` `[B, t]` at positions
    /// `cache.len()..`, the earlier ones read from `cache` (incremental decoding).
    pub fn decode_cached(
        &self,
        new: &Tensor,
        memory: &Var,
        src_padding: &Tensor,
        cache: &mut StackCache,
    ) -> Var {
        let masks = DecoderMasks {
            memory_key_padding_mask: Some(src_padding),
            tgt_is_causal: true,
            ..Default::default()
        };
        let x = self.embed_tokens(self.target_table(), new, cache.len());
        let h = self
            .transformer
            .decoder
            .forward_cached(&x, memory, &masks, cache);
        self.logits(&h)
    }

    /// Each decoder layer's cross-attention weights (averaged over heads) for the
    /// target `tgt_in` `[B, T]` teacher-forced against the source `src` `[B, S]`:
    /// `[B, T, S]` per layer, row `t` the attention of target position `t` over the
    /// source, what the alignment heat map of `translate --attention` draws.
    pub fn cross_attention(&self, src: &Tensor, tgt_in: &Tensor) -> Vec<Tensor> {
        let src_padding = padding_mask(src);
        let masks = DecoderMasks {
            tgt_key_padding_mask: None,
            memory_key_padding_mask: Some(&src_padding),
            tgt_is_causal: true,
            ..Default::default()
        };
        no_grad(|| {
            let memory = self.encode(src, &src_padding);
            let x = self.embed_tokens(self.target_table(), tgt_in, 0);
            let (_, weights) = self
                .transformer
                .decoder
                .forward_with_cross_attention(&x, &memory, &masks);
            weights.iter().map(Var::value).collect()
        })
    }

    /// The output layer on decoder states `[B, T, C]` → `[B, T, V]`.
    fn logits(&self, h: &Var) -> Var {
        let shape = h.shape();
        let flat = h.reshape(&[shape[0] * shape[1], shape[2]]);
        let logits = match &self.out {
            Some(out) => out.forward(&flat),
            None => flat.matmul(&self.embed.weight.t()),
        };
        logits.reshape(&[shape[0], shape[1], self.config.vocab])
    }
}

impl Module for Seq2Seq {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        match &self.tgt_embed {
            None => self.embed.visit_params(&format!("{prefix}embed."), f),
            Some(tgt) => {
                self.embed.visit_params(&format!("{prefix}src_embed."), f);
                tgt.visit_params(&format!("{prefix}tgt_embed."), f);
            }
        }
        if let Positions::Learned(p) = &self.positions {
            p.visit_params(&format!("{prefix}pos."), f);
        }
        self.transformer
            .visit_params(&format!("{prefix}transformer."), f);
        if let Some(out) = &self.out {
            out.visit_params(&format!("{prefix}out."), f);
        }
    }

    fn visit_buffers(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        if let Positions::Sinusoidal(p) = &self.positions {
            p.visit_buffers(&format!("{prefix}pos."), f);
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.transformer.set_training(training);
        if let Positions::Sinusoidal(p) = &mut self.positions {
            p.set_training(training);
        }
    }
}

/// The fields of a [`ModelConfig`], in the order they are stored.
const CONFIG_FIELDS: [&str; 11] = [
    "vocab",
    "d_model",
    "heads",
    "encoder_layers",
    "decoder_layers",
    "ffn",
    "dropout",
    "pre_norm",
    "learned_positions",
    "sharing",
    "max_len",
];

impl ModelConfig {
    /// The config as scalars `config.<field>` in a checkpoint, so that a checkpoint
    /// file alone rebuilds its model.
    pub fn to_state(&self, state: &mut StateDict) {
        let sharing = match self.sharing {
            Sharing::None => 0.0,
            Sharing::Embeddings => 1.0,
            Sharing::All => 2.0,
        };
        let values = [
            self.vocab as f64,
            self.d_model as f64,
            self.heads as f64,
            self.encoder_layers as f64,
            self.decoder_layers as f64,
            self.ffn as f64,
            self.dropout,
            f64::from(u8::from(self.pre_norm)),
            f64::from(u8::from(self.learned_positions)),
            sharing,
            self.max_len as f64,
        ];
        for (name, v) in CONFIG_FIELDS.iter().zip(values) {
            state.insert(format!("config.{name}"), Tensor::from_vec_f64(vec![v], &[]));
        }
    }

    /// The config stored by [`ModelConfig::to_state`].
    pub fn from_state(state: &StateDict) -> Result<ModelConfig, String> {
        let get = |name: &str| -> Result<f64, String> {
            let t = state
                .get(&format!("config.{name}"))
                .ok_or_else(|| format!("the checkpoint has no config.{name}"))?;
            Ok(t.item())
        };
        let n = |name: &str| get(name).map(|v| v as usize);
        Ok(ModelConfig {
            vocab: n("vocab")?,
            d_model: n("d_model")?,
            heads: n("heads")?,
            encoder_layers: n("encoder_layers")?,
            decoder_layers: n("decoder_layers")?,
            ffn: n("ffn")?,
            dropout: get("dropout")?,
            pre_norm: get("pre_norm")? != 0.0,
            learned_positions: get("learned_positions")? != 0.0,
            sharing: match n("sharing")? {
                0 => Sharing::None,
                1 => Sharing::Embeddings,
                _ => Sharing::All,
            },
            max_len: n("max_len")?,
        })
    }
}
