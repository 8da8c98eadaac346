//! MultiheadAttention, the sinusoidal positional encoding and RoPE against PyTorch 2
//! (float32, CPU), on the fixtures written by `tests/fixtures/fixtures_attention.py`:
//! same weights (loaded with `load_state_dict`), same inputs and masks; compare every
//! output (attention weights included) and the gradients of `Σ (output · w).sum()`
//! with respect to every input and every parameter.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-5 · max(1, max |PyTorch|)   (f32 on both sides)
//! largest deviation seen: 2.5e-7 (mha_self, mha_kdim_vdim); the run prints it (`-- --nocapture`)
//! ```
//! PyTorch's `is_causal` is only a hint next to an explicit `attn_mask`; the fixture
//! passes the causal bool mask (`true` = not allowed), and ferrograd must agree both
//! given that same bool mask and given `is_causal: true` and no mask. Bool masks are
//! loaded as bool tensors; `scaled_dot_product_attention` reads its bool mask the
//! other way round (`true` = may attend), as PyTorch's does.

mod pytorch_fixture;

use ferrograd::autograd::Var;
use ferrograd::nn::Module;
use ferrograd::nn::layers::attention::multihead::{MhaConfig, MhaOptions, MultiheadAttention};
use ferrograd::nn::layers::positional::{SinusoidalPositionalEncoding, apply_rotary};
use ferrograd::nn::scaled_dot_product_attention;
use ferrograd::tensor::DType;
use pytorch_fixture::{Inputs, check, deviation, fixture, outputs, under};

const E: usize = 8;
const H: usize = 2;

/// Query, key (= query if absent) and value (= key if absent), as the fixture script.
fn mha_run(
    m: &MultiheadAttention,
    x: &Inputs,
    options: MhaOptions,
) -> std::collections::BTreeMap<String, Var> {
    let q = &x.vars["query"];
    let k = x.vars.get("key").unwrap_or(q);
    let v = x.vars.get("value").unwrap_or(k);
    let (output, weights) = m.forward(q, k, v, &options);
    outputs([
        ("output", output),
        ("weights", weights.expect("need_weights")),
    ])
}

#[test]
fn self_attention_matches_pytorch() {
    check(
        "attention_mha_self",
        &MultiheadAttention::new(E, H),
        |m, x| mha_run(m, x, MhaOptions::default()),
    );
}

#[test]
fn key_padding_and_causal_masks_match_pytorch() {
    check(
        "attention_mha_masks",
        &MultiheadAttention::new(E, H),
        |m, x| {
            let options = MhaOptions {
                key_padding_mask: x.mask("key_padding_mask"),
                is_causal: true,
                ..Default::default()
            };
            mha_run(m, x, options)
        },
    );
}

#[test]
fn bool_masks_read_as_pytorchs_multihead_attention_reads_them() {
    check(
        "attention_mha_masks",
        &MultiheadAttention::new(E, H),
        |m, x| {
            let causal = x.mask("attn_mask").expect("the fixture's causal mask");
            assert_eq!(causal.dtype(), DType::Bool); // torch.bool in the file
            let options = MhaOptions {
                key_padding_mask: x.mask("key_padding_mask"),
                attn_mask: Some(causal),
                ..Default::default()
            };
            mha_run(m, x, options)
        },
    );
}

#[test]
fn scaled_dot_product_attention_reads_a_bool_mask_as_allowed() {
    check("attention_sdpa_bool_mask", &NoParams, |_, x| {
        let (q, k, v) = (&x.vars["q"], &x.vars["k"], &x.vars["v"]);
        let mask = x.mask("attn_mask");
        let (output, _) = scaled_dot_product_attention(q, k, v, mask, 0.0, false, false);
        outputs([("output", output)])
    });
}

#[test]
fn different_key_and_value_widths_with_per_head_weights_match_pytorch() {
    let mha = MultiheadAttention::with_config(MhaConfig::new(E, H).kdim(5).vdim(3));
    check("attention_mha_kdim_vdim", &mha, |m, x| {
        let options = MhaOptions {
            key_padding_mask: x.mask("key_padding_mask"),
            average_attn_weights: false,
            ..Default::default()
        };
        mha_run(m, x, options)
    });
}

#[test]
fn batch_first_without_bias_with_a_float_per_head_mask_matches_pytorch() {
    let mha = MultiheadAttention::with_config(MhaConfig::new(E, H).batch_first(true).bias(false));
    check("attention_mha_batch_first", &mha, |m, x| {
        let options = MhaOptions {
            attn_mask: x.mask("attn_mask"),
            average_attn_weights: false,
            ..Default::default()
        };
        mha_run(m, x, options)
    });
}

#[test]
fn sinusoidal_encoding_equals_the_pytorch_tutorials() {
    let pe = SinusoidalPositionalEncoding::new(6, 20).dropout(0.0);
    // our own table (not loaded) against the tutorial's buffer
    let theirs = fixture("attention_sinusoidal");
    let worst = deviation(
        "sinusoidal pe",
        &pe.pe.value(),
        &under(&theirs, "model.")["pe"],
    );
    println!("attention_sinusoidal pe: largest deviation {worst:e}");
    check("attention_sinusoidal", &pe, |m, x| {
        outputs([("output", ferrograd::nn::Forward::forward(m, &x.vars["x"]))])
    });
}

/// RoPE has no parameters: an empty module carries the (empty) state dict.
struct NoParams;
impl Module for NoParams {
    fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}
}

#[test]
fn rotary_embedding_equals_hugging_faces_rotate_half() {
    check("attention_rope", &NoParams, |_, x| {
        outputs([(
            "output",
            apply_rotary(&x.vars["x"], &x.consts["positions"], 10_000.0),
        )])
    });
}
