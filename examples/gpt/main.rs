//! A character-level GPT (or LLaMA) on tiny Shakespeare: nanoGPT's `shakespeare_char`
//! CPU recipe, trained on this CPU in minutes, then sampled with the KV cache.
//!
//! ```text
//! cargo run --release --example gpt -- train [--model gpt|llama --max-iters 2000 ...]
//! cargo run --release --example gpt -- sample --prompt "ROMEO:" --temperature 0.8 --top-k 40
//! cargo run --release --example gpt -- train --help              # every flag and its default
//! ```
//! One file each: `data.rs` (characters as tokens, 90/10 split, random windows) →
//! `model.rs` (GPT or LLaMA from `nn::layers::decoder_only`, checkpoints) → `train.rs`
//! (AdamW with decay on matrices only, warmup + cosine, clipping, nanoGPT's loss
//! estimate) → `sample` below (temperature, top-k, top-p). `reference.py` beside them
//! is the same models and recipe in PyTorch, for the timing comparison.
//!
//! Files written under `--out` (default `target/gpt/`): `<model>.safetensors` (weights
//! and config), `<model>.log` (step, train loss, validation loss, lr, elapsed seconds).

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "../common/cli.rs"]
mod cli;

mod data;
mod model;
mod train;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use ferrograd::nn::decoding::SamplingConfig;
use ferrograd::prelude::*;
use ferrograd::tensor::io::{load_file, save_state_dict};
use indicatif::{ProgressBar, ProgressStyle};

use data::{CharVocab, Splits};
use model::{Kind, LanguageModel, generate};
use train::{Recipe, estimate_loss, full_loss, optimizer, train_step};

/// The corpus, relative to the repository root (where `cargo run` starts).
const CORPUS: &str = "data/tinyshakespeare/input.txt";

fn main() -> std::process::ExitCode {
    cli::run(|| {
        let mut args = std::env::args().skip(1);
        match args.next().as_deref() {
            Some("train") => train_command(args),
            Some("sample") => sample_command(args),
            _ => Err(
                "usage: gpt train|sample [flags] (--help after the subcommand lists them)".into(),
            ),
        }
    })
}

/// The corpus, its vocabulary and its 90/10 split.
fn load_corpus() -> cli::Result<(CharVocab, Splits)> {
    let text = std::fs::read_to_string(CORPUS).map_err(|e| format!("{CORPUS}: {e}"))?;
    let vocab = CharVocab::from_text(&text);
    let ids = vocab.encode(&text)?;
    Ok((vocab, Splits::new(ids, 0.9)))
}

fn train_command(raw: impl Iterator<Item = String>) -> cli::Result<()> {
    let args = cli::Cli::new(
        "gpt",
        "gpt train: trains a character-level GPT or LLaMA on tiny Shakespeare.",
    )
    .flag(
        "--model",
        "gpt|llama",
        "gpt",
        "architecture (both 4 layers, 4 heads, C = 128)",
    )
    .flag("--batch-size", "N", 12, "sequences per batch (B)")
    .flag(
        "--block-size",
        "N",
        64,
        "characters per sequence (T, at most the model's 64)",
    )
    .flag("--max-iters", "N", 2000, "optimisation steps")
    .flag("--lr", "X", 1e-3, "peak learning rate (AdamW)")
    .flag(
        "--min-lr",
        "X",
        1e-4,
        "learning rate at the last step (cosine)",
    )
    .flag("--warmup", "N", 100, "linear warmup steps")
    .flag("--beta2", "X", 0.99, "AdamW's β₂ (β₁ = 0.9)")
    .flag(
        "--weight-decay",
        "X",
        0.1,
        "decoupled weight decay of the 2-d parameters",
    )
    .flag("--clip", "X", 1.0, "largest gradient norm (0: none)")
    .flag("--dropout", "X", 0.0, "dropout")
    .flag(
        "--eval-interval",
        "N",
        250,
        "steps between validation estimates",
    )
    .flag("--eval-iters", "N", 20, "random batches per estimate")
    .flag("--seed", "N", 1337, "seed of init and batches")
    .flag(
        "--out",
        "DIR",
        "target/gpt",
        "where the checkpoint and the log go",
    )
    .switch("--quiet", "no progress bar")
    .parse_from(raw)?;
    let kind = Kind::parse(&args.get::<String>("--model")?)?;
    let recipe = Recipe {
        batch_size: args.get("--batch-size")?,
        block_size: args.get("--block-size")?,
        max_iters: args.get("--max-iters")?,
        lr: args.get("--lr")?,
        min_lr: args.get("--min-lr")?,
        warmup: args.get("--warmup")?,
        beta2: args.get("--beta2")?,
        weight_decay: args.get("--weight-decay")?,
        clip: args.get("--clip")?,
    };
    let eval_interval: usize = args.get::<usize>("--eval-interval")?.max(1);
    let eval_iters: usize = args.get("--eval-iters")?;
    let seed: u64 = args.get("--seed")?;
    let out = PathBuf::from(args.get::<String>("--out")?);
    std::fs::create_dir_all(&out)?;

    let (vocab, splits) = load_corpus()?;
    manual_seed(seed);
    let mut model = LanguageModel::new(kind, vocab.len(), args.get("--dropout")?);
    if recipe.block_size > model.block_size() {
        return Err(format!(
            "--block-size {}: the model has {} positions",
            recipe.block_size,
            model.block_size()
        )
        .into());
    }
    println!(
        "{}: {} parameters, V = {}, {} train / {} validation characters",
        kind.name(),
        model.module().num_parameters(),
        vocab.len(),
        splits.train.len(),
        splits.val.len()
    );
    let mut opt = optimizer(&model, &recipe);
    let mut batches = Generator::new();
    batches.manual_seed(seed);
    let mut val_batches = Generator::new();
    val_batches.manual_seed(seed + 1);
    let log_path = out.join(format!("{}.log", kind.name()));
    let mut log = std::io::BufWriter::new(std::fs::File::create(&log_path)?);
    writeln!(log, "step\ttrain_loss\tval_loss\tlr\tseconds")?;

    let bar = if args.is_set("--quiet") {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(recipe.max_iters as u64)
    };
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} {msg} [{elapsed}<{eta}]",
    )?);
    let start = Instant::now();
    let (mut train_seconds, mut smoothed) = (0.0, f64::NAN);
    for step in 1..=recipe.max_iters {
        model.set_training(true);
        let step_start = Instant::now();
        let loss = train_step(&model, &mut opt, &recipe, &splits.train, step, &mut batches);
        train_seconds += step_start.elapsed().as_secs_f64();
        smoothed = if smoothed.is_nan() {
            loss
        } else {
            0.9 * smoothed + 0.1 * loss
        };
        let lr = train::lr_at(&recipe, step);
        let val = if step % eval_interval == 0 || step == recipe.max_iters {
            model.set_training(false);
            let v = estimate_loss(&model, &splits.val, &recipe, eval_iters, &mut val_batches);
            bar.println(format!(
                "step {step}: train loss {smoothed:.4}, val loss {v:.4}"
            ));
            format!("{v:.4}")
        } else {
            String::new()
        };
        let seconds = start.elapsed().as_secs_f64();
        writeln!(log, "{step}\t{loss:.4}\t{val}\t{lr:.3e}\t{seconds:.1}")?;
        bar.set_message(format!(
            "loss {smoothed:.3}, {:.0} ms/step",
            1e3 * train_seconds / step as f64
        ));
        bar.inc(1);
    }
    bar.finish_and_clear();
    model.set_training(false);
    let checkpoint = out.join(format!("{}.safetensors", kind.name()));
    save_state_dict(&model.to_state(), &checkpoint)?;
    let eval_start = Instant::now();
    let val = full_loss(&model, &splits.val, &recipe);
    writeln!(
        log,
        "# full validation loss {val:.4} over {} characters",
        splits.val.len()
    )?;
    writeln!(
        log,
        "# {} steps in {:.1} s ({:.1} ms/step of training), {} thread(s)",
        recipe.max_iters,
        train_seconds,
        1e3 * train_seconds / recipe.max_iters as f64,
        rayon::current_num_threads()
    )?;
    log.flush()?;
    println!(
        "saved {} and {}; the whole validation split took {:.1} s",
        checkpoint.display(),
        log_path.display(),
        eval_start.elapsed().as_secs_f64()
    );
    println!(
        "{}: validation loss {val:.4} after {} steps, {:.1} ms/step, {:.1} s wall",
        kind.name(),
        recipe.max_iters,
        1e3 * train_seconds / recipe.max_iters as f64,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn sample_command(raw: impl Iterator<Item = String>) -> cli::Result<()> {
    let args = cli::Cli::new(
        "gpt",
        "gpt sample: continues a prompt with a model saved by `gpt train`.",
    )
    .flag(
        "--checkpoint",
        "FILE",
        "target/gpt/gpt.safetensors",
        "the model",
    )
    .flag(
        "--prompt",
        "TEXT",
        "\n",
        "the text to continue (its characters must be in the corpus)",
    )
    .flag("--tokens", "N", 500, "characters to generate")
    .flag(
        "--temperature",
        "X",
        0.8,
        "softmax temperature τ (logits / τ)",
    )
    .flag(
        "--top-k",
        "N",
        0,
        "keep the k most likely characters (0: all)",
    )
    .flag(
        "--top-p",
        "X",
        1.0,
        "keep the smallest set with probability ≥ p (1: all)",
    )
    .flag("--seed", "N", 1337, "seed of the draws")
    .parse_from(raw)?;
    let path = PathBuf::from(args.get::<String>("--checkpoint")?);
    let state = load_file(&path)?;
    let model =
        LanguageModel::from_state(&state).map_err(|e| format!("{}: {e}", path.display()))?;
    let (vocab, _) = load_corpus()?;
    if vocab.len() != model.vocab_size() {
        return Err(format!(
            "{}: the model has {} tokens, the corpus {} characters",
            path.display(),
            model.vocab_size(),
            vocab.len()
        )
        .into());
    }
    let prompt = vocab.encode(&args.get::<String>("--prompt")?)?;
    let wanted: usize = args.get("--tokens")?;
    let mut config = SamplingConfig::new(1)
        .temperature(args.get("--temperature")?)
        .seed(args.get("--seed")?);
    let (top_k, top_p): (usize, f64) = (args.get("--top-k")?, args.get("--top-p")?);
    if top_k > 0 {
        config = config.top_k(top_k);
    }
    if top_p < 1.0 {
        config = config.top_p(top_p);
    }
    let start = Instant::now();
    let text = generate(&model, &prompt, wanted, &config);
    let seconds = start.elapsed().as_secs_f64();
    println!("{}", vocab.decode(&text));
    eprintln!(
        "{wanted} characters in {seconds:.2} s ({:.0} tokens/s, KV cache)",
        wanted as f64 / seconds
    );
    Ok(())
}
