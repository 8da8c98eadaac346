//! AdditiveAttention (Bahdanau) and LuongAttention (dot, general, concat) against the
//! plain-PyTorch modules of `tests/fixtures/fixtures_seq2seq_attention.py` (float32,
//! CPU): same weights (loaded with `load_state_dict`), same query, keys, values and
//! bool key-padding mask (row 1 pads its last 2 positions, row 2 all but its first);
//! compare the context and the weights, and the gradients of
//! `Σ (output · w).sum()` with respect to query, keys, values and every parameter.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-5 · max(1, max |PyTorch|)   (f32 on both sides)
//! largest deviation seen: 2.2e-7 (luong_general); the run prints it (`-- --nocapture`)
//! ```
//! Also checks that
//! padded positions get exactly zero weight, as PyTorch's −∞ fill gives.

mod pytorch_fixture;

use std::collections::BTreeMap;

use ferrograd::autograd::Var;
use ferrograd::nn::{AdditiveAttention, LuongAttention, ProjectedKeys};
use pytorch_fixture::{Inputs, check, outputs};

// The sizes of fixtures_seq2seq_attention.py: query 4, keys 6, attention 7.
const HQ: usize = 4;
const HK: usize = 6;
const A: usize = 7;

/// Run one decoder step as the fixture script does (values = keys when the fixture
/// has no values), and check that every padded position has weight 0.
fn step(
    x: &Inputs,
    precompute: impl Fn(&Var) -> ProjectedKeys,
    forward: impl Fn(&Var, &ProjectedKeys, &Var) -> (Var, Var),
) -> BTreeMap<String, Var> {
    let keys = &x.vars["keys"];
    let values = x.vars.get("values").unwrap_or(keys);
    let (context, weights) = forward(&x.vars["query"], &precompute(keys), values);
    let padding = x.mask("key_padding_mask").expect("the fixture's mask");
    let padded: Vec<bool> = padding.to_vec();
    let w: Vec<f64> = weights.value().to_vec();
    assert!(padded.iter().any(|&p| p));
    for (p, w) in padded.iter().zip(&w) {
        assert!(!p || *w == 0.0, "padding with weight {w}");
    }
    outputs([("context", context), ("weights", weights)])
}

fn additive_run(m: &AdditiveAttention, x: &Inputs) -> BTreeMap<String, Var> {
    let mask = x.mask("key_padding_mask");
    step(
        x,
        |k| m.precompute_keys(k),
        |q, k, v| m.forward(q, k, v, mask),
    )
}

fn luong_run(m: &LuongAttention, x: &Inputs) -> BTreeMap<String, Var> {
    let mask = x.mask("key_padding_mask");
    step(
        x,
        |k| m.precompute_keys(k),
        |q, k, v| m.forward(q, k, v, mask),
    )
}

#[test]
fn additive_attention_matches_pytorch() {
    let attention = AdditiveAttention::new(HQ, HK, A);
    check("seq2seq_attention_additive", &attention, additive_run);
}

#[test]
fn additive_attention_with_the_keys_as_values_matches_pytorch() {
    // the encoder outputs feed both the keys and the values: their gradient is the sum
    let attention = AdditiveAttention::new(HQ, HK, A);
    check(
        "seq2seq_attention_additive_keys_as_values",
        &attention,
        additive_run,
    );
}

#[test]
fn luong_dot_attention_matches_pytorch() {
    check(
        "seq2seq_attention_luong_dot",
        &LuongAttention::dot(HK),
        luong_run,
    );
}

#[test]
fn luong_general_attention_matches_pytorch() {
    check(
        "seq2seq_attention_luong_general",
        &LuongAttention::general(HQ, HK),
        luong_run,
    );
}

#[test]
fn luong_concat_attention_matches_pytorch() {
    check(
        "seq2seq_attention_luong_concat",
        &LuongAttention::concat(HQ, HK, A),
        luong_run,
    );
}
