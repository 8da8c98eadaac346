//! A word-level tokenizer, the simple baseline BPE is compared with: one token per
//! word or punctuation mark, a vocabulary of the words seen at least `min_count`
//! times, and `<unk>` for every other word.
//!
//! It shows what BPE fixes: Multi30k's training text has ~18k distinct German and
//! ~11k English words (half of them seen only once), yet a compound of the test set
//! such as `Frauenfußballmannschaft` is `<unk>`, and decoding cannot restore the
//! spacing (`Hund , 3 - mal`). Words are cut by the
//! same [`pre_tokenize`] as BPE, without the spaces. Read next: `bleu/mod.rs`.

use std::cmp::Reverse;
use std::collections::HashMap;

use super::pretokenize::pre_tokenize;
use super::vocab::{BOS, EOS, PAD, UNK, Vocab};

/// A word-level tokenizer: vocabulary by falling frequency (ties alphabetical) after
/// the four special tokens.
///
/// ```
/// use ferrograd::text::{WordTokenizer, UNK};
/// let words = WordTokenizer::train(["a dog, a cat.", "a dog!"].iter(), 2);
/// assert_eq!(words.vocab().tokens()[4..], ["a", "dog"]);
/// assert_eq!(words.encode("a cat"), [4, UNK]);
/// assert_eq!(words.decode(&words.encode("A dog , a dog")), "<unk> dog <unk> a dog");
/// ```
#[derive(Clone, Debug)]
pub struct WordTokenizer {
    vocab: Vocab,
}

impl WordTokenizer {
    /// The words of `text`: [`pre_tokenize`]'s pieces without their spaces, whitespace
    /// dropped.
    ///
    /// ```
    /// use ferrograd::text::WordTokenizer;
    /// assert_eq!(WordTokenizer::words("Ein Hund, 3-mal."), ["Ein", "Hund", ",", "3", "-", "mal", "."]);
    /// ```
    pub fn words(text: &str) -> Vec<&str> {
        pre_tokenize(text)
            .into_iter()
            .map(|piece| piece.strip_prefix(' ').unwrap_or(piece))
            .filter(|word| !word.trim().is_empty())
            .collect()
    }

    /// A vocabulary of the words occurring at least `min_count` times in `corpus`
    /// (one sentence per item).
    pub fn train<I, S>(corpus: I, min_count: usize) -> WordTokenizer
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for sentence in corpus {
            for word in Self::words(sentence.as_ref()) {
                match counts.get_mut(word) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(word.to_owned(), 1);
                    }
                }
            }
        }
        let mut kept: Vec<(String, usize)> = counts
            .into_iter()
            .filter(|&(_, n)| n >= min_count)
            .collect();
        kept.sort_by(|(a, na), (b, nb)| (Reverse(na), a).cmp(&(Reverse(nb), b)));
        let mut vocab = Vocab::new();
        for (word, _) in &kept {
            vocab.add(word);
        }
        WordTokenizer { vocab }
    }

    /// The ids of the words of `text` (`<unk>` for words not in the vocabulary),
    /// without `<bos>`/`<eos>`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        Self::words(text)
            .into_iter()
            .map(|word| self.vocab.token_to_id(word).unwrap_or(UNK))
            .collect()
    }

    /// The words of `ids` joined by single spaces; `<pad>`, `<bos>` and `<eos>` are
    /// skipped.
    ///
    /// # Panics
    /// If an id is not below [`WordTokenizer::vocab_size`].
    #[track_caller]
    pub fn decode(&self, ids: &[u32]) -> String {
        let words: Vec<&str> = ids
            .iter()
            .filter(|id| ![PAD, BOS, EOS].contains(id))
            .map(|&id| self.vocab.id_to_token(id))
            .collect();
        words.join(" ")
    }

    /// The vocabulary: specials, then words by falling frequency.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Number of tokens, the four specials included.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_count_drops_rare_words_and_ties_are_alphabetical() {
        let corpus = ["b a c", "a b", "d"];
        let all = WordTokenizer::train(corpus.iter(), 1);
        assert_eq!(all.vocab().tokens()[4..], ["a", "b", "c", "d"]);
        let common = WordTokenizer::train(corpus.iter(), 2);
        assert_eq!(common.vocab_size(), 6);
        assert_eq!(common.encode("d a  b\tc"), [UNK, 4, 5, UNK]);
    }

    #[test]
    fn decode_skips_specials_and_joins_with_spaces() {
        let words = WordTokenizer::train(["Zwei Männer spielen."].iter(), 1);
        let mut ids = vec![BOS];
        ids.extend(words.encode("Zwei  Männer spielen."));
        ids.extend([EOS, PAD]);
        assert_eq!(words.decode(&ids), "Zwei Männer spielen .");
    }
}
