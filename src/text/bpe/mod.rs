//! Byte-pair encoding (BPE, Sennrich, Haddow & Birch 2016): a subword vocabulary
//! learned from text, so frequent words are one token and rare words are spelled
//! from a few pieces — no word is ever out of vocabulary.
//!
//! Learning (`train.rs`) starts from single characters and repeats `num_merges`
//! times: count every adjacent pair of tokens inside the words of the corpus, and
//! merge the most frequent pair into a new token.
//! ```text
//!  words       ▁ l o w (×5)   ▁ l o w e r (×2)   ▁ n e w e s t (×6)   ▁ w i d e s t (×3)
//!  merge 1     e s  (9)   →  ▁ n e w es t,  ▁ w i d es t
//!  merge 2     es t (9)   →  ▁ n e w est,   ▁ w i d est
//!  merge 3     ▁ l  (7)   →  ▁l o w,  ▁l o w e r     …
//! ```
//! Encoding a new sentence replays the merges in the order they were learned (lowest
//! rank first) inside each piece of the sentence; decoding concatenates the tokens.
//!
//! # Vocabulary
//! ```text
//!  0 <pad>  1 <bos>  2 <eos>  3 <unk>       fixed ids, see `vocab.rs`
//!  4 …                                       the characters of the training text,
//!                                            most frequent first (▁ is the space)
//!  then one token per merge, in merge order  (a merge whose string already exists
//!                                            reuses its id)
//! ```
//!
//! # Exact round trip
//! The sentence gets one space in front (so the first word is `▁Zwei`, the same token
//! as in the middle of a sentence), is cut by [`crate::text::pre_tokenize`], and every
//! character becomes a token. Decoding concatenates the tokens, turns `▁` back into
//! spaces and removes the one space added in front. Nothing is normalised or dropped,
//! so `decode(encode(s)) == s` for every `s` whose characters occur in the training
//! text: double spaces, tabs and no-break spaces included. A character never seen in
//! training, and the marker `▁` itself when it occurs in the text, encode as `<unk>`.
//!
//! Read next: `train.rs` (the learner), `file.rs` (the saved format).

mod file;
mod train;

use std::collections::HashMap;

use super::pretokenize::{SPACE_MARKER, pre_tokenize};
use super::vocab::{BOS, EOS, PAD, UNK, Vocab};

/// Two adjacent token ids.
type Pair = (u32, u32);

/// A byte-pair-encoding tokenizer: an alphabet of characters plus a list of merges.
///
/// ```
/// use ferrograd::text::Bpe;
/// let corpus = [("low", 5), ("lower", 2), ("newest", 6), ("widest", 3)]
///     .iter()
///     .flat_map(|&(word, n)| std::iter::repeat_n(word, n));
/// let bpe = Bpe::train(corpus, 14);
/// let ids = bpe.encode("lowest newer");
/// let tokens: Vec<&str> = ids.iter().map(|&id| bpe.vocab().id_to_token(id)).collect();
/// assert_eq!(tokens, ["▁low", "est", "▁n", "ew", "er"]);
/// assert_eq!(bpe.decode(&ids), "lowest newer");
/// ```
#[derive(Clone, Debug)]
pub struct Bpe {
    vocab: Vocab,
    /// Characters of the alphabet → their ids (the space → the id of `▁`).
    alphabet: HashMap<char, u32>,
    /// The merges, in the order they were learned.
    merges: Vec<Pair>,
    /// A merge → (its rank in `merges`, the id of the token it makes).
    ranks: HashMap<Pair, (usize, u32)>,
}

impl Bpe {
    /// A tokenizer with the special tokens, the characters `alphabet` (in id order;
    /// the space is written `▁`) and no merges yet.
    fn with_alphabet(alphabet: impl IntoIterator<Item = char>) -> Bpe {
        let mut bpe = Bpe {
            vocab: Vocab::new(),
            alphabet: HashMap::new(),
            merges: Vec::new(),
            ranks: HashMap::new(),
        };
        for c in alphabet {
            let token = if c == ' ' { SPACE_MARKER } else { c };
            let id = bpe.vocab.add(token.encode_utf8(&mut [0; 4]));
            bpe.alphabet.insert(c, id);
        }
        bpe
    }

    /// Append the merge `(a, b)`; the id of the token `a + b`.
    fn push_merge(&mut self, (a, b): Pair) -> u32 {
        let merged = format!("{}{}", self.vocab.id_to_token(a), self.vocab.id_to_token(b));
        let id = self.vocab.add(&merged);
        self.ranks.entry((a, b)).or_insert((self.merges.len(), id));
        self.merges.push((a, b));
        id
    }

    /// The token ids of `text`, without `<bos>`/`<eos>` (add them where a model needs
    /// them).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let spaced = format!(" {text}");
        let mut ids = Vec::with_capacity(spaced.len());
        for piece in pre_tokenize(&spaced) {
            let mut symbols: Vec<u32> = piece
                .chars()
                .map(|c| self.alphabet.get(&c).copied().unwrap_or(UNK))
                .collect();
            // Replay the learned merges inside the piece, lowest rank first.
            while let Some((&pair, &(_, merged))) = symbols
                .windows(2)
                .filter_map(|w| self.ranks.get_key_value(&(w[0], w[1])))
                .min_by_key(|(_, (rank, _))| *rank)
            {
                symbols = merge_pair(&symbols, pair, merged);
            }
            ids.extend(symbols);
        }
        ids
    }

    /// The text of `ids`: the tokens concatenated, `▁` turned back into spaces, the
    /// space [`Bpe::encode`] puts in front removed. `<pad>`, `<bos>` and `<eos>` are
    /// skipped; `<unk>` is written `<unk>`.
    ///
    /// # Panics
    /// If an id is not below [`Bpe::vocab_size`].
    #[track_caller]
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut text = String::new();
        for &id in ids.iter().filter(|&&id| ![PAD, BOS, EOS].contains(&id)) {
            text.push_str(self.vocab.id_to_token(id));
        }
        let text = text.replace(SPACE_MARKER, " ");
        match text.strip_prefix(' ') {
            Some(rest) => rest.to_owned(),
            None => text,
        }
    }

    /// The vocabulary: specials, alphabet, merged tokens.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Number of tokens (the `V` of the embedding and of the output layer).
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The learned merges as pairs of token ids, in the order they were learned.
    pub fn merges(&self) -> &[(u32, u32)] {
        &self.merges
    }
}

/// `symbols` with every occurrence of `(a, b)`, taken left to right without overlap,
/// replaced by `merged` (so merging `(a, a)` in `a a a` gives `aa a`).
fn merge_pair(symbols: &[u32], (a, b): Pair, merged: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity(symbols.len());
    let mut i = 0;
    while i < symbols.len() {
        if i + 1 < symbols.len() && symbols[i] == a && symbols[i + 1] == b {
            out.push(merged);
            i += 2;
        } else {
            out.push(symbols[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_pair_is_left_to_right_without_overlap() {
        assert_eq!(merge_pair(&[7, 7, 7], (7, 7), 9), [9, 7]);
        assert_eq!(merge_pair(&[7, 7, 7, 7], (7, 7), 9), [9, 9]);
        assert_eq!(merge_pair(&[1, 2, 3, 1, 2], (1, 2), 9), [9, 3, 9]);
    }

    #[test]
    fn unseen_characters_and_the_marker_itself_are_unk() {
        let bpe = Bpe::train(["ab ab"].iter(), 5);
        let ids = bpe.encode("ab ▁ ac");
        assert_eq!(bpe.decode(&ids), "ab <unk> a<unk>");
        assert_eq!(ids.iter().filter(|&&id| id == UNK).count(), 2);
    }

    #[test]
    fn decode_skips_pad_bos_eos_and_round_trips_odd_spacing() {
        let text = "  Zwei\tjunge  Männer\u{a0}. ";
        let bpe = Bpe::train([text].iter(), 20);
        let mut ids = vec![BOS];
        ids.extend(bpe.encode(text));
        ids.extend([EOS, PAD, PAD]);
        assert_eq!(bpe.decode(&ids), text);
    }
}
