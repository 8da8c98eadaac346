//! Beam search: keep the W most probable partial sequences instead of one.
//!
//! ```text
//! beams = [prompt]                       log P(prompt) = 0
//! each step, for every beam b and token v:
//!     score(b, v) = log P(b) + log softmax(logits(b))[v]
//! take the 2W best (b, v) over all beams, best first:
//!     v = eos → a finished hypothesis (if among the W best candidates)
//!     else    → a beam of the next step, until there are W
//! stop: W hypotheses are finished and (early_stopping) that is enough, or no beam
//!       can still beat the worst of them; at max_new_tokens the beams join them
//! rank hypotheses by   log P(y) / lp(|y|),     lp(n) = ((5 + n) / 6)^α
//! ```
//! Greedy keeps one beam and can commit to a token whose continuations are all
//! unlikely; beam search keeps W alternatives alive, so it finds sequences of higher
//! total probability (W = 1 *is* greedy). 2W candidates are enough: each beam has one
//! eos continuation, so at most W of them end, and W remain to continue.
//!
//! Log-probabilities only fall as a sequence grows, so a plain sum favours short
//! outputs. The length penalty `lp` of GNMT (Wu et al. 2016, eq. 14) divides by a
//! power of the length: α = 0 ranks by log P, α ≈ 0.6–1 is the usual choice for
//! translation. `|y|` counts the generated tokens, eos included.
//!
//! `early_stopping = false` stops only when it is proven that no beam can overtake:
//! a beam with log-probability `s ≤ 0` after `n` tokens scores at most
//! `s / max(lp(n+1), lp(max_new_tokens))` whatever it adds (`s` only falls, and
//! `lp` is monotone in the length). Read next: [`super::processors`].

use autograd::no_grad;
use tensor::{DType, Error, ErrorKind, Tensor};

use super::{NextTokenModel, check_prompts, logits_of, token_ids};

/// The settings of [`beam_search`]: `BeamConfig::new(4, 50).length_penalty(0.6).eos(2)`.
#[derive(Clone, Debug, PartialEq)]
pub struct BeamConfig {
    /// W, the number of partial sequences kept at each step.
    pub beam_width: usize,
    /// The most tokens a hypothesis may add to the prompt.
    pub max_new_tokens: usize,
    /// α of the GNMT length penalty `((5 + n) / 6)^α` (default 0.6; 0 = none).
    pub length_penalty: f64,
    /// Stop as soon as W hypotheses are finished (default true), instead of when no
    /// beam can still beat them.
    pub early_stopping: bool,
    /// How many of the best hypotheses to return (default 1, at most W).
    pub num_return: usize,
    /// The token that ends a hypothesis.
    pub eos: Option<usize>,
}

impl BeamConfig {
    /// Beam width `beam_width`, up to `max_new_tokens` tokens, α = 0.6, early stopping,
    /// the best hypothesis only.
    pub fn new(beam_width: usize, max_new_tokens: usize) -> BeamConfig {
        BeamConfig {
            beam_width,
            max_new_tokens,
            length_penalty: 0.6,
            early_stopping: true,
            num_return: 1,
            eos: None,
        }
    }
    /// Set α of the length penalty.
    pub fn length_penalty(mut self, alpha: f64) -> BeamConfig {
        self.length_penalty = alpha;
        self
    }
    /// Set whether to stop as soon as W hypotheses are finished.
    pub fn early_stopping(mut self, early_stopping: bool) -> BeamConfig {
        self.early_stopping = early_stopping;
        self
    }
    /// Return the `n` best hypotheses (the n-best list).
    pub fn num_return(mut self, n: usize) -> BeamConfig {
        self.num_return = n;
        self
    }
    /// End hypotheses at this token.
    pub fn eos(mut self, eos: usize) -> BeamConfig {
        self.eos = Some(eos);
        self
    }
}

/// One result of [`beam_search`].
#[derive(Clone, Debug, PartialEq)]
pub struct Hypothesis {
    /// The generated tokens (without the prompt), ending with eos if `finished`.
    pub tokens: Vec<usize>,
    /// `log P(tokens | prompt)`, the sum of the chosen tokens' log-probabilities.
    pub log_prob: f64,
    /// `log_prob / lp(tokens.len())`, what hypotheses are ranked by.
    pub score: f64,
    /// Whether it ended with eos (else it reached `max_new_tokens`).
    pub finished: bool,
}

/// The GNMT length penalty `lp(n) = ((5 + n) / 6)^α` (Wu et al. 2016); `lp(1) = 1`.
///
/// ```text
/// n          1     2     5     10    20
/// α = 0.6    1.00  1.10  1.36  1.73  2.27
/// α = 1      1.00  1.17  1.67  2.50  4.17
/// ```
///
/// # Examples
/// ```
/// # use nn::decoding::length_penalty;
/// assert_eq!(length_penalty(1, 0.6), 1.0);
/// assert!((length_penalty(10, 1.0) - 2.5).abs() < 1e-12);
/// ```
pub fn length_penalty(len: usize, alpha: f64) -> f64 {
    ((5.0 + len as f64) / 6.0).powf(alpha)
}

impl Hypothesis {
    fn new(tokens: Vec<usize>, log_prob: f64, finished: bool, alpha: f64) -> Hypothesis {
        let score = log_prob / length_penalty(tokens.len(), alpha);
        Hypothesis {
            tokens,
            log_prob,
            score,
            finished,
        }
    }
}

/// Add `h` to `best`, kept sorted by score (best first) and at most `keep` long.
fn keep_best(best: &mut Vec<Hypothesis>, h: Hypothesis, keep: usize) {
    let at = best.partition_point(|b| b.score >= h.score);
    best.insert(at, h);
    best.truncate(keep);
}

/// Whether the search can stop after `len` tokens: W hypotheses are finished, and
/// either that is enough (early stopping) or the best beam's bound cannot beat the
/// worst of them (see the module docs).
fn search_is_over(finished: &[Hypothesis], best_beam: f64, len: usize, c: &BeamConfig) -> bool {
    if finished.len() < c.beam_width {
        return false;
    }
    if c.early_stopping {
        return true;
    }
    let lp = |n| length_penalty(n, c.length_penalty);
    let bound = best_beam / lp(len + 1).max(lp(c.max_new_tokens));
    bound <= finished[finished.len() - 1].score
}

#[track_caller]
fn check_config(c: &BeamConfig) {
    if c.beam_width == 0 || c.num_return == 0 || c.num_return > c.beam_width {
        Error::new(
            "beam_search",
            ErrorKind::Value,
            format!(
                "beam_width = {} and num_return = {} must satisfy 1 ≤ num_return ≤ beam_width",
                c.beam_width, c.num_return
            ),
        )
        .with_hint("the n-best list holds at most beam_width hypotheses")
        .raise();
    }
}

/// Beam search from one prompt: the `num_return` best hypotheses, best first, by
/// `log P / lp(length)` (see the module docs for the algorithm).
///
/// ```text
/// score(y) = log P(y | prompt) / ((5 + |y|) / 6)^α
/// ```
/// The model sees up to W prefixes per step (one per beam); its cache is reordered
/// with [`NextTokenModel::reorder_cache`] whenever beams are kept, dropped or copied.
/// To decode a batch of prompts, call it once per prompt.
///
/// # Shapes
/// `model` returns `[n, V]` for the `n ≤ W` beams of each step.
///
/// # Panics
/// If the prompt is empty, `num_return` is not in `1..=beam_width`, or the model's
/// logits are not `[n, V]`.
///
/// # Examples
/// ```
/// use nn::decoding::{BeamConfig, beam_search, greedy};
/// use tensor::Tensor;
/// // V = 4: 0 = BOS, 1 = "a", 2 = "b", 3 = eos
/// let model = |prefixes: &[Vec<usize>]| {
///     let rows: Vec<f32> = prefixes.iter().flat_map(|p| match p.last().unwrap() {
///         0 => [0.0, 0.5, 0.4, 0.1],   // "a" looks best …
///         1 => [0.0, 0.3, 0.3, 0.4],   // … but P(a eos) = 0.5 · 0.4 = 0.2
///         _ => [0.0, 0.05, 0.05, 0.9], // while P(b eos) = 0.4 · 0.9 = 0.36
///     }).map(f32::ln).collect();
///     Tensor::from_vec(rows, &[prefixes.len(), 4])
/// };
/// assert_eq!(greedy(&model, &[vec![0]], 5, Some(3)), vec![vec![1, 3]]);
/// let best = &beam_search(&model, &[0], &BeamConfig::new(2, 5).length_penalty(0.0).eos(3))[0];
/// assert_eq!(best.tokens, vec![2, 3]);
/// assert!((best.log_prob - 0.36f64.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn beam_search<M: NextTokenModel + ?Sized>(
    model: &M,
    prompt: &[usize],
    config: &BeamConfig,
) -> Vec<Hypothesis> {
    check_prompts("beam_search", &[prompt.to_vec()]);
    check_config(config);
    let (w, alpha) = (config.beam_width, config.length_penalty);
    no_grad(|| {
        let mut cache = model.new_cache(1);
        let mut beams: Vec<(Vec<usize>, f64)> = vec![(Vec::new(), 0.0)]; // (tokens, log P)
        let mut finished: Vec<Hypothesis> = Vec::new(); // the W best, best first
        for len in 1..=config.max_new_tokens {
            let prefixes: Vec<Vec<usize>> =
                beams.iter().map(|(t, _)| [prompt, t].concat()).collect();
            let logits = logits_of("beam_search", model, &prefixes, &mut cache);
            let (n, v) = (beams.len(), logits.size(-1));
            let log_p = Tensor::from_vec_f64(beams.iter().map(|b| b.1).collect(), &[n, 1]);
            let scores = &logits.to_dtype(DType::F64).log_softmax(-1) + &log_p; // [n, V]
            let (best, at) = scores
                .reshape(&[n * v])
                .topk((2 * w).min(n * v), 0, true, true);
            let (mut next, mut parents) = (Vec::new(), Vec::new());
            for (rank, (score, index)) in best
                .to_vec::<f64>()
                .into_iter()
                .zip(token_ids(&at))
                .enumerate()
            {
                let (parent, token) = (index / v, index % v);
                if score == f64::NEG_INFINITY || next.len() == w {
                    break; // impossible continuations, or the beam is full
                }
                let tokens = [beams[parent].0.as_slice(), &[token]].concat();
                if Some(token) == config.eos {
                    if rank < w {
                        keep_best(
                            &mut finished,
                            Hypothesis::new(tokens, score, true, alpha),
                            w,
                        );
                    }
                } else {
                    next.push((tokens, score));
                    parents.push(parent);
                }
            }
            beams = next;
            if beams.is_empty() || search_is_over(&finished, beams[0].1, len, config) {
                beams.clear(); // stopped before max_new_tokens: the beams do not count
                break;
            }
            model.reorder_cache(&mut cache, &parents);
        }
        for (tokens, log_prob) in beams {
            keep_best(
                &mut finished,
                Hypothesis::new(tokens, log_prob, false, alpha),
                w,
            );
        }
        finished.truncate(config.num_return);
        finished
    })
}
