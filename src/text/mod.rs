//! Text for translation models: two tokenizers that turn sentences into token ids and
//! back, and BLEU, the score translations are reported with.
//!
//! - [`Bpe`] (`bpe/`): byte-pair encoding learned from the training text, a subword
//!   vocabulary with no out-of-vocabulary words; `decode(encode(s)) == s` exactly.
//!   One vocabulary learned on German and English together lets a translation model
//!   share its embeddings between encoder, decoder and output layer.
//! - [`WordTokenizer`] (`word.rs`): one token per word, the baseline BPE improves on.
//! - [`bleu`]: corpus BLEU equal to sacreBLEU 2.6.0's, with its `13a` tokenizer.
//!
//! Both tokenizers cut sentences with [`pre_tokenize`] and share the special tokens of
//! [`Vocab`]: `<pad>` 0, `<bos>` 1, `<eos>` 2, `<unk>` 3.
//!
//! ```
//! use ferrograd::data::{Multi30kSplit, load_multi30k};
//! use ferrograd::text::{Bpe, WordTokenizer};
//! let pairs = load_multi30k(Multi30kSplit::Val).unwrap();
//! let corpus = pairs.iter().flat_map(|p| [&p.de, &p.en]);
//! let bpe = Bpe::train(corpus.clone(), 2_000);
//! let words = WordTokenizer::train(corpus, 2);
//! let s = "Ein Mann mit einem orangefarbenen Hut.";
//! let tokens: Vec<&str> = bpe.encode(s).iter().map(|&i| bpe.vocab().id_to_token(i)).collect();
//! assert_eq!(tokens, ["▁Ein", "▁Mann", "▁mit", "▁einem", "▁orange", "farbenen", "▁Hut", "."]);
//! assert_eq!(bpe.decode(&bpe.encode(s)), s);
//! assert_eq!(words.decode(&words.encode(s)), "Ein Mann mit einem <unk> Hut .");
//! ```
//!
//! # Speed
//! Learning BPE is incremental (`bpe/train.rs`): each merge updates only the words that
//! contain the merged pair. 10,000 merges on the Multi30k training text, German and
//! English together (58,000 sentences, 667k words), take about half a second of CPU
//! time in a release build (measured as the difference in `perf stat` task-clock
//! between 0 and 10,000 merges). The wall time depends on what else the machine runs:
//! on the project's 2-core machine it was 2–3 s at load ≈ 18 and 8–14 s at load ≈ 24.
//! `cargo run --release --example tokenizers` prints it on its last line.
//!
//! Read next: `vocab.rs`, `pretokenize.rs`, `bpe/mod.rs`, `word.rs`, `bleu/mod.rs`.

pub mod bleu;
mod bpe;
mod pretokenize;
mod vocab;
mod word;

pub use bpe::Bpe;
pub use pretokenize::{SPACE_MARKER, pre_tokenize};
pub use vocab::{BOS, EOS, PAD, SPECIALS, UNK, Vocab};
pub use word::WordTokenizer;
