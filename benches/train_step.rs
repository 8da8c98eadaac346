//! Whole training steps (forward + loss + backward + optimizer step), timed the way
//! `benches/pytorch/train_step.py` times the same models in PyTorch, so the two can
//! be run in one sitting and compared:
//!
//! ```text
//! cargo bench --bench train_step            # ferrograd, 1 thread, medians
//! python benches/pytorch/train_step.py       # PyTorch, 1 thread, medians
//! ```
//! Models (batch 32): (i) MLP 784-256-256-10 with ReLU and cross-entropy, Adam;
//! (iv) word2vec skip-gram with negative sampling: two Embedding(50000, 100) tables,
//! 1024 (center, context) pairs with 5 negatives each,
//! loss = mean(−log σ(v_c·u_o) − Σ_k log σ(−v_c·u_k)), dense Adam and sparse-row
//! SparseAdam. Each figure is the median of `REPEATS` steps after `WARMUP` steps.

#![allow(missing_docs)]

use std::time::Instant;

use ferrograd::nn::loss::{binary_cross_entropy_with_logits, cross_entropy};
use ferrograd::nn::{Linear, ReLU, Sequential};
use ferrograd::optim::{Adam, Optimizer, SparseAdam};
use ferrograd::prelude::*;

const WARMUP: usize = 3;
const REPEATS: usize = 15;

/// Median wall time of `step` in milliseconds.
fn median_ms(mut step: impl FnMut()) -> f64 {
    for _ in 0..WARMUP {
        step();
    }
    let mut times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPEATS / 2]
}

fn mlp_step_ms() -> f64 {
    manual_seed(0);
    let model = Sequential::new()
        .add(Linear::new(784, 256))
        .add(ReLU)
        .add(Linear::new(256, 256))
        .add(ReLU)
        .add(Linear::new(256, 10));
    let mut optimizer = Adam::new(model.parameters(), 1e-3);
    let x = Var::new(Tensor::randn(&[32, 784]));
    let y = Tensor::from_vec((0..32).map(|i| (i % 10) as f32).collect(), &[32]);
    median_ms(|| {
        let loss = cross_entropy(&model.forward(&x), &y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    })
}

/// Index tensor of `n` pseudo-random token ids below `vocab`.
fn token_ids(n: usize, vocab: usize, salt: u64) -> Tensor {
    let ids = ferrograd::data::permutation(n.max(vocab), salt);
    Tensor::from_vec(
        ids.iter().take(n).map(|&i| (i % vocab) as f32).collect(),
        &[n],
    )
}

const PAIRS: usize = 1024;
const NEGATIVES: usize = 5;
const VOCAB: usize = 50_000;

/// The token ids of one batch: centers [P], contexts [P], negatives [P·K].
fn sgns_batch() -> [Tensor; 3] {
    [
        token_ids(PAIRS, VOCAB, 1),
        token_ids(PAIRS, VOCAB, 2),
        token_ids(PAIRS * NEGATIVES, VOCAB, 3),
    ]
}

/// One skip-gram negative-sampling loss over 1024 pairs with 5 negatives each.
fn sgns_loss(input: &Var, output: &Var, batch: &[Tensor; 3], sparse: bool) -> Var {
    let (pairs, negatives) = (PAIRS, NEGATIVES);
    let center = Var::embedding(input, &batch[0], sparse); // [P, D]
    let context = Var::embedding(output, &batch[1], sparse); // [P, D]
    let noise = Var::embedding(output, &batch[2], sparse).reshape(&[pairs, negatives, 100]); // [P, K, D]
    let positive_logits = (&center * &context).sum_dim(-1, false); // [P]
    let negative_logits = (&noise * &center.unsqueeze(1)).sum_dim(-1, false); // [P, K]
    let logits = Var::cat(&[positive_logits.unsqueeze(1), negative_logits], 1); // [P, 1+K]
    let mut labels = vec![0.0f32; pairs * (1 + negatives)];
    labels
        .iter_mut()
        .step_by(1 + negatives)
        .for_each(|l| *l = 1.0);
    let labels = Tensor::from_vec(labels, &[pairs, 1 + negatives]);
    // mean over pairs of the summed per-logit losses
    binary_cross_entropy_with_logits(&logits, &labels).mul_scalar((1 + negatives) as f64)
}

fn word2vec_step_ms(sparse: bool) -> f64 {
    manual_seed(0);
    let input = Var::param(Tensor::uniform(&[50_000, 100], -0.005, 0.005));
    let output = Var::param(Tensor::zeros(&[50_000, 100]));
    let params = vec![input.clone(), output.clone()];
    let mut optimizer: Box<dyn Optimizer> = if sparse {
        Box::new(SparseAdam::new(params, 1e-3))
    } else {
        Box::new(Adam::new(params, 1e-3))
    };
    let batch = sgns_batch();
    median_ms(|| {
        let loss = sgns_loss(&input, &output, &batch, sparse);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    })
}

fn main() {
    // `cargo test --benches` runs bench binaries with no arguments: stay quick there.
    if std::env::args().any(|a| a == "--test")
        || std::env::args().len() == 1 && cfg!(debug_assertions)
    {
        return;
    }
    let threads = std::env::var("THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    println!("training step, batch 32, {threads} thread(s), median of {REPEATS} steps");
    println!("{:<44} {:>10}", "model", "ms/step");
    type Run = fn() -> f64;
    let rows: [(&str, Run); 3] = [
        ("MLP 784-256-256-10, Adam", mlp_step_ms),
        ("word2vec SGNS, dense Adam", || word2vec_step_ms(false)),
        ("word2vec SGNS, sparse rows + SparseAdam", || {
            word2vec_step_ms(true)
        }),
    ];
    for (name, run) in rows {
        let ours = pool.install(run);
        println!("{name:<44} {ours:>10.2}");
    }
}
