//! Both tokenizers of `ferrograd::text` on Multi30k: learns BPE (10,000 merges,
//! German and English together) and a word vocabulary on the training text, shows a
//! few test sentences in both, compares vocabulary size, sequence length and unknown
//! words, saves the BPE file and ends with the time the merges took.
//!
//! ```text
//! cargo run --release --example tokenizers [-- --merges 10000 --min-count 2]
//! ```
//! Read next: `src/text/mod.rs`.

use std::time::Instant;

use ferrograd::data::{Multi30kSplit, SentencePair, load_multi30k};
use ferrograd::text::{Bpe, UNK, WordTokenizer};

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "common/cli.rs"]
mod cli;

fn sentences(pairs: &[SentencePair]) -> impl Iterator<Item = &String> + Clone {
    pairs.iter().flat_map(|p| [&p.de, &p.en])
}

/// One row of the comparison table.
fn report(name: &str, vocab_size: usize, ids: &[Vec<u32>]) {
    let tokens: usize = ids.iter().map(Vec::len).sum();
    let unknown = ids.iter().flatten().filter(|&&id| id == UNK).count();
    println!(
        "{name:<20} {vocab_size:>7} {:>14.1} {:>8.2}%",
        tokens as f64 / ids.len() as f64,
        100.0 * unknown as f64 / tokens as f64
    );
}

fn main() -> std::process::ExitCode {
    cli::run(tokenizers)
}

fn tokenizers() -> cli::Result<()> {
    let args = cli::Cli::new(
        "tokenizers",
        "Learns BPE and a word vocabulary on Multi30k and compares them on test2016.",
    )
    .flag("--merges", "N", "10000", "BPE merges to learn")
    .flag(
        "--min-count",
        "N",
        "2",
        "word tokenizer: keep words seen this often",
    )
    .parse()?;
    let (num_merges, min_count): (usize, usize) = (args.get("--merges")?, args.get("--min-count")?);
    let train = load_multi30k(Multi30kSplit::Train)?;
    let test = load_multi30k(Multi30kSplit::Test2016)?;

    let start = Instant::now();
    let bpe = Bpe::train(sentences(&train), num_merges);
    let merge_time = start.elapsed().as_secs_f64();
    let words = WordTokenizer::train(sentences(&train), min_count);

    for pair in &test[..3] {
        for s in [&pair.de, &pair.en] {
            let pieces: Vec<&str> = bpe
                .encode(s)
                .iter()
                .map(|&id| bpe.vocab().id_to_token(id))
                .collect();
            println!(
                "{s}\n  BPE  {}\n  word {}",
                pieces.join(" "),
                words.decode(&words.encode(s))
            );
        }
    }

    println!(
        "\n{:<20} {:>7} {:>14} {:>9}",
        "test2016 (de + en)", "vocab", "tokens/sent.", "unknown"
    );
    let bpe_ids: Vec<Vec<u32>> = sentences(&test).map(|s| bpe.encode(s)).collect();
    report("BPE", bpe.vocab_size(), &bpe_ids);
    let word_ids: Vec<Vec<u32>> = sentences(&test).map(|s| words.encode(s)).collect();
    report(
        &format!("word, min_count {min_count}"),
        words.vocab_size(),
        &word_ids,
    );

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tokenizers");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("multi30k.bpe");
    bpe.save(&path)?;
    assert_eq!(Bpe::load(&path)?.vocab(), bpe.vocab());
    println!("\nsaved {}", path.display());
    println!(
        "BPE: {} merges on {} training sentences in {merge_time:.2} s",
        bpe.merges().len(),
        2 * train.len()
    );
    Ok(())
}
