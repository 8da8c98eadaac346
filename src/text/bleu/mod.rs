//! Corpus BLEU (Papineni et al. 2002), computed exactly as sacreBLEU 2.6.0 computes it
//! with its defaults, so a score printed here is the score a paper would print.
//!
//! ```text
//!  for each hypothesis h and its references r₁..r_k (after lower-casing, if asked,
//!  and tokenizing):
//!      totalₙ   += number of n-grams of h                         n = 1..4
//!      correctₙ += Σ over n-grams g of h: min(count_h(g), max_j count_rⱼ(g))   (clipped)
//!      hyp_len  += |h|;  ref_len += the |rⱼ| closest to |h| (the shorter on a tie)
//!  pₙ   = 100 · correctₙ / totalₙ,  or, if correctₙ = 0, 100 / (2ᵐ · totalₙ) where
//!         m counts the orders ≤ n with no match so far             (smooth_method='exp')
//!  BP   = 1 if hyp_len ≥ ref_len, else exp(1 − ref_len / hyp_len)   (0 if hyp_len = 0)
//!  BLEU = BP · exp(¼ Σₙ log pₙ)       (0 if no n-gram matches at all; log 0 is taken
//!                                      as −9999999999, so an order with no n-grams
//!                                      at all also gives 0)
//! ```
//! Two ways to tokenize, as sacreBLEU's `tokenize=`:
//! - [`Tokenize::Tok13a`] (the default, `tok:13a`): for detokenized output, the
//!   standard way to report translation quality (cased, signature
//!   `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`);
//! - [`Tokenize::None`] (`tok:none`): split on whitespace only, for text that is already
//!   tokenized — with lower-casing, the "tokenized lower-cased BLEU" older papers and
//!   tutorials report.
//!
//! The equality with sacreBLEU (score to two decimals, n-gram counts exactly) is tested
//! on the fixtures of `tests/fixtures/bleu/`, made by sacreBLEU itself.
//! Read next: `tokenizer_13a.rs`.

mod tokenizer_13a;

use std::collections::HashMap;
use std::fmt;

use tensor::error::{Error, ErrorKind};

pub use tokenizer_13a::tokenize_13a;
use tokenizer_13a::{is_python_space, split_python};

/// The largest n-gram order (sacreBLEU's `max_ngram_order` default).
pub const MAX_NGRAM_ORDER: usize = 4;

/// How hypotheses and references are cut into words before n-grams are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tokenize {
    /// sacreBLEU's `13a` ([`tokenize_13a`]), for detokenized text. The default.
    #[default]
    Tok13a,
    /// Whitespace only, for text that is already tokenized.
    None,
}

/// A BLEU configuration: tokenizer and casing. `Bleu::new()` is sacreBLEU's default
/// (`13a`, case-sensitive).
///
/// ```
/// use ferrograd::text::bleu::{Bleu, Tokenize};
/// let hyps = ["The cat sat on the mat."];
/// let refs = ["The cat is on the mat."];
/// let cased = Bleu::new().corpus_score(&hyps, &[refs]);
/// assert_eq!(format!("{:.2}", cased.score), "48.89");
/// let lower = Bleu::new().lowercase(true).tokenize(Tokenize::None).corpus_score(&["the cat"], &[["The cat"]]);
/// assert_eq!(lower.counts, [2, 1, 0, 0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bleu {
    lowercase: bool,
    tokenize: Tokenize,
}

/// A corpus BLEU score and the statistics it was computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct BleuScore {
    /// BLEU, between 0 and 100.
    pub score: f64,
    /// Matched (clipped) n-grams, n = 1..4.
    pub counts: [usize; MAX_NGRAM_ORDER],
    /// N-grams of the hypotheses, n = 1..4.
    pub totals: [usize; MAX_NGRAM_ORDER],
    /// The (smoothed) precisions pₙ in percent.
    pub precisions: [f64; MAX_NGRAM_ORDER],
    /// The brevity penalty.
    pub bp: f64,
    /// Total hypothesis length in words.
    pub sys_len: usize,
    /// Total length of the closest references.
    pub ref_len: usize,
    /// sacreBLEU's signature of the settings, e.g.
    /// `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`.
    pub signature: String,
}

impl Bleu {
    /// sacreBLEU's default: `13a` tokenizer, case-sensitive, exponential smoothing.
    pub fn new() -> Bleu {
        Bleu::default()
    }

    /// Lower-case hypotheses and references before tokenizing (sacreBLEU's `-lc`).
    pub fn lowercase(mut self, lowercase: bool) -> Bleu {
        self.lowercase = lowercase;
        self
    }

    /// The tokenizer (sacreBLEU's `--tokenize`).
    pub fn tokenize(mut self, tokenize: Tokenize) -> Bleu {
        self.tokenize = tokenize;
        self
    }

    /// A segment as sacreBLEU scores it: lower-cased if asked, trailing whitespace
    /// removed, tokenized.
    pub fn preprocess(&self, segment: &str) -> String {
        let lowered;
        let segment = if self.lowercase {
            lowered = segment.to_lowercase();
            &lowered
        } else {
            segment
        };
        let segment = segment.trim_end_matches(is_python_space);
        match self.tokenize {
            Tokenize::Tok13a => tokenize_13a(segment),
            Tokenize::None => segment.to_owned(),
        }
    }

    /// Corpus BLEU of `hypotheses` against one or more reference streams
    /// (`references[j][i]` is the `j`-th reference of hypothesis `i`), as sacreBLEU's
    /// `BLEU(...).corpus_score(hypotheses, references)`.
    ///
    /// # Shapes
    /// `hypotheses`: N segments; `references`: R streams of N segments each.
    ///
    /// # Panics
    /// If there is no reference stream, or a stream's length differs from N.
    #[track_caller]
    pub fn corpus_score<H, S, R>(&self, hypotheses: &[H], references: &[R]) -> BleuScore
    where
        H: AsRef<str>,
        S: AsRef<str>,
        R: AsRef<[S]>,
    {
        if references.is_empty() {
            Error::new(
                "corpus_bleu",
                ErrorKind::Value,
                "no reference streams given",
            )
            .with_hint("pass &[refs], one stream holding a reference per hypothesis")
            .raise();
        }
        for (j, stream) in references.iter().enumerate() {
            if stream.as_ref().len() != hypotheses.len() {
                Error::new(
                    "corpus_bleu",
                    ErrorKind::Shape,
                    format!(
                        "{} hypotheses but reference stream {j} has {} segments",
                        hypotheses.len(),
                        stream.as_ref().len()
                    ),
                )
                .with_hint("references[j][i] must be a reference of hypotheses[i]")
                .raise();
            }
        }
        let mut stats = Stats::default();
        for (i, hypothesis) in hypotheses.iter().enumerate() {
            let refs: Vec<String> = references
                .iter()
                .map(|s| self.preprocess(s.as_ref()[i].as_ref()))
                .collect();
            stats.add_segment(&self.preprocess(hypothesis.as_ref()), &refs);
        }
        let signature = format!(
            "nrefs:{}|case:{}|eff:no|tok:{}|smooth:exp|version:2.6.0",
            references.len(),
            if self.lowercase { "lc" } else { "mixed" },
            match self.tokenize {
                Tokenize::Tok13a => "13a",
                Tokenize::None => "none",
            }
        );
        stats.score(signature)
    }
}

/// [`Bleu::new`]`().corpus_score(hypotheses, references)`: cased BLEU with the `13a`
/// tokenizer, sacreBLEU's `corpus_bleu(hypotheses, references)`.
///
/// ```
/// use ferrograd::text::bleu::corpus_bleu;
/// let score = corpus_bleu(&["Two dogs run on the grass."], &[["Two dogs are running on the grass."]]);
/// assert_eq!(score.counts, [6, 4, 2, 1]);
/// assert_eq!(
///     score.to_string(),
///     "BLEU = 42.38 85.7/66.7/40.0/25.0 (BP = 0.867 ratio = 0.875 hyp_len = 7 ref_len = 8)"
/// );
/// ```
///
/// # Panics
/// As [`Bleu::corpus_score`].
#[track_caller]
pub fn corpus_bleu<H, S, R>(hypotheses: &[H], references: &[R]) -> BleuScore
where
    H: AsRef<str>,
    S: AsRef<str>,
    R: AsRef<[S]>,
{
    Bleu::new().corpus_score(hypotheses, references)
}

/// The n-grams (n = 1..4) of a tokenized segment, with their counts.
fn ngrams<'a>(tokens: &'a [&'a str]) -> HashMap<&'a [&'a str], usize> {
    let mut counts = HashMap::new();
    for n in 1..=MAX_NGRAM_ORDER {
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_default() += 1;
        }
    }
    counts
}

/// The sufficient statistics of corpus BLEU, summed over segments.
#[derive(Default)]
struct Stats {
    sys_len: usize,
    ref_len: usize,
    correct: [usize; MAX_NGRAM_ORDER],
    total: [usize; MAX_NGRAM_ORDER],
}

impl Stats {
    /// Add one preprocessed hypothesis and its preprocessed references.
    fn add_segment(&mut self, hypothesis: &str, references: &[String]) {
        let ref_tokens: Vec<Vec<&str>> = references
            .iter()
            .map(|r| split_python(r).collect())
            .collect();
        // Each n-gram's count in the reference that has the most of it.
        let mut ref_counts: HashMap<&[&str], usize> = HashMap::new();
        for tokens in &ref_tokens {
            for (gram, n) in ngrams(tokens) {
                let best = ref_counts.entry(gram).or_default();
                *best = (*best).max(n);
            }
        }
        let hyp_tokens: Vec<&str> = split_python(hypothesis).collect();
        for (gram, n) in ngrams(&hyp_tokens) {
            self.total[gram.len() - 1] += n;
            self.correct[gram.len() - 1] += n.min(ref_counts.get(gram).copied().unwrap_or(0));
        }
        let hyp_len = hyp_tokens.len();
        // The closest reference length; the shorter one on a tie.
        let closest = ref_tokens
            .iter()
            .map(|t| t.len())
            .min_by_key(|&len| (len.abs_diff(hyp_len), len))
            .unwrap_or(0);
        self.sys_len += hyp_len;
        self.ref_len += closest;
    }

    /// sacreBLEU's `compute_bleu` with `smooth_method='exp'`, step for step.
    fn score(&self, signature: String) -> BleuScore {
        let bp = match (self.sys_len, self.ref_len) {
            (sys, reference) if sys >= reference => 1.0,
            (0, _) => 0.0,
            (sys, reference) => (1.0 - reference as f64 / sys as f64).exp(),
        };
        let mut precisions = [0.0; MAX_NGRAM_ORDER];
        let mut score = 0.0;
        if self.correct.iter().any(|&c| c > 0) {
            let mut smooth_mteval = 1.0;
            for ((p, &correct), &total) in precisions.iter_mut().zip(&self.correct).zip(&self.total)
            {
                if total == 0 {
                    break;
                }
                *p = if correct == 0 {
                    smooth_mteval *= 2.0;
                    100.0 / (smooth_mteval * total as f64)
                } else {
                    100.0 * correct as f64 / total as f64
                };
            }
            // sacreBLEU's `my_log`: log 0 is a very negative number, not -inf.
            let log = |p: f64| if p == 0.0 { -9_999_999_999.0 } else { p.ln() };
            let mean_log = precisions.iter().map(|&p| log(p)).sum::<f64>() / MAX_NGRAM_ORDER as f64;
            score = bp * mean_log.exp();
        }
        BleuScore {
            score,
            counts: self.correct,
            totals: self.total,
            precisions,
            bp,
            sys_len: self.sys_len,
            ref_len: self.ref_len,
            signature,
        }
    }
}

impl fmt::Display for BleuScore {
    /// sacreBLEU's line: `BLEU = 36.52 67.2/42.1/28.3/19.5 (BP = 1.000 ratio = 1.013
    /// hyp_len = 13000 ref_len = 12834)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.precisions;
        let ratio = if self.ref_len > 0 {
            self.sys_len as f64 / self.ref_len as f64
        } else {
            0.0
        };
        write!(
            f,
            "BLEU = {:.2} {:.1}/{:.1}/{:.1}/{:.1} (BP = {:.3} ratio = {ratio:.3} hyp_len = {} ref_len = {})",
            self.score, p[0], p[1], p[2], p[3], self.bp, self.sys_len, self.ref_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_text_scores_100_and_empty_hypotheses_0() {
        let refs = [
            "A man in an orange hat starring at something.",
            "A dog runs.",
        ];
        let perfect = corpus_bleu(&refs, &[refs]);
        // exp(log 100) is 100.00000000000004 here as in Python: sacreBLEU prints 100.00.
        assert_eq!(format!("{:.2} {}", perfect.score, perfect.bp), "100.00 1");
        let empty = corpus_bleu(&["", ""], &[refs]);
        assert_eq!((empty.score, empty.bp, empty.sys_len), (0.0, 0.0, 0));
    }

    #[test]
    fn closest_reference_length_prefers_the_shorter_on_a_tie() {
        let score = corpus_bleu(&["a b c"], &[["a b"], ["a b c d"]]);
        assert_eq!((score.sys_len, score.ref_len), (3, 2));
        assert!(
            score.signature.starts_with("nrefs:2|case:mixed"),
            "{}",
            score.signature
        );
    }

    #[test]
    #[should_panic(expected = "corpus_bleu: 2 hypotheses but reference stream 0 has 1 segments")]
    fn mismatched_streams_panic_with_both_lengths() {
        corpus_bleu(&["a", "b"], &[["a"]]);
    }
}
