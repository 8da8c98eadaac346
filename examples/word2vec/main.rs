//! word2vec (skip-gram and CBOW, negative sampling or hierarchical softmax) trained
//! with ferrograd's autograd on 3M tokens of English Wikipedia, evaluated the way
//! gensim evaluates.
//!
//! ```text
//! cargo run --release --example word2vec -- --model sg --eval        # skip-gram, 5 epochs
//! cargo run --release --example word2vec -- --model cbow --eval      # CBOW
//! cargo run --release --example word2vec -- --model sg --hs          # hierarchical softmax
//! cargo run --release --example word2vec -- --load target/word2vec/sg.txt --eval
//! options: --dim 100 --window 5 --negative 5 --min-count 5 --sample 1e-3 --epochs 5
//!          --alpha 0.025 --min-alpha 0.0001 --batch 1024 --threads 1 --seed 1
//!          --lines N (use a corpus prefix)
//!          --corpus PATH --quiet
//! ```
//! The pipeline, one file each:
//! `vocab.rs` (count words, min_count) → `sampling.rs` (sub-sampling, window,
//! negatives) and `huffman.rs` (the tree of hierarchical softmax) → `batch.rs`
//! (training triples) → `train.rs` (two embedding tables, autograd, sparse SGD) →
//! `eval.rs` (analogies, WordSim-353, SimLex-999, neighbours).
//!
//! Results (default settings, 5 epochs unless noted), side by side with gensim 4.4.0 (same corpus and
//! settings, one thread each; `gensim_reference.py` in this folder), measured together
//! on a shared, busy 2-core machine (wall times inflated; compare CPU seconds):
//! ```text
//!                    analogy   WS353 ρ  SimLex ρ   wall s   CPU s   raw words/CPU-s
//! skip-gram  ours    10.34%    0.491    0.258      692     115.2   130k  (0.62×)
//!            gensim   9.84%    0.468    0.247      278      71.5   210k
//! CBOW       ours     6.41%    0.360    0.210      233      30.9   485k  (0.64×)
//!            gensim   6.80%    0.356    0.178      107      19.8   758k
//! CBOW, 15   ours    14.87%    0.529    0.233     1150     102.7   438k  (0.62×)
//! epochs     gensim  15.23%    0.516    0.219      810      63.2   712k
//! ```
//! (10,371 analogy questions scored; more in the README's word2vec section.)
//!
//! Vectors are saved under `target/word2vec/` in word2vec's text format
//! (`<V> <C>` then `word x₁ … x_C` per line, readable by gensim's
//! `KeyedVectors.load_word2vec_format`) and as safetensors (`input`, `output`).

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "../common/cli.rs"]
mod cli;

mod batch;
mod eval;
mod huffman;
mod pca;
mod sampling;
mod train;
mod vocab;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ferrograd::nn::checkpoint::save_state_dict;
use ferrograd::prelude::*;

use batch::Arch;
use eval::Embeddings;
use train::Config;
use vocab::{Corpus, Vocab};

type Error = Box<dyn std::error::Error>;

/// Command-line options beyond the training [`Config`].
struct Options {
    config: Config,
    min_count: u64,
    lines: Option<usize>,
    corpus: PathBuf,
    load: Option<PathBuf>,
    eval: bool,
}

/// Below this many scored analogy questions the accuracy is mostly noise (its
/// standard error √(p(1−p)/n) is ±0.7 points at n = 2,000 and p = 10%, and a small
/// vocabulary keeps only the easiest questions).
const MIN_ANALOGIES: usize = 2_000;

fn parse_args() -> Result<Options, Error> {
    let data = ferrograd::data::data_dir().join("word2vec");
    let d = Config::default();
    let args = cli::Cli::new(
        "word2vec",
        "Trains skip-gram or CBOW word vectors on 3M tokens of Wikipedia and evaluates them as gensim does.",
    )
    .flag("--model", "sg|cbow", "sg", "skip-gram or continuous bag of words")
    .switch("--hs", "hierarchical softmax instead of negative sampling")
    .flag("--dim", "N", d.dim, "vector size")
    .flag("--window", "N", d.window, "largest distance of a context word")
    .flag("--negative", "N", d.negative, "negative samples per positive")
    .flag("--sample", "X", d.sample, "sub-sampling threshold of frequent words")
    .flag("--epochs", "N", d.epochs, "passes over the corpus")
    .flag("--alpha", "X", d.alpha, "first learning rate")
    .flag("--min-alpha", "X", d.min_alpha, "last learning rate (linear decay)")
    .flag("--batch", "N", d.batch, "training pairs per step")
    .flag("--threads", "N", d.threads, "batches trained at once")
    .flag("--seed", "N", d.seed, "seed of sampling and init")
    .flag("--min-count", "N", 5, "words rarer than this are dropped")
    .flag("--lines", "N", "", "train on the first N lines only")
    .flag("--corpus", "PATH", data.join("enwiki_2015_3m.txt.gz").display(), "gzip or plain text, one sentence a line")
    .flag("--load", "PATH", "", "evaluate saved vectors instead of training")
    .switch("--eval", "analogies, WordSim-353, SimLex-999 and a PCA picture")
    .switch("--quiet", "no progress bar")
    .parse()?;
    let arch = match args.get::<String>("--model")?.as_str() {
        "sg" | "skipgram" => Arch::SkipGram,
        "cbow" => Arch::Cbow,
        other => return Err(format!("--model {other}: expected sg or cbow").into()),
    };
    let optional = |name: &str| -> Result<Option<String>, Error> {
        let v: String = args.get(name)?;
        Ok((!v.is_empty()).then_some(v))
    };
    Ok(Options {
        config: Config {
            arch,
            hs: args.is_set("--hs"),
            dim: args.get("--dim")?,
            window: args.get("--window")?,
            negative: args.get("--negative")?,
            sample: args.get("--sample")?,
            epochs: args.get("--epochs")?,
            alpha: args.get("--alpha")?,
            min_alpha: args.get("--min-alpha")?,
            batch: args.get("--batch")?,
            threads: args.get("--threads")?,
            seed: args.get("--seed")?,
            progress: !args.is_set("--quiet"),
        },
        min_count: args.get("--min-count")?,
        lines: match optional("--lines")? {
            Some(_) => Some(args.get("--lines")?),
            None => None,
        },
        corpus: args.get("--corpus")?,
        load: optional("--load")?.map(PathBuf::from),
        eval: args.is_set("--eval"),
    })
}

fn main() -> std::process::ExitCode {
    cli::run(word2vec)
}

fn word2vec() -> Result<(), Error> {
    let options = parse_args()?;
    // Parallelism comes from training `--threads` batches at once (default 1: on the
    // 2-core test machine two shards cost 1.5× the CPU time for no wall-time gain);
    // the tensor kernels stay serial (splitting a 1024 × 100 kernel costs more than
    // it saves).
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()?;
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/word2vec");
    let (embeddings, name) = match &options.load {
        Some(path) => {
            let stem = path
                .file_stem()
                .map_or("loaded".into(), |s| s.to_string_lossy().into_owned());
            (load_text_vectors(path)?, stem)
        }
        None => {
            let (words, vectors, name) = train_and_save(&options, &out_dir)?;
            (Embeddings::new(words, &vectors), name)
        }
    };
    if options.eval {
        report(&embeddings)?;
        std::fs::create_dir_all(&out_dir)?;
        let picture = out_dir.join(format!("{name}-pca.png"));
        pca::save_picture(
            &embeddings,
            &format!(
                "word2vec {name} on {}: PCA of word vectors",
                corpus_name(&options)
            ),
            &picture,
        )?;
        println!("saved {}", picture.display());
    }
    Ok(())
}

/// What the vectors were trained on, for the picture's title: the corpus file's name
/// and the prefix used (`enwiki_2015_3m, first 20000 lines`), or the loaded file.
fn corpus_name(options: &Options) -> String {
    let stem = |p: &Path| {
        let name = p
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        name.split('.').next().unwrap_or_default().to_string()
    };
    match (&options.load, options.lines) {
        (Some(path), _) => format!("vectors loaded from {}", stem(path)),
        (None, Some(n)) => format!("{}, first {n} lines", stem(&options.corpus)),
        (None, None) => stem(&options.corpus),
    }
}

/// Train, print the run's figures, save the vectors; returns words, vectors and the
/// run's name (`sg`, `cbow`, `sg-hs`, `cbow-hs`).
fn train_and_save(
    options: &Options,
    out_dir: &Path,
) -> Result<(Vec<String>, Tensor, String), Error> {
    let text = ferrograd::data::read_text(&options.corpus)?;
    let lines: Vec<&str> = text
        .lines()
        .take(options.lines.unwrap_or(usize::MAX))
        .collect();
    let vocab = Vocab::build(lines.iter().copied(), options.min_count);
    let corpus = Corpus::encode(lines.iter().copied(), &vocab);
    let c = &options.config;
    let name = format!(
        "{}{}",
        if c.arch == Arch::SkipGram {
            "sg"
        } else {
            "cbow"
        },
        if c.hs { "-hs" } else { "" }
    );
    println!(
        "corpus: {} lines, {} raw words; vocabulary {} words (min_count {})",
        lines.len(),
        corpus.raw_words(),
        vocab.len(),
        options.min_count
    );
    println!(
        "training {name}: dim {} window {} {} sample {} epochs {} alpha {} → {} batch {} × {} threads, seed {}",
        c.dim,
        c.window,
        if c.hs {
            "hierarchical softmax".to_string()
        } else {
            format!("negative {}", c.negative)
        },
        c.sample,
        c.epochs,
        c.alpha,
        c.min_alpha,
        c.batch,
        c.threads,
        c.seed
    );
    let keep = sampling::keep_probabilities(&vocab.counts, c.sample);
    let negatives = sampling::NegativeTable::new(&vocab.counts, 0.75).probabilities();
    let total = vocab.counts.iter().sum::<u64>() as f64;
    for id in [0, 100, 10_000].into_iter().filter(|&i| i < vocab.len()) {
        println!(
            "  {:<10} frequency {:.5}, kept by sub-sampling {:5.1}%, drawn as a negative {:.5}",
            vocab.words[id],
            vocab.counts[id] as f64 / total,
            100.0 * keep[id],
            negatives[id]
        );
    }
    let (tables, stats) = train::train(&corpus, &vocab, c);
    println!(
        "trained in {:.1} s ({:.1} CPU-s): {:.0} raw words per CPU-second, {:.0} per second; \
         {:.1}M binary decisions; loss per decision by epoch {:.4?}",
        stats.seconds,
        stats.cpu_seconds,
        stats.raw_words as f64 / stats.cpu_seconds,
        stats.raw_words as f64 / stats.seconds,
        stats.decisions as f64 / 1e6,
        stats.epoch_losses
    );
    std::fs::create_dir_all(out_dir)?;
    let vectors = tables.word_vectors();
    let text_path = out_dir.join(format!("{name}.txt"));
    save_text_vectors(&text_path, &vocab.words, &vectors)?;
    let state = BTreeMap::from([
        ("input".to_string(), vectors.clone()),
        ("output".to_string(), tables.output.clone()),
    ]);
    let st_path = out_dir.join(format!("{name}.safetensors"));
    save_state_dict(&state, &st_path)?;
    println!("saved {} and {}", text_path.display(), st_path.display());
    Ok((vocab.words, vectors, name))
}

/// word2vec's text format: a `<V> <C>` header, then one `word x₁ … x_C` line per word.
fn save_text_vectors(path: &Path, words: &[String], vectors: &Tensor) -> Result<(), Error> {
    let dim = vectors.shape()[1];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{} {dim}", words.len())?;
    for (word, row) in words
        .iter()
        .zip(vectors.contiguous().to_vec::<f32>().chunks(dim))
    {
        write!(out, "{word}")?;
        for x in row {
            write!(out, " {x}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Read word2vec's text format (as written by [`save_text_vectors`] or gensim).
fn load_text_vectors(path: &Path) -> Result<Embeddings, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header = lines.next().ok_or("empty vector file")?;
    let dims: Vec<usize> = header
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let &[v, dim] = &dims[..] else {
        return Err(format!("{}: header `{header}` is not `<V> <C>`", path.display()).into());
    };
    let (mut words, mut values) = (Vec::with_capacity(v), Vec::with_capacity(v * dim));
    for (number, line) in lines.enumerate() {
        let mut fields = line.split_whitespace();
        words.push(
            fields
                .next()
                .ok_or(format!("line {}: empty", number + 2))?
                .to_string(),
        );
        let row: Vec<f32> = fields.map(str::parse).collect::<Result<_, _>>()?;
        if row.len() != dim {
            return Err(
                format!("line {}: {} numbers, expected {dim}", number + 2, row.len()).into(),
            );
        }
        values.extend(row);
    }
    println!(
        "loaded {} vectors of size {dim} from {}",
        words.len(),
        path.display()
    );
    let n = words.len();
    Ok(Embeddings::new(words, &Tensor::from_vec(values, &[n, dim])))
}

/// Print analogy accuracy, word-pair correlations and a few neighbours.
fn report(emb: &Embeddings) -> Result<(), Error> {
    let data = ferrograd::data::data_dir().join("word2vec");
    let read = |name: &str| std::fs::read_to_string(data.join(name));
    let sections = eval::analogies(emb, &read("questions-words.txt")?);
    println!("\nanalogies (a : b :: c : ?), questions scored / in the set:");
    for s in &sections {
        println!(
            "  {:<28} {:>6.2}%  {:>5} / {:>5}",
            s.name,
            100.0 * s.accuracy(),
            s.scored,
            s.total
        );
    }
    for (label, keep) in [("semantic", true), ("syntactic", false)] {
        let t = eval::total(&sections, label, |s| s.is_semantic() == keep);
        println!(
            "  {:<28} {:>6.2}%  {:>5} / {:>5}",
            label,
            100.0 * t.accuracy(),
            t.scored,
            t.total
        );
    }
    let all = eval::total(&sections, "all", |_| true);
    println!(
        "  {:<28} {:>6.2}%  {:>5} / {:>5}",
        "all",
        100.0 * all.accuracy(),
        all.scored,
        all.total
    );
    if all.scored < MIN_ANALOGIES {
        println!(
            "  note: only {} questions could be scored (the whole corpus scores 10,371): this \
             corpus is too small for the analogy figure to mean much; train on all of it",
            all.scored
        );
    }
    for (name, file) in [
        ("WordSim-353", "wordsim353.tsv"),
        ("SimLex-999", "simlex999.txt"),
    ] {
        let p = eval::word_pairs(emb, &read(file)?);
        println!(
            "{name}: Spearman ρ {:.3}, Pearson r {:.3} on {} pairs ({} with an unknown word)",
            p.spearman, p.pearson, p.scored, p.oov
        );
    }
    println!("\nnearest neighbours:");
    let show = |list: Vec<(String, f64)>| {
        list.iter()
            .map(|(w, s)| format!("{w} {s:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for word in ["france", "two", "computer"] {
        println!("  {word:<22} → {}", show(emb.most_similar(&[word], &[], 5)));
    }
    println!(
        "  {:<22} → {}",
        "king − man + woman",
        show(emb.most_similar(&["king", "woman"], &["man"], 5))
    );
    Ok(())
}
