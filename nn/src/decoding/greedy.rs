//! Greedy decoding, and the generation loop it shares with sampling.
//!
//! ```text
//! yₜ = argmax_v logits(y₁ … yₜ₋₁)[v]        (the lowest id on ties)
//! ```
//! Greedy takes the most probable token at every step. It is deterministic and
//! cheap, but it commits early: a token that looks best now can lead to a sequence
//! whose total probability is lower than another's (beam search keeps several
//! candidates for that reason; see [`super::beam`]).
//!
//! The loop runs a batch of rows in step. A row that produced `eos` is finished: what
//! it gets afterwards is not part of its output, but it stays in the batch (fed `eos`
//! again), so that a model's cache keeps one row per prompt.
//! Read next: [`super::processors`], then [`super::sampling`].

use autograd::no_grad;
use tensor::Tensor;

use super::{NextTokenModel, check_prompts, logits_of, token_ids};

/// Run the generation loop: from `prompts`, add `choose(logits, prefixes)` (one token
/// per row) until every row produced `eos` or `max_new_tokens` were added. Returns the
/// new tokens of each row, `eos` included when it came.
#[track_caller]
pub(crate) fn generate<M: NextTokenModel + ?Sized>(
    op: &'static str,
    model: &M,
    prompts: &[Vec<usize>],
    max_new_tokens: usize,
    eos: Option<usize>,
    mut choose: impl FnMut(&Tensor, &[Vec<usize>]) -> Vec<usize>,
) -> Vec<Vec<usize>> {
    check_prompts(op, prompts);
    no_grad(|| {
        let mut cache = model.new_cache(prompts.len());
        let mut prefixes = prompts.to_vec();
        let mut outputs = vec![Vec::new(); prompts.len()];
        let mut finished = vec![false; prompts.len()];
        for _ in 0..max_new_tokens {
            if finished.iter().all(|&f| f) {
                break;
            }
            let logits = logits_of(op, model, &prefixes, &mut cache);
            let next = choose(&logits, &prefixes);
            for (b, &token) in next.iter().enumerate() {
                if finished[b] {
                    prefixes[b].push(eos.unwrap_or(token)); // ignored; keeps rows aligned
                    continue;
                }
                outputs[b].push(token);
                prefixes[b].push(token);
                finished[b] = Some(token) == eos;
            }
        }
        outputs
    })
}

/// Greedy decoding: the most probable next token at each step, for every prompt.
///
/// ```text
/// yₜ = argmax_v logits(prompt, y₁ … yₜ₋₁)[v]
/// ```
/// Returns the new tokens of each prompt (without the prompt), ending with `eos` if it
/// came before `max_new_tokens`.
///
/// # Shapes
/// `model` returns `[B, V]` for the `B = prompts.len()` prefixes.
///
/// # Panics
/// If a prompt is empty, or the model's logits are not `[B, V]`.
///
/// # Examples
/// ```
/// use nn::decoding::greedy;
/// use tensor::Tensor;
/// // V = 3, token 2 is eos: the model prefers 1 after 0, then eos
/// let model = |prefixes: &[Vec<usize>]| {
///     let rows: Vec<f32> = prefixes.iter()
///         .flat_map(|p| if *p.last().unwrap() == 0 { [0.1, 0.8, 0.1] } else { [0.2, 0.1, 0.7] })
///         .collect();
///     Tensor::from_vec(rows, &[prefixes.len(), 3])
/// };
/// assert_eq!(greedy(&model, &[vec![0], vec![1]], 10, Some(2)), vec![vec![1, 2], vec![2]]);
/// ```
#[track_caller]
pub fn greedy<M: NextTokenModel + ?Sized>(
    model: &M,
    prompts: &[Vec<usize>],
    max_new_tokens: usize,
    eos: Option<usize>,
) -> Vec<Vec<usize>> {
    generate(
        "greedy",
        model,
        prompts,
        max_new_tokens,
        eos,
        |logits, _| {
            token_ids(&logits.argmax(-1, false)) // the lowest id on ties
        },
    )
}
