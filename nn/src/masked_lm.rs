//! BERT's masked-language-model objective (Devlin et al. 2019, §3.1): hide some tokens
//! of the input and train the model to recover them, seeing the context on both sides.
//!
//! ```text
//! each position that is not special (padding, [CLS], [SEP]) is selected with probability p = 0.15;
//! a selected position's input becomes
//!     [MASK]            with probability 0.8
//!     a random token    with probability 0.1   (uniform over 0..V)
//!     itself            with probability 0.1
//! labels = the original id at selected positions, −100 (the ignore index) elsewhere
//! loss   = cross_entropy(logits, labels)     averages over the selected positions only
//! ```
//! Why not always `[MASK]`: `[MASK]` never appears at fine-tuning time, so a model
//! that only learned "predict at [MASK]" would see inputs unlike its training data.
//! Random and unchanged tokens make it keep a good representation of every token, as
//! it cannot tell which ones it will be asked about. The recipe is Hugging Face's
//! `DataCollatorForLanguageModeling` (`mlm_probability = 0.15`, 80/10/10); −100 is the
//! default `ignore_index` of [`crate::loss::cross_entropy`], as in PyTorch.
//! Read next: [`crate::decoding`].

use tensor::error::{Error, ErrorKind};
use tensor::{DType, Generator, Tensor};

/// The label of a position the loss ignores (PyTorch's and our `cross_entropy`
/// default `ignore_index`).
pub const IGNORE_INDEX: i64 = -100;

/// How [`mask_tokens`] masks: `MlmMasking::new(mask_token_id, vocab_size)` with
/// BERT's p = 0.15, then `.special_ids(&[pad, cls, sep])`.
#[derive(Clone, Debug, PartialEq)]
pub struct MlmMasking {
    /// The id of `[MASK]`.
    pub mask_token_id: i64,
    /// V: random replacements are drawn uniformly from `0..V`.
    pub vocab_size: usize,
    /// The probability that a (non-special) position is selected (default 0.15).
    pub mlm_probability: f64,
    /// Ids that are never selected: padding, `[CLS]`, `[SEP]`, … (default none).
    pub special_ids: Vec<i64>,
}

impl MlmMasking {
    /// Masking with `[MASK]` = `mask_token_id` over a vocabulary of `vocab_size`,
    /// p = 0.15, no special ids.
    pub fn new(mask_token_id: i64, vocab_size: usize) -> MlmMasking {
        MlmMasking {
            mask_token_id,
            vocab_size,
            mlm_probability: 0.15,
            special_ids: Vec::new(),
        }
    }
    /// Set the selection probability p.
    pub fn mlm_probability(mut self, p: f64) -> MlmMasking {
        self.mlm_probability = p;
        self
    }
    /// Set the ids that are never selected.
    pub fn special_ids(mut self, ids: &[i64]) -> MlmMasking {
        self.special_ids = ids.to_vec();
        self
    }
}

/// BERT's masking of token `ids`: returns `(inputs, labels)`, see the
/// [module docs](self). Each position draws from `generator` in order (one uniform
/// number to select, one to choose the replacement, one more for a random token), so
/// a seeded generator repeats the same masking.
///
/// # Shapes
/// `ids`: `[B, T]` (any shape), i64; `inputs` and `labels`: the same shape, i64.
///
/// # Panics
/// If `ids` is not i64, `mask_token_id` is not in `0..vocab_size`, or
/// `mlm_probability` is not in `[0, 1]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::masked_lm::{IGNORE_INDEX, MlmMasking, mask_tokens};
/// use ferrograd::tensor::{Generator, Tensor};
/// let (pad, mask) = (0, 1);
/// let ids = Tensor::from_vec_i64(vec![5, 6, 7, 8, 9, 0, 0, 0], &[2, 4]); // [B, T]
/// let masking = MlmMasking::new(mask, 100).special_ids(&[pad]).mlm_probability(0.5);
/// let mut rng = Generator::new();
/// rng.manual_seed(0);
/// let (inputs, labels) = mask_tokens(&ids, &masking, &mut rng);
/// let (inputs, labels) = (inputs.to_vec::<i64>(), labels.to_vec::<i64>());
/// for (i, &id) in ids.to_vec::<i64>().iter().enumerate() {
///     if labels[i] == IGNORE_INDEX {
///         assert_eq!(inputs[i], id); // not selected: unchanged
///     } else {
///         assert_eq!(labels[i], id); // selected: the label is the original id
///     }
/// }
/// assert!(labels[5..].iter().all(|&l| l == IGNORE_INDEX)); // padding is never selected
/// ```
#[track_caller]
pub fn mask_tokens(
    ids: &Tensor,
    masking: &MlmMasking,
    generator: &mut Generator,
) -> (Tensor, Tensor) {
    check(ids, masking);
    let original: Vec<i64> = ids.to_vec();
    let mut inputs = original.clone();
    let mut labels = vec![IGNORE_INDEX; original.len()];
    for (i, &id) in original.iter().enumerate() {
        let selected = generator.uniform() < masking.mlm_probability;
        if !selected || masking.special_ids.contains(&id) {
            continue;
        }
        labels[i] = id;
        let choice = generator.uniform();
        if choice < 0.8 {
            inputs[i] = masking.mask_token_id;
        } else if choice < 0.9 {
            inputs[i] = generator.below(masking.vocab_size as u64) as i64;
        } // else: kept as it is
    }
    let shape = ids.shape();
    (
        Tensor::from_vec_i64(inputs, shape),
        Tensor::from_vec_i64(labels, shape),
    )
}

#[track_caller]
fn check(ids: &Tensor, m: &MlmMasking) {
    let fail = |kind, problem: String| -> ! { Error::new("mask_tokens", kind, problem).raise() };
    if ids.dtype() != DType::I64 {
        fail(
            ErrorKind::DType,
            format!(
                "ids must be an i64 tensor, got {} {:?}",
                ids.dtype(),
                ids.shape()
            ),
        );
    }
    if !(0..m.vocab_size as i64).contains(&m.mask_token_id) {
        fail(
            ErrorKind::Value,
            format!(
                "mask_token_id {} is not in 0..{} (vocab_size)",
                m.mask_token_id, m.vocab_size
            ),
        );
    }
    if !(0.0..=1.0).contains(&m.mlm_probability) {
        fail(
            ErrorKind::Value,
            format!("mlm_probability {} is not in [0, 1]", m.mlm_probability),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts over a seeded sample of 64 × 1024 ids from 2..V, one position in 8
    /// padding (id 0), `[MASK]` = 1.
    #[test]
    fn proportions_are_bert_s_within_four_standard_deviations() {
        const V: usize = 1000;
        let (b, t) = (64, 1024);
        let mut draw = Generator::new();
        draw.manual_seed(7);
        let ids: Vec<i64> = (0..b * t)
            .map(|i| {
                if i % 8 == 7 {
                    0
                } else {
                    2 + draw.below(V as u64 - 2) as i64
                }
            })
            .collect();
        let ids = Tensor::from_vec_i64(ids, &[b, t]);
        let masking = MlmMasking::new(1, V).special_ids(&[0]);
        let mut rng = Generator::new();
        rng.manual_seed(42);
        let (inputs, labels) = mask_tokens(&ids, &masking, &mut rng);
        let (ids, inputs, labels): (Vec<i64>, Vec<i64>, Vec<i64>) =
            (ids.to_vec(), inputs.to_vec(), labels.to_vec());

        let (mut candidates, mut selected) = (0usize, 0usize);
        let (mut masked, mut random, mut kept) = (0usize, 0usize, 0usize);
        for i in 0..ids.len() {
            if ids[i] == 0 {
                assert_eq!((inputs[i], labels[i]), (0, IGNORE_INDEX), "padding at {i}");
                continue;
            }
            candidates += 1;
            if labels[i] == IGNORE_INDEX {
                assert_eq!(inputs[i], ids[i], "unselected position {i} changed");
                continue;
            }
            selected += 1;
            assert_eq!(labels[i], ids[i], "the label is the original id");
            assert!((0..V as i64).contains(&inputs[i]));
            match inputs[i] {
                1 => masked += 1,
                x if x == ids[i] => kept += 1,
                _ => random += 1,
            }
        }
        // a fraction f of n trials: |f − q| ≤ 4·√(q(1 − q)/n)
        let within = |what: &str, count: usize, n: usize, q: f64| {
            let f = count as f64 / n as f64;
            let bound = 4.0 * (q * (1.0 - q) / n as f64).sqrt();
            assert!(
                (f - q).abs() <= bound,
                "{what}: {f} vs {q} ± {bound} (n = {n})"
            );
        };
        within("selected", selected, candidates, 0.15);
        // a random draw can hit [MASK] or the original id (1/V each)
        let v = V as f64;
        within("[MASK]", masked, selected, 0.8 + 0.1 / v);
        within("random", random, selected, 0.1 * (1.0 - 2.0 / v));
        within("kept", kept, selected, 0.1 + 0.1 / v);
        assert!(selected > 8_000, "{selected}");
    }

    #[test]
    fn one_seed_repeats_the_masking_and_p_bounds_it() {
        let ids = Tensor::from_vec_i64((0..200).map(|i| 3 + i % 50).collect(), &[4, 50]);
        let masking = MlmMasking::new(2, 60);
        let run = |seed| {
            let mut g = Generator::new();
            g.manual_seed(seed);
            mask_tokens(&ids, &masking, &mut g)
        };
        let (a, b) = (run(5), run(5));
        assert_eq!(a.0.to_vec::<i64>(), b.0.to_vec::<i64>());
        assert_eq!(a.1.to_vec::<i64>(), b.1.to_vec::<i64>());
        assert_eq!(a.0.shape(), &[4, 50]);
        let mut g = Generator::new();
        let (inputs, labels) = mask_tokens(&ids, &masking.clone().mlm_probability(0.0), &mut g);
        assert_eq!(inputs.to_vec::<i64>(), ids.to_vec::<i64>());
        assert!(labels.to_vec::<i64>().iter().all(|&l| l == IGNORE_INDEX));
        let (_, labels) = mask_tokens(&ids, &masking.mlm_probability(1.0), &mut g);
        assert_eq!(labels.to_vec::<i64>(), ids.to_vec::<i64>());
    }

    #[test]
    #[should_panic(expected = "mask_tokens: mask_token_id 10 is not in 0..10 (vocab_size)")]
    fn the_mask_id_must_be_in_the_vocabulary() {
        let ids = Tensor::from_vec_i64(vec![1, 2], &[1, 2]);
        mask_tokens(&ids, &MlmMasking::new(10, 10), &mut Generator::new());
    }

    #[test]
    #[should_panic(expected = "mask_tokens: ids must be an i64 tensor, got f32 [2]")]
    fn float_ids_are_refused() {
        let ids = Tensor::from_vec(vec![1.0, 2.0], &[2]);
        mask_tokens(&ids, &MlmMasking::new(0, 10), &mut Generator::new());
    }
}
