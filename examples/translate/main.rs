//! German→English translation on Multi30k with a Transformer (or the GRU
//! encoder–decoders it replaced: `--arch gru|gru-attention`), trained on this CPU.
//!
//! ```text
//! cargo run --release --example translate -- train [--epochs 10 --max-tokens 4096 ...]
//! cargo run --release --example translate -- train --arch gru-attention --hidden 512 --dropout 0.5
//! cargo run --release --example translate -- train --resume      # continue after an interruption
//! cargo run --release --example translate -- translate --sentence "Ein Hund rennt im Schnee."
//! cargo run --release --example translate -- eval --beam 4       # BLEU on test2016, both protocols
//! cargo run --release --example translate -- average --checkpoints a.safetensors,b.safetensors --out avg.safetensors
//! cargo run --release --example translate -- train --help        # every flag and its default
//! ```
//! The pipeline, one file each: `model.rs` (embeddings, positions, nn::Transformer,
//! tied output) → `batches.rs` (length buckets, padding masks) → `train.rs` (loss,
//! AdamW, schedule, clipping, resumable checkpoints) → `translate.rs` (greedy and beam
//! search with the KV cache) → `eval.rs` (BLEU). `rnn_model.rs` holds the GRU models,
//! `arch.rs` the choice between them and the Transformer, `options.rs` the model
//! flags. `reference.py` beside them is the Transformer in PyTorch; it loads this
//! example's transformer checkpoints.
//!
//! Files written under `--out` (default `target/translate/`): `bpe.txt` (the joint
//! BPE vocabulary), `last.safetensors` (resumable), `best.safetensors` (best
//! validation BLEU; weights and config), `epochK.safetensors` and `averaged.safetensors`
//! (with `--average N`: the last N epochs' weights and their mean), `test2016.hyp.en`
//! (eval's output).

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "../common/cli.rs"]
mod cli;

mod arch;
mod batches;
mod eval;
mod inspect;
mod model;
mod options;
mod rnn_model;
mod train;
mod translate;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ferrograd::data::{Multi30kSplit, load_multi30k};
use ferrograd::optim::Optimizer;
use ferrograd::prelude::*;
use ferrograd::tensor::io::{StateDict, save_state_dict};
use ferrograd::text::Bpe;
use indicatif::{ProgressBar, ProgressStyle};

use arch::Model;
use batches::{Batch, Example, cut};
use options::{choice, load_model, save_model};
use train::{Schedule, TrainConfig, Trainer, batch_loss};
use translate::Search;

fn main() -> std::process::ExitCode {
    cli::run(|| {
        let mut args = std::env::args().skip(1);
        match args.next().as_deref() {
            Some("train") => train_command(args),
            Some("translate") => translate_command(args),
            Some("eval") => eval_command(args),
            Some("average") => average_command(args),
            _ => Err("usage: translate train|translate|eval|average [flags] (--help after the subcommand lists them)".into()),
        }
    })
}

/// Encode pairs, dropping those longer than the model's positions allow.
fn encode(bpe: &Bpe, pairs: &[ferrograd::data::SentencePair], max_len: usize) -> Vec<Example> {
    pairs
        .iter()
        .map(|p| Example {
            src: bpe.encode(&p.de),
            tgt: bpe.encode(&p.en),
        })
        .filter(|e| e.src.len().max(e.tgt.len()) < max_len)
        .collect()
}

/// Mean validation loss (no label smoothing) and tokens, in eval mode.
fn validation_loss(model: &Model, valid: &[Example], max_tokens: usize) -> f64 {
    let order: Vec<usize> = (0..valid.len()).collect();
    let (mut total, mut tokens) = (0.0, 0);
    for batch in cut(
        &order,
        |i| valid[i].src.len().max(valid[i].tgt.len()) + 1,
        max_tokens,
    ) {
        let examples: Vec<&Example> = batch.iter().map(|&i| &valid[i]).collect();
        let b = Batch::new(&examples);
        total += no_grad(|| batch_loss(model, &b, 0.0).item()) * b.tgt_tokens as f64;
        tokens += b.tgt_tokens;
    }
    total / tokens as f64
}

fn search_of(args: &cli::Args) -> cli::Result<Search> {
    let width: usize = args.get("--beam")?;
    Ok(if width <= 1 {
        Search::Greedy
    } else {
        Search::Beam {
            width,
            alpha: args.get("--alpha")?,
        }
    })
}

fn train_command(raw: impl Iterator<Item = String>) -> cli::Result<()> {
    let args = options::model_flags(cli::Cli::new(
        "translate",
        "translate train: trains a de→en model (Transformer or GRU) on Multi30k.",
    ))
    .flag(
        "--merges",
        "N",
        8000,
        "BPE merges (joint German+English vocabulary)",
    )
    .flag("--epochs", "N", 10, "passes over the training pairs")
    .flag("--max-tokens", "N", 4096, "padded tokens per batch")
    .flag(
        "--lr",
        "X",
        7e-4,
        "peak learning rate (AdamW, betas 0.9/0.98)",
    )
    .flag("--warmup", "N", 800, "warmup steps")
    .flag(
        "--schedule",
        "cosine|noam",
        "cosine",
        "learning rate after warmup",
    )
    .flag("--label-smoothing", "X", 0.1, "ε of label smoothing")
    .flag("--clip", "X", 1.0, "largest gradient norm (0: none)")
    .flag("--weight-decay", "X", 0.0, "AdamW's decoupled weight decay")
    .flag("--seed", "N", 0, "seed of init, dropout and batch order")
    .flag(
        "--subset",
        "N",
        0,
        "train on the first N pairs only (0: all)",
    )
    .flag(
        "--valid-bleu",
        "N",
        1014,
        "validation sentences decoded for BLEU each epoch",
    )
    .flag(
        "--max-steps",
        "N",
        0,
        "stop after N steps in all (0: no limit)",
    )
    .flag(
        "--save-every",
        "N",
        200,
        "steps between resumable checkpoints",
    )
    .flag(
        "--out",
        "DIR",
        "target/translate",
        "where checkpoints and the vocabulary go",
    )
    .flag(
        "--dump-batches",
        "N",
        0,
        "write the initial model and the first N batches (of all epochs) to DIR and stop (for reference.py)",
    )
    .flag(
        "--average",
        "N",
        0,
        "keep the last N epochs' weights (epochK.safetensors) and save their mean as averaged.safetensors",
    )
    .switch("--resume", "continue from DIR/last.safetensors")
    .switch("--quiet", "no progress bar")
    .parse_from(raw)?;
    let out = PathBuf::from(args.get::<String>("--out")?);
    std::fs::create_dir_all(&out)?;
    let seed: u64 = args.get("--seed")?;
    let max_len: usize = args.get("--max-len")?;
    let subset: usize = args.get("--subset")?;
    let mut train_pairs = load_multi30k(Multi30kSplit::Train)?;
    let valid_pairs = load_multi30k(Multi30kSplit::Val)?;
    let resume = args.is_set("--resume") && out.join("last.safetensors").exists();
    let bpe = if resume {
        Bpe::load(out.join("bpe.txt"))?
    } else {
        let start = Instant::now();
        let text = train_pairs.iter().flat_map(|p| [&p.de, &p.en]);
        let bpe = Bpe::train(text, args.get("--merges")?);
        bpe.save(out.join("bpe.txt"))?;
        println!(
            "BPE: {} tokens learned in {:.1} s",
            bpe.vocab_size(),
            start.elapsed().as_secs_f64()
        );
        bpe
    };
    if subset > 0 {
        train_pairs.truncate(subset);
    }
    let train = encode(&bpe, &train_pairs, max_len);
    let valid = encode(&bpe, &valid_pairs, max_len);
    let max_tokens: usize = args.get("--max-tokens")?;
    let epochs: usize = args.get("--epochs")?;
    let config = TrainConfig {
        max_tokens,
        lr: args.get("--lr")?,
        warmup: args.get("--warmup")?,
        schedule: [Schedule::Cosine, Schedule::Noam]
            [choice(&args, "--schedule", &["cosine", "noam"])?],
        total_steps: epochs * batches::epoch_batches(&train, max_tokens, seed, 0).len(),
        label_smoothing: args.get("--label-smoothing")?,
        clip: args.get("--clip")?,
        weight_decay: args.get("--weight-decay")?,
        seed,
    };
    let mut trainer = if resume {
        let t = Trainer::resume(&out.join("last.safetensors"), config)?;
        println!(
            "resumed at step {} (epoch {}, batch {})",
            t.progress.step,
            t.progress.epoch + 1,
            t.progress.batch
        );
        t
    } else {
        manual_seed(seed);
        let model = options::build_model(&args, bpe.vocab_size())?;
        Trainer::new(model, config)
    };
    let dump: usize = args.get("--dump-batches")?;
    if dump > 0 {
        let count = dump.min(trainer.config.total_steps);
        return inspect::dump_batches(&trainer.model, &train, &trainer.config, count, &out);
    }
    println!(
        "{} training pairs, {} validation; {} model, {} parameters; {} steps per epoch",
        train.len(),
        valid.len(),
        trainer.model.arch(),
        trainer.model.num_parameters(),
        trainer.config.total_steps / epochs.max(1)
    );
    let max_steps = match args.get::<usize>("--max-steps")? {
        0 => usize::MAX,
        n => n,
    };
    let save_every: usize = args.get("--save-every")?;
    let n_bleu: usize = args.get("--valid-bleu")?;
    let quiet = args.is_set("--quiet");
    let average: usize = args.get("--average")?;
    let start = Instant::now();
    let (mut tokens_seen, mut train_seconds) = (0usize, 0.0);
    while trainer.progress.epoch < epochs && trainer.progress.step < max_steps {
        let epoch = trainer.progress.epoch;
        let n_batches = batches::epoch_batches(&train, max_tokens, seed, epoch).len();
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(n_batches as u64)
        };
        bar.set_style(ProgressStyle::with_template(
            "epoch {prefix} {bar:30} {pos}/{len} {msg} [{elapsed}<{eta}]",
        )?);
        bar.set_prefix(format!("{}/{epochs}", epoch + 1));
        bar.set_position(trainer.progress.batch as u64);
        let mut smoothed = f64::NAN;
        let remaining = max_steps - trainer.progress.step;
        let epoch_start = Instant::now();
        let finished = trainer.run_epoch(&train, remaining, |t, loss, tokens| {
            smoothed = if smoothed.is_nan() {
                loss
            } else {
                0.95 * smoothed + 0.05 * loss
            };
            tokens_seen += tokens;
            let rate = tokens_seen as f64 / (train_seconds + epoch_start.elapsed().as_secs_f64());
            bar.set_position(t.progress.batch as u64);
            bar.set_message(format!(
                "loss {smoothed:.3} lr {:.1e} {rate:.0} tok/s",
                t.opt.lr()
            ));
            if t.progress.step % save_every == 0 {
                t.save(&out.join("last.safetensors"))
                    .expect("writing the checkpoint");
            }
        });
        bar.finish_and_clear();
        train_seconds += epoch_start.elapsed().as_secs_f64();
        trainer.save(&out.join("last.safetensors"))?;
        if !finished {
            println!(
                "stopped after {} steps (--max-steps); --resume continues",
                trainer.progress.step
            );
            break;
        }
        trainer.model.eval();
        let loss = validation_loss(&trainer.model, &valid, max_tokens);
        let n = n_bleu.min(valid_pairs.len());
        let de: Vec<String> = valid_pairs[..n].iter().map(|p| p.de.clone()).collect();
        let en: Vec<String> = valid_pairs[..n].iter().map(|p| p.en.clone()).collect();
        let hyps = eval::translate_text(&trainer.model, &bpe, &de, Search::Greedy, max_tokens);
        let bleu = eval::score(&hyps, &en);
        println!(
            "epoch {}: train loss {smoothed:.3}, valid loss {loss:.3} (ppl {:.2}), valid BLEU {:.2} cased / {:.2} tokenized lc, {:.0} training tok/s, {:.0} s",
            epoch + 1,
            loss.exp(),
            bleu.cased.score,
            bleu.tokenized.score,
            tokens_seen as f64 / train_seconds,
            start.elapsed().as_secs_f64()
        );
        if bleu.tokenized.score > trainer.progress.best_bleu {
            trainer.progress.best_bleu = bleu.tokenized.score;
            save_model(&trainer.model, &out.join("best.safetensors"))?;
        }
        if epoch + average >= epochs {
            save_model(
                &trainer.model,
                &out.join(format!("epoch{}.safetensors", epoch + 1)),
            )?;
        }
        trainer.save(&out.join("last.safetensors"))?;
    }
    if average > 0 && trainer.progress.epoch == epochs {
        let kept: Vec<PathBuf> = (epochs.saturating_sub(average)..epochs)
            .map(|e| out.join(format!("epoch{}.safetensors", e + 1)))
            .collect();
        options::average_checkpoints(&kept, &out.join("averaged.safetensors"))?;
        println!(
            "averaged the weights of {} epochs into averaged.safetensors",
            kept.len()
        );
    }
    println!(
        "best valid BLEU {:.2} (tokenized, lower-cased); {:.0} training tokens/s ({:.0} s training, {:.0} s in all)",
        trainer.progress.best_bleu,
        tokens_seen as f64 / train_seconds,
        train_seconds,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The flags `translate` and `eval` share.
fn decoding_cli(about: &'static str) -> cli::Cli {
    cli::Cli::new("translate", about)
        .flag(
            "--checkpoint",
            "PATH",
            "target/translate/best.safetensors",
            "a model saved by train",
        )
        .flag(
            "--bpe",
            "PATH",
            "",
            "the vocabulary (default: bpe.txt beside the checkpoint)",
        )
        .flag("--beam", "N", 1, "beam width (1: greedy)")
        .flag("--alpha", "X", 0.6, "length penalty α of beam search")
        .flag(
            "--max-tokens",
            "N",
            4096,
            "padded source tokens per greedy batch",
        )
}

/// The model and vocabulary named by `--checkpoint` and `--bpe`.
fn model_and_bpe(args: &cli::Args) -> cli::Result<(Model, Bpe)> {
    let checkpoint = PathBuf::from(args.get::<String>("--checkpoint")?);
    let bpe: String = args.get("--bpe")?;
    let bpe = match bpe.as_str() {
        "" => checkpoint.with_file_name("bpe.txt"),
        path => PathBuf::from(path),
    };
    Ok((load_model(&checkpoint)?, Bpe::load(bpe)?))
}

fn translate_command(raw: impl Iterator<Item = String>) -> cli::Result<()> {
    let args = decoding_cli(
        "translate translate: translates German sentences (default: the first test2016 ones).",
    )
    .flag("--sentence", "TEXT", "", "a German sentence")
    .flag(
        "--count",
        "N",
        5,
        "test2016 sentences to show when no --sentence",
    )
    .flag(
        "--dump-logits",
        "PATH",
        "",
        "also save src, tgt_in and the logits of --count test2016 pairs (for reference.py)",
    )
    .flag(
        "--attention",
        "PNG",
        "",
        "draw the last decoder layer's cross-attention for the (first) sentence",
    )
    .parse_from(raw)?;
    let (model, bpe) = model_and_bpe(&args)?;
    let picture: String = args.get("--attention")?;
    let dump: String = args.get("--dump-logits")?;
    if !dump.is_empty() {
        let test = load_multi30k(Multi30kSplit::Test2016)?;
        let n = args.get::<usize>("--count")?.min(test.len());
        let examples = encode(&bpe, &test[..n], model.max_len());
        inspect::dump_logits(&model, &examples, Path::new(&dump))?;
    }
    let sentence: String = args.get("--sentence")?;
    let search = search_of(&args)?;
    let max_tokens = args.get("--max-tokens")?;
    if !picture.is_empty() {
        let german = match sentence.as_str() {
            "" => load_multi30k(Multi30kSplit::Test2016)?[0].de.clone(),
            s => s.to_string(),
        };
        inspect::attention_picture(&model, &bpe, &german, search, Path::new(&picture))?;
    }
    if !sentence.is_empty() {
        println!(
            "{}",
            eval::translate_text(&model, &bpe, &[sentence], search, max_tokens)[0]
        );
        return Ok(());
    }
    let test = load_multi30k(Multi30kSplit::Test2016)?;
    let test = &test[..args.get::<usize>("--count")?.min(test.len())];
    let de: Vec<String> = test.iter().map(|p| p.de.clone()).collect();
    for (pair, hyp) in test
        .iter()
        .zip(eval::translate_text(&model, &bpe, &de, search, max_tokens))
    {
        println!("de:  {}\nref: {}\nhyp: {hyp}\n", pair.de, pair.en);
    }
    Ok(())
}

fn eval_command(raw: impl Iterator<Item = String>) -> cli::Result<()> {
    let args = decoding_cli(
        "translate eval: BLEU on test2016 or val (cased sacreBLEU and tokenized lower-cased).",
    )
    .flag(
        "--hyp",
        "PATH",
        "",
        "where the output goes (default: <split>.hyp.en beside the checkpoint)",
    )
    .flag(
        "--split",
        "test2016|val",
        "test2016",
        "the sentences scored (val: to choose a checkpoint)",
    )
    .flag(
        "--count",
        "N",
        0,
        "score the first N sentences only (0: all)",
    )
    .flag(
        "--dump-ids",
        "PATH",
        "",
        "also save each sentence's source and output ids (src.i, hyp.i; for reference.py --decode)",
    )
    .parse_from(raw)?;
    let (model, bpe) = model_and_bpe(&args)?;
    let split: String = args.get("--split")?;
    let mut test = match split.as_str() {
        "test2016" => load_multi30k(Multi30kSplit::Test2016)?,
        "val" => load_multi30k(Multi30kSplit::Val)?,
        other => return Err(format!("--split {other}: expected test2016 or val").into()),
    };
    let count: usize = args.get("--count")?;
    if count > 0 {
        test.truncate(count);
    }
    let de: Vec<String> = test.iter().map(|p| p.de.clone()).collect();
    let en: Vec<String> = test.iter().map(|p| p.en.clone()).collect();
    let sources: Vec<Vec<u32>> = de.iter().map(|s| bpe.encode(s)).collect();
    let start = Instant::now();
    let outputs = translate::translate_ids(
        &model,
        &sources,
        search_of(&args)?,
        args.get("--max-tokens")?,
    );
    let seconds = start.elapsed().as_secs_f64();
    let hyps: Vec<String> = outputs.iter().map(|ids| bpe.decode(ids)).collect();
    let dump: String = args.get("--dump-ids")?;
    if !dump.is_empty() {
        let mut state = StateDict::new();
        for (i, (src, out)) in sources.iter().zip(&outputs).enumerate() {
            state.insert(
                format!("src.{i}"),
                batches::ids_tensor(std::slice::from_ref(src)),
            );
            state.insert(
                format!("hyp.{i}"),
                batches::ids_tensor(std::slice::from_ref(out)),
            );
        }
        save_state_dict(&state, Path::new(&dump))?;
    }
    let hyp_path: String = args.get("--hyp")?;
    let hyp_path = match hyp_path.as_str() {
        "" => PathBuf::from(args.get::<String>("--checkpoint")?)
            .with_file_name(format!("{split}.hyp.en")),
        p => PathBuf::from(p),
    };
    std::fs::write(&hyp_path, hyps.join("\n") + "\n")?;
    let s = eval::score(&hyps, &en);
    println!(
        "cased BLEU (sacreBLEU 13a):  {:.2}  {}",
        s.cased.score, s.cased.signature
    );
    println!(
        "tokenized lower-cased BLEU:  {:.2}  {}",
        s.tokenized.score, s.tokenized.signature
    );
    println!(
        "{} sentences in {seconds:.1} s ({:.1} sentences/s); output in {}",
        hyps.len(),
        hyps.len() as f64 / seconds,
        hyp_path.display()
    );
    Ok(())
}

fn average_command(raw: impl Iterator<Item = String>) -> cli::Result<()> {
    let args = cli::Cli::new(
        "translate",
        "translate average: the mean of the weights of several checkpoints of one model.",
    )
    .flag(
        "--checkpoints",
        "P1,P2,..",
        "",
        "models saved by train (epochK.safetensors, best, ...)",
    )
    .flag("--out", "PATH", "target/translate/averaged.safetensors", "")
    .parse_from(raw)?;
    let list: String = args.get("--checkpoints")?;
    let paths: Vec<PathBuf> = list
        .split(',')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect();
    let out = PathBuf::from(args.get::<String>("--out")?);
    options::average_checkpoints(&paths, &out)?;
    println!(
        "{} checkpoints averaged into {}",
        paths.len(),
        out.display()
    );
    Ok(())
}
