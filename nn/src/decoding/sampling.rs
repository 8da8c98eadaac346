//! Sampling: draw each next token at random from the model's distribution, reshaped by
//! the processors of [`super::processors`].
//!
//! ```text
//! z  = logits(prefix)                                      [B, V]
//! z  = repetition_penalty(z, prefix, θ)                     if set
//! p  = softmax(z / τ)
//! p  = min_p(top_p(top_k(p, k), p_nucleus), p_min)         each if set
//! yₜ ~ Categorical(p)                                      multinomial, one draw per row
//! ```
//! (The order of Hugging Face's `generate`.) Sampling gives varied text where greedy
//! and beam search repeat themselves; the filters cut off the long tail of unlikely
//! tokens, which is where incoherent words come from.
//! With a `seed` the draws come from a [`Generator`] of their own, so one seed gives one
//! output whatever else the program draws; without one they come from the thread's
//! default generator ([`ferrograd::tensor::manual_seed`]); [`sample_with`] takes a generator the
//! caller owns (PyTorch's `generator=`). Read next: [`super::beam`].

use tensor::{Generator, Tensor};

use super::greedy::generate;
use super::processors::{min_p, repetition_penalty, temperature, top_k, top_p};
use super::{NextTokenModel, token_ids};

/// How [`sample`] picks tokens: `SamplingConfig::new(50).temperature(0.8).top_p(0.9)`.
/// Every filter is off until set; the temperature is 1.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplingConfig {
    /// The most tokens to add to each prompt.
    pub max_new_tokens: usize,
    /// τ of `softmax(logits / τ)` (default 1: the model's own distribution).
    pub temperature: f64,
    /// Keep the k most probable tokens ([`top_k`]).
    pub top_k: Option<usize>,
    /// Keep the smallest set reaching this mass ([`top_p`]).
    pub top_p: Option<f64>,
    /// Keep tokens at least this fraction of the maximum probability ([`min_p`]).
    pub min_p: Option<f64>,
    /// θ of the repetition penalty ([`repetition_penalty`]).
    pub repetition_penalty: Option<f64>,
    /// The token that ends a sequence.
    pub eos: Option<usize>,
    /// Seed of the sampler's own generator; `None` draws from the thread's default one.
    pub seed: Option<u64>,
}

impl SamplingConfig {
    /// Plain sampling at temperature 1 for up to `max_new_tokens` tokens.
    pub fn new(max_new_tokens: usize) -> SamplingConfig {
        SamplingConfig {
            max_new_tokens,
            temperature: 1.0,
            top_k: None,
            top_p: None,
            min_p: None,
            repetition_penalty: None,
            eos: None,
            seed: None,
        }
    }
    /// Set the temperature τ.
    pub fn temperature(mut self, tau: f64) -> SamplingConfig {
        self.temperature = tau;
        self
    }
    /// Keep only the `k` most probable tokens.
    pub fn top_k(mut self, k: usize) -> SamplingConfig {
        self.top_k = Some(k);
        self
    }
    /// Keep the nucleus of mass `p`.
    pub fn top_p(mut self, p: f64) -> SamplingConfig {
        self.top_p = Some(p);
        self
    }
    /// Keep tokens with probability at least `min_p` times the maximum.
    pub fn min_p(mut self, min_p: f64) -> SamplingConfig {
        self.min_p = Some(min_p);
        self
    }
    /// Penalise tokens already in the prefix by `theta`.
    pub fn repetition_penalty(mut self, theta: f64) -> SamplingConfig {
        self.repetition_penalty = Some(theta);
        self
    }
    /// Stop a sequence at this token.
    pub fn eos(mut self, eos: usize) -> SamplingConfig {
        self.eos = Some(eos);
        self
    }
    /// Draw from a generator seeded with `seed`.
    pub fn seed(mut self, seed: u64) -> SamplingConfig {
        self.seed = Some(seed);
        self
    }

    /// The distribution the next tokens are drawn from: the processors of this config
    /// applied to `logits`, in the order of the module docs.
    ///
    /// # Shapes
    /// `logits: [B, V]`, one prefix per row → `[B, V]`, each row summing to 1.
    ///
    /// # Panics
    /// If a setting is out of its range (see each processor), or the shapes disagree.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::nn::decoding::SamplingConfig; use ferrograd::tensor::Tensor;
    /// let logits = Tensor::from_vec(vec![2.0, 1.0, 0.0, -1.0], &[1, 4]);
    /// let p = SamplingConfig::new(1).top_k(2).next_token_probs(&logits, &[vec![0]]);
    /// let p = p.to_vec::<f32>();
    /// assert!((p[0] - 0.7311).abs() < 1e-4 && p[2] == 0.0 && p[3] == 0.0);
    /// ```
    #[track_caller]
    pub fn next_token_probs(&self, logits: &Tensor, prefixes: &[Vec<usize>]) -> Tensor {
        let mut z = logits.clone();
        if let Some(theta) = self.repetition_penalty {
            z = repetition_penalty(&z, prefixes, theta);
        }
        let mut p = temperature(&z, self.temperature).softmax(-1);
        if let Some(k) = self.top_k {
            p = top_k(&p, k);
        }
        if let Some(nucleus) = self.top_p {
            p = top_p(&p, nucleus);
        }
        if let Some(fraction) = self.min_p {
            p = min_p(&p, fraction);
        }
        p
    }
}

/// Sampling: each next token drawn from the processed distribution
/// ([`SamplingConfig::next_token_probs`]), for every prompt.
///
/// ```text
/// yₜ ~ Categorical(filters(softmax(penalty(logits(prompt, y₁ … yₜ₋₁)) / τ)))
/// ```
/// Returns the new tokens of each prompt (without the prompt), ending with `eos` if
/// it came before `max_new_tokens`. With a seed in `config`, the same call gives the
/// same output every time.
///
/// # Shapes
/// `model` returns `[B, V]` for the `B = prompts.len()` prefixes.
///
/// # Panics
/// If a prompt is empty, the model's logits are not `[B, V]`, or a setting of
/// `config` is out of its range.
///
/// # Examples
/// ```
/// use nn::decoding::{SamplingConfig, sample};
/// use tensor::Tensor;
/// // V = 4, always the same scores
/// let model = |prefixes: &[Vec<usize>]| {
///     Tensor::from_vec(vec![1.0, 3.0, 2.0, 0.0].repeat(prefixes.len()), &[prefixes.len(), 4])
/// };
/// let config = SamplingConfig::new(20).top_k(2).seed(7);
/// let out = sample(&model, &[vec![0], vec![0]], &config);
/// assert!(out.iter().flatten().all(|&t| t == 1 || t == 2)); // the two best only
/// assert_eq!(out, sample(&model, &[vec![0], vec![0]], &config)); // one seed, one output
/// ```
#[track_caller]
pub fn sample<M: NextTokenModel + ?Sized>(
    model: &M,
    prompts: &[Vec<usize>],
    config: &SamplingConfig,
) -> Vec<Vec<usize>> {
    match config.seed {
        Some(seed) => {
            let mut generator = Generator::new();
            generator.manual_seed(seed);
            sample_with(model, prompts, config, &mut generator)
        }
        None => sample_by("sample", model, prompts, config, |probs| {
            probs.multinomial(1, true)
        }),
    }
}

/// [`sample`] drawing from `generator` (PyTorch's `generator=`); `config.seed` is not
/// used. Two calls from generators in the same state give the same output.
///
/// # Shapes
/// As [`sample`].
///
/// # Panics
/// As [`sample`].
///
/// # Examples
/// ```
/// use ferrograd::nn::decoding::{SamplingConfig, sample_with};
/// use ferrograd::tensor::{Generator, Tensor};
/// let model = |prefixes: &[Vec<usize>]| {
///     Tensor::from_vec(vec![0.0, 1.0, 2.0].repeat(prefixes.len()), &[prefixes.len(), 3])
/// };
/// let mut generator = Generator::new();
/// generator.manual_seed(5);
/// let state = generator.get_state();
/// let first = sample_with(&model, &[vec![0]], &SamplingConfig::new(10), &mut generator);
/// generator.set_state(&state);
/// assert_eq!(first, sample_with(&model, &[vec![0]], &SamplingConfig::new(10), &mut generator));
/// ```
#[track_caller]
pub fn sample_with<M: NextTokenModel + ?Sized>(
    model: &M,
    prompts: &[Vec<usize>],
    config: &SamplingConfig,
    generator: &mut Generator,
) -> Vec<Vec<usize>> {
    sample_by("sample_with", model, prompts, config, |probs| {
        probs.multinomial_with(1, true, generator)
    })
}

/// The sampling loop, one token per row drawn from the processed distribution by `draw`.
#[track_caller]
fn sample_by<M: NextTokenModel + ?Sized>(
    op: &'static str,
    model: &M,
    prompts: &[Vec<usize>],
    config: &SamplingConfig,
    mut draw: impl FnMut(&Tensor) -> Tensor,
) -> Vec<Vec<usize>> {
    let (max, eos) = (config.max_new_tokens, config.eos);
    generate(op, model, prompts, max, eos, |logits, prefixes| {
        token_ids(&draw(&config.next_token_probs(logits, prefixes)))
    })
}
