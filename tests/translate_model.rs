//! The translation example's parts (`examples/translate/`), tested on toy data: the
//! padding masks, a tiny Transformer and a tiny bi-GRU + attention model that learn
//! to copy and to reverse sequences, the RNN decoder's cache (step by step, and
//! reordered, equals teacher forcing), and resumed runs that repeat the
//! uninterrupted one's losses exactly.
//! Read next: `examples/translate/main.rs`.

#[allow(dead_code)] // each test uses part of the example
#[path = "../examples/translate/arch.rs"]
mod arch;
#[allow(dead_code)]
#[path = "../examples/translate/batches.rs"]
mod batches;

#[allow(dead_code)] // the tests use part of the flag parser
#[path = "../examples/common/cli.rs"]
mod cli;

#[allow(dead_code)]
#[path = "../examples/translate/model.rs"]
mod model;
#[allow(dead_code)] // the tests use the checkpoint helpers, not the flags
#[path = "../examples/translate/options.rs"]
mod options;
#[allow(dead_code)]
#[path = "../examples/translate/rnn_model.rs"]
mod rnn_model;
#[allow(dead_code)]
#[path = "../examples/translate/train.rs"]
mod train;
#[allow(dead_code)]
#[path = "../examples/translate/translate.rs"]
mod translate;

use arch::Model;
use batches::{Batch, Example, epoch_batches, ids_tensor};
use ferrograd::nn::Module;
use ferrograd::nn::decoding::NextTokenModel;
use ferrograd::prelude::*;
use ferrograd::tensor::io::StateDict;
use ferrograd::text::{BOS, EOS, PAD};
use model::{ModelConfig, Seq2Seq, Sharing};
use rnn_model::{RnnDecoder, RnnModelConfig, RnnSeq2Seq};
use train::{Schedule, TrainConfig, Trainer};
use translate::{Search, translate_ids};

/// Symbols 4..4+n (after the four special ids).
const SYMBOLS: u32 = 8;

fn tiny_model(dropout: f64) -> Model {
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
    .into()
}

fn tiny_rnn(dropout: f64, attention: bool) -> RnnSeq2Seq {
    RnnSeq2Seq::new(RnnModelConfig {
        vocab: 4 + SYMBOLS as usize,
        embed: 16,
        hidden: 32,
        dropout,
        attention,
        max_len: 16,
    })
}

fn tiny_gru_attention(dropout: f64) -> Model {
    tiny_rnn(dropout, true).into()
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

/// Train a tiny model (made by `build`) on `f` and return its exact-match accuracy
/// on new sequences, greedy and beam.
fn learn(build: fn(f64) -> Model, f: impl Fn(&[u32]) -> Vec<u32> + Copy) -> (f64, f64) {
    manual_seed(0);
    let train = toy_data(2000, 1, f);
    let test = toy_data(100, 2, f);
    let epochs = 20;
    let total = epochs * epoch_batches(&train, 7 * 32, 3, 0).len();
    let mut trainer = Trainer::new(build(0.0), config(5e-3, total));
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
    assert_eq!(learn(tiny_model, |s| s.to_vec()), (1.0, 1.0));
}

#[test]
fn a_tiny_transformer_learns_to_reverse() {
    // 99 of 100 after 20 epochs (copying reaches 100); more steps or width close the gap
    let (greedy, beam) = learn(tiny_model, |s| s.iter().rev().copied().collect());
    assert!(
        greedy >= 0.98 && beam >= 0.98,
        "greedy {greedy}, beam {beam}"
    );
}

#[test]
fn a_tiny_gru_with_attention_learns_to_reverse() {
    let (greedy, beam) = learn(tiny_gru_attention, |s| s.iter().rev().copied().collect());
    assert_eq!((greedy, beam), (1.0, 1.0));
}

/// Two source rows of different lengths (the second padded) and their targets.
fn two_pairs() -> (Tensor, Vec<Vec<u32>>) {
    let src = ids_tensor(&[vec![5, 6, 7, 8, EOS], vec![9, 10, EOS]]);
    (src, vec![vec![BOS, 4, 5, 6], vec![BOS, 7, 8, 11]])
}

#[test]
fn the_rnn_decoders_cache_gives_the_teacher_forced_logits() {
    for attention in [false, true] {
        manual_seed(1);
        let mut model = tiny_rnn(0.5, attention);
        model.eval();
        let (src, tgt) = two_pairs();
        let forced = no_grad(|| {
            model
                .forward(&src, &batches::padding_mask(&src), &ids_tensor(&tgt))
                .value()
        });
        let rows: Vec<Vec<u32>> = (0..2).map(|r| src_row(&src, r)).collect();
        let decoder = RnnDecoder::new(&model, &rows);
        let mut cache = decoder.new_cache(2);
        for t in 0..4 {
            let prefixes: Vec<Vec<usize>> = tgt
                .iter()
                .map(|p| p[..=t].iter().map(|&x| x as usize).collect())
                .collect();
            let step = decoder.next_token_logits(&prefixes, &mut cache);
            let want = forced.narrow(1, t, 1).reshape(&[2, 4 + SYMBOLS as usize]);
            assert!(gap(&step, &want) <= 1e-5, "attention {attention}, step {t}");
        }
        // reordered rows continue each row's own state: row 1 twice, then row 0, each
        // reading its next token (10 after row 1, 7 after row 0); compared with teacher
        // forcing on the same (padded) source batch
        let order = [1usize, 1, 0];
        decoder.reorder_cache(&mut cache, &order);
        let next = [7u32, 10];
        let prefixes: Vec<Vec<usize>> = order
            .iter()
            .map(|&r| {
                tgt[r]
                    .iter()
                    .chain(&[next[r]])
                    .map(|&x| x as usize)
                    .collect()
            })
            .collect();
        let step = decoder.next_token_logits(&prefixes, &mut cache);
        let extended: Vec<Vec<u32>> = (0..2)
            .map(|r| [tgt[r].as_slice(), &[next[r]]].concat())
            .collect();
        let full = no_grad(|| {
            model
                .forward(&src, &batches::padding_mask(&src), &ids_tensor(&extended))
                .value()
        });
        for (i, &r) in order.iter().enumerate() {
            let want = full
                .narrow(0, r, 1)
                .narrow(1, 4, 1)
                .reshape(&[1, 4 + SYMBOLS as usize]);
            let got = step.narrow(0, i, 1);
            assert!(gap(&got, &want) <= 1e-5, "attention {attention}, row {i}");
        }
    }
}

/// The largest absolute difference between two tensors of one shape.
fn gap(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.shape(), b.shape());
    (a - b).abs().max().item()
}

/// Row `r` of an id tensor, without its padding.
fn src_row(ids: &Tensor, r: usize) -> Vec<u32> {
    let v = ids.narrow(0, r, 1).to_vec::<i64>();
    v.into_iter()
        .filter(|&x| x != i64::from(PAD))
        .map(|x| x as u32)
        .collect()
}

#[test]
fn an_rnn_checkpoint_rebuilds_its_model() {
    for attention in [false, true] {
        manual_seed(2);
        let mut model: Model = tiny_rnn(0.0, attention).into();
        model.eval();
        let mut state = StateDict::new();
        model.config_to_state(&mut state);
        let mut rebuilt = Model::from_state(&state).unwrap();
        rebuilt.load_state_dict(&model.state_dict(), true).unwrap();
        rebuilt.eval();
        assert_eq!(
            rebuilt.arch(),
            ["gru", "gru-attention"][usize::from(attention)]
        );
        let (src, tgt) = two_pairs();
        let examples: Vec<Example> = (0..2)
            .map(|r| Example {
                src: src_row(&src, r)[..src_row(&src, r).len() - 1].to_vec(),
                tgt: tgt[r][1..].to_vec(),
            })
            .collect();
        let batch = Batch::new(&examples.iter().collect::<Vec<_>>());
        let (a, b) = no_grad(|| (model.logits(&batch).value(), rebuilt.logits(&batch).value()));
        assert!(gap(&a, &b) <= 0.0);
        assert_eq!(a.shape(), &[2, 4, 4 + SYMBOLS as usize]);
    }
}

#[test]
fn a_resumed_run_repeats_the_uninterrupted_losses() {
    for build in [tiny_model, tiny_gru_attention] {
        resumed_run_repeats(build);
    }
}

fn resumed_run_repeats(build: fn(f64) -> Model) {
    let train = toy_data(200, 4, |s| s.iter().rev().copied().collect());
    let run = |interrupt_at: Option<usize>| -> Vec<f64> {
        manual_seed(7);
        let mut trainer = Trainer::new(build(0.3), config(1e-3, 40));
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

/// `average_checkpoints` saves the element-wise mean of the saved weights, with the
/// config, and the result loads as a model of the same shape.
#[test]
fn checkpoint_averaging_is_the_mean_of_the_weights() {
    let dir = std::env::temp_dir().join(format!("ferrograd-average-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<_> = (0..3)
        .map(|i| {
            manual_seed(10 + i);
            let path = dir.join(format!("epoch{i}.safetensors"));
            options::save_model(&tiny_model(0.0), &path).unwrap();
            path
        })
        .collect();
    let out = dir.join("averaged.safetensors");
    options::average_checkpoints(&paths, &out).unwrap();
    let models: Vec<Model> = paths
        .iter()
        .map(|p| options::load_model(p).unwrap())
        .collect();
    let averaged = options::load_model(&out).unwrap();
    let states: Vec<StateDict> = models.iter().map(|m| m.state_dict()).collect();
    let mut compared = 0;
    for (name, mean) in averaged.state_dict() {
        let values: Vec<Vec<f64>> = states.iter().map(|s| s[&name].to_vec::<f64>()).collect();
        for (j, got) in mean.to_vec::<f64>().iter().enumerate() {
            let want = values.iter().map(|v| v[j]).sum::<f64>() / 3.0;
            assert!(
                (got - want).abs() < 1e-6,
                "{name}[{j}]: {got} vs mean {want}"
            );
        }
        compared += 1;
    }
    assert!(compared > 5, "only {compared} tensors compared");
    let missing = options::average_checkpoints(&[], &out);
    assert!(missing.is_err(), "averaging no checkpoints must fail");
    std::fs::remove_dir_all(&dir).unwrap();
}
