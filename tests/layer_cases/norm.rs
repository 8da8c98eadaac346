//! Cases for the normalisation layers (LayerNorm, BatchNorm1d/2d in training and in
//! evaluation mode, GroupNorm, RMSNorm), Embedding and Dropout.
//!
//! Embedding has no float input: its ids are fixed in the closure and only the table
//! is checked (no padding id: the padding row's zero gradient is a rule, not a
//! derivative). Dropout is checked, after a Linear, where it is deterministic (p = 0
//! while training, p = 0.5 in eval mode).

use ferrograd::nn::{
    BatchNorm1d, BatchNorm2d, Dropout, Embedding, GroupNorm, LayerNorm, Linear, RMSNorm, Sequential,
};
use ferrograd::prelude::*;

use super::{LayerCase, input, layer_case};

/// Non-trivial values for an optional per-channel parameter or buffer.
fn set(v: &Option<Var>, values: Vec<f32>) {
    let n = values.len();
    v.as_ref()
        .expect("present")
        .set_value(Tensor::from_vec(values, &[n]));
}

fn embedding_cases() -> Vec<LayerCase> {
    let ids = Tensor::from_vec_i64(vec![1, 4, 1, 0, 2, 4], &[2, 3]);
    let sparse_ids = ids.clone();
    vec![
        layer_case("Embedding", Embedding::new(5, 3), vec![], move |m, _| {
            m.forward(&ids)
        }),
        layer_case(
            "Embedding sparse",
            Embedding::new(5, 3).sparse(true),
            vec![],
            move |m, _| m.forward(&sparse_ids),
        ),
        // Dropout has no parameters: follow a Linear, so that something is trained
        layer_case(
            "Linear → Dropout p = 0, training",
            Sequential::new()
                .add(Linear::new(3, 2))
                .add(Dropout::new(0.0)),
            vec![input(&[2, 3], 20)],
            |m, x| m.forward(&x[0]),
        ),
        {
            let mut model = Sequential::new()
                .add(Linear::new(3, 2))
                .add(Dropout::new(0.5));
            model.eval();
            layer_case(
                "Linear → Dropout p = 0.5, eval",
                model,
                vec![input(&[2, 3], 21)],
                |m, x| m.forward(&x[0]),
            )
        },
    ]
}

fn batch_norm_cases() -> Vec<LayerCase> {
    let bn1 = |training: bool| {
        let mut bn = BatchNorm1d::new(3);
        set(&bn.weight, vec![0.5, -1.0, 2.0]);
        set(&bn.bias, vec![0.1, 0.2, 0.3]);
        set(&bn.running_mean, vec![0.2, -0.1, 0.0]);
        set(&bn.running_var, vec![0.5, 2.0, 1.5]);
        bn.set_training(training);
        bn
    };
    let mut bn2_eval = BatchNorm2d::new(2);
    set(&bn2_eval.running_mean, vec![0.3, -0.2]);
    set(&bn2_eval.running_var, vec![0.8, 1.7]);
    bn2_eval.eval();
    vec![
        layer_case(
            "BatchNorm1d [B, C], training",
            bn1(true),
            vec![input(&[4, 3], 22)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "BatchNorm1d [B, C, L], training",
            bn1(true),
            vec![input(&[2, 3, 4], 23)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "BatchNorm1d [B, C, L], eval",
            bn1(false),
            vec![input(&[2, 3, 4], 24)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "BatchNorm2d, training, momentum None",
            BatchNorm2d::new(2).momentum(None),
            vec![input(&[2, 2, 3, 2], 25)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "BatchNorm2d, eval",
            bn2_eval,
            vec![input(&[2, 2, 3, 2], 26)],
            |m, x| m.forward(&x[0]),
        ),
    ]
}

pub fn cases() -> Vec<LayerCase> {
    let layer_norm = LayerNorm::new(&[4]);
    set(&layer_norm.weight, vec![0.5, -1.0, 2.0, 1.5]);
    set(&layer_norm.bias, vec![0.1, 0.2, 0.3, -0.4]);
    let group_norm = GroupNorm::new(2, 4);
    set(&group_norm.weight, vec![0.5, -1.0, 2.0, 1.5]);
    let rms_norm = RMSNorm::new(&[4]).eps(Some(1e-6));
    set(&rms_norm.weight, vec![0.5, -1.0, 2.0, 1.5]);
    let mut cases = vec![
        layer_case(
            "LayerNorm [C]",
            layer_norm,
            vec![input(&[2, 3, 4], 27)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "LayerNorm [T, C], no bias",
            LayerNorm::new(&[3, 2]).bias(false),
            vec![input(&[2, 3, 2], 28)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "GroupNorm 2 groups of 2",
            group_norm,
            vec![input(&[2, 4, 3], 29)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "RMSNorm [C]",
            rms_norm,
            vec![input(&[2, 3, 4], 30)],
            |m, x| m.forward(&x[0]),
        ),
    ];
    cases.extend(batch_norm_cases());
    cases.extend(embedding_cases());
    cases
}
