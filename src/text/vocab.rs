//! The vocabulary both tokenizers share: token strings and their ids, with four
//! special tokens at fixed ids.
//!
//! ```text
//!  id  token    meaning
//!   0  <pad>    padding: fills a batch's short sequences up to the longest (PAD)
//!   1  <bos>    beginning of sequence: the decoder's first input token     (BOS)
//!   2  <eos>    end of sequence: the model emits it to stop                (EOS)
//!   3  <unk>    a character (BPE) or word (word tokenizer) not in the vocabulary (UNK)
//!   4…          the learned tokens
//! ```
//! The ids are the same in every vocabulary, so a padding mask is always `ids == 0`
//! and an embedding's `padding_idx` is always 0. Read next: `pretokenize.rs`.

use std::collections::HashMap;

use tensor::error::{Error, ErrorKind};

/// Id of `<pad>`.
pub const PAD: u32 = 0;
/// Id of `<bos>`.
pub const BOS: u32 = 1;
/// Id of `<eos>`.
pub const EOS: u32 = 2;
/// Id of `<unk>`.
pub const UNK: u32 = 3;
/// The special tokens, in id order: `SPECIALS[PAD as usize] == "<pad>"`.
pub const SPECIALS: [&str; 4] = ["<pad>", "<bos>", "<eos>", "<unk>"];

/// Token strings and ids: id `i` is the `i`-th token added, after the four
/// [`SPECIALS`].
///
/// ```
/// use ferrograd::text::{Vocab, UNK};
/// let mut vocab = Vocab::new();
/// let dog = vocab.add("dog");
/// assert_eq!((dog, vocab.add("dog"), vocab.len()), (4, 4, 5));
/// assert_eq!(vocab.token_to_id("<unk>"), Some(UNK));
/// assert_eq!(vocab.id_to_token(dog), "dog");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab::new()
    }
}

impl Vocab {
    /// A vocabulary holding only the four special tokens.
    pub fn new() -> Vocab {
        let mut vocab = Vocab {
            tokens: Vec::new(),
            ids: HashMap::new(),
        };
        for token in SPECIALS {
            vocab.add(token);
        }
        vocab
    }

    /// The id of `token`, added at the end if it is new.
    pub fn add(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.ids.get(token) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.tokens.push(token.to_owned());
        self.ids.insert(token.to_owned(), id);
        id
    }

    /// The id of `token`, if it is in the vocabulary.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// The token with id `id`.
    ///
    /// # Panics
    /// If `id` is not below [`Vocab::len`].
    #[track_caller]
    pub fn id_to_token(&self, id: u32) -> &str {
        match self.tokens.get(id as usize) {
            Some(token) => token,
            None => Error::new(
                "Vocab::id_to_token",
                ErrorKind::Index,
                format!(
                    "id {id} is out of range for a vocabulary of {} tokens",
                    self.len()
                ),
            )
            .with_hint("ids come from the same tokenizer's encode, or are below vocab_size()")
            .raise(),
        }
    }

    /// Number of tokens, the four specials included (the `V` of an embedding).
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true: the special tokens are always there.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Every token, in id order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_have_fixed_ids() {
        let vocab = Vocab::new();
        for (id, token) in SPECIALS.iter().enumerate() {
            assert_eq!(vocab.token_to_id(token), Some(id as u32));
        }
        assert_eq!(
            [PAD, BOS, EOS, UNK].map(|id| vocab.id_to_token(id)),
            SPECIALS
        );
    }

    #[test]
    #[should_panic(
        expected = "Vocab::id_to_token: id 9 is out of range for a vocabulary of 4 tokens"
    )]
    fn unknown_id_names_the_vocabulary_size() {
        Vocab::new().id_to_token(9);
    }
}
