//! TransformerEncoderLayer, TransformerDecoderLayer and Transformer against PyTorch 2
//! (float32, CPU), on the fixtures written by `tests/fixtures/fixtures_transformer.py`
//! (training mode, dropout 0, MHA fast path off): same weights (loaded with
//! `load_state_dict`), inputs and masks; compare the output and the gradients of
//! `(output · w).sum()` with respect to every input and every parameter.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-5 · max(1, max |PyTorch|)   (f32 on both sides)
//! largest deviation seen: 9.3e-7 (full 2 + 2 layer Transformer); the run prints it (`-- --nocapture`)
//! ```

mod pytorch_fixture;

use ferrograd::nn::Module;
use ferrograd::nn::layers::transformer::decoder_layer::TransformerDecoderLayer;
use ferrograd::nn::layers::transformer::encoder_layer::TransformerEncoderLayer;
use ferrograd::nn::layers::transformer::transformer::{Transformer, TransformerMasks};
use ferrograd::nn::layers::transformer::{
    Activation, DecoderMasks, EncoderMasks, TransformerLayerConfig,
};
use pytorch_fixture::{check, outputs};

/// The sizes of fixtures_transformer.py: d_model 8, 2 heads, feed-forward 16, dropout 0.
fn config() -> TransformerLayerConfig {
    TransformerLayerConfig::new(8, 2)
        .dim_feedforward(16)
        .dropout(0.0)
}

#[test]
fn post_norm_encoder_layer_with_key_padding_matches_pytorch() {
    check(
        "transformer_encoder_layer_post",
        &TransformerEncoderLayer::new(config()),
        |m, x| {
            let masks = EncoderMasks {
                src_key_padding_mask: x.mask("src_key_padding_mask"),
                ..Default::default()
            };
            outputs([("output", m.forward_masked(&x.vars["src"], &masks))])
        },
    );
}

#[test]
fn pre_norm_gelu_batch_first_encoder_layer_with_float_mask_matches_pytorch() {
    let config = config()
        .norm_first(true)
        .batch_first(true)
        .activation(Activation::Gelu)
        .layer_norm_eps(1e-6);
    check(
        "transformer_encoder_layer_pre",
        &TransformerEncoderLayer::new(config),
        |m, x| {
            let masks = EncoderMasks {
                src_mask: x.mask("src_mask"),
                ..Default::default()
            };
            outputs([("output", m.forward_masked(&x.vars["src"], &masks))])
        },
    );
}

#[test]
fn post_norm_decoder_layer_causal_with_memory_padding_matches_pytorch() {
    // PyTorch got the causal bool mask as tgt_mask; here the flag builds it
    check(
        "transformer_decoder_layer_post",
        &TransformerDecoderLayer::new(config()),
        |m, x| {
            let masks = DecoderMasks {
                tgt_is_causal: true,
                memory_key_padding_mask: x.mask("memory_key_padding_mask"),
                ..Default::default()
            };
            outputs([(
                "output",
                m.forward(&x.vars["tgt"], &x.vars["memory"], &masks),
            )])
        },
    );
}

#[test]
fn pre_norm_batch_first_decoder_layer_without_bias_with_every_mask_matches_pytorch() {
    let config = config().norm_first(true).batch_first(true).bias(false);
    check(
        "transformer_decoder_layer_pre",
        &TransformerDecoderLayer::new(config),
        |m, x| {
            let masks = DecoderMasks {
                tgt_mask: x.mask("tgt_mask"),
                memory_mask: x.mask("memory_mask"),
                tgt_key_padding_mask: x.mask("tgt_key_padding_mask"),
                ..Default::default()
            };
            outputs([(
                "output",
                m.forward(&x.vars["tgt"], &x.vars["memory"], &masks),
            )])
        },
    );
}

#[test]
fn two_plus_two_layer_transformer_matches_pytorch() {
    let model = Transformer::new(config(), 2, 2);
    check("transformer_full", &model, |m, x| {
        let masks = TransformerMasks {
            tgt_mask: x.mask("tgt_mask"),
            src_key_padding_mask: x.mask("src_key_padding_mask"),
            tgt_key_padding_mask: x.mask("tgt_key_padding_mask"),
            memory_key_padding_mask: x.mask("memory_key_padding_mask"),
            ..Default::default()
        };
        outputs([("output", m.forward(&x.vars["src"], &x.vars["tgt"], &masks))])
    });
    assert_eq!(
        model.named_parameters().last().unwrap().0,
        "decoder.norm.bias"
    );
}

#[test]
fn default_sizes_have_pytorchs_parameter_count() {
    // sum(p.numel() for p in torch.nn.Transformer().parameters()) = 44,140,544
    let model = Transformer::new(TransformerLayerConfig::new(512, 8), 6, 6);
    assert_eq!(model.num_parameters(), 44_140_544);
}
