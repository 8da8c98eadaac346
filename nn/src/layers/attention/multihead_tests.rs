//! Unit tests of `MultiheadAttention` (kept beside it to keep `multihead.rs` short).

use super::*;
use crate::layers::attention::causal_mask;
use tensor::DType;

fn names(m: &MultiheadAttention) -> Vec<String> {
    m.named_parameters().into_iter().map(|(n, _)| n).collect()
}

fn close(a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    let (a, b): (Vec<f64>, Vec<f64>) = (a.to_vec(), b.to_vec());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= tol, "{a:?}\nvs\n{b:?}");
    }
}

#[test]
fn parameters_have_pytorchs_names_shapes_and_init() {
    let m = MultiheadAttention::new(8, 2);
    assert_eq!(
        names(&m),
        [
            "in_proj_weight",
            "in_proj_bias",
            "out_proj.weight",
            "out_proj.bias"
        ]
    );
    assert_eq!(m.in_proj_weight.as_ref().unwrap().shape(), vec![24, 8]);
    // xavier_uniform on [24, 8]: bound √(6 / 32)
    let w: Vec<f32> = m.in_proj_weight.as_ref().unwrap().value().to_vec();
    assert!(w.iter().all(|v| v.abs() <= (6f32 / 32.0).sqrt()));
    for b in [
        m.in_proj_bias.as_ref().unwrap(),
        m.out_proj.bias.as_ref().unwrap(),
    ] {
        assert!(b.value().to_vec::<f32>().iter().all(|&v| v == 0.0));
    }
    let m = MultiheadAttention::with_config(MhaConfig::new(4, 2).kdim(3).vdim(5).bias(false));
    assert_eq!(
        names(&m),
        [
            "q_proj_weight",
            "k_proj_weight",
            "v_proj_weight",
            "out_proj.weight"
        ]
    );
    assert_eq!(m.k_proj_weight.as_ref().unwrap().shape(), vec![4, 3]);
    assert_eq!(m.num_parameters(), 16 + 12 + 20 + 16);
}

#[test]
fn layouts_give_the_same_numbers() {
    let seq = MultiheadAttention::new(4, 2);
    let bf = MultiheadAttention::with_config(MhaConfig::new(4, 2).batch_first(true));
    bf.load_state_dict(&seq.state_dict(), true).unwrap();
    let x = Tensor::randn(&[3, 2, 4]); // [T, B, E]
    let xs = Var::new(x.clone());
    let xb = Var::new(x.transpose(0, 1)); // [B, T, E]
    let (ys, ws) = seq.forward(&xs, &xs, &xs, &MhaOptions::default());
    let (yb, wb) = bf.forward(&xb, &xb, &xb, &MhaOptions::default());
    close(&ys.value(), &yb.value().transpose(0, 1), 1e-6);
    close(&ws.unwrap().value(), &wb.unwrap().value(), 1e-6);
    // unbatched: batch element 1 on its own
    let x1 = Var::new(x.select(1, 1));
    let (y1, w1) = seq.forward(&x1, &x1, &x1, &MhaOptions::default());
    close(&y1.value(), &ys.value().select(1, 1), 1e-6);
    assert_eq!(w1.unwrap().shape(), vec![3, 3]);
}

#[test]
fn packed_self_attention_equals_separate_projections() {
    let m = MultiheadAttention::new(4, 2);
    let x = Tensor::randn(&[3, 1, 4]);
    let a = Var::new(x.clone());
    let (b, c) = (Var::new(x.clone()), Var::new(x.clone())); // distinct Vars: no packing
    let (y1, _) = m.forward(&a, &a, &a, &MhaOptions::default());
    let (y2, _) = m.forward(&a, &b, &c, &MhaOptions::default());
    close(&y1.value(), &y2.value(), 1e-6);
}

#[test]
fn averaged_weights_are_the_mean_of_per_head_weights() {
    let m = MultiheadAttention::new(4, 2);
    let x = Var::new(Tensor::randn(&[3, 2, 4]));
    let per_head = MhaOptions {
        average_attn_weights: false,
        ..Default::default()
    };
    let (_, w_heads) = m.forward(&x, &x, &x, &per_head);
    let (_, w_mean) = m.forward(&x, &x, &x, &MhaOptions::default());
    let w_heads = w_heads.unwrap().value();
    assert_eq!(w_heads.shape(), [2, 2, 3, 3]);
    close(&w_heads.mean_dim(1, false), &w_mean.unwrap().value(), 1e-6);
    let none = MhaOptions {
        need_weights: false,
        ..Default::default()
    };
    assert!(m.forward(&x, &x, &x, &none).1.is_none());
}

#[test]
fn padded_keys_and_future_keys_get_zero_weight() {
    let m = MultiheadAttention::new(4, 2);
    let x = Var::new(Tensor::randn(&[3, 2, 4]).to_dtype(DType::F32));
    // sequence 1's last key is padding (true = ignore, PyTorch's reading)
    let padding = Tensor::from_vec_bool(vec![false, false, false, false, false, true], &[2, 3]);
    let options = MhaOptions {
        key_padding_mask: Some(&padding),
        is_causal: true,
        ..Default::default()
    };
    let (_, w) = m.forward(&x, &x, &x, &options);
    let w: Vec<f32> = w.unwrap().value().to_vec(); // [B, T_q, T_k]
    for (i, v) in w.iter().enumerate() {
        let (batch, query, key) = (i / 9, (i / 3) % 3, i % 3);
        let masked = key > query || (batch == 1 && key == 2);
        assert_eq!(*v == 0.0, masked, "weight {i} = {v}");
    }
    // is_causal equals passing the causal mask, as a float or a bool (true = masked)
    let causal = causal_mask(3);
    let causal_bool = causal.eq_scalar(f64::NEG_INFINITY);
    let with_bool = MhaOptions {
        attn_mask: Some(&causal_bool),
        ..Default::default()
    };
    let with_mask = MhaOptions {
        attn_mask: Some(&causal),
        ..Default::default()
    };
    let by_flag = MhaOptions {
        is_causal: true,
        ..Default::default()
    };
    let (a, _) = m.forward(&x, &x, &x, &with_mask);
    let (b, _) = m.forward(&x, &x, &x, &by_flag);
    let (c, _) = m.forward(&x, &x, &x, &with_bool);
    close(&a.value(), &b.value(), 0.0);
    close(&a.value(), &c.value(), 0.0);
}

#[test]
#[should_panic(
    expected = "MultiheadAttention(embed_dim=6, num_heads=4): embed_dim must be divisible by num_heads"
)]
fn heads_must_divide_the_width() {
    MultiheadAttention::new(6, 4);
}

#[test]
#[should_panic(
    expected = "MultiheadAttention(embed_dim=4, num_heads=2): query's last dim is 5, expected 4"
)]
fn the_query_width_is_checked() {
    let m = MultiheadAttention::new(4, 2);
    let q = Var::new(Tensor::zeros(&[3, 1, 5]));
    let k = Var::new(Tensor::zeros(&[3, 1, 4]));
    m.forward(&q, &k, &k, &MhaOptions::default());
}

#[test]
#[should_panic(expected = "key_padding_mask has shape [3, 2], expected [2, 3] ([B, T_k])")]
fn the_padding_mask_shape_is_checked() {
    let m = MultiheadAttention::new(4, 2);
    let x = Var::new(Tensor::zeros(&[3, 2, 4]));
    let padding = Tensor::zeros_dtype(&[3, 2], DType::Bool);
    m.forward(
        &x,
        &x,
        &x,
        &MhaOptions {
            key_padding_mask: Some(&padding),
            ..Default::default()
        },
    );
}

#[test]
#[should_panic(expected = "attn_mask has shape [2, 2], expected [3, 3] or [4, 3, 3]")]
fn the_attention_mask_shape_is_checked() {
    let m = MultiheadAttention::new(4, 2);
    let x = Var::new(Tensor::zeros(&[3, 2, 4]));
    let mask = causal_mask(2);
    m.forward(
        &x,
        &x,
        &x,
        &MhaOptions {
            attn_mask: Some(&mask),
            ..Default::default()
        },
    );
}

#[test]
fn a_sequence_with_every_key_padded_gives_finite_outputs_and_gradients() {
    let m = MultiheadAttention::new(4, 2);
    let x = Var::param(Tensor::randn(&[3, 2, 4]));
    // sequence 0 is all padding: its weights are 0, its output is out_proj's bias (0)
    let padding = Tensor::from_vec_bool(vec![true, true, true, false, false, false], &[2, 3]);
    let options = MhaOptions {
        key_padding_mask: Some(&padding),
        ..Default::default()
    };
    let (y, w) = m.forward(&x, &x, &x, &options);
    let w: Vec<f32> = w.unwrap().value().to_vec();
    assert!(w[..9].iter().all(|&v| v == 0.0));
    assert!(w[9..].iter().all(|v| v.is_finite()));
    y.sum().backward();
    assert!(
        x.grad()
            .unwrap()
            .to_vec::<f32>()
            .iter()
            .all(|v| v.is_finite())
    );
    for (name, p) in m.named_parameters() {
        assert!(
            p.grad()
                .unwrap()
                .to_vec::<f32>()
                .iter()
                .all(|v| v.is_finite()),
            "{name}"
        );
    }
}
