//! Decoding on toy models whose probabilities are known: the properties issue 18 asks
//! for (beam width 1 = greedy, beam beats greedy where it should, top-k 1 = greedy,
//! temperature → 0 = greedy, sampling frequencies match the processed distribution,
//! one seed reproduces), and the cache protocol of [`NextTokenModel`].

use std::cell::Cell;

use tensor::{DType, Generator, Tensor, manual_seed};

use super::*;

/// Logits `ln P(next | last token)` of a Markov chain with transition rows `table`.
fn markov(table: &[Vec<f64>], prefixes: &[Vec<usize>]) -> Tensor {
    let rows: Vec<f64> = prefixes
        .iter()
        .flat_map(|p| table[*p.last().unwrap()].iter().map(|q| q.ln()))
        .collect();
    Tensor::from_vec_f64(rows, &[prefixes.len(), table.len()])
}

/// A V×V transition table with distinct, strictly positive probabilities, from a seed.
fn random_table(v: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..v)
        .map(|_| {
            let w: Vec<f64> = (0..v)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    0.05 + (state >> 11) as f64 / (1u64 << 53) as f64
                })
                .collect();
            let total: f64 = w.iter().sum();
            w.iter().map(|x| x / total).collect()
        })
        .collect()
}

/// Wraps a model without a cache and checks the decoding loop's side of the cache
/// protocol: every call extends each row the cache has read by exactly one token,
/// also after `reorder_cache`.
struct Checked<F> {
    inner: F,
    calls: Cell<usize>,
}

impl<F: Fn(&[Vec<usize>]) -> Tensor> NextTokenModel for Checked<F> {
    type Cache = Vec<Vec<usize>>; // the prefix each row has read
    fn new_cache(&self, batch: usize) -> Vec<Vec<usize>> {
        vec![Vec::new(); batch]
    }
    fn next_token_logits(&self, prefixes: &[Vec<usize>], cache: &mut Self::Cache) -> Tensor {
        assert_eq!(prefixes.len(), cache.len(), "one cache row per prefix");
        for (prefix, read) in prefixes.iter().zip(cache.iter_mut()) {
            if !read.is_empty() {
                assert_eq!(prefix.len(), read.len() + 1, "one new token per step");
                assert_eq!(&prefix[..read.len()], read.as_slice(), "a row changed");
            }
            *read = prefix.clone();
        }
        self.calls.set(self.calls.get() + 1);
        (self.inner)(prefixes)
    }
    fn reorder_cache(&self, cache: &mut Self::Cache, rows: &[usize]) {
        *cache = rows.iter().map(|&r| cache[r].clone()).collect();
    }
}

fn checked<F: Fn(&[Vec<usize>]) -> Tensor>(inner: F) -> Checked<F> {
    Checked {
        inner,
        calls: Cell::new(0),
    }
}

/// The hand-built model where greedy misses the most probable sequence:
/// 0 = BOS, 1 = "a", 2 = "b", 3 = eos.
fn greedy_trap() -> Vec<Vec<f64>> {
    vec![
        vec![0.0, 0.5, 0.4, 0.1],   // after BOS: "a" looks best …
        vec![0.0, 0.3, 0.3, 0.4],   // … but P(a eos) = 0.5 · 0.4 = 0.2
        vec![0.0, 0.05, 0.05, 0.9], // while P(b eos) = 0.4 · 0.9 = 0.36
        vec![0.0, 0.0, 0.0, 1.0],
    ]
}

#[test]
fn beam_width_1_is_greedy() {
    for seed in 0..5 {
        let table = random_table(6, seed);
        let model = |p: &[Vec<usize>]| markov(&table, p);
        for prompt in [vec![0], vec![3, 1]] {
            let greedy_out = greedy(&model, std::slice::from_ref(&prompt), 12, Some(5));
            for early_stopping in [true, false] {
                let config = BeamConfig::new(1, 12)
                    .length_penalty(0.0)
                    .early_stopping(early_stopping)
                    .eos(5);
                let beam = beam_search(&checked(&model), &prompt, &config);
                assert_eq!(beam[0].tokens, greedy_out[0], "seed {seed}");
                // its log-probability is the sum along the greedy path
                let mut last = *prompt.last().unwrap();
                let mut log_p = 0.0;
                for &t in &greedy_out[0] {
                    log_p += table[last][t].ln();
                    last = t;
                }
                assert!((beam[0].log_prob - log_p).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn beam_finds_the_more_probable_sequence_that_greedy_misses() {
    let table = greedy_trap();
    let model = checked(|p: &[Vec<usize>]| markov(&table, p));
    assert_eq!(greedy(&model, &[vec![0]], 5, Some(3)), vec![vec![1, 3]]);
    let config = BeamConfig::new(2, 5)
        .length_penalty(0.0)
        .eos(3)
        .num_return(2);
    let nbest = beam_search(&model, &[0], &config);
    let got: Vec<(Vec<usize>, f64)> = nbest
        .iter()
        .map(|h| (h.tokens.clone(), h.log_prob))
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, vec![2, 3]);
    assert!((got[0].1 - 0.36f64.ln()).abs() < 1e-12);
    assert_eq!(got[1].0, vec![1, 3]);
    assert!((got[1].1 - 0.2f64.ln()).abs() < 1e-12);
    assert!(nbest.iter().all(|h| h.finished && h.score == h.log_prob)); // α = 0
}

#[test]
fn n_best_scores_use_the_gnmt_length_penalty() {
    let table = random_table(5, 11);
    let model = |p: &[Vec<usize>]| markov(&table, p);
    let config = BeamConfig::new(4, 6)
        .length_penalty(0.8)
        .eos(4)
        .num_return(4);
    let nbest = beam_search(&model, &[0], &config);
    assert_eq!(nbest.len(), 4);
    for pair in nbest.windows(2) {
        assert!(pair[0].score >= pair[1].score, "best first");
    }
    for h in &nbest {
        let lp = ((5.0 + h.tokens.len() as f64) / 6.0).powf(0.8);
        assert!((h.score - h.log_prob / lp).abs() < 1e-12);
        assert_eq!(h.finished, h.tokens.last() == Some(&4));
        assert!(h.tokens.len() <= 6);
    }
}

/// 0 = BOS, 1 = "a", 2 = eos: ending at once has probability 0.6, while "a a a a eos"
/// has 0.4 · 0.99⁴ ≈ 0.38 but scores higher under a strong length penalty.
fn long_is_better(prefixes: &[Vec<usize>]) -> Tensor {
    let rows: Vec<f64> = prefixes
        .iter()
        .flat_map(|p| {
            let a_count = p.iter().filter(|&&t| t == 1).count();
            match (p.last().unwrap(), a_count) {
                (0, _) => [0.0, 0.4, 0.6],
                (1, n) if n < 4 => [0.0, 0.99, 0.01],
                _ => [0.0, 0.01, 0.99],
            }
        })
        .map(f64::ln)
        .collect();
    Tensor::from_vec_f64(rows, &[prefixes.len(), 3])
}

#[test]
fn early_stopping_stops_at_w_finished_and_exact_search_goes_on() {
    let config = BeamConfig::new(2, 10).length_penalty(2.0).eos(2);
    let early = beam_search(&checked(long_is_better), &[0], &config);
    assert_eq!(early[0].tokens, vec![2]);
    let exact = beam_search(
        &checked(long_is_better),
        &[0],
        &config.early_stopping(false),
    );
    assert_eq!(exact[0].tokens, vec![1, 1, 1, 1, 2]);
    assert!(exact[0].score > early[0].score && exact[0].log_prob < early[0].log_prob);
}

#[test]
fn beams_that_reach_max_new_tokens_are_returned_unfinished() {
    let table = random_table(4, 3);
    let model = |p: &[Vec<usize>]| markov(&table, p);
    let nbest = beam_search(&model, &[0], &BeamConfig::new(3, 4).num_return(3));
    assert!(nbest.iter().all(|h| !h.finished && h.tokens.len() == 4)); // no eos set
    assert!(
        beam_search(&model, &[0], &BeamConfig::new(2, 0))[0]
            .tokens
            .is_empty()
    );
}

#[test]
fn top_k_1_and_a_cold_temperature_are_greedy() {
    let table = random_table(7, 5);
    let model = |p: &[Vec<usize>]| markov(&table, p);
    let prompts = vec![vec![0], vec![1], vec![6, 2]];
    let greedy_out = greedy(&model, &prompts, 15, Some(3));
    let top1 = SamplingConfig::new(15).top_k(1).eos(3).seed(1);
    assert_eq!(sample(&checked(&model), &prompts, &top1), greedy_out);
    let cold = SamplingConfig::new(15).temperature(1e-3).eos(3).seed(2);
    assert_eq!(sample(&model, &prompts, &cold), greedy_out);
    // the probability of the argmax rises towards 1 as τ falls
    let logits = markov(&table, &[vec![0]]);
    let p_max = |tau: f64| {
        SamplingConfig::new(1)
            .temperature(tau)
            .next_token_probs(&logits, &[vec![0]])
            .max()
            .item()
    };
    let curve: Vec<f64> = [2.0, 1.0, 0.5, 0.1, 0.01]
        .iter()
        .map(|&t| p_max(t))
        .collect();
    assert!(curve.windows(2).all(|w| w[0] < w[1]), "{curve:?}");
    assert!(curve[4] > 0.999, "{curve:?}");
}

/// Upper 0.1 % points of the chi-square distribution, for 1..=9 degrees of freedom.
const CHI2_999: [f64; 9] = [
    10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88,
];

#[test]
fn sampling_frequencies_match_the_processed_distribution() {
    // a fixed score vector over V = 10, with token 2 already in the prefix
    let z: Vec<f64> = vec![1.5, 0.2, 2.5, -1.0, 0.9, 1.1, -0.3, 0.0, 2.0, -2.5];
    let model = |p: &[Vec<usize>]| Tensor::from_vec_f64(z.repeat(p.len()), &[p.len(), 10]);
    let config = SamplingConfig::new(1)
        .repetition_penalty(1.3)
        .temperature(0.8)
        .top_k(8)
        .top_p(0.95)
        .min_p(0.02)
        .seed(2024);
    let prefix = vec![2, 7];
    let one = std::slice::from_ref(&prefix);
    let expected = config.next_token_probs(&model(one), one).to_vec::<f64>();
    let n = 20_000;
    let draws = sample(&model, &vec![prefix; n], &config);
    let mut counts = [0usize; 10];
    draws.iter().for_each(|d| counts[d[0]] += 1);
    let mut chi2 = 0.0;
    let mut kept = 0;
    for (v, (&c, &p)) in counts.iter().zip(&expected).enumerate() {
        if p == 0.0 {
            assert_eq!(c, 0, "token {v} was filtered out but drawn {c} times");
        } else {
            kept += 1;
            let e = p * n as f64;
            chi2 += (c as f64 - e).powi(2) / e;
        }
    }
    assert!(
        (3..10).contains(&kept),
        "the filters kept {kept} tokens: {expected:?}"
    );
    assert!(
        chi2 < CHI2_999[kept - 2],
        "χ² = {chi2:.2} with {} d.o.f.",
        kept - 1
    );
}

#[test]
fn one_seed_reproduces_and_the_framework_seed_too() {
    let table = random_table(8, 9);
    let model = |p: &[Vec<usize>]| markov(&table, p);
    let prompts = vec![vec![0]; 4];
    let config = SamplingConfig::new(30).top_p(0.9).seed(5);
    let a = sample(&model, &prompts, &config);
    manual_seed(123); // the framework's generator does not matter with a seed
    assert_eq!(sample(&model, &prompts, &config), a);
    assert_ne!(sample(&model, &prompts, &config.clone().seed(6)), a);
    let unseeded = SamplingConfig::new(30).top_p(0.9);
    manual_seed(77);
    let b = sample(&model, &prompts, &unseeded);
    manual_seed(77);
    assert_eq!(sample(&model, &prompts, &unseeded), b);
    // a seed in the config is a generator of its own seeded with it (generator= in PyTorch)
    let mut generator = Generator::new();
    generator.manual_seed(5);
    assert_eq!(sample_with(&model, &prompts, &unseeded, &mut generator), a);
    assert_ne!(sample_with(&model, &prompts, &unseeded, &mut generator), a); // moved on
}

#[test]
fn finished_rows_stop_and_the_cache_stays_aligned() {
    let table = random_table(5, 21);
    let model = checked(|p: &[Vec<usize>]| markov(&table, p));
    let prompts: Vec<Vec<usize>> = (0..5).map(|t| vec![t]).collect();
    let out = sample(&model, &prompts, &SamplingConfig::new(40).eos(4).seed(3));
    for row in &out {
        let eos_at = row.iter().position(|&t| t == 4);
        assert!(
            eos_at.is_none_or(|i| i == row.len() - 1),
            "nothing after eos: {row:?}"
        );
        assert!(eos_at.is_some() || row.len() == 40);
    }
    let longest = out.iter().map(Vec::len).max().unwrap();
    assert_eq!(
        model.calls.get(),
        longest,
        "the loop ends when every row is done"
    );
}

#[test]
fn misuse_is_reported() {
    let model = |p: &[Vec<usize>]| Tensor::zeros(&[p.len() + 1, 3]);
    let panic_of = |f: &dyn Fn()| {
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        e.downcast_ref::<String>().unwrap().clone()
    };
    assert_eq!(
        panic_of(&|| {
            greedy(&model, &[vec![0], vec![1]], 3, None);
        }),
        "greedy: the model returned logits of shape [3, 3] for 2 prefixes; expected [2, V]. \
         Hint: next_token_logits returns one row of vocabulary scores per prefix"
    );
    let fine = |p: &[Vec<usize>]| Tensor::zeros(&[p.len(), 3]).to_dtype(DType::F64);
    assert!(
        panic_of(&|| {
            sample(&fine, &[vec![0], vec![]], &SamplingConfig::new(3));
        })
        .starts_with("sample: prompt 1 is empty")
    );
    assert!(
        panic_of(&|| {
            beam_search(&fine, &[0], &BeamConfig::new(2, 3).num_return(3));
        })
        .contains("must satisfy 1 ≤ num_return ≤ beam_width")
    );
}
