//! Cross-lingual retrieval on Multi30k with a two-tower (DSSM) model: a German caption
//! is the query, its English translation the document to find.
//!
//! ```text
//! cargo run --release --example retrieval                      # train, evaluate, index
//! cargo run --release --example retrieval -- --query "Ein Hund rennt durch den Schnee."
//! cargo run --release --example retrieval -- --interactive     # German lines on stdin
//! options: --epochs 6 --hard-epochs 3 --dim 256 --batch 256 --lr 0.01
//!          --temperature 0.05 --learn-temperature --merges 8000 --depth 20 --seed 0
//!          --train N (use the first N training pairs) --quiet
//! ```
//! 1. learn BPE on the German and English training text (`ferrograd::retrieval`);
//! 2. train both towers `--epochs` epochs with in-batch InfoNCE;
//! 3. from those weights, `--hard-epochs` more epochs two ways: in-batch only, and with
//!    one hard negative per query mined from an HNSW index of the documents (ANCE,
//!    mined again every epoch);
//! 4. report recall@1/5/10 and MRR on the 1,000 test2016 pairs, against the 1,000
//!    English test sentences and against those plus the training English;
//! 5. index every candidate English sentence with HNSW and answer German queries.

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "../common/cli.rs"]
mod cli;

use std::io::BufRead;
use std::time::Instant;

use ferrograd::optim::Adam;
use ferrograd::prelude::*;
use ferrograd::retrieval::{Multi30kRetrieval, RetrievalSplit, TwoTower, cosine_index, evaluate};
use indicatif::{ProgressBar, ProgressStyle};

fn main() -> std::process::ExitCode {
    cli::run(body)
}

/// The training settings read from the flags.
struct Settings {
    epochs: usize,
    hard_epochs: usize,
    batch: usize,
    lr: f64,
    depth: usize,
    quiet: bool,
}

fn body() -> cli::Result<()> {
    let args = cli::Cli::new(
        "retrieval",
        "Trains a two-tower model to find the English translation of a German caption (Multi30k).",
    )
    .flag("--epochs", "N", 6, "epochs of in-batch InfoNCE")
    .flag(
        "--hard-epochs",
        "N",
        3,
        "further epochs, in-batch only vs with hard negatives",
    )
    .flag("--dim", "C", 256, "vector size of both towers")
    .flag(
        "--batch",
        "B",
        256,
        "pairs per step (in-batch negatives: B − 1)",
    )
    .flag("--lr", "LR", 0.01, "Adam learning rate")
    .flag(
        "--temperature",
        "TAU",
        0.05,
        "softmax temperature of InfoNCE (initial value if learned)",
    )
    .switch(
        "--learn-temperature",
        "learn the temperature (CLIP's logit scale)",
    )
    .flag(
        "--merges",
        "N",
        8000,
        "BPE merges (shared German-English vocabulary)",
    )
    .flag(
        "--depth",
        "K",
        20,
        "hard negatives are drawn among each query's K nearest documents",
    )
    .flag(
        "--seed",
        "S",
        0,
        "seed of the initial weights and the batch order",
    )
    .flag("--train", "N", 29_000, "use the first N training pairs")
    .flag(
        "--query",
        "TEXT",
        "",
        "a German sentence to search for after training",
    )
    .switch(
        "--interactive",
        "read German sentences from stdin and search for each",
    )
    .switch("--quiet", "no progress bar")
    .parse()?;
    let settings = Settings {
        epochs: args.get("--epochs")?,
        hard_epochs: args.get("--hard-epochs")?,
        batch: args.get("--batch")?,
        lr: args.get("--lr")?,
        depth: args.get("--depth")?,
        quiet: args.is_set("--quiet"),
    };
    let seed: u64 = args.get("--seed")?;
    let started = Instant::now();
    let data = Multi30kRetrieval::load(args.get("--merges")?)?;
    let train = data.train.truncated(args.get("--train")?);
    let (harder_ids, harder_text) = data.harder_candidates();
    println!(
        "Multi30k: {} training pairs, {} test pairs, {} harder candidates, BPE vocabulary {} ({:.1} s)",
        train.len(),
        data.test.len(),
        harder_ids.len(),
        data.tokenizer.vocab_size(),
        started.elapsed().as_secs_f64()
    );

    manual_seed(seed);
    let model = TwoTower::new(
        data.tokenizer.vocab_size(),
        args.get("--dim")?,
        args.get("--temperature")?,
        args.is_set("--learn-temperature"),
    );
    let mut generator = Generator::new();
    generator.manual_seed(seed);
    let report = |what: &str, model: &TwoTower| {
        let test_queries = model.encode_queries(&data.test.queries);
        let relevant: Vec<usize> = (0..data.test.len()).collect();
        let small = evaluate(
            &test_queries,
            &model.encode_docs(&data.test.documents),
            &relevant,
        );
        let large = evaluate(&test_queries, &model.encode_docs(&harder_ids), &relevant);
        println!("{what:<34} 1k: {small}   {}: {large}", harder_ids.len());
        large
    };

    let mut opt = Adam::new(model.parameters(), settings.lr);
    train_epochs(
        &model,
        &mut opt,
        &train,
        &settings,
        settings.epochs,
        false,
        &mut generator,
    );
    report(&format!("in-batch, {} epochs", settings.epochs), &model);

    let snapshot: Vec<Tensor> = model.parameters().iter().map(Var::value).collect();
    let more = settings.epochs + settings.hard_epochs;
    for hard in [false, true] {
        for (p, v) in model.parameters().iter().zip(&snapshot) {
            p.set_value(v.clone());
        }
        let mut opt = Adam::new(model.parameters(), settings.lr);
        let mut g = generator.clone();
        train_epochs(
            &model,
            &mut opt,
            &train,
            &settings,
            settings.hard_epochs,
            hard,
            &mut g,
        );
        let what = if hard {
            format!("+ {} epochs with hard negatives", settings.hard_epochs)
        } else {
            format!("in-batch, {more} epochs")
        };
        let large = report(&what, &model);
        if hard {
            println!(
                "two-tower (τ = {:.3}): recall@10 {:.3}, MRR {:.3} on test2016 against {} English sentences ({:.0} s)",
                model.temperature(),
                large.recall_at_10,
                large.mrr,
                harder_ids.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }

    let index = cosine_index(&model.encode_docs(&harder_ids));
    let search = |german: &str| {
        let query = model.encode_queries(&[data.tokenizer.encode(german)]);
        println!("\n{german}");
        for hit in &index.search(&query, 5)[0] {
            println!("  {:.3}  {}", hit.score, harder_text[hit.id]);
        }
    };
    let query: String = args.get("--query")?;
    if !query.is_empty() {
        search(&query);
    }
    if args.is_set("--interactive") {
        println!("\nGerman sentences, one per line (Ctrl-D ends):");
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            if !line.trim().is_empty() {
                search(line.trim());
            }
        }
    }
    Ok(())
}

/// `epochs` epochs; with `hard`, hard negatives mined before each one.
fn train_epochs(
    model: &TwoTower,
    opt: &mut Adam,
    train: &RetrievalSplit,
    settings: &Settings,
    epochs: usize,
    hard: bool,
    generator: &mut Generator,
) {
    let steps = train.len().div_ceil(settings.batch) * epochs;
    let bar = if settings.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(steps as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  eta {eta}  {msg}")
            .expect("valid progress template"),
    );
    for _ in 0..epochs {
        let negatives = hard.then(|| model.mine_negatives(train, settings.depth, generator));
        model.train_epoch(
            opt,
            train,
            negatives.as_deref(),
            settings.batch,
            generator,
            |loss| {
                bar.inc(1);
                bar.set_message(format!("loss {loss:.3}"));
            },
        );
    }
    bar.finish_and_clear();
}
