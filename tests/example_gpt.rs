//! A smoke test of `examples/gpt/` (example targets do not run tests): its data,
//! model and training files, included as modules, train a few steps of the real GPT
//! and LLaMA configs on tiny Shakespeare, round-trip a checkpoint and sample past the
//! context length (the sliding KV-cache window).

#[allow(dead_code)] // the test uses part of each file
#[path = "../examples/gpt/data.rs"]
mod data;
#[allow(dead_code)] // the test uses part of each file
#[path = "../examples/gpt/model.rs"]
mod model;
#[allow(dead_code)] // the test uses part of each file
#[path = "../examples/gpt/train.rs"]
mod train;

use ferrograd::nn::decoding::SamplingConfig;
use ferrograd::prelude::*;

use data::{CharVocab, Splits, batch_at};
use model::{Kind, LanguageModel, generate};
use train::{Recipe, full_loss, loss_of, optimizer, train_step};

#[test]
fn targets_are_inputs_shifted_by_one() {
    let ids: Vec<usize> = (0..10).collect();
    let (x, y) = batch_at(&ids, &[0, 5], 3);
    assert_eq!(x.to_vec::<i64>(), [0, 1, 2, 5, 6, 7]);
    assert_eq!(y.to_vec::<i64>(), [1, 2, 3, 6, 7, 8]);
    let vocab = CharVocab::from_text("hello");
    assert_eq!(vocab.len(), 4);
    assert_eq!(vocab.decode(&vocab.encode("hole").unwrap()), "hole");
    assert!(vocab.encode("x").unwrap_err().contains("'x'"));
}

#[test]
fn both_models_train_save_and_sample() {
    let text = std::fs::read_to_string("data/tinyshakespeare/input.txt").unwrap();
    let vocab = CharVocab::from_text(&text[..200_000]);
    let splits = Splits::new(vocab.encode(&text[..200_000]).unwrap(), 0.9);
    assert_eq!(
        vocab.len(),
        65 - 3,
        "the first 200 kB lack 3 of the 65 characters"
    );
    let recipe = Recipe {
        batch_size: 4,
        block_size: 32,
        max_iters: 8,
        lr: 3e-3,
        min_lr: 3e-4,
        warmup: 2,
        beta2: 0.99,
        weight_decay: 0.1,
        clip: 1.0,
    };
    for kind in [Kind::Gpt, Kind::Llama] {
        manual_seed(0);
        let mut model = LanguageModel::new(kind, vocab.len(), 0.0);
        let mut opt = optimizer(&model, &recipe);
        let mut generator = Generator::new();
        generator.manual_seed(0);
        let losses: Vec<f64> = (1..=recipe.max_iters)
            .map(|step| {
                train_step(
                    &model,
                    &mut opt,
                    &recipe,
                    &splits.train,
                    step,
                    &mut generator,
                )
            })
            .collect();
        // At init every character is about equally likely: loss ≈ ln V.
        let uniform = (vocab.len() as f64).ln();
        assert!(
            (losses[0] - uniform).abs() < 0.2,
            "{kind:?}: first loss {}",
            losses[0]
        );
        assert!(losses[7] < losses[0] - 0.5, "{kind:?}: losses {losses:?}");
        model.set_training(false);
        let val = full_loss(&model, &splits.val[..2_000], &recipe);
        assert!(
            val.is_finite() && val < uniform,
            "{kind:?}: validation loss {val}"
        );

        let restored = LanguageModel::from_state(&model.to_state()).unwrap();
        assert_eq!(restored.kind(), kind);
        let (x, y) = batch_at(&splits.val, &[0, 100], 16);
        let (a, b) = (
            loss_of(&model, &x, &y).item(),
            loss_of(&restored, &x, &y).item(),
        );
        assert_eq!(a, b, "{kind:?}: the checkpoint changes the loss");

        // 100 characters > 64 positions: the window slides and the cache is refilled.
        let config = SamplingConfig::new(1).temperature(0.8).top_k(10).seed(3);
        let prompt = vocab.encode("ROMEO:").unwrap();
        let out = generate(&restored, &prompt, 100, &config);
        assert_eq!(out.len(), prompt.len() + 100);
        assert!(out.iter().all(|&t| t < vocab.len()));
        assert_eq!(
            out,
            generate(&restored, &prompt, 100, &config),
            "one seed, one text"
        );
    }
}
