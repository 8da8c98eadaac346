//! Cases for the decoder-only language-model layers (tiny: C 8, 4 heads of D 2, 2
//! key/value heads where grouped, vocabulary 7, dropout 0).

use ferrograd::nn::layers::attention::causal_self_attention::{
    CausalAttentionConfig, CausalSelfAttention,
};
use ferrograd::nn::layers::decoder_only::gpt::{GPT, GPTBlock, GPTConfig};
use ferrograd::nn::layers::decoder_only::llama::{Llama, LlamaBlock, LlamaConfig};
use ferrograd::nn::layers::feed_forward::{Mlp, SwiGLU};
use ferrograd::prelude::*;

use super::{LayerCase, input, layer_case};

fn gpt_config() -> GPTConfig {
    GPTConfig::new(7, 4, 1, 4, 8).ffn_hidden(12)
}

fn llama_config() -> LlamaConfig {
    LlamaConfig::new(7, 4, 1, 4, 8)
        .num_key_value_heads(2)
        .intermediate_size(12)
}

/// Token ids `[B = 2, T = 3]`.
fn ids() -> Tensor {
    Tensor::from_vec_i64(vec![1, 4, 6, 0, 2, 4], &[2, 3])
}

pub fn cases() -> Vec<LayerCase> {
    vec![
        layer_case(
            "CausalSelfAttention GQA (4 heads, 2 kv heads), RoPE, biases",
            CausalSelfAttention::new(CausalAttentionConfig::new(8, 4).num_kv_heads(2).rope(10.0)),
            vec![input(&[2, 3, 8], 81)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "CausalSelfAttention MQA, no bias",
            CausalSelfAttention::new(CausalAttentionConfig::new(8, 2).num_kv_heads(1).bias(false)),
            vec![input(&[1, 4, 8], 82)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Mlp (GPT-2), biases",
            Mlp::new(4, 6, true),
            vec![input(&[2, 3, 4], 83)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "SwiGLU, biases",
            SwiGLU::new(4, 6, true),
            vec![input(&[2, 3, 4], 84)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "GPTBlock",
            GPTBlock::new(&gpt_config()),
            vec![input(&[2, 3, 8], 85)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "LlamaBlock",
            LlamaBlock::new(&llama_config()),
            vec![input(&[2, 3, 8], 86)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "GPT (tied output)",
            GPT::new(gpt_config()),
            vec![],
            |m, _| m.forward(&ids()),
        ),
        layer_case("Llama", Llama::new(llama_config()), vec![], |m, _| {
            m.forward(&ids())
        }),
    ]
}
