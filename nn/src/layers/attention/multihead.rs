//! `MultiheadAttention`, as `torch.nn.MultiheadAttention`: H attention heads, each on
//! its own D = E/H slice of learned projections of the queries, keys and values.
//!
//! ```text
//! Q = query · W_qᵀ + b_q     K = key · W_kᵀ + b_k     V = value · W_vᵀ + b_v     [B, T, E]
//! split the features into H heads of D = E/H:                        [B, H, T, D]
//! head_h = softmax(Q_h·K_hᵀ/√D + mask)·V_h                           [B, H, T_q, D]
//! output = concat(head_1 .. head_H) · W_oᵀ + b_o                     [B, T_q, E]
//! ```
//! Parameters (PyTorch's names and layouts):
//! ```text
//! in_proj_weight   [3E, E]   W_q, W_k, W_v stacked, when kdim = vdim = E
//! q_proj_weight    [E, E]    ┐
//! k_proj_weight    [E, kdim] ├ instead, when kdim or vdim differs from E
//! v_proj_weight    [E, vdim] ┘
//! in_proj_bias     [3E]      b_q, b_k, b_v stacked (if bias)
//! out_proj.weight  [E, E],  out_proj.bias [E]
//! ```
//! Init (PyTorch's `_reset_parameters`): xavier_uniform on `in_proj_weight` (or on each
//! of the three), zeros for `in_proj_bias` and `out_proj.bias`, `out_proj.weight` as
//! `Linear`'s default.
//!
//! Masks (see [the attention docs](super)), bool with `true` = masked out as in
//! PyTorch's `nn.MultiheadAttention`, or float (added to the scores):
//! `key_padding_mask` `[B, T_k]` hides padding keys of each sequence; `attn_mask`
//! `[T_q, T_k]` or `[B·H, T_q, T_k]` hides (query, key) pairs; `is_causal` hides
//! later keys. All of them are added up as −∞/0 scores.
//! Deliberate difference: PyTorch treats `is_causal` only as a hint and requires an
//! `attn_mask`; here `is_causal` builds the causal mask itself (and is combined with
//! an `attn_mask` if one is given). `add_bias_kv` and `add_zero_attn` are not offered.
//! Read next: [`crate::layers::positional`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

pub use super::config::{MhaConfig, MhaOptions};
use super::kv_cache::{KvCache, causal_after};
use super::scaled_dot_product::{combine_masks, scaled_dot_product_attention};
use super::{BoolMask, additive_mask};
use crate::init;
use crate::layers::linear::Linear;
use crate::module::{Module, child_prefix};

/// Multi-head attention with PyTorch's parameters; see the [module docs](self).
///
/// # Shapes
/// - query `[T_q, B, E]`, key `[T_k, B, kdim]`, value `[T_k, B, vdim]`
///   (`[B, T, ..]` with `batch_first`; `[T, ..]` unbatched)
/// - output `[T_q, B, E]` (same layout as the query)
/// - weights `[B, T_q, T_k]` averaged, `[B, H, T_q, T_k]` per head (no `B` unbatched)
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::attention::multihead::{MhaOptions, MultiheadAttention};
/// use ferrograd::nn::Module;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let mha = MultiheadAttention::new(8, 2);
/// let x = Var::new(Tensor::randn(&[5, 3, 8])); // [T, B, E]
/// let (y, w) = mha.forward(&x, &x, &x, &MhaOptions::default());
/// assert_eq!(y.shape(), vec![5, 3, 8]);
/// assert_eq!(w.unwrap().shape(), vec![3, 5, 5]);
/// assert_eq!(mha.num_parameters(), 3 * 8 * 8 + 3 * 8 + 8 * 8 + 8);
/// ```
pub struct MultiheadAttention {
    /// `[3E, E]`: W_q, W_k, W_v stacked (when kdim = vdim = E).
    pub in_proj_weight: Option<Var>,
    /// `[E, E]` (only when kdim or vdim differs from E).
    pub q_proj_weight: Option<Var>,
    /// `[E, kdim]` (only when kdim or vdim differs from E).
    pub k_proj_weight: Option<Var>,
    /// `[E, vdim]` (only when kdim or vdim differs from E).
    pub v_proj_weight: Option<Var>,
    /// `[3E]`: b_q, b_k, b_v stacked (if bias).
    pub in_proj_bias: Option<Var>,
    /// The output projection `W_o`, `b_o`.
    pub out_proj: Linear,
    /// The options it was built with.
    pub config: MhaConfig,
    training: bool,
}

impl MultiheadAttention {
    /// `embed_dim` features in `num_heads` heads, no dropout, biases, seq-first.
    ///
    /// # Panics
    /// If `num_heads` is 0 or does not divide `embed_dim`.
    #[track_caller]
    pub fn new(embed_dim: usize, num_heads: usize) -> MultiheadAttention {
        MultiheadAttention::with_config(MhaConfig::new(embed_dim, num_heads))
    }

    /// A layer with the given options, initialised as PyTorch does.
    ///
    /// # Panics
    /// If `num_heads` is 0 or does not divide `embed_dim`, or dropout is not in [0, 1].
    #[track_caller]
    pub fn with_config(config: MhaConfig) -> MultiheadAttention {
        let e = config.embed_dim;
        if config.num_heads == 0
            || !e.is_multiple_of(config.num_heads)
            || !(0.0..=1.0).contains(&config.dropout)
        {
            Error::new(
                "MultiheadAttention",
                ErrorKind::Value,
                format!("{}: embed_dim must be divisible by num_heads (> 0) and dropout in [0, 1], dropout = {}", config.describe(), config.dropout),
            )
            .raise();
        }
        let packed = config.kdim == e && config.vdim == e;
        let param = |shape: &[usize]| Var::param(init::xavier_uniform(shape, 1.0));
        let out_proj = Linear::with_bias(e, e, config.bias);
        if let Some(b) = &out_proj.bias {
            b.set_value(init::zeros(&[e]));
        }
        MultiheadAttention {
            in_proj_weight: packed.then(|| param(&[3 * e, e])),
            q_proj_weight: (!packed).then(|| param(&[e, e])),
            k_proj_weight: (!packed).then(|| param(&[e, config.kdim])),
            v_proj_weight: (!packed).then(|| param(&[e, config.vdim])),
            in_proj_bias: config.bias.then(|| Var::param(init::zeros(&[3 * e]))),
            out_proj,
            config,
            training: true,
        }
    }

    /// Features per head, `D = E / H`.
    pub fn head_dim(&self) -> usize {
        self.config.embed_dim / self.config.num_heads
    }

    /// Attention of `query` over `key`/`value`; returns the output and, if
    /// `options.need_weights`, the attention weights (see the struct docs for shapes).
    ///
    /// # Panics
    /// If the inputs' ranks, widths, batch sizes or lengths disagree with each other or
    /// the config, or a mask has the wrong shape; the message names the layer.
    #[track_caller]
    pub fn forward(
        &self,
        query: &Var,
        key: &Var,
        value: &Var,
        options: &MhaOptions,
    ) -> (Var, Option<Var>) {
        let (batched, b, t_q, t_k) = self.check_inputs(query, key, value);
        let (q, k, v) = self.heads(query, key, value, batched, b);
        let mask = self.combined_mask(options, batched, b, t_q, t_k, query.dtype());
        self.attend(&q, &k, &v, mask, options, batched)
    }

    /// Self-attention of the new positions `x` over themselves and every position
    /// already in `cache` (incremental decoding, see [`KvCache`]); `x`'s keys and
    /// values are added to the cache. With `is_causal`, new position `i` sees the
    /// cached positions and the new ones up to itself, so feeding a sequence in pieces
    /// gives the outputs of one causal `forward` over all of it.
    ///
    /// Masks cover every key: `key_padding_mask` is `[B, T_cached + T_new]`,
    /// `attn_mask` `[T_new, T_cached + T_new]`. Weights are not returned.
    ///
    /// # Shapes
    /// `x` and output `[T_new, B, E]` (`[B, T_new, E]` with `batch_first`, `[T_new, E]`
    /// unbatched); the cache is `[B, H, T, D]`.
    ///
    /// # Panics
    /// As [`MultiheadAttention::forward`], and if the cache holds another batch size.
    #[track_caller]
    pub fn forward_cached(&self, x: &Var, cache: &mut KvCache, options: &MhaOptions) -> Var {
        let (batched, b, t_new, _) = self.check_inputs(x, x, x);
        let (q, k, v) = self.heads(x, x, x, batched, b);
        self.check_cache(cache, b, "forward_cached");
        let t_past = cache.len();
        let (k, v) = cache.append(&k.value(), &v.value());
        let not_causal = MhaOptions {
            is_causal: false,
            ..*options
        };
        let given = self.combined_mask(&not_causal, batched, b, t_new, t_past + t_new, x.dtype());
        let causal =
            (options.is_causal && t_new > 1).then(|| causal_after(t_past, t_new, x.dtype()));
        let mask = match (given, causal) {
            (Some(m), Some(c)) => Some(&m + &c),
            (m, c) => m.or(c),
        };
        self.attend(&q, &Var::new(k), &Var::new(v), mask, options, batched)
            .0
    }

    /// Cross-attention of `query` over `memory`, whose keys and values are computed at
    /// the first call and kept in `cache` for the next ones (the memory of a decoder
    /// does not change while it decodes).
    ///
    /// # Shapes
    /// `query` and output `[T_q, B, E]`, `memory` `[T_k, B, kdim]` (layouts as in
    /// [`MultiheadAttention::forward`]).
    ///
    /// # Panics
    /// As [`MultiheadAttention::forward`], and if the cache holds another batch size.
    #[track_caller]
    pub fn forward_memory_cached(
        &self,
        query: &Var,
        memory: &Var,
        cache: &mut KvCache,
        options: &MhaOptions,
    ) -> Var {
        let (batched, b, t_q, t_k) = self.check_inputs(query, memory, memory);
        let (q, k, v) = if cache.is_empty() {
            let (q, k, v) = self.heads(query, memory, memory, batched, b);
            cache.store(k.value(), v.value());
            (q, k, v)
        } else {
            self.check_cache(cache, b, "forward_memory_cached");
            let (k, v) = cache.keys_values().expect("checked: not empty");
            let q = self.heads(query, query, query, batched, b).0;
            (q, Var::new(k.clone()), Var::new(v.clone()))
        };
        let mask = self.combined_mask(options, batched, b, t_q, t_k, query.dtype());
        self.attend(&q, &k, &v, mask, options, batched).0
    }

    /// `Q, K, V` split into heads, `[B, H, T, D]` each, from inputs in the layer's
    /// layout.
    fn heads(
        &self,
        query: &Var,
        key: &Var,
        value: &Var,
        batched: bool,
        b: usize,
    ) -> (Var, Var, Var) {
        let (h, d) = (self.config.num_heads, self.head_dim());
        // Work batch-major: [B, T, features].
        let to_batch_major = |x: &Var| match (batched, self.config.batch_first) {
            (false, _) => x.unsqueeze(0),
            (true, true) => x.clone(),
            (true, false) => x.transpose(0, 1),
        };
        let (q, k, v) = self.in_projection(
            &to_batch_major(query),
            &to_batch_major(key),
            &to_batch_major(value),
        );
        // [B, T, E] → [B, T, H, D] → [B, H, T, D]
        let split = |x: Var| {
            let t = x.shape()[1];
            x.reshape(&[b, t, h, d]).permute(&[0, 2, 1, 3])
        };
        (split(q), split(k), split(v))
    }

    /// Attention of the heads `q` over `k`, `v` with an additive `mask`, the heads
    /// concatenated and projected by `W_o`, in the layer's layout; and the weights
    /// if `options.need_weights`.
    fn attend(
        &self,
        q: &Var,
        k: &Var,
        v: &Var,
        mask: Option<Tensor>,
        options: &MhaOptions,
        batched: bool,
    ) -> (Var, Option<Var>) {
        let p = if self.training {
            self.config.dropout
        } else {
            0.0
        };
        // an additive (float) mask reads the same in scaled_dot_product_attention
        let (attended, weights) =
            scaled_dot_product_attention(q, k, v, mask.as_ref(), p, false, self.training);
        // [B, H, T_q, D] → [B, T_q, H, D] → [B, T_q, E], then W_o
        let [b, _, t_q, _] = attended.shape()[..] else {
            unreachable!("heads are [B, H, T, D]")
        };
        let concat = attended
            .permute(&[0, 2, 1, 3])
            .reshape(&[b, t_q, self.config.embed_dim]);
        let output = crate::module::Forward::forward(&self.out_proj, &concat);
        let output = match (batched, self.config.batch_first) {
            (false, _) => output.squeeze(0),
            (true, true) => output,
            (true, false) => output.transpose(0, 1),
        };
        let weights = options.need_weights.then(|| {
            let w = if options.average_attn_weights {
                weights.mean_dim(1, false)
            } else {
                weights
            };
            if batched { w } else { w.squeeze(0) }
        });
        (output, weights)
    }

    /// Panics (naming `op`) if a non-empty `cache` holds another batch size than `b`.
    #[track_caller]
    fn check_cache(&self, cache: &KvCache, b: usize, op: &str) {
        if let Some((k, _)) = cache.keys_values()
            && k.shape()[0] != b
        {
            Error::new(
                "MultiheadAttention",
                ErrorKind::Shape,
                format!(
                    "{}.{op}: the cache holds {} rows (keys {:?}) but the input has batch size {b}",
                    self.config.describe(),
                    k.shape()[0],
                    k.shape()
                ),
            )
            .with_hint("use one cache per batch, or reorder it with KvCache::reorder")
            .raise();
        }
    }

    /// `Q, K, V` from the inputs, each `[B, T, E]`. With the stacked `in_proj_weight`,
    /// each projection uses its rows (a view, no copy), also in self-attention: one
    /// product with all of `[3E, E]` and a split of the `[B, T, 3E]` result would make
    /// the split's backward write three `[B, T, 3E]` gradients (zeros around each
    /// part) and the head reshapes copy the strided parts, where the weight rows'
    /// backward writes `[3E, E]` ones (`E` ≪ `B·T`).
    fn in_projection(&self, query: &Var, key: &Var, value: &Var) -> (Var, Var, Var) {
        let e = self.config.embed_dim;
        let bias = |i: usize| self.in_proj_bias.as_ref().map(|b| b.narrow(0, i * e, e));
        let weight = |i: usize, separate: &Option<Var>| match &self.in_proj_weight {
            Some(w) => w.narrow(0, i * e, e),
            None => separate
                .clone()
                .expect("internal error: q/k/v_proj_weight missing; this is a bug"),
        };
        let project = |i: usize, x: &Var, separate: &Option<Var>| {
            x.linear(&weight(i, separate), bias(i).as_ref())
        };
        (
            project(0, query, &self.q_proj_weight),
            project(1, key, &self.k_proj_weight),
            project(2, value, &self.v_proj_weight),
        )
    }

    /// Every mask as one additive tensor broadcasting to `[B, H, T_q, T_k]`.
    #[track_caller]
    fn combined_mask(
        &self,
        options: &MhaOptions,
        batched: bool,
        b: usize,
        t_q: usize,
        t_k: usize,
        dtype: tensor::DType,
    ) -> Option<Tensor> {
        let h = self.config.num_heads;
        const OP: &str = "MultiheadAttention";
        let additive = |m: &Tensor, what| additive_mask(OP, what, m, BoolMask::TrueMasks, dtype);
        let attn = options.attn_mask.map(|m| {
            let shape = m.shape();
            let heads_shape = if batched {
                [b * h, t_q, t_k]
            } else {
                [h, t_q, t_k]
            };
            if shape == [t_q, t_k] {
                additive(m, "attn_mask")
            } else if shape == heads_shape {
                additive(&m.reshape(&[b, h, t_q, t_k]), "attn_mask")
            } else {
                self.mask_error(
                    "attn_mask",
                    shape,
                    &format!("[{t_q}, {t_k}] or {heads_shape:?} ([T_q, T_k] or [B·H, T_q, T_k])"),
                );
            }
        });
        let padding = options.key_padding_mask.map(|m| {
            let expected: Vec<usize> = if batched { vec![b, t_k] } else { vec![t_k] };
            if m.shape() != expected.as_slice() {
                self.mask_error(
                    "key_padding_mask",
                    m.shape(),
                    &format!("{expected:?} ([B, T_k])"),
                );
            }
            additive(&m.reshape(&[b, 1, 1, t_k]), "key_padding_mask")
        });
        let mask = combine_masks(attn, options.is_causal, t_q, t_k, dtype);
        match (mask, padding) {
            (Some(m), Some(p)) => Some(&m + &p),
            (m, p) => m.or(p),
        }
    }

    #[track_caller]
    fn mask_error(&self, what: &str, shape: &[usize], expected: &str) -> ! {
        Error::new(
            "MultiheadAttention",
            ErrorKind::Shape,
            format!(
                "{}: {what} has shape {shape:?}, expected {expected}",
                self.config.describe()
            ),
        )
        .raise()
    }

    /// Checks ranks, widths, batch sizes and lengths; returns (batched, B, T_q, T_k).
    #[track_caller]
    fn check_inputs(&self, query: &Var, key: &Var, value: &Var) -> (bool, usize, usize, usize) {
        let c = &self.config;
        let (qs, ks, vs) = (query.shape(), key.shape(), value.shape());
        let fail = |problem: String| -> ! {
            Error::new("MultiheadAttention", ErrorKind::Shape, format!("{}: {problem} (query {qs:?}, key {ks:?}, value {vs:?})", c.describe()))
                .with_hint(if c.batch_first { "inputs are [B, T, features] (batch_first), or [T, features] unbatched" } else { "inputs are [T, B, features], or [T, features] unbatched; set batch_first for [B, T, features]" })
                .raise()
        };
        if !(qs.len() == 2 || qs.len() == 3) || ks.len() != qs.len() || vs.len() != qs.len() {
            fail("query, key and value must all be 3-d (batched) or all 2-d (unbatched)".into());
        }
        for (name, shape, width) in [
            ("query", &qs, c.embed_dim),
            ("key", &ks, c.kdim),
            ("value", &vs, c.vdim),
        ] {
            if shape[shape.len() - 1] != width {
                fail(format!(
                    "{name}'s last dim is {}, expected {width}",
                    shape[shape.len() - 1]
                ));
            }
        }
        let batched = qs.len() == 3;
        let (t_dim, b_dim) = if !batched {
            (0, None)
        } else if c.batch_first {
            (1, Some(0))
        } else {
            (0, Some(1))
        };
        let b = b_dim.map_or(1, |i| qs[i]);
        if let Some(i) = b_dim
            && (ks[i] != b || vs[i] != b)
        {
            fail(format!(
                "batch sizes differ: {}, {} and {}",
                qs[i], ks[i], vs[i]
            ));
        }
        if ks[t_dim] != vs[t_dim] {
            fail(format!(
                "key and value lengths differ: {} and {}",
                ks[t_dim], vs[t_dim]
            ));
        }
        (batched, b, qs[t_dim], ks[t_dim])
    }
}

impl Module for MultiheadAttention {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        let named = [
            ("in_proj_weight", &self.in_proj_weight),
            ("q_proj_weight", &self.q_proj_weight),
            ("k_proj_weight", &self.k_proj_weight),
            ("v_proj_weight", &self.v_proj_weight),
            ("in_proj_bias", &self.in_proj_bias),
        ];
        for (name, p) in named {
            if let Some(p) = p {
                f(&format!("{prefix}{name}"), p);
            }
        }
        self.out_proj
            .visit_params(&child_prefix(prefix, "out_proj"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

#[cfg(test)]
#[path = "multihead_tests.rs"]
mod tests;
