//! Whole training steps (forward + loss + backward + optimizer step), timed the way
//! `benches/pytorch/train_step.py` times the same models in PyTorch, so the two can
//! be run in one sitting and compared:
//!
//! ```text
//! cargo bench --bench train_step            # ferrograd, 1 thread, medians
//! python benches/pytorch/train_step.py       # PyTorch, 1 thread, medians
//! ```
//! Models (batch 32, Adam unless noted): (i) MLP 784-256-256-10 with ReLU and
//! cross-entropy; (ii) LSTM language model: Embedding(10000, 128) → LSTM(128 → 256,
//! batch_first) → Linear(256, 10000), cross-entropy over 32×35 tokens; (iii)
//! transformer seq2seq: Embedding(8000, 256)·√256 + sinusoidal positions, 3 encoder +
//! 3 decoder post-LN layers (d_model 256, 4 heads, FFN 1024, ReLU, dropout 0.1),
//! causal target mask, Linear(256, 8000), cross-entropy over 32×32 tokens; (iv) word2vec skip-gram with negative sampling: two Embedding(50000, 100) tables,
//! 1024 (center, context) pairs with 5 negatives each,
//! loss = mean(−log σ(v_c·u_o) − Σ_k log σ(−v_c·u_k)), dense Adam and sparse-row
//! SparseAdam. Each figure is the median of `REPEATS` steps after `WARMUP` steps.

#![allow(missing_docs)]

mod cpu_clock;

use std::time::Instant;

use cpu_clock::thread_cpu_seconds;
use ferrograd::nn::loss::{binary_cross_entropy_with_logits, cross_entropy};
use ferrograd::nn::{
    Embedding, LSTM, Linear, ReLU, RnnConfig, Sequential, SinusoidalPositionalEncoding,
    Transformer, TransformerLayerConfig, TransformerMasks,
};
use ferrograd::optim::{Adam, Optimizer, SparseAdam};
use ferrograd::prelude::*;

const WARMUP: usize = 3;

/// Steps timed per model: `REPEATS` from the environment, 15 by default.
fn repeats() -> usize {
    std::env::var("REPEATS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15)
}

/// Medians over the timed steps, in milliseconds: wall-clock time, and CPU time of
/// the calling thread (all the work at 1 thread; on a busy machine the wall time also
/// counts the time other processes held the core).
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Run `step` `WARMUP` times untimed, then time `repeats()` steps.
fn median_ms(mut step: impl FnMut()) -> Timing {
    for _ in 0..WARMUP {
        step();
    }
    let (walls, cpus) = (0..repeats())
        .map(|_| {
            let (start, cpu_start) = (Instant::now(), thread_cpu_seconds());
            step();
            let cpu = match (cpu_start, thread_cpu_seconds()) {
                (Some(a), Some(b)) => (b - a) * 1e3,
                _ => 0.0,
            };
            (start.elapsed().as_secs_f64() * 1e3, cpu)
        })
        .unzip();
    Timing {
        wall: median(walls),
        cpu: median(cpus),
    }
}

fn mlp_step_ms() -> Timing {
    manual_seed(0);
    let model = Sequential::new()
        .add(Linear::new(784, 256))
        .add(ReLU)
        .add(Linear::new(256, 256))
        .add(ReLU)
        .add(Linear::new(256, 10));
    let mut optimizer = Adam::new(model.parameters(), 1e-3);
    let x = Var::new(Tensor::randn(&[32, 784]));
    let y = Tensor::from_vec_i64((0..32).map(|i| i % 10).collect(), &[32]);
    median_ms(|| adam_step(&mut optimizer, &cross_entropy(&model.forward(&x), &y)))
}

/// i64 index tensor of `n` pseudo-random token ids below `vocab`.
fn token_ids(n: usize, vocab: usize, salt: u64) -> Tensor {
    let ids = ferrograd::data::permutation(n.max(vocab), salt);
    Tensor::from_vec_i64(
        ids.iter().take(n).map(|&i| (i % vocab) as i64).collect(),
        &[n],
    )
}

/// Zero the gradients, backpropagate `loss`, update the parameters.
fn adam_step(optimizer: &mut Adam, loss: &Var) {
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
}

fn lstm_lm_step_ms() -> Timing {
    const VOCAB: usize = 10_000;
    let (batch, steps) = (32, 35);
    manual_seed(0);
    let embedding = Embedding::new(VOCAB, 128);
    let lstm = LSTM::with_config(RnnConfig::new(128, 256).batch_first(true));
    let head = Linear::new(256, VOCAB);
    let mut params = embedding.parameters();
    params.extend(lstm.parameters());
    params.extend(head.parameters());
    let mut optimizer = Adam::new(params, 1e-3);
    let x = token_ids(batch * steps, VOCAB, 4).reshape(&[batch, steps]);
    let y = token_ids(batch * steps, VOCAB, 5);
    median_ms(|| {
        let (h, _) = lstm.forward(&embedding.forward(&x), None); // [B, T, 256]
        let logits = head.forward(&h.reshape(&[batch * steps, 256]));
        adam_step(&mut optimizer, &cross_entropy(&logits, &y));
    })
}

fn transformer_step_ms() -> Timing {
    const VOCAB: usize = 8_000;
    let (batch, steps, d_model) = (32, 32, 256);
    manual_seed(0);
    let src_embedding = Embedding::new(VOCAB, d_model);
    let tgt_embedding = Embedding::new(VOCAB, d_model);
    // the Python model adds the table without dropout
    let positions = SinusoidalPositionalEncoding::new(d_model, 64)
        .dropout(0.0)
        .batch_first(true);
    let config = TransformerLayerConfig::new(d_model, 4)
        .dim_feedforward(1024)
        .dropout(0.1)
        .batch_first(true);
    let transformer = Transformer::new(config, 3, 3);
    let head = Linear::new(d_model, VOCAB);
    let mut params = src_embedding.parameters();
    params.extend(tgt_embedding.parameters());
    params.extend(transformer.parameters());
    params.extend(head.parameters());
    let mut optimizer = Adam::new(params, 1e-3);
    let ids = |salt| token_ids(batch * steps, VOCAB, salt).reshape(&[batch, steps]);
    let (src, tgt, y) = (ids(6), ids(7), token_ids(batch * steps, VOCAB, 8));
    let mask = Transformer::generate_square_subsequent_mask(steps);
    let masks = TransformerMasks {
        tgt_mask: Some(&mask),
        ..Default::default()
    };
    let scale = (d_model as f64).sqrt();
    let embed =
        |table: &Embedding, ids: &Tensor| positions.forward(&table.forward(ids).mul_scalar(scale));
    median_ms(|| {
        let out = transformer.forward(
            &embed(&src_embedding, &src),
            &embed(&tgt_embedding, &tgt),
            &masks,
        );
        let logits = head.forward(&out.reshape(&[batch * steps, d_model]));
        adam_step(&mut optimizer, &cross_entropy(&logits, &y));
    })
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

fn word2vec_step_ms(sparse: bool) -> Timing {
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
    // Extra arguments pick models by a part of their name: `-- lstm transformer`.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.to_lowercase())
        .collect();
    println!(
        "training step, batch 32, {threads} thread(s), median of {} steps after {WARMUP}",
        repeats()
    );
    println!("{:<44} {:>10} {:>10}", "model", "wall ms", "cpu ms");
    type Run = fn() -> Timing;
    let rows: [(&str, Run); 5] = [
        ("MLP 784-256-256-10, Adam", mlp_step_ms),
        ("LSTM LM 10k/128/256, seq 35, Adam", lstm_lm_step_ms),
        ("Transformer 3+3, d 256, seq 32, Adam", transformer_step_ms),
        ("word2vec SGNS, dense Adam", || word2vec_step_ms(false)),
        ("word2vec SGNS, sparse rows + SparseAdam", || {
            word2vec_step_ms(true)
        }),
    ];
    for (name, run) in rows {
        let lower = name.to_lowercase();
        if !filters.is_empty() && !filters.iter().any(|f| lower.contains(f)) {
            continue;
        }
        let t = pool.install(run);
        println!("{name:<44} {:>10.2} {:>10.2}", t.wall, t.cpu);
    }
}
