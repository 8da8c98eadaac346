//! The decoder-only language-model layers against PyTorch 2 (float32, CPU), on the
//! fixtures written by `tests/fixtures/fixtures_lm.py` (nanoGPT's and Hugging Face
//! LLaMA's modules, with the same parameter names): same weights (loaded with
//! `load_state_dict`, strict) and inputs; compare the output and the gradients of
//! `(output · w).sum()` with respect to the input and every parameter.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-5 · max(1, max |PyTorch|)   (f32 on both sides)
//! largest deviation seen: 1.5e-6 (the 2-layer LLaMA); the run prints it (`-- --nocapture`)
//! ```
//! The models take token ids (`const.ids`), so only parameter gradients are compared
//! there; their KV-cached forward, one token at a time, must give PyTorch's logits too.
//! Run with `-- --nocapture` to see each case's largest deviation.

mod pytorch_fixture;

use ferrograd::nn::layers::attention::causal_self_attention::{
    CausalAttentionConfig, CausalSelfAttention,
};
use ferrograd::nn::layers::decoder_only::gpt::{GPT, GPTBlock, GPTConfig};
use ferrograd::nn::layers::decoder_only::llama::{Llama, LlamaBlock, LlamaConfig};
use ferrograd::nn::layers::feed_forward::{Mlp, SwiGLU};
use ferrograd::nn::{Forward, Module};
use ferrograd::prelude::*;
use pytorch_fixture::{check, deviation, fixture, outputs, under};

/// Runs a single-input layer on `input.x`.
fn run_layer<M: Forward>(file: &str, module: &M) {
    check(file, module, |m, x| {
        outputs([("output", m.forward(&x.vars["x"]))])
    });
}

#[test]
fn causal_attention_with_biases_matches_pytorch() {
    run_layer(
        "lm_attention_mha_bias",
        &CausalSelfAttention::new(CausalAttentionConfig::new(8, 2)),
    );
}

#[test]
fn grouped_query_attention_with_rope_matches_hugging_face_llama() {
    let config = CausalAttentionConfig::new(16, 4)
        .num_kv_heads(2)
        .rope(10_000.0)
        .bias(false);
    run_layer("lm_attention_gqa_rope", &CausalSelfAttention::new(config));
}

#[test]
fn multi_query_attention_with_rope_and_biases_matches_pytorch() {
    let config = CausalAttentionConfig::new(16, 4)
        .num_kv_heads(1)
        .rope(100.0);
    run_layer(
        "lm_attention_mqa_rope_bias",
        &CausalSelfAttention::new(config),
    );
}

#[test]
fn gpt2_mlp_matches_nanogpt() {
    run_layer("lm_mlp", &Mlp::new(8, 32, true));
}

#[test]
fn swiglu_matches_hugging_face_llama_mlp() {
    run_layer("lm_swiglu", &SwiGLU::new(8, 24, false));
}

#[test]
fn gpt_block_matches_nanogpt() {
    // the block of a config with n_embd 16, 4 heads, biases, MLP 4C
    let config = GPTConfig::new(11, 8, 1, 4, 16);
    run_layer("lm_gpt_block", &GPTBlock::new(&config));
}

#[test]
fn llama_block_matches_hugging_face_llama_decoder_layer() {
    let config = LlamaConfig::new(11, 8, 1, 4, 16)
        .num_key_value_heads(2)
        .intermediate_size(40);
    run_layer("lm_llama_block", &LlamaBlock::new(&config));
}

/// The fixture's logits, one cached step at a time, equal PyTorch's full-sequence ones.
fn cached_steps_match(file: &str, mut step: impl FnMut(&Tensor) -> Tensor) {
    let data = fixture(file);
    let ids = &data["const.ids"];
    let expected = &data["output.logits"];
    let t = ids.shape()[1];
    for i in 0..t {
        let logits = no_grad(|| step(&ids.narrow(1, i, 1).contiguous()));
        deviation(
            &format!("{file} cached step {i}"),
            &logits,
            &expected.narrow(1, i, 1).contiguous(),
        );
    }
}

#[test]
fn gpt_matches_nanogpt_with_the_output_tied_to_wte() {
    let model = GPT::new(GPTConfig::new(11, 8, 2, 2, 16).bias(false));
    check("lm_gpt", &model, |m, x| {
        outputs([("logits", m.forward(&x.consts["ids"]))])
    });
    // PyTorch's state dict has both names of the tied table; parameters() lists it once
    let names: Vec<String> = model.state_dict().keys().cloned().collect();
    assert!(
        names.contains(&"lm_head.weight".to_string()) && names.contains(&"wte.weight".to_string())
    );
    assert!(
        !model
            .named_parameters()
            .iter()
            .any(|(n, _)| n == "lm_head.weight")
    );
    let mut cache = model.new_cache();
    cached_steps_match("lm_gpt", |ids| {
        model.forward_cached(ids, &mut cache).value()
    });
}

#[test]
fn llama_matches_hugging_face_llama_for_causal_lm() {
    let config = LlamaConfig::new(11, 8, 2, 4, 16)
        .num_key_value_heads(2)
        .intermediate_size(32);
    let model = Llama::new(config);
    check("lm_llama", &model, |m, x| {
        outputs([("logits", m.forward(&x.consts["ids"]))])
    });
    let mut cache = model.new_cache();
    cached_steps_match("lm_llama", |ids| {
        model.forward_cached(ids, &mut cache).value()
    });
    let state = under(&fixture("lm_llama"), "model.");
    assert_eq!(state.len(), model.state_dict().len());
}
