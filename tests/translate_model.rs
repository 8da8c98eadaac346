//! The translation example's parts (`examples/translate/`), tested on toy data: the
//! padding masks, a tiny Transformer that learns to copy and to reverse sequences,
//! and a resumed run that repeats the uninterrupted one's losses exactly.
//! Read next: `examples/translate/main.rs`.

#[allow(dead_code)] // each test uses part of the example
#[path = "../examples/translate/batches.rs"]
mod batches;
#[allow(dead_code)]
#[path = "../examples/translate/model.rs"]
mod model;
#[allow(dead_code)]
#[path = "../examples/translate/train.rs"]
mod train;
#[allow(dead_code)]
#[path = "../examples/translate/translate.rs"]
mod translate;

use batches::{Batch, Example, epoch_batches};
use ferrograd::prelude::*;
use ferrograd::text::{BOS, EOS, PAD};
use model::{ModelConfig, Seq2Seq, Sharing};
use train::{Schedule, TrainConfig, Trainer};
use translate::{Search, translate_ids};

/// Symbols 4..4+n (after the four special ids).
const SYMBOLS: u32 = 8;

fn tiny_model(dropout: f64) -> Seq2Seq {
    Seq2Seq::new(ModelConfig {
        vocab: 4 + SYMBOLS as usize,
        d_model: 32,
        heads: 2,
        encoder_layers: 1,
        decoder_layers: 1,
        ffn: 64,
        dropout,
        pre_norm: true,
        learned_positions: true,
        sharing: Sharing::All,
        max_len: 16,
    })
}

fn config(lr: f64, total_steps: usize) -> TrainConfig {
    TrainConfig {
        max_tokens: 7 * 32,
        lr,
        warmup: 20,
        schedule: Schedule::Cosine,
        total_steps,
        label_smoothing: 0.0,
        clip: 1.0,
        weight_decay: 0.0,
        seed: 3,
    }
}

/// `n` random sequences of 2..=5 symbols, mapped to their targets by `f`.
fn toy_data(n: usize, seed: u64, f: impl Fn(&[u32]) -> Vec<u32>) -> Vec<Example> {
    let mut g = Generator::new();
    g.manual_seed(seed);
    (0..n)
        .map(|_| {
            let len = 2 + g.below(4) as usize;
            let src: Vec<u32> = (0..len)
                .map(|_| 4 + g.below(u64::from(SYMBOLS)) as u32)
                .collect();
            Example { tgt: f(&src), src }
        })
        .collect()
}

#[test]
fn batches_pad_and_mask_the_short_rows() {
    let a = Example {
        src: vec![5, 6, 7],
        tgt: vec![8],
    };
    let b = Example {
        src: vec![9],
        tgt: vec![10, 11],
    };
    let batch = Batch::new(&[&a, &b]);
    let (p, e, s) = (i64::from(PAD), i64::from(EOS), i64::from(BOS));
    assert_eq!(batch.src.shape(), &[2, 4]);
    assert_eq!(batch.src.dtype(), DType::I64);
    assert_eq!(batch.src.to_vec::<i64>(), [5, 6, 7, e, 9, e, p, p]);
    assert_eq!(batch.tgt_in.to_vec::<i64>(), [s, 8, p, s, 10, 11]);
    assert_eq!(batch.tgt_out.to_vec::<i64>(), [8, e, p, 10, 11, e]);
    assert_eq!(batch.src_padding.shape(), &[2, 4]);
    assert_eq!(batch.src_padding.dtype(), DType::Bool);
    let (f, t) = (false, true);
    assert_eq!(batch.src_padding.to_vec::<bool>(), [f, f, f, f, f, f, t, t]);
    assert_eq!(batch.tgt_padding.to_vec::<bool>(), [f, f, t, f, f, f]);
    assert_eq!((batch.tgt_tokens, batch.tokens), (5, 11));
}

#[test]
fn an_epoch_covers_every_example_once_within_the_token_budget() {
    let data = toy_data(300, 1, |s| s.to_vec());
    let batches = epoch_batches(&data, 40, 0, 0);
    let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..300).collect::<Vec<_>>());
    for b in &batches {
        let longest = b
            .iter()
            .map(|&i| data[i].src.len().max(data[i].tgt.len()) + 1)
            .max()
            .unwrap();
        assert!(longest * b.len() <= 40, "{} rows of {longest}", b.len());
    }
    assert_eq!(
        batches,
        epoch_batches(&data, 40, 0, 0),
        "an epoch's order depends on (seed, epoch) only"
    );
    assert_ne!(batches, epoch_batches(&data, 40, 0, 1));
}

/// Train a tiny model on `f` and return its exact-match accuracy on new sequences,
/// greedy and beam.
fn learn(f: impl Fn(&[u32]) -> Vec<u32> + Copy) -> (f64, f64) {
    manual_seed(0);
    let train = toy_data(2000, 1, f);
    let test = toy_data(100, 2, f);
    let epochs = 20;
    let total = epochs * epoch_batches(&train, 7 * 32, 3, 0).len();
    let mut trainer = Trainer::new(tiny_model(0.0), config(5e-3, total));
    for _ in 0..epochs {
        trainer.run_epoch(&train, usize::MAX, |_, _, _| {});
    }
    trainer.model.eval();
    let sources: Vec<Vec<u32>> = test.iter().map(|e| e.src.clone()).collect();
    let accuracy = |search| {
        let out = translate_ids(&trainer.model, &sources, search, 64);
        let right = out.iter().zip(&test).filter(|(o, e)| **o == e.tgt).count();
        right as f64 / test.len() as f64
    };
    (
        accuracy(Search::Greedy),
        accuracy(Search::Beam {
            width: 3,
            alpha: 0.6,
        }),
    )
}

#[test]
fn a_tiny_transformer_learns_to_copy() {
    assert_eq!(learn(|s| s.to_vec()), (1.0, 1.0));
}

#[test]
fn a_tiny_transformer_learns_to_reverse() {
    // 99 of 100 after 20 epochs (copying reaches 100); more steps or width close the gap
    let (greedy, beam) = learn(|s| s.iter().rev().copied().collect());
    assert!(
        greedy >= 0.98 && beam >= 0.98,
        "greedy {greedy}, beam {beam}"
    );
}

#[test]
fn a_resumed_run_repeats_the_uninterrupted_losses() {
    let train = toy_data(200, 4, |s| s.iter().rev().copied().collect());
    let run = |interrupt_at: Option<usize>| -> Vec<f64> {
        manual_seed(7);
        let mut trainer = Trainer::new(tiny_model(0.3), config(1e-3, 40));
        let mut losses = Vec::new();
        if let Some(k) = interrupt_at {
            trainer.run_epoch(&train, k, |_, loss, _| losses.push(loss));
            let path = std::env::temp_dir().join(format!(
                "translate_resume_{}.safetensors",
                std::process::id()
            ));
            trainer.save(&path).unwrap();
            manual_seed(12345); // a fresh process would not continue the generator
            trainer = Trainer::resume(&path, config(1e-3, 40)).unwrap();
            std::fs::remove_file(&path).unwrap();
        }
        while losses.len() < 12 {
            trainer.run_epoch(&train, 12 - losses.len(), |_, loss, _| losses.push(loss));
        }
        losses
    };
    let whole = run(None);
    assert_eq!(whole, run(Some(5)), "interrupted inside the first epoch");
    assert!(whole[11] < whole[0], "the loss falls: {whole:?}");
}
