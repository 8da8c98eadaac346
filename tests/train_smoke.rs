//! Seeded end-to-end training runs, small enough for CI: an MLP learns the digits,
//! a tiny LSTM learns to reverse a sequence. Both are deterministic run to run, even
//! while the other runs in a parallel test thread: each thread has its own seeded
//! default generator.

use ferrograd::data::load_digits;
use ferrograd::nn::loss::cross_entropy;
use ferrograd::nn::{LSTM, Linear, ReLU, RnnConfig, Sequential, metrics};
use ferrograd::optim::{Adam, AdamW, Optimizer};
use ferrograd::prelude::*;

/// Train the quickstart's MLP (without dropout) for a fixed number of steps and
/// return the test accuracy and the final training loss.
fn train_digits_mlp() -> (f64, f64) {
    manual_seed(0);
    let digits = load_digits().unwrap();
    let (mut train, mut test) = digits.train_test_split(0.2, 0);
    train.features = train.features.mul_scalar(1.0 / 16.0);
    test.features = test.features.mul_scalar(1.0 / 16.0);
    let model = Sequential::new()
        .add(Linear::new(64, 64))
        .add(ReLU)
        .add(Linear::new(64, 10));
    let mut optimizer = AdamW::new(model.parameters(), 3e-3);
    let mut last_loss = f64::NAN;
    for epoch in 0..15 {
        for batch in train.shuffled_batches(64, epoch) {
            let loss = cross_entropy(&model.forward(&Var::new(batch.features)), &batch.labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            last_loss = loss.item();
        }
    }
    let logits = no_grad(|| model.forward(&Var::new(test.features.clone())));
    (metrics::accuracy(&logits.value(), &test.labels), last_loss)
}

#[test]
fn mlp_reaches_95_percent_on_digits_deterministically() {
    let (accuracy, loss) = train_digits_mlp();
    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
    let (again, loss_again) = train_digits_mlp();
    assert_eq!(
        (accuracy, loss),
        (again, loss_again),
        "two seeded runs differ"
    );
}

/// Sequences of 5 digits from a 6-symbol alphabet; the target is the reversed sequence.
/// An LSTM reads the sequence and a Linear head predicts, at every step, the symbol at
/// the mirrored position — which needs memory of the whole sequence by the end.
fn train_reverse_lstm() -> (f64, Vec<f64>) {
    manual_seed(1);
    let (batch, steps, symbols, hidden) = (32usize, 5usize, 6usize, 32usize);
    let config = RnnConfig::new(symbols, hidden)
        .batch_first(true)
        .bidirectional(true);
    let lstm = LSTM::with_config(config);
    let head = Linear::new(2 * hidden, symbols);
    let mut params = lstm.parameters();
    params.extend(head.parameters());
    let mut optimizer = Adam::new(params, 1e-2);
    let mut losses = Vec::new();
    let sample = |seed: u64| -> (Tensor, Tensor) {
        let order = ferrograd::data::permutation(batch * steps * symbols, seed);
        let tokens: Vec<i64> = order
            .iter()
            .take(batch * steps)
            .map(|&v| (v % symbols) as i64)
            .collect();
        let reversed: Vec<i64> = tokens
            .chunks(steps)
            .flat_map(|s| s.iter().rev().copied().collect::<Vec<_>>())
            .collect();
        let ids = Tensor::from_vec_i64(tokens, &[batch, steps]);
        let input = Tensor::one_hot(&ids, symbols).to_dtype(DType::F32);
        (input, Tensor::from_vec_i64(reversed, &[batch * steps]))
    };
    for step in 0..400 {
        let (x, y) = sample(step);
        let (out, _) = lstm.forward(&Var::new(x), None);
        let logits = head.forward(&out).reshape(&[batch * steps, symbols]);
        let loss = cross_entropy(&logits, &y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
    }
    let (x, y) = sample(10_000);
    let (out, _) = no_grad(|| lstm.forward(&Var::new(x), None));
    let logits = head.forward(&out).reshape(&[batch * steps, symbols]);
    (metrics::accuracy(&logits.value(), &y), losses)
}

#[test]
fn tiny_lstm_learns_to_reverse_deterministically() {
    let (accuracy, losses) = train_reverse_lstm();
    let early: f64 = losses[..10].iter().sum::<f64>() / 10.0;
    let late: f64 = losses[losses.len() - 10..].iter().sum::<f64>() / 10.0;
    println!("reverse: loss {early:.3} -> {late:.3}, accuracy {accuracy:.3}");
    assert!(late < 0.5 * early, "loss fell only from {early} to {late}");
    assert!(accuracy >= 0.9, "reverse accuracy {accuracy}");
    let (again, losses_again) = train_reverse_lstm();
    assert_eq!(
        (accuracy, &losses),
        (again, &losses_again),
        "two seeded runs differ"
    );
}
