//! Tests of the decoder-only models: the KV-cached forward and generation equal the
//! uncached ones, parameter names and counts are nanoGPT's and Hugging Face's, and
//! misuse is reported by name.

use autograd::Var;
use tensor::{DType, Tensor};

use super::StackCache;
use super::gpt::{GPT, GPTConfig};
use super::llama::{Llama, LlamaConfig};
use crate::decoding::{BeamConfig, beam_search, greedy};
use crate::module::Module;

/// Both models, tiny, in f64 and eval mode, behind one interface.
enum Lm {
    Gpt(GPT),
    Llama(Llama),
}

impl Lm {
    fn name(&self) -> &'static str {
        match self {
            Lm::Gpt(_) => "GPT",
            Lm::Llama(_) => "Llama",
        }
    }
    fn forward(&self, ids: &Tensor) -> Var {
        match self {
            Lm::Gpt(m) => m.forward(ids),
            Lm::Llama(m) => m.forward(ids),
        }
    }
    fn forward_cached(&self, ids: &Tensor, cache: &mut StackCache) -> Var {
        match self {
            Lm::Gpt(m) => m.forward_cached(ids, cache),
            Lm::Llama(m) => m.forward_cached(ids, cache),
        }
    }
    fn new_cache(&self) -> StackCache {
        match self {
            Lm::Gpt(m) => m.new_cache(),
            Lm::Llama(m) => m.new_cache(),
        }
    }
}

fn models() -> [Lm; 2] {
    let mut gpt = GPT::new(GPTConfig::new(13, 12, 2, 2, 8).dropout(0.1));
    let mut llama = Llama::new(
        LlamaConfig::new(13, 12, 2, 4, 8)
            .num_key_value_heads(2)
            .dropout(0.1),
    );
    gpt.to_dtype(DType::F64);
    llama.to_dtype(DType::F64);
    gpt.eval();
    llama.eval();
    [Lm::Gpt(gpt), Lm::Llama(llama)]
}

fn ids(b: usize, t: usize) -> Tensor {
    Tensor::from_vec_i64((0..b * t).map(|i| (i * 7 % 13) as i64).collect(), &[b, t])
}

#[test]
fn cached_steps_equal_the_uncached_forward_on_the_whole_sequence() {
    for lm in models() {
        let ids = ids(2, 9);
        let full = lm.forward(&ids).value();
        let mut cache = lm.new_cache();
        // a prompt of 4 tokens, then one token at a time, then 2 at once
        for (start, len) in [(0, 4), (4, 1), (5, 1), (6, 1), (7, 2)] {
            let step = lm.forward_cached(&ids.narrow(1, start, len).contiguous(), &mut cache);
            let gap = (&step.value() - &full.narrow(1, start, len))
                .abs()
                .max()
                .item();
            assert!(gap < 1e-12, "{}: positions {start}..: {gap}", lm.name());
        }
        assert_eq!(cache.len(), 9);
    }
}

#[test]
fn generation_with_the_cache_equals_generation_without_it() {
    let gpt = GPT::new(GPTConfig::new(13, 16, 2, 2, 8));
    let llama = Llama::new(LlamaConfig::new(13, 16, 2, 4, 8).num_key_value_heads(1));
    // in f64, so that rounding cannot flip a near-tie between the two ways
    gpt.to_dtype(DType::F64);
    llama.to_dtype(DType::F64);
    // without a cache: the whole prefix every step, keep the last position's logits
    let last = |logits: Var| {
        let [b, t, v] = logits.shape()[..] else {
            unreachable!()
        };
        logits.value().narrow(1, t - 1, 1).reshape(&[b, v])
    };
    let batch = |prefixes: &[Vec<usize>]| {
        let t = prefixes[0].len();
        let flat = prefixes.iter().flatten().map(|&i| i as i64).collect();
        Tensor::from_vec_i64(flat, &[prefixes.len(), t])
    };
    let gpt_uncached = |p: &[Vec<usize>]| last(gpt.forward(&batch(p)));
    let llama_uncached = |p: &[Vec<usize>]| last(llama.forward(&batch(p)));
    let prompts = [vec![3, 1, 4], vec![1, 5, 9]];
    assert_eq!(
        greedy(&gpt, &prompts, 8, None),
        greedy(&gpt_uncached, &prompts, 8, None)
    );
    assert_eq!(
        greedy(&llama, &prompts, 8, None),
        greedy(&llama_uncached, &prompts, 8, None)
    );
    // beam search reorders the cache's rows as it keeps and drops beams
    let beam = BeamConfig::new(3, 6);
    let tokens = |h: Vec<crate::decoding::Hypothesis>| h[0].tokens.clone();
    assert_eq!(
        tokens(beam_search(&gpt, &[2, 7], &beam)),
        tokens(beam_search(&gpt_uncached, &[2, 7], &beam))
    );
    assert_eq!(
        tokens(beam_search(&llama, &[2, 7], &beam)),
        tokens(beam_search(&llama_uncached, &[2, 7], &beam))
    );
}

#[test]
fn parameter_names_are_nanogpts_and_hugging_faces() {
    let names = |m: &dyn Module| -> Vec<String> {
        let mut all = Vec::new();
        m.visit_params("", &mut |n, _| all.push(n.to_string()));
        all
    };
    let gpt = GPT::new(GPTConfig::new(5, 4, 1, 2, 4).bias(false));
    let expected_gpt = [
        "wte.weight",
        "wpe.weight",
        "h.0.ln_1.weight",
        "h.0.attn.q_proj.weight",
        "h.0.attn.k_proj.weight",
        "h.0.attn.v_proj.weight",
        "h.0.attn.o_proj.weight",
        "h.0.ln_2.weight",
        "h.0.mlp.c_fc.weight",
        "h.0.mlp.c_proj.weight",
        "ln_f.weight",
        "lm_head.weight",
    ];
    assert_eq!(names(&gpt), expected_gpt);
    let llama = Llama::new(LlamaConfig::new(5, 4, 1, 2, 4));
    let expected_llama = [
        "embed_tokens.weight",
        "layers.0.input_layernorm.weight",
        "layers.0.self_attn.q_proj.weight",
        "layers.0.self_attn.k_proj.weight",
        "layers.0.self_attn.v_proj.weight",
        "layers.0.self_attn.o_proj.weight",
        "layers.0.post_attention_layernorm.weight",
        "layers.0.mlp.gate_proj.weight",
        "layers.0.mlp.up_proj.weight",
        "layers.0.mlp.down_proj.weight",
        "norm.weight",
        "lm_head.weight",
    ];
    assert_eq!(names(&llama), expected_llama);
}

#[test]
fn the_cpu_recipes_have_nanogpts_size_and_init() {
    let gpt = GPT::new(GPTConfig::nanogpt_cpu(65));
    let llama = Llama::new(LlamaConfig::nanogpt_cpu(65));
    // GPT: wte 65·128 + wpe 64·128 + 4 blocks of 196,864 + ln_f 128
    assert_eq!(gpt.num_parameters(), 8_320 + 8_192 + 4 * 196_864 + 128);
    assert_eq!(gpt.num_parameters(), 804_096);
    assert_eq!(llama.num_parameters(), 804_224);
    assert_eq!(llama.config.intermediate_size, 384);
    assert_eq!(LlamaConfig::new(65, 64, 4, 4, 128).intermediate_size, 352); // ⌈8·128/3⌉ → 352
    // N(0, 0.02), the residual projections N(0, 0.02/√8)
    let std = |v: &Var| {
        let x: Vec<f64> = v.value().to_vec();
        (x.iter().map(|a| a * a).sum::<f64>() / x.len() as f64).sqrt()
    };
    let fc = std(&gpt.h[0].mlp.c_fc.weight);
    let proj = std(&gpt.h[0].mlp.c_proj.weight);
    assert!((fc - 0.02).abs() < 0.001, "{fc}");
    assert!((proj - 0.02 / 8f64.sqrt()).abs() < 0.0005, "{proj}");
    assert!((std(&llama.lm_head.weight) - 0.02).abs() < 0.002);
}

#[test]
#[should_panic(expected = "GPT: positions 3..5 do not fit the context block_size = 4")]
fn gpt_refuses_positions_beyond_its_context() {
    let gpt = GPT::new(GPTConfig::new(13, 4, 1, 1, 2));
    let mut cache = gpt.new_cache();
    gpt.forward_cached(&ids(1, 3), &mut cache);
    gpt.forward_cached(&ids(1, 2), &mut cache);
}

#[test]
#[should_panic(expected = "Llama: token ids have shape [6], expected [B, T] with T > 0")]
fn token_ids_are_batch_by_time() {
    Llama::new(LlamaConfig::new(13, 4, 1, 1, 2)).forward(&ids(1, 6).reshape(&[6]));
}

#[test]
#[should_panic(expected = "Llama: the cache holds 3 layer caches for 1 blocks")]
fn a_cache_of_another_model_is_refused() {
    let llama = Llama::new(LlamaConfig::new(13, 4, 1, 1, 2));
    llama.forward_cached(&ids(1, 2), &mut StackCache::new(3));
}
