//! Learning the merges: the incremental algorithm that makes 10,000 merges on
//! Multi30k take about half a second of CPU time instead of minutes.
//!
//! The naive learner recounts every pair of the corpus before each merge: with W
//! distinct words of mean length L, that is `num_merges × W × L` steps. But a merge of
//! `(a, b)` only changes the words that contain `a b`, and only the counts of pairs
//! inside those words. So we keep, across merges,
//! ```text
//!  counts[pair]      how often the pair occurs: Σ over words of occurrences × frequency
//!  occurs_in[pair]   the words it occurs in (may list words it has since left: checked)
//!  heap              (count, pair) entries, most frequent on top
//! ```
//! and each merge touches only the words in `occurs_in[(a, b)]`: subtract the pair
//! counts of the word's old spelling, add those of the new one. Every pair whose count
//! changed gets a fresh heap entry; an entry whose count no longer matches `counts`
//! is stale and is thrown away when it reaches the top ("lazy deletion", cheaper than
//! finding and updating it inside the heap).
//!
//! Ties between equally frequent pairs go to the smaller pair of ids, so a corpus
//! always gives the same merges. Learning stops early if no pair occurs twice.
//! Read next: `file.rs`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::{Bpe, Pair, merge_pair};
use crate::text::pretokenize::{SPACE_MARKER, pre_tokenize};

/// The distinct pieces of the corpus, spelled in token ids, with their frequencies.
struct Words {
    spellings: Vec<Vec<u32>>,
    freqs: Vec<i64>,
}

impl Bpe {
    /// Learn `num_merges` merges from `corpus` (one sentence per item; for a joint
    /// German–English vocabulary pass the sentences of both languages).
    ///
    /// ```text
    /// repeat num_merges times:
    ///     (a, b) = the most frequent adjacent pair of tokens inside the words
    ///     add the token a+b; replace every a b by a+b
    /// ```
    /// Fewer merges are learned if no pair occurs twice before the end. Words that
    /// contain the marker `▁` itself are left out (it stands for the space).
    ///
    /// ```
    /// use ferrograd::text::Bpe;
    /// let bpe = Bpe::train(["a cat sat on a mat", "the cat ate"].iter(), 4);
    /// assert_eq!(bpe.merges().len(), 4);
    /// assert_eq!(bpe.decode(&bpe.encode("a rat ate")), "a <unk>at ate");
    /// ```
    pub fn train<I, S>(corpus: I, num_merges: usize) -> Bpe
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let (mut bpe, mut words) = count_words(corpus);
        let mut counts: HashMap<Pair, i64> = HashMap::new();
        let mut occurs_in: HashMap<Pair, Vec<usize>> = HashMap::new();
        for (w, spelling) in words.spellings.iter().enumerate() {
            for pair in spelling.windows(2).map(|p| (p[0], p[1])) {
                *counts.entry(pair).or_default() += words.freqs[w];
                let list = occurs_in.entry(pair).or_default();
                if list.last() != Some(&w) {
                    list.push(w);
                }
            }
        }
        let mut heap: BinaryHeap<(i64, Reverse<Pair>)> = counts
            .iter()
            .map(|(&pair, &n)| (n, Reverse(pair)))
            .collect();

        while bpe.merges.len() < num_merges {
            let Some((count, Reverse(pair))) = heap.pop() else {
                break;
            };
            if counts.get(&pair) != Some(&count) {
                continue; // stale: the pair's count changed after this entry was pushed
            }
            if count < 2 {
                break;
            }
            let merged = bpe.push_merge(pair);
            // Count before this merge of every pair it changes.
            let mut before: HashMap<Pair, i64> = HashMap::new();
            for w in occurs_in.remove(&pair).unwrap_or_default() {
                let old = &words.spellings[w];
                if !old.windows(2).any(|p| (p[0], p[1]) == pair) {
                    continue; // the word lost the pair in an earlier merge
                }
                let new = merge_pair(old, pair, merged);
                let freq = words.freqs[w];
                for (spelling, sign) in [(old, -1), (&new, 1)] {
                    for p in spelling.windows(2).map(|p| (p[0], p[1])) {
                        let n = counts.entry(p).or_default();
                        before.entry(p).or_insert(*n);
                        *n += sign * freq;
                    }
                }
                // Only pairs with the new token are new to this word.
                for p in new.windows(2).map(|p| (p[0], p[1])) {
                    if p.0 == merged || p.1 == merged {
                        let list = occurs_in.entry(p).or_default();
                        if list.last() != Some(&w) {
                            list.push(w);
                        }
                    }
                }
                words.spellings[w] = new;
            }
            for (p, n_before) in before {
                let n = counts[&p];
                if n == 0 {
                    counts.remove(&p);
                } else if n != n_before {
                    heap.push((n, Reverse(p)));
                }
            }
        }
        bpe
    }
}

/// The alphabet (characters by falling frequency, ties by code point) and the
/// distinct pieces of the corpus spelled in its ids.
fn count_words<I, S>(corpus: I) -> (Bpe, Words)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut freqs: HashMap<String, i64> = HashMap::new();
    for sentence in corpus {
        let spaced = format!(" {}", sentence.as_ref());
        for piece in pre_tokenize(&spaced) {
            match freqs.get_mut(piece) {
                Some(n) => *n += 1,
                None => {
                    freqs.insert(piece.to_owned(), 1);
                }
            }
        }
    }
    freqs.retain(|word, _| !word.contains(SPACE_MARKER));
    let mut chars: HashMap<char, i64> = HashMap::new();
    for (word, &n) in &freqs {
        for c in word.chars() {
            *chars.entry(c).or_default() += n;
        }
    }
    let mut alphabet: Vec<(char, i64)> = chars.into_iter().collect();
    alphabet.sort_by_key(|&(c, n)| (Reverse(n), c));
    let bpe = Bpe::with_alphabet(alphabet.into_iter().map(|(c, _)| c));
    let (spellings, freqs) = freqs
        .into_iter()
        .map(|(word, n)| (word.chars().map(|c| bpe.alphabet[&c]).collect(), n))
        .unzip();
    (bpe, Words { spellings, freqs })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook learner: recount every pair before every merge.
    fn naive_merges(corpus: &[&str], num_merges: usize) -> Vec<Pair> {
        let (mut bpe, mut words) = count_words(corpus);
        for _ in 0..num_merges {
            let mut counts: HashMap<Pair, i64> = HashMap::new();
            for (spelling, &n) in words.spellings.iter().zip(&words.freqs) {
                for p in spelling.windows(2) {
                    *counts.entry((p[0], p[1])).or_default() += n;
                }
            }
            let Some((pair, count)) = counts
                .into_iter()
                .max_by_key(|&(pair, n)| (n, Reverse(pair)))
            else {
                break;
            };
            if count < 2 {
                break;
            }
            let merged = bpe.push_merge(pair);
            for spelling in &mut words.spellings {
                *spelling = merge_pair(spelling, pair, merged);
            }
        }
        bpe.merges
    }

    #[test]
    fn incremental_learner_makes_the_naive_learners_merges() {
        let corpus = [
            "low lower lowest low low",
            "new newer newest newest wider widest",
            "aaaa aaa aa a banana bandana",
            "Zwei junge Männer  spielen , Männer spielen...",
        ];
        for num_merges in [0, 1, 5, 30, 200] {
            let fast = Bpe::train(corpus.iter(), num_merges);
            assert_eq!(
                fast.merges,
                naive_merges(&corpus, num_merges),
                "{num_merges} merges"
            );
        }
    }

    #[test]
    fn the_textbook_example_learns_est_first() {
        let corpus: Vec<&str> = [("low", 5), ("lower", 2), ("newest", 6), ("widest", 3)]
            .iter()
            .flat_map(|&(w, n)| std::iter::repeat_n(w, n))
            .collect();
        let bpe = Bpe::train(&corpus, 3);
        let names: Vec<String> = bpe
            .merges()
            .iter()
            .map(|&(a, b)| format!("{} {}", bpe.vocab.id_to_token(a), bpe.vocab.id_to_token(b)))
            .collect();
        assert_eq!(names, ["e s", "es t", "▁ l"]);
    }
}
