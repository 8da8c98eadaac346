//! The model flags of `translate train` (`--arch` and each architecture's sizes),
//! building the model they describe, and saving and loading models of any `--arch`.
//!
//! ```text
//! --arch transformer     --d-model --heads --encoder-layers --decoder-layers --ffn
//!                        --norm --positions --sharing          (model.rs)
//! --arch gru             --d-model (the embedding width E) --hidden (H)   (rnn_model.rs)
//! --arch gru-attention   the same, with a bidirectional encoder and attention
//! all:                   --dropout --max-len
//! ```
//! Read next: `train.rs`.

use std::path::{Path, PathBuf};

use ferrograd::nn::Module;
use ferrograd::tensor::io::{StateDict, load_file, save_state_dict};

use crate::arch::{ARCHS, Model};
use crate::cli;
use crate::model::{ModelConfig, Seq2Seq, Sharing};
use crate::rnn_model::{RnnModelConfig, RnnSeq2Seq};
use crate::train::section;

/// `cli` with the model flags added.
pub fn model_flags(cli: cli::Cli) -> cli::Cli {
    cli.flag(
        "--arch",
        "transformer|gru|gru-attention",
        "transformer",
        "the model: Transformer, GRU encoder-decoder, or bi-GRU + Bahdanau attention",
    )
    .flag("--encoder-layers", "N", 3, "encoder layers (transformer)")
    .flag("--decoder-layers", "N", 3, "decoder layers (transformer)")
    .flag(
        "--d-model",
        "N",
        256,
        "model width (transformer); embedding width (gru)",
    )
    .flag("--hidden", "N", 512, "GRU state size (gru, gru-attention)")
    .flag("--heads", "N", 8, "attention heads (transformer)")
    .flag("--ffn", "N", 512, "feed-forward width (transformer)")
    .flag("--dropout", "X", 0.1, "dropout")
    .flag(
        "--norm",
        "pre|post",
        "pre",
        "LayerNorm before (pre) or after (post) each block",
    )
    .flag(
        "--positions",
        "learned|sinusoidal",
        "learned",
        "positional encoding",
    )
    .flag(
        "--sharing",
        "all|embeddings|none",
        "all",
        "one embedding table for both languages (and the output layer)",
    )
    .flag(
        "--max-len",
        "N",
        128,
        "positions; longer training pairs are dropped",
    )
}

/// The position of `flag`'s value among `options`.
pub fn choice(args: &cli::Args, flag: &str, options: &[&str]) -> cli::Result<usize> {
    let v: String = args.get(flag)?;
    options
        .iter()
        .position(|o| *o == v)
        .ok_or_else(|| format!("{flag} {v}: expected one of {}", options.join(", ")).into())
}

/// A fresh model as the flags describe it, for a vocabulary of `vocab` tokens.
pub fn build_model(args: &cli::Args, vocab: usize) -> cli::Result<Model> {
    let max_len = args.get("--max-len")?;
    let dropout = args.get("--dropout")?;
    Ok(match choice(args, "--arch", &ARCHS)? {
        0 => Seq2Seq::new(ModelConfig {
            vocab,
            d_model: args.get("--d-model")?,
            heads: args.get("--heads")?,
            encoder_layers: args.get("--encoder-layers")?,
            decoder_layers: args.get("--decoder-layers")?,
            ffn: args.get("--ffn")?,
            dropout,
            pre_norm: choice(args, "--norm", &["post", "pre"])? == 1,
            learned_positions: choice(args, "--positions", &["sinusoidal", "learned"])? == 1,
            sharing: [Sharing::All, Sharing::Embeddings, Sharing::None]
                [choice(args, "--sharing", &["all", "embeddings", "none"])?],
            max_len,
        })
        .into(),
        arch => RnnSeq2Seq::new(RnnModelConfig {
            vocab,
            embed: args.get("--d-model")?,
            hidden: args.get("--hidden")?,
            dropout,
            attention: arch == 2,
            max_len,
        })
        .into(),
    })
}

/// The best model's weights and config, as `train` saves them.
pub fn save_model(model: &Model, path: &Path) -> cli::Result<()> {
    let mut state = StateDict::new();
    for (name, t) in model.state_dict() {
        state.insert(format!("model.{name}"), t);
    }
    model.config_to_state(&mut state);
    Ok(save_state_dict(&state, path)?)
}

/// A model saved by `train` (best or last checkpoint), in eval mode.
pub fn load_model(path: &Path) -> cli::Result<Model> {
    let state = load_file(path)?;
    let mut model = Model::from_state(&state)?;
    model.load_state_dict(&section(&state, "model."), true)?;
    model.eval();
    Ok(model)
}

/// Checkpoint averaging: `w̄ = (1/N) Σᵢ wᵢ` for every weight tensor (each its own
/// shape, unchanged) of the N models saved by `save_model` in `paths` (same
/// architecture), saved with the first one's config to `out`. Averaging the last
/// epochs of a run smooths the noise of the final SGD steps (Vaswani et al. 2017 average
/// the last 5 checkpoints) and usually adds a little BLEU at no training cost.
pub fn average_checkpoints(paths: &[PathBuf], out: &Path) -> cli::Result<()> {
    let states = paths.iter().map(load_file).collect::<Result<Vec<_>, _>>()?;
    let (first, rest) = states
        .split_first()
        .ok_or("average: no checkpoints to average")?;
    let mut mean = first.clone();
    for (name, t) in mean.iter_mut().filter(|(k, _)| k.starts_with("model.")) {
        let mut sum = t.clone();
        for (state, path) in rest.iter().zip(&paths[1..]) {
            let other = state
                .get(name)
                .ok_or_else(|| format!("average: {} has no {name}", path.display()))?;
            sum = sum.add(other);
        }
        *t = sum.mul_scalar(1.0 / states.len() as f64);
    }
    Ok(save_state_dict(&mean, out)?)
}
