//! Tests of [`CausalSelfAttention`]: GQA with G = H is `MultiheadAttention`, G < H is
//! an explicit repeat of the key/value heads, RoPE's scores depend on relative
//! positions only, the KV cache reproduces the full pass, and errors name the layer.

use autograd::Var;
use tensor::{DType, Tensor};

use super::*;
use crate::layers::attention::multihead::{MhaConfig, MhaOptions, MultiheadAttention};

fn layer(config: CausalAttentionConfig) -> CausalSelfAttention {
    let mut m = CausalSelfAttention::new(config);
    m.to_dtype(DType::F64);
    m.eval();
    m
}

fn x64(shape: &[usize]) -> Var {
    Var::new(Tensor::randn(shape).to_dtype(DType::F64))
}

fn gap(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.shape(), b.shape());
    (a - b).abs().max().item()
}

#[test]
fn with_as_many_kv_heads_as_heads_it_is_causal_multihead_attention() {
    for bias in [false, true] {
        let ours = layer(CausalAttentionConfig::new(8, 2).bias(bias));
        let mha =
            MultiheadAttention::with_config(MhaConfig::new(8, 2).batch_first(true).bias(bias));
        mha.to_dtype(DType::F64);
        let stacked = Tensor::cat(
            &[
                ours.q_proj.weight.value(),
                ours.k_proj.weight.value(),
                ours.v_proj.weight.value(),
            ],
            0,
        );
        mha.in_proj_weight.as_ref().unwrap().set_value(stacked);
        mha.out_proj.weight.set_value(ours.o_proj.weight.value());
        if bias {
            let b = |l: &Linear| l.bias.as_ref().unwrap().value();
            let stacked = Tensor::cat(&[b(&ours.q_proj), b(&ours.k_proj), b(&ours.v_proj)], 0);
            mha.in_proj_bias.as_ref().unwrap().set_value(stacked);
            mha.out_proj
                .bias
                .as_ref()
                .unwrap()
                .set_value(b(&ours.o_proj));
        }
        let x = x64(&[2, 5, 8]);
        let causal = MhaOptions {
            is_causal: true,
            ..Default::default()
        };
        let expected = mha.forward(&x, &x, &x, &causal).0.value();
        assert!(gap(&ours.forward(&x).value(), &expected) < 1e-12);
    }
}

#[test]
fn grouped_heads_equal_an_explicit_repeat_of_the_kv_heads() {
    // H = 4 query heads, G = 2 (and 1, MQA): query head h reads kv head ⌊h / (H/G)⌋.
    // The reference has 4 kv heads whose weights repeat the G heads' rows, as Hugging
    // Face's repeat_kv does with the keys and values.
    for g in [2, 1] {
        let gqa = layer(
            CausalAttentionConfig::new(16, 4)
                .num_kv_heads(g)
                .rope(100.0),
        );
        let mha = layer(CausalAttentionConfig::new(16, 4).rope(100.0));
        // rows of kv head ⌊h / (H/G)⌋ for each h, D = 4 rows per head
        let rows: Vec<i64> = (0..4)
            .flat_map(|h| (0..4).map(move |i| (h / (4 / g)) as i64 * 4 + i))
            .collect();
        let rows = Tensor::from_vec_i64(rows, &[16]);
        let copy = |to: &Linear, from: &Linear, repeat: bool| {
            let pick = |t: Tensor| if repeat { t.index_select(0, &rows) } else { t };
            to.weight.set_value(pick(from.weight.value()));
            let bias = from.bias.as_ref().unwrap().value();
            to.bias.as_ref().unwrap().set_value(pick(bias));
        };
        copy(&mha.q_proj, &gqa.q_proj, false);
        copy(&mha.k_proj, &gqa.k_proj, true);
        copy(&mha.v_proj, &gqa.v_proj, true);
        copy(&mha.o_proj, &gqa.o_proj, false);
        let x = x64(&[2, 6, 16]);
        assert!(
            gap(&gqa.forward(&x).value(), &mha.forward(&x).value()) < 1e-12,
            "G = {g}"
        );
        assert_eq!(gqa.k_proj.weight.shape(), vec![4 * g, 16]);
    }
}

#[test]
fn rope_scores_depend_only_on_the_distance_between_positions() {
    // ⟨R_m q, R_n k⟩ = ⟨R_(m+s) q, R_(n+s) k⟩: the scores Q·Kᵀ of the same rows placed at
    // positions 0.. and 9.. are equal; without RoPE they are too, trivially, and with
    // RoPE the rows at one position differ from those at another.
    let attn = layer(
        CausalAttentionConfig::new(8, 2)
            .num_kv_heads(1)
            .rope(10_000.0),
    );
    let x = x64(&[1, 4, 8]);
    let scores = |start: usize| {
        let (q, k, _) = attn.heads(&x, start);
        q.matmul(&k.unsqueeze(2).transpose(-2, -1)).value()
    };
    assert!(gap(&scores(0), &scores(9)) < 1e-12);
    let (q0, _, _) = attn.heads(&x, 0);
    let (q9, _, _) = attn.heads(&x, 9);
    assert!(gap(&q0.value(), &q9.value()) > 1e-3);
}

#[test]
fn pieces_through_the_kv_cache_equal_one_causal_pass() {
    for (g, rope) in [(2, true), (4, false), (1, true)] {
        let config = CausalAttentionConfig::new(16, 4).num_kv_heads(g);
        let attn = layer(if rope { config.rope(10_000.0) } else { config });
        let x = x64(&[2, 7, 16]);
        let full = attn.forward(&x).value();
        let mut cache = KvCache::new();
        // a prompt of 3, then one position at a time
        for (start, len) in [(0, 3), (3, 1), (4, 1), (5, 2)] {
            let y = attn
                .forward_cached(&x.narrow(1, start, len), &mut cache)
                .value();
            assert!(
                gap(&y, &full.narrow(1, start, len)) < 1e-12,
                "G {g} at {start}"
            );
        }
        assert_eq!(cache.keys_values().unwrap().0.shape(), &[2, g, 7, 4]);
    }
}

#[test]
fn dropout_acts_only_in_training() {
    let mut attn = CausalSelfAttention::new(CausalAttentionConfig::new(4, 1).dropout(1.0));
    let x = Var::new(Tensor::randn(&[1, 3, 4]));
    let dropped = attn.forward(&x).value().to_vec::<f32>();
    assert!(dropped.iter().all(|&v| v == 0.0));
    attn.eval();
    assert!(attn.forward(&x).value().abs().max().item() > 0.0);
}

#[test]
fn parameter_names_are_hugging_faces() {
    let attn =
        CausalSelfAttention::new(CausalAttentionConfig::new(8, 4).num_kv_heads(2).bias(false));
    let names: Vec<(String, Vec<usize>)> = attn
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (n, p.shape()))
        .collect();
    let expected = [
        ("q_proj.weight", [8, 8]),
        ("k_proj.weight", [4, 8]),
        ("v_proj.weight", [4, 8]),
        ("o_proj.weight", [8, 8]),
    ];
    assert_eq!(names.len(), expected.len());
    for ((n, s), (en, es)) in names.iter().zip(expected) {
        assert_eq!((n.as_str(), s.as_slice()), (en, es.as_slice()));
    }
}

#[test]
#[should_panic(
    expected = "CausalSelfAttention(embed_dim=8, num_heads=4, num_kv_heads=3): num_heads 4 is not a multiple of num_kv_heads 3"
)]
fn kv_heads_must_divide_heads() {
    CausalSelfAttention::new(CausalAttentionConfig::new(8, 4).num_kv_heads(3));
}

#[test]
#[should_panic(expected = "embed_dim 10 is not a multiple of num_heads 4")]
fn heads_must_divide_the_width() {
    CausalSelfAttention::new(CausalAttentionConfig::new(10, 4));
}

#[test]
#[should_panic(expected = "RoPE needs an even head dim, got D = 3")]
fn rope_needs_an_even_head_dim() {
    CausalSelfAttention::new(CausalAttentionConfig::new(6, 2).rope(10_000.0));
}

#[test]
#[should_panic(expected = "input has shape [2, 8], expected [B, T, 8] with T > 0")]
fn inputs_are_batch_first() {
    CausalSelfAttention::new(CausalAttentionConfig::new(8, 2))
        .forward(&Var::new(Tensor::zeros(&[2, 8])));
}

#[test]
#[should_panic(
    expected = "forward_cached: the cache holds 1 rows (keys [1, 2, 1, 4]) but the input has batch size 2"
)]
fn a_cache_of_another_batch_is_refused() {
    let attn = CausalSelfAttention::new(CausalAttentionConfig::new(8, 2));
    let mut cache = KvCache::new();
    attn.forward_cached(&Var::new(Tensor::randn(&[1, 1, 8])), &mut cache);
    attn.forward_cached(&Var::new(Tensor::randn(&[2, 1, 8])), &mut cache);
}
