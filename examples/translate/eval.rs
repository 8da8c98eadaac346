//! Scoring translations on test2016 with the two BLEU protocols of the literature.
//!
//! ```text
//! cased BLEU       sacreBLEU's default on detokenized text: 13a tokenizer, case kept
//!                  (= `sacrebleu ref.en -i hyp.en -m bleu`)
//! tokenized BLEU   hypothesis and reference both cut into words by the word
//!                  tokenizer, lower-cased, scored without further tokenization
//!                  (= `sacrebleu --tokenize none -lc` on the tokenized files): the
//!                  number comparable with bentrevett/pytorch-seq2seq's 36.52
//! ```
//! Read next: `main.rs` (the subcommands).

use ferrograd::text::bleu::{Bleu, BleuScore, Tokenize};
use ferrograd::text::{Bpe, WordTokenizer};

use crate::arch::Model;
use crate::translate::{Search, translate_ids};

/// Both BLEU scores of a corpus.
pub struct Scores {
    /// Cased sacreBLEU (13a) on detokenized text.
    pub cased: BleuScore,
    /// Lower-cased BLEU on word-tokenized text.
    pub tokenized: BleuScore,
}

/// A sentence as space-separated words (`"A dog, running."` → `"A dog , running ."`).
pub fn tokenized(sentence: &str) -> String {
    WordTokenizer::words(sentence).join(" ")
}

/// Corpus BLEU of `hypotheses` against one reference each, both protocols.
pub fn score(hypotheses: &[String], references: &[String]) -> Scores {
    let tok = |s: &[String]| s.iter().map(|x| tokenized(x)).collect::<Vec<_>>();
    Scores {
        cased: Bleu::new().corpus_score(hypotheses, &[references]),
        tokenized: Bleu::new()
            .lowercase(true)
            .tokenize(Tokenize::None)
            .corpus_score(&tok(hypotheses), &[tok(references)]),
    }
}

/// Translate German sentences to English text (the model in eval mode).
pub fn translate_text(
    model: &Model,
    bpe: &Bpe,
    sentences: &[String],
    search: Search,
    max_tokens: usize,
) -> Vec<String> {
    let sources: Vec<Vec<u32>> = sentences.iter().map(|s| bpe.encode(s)).collect();
    translate_ids(model, &sources, search, max_tokens)
        .iter()
        .map(|ids| bpe.decode(ids))
        .collect()
}
