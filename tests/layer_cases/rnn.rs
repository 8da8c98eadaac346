//! Cases for RNN, LSTM, GRU and their cells: tiny sizes (input 3, hidden 2, T 3,
//! B 2), no dropout. Each forward returns the output and the final states flattened
//! into one vector, so the gradcheck covers the paths into `h_n` and `c_n` too.

use ferrograd::nn::{GRU, GRUCell, LSTM, LSTMCell, Nonlinearity, RNN, RNNCell, RnnConfig};
use ferrograd::prelude::*;

use super::{LayerCase, input, layer_case};

/// Everything a recurrent layer returns, flattened and joined.
fn joined(parts: &[&Var]) -> Var {
    let flat: Vec<Var> = parts.iter().map(|v| v.flatten(0, -1)).collect();
    Var::cat(&flat, 0)
}

pub fn cases() -> Vec<LayerCase> {
    let two_bi_first = RnnConfig::new(3, 2)
        .num_layers(2)
        .bidirectional(true)
        .batch_first(true);
    vec![
        layer_case(
            "LSTM 1-layer",
            LSTM::new(3, 2),
            vec![input(&[3, 2, 3], 201)],
            |m, x| {
                let (out, (h, c)) = m.forward(&x[0], None);
                joined(&[&out, &h, &c])
            },
        ),
        layer_case(
            "LSTM 2-layer bidirectional batch_first, initial state",
            LSTM::with_config(two_bi_first.clone()),
            vec![
                input(&[2, 3, 3], 202),
                input(&[4, 2, 2], 203),
                input(&[4, 2, 2], 204),
            ],
            |m, x| {
                let (out, (h, c)) = m.forward(&x[0], Some((&x[1], &x[2])));
                joined(&[&out, &h, &c])
            },
        ),
        layer_case(
            "LSTM unbatched, no bias",
            LSTM::with_config(RnnConfig::new(3, 2).bias(false)),
            vec![input(&[3, 3], 205)],
            |m, x| {
                let (out, (h, c)) = m.forward(&x[0], None);
                joined(&[&out, &h, &c])
            },
        ),
        layer_case(
            "RNN tanh 2-layer bidirectional batch_first, initial state",
            RNN::with_config(two_bi_first.clone()),
            vec![input(&[2, 3, 3], 214), input(&[4, 2, 2], 215)],
            |m, x| {
                let (out, h) = m.forward(&x[0], Some(&x[1]));
                joined(&[&out, &h])
            },
        ),
        layer_case(
            // relu's kink at 0 is a point of measure zero; these inputs stay away from it
            "RNN relu 2-layer, no bias",
            RNN::with_config(RnnConfig::new(3, 2).num_layers(2).bias(false))
                .nonlinearity(Nonlinearity::ReLU),
            vec![input(&[3, 2, 3], 216)],
            |m, x| {
                let (out, h) = m.forward(&x[0], None);
                joined(&[&out, &h])
            },
        ),
        layer_case(
            "GRU 2-layer bidirectional batch_first",
            GRU::with_config(two_bi_first),
            vec![input(&[2, 3, 3], 206)],
            |m, x| {
                let (out, h) = m.forward(&x[0], None);
                joined(&[&out, &h])
            },
        ),
        layer_case(
            "GRU initial state",
            GRU::new(3, 2),
            vec![input(&[3, 2, 3], 207), input(&[1, 2, 2], 208)],
            |m, x| {
                let (out, h) = m.forward(&x[0], Some(&x[1]));
                joined(&[&out, &h])
            },
        ),
        layer_case(
            "LSTMCell",
            LSTMCell::new(3, 2),
            vec![
                input(&[2, 3], 209),
                input(&[2, 2], 210),
                input(&[2, 2], 211),
            ],
            |m, x| {
                let (h, c) = m.forward(&x[0], Some((&x[1], &x[2])));
                joined(&[&h, &c])
            },
        ),
        layer_case(
            "RNNCell tanh",
            RNNCell::new(3, 2),
            vec![input(&[2, 3], 217), input(&[2, 2], 218)],
            |m, x| m.forward(&x[0], Some(&x[1])),
        ),
        layer_case(
            "RNNCell relu, unbatched",
            RNNCell::new(3, 2).nonlinearity(Nonlinearity::ReLU),
            vec![input(&[3], 219), input(&[2], 220)],
            |m, x| m.forward(&x[0], Some(&x[1])),
        ),
        layer_case(
            "GRUCell",
            GRUCell::new(3, 2),
            vec![input(&[2, 3], 212), input(&[2, 2], 213)],
            |m, x| m.forward(&x[0], Some(&x[1])),
        ),
    ]
}
