//! Characters as tokens, and nanoGPT's random batches.
//!
//! ```text
//! text ──► sorted distinct characters = the vocabulary (65 for tiny Shakespeare)
//!      ──► ids, first 90 % train, last 10 % validation
//! batch: B random offsets o; x[b] = ids[o .. o+T], y[b] = ids[o+1 .. o+T+1]
//! ```
//! Every window of T + 1 characters is a training example: the model learns the next
//! character at each of the T positions at once (the causal mask hides the future).
//! Read next: `model.rs`.

use ferrograd::prelude::*;

/// The character vocabulary: id ↔ char, in sorted order (nanoGPT's `stoi` / `itos`).
pub struct CharVocab {
    chars: Vec<char>,
}

impl CharVocab {
    /// The distinct characters of `text`, sorted.
    pub fn from_text(text: &str) -> CharVocab {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        CharVocab { chars }
    }

    /// V, the number of ids.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// The ids of `text`; a character outside the vocabulary is an error naming it.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, String> {
        text.chars()
            .map(|c| {
                self.chars
                    .binary_search(&c)
                    .map_err(|_| format!("the character {c:?} is not in the vocabulary"))
            })
            .collect()
    }

    /// The text of `ids`.
    pub fn decode(&self, ids: &[usize]) -> String {
        ids.iter().map(|&i| self.chars[i]).collect()
    }
}

/// The token ids split nanoGPT's way: the first `train_fraction` for training.
pub struct Splits {
    /// Training ids.
    pub train: Vec<usize>,
    /// Validation ids (the end of the text).
    pub val: Vec<usize>,
}

impl Splits {
    /// `ids[..n·fraction]` and the rest.
    pub fn new(ids: Vec<usize>, train_fraction: f64) -> Splits {
        let cut = (ids.len() as f64 * train_fraction) as usize;
        let val = ids[cut..].to_vec();
        let mut train = ids;
        train.truncate(cut);
        Splits { train, val }
    }
}

/// Inputs `[B, T]` and next-token targets `[B·T]` (I64) at the windows starting at
/// `offsets`.
///
/// # Panics
/// If a window runs past the end of `ids`.
pub fn batch_at(ids: &[usize], offsets: &[usize], t: usize) -> (Tensor, Tensor) {
    let window = |o: usize, shift: usize| {
        assert!(
            o + t < ids.len(),
            "batch_at: window {o}..{} runs past the {} ids",
            o + t + 1,
            ids.len()
        );
        ids[o + shift..o + shift + t].iter().map(|&i| i as i64)
    };
    let x: Vec<i64> = offsets.iter().flat_map(|&o| window(o, 0)).collect();
    let y: Vec<i64> = offsets.iter().flat_map(|&o| window(o, 1)).collect();
    let b = offsets.len();
    (
        Tensor::from_vec_i64(x, &[b, t]),
        Tensor::from_vec_i64(y, &[b * t]),
    )
}

/// A random batch: `b` offsets uniform in `[0, len − t − 1]` from `generator`
/// (nanoGPT's `get_batch`).
pub fn random_batch(
    ids: &[usize],
    b: usize,
    t: usize,
    generator: &mut Generator,
) -> (Tensor, Tensor) {
    let high = (ids.len() - t) as i64; // offsets 0 ..= len − t − 1
    let offsets: Vec<usize> = Tensor::randint_with(0, high, &[b], generator)
        .to_vec::<i64>()
        .into_iter()
        .map(|o| o as usize)
        .collect();
    batch_at(ids, &offsets, t)
}
