//! Cases for MultiheadAttention, the encoder–decoder attentions (Bahdanau, Luong) and
//! the positional encodings (RoPE, a function, is gradchecked in its own unit tests).

use ferrograd::nn::layers::attention::causal_mask;
use ferrograd::nn::layers::attention::multihead::{MhaConfig, MhaOptions, MultiheadAttention};
use ferrograd::nn::layers::positional::{LearnedPositionalEncoding, SinusoidalPositionalEncoding};
use ferrograd::nn::{AdditiveAttention, LuongAttention, ProjectedKeys};
use ferrograd::nn::{Linear, Sequential};
use ferrograd::prelude::*;

use super::{LayerCase, input, layer_case};

/// `[B = 3, S = 4]`: row 0 unpadded, row 1 pads its last 2 keys, row 2 all but one.
fn source_padding() -> Tensor {
    let rows = [
        [false; 4],
        [false, false, true, true],
        [false, true, true, true],
    ];
    Tensor::from_vec_bool(rows.concat(), &[3, 4])
}

/// One decoder step of an encoder–decoder attention on inputs (query, keys, values):
/// context and weights, flattened and joined.
fn source_attention(
    x: &[Var],
    precompute: impl Fn(&Var) -> ProjectedKeys,
    forward: impl Fn(&Var, &ProjectedKeys, &Var, Option<&Tensor>) -> (Var, Var),
) -> Var {
    let padding = source_padding();
    let (context, weights) = forward(&x[0], &precompute(&x[1]), &x[2], Some(&padding));
    Var::cat(&[context.flatten(0, -1), weights.flatten(0, -1)], 0)
}

/// (query [3, q], keys [3, 4, k], values [3, 4, 2]) with seeds from `salt`.
fn source_inputs(query_size: usize, key_size: usize, salt: u64) -> Vec<Tensor> {
    vec![
        input(&[3, query_size], salt),
        input(&[3, 4, key_size], salt + 1),
        input(&[3, 4, 2], salt + 2),
    ]
}

pub fn cases() -> Vec<LayerCase> {
    let luong = |name, attention, query_size, salt| {
        layer_case(
            name,
            attention,
            source_inputs(query_size, 5, salt),
            |m: &LuongAttention, x| {
                source_attention(
                    x,
                    |k| m.precompute_keys(k),
                    |q, k, v, p| m.forward(q, k, v, p),
                )
            },
        )
    };
    vec![
        layer_case(
            "AdditiveAttention (Bahdanau), key padding",
            AdditiveAttention::new(3, 5, 4),
            source_inputs(3, 5, 51),
            |m, x| {
                source_attention(
                    x,
                    |k| m.precompute_keys(k),
                    |q, k, v, p| m.forward(q, k, v, p),
                )
            },
        ),
        luong(
            "LuongAttention dot, key padding",
            LuongAttention::dot(5),
            5,
            54,
        ),
        luong(
            "LuongAttention general, key padding",
            LuongAttention::general(3, 5),
            3,
            57,
        ),
        luong(
            "LuongAttention concat, key padding",
            LuongAttention::concat(3, 5, 4),
            3,
            60,
        ),
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
