//! Cases for Linear, Sequential and the activation modules.

use ferrograd::nn::{GELU, Linear, ReLU, Sequential, SiLU, Tanh};
use ferrograd::prelude::*;

use super::{LayerCase, input, layer_case};

pub fn cases() -> Vec<LayerCase> {
    vec![
        layer_case(
            "Linear",
            Linear::new(4, 3),
            vec![input(&[2, 4], 1)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Linear 3-d input, no bias",
            Linear::with_bias(4, 3, false),
            vec![input(&[2, 5, 4], 2)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Sequential MLP",
            Sequential::new()
                .add(Linear::new(3, 5))
                .add(Tanh)
                .add(Linear::new(5, 4))
                .add(GELU::default())
                .add(Linear::new(4, 4))
                .add(SiLU)
                .add(Linear::new(4, 2))
                .add(ReLU),
            vec![input(&[3, 3], 3)],
            |m, x| m.forward(&x[0]),
        ),
    ]
}
