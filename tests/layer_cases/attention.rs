//! Cases for MultiheadAttention and the positional encodings (RoPE, a function, is
//! gradchecked in its own unit tests).

use ferrograd::nn::layers::attention::causal_mask;
use ferrograd::nn::layers::attention::multihead::{MhaConfig, MhaOptions, MultiheadAttention};
use ferrograd::nn::layers::positional::{LearnedPositionalEncoding, SinusoidalPositionalEncoding};
use ferrograd::nn::{Linear, Sequential};
use ferrograd::prelude::*;

use super::{LayerCase, input, layer_case};

pub fn cases() -> Vec<LayerCase> {
    vec![
        layer_case(
            "MultiheadAttention self-attention, key padding + causal, output and weights",
            MultiheadAttention::new(4, 2),
            vec![input(&[3, 2, 4], 41)],
            |m, x| {
                // sequence 1's last key is padding (true = ignore)
                let padding =
                    Tensor::from_vec_bool(vec![false, false, false, false, false, true], &[2, 3]);
                let options = MhaOptions {
                    key_padding_mask: Some(&padding),
                    is_causal: true,
                    average_attn_weights: false,
                    ..Default::default()
                };
                let (out, w) = m.forward(&x[0], &x[0], &x[0], &options);
                Var::cat(
                    &[out.flatten(0, -1), w.expect("need_weights").flatten(0, -1)],
                    0,
                )
            },
        ),
        layer_case(
            "MultiheadAttention cross-attention, kdim/vdim, batch_first, float mask",
            MultiheadAttention::with_config(MhaConfig::new(4, 2).kdim(3).vdim(5).batch_first(true)),
            vec![
                input(&[2, 2, 4], 42),
                input(&[2, 3, 3], 43),
                input(&[2, 3, 5], 44),
            ],
            |m, x| {
                let mask = input(&[2, 3], 45).to_dtype(x[0].dtype()); // float: added
                let options = MhaOptions {
                    attn_mask: Some(&mask),
                    need_weights: false,
                    ..Default::default()
                };
                m.forward(&x[0], &x[1], &x[2], &options).0
            },
        ),
        layer_case(
            "MultiheadAttention unbatched, no bias, causal attn_mask",
            MultiheadAttention::with_config(MhaConfig::new(4, 1).bias(false)),
            vec![input(&[3, 4], 46)],
            |m, x| {
                let options = MhaOptions {
                    attn_mask: Some(&causal_mask(3)),
                    ..Default::default()
                };
                m.forward(&x[0], &x[0], &x[0], &options).0
            },
        ),
        layer_case(
            // (a Linear after it: the encoding alone has no parameter to check)
            "SinusoidalPositionalEncoding (dropout 0) then Linear",
            Sequential::new()
                .add(SinusoidalPositionalEncoding::new(4, 8).dropout(0.0))
                .add(Linear::new(4, 2)),
            vec![input(&[3, 2, 4], 47)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "LearnedPositionalEncoding batch_first",
            LearnedPositionalEncoding::new(4, 6).batch_first(true),
            vec![input(&[2, 3, 4], 48)],
            |m, x| m.forward(&x[0]).tanh(),
        ),
    ]
}
