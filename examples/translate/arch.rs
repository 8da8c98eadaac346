//! The model `translate` trains and decodes with: the Transformer (`model.rs`) or
//! an RNN encoder–decoder (`rnn_model.rs`), chosen by `train --arch`.
//!
//! ```text
//! --arch transformer     Seq2Seq       (the default)
//! --arch gru             RnnSeq2Seq    one context vector, no attention
//! --arch gru-attention   RnnSeq2Seq    bidirectional encoder, Bahdanau attention
//! ```
//! [`Model`] is what the Trainer (`train.rs`), the search (`translate.rs`) and BLEU
//! (`eval.rs`) hold: one teacher-forced `logits(batch)` for the loss, one decoder per
//! architecture for `nn::decoding`, and one checkpoint format whose `config.arch`
//! (0, 1, 2 as above; absent in older checkpoints: the Transformer) says which model
//! the `config.*` scalars describe.
//! Read next: `batches.rs`.

use ferrograd::nn::Module;
use ferrograd::prelude::*;
use ferrograd::tensor::io::StateDict;

use crate::batches::Batch;
use crate::model::{ModelConfig, Seq2Seq};
use crate::rnn_model::{RnnModelConfig, RnnSeq2Seq};

/// The architectures, in the order of their `config.arch` codes.
pub const ARCHS: [&str; 3] = ["transformer", "gru", "gru-attention"];

/// A translation model of any architecture.
pub enum Model {
    /// Encoder–decoder Transformer.
    Transformer(Seq2Seq),
    /// GRU encoder–decoder, with or without attention.
    Rnn(RnnSeq2Seq),
}

impl From<Seq2Seq> for Model {
    fn from(m: Seq2Seq) -> Model {
        Model::Transformer(m)
    }
}

impl From<RnnSeq2Seq> for Model {
    fn from(m: RnnSeq2Seq) -> Model {
        Model::Rnn(m)
    }
}

/// The RNN fields of `config.*`, in the order they are stored.
const RNN_FIELDS: [&str; 5] = ["vocab", "embed", "hidden", "dropout", "max_len"];

impl Model {
    /// Teacher-forced logits `[B, T, V]` of the batch's next target tokens.
    pub fn logits(&self, batch: &Batch) -> Var {
        match self {
            Model::Transformer(m) => {
                let memory = m.encode(&batch.src, &batch.src_padding);
                m.decode(
                    &batch.tgt_in,
                    &batch.tgt_padding,
                    &memory,
                    &batch.src_padding,
                )
            }
            Model::Rnn(m) => m.forward(&batch.src, &batch.src_padding, &batch.tgt_in),
        }
    }

    /// Its name as `--arch` spells it.
    pub fn arch(&self) -> &'static str {
        ARCHS[self.arch_code()]
    }

    fn arch_code(&self) -> usize {
        match self {
            Model::Transformer(_) => 0,
            Model::Rnn(m) => 1 + usize::from(m.config.attention),
        }
    }

    /// The width the Noam schedule scales by: `d_model`, or the RNN's hidden size.
    pub fn width(&self) -> usize {
        match self {
            Model::Transformer(m) => m.config.d_model,
            Model::Rnn(m) => m.config.hidden,
        }
    }

    /// The longest pair the model trains on.
    pub fn max_len(&self) -> usize {
        match self {
            Model::Transformer(m) => m.config.max_len,
            Model::Rnn(m) => m.config.max_len,
        }
    }

    /// The config as `config.*` scalars, so that a checkpoint alone rebuilds its model.
    pub fn config_to_state(&self, state: &mut StateDict) {
        let scalar = |v: f64| Tensor::from_vec_f64(vec![v], &[]);
        state.insert("config.arch".into(), scalar(self.arch_code() as f64));
        match self {
            Model::Transformer(m) => m.config.to_state(state),
            Model::Rnn(m) => {
                let c = &m.config;
                let values = [
                    c.vocab as f64,
                    c.embed as f64,
                    c.hidden as f64,
                    c.dropout,
                    c.max_len as f64,
                ];
                for (name, v) in RNN_FIELDS.iter().zip(values) {
                    state.insert(format!("config.{name}"), scalar(v));
                }
            }
        }
    }

    /// A fresh model of the shape stored by [`Model::config_to_state`].
    pub fn from_state(state: &StateDict) -> Result<Model, String> {
        let get = |name: &str| -> Result<f64, String> {
            let t = state
                .get(&format!("config.{name}"))
                .ok_or_else(|| format!("the checkpoint has no config.{name}"))?;
            Ok(t.item())
        };
        let arch = state.get("config.arch").map_or(0, |t| t.item() as usize);
        Ok(match arch {
            0 => Seq2Seq::new(ModelConfig::from_state(state)?).into(),
            1 | 2 => RnnSeq2Seq::new(RnnModelConfig {
                vocab: get("vocab")? as usize,
                embed: get("embed")? as usize,
                hidden: get("hidden")? as usize,
                dropout: get("dropout")?,
                attention: arch == 2,
                max_len: get("max_len")? as usize,
            })
            .into(),
            other => return Err(format!("config.arch {other}: expected 0, 1 or 2")),
        })
    }
}

impl Module for Model {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        match self {
            Model::Transformer(m) => m.visit_params(prefix, f),
            Model::Rnn(m) => m.visit_params(prefix, f),
        }
    }

    fn visit_buffers(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        match self {
            Model::Transformer(m) => m.visit_buffers(prefix, f),
            Model::Rnn(m) => m.visit_buffers(prefix, f),
        }
    }

    fn set_training(&mut self, training: bool) {
        match self {
            Model::Transformer(m) => m.set_training(training),
            Model::Rnn(m) => m.set_training(training),
        }
    }
}
