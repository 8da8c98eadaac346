//! The vocabulary: every word seen at least `min_count` times, most frequent first,
//! and the corpus turned into sentences of word ids.
//!
//! ```text
//! corpus line "the cat sat on the mat"  →  sentence [0, 5120, 893, 14, 0, 9021]
//! words below min_count are dropped from the sentence (not replaced by <unk>),
//! as word2vec and gensim do; they still count as "raw words" for the lr schedule.
//! ids: 0 = most frequent word; ties keep the order of first appearance (gensim's
//! stable sort), so the ids are the same on every run.
//! ```
//! Read next: `sampling.rs` (sub-sampling and negative samples drawn from these counts).

use std::collections::HashMap;

/// Words with their counts, sorted by decreasing count.
pub struct Vocab {
    /// The words, id order (most frequent first).
    pub words: Vec<String>,
    /// `counts[id]`: occurrences in the corpus.
    pub counts: Vec<u64>,
    /// Word → id.
    pub index: HashMap<String, u32>,
}

impl Vocab {
    /// Count the whitespace-separated tokens of `lines` and keep those seen at least
    /// `min_count` times.
    pub fn build<'a>(lines: impl IntoIterator<Item = &'a str>, min_count: u64) -> Vocab {
        let mut first_seen: HashMap<&str, (usize, u64)> = HashMap::new();
        for line in lines {
            for word in line.split_ascii_whitespace() {
                let next = first_seen.len();
                first_seen.entry(word).or_insert((next, 0)).1 += 1;
            }
        }
        let mut kept: Vec<(&str, usize, u64)> = first_seen
            .into_iter()
            .filter(|&(_, (_, count))| count >= min_count)
            .map(|(word, (order, count))| (word, order, count))
            .collect();
        kept.sort_by_key(|&(_, order, count)| (std::cmp::Reverse(count), order));
        Vocab::from_counts(kept.into_iter().map(|(w, _, c)| (w.to_string(), c)))
    }

    /// A vocabulary from `(word, count)` pairs already in id order.
    pub fn from_counts(pairs: impl IntoIterator<Item = (String, u64)>) -> Vocab {
        let (words, counts): (Vec<String>, Vec<u64>) = pairs.into_iter().unzip();
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as u32))
            .collect();
        Vocab {
            words,
            counts,
            index,
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// The id of `word`, if it is in the vocabulary.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }
}

/// The corpus as sentences of word ids, with the raw token count of each sentence.
pub struct Corpus {
    /// One sentence per corpus line, out-of-vocabulary words dropped.
    pub sentences: Vec<Vec<u32>>,
    /// Tokens per line before dropping (what the lr schedule and words/s count).
    pub raw_lengths: Vec<u32>,
}

impl Corpus {
    /// Encode every line with `vocab`.
    pub fn encode<'a>(lines: impl IntoIterator<Item = &'a str>, vocab: &Vocab) -> Corpus {
        let (mut sentences, mut raw_lengths) = (Vec::new(), Vec::new());
        for line in lines {
            let mut raw = 0;
            let ids = line
                .split_ascii_whitespace()
                .inspect(|_| raw += 1)
                .filter_map(|w| vocab.id(w))
                .collect();
            sentences.push(ids);
            raw_lengths.push(raw);
        }
        Corpus {
            sentences,
            raw_lengths,
        }
    }

    /// Raw tokens in the whole corpus (one epoch).
    pub fn raw_words(&self) -> u64 {
        self.raw_lengths.iter().map(|&n| u64::from(n)).sum()
    }
}
