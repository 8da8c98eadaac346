//! Cases for the Transformer layers (tiny: d_model 4, 2 heads, feed-forward 6, dropout 0).

use ferrograd::nn::LayerNorm;
use ferrograd::nn::layers::transformer::decoder_layer::TransformerDecoderLayer;
use ferrograd::nn::layers::transformer::encoder::TransformerEncoder;
use ferrograd::nn::layers::transformer::encoder_layer::TransformerEncoderLayer;
use ferrograd::nn::layers::transformer::transformer::{Transformer, TransformerMasks};
use ferrograd::nn::layers::transformer::{
    Activation, DecoderMasks, EncoderMasks, TransformerLayerConfig,
};
use ferrograd::prelude::*;

use super::{LayerCase, input, layer_case};

fn config() -> TransformerLayerConfig {
    TransformerLayerConfig::new(4, 2)
        .dim_feedforward(6)
        .dropout(0.0)
}

/// Sequence 1's last position is padding (`[B = 2, T = 3]`, true = padding).
fn padding() -> Tensor {
    Tensor::from_vec_bool(vec![false, false, false, false, false, true], &[2, 3])
}

pub fn cases() -> Vec<LayerCase> {
    vec![
        layer_case(
            "TransformerEncoderLayer post-norm, key padding",
            TransformerEncoderLayer::new(config()),
            vec![input(&[3, 2, 4], 61)],
            |m, x| {
                let padding = padding();
                let masks = EncoderMasks {
                    src_key_padding_mask: Some(&padding),
                    ..Default::default()
                };
                m.forward_masked(&x[0], &masks)
            },
        ),
        layer_case(
            "TransformerEncoderLayer pre-norm, gelu, batch_first, causal",
            TransformerEncoderLayer::new(
                config()
                    .norm_first(true)
                    .batch_first(true)
                    .activation(Activation::Gelu),
            ),
            vec![input(&[2, 3, 4], 62)],
            |m, x| {
                m.forward_masked(
                    &x[0],
                    &EncoderMasks {
                        is_causal: true,
                        ..Default::default()
                    },
                )
            },
        ),
        layer_case(
            "TransformerDecoderLayer post-norm, causal, memory padding",
            TransformerDecoderLayer::new(config()),
            vec![input(&[2, 2, 4], 63), input(&[3, 2, 4], 64)],
            |m, x| {
                let padding = padding();
                let masks = DecoderMasks {
                    tgt_is_causal: true,
                    memory_key_padding_mask: Some(&padding),
                    ..Default::default()
                };
                m.forward(&x[0], &x[1], &masks)
            },
        ),
        layer_case(
            "TransformerDecoderLayer pre-norm, unbatched",
            TransformerDecoderLayer::new(config().norm_first(true)),
            vec![input(&[2, 4], 65), input(&[3, 4], 66)],
            |m, x| m.forward(&x[0], &x[1], &DecoderMasks::default()),
        ),
        layer_case(
            "TransformerEncoder 2 layers + final norm",
            TransformerEncoder::new(
                TransformerEncoderLayer::new(config()),
                2,
                Some(LayerNorm::new(&[4])),
            ),
            vec![input(&[3, 2, 4], 67)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Transformer 1 + 1 layers, causal target",
            Transformer::new(config(), 1, 1),
            vec![input(&[3, 2, 4], 68), input(&[2, 2, 4], 69)],
            |m, x| {
                m.forward(
                    &x[0],
                    &x[1],
                    &TransformerMasks {
                        tgt_is_causal: true,
                        ..Default::default()
                    },
                )
            },
        ),
    ]
}
