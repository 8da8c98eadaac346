//! Shared by `pytorch_attention.rs` and `pytorch_transformer.rs`: load a fixture
//! written by `tests/fixtures/fixtures_{attention,transformer}.py`, run the ferrograd
//! module on the same weights and inputs, backpropagate `Σ (output · w).sum()`, and
//! compare outputs and every gradient.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ TOLERANCE · max(1, max |PyTorch|)   (f32 on both sides)
//! ```
//! Fixture keys: `model.*` (state dict), `input.*` (differentiated), `mask.*` (bool or
//! float masks, as PyTorch took them), `const.*`, `output.*`, `w.*`, `grad.input.*`,
//! `grad.model.*`, `num_parameters`.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::BTreeMap;

use ferrograd::autograd::Var;
use ferrograd::nn::Module;
use ferrograd::nn::checkpoint::{StateDict, load_file};
use ferrograd::tensor::Tensor;

/// The relative tolerance of every comparison.
pub const TOLERANCE: f64 = 1e-5;

/// The tensors of `tests/fixtures/<file>.safetensors`.
pub fn fixture(file: &str) -> StateDict {
    let path = format!(
        "{}/tests/fixtures/{file}.safetensors",
        env!("CARGO_MANIFEST_DIR")
    );
    load_file(&path)
        .unwrap_or_else(|e| panic!("{e}; regenerate with tests/fixtures/make_fixtures.py"))
}

/// The tensors under `prefix`, with the prefix stripped.
pub fn under(data: &StateDict, prefix: &str) -> StateDict {
    data.iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())))
        .collect()
}

/// Largest `|a − b| / max(1, max |b|)`; panics (naming `what`) above the tolerance.
pub fn deviation(what: &str, ours: &Tensor, theirs: &Tensor) -> f64 {
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

/// What a case's run function receives.
pub struct Inputs {
    /// `input.*` as parameters (so they receive gradients).
    pub vars: BTreeMap<String, Var>,
    /// `mask.*`: bool masks (PyTorch's `torch.bool`) and float masks.
    pub masks: StateDict,
    /// `const.*`.
    pub consts: StateDict,
}

impl Inputs {
    /// The mask called `name`, if the fixture has one.
    pub fn mask(&self, name: &str) -> Option<&Tensor> {
        self.masks.get(name)
    }
}

/// Load fixture `file` into `module`, run it, backpropagate the weighted sum, compare
/// everything; prints and returns the largest deviation.
pub fn check<M: Module>(
    file: &str,
    module: &M,
    run: impl Fn(&M, &Inputs) -> BTreeMap<String, Var>,
) -> f64 {
    let data = fixture(file);
    module
        .load_state_dict(&under(&data, "model."), true)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let pytorch_count = data["num_parameters"].to_vec::<f64>()[0];
    assert_eq!(
        module.num_parameters() as f64,
        pytorch_count,
        "{file}: num_parameters"
    );

    let masks = under(&data, "mask.");
    let inputs = Inputs {
        vars: under(&data, "input.")
            .into_iter()
            .map(|(k, t)| (k, Var::param(t)))
            .collect(),
        masks,
        consts: under(&data, "const."),
    };
    let outputs = run(module, &inputs);
    let weights = under(&data, "w.");
    assert_eq!(
        outputs.keys().collect::<Vec<_>>(),
        weights.keys().collect::<Vec<_>>(),
        "{file}: outputs"
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
            &format!("{file} output.{k}"),
            &outputs[&k].value(),
            &expected,
        ));
    }
    for (k, expected) in under(&data, "grad.input.") {
        let grad = inputs.vars[&k]
            .grad()
            .unwrap_or_else(|| panic!("{file}: no grad for {k}"));
        worst = worst.max(deviation(
            &format!("{file} grad.input.{k}"),
            &grad,
            &expected,
        ));
    }
    let grads = under(&data, "grad.model.");
    assert_eq!(
        grads.len(),
        module.parameters().len(),
        "{file}: parameter count"
    );
    for (k, p) in module.named_parameters() {
        let grad = p
            .grad()
            .unwrap_or_else(|| panic!("{file}: no grad for {k}"));
        worst = worst.max(deviation(
            &format!("{file} grad.model.{k}"),
            &grad,
            &grads[&k],
        ));
    }
    println!("{file}: largest deviation {worst:e}");
    worst
}

/// An output map from `(name, Var)` pairs.
pub fn outputs<const N: usize>(pairs: [(&str, Var); N]) -> BTreeMap<String, Var> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
