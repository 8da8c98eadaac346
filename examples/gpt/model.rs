//! The two models this example trains, behind one enum: nanoGPT's [`GPT`] and a
//! [`Llama`] of the same size (RMSNorm, RoPE, grouped-query attention, SwiGLU).
//!
//! ```text
//! ids [B, T] (I64) ──► forward ──► logits [B, T, V]
//! ```
//! Both are `nanogpt_cpu(V)` configs: 4 layers, 4 heads, C = 128, context 64, no
//! bias (GPT 804,096 parameters; LLaMA 2 kv heads and a 384-wide SwiGLU, 804,224).
//! A checkpoint holds `model.*` (the weights, PyTorch / Hugging Face names) and
//! `config.*` (which model, V, context, dropout), so the file alone rebuilds it.
//! Read next: `train.rs`.

use ferrograd::nn::decoding::{NextTokenModel, SamplingConfig, sample};
use ferrograd::nn::layers::decoder_only::StackCache;
use ferrograd::nn::layers::decoder_only::gpt::{GPT, GPTConfig};
use ferrograd::nn::layers::decoder_only::llama::{Llama, LlamaConfig};
use ferrograd::prelude::*;
use ferrograd::tensor::io::StateDict;

/// Which architecture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// GPT-2 as nanoGPT writes it (LayerNorm, learned positions, GELU MLP).
    Gpt,
    /// LLaMA (RMSNorm, RoPE, GQA, SwiGLU).
    Llama,
}

impl Kind {
    /// `"gpt"` or `"llama"`, as the `--model` flag spells them.
    pub fn parse(name: &str) -> Result<Kind, String> {
        match name {
            "gpt" => Ok(Kind::Gpt),
            "llama" => Ok(Kind::Llama),
            _ => Err(format!("--model {name}: expected gpt or llama")),
        }
    }

    /// The flag's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gpt => "gpt",
            Kind::Llama => "llama",
        }
    }
}

/// A GPT or a LLaMA.
pub enum LanguageModel {
    /// nanoGPT's GPT.
    Gpt(GPT),
    /// Hugging Face's LLaMA.
    Llama(Llama),
}

impl LanguageModel {
    /// The nanoGPT CPU-sized model of `kind` for `vocab` tokens, with `dropout`.
    pub fn new(kind: Kind, vocab: usize, dropout: f64) -> LanguageModel {
        match kind {
            Kind::Gpt => {
                LanguageModel::Gpt(GPT::new(GPTConfig::nanogpt_cpu(vocab).dropout(dropout)))
            }
            Kind::Llama => {
                LanguageModel::Llama(Llama::new(LlamaConfig::nanogpt_cpu(vocab).dropout(dropout)))
            }
        }
    }

    /// Which architecture this is.
    pub fn kind(&self) -> Kind {
        match self {
            LanguageModel::Gpt(_) => Kind::Gpt,
            LanguageModel::Llama(_) => Kind::Llama,
        }
    }

    /// The model as a [`Module`] (parameters, state dict, train/eval).
    pub fn module(&self) -> &dyn Module {
        match self {
            LanguageModel::Gpt(m) => m,
            LanguageModel::Llama(m) => m,
        }
    }

    /// Switch dropout on (training) or off (evaluation, sampling).
    pub fn set_training(&mut self, training: bool) {
        match self {
            LanguageModel::Gpt(m) => m.set_training(training),
            LanguageModel::Llama(m) => m.set_training(training),
        }
    }

    /// The longest context (positions of GPT's `wpe`, LLaMA's RoPE table).
    pub fn block_size(&self) -> usize {
        match self {
            LanguageModel::Gpt(m) => m.config.block_size,
            LanguageModel::Llama(m) => m.config.max_position_embeddings,
        }
    }

    /// V, the number of token ids.
    pub fn vocab_size(&self) -> usize {
        match self {
            LanguageModel::Gpt(m) => m.config.vocab_size,
            LanguageModel::Llama(m) => m.config.vocab_size,
        }
    }

    fn dropout(&self) -> f64 {
        match self {
            LanguageModel::Gpt(m) => m.config.dropout,
            LanguageModel::Llama(m) => m.config.dropout,
        }
    }

    /// Logits `[B, T, V]` of the token after each position of `ids` `[B, T]`.
    pub fn forward(&self, ids: &Tensor) -> Var {
        match self {
            LanguageModel::Gpt(m) => m.forward(ids),
            LanguageModel::Llama(m) => m.forward(ids),
        }
    }

    /// The weights under `model.` and the config under `config.`.
    pub fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        for (name, t) in self.module().state_dict() {
            state.insert(format!("model.{name}"), t);
        }
        let kind = match self.kind() {
            Kind::Gpt => 0.0,
            Kind::Llama => 1.0,
        };
        let scalars = [
            ("kind", kind),
            ("vocab_size", self.vocab_size() as f64),
            ("dropout", self.dropout()),
        ];
        for (name, v) in scalars {
            state.insert(format!("config.{name}"), Tensor::from_vec_f64(vec![v], &[]));
        }
        state
    }

    /// The model saved by [`LanguageModel::to_state`], in eval mode.
    pub fn from_state(state: &StateDict) -> Result<LanguageModel, String> {
        let get = |name: &str| -> Result<f64, String> {
            state
                .get(&format!("config.{name}"))
                .map(Tensor::item)
                .ok_or_else(|| format!("the checkpoint has no config.{name}"))
        };
        let kind = if get("kind")? == 0.0 {
            Kind::Gpt
        } else {
            Kind::Llama
        };
        let mut model = LanguageModel::new(kind, get("vocab_size")? as usize, get("dropout")?);
        let weights: StateDict = state
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("model.")?.to_string(), v.clone())))
            .collect();
        model
            .module()
            .load_state_dict(&weights, true)
            .map_err(|e| e.to_string())?;
        model.set_training(false);
        Ok(model)
    }
}

impl NextTokenModel for LanguageModel {
    type Cache = StackCache;

    fn new_cache(&self, batch: usize) -> StackCache {
        match self {
            LanguageModel::Gpt(m) => NextTokenModel::new_cache(m, batch),
            LanguageModel::Llama(m) => NextTokenModel::new_cache(m, batch),
        }
    }

    fn next_token_logits(&self, prefixes: &[Vec<usize>], cache: &mut StackCache) -> Tensor {
        match self {
            LanguageModel::Gpt(m) => m.next_token_logits(prefixes, cache),
            LanguageModel::Llama(m) => m.next_token_logits(prefixes, cache),
        }
    }

    fn reorder_cache(&self, cache: &mut StackCache, rows: &[usize]) {
        match self {
            LanguageModel::Gpt(m) => m.reorder_cache(cache, rows),
            LanguageModel::Llama(m) => m.reorder_cache(cache, rows),
        }
    }
}

/// `wanted` tokens after `prompt`, sampled with the KV cache. The model has
/// `block_size` positions, so the context slides: when it is full, a fresh cache
/// re-reads the last half of it and sampling continues from there (nanoGPT crops
/// the context to the last `block_size` tokens and re-reads all of it every step).
pub fn generate(
    model: &LanguageModel,
    prompt: &[usize],
    wanted: usize,
    config: &SamplingConfig,
) -> Vec<usize> {
    let block = model.block_size();
    let mut text = prompt.to_vec();
    if text.is_empty() {
        text.push(0);
    }
    let mut produced = 0;
    let mut round = 0;
    while produced < wanted {
        let keep = text
            .len()
            .min(if round == 0 { block - 1 } else { block / 2 });
        let context = text[text.len() - keep..].to_vec();
        let n = (block - keep).min(wanted - produced);
        let mut chunk_config = config.clone();
        chunk_config.max_new_tokens = n;
        // Each round draws from its own stream: the seed plus the round.
        if let Some(seed) = config.seed {
            chunk_config = chunk_config.seed(seed + round);
        }
        let out = sample(model, &[context], &chunk_config);
        text.extend_from_slice(&out[0]); // the new tokens only
        produced += n;
        round += 1;
    }
    text
}
