//! Decoding: turning a model's next-token scores into text, one token at a time.
//!
//! Every generator — a translation decoder, a GPT, the char-LSTM of chapter 07 — runs
//! the same loop; only the choice of the next token differs:
//!
//! ```text
//! prefixes = prompts                                   one row per sequence
//! repeat until every row produced eos, or max_new_tokens:
//!     logits = model(prefixes)                         [B, V], the scores of each next token
//!     next   = choose(logits)                          one token per row
//!     prefixes += next
//! ```
//!
//! | strategy | `choose` keeps | when |
//! |---|---|---|
//! | [`greedy`] | the argmax | deterministic, short outputs; can miss a better sequence |
//! | [`beam_search`] | the W best partial sequences by total log-probability | translation, summarisation: a likely *sequence* |
//! | [`sample`] | a random draw from `softmax(logits / τ)`, after filters | open-ended text: varied, less repetitive |
//!
//! The sampling filters, each a function of its own in [`processors`]: temperature τ
//! sharpens (τ < 1) or flattens (τ > 1) the distribution; top-k keeps the k most
//! probable tokens; top-p (nucleus) the smallest set whose probability reaches p;
//! min-p the tokens at least `min_p` times as probable as the best; the repetition
//! penalty lowers the scores of tokens already in the prefix.
//!
//! A model plugs in through [`NextTokenModel`]: logits for a batch of prefixes, with a
//! cache of what it has already read (a KV cache, an RNN state) or `()` for none. Any
//! closure `Fn(&[Vec<usize>]) -> Tensor` is a model without a cache.
//!
//! Files: [`processors`] (the filters), [`greedy`] (the loop and the argmax),
//! [`sampling`] ([`SamplingConfig`]), [`beam`] ([`BeamConfig`], the GNMT length
//! penalty). Read [`greedy`] first.

pub mod beam;
pub mod greedy;
pub mod processors;
pub mod sampling;
#[cfg(test)]
mod tests;

pub use beam::{BeamConfig, Hypothesis, beam_search, length_penalty};
pub use greedy::greedy;
pub use sampling::{SamplingConfig, sample, sample_with};

use tensor::Tensor;

/// A model that scores the next token of a batch of prefixes, optionally keeping a
/// cache of what it has read, so that each step only reads the new token.
///
/// The decoding functions call [`NextTokenModel::new_cache`] once, then
/// [`NextTokenModel::next_token_logits`] once per step with every prefix one token
/// longer than at the previous call; beam search calls
/// [`NextTokenModel::reorder_cache`] when it keeps, drops or copies rows.
///
/// # Examples
/// A closure is a model without a cache (it reads each prefix whole):
/// ```
/// use ferrograd::nn::decoding::greedy;
/// use ferrograd::tensor::Tensor;
/// // V = 3; the next token is always (last + 1) mod 3
/// let model = |prefixes: &[Vec<usize>]| {
///     let rows: Vec<f32> = prefixes.iter()
///         .flat_map(|p| (0..3).map(move |v| if v == (p[p.len() - 1] + 1) % 3 { 1.0 } else { 0.0 }))
///         .collect();
///     Tensor::from_vec(rows, &[prefixes.len(), 3])
/// };
/// assert_eq!(greedy(&model, &[vec![0]], 4, None), vec![vec![1, 2, 0, 1]]);
/// ```
pub trait NextTokenModel {
    /// What the model remembers of the prefixes it has read: a KV cache, an RNN
    /// state, or `()` for a model that reads every prefix whole.
    type Cache;

    /// A cache for `batch` rows that has read nothing yet.
    fn new_cache(&self, batch: usize) -> Self::Cache;

    /// Logits `[B, V]` of the token after each of the `B` prefixes (row `b` scores the
    /// token after `prefixes[b]`). A model with a cache reads only the tokens of each
    /// prefix it has not read yet, and records them in `cache`.
    fn next_token_logits(&self, prefixes: &[Vec<usize>], cache: &mut Self::Cache) -> Tensor;

    /// Make row `i` of the cache a copy of its old row `rows[i]` (the number of rows
    /// may change: beam search grows one row into W after the first step).
    fn reorder_cache(&self, cache: &mut Self::Cache, rows: &[usize]);
}

impl<F: Fn(&[Vec<usize>]) -> Tensor> NextTokenModel for F {
    type Cache = ();
    fn new_cache(&self, _batch: usize) {}
    fn next_token_logits(&self, prefixes: &[Vec<usize>], _cache: &mut ()) -> Tensor {
        self(prefixes)
    }
    fn reorder_cache(&self, _cache: &mut (), _rows: &[usize]) {}
}

/// The model's logits for `prefixes`, checked to be `[B, V]` with one row per prefix.
#[track_caller]
fn logits_of<M: NextTokenModel + ?Sized>(
    op: &'static str,
    model: &M,
    prefixes: &[Vec<usize>],
    cache: &mut M::Cache,
) -> Tensor {
    let logits = model.next_token_logits(prefixes, cache);
    let shape = logits.shape();
    if shape.len() != 2 || shape[0] != prefixes.len() || shape[1] == 0 {
        tensor::Error::new(
            op,
            tensor::ErrorKind::Shape,
            format!(
                "the model returned logits of shape {shape:?} for {} prefixes; expected [{}, V]",
                prefixes.len(),
                prefixes.len()
            ),
        )
        .with_hint("next_token_logits returns one row of vocabulary scores per prefix")
        .raise();
    }
    logits
}

/// Check that every prompt has a token: a model scores the token *after* a prefix, so
/// an empty prompt has nothing to continue (decoders start from BOS).
#[track_caller]
fn check_prompts(op: &'static str, prompts: &[Vec<usize>]) {
    if let Some(b) = prompts.iter().position(|p| p.is_empty()) {
        tensor::Error::new(
            op,
            tensor::ErrorKind::Value,
            format!("prompt {b} is empty; the model needs at least one token to continue"),
        )
        .with_hint("start every prompt with a begin-of-sequence token")
        .raise();
    }
}

/// The whole numbers of an index tensor (argmax, multinomial draws) as token ids.
fn token_ids(indices: &Tensor) -> Vec<usize> {
    indices
        .to_vec::<f64>()
        .into_iter()
        .map(|i| i as usize)
        .collect()
}
