//! `AdditiveAttention`: Bahdanau's attention (Bahdanau, Cho & Bengio 2015, "Neural
//! machine translation by jointly learning to align and translate", appendix A.1.2).
//!
//! ```text
//! score(q, k_s) = vᵀ tanh(W_q q + W_k k_s)          q: [H_q], k_s: [H_k], W_q q, W_k k_s: [A]
//!
//! per batch:  energy = tanh(query·W_qᵀ [B, 1, A] + keys·W_kᵀ [B, S, A])    [B, S, A]
//!             scores = energy · vᵀ                                          [B, S]
//! then weights = masked softmax of the scores, context = weights · values (seq2seq.rs)
//! ```
//! A small one-hidden-layer network scores each (query, key) pair, so query and keys
//! may have different sizes. `keys·W_kᵀ` does not depend on the decoder step:
//! [`AdditiveAttention::precompute_keys`] computes it once per source batch, and each
//! step then costs one `[B, H_q]·[H_q, A]` product, a tanh over `[B, S, A]` and the
//! `v` product.
//! Parameters: `w_q.weight` `[A, H_q]`, `w_k.weight` `[A, H_k]`, `v.weight` `[1, A]`,
//! no biases (the paper's formula), each drawn as `Linear`'s default
//! U(−1/√in, 1/√in). bentrevett's pytorch-seq2seq tutorial 3 writes the same score as
//! one `attn = Linear(H_q + H_k, A)` over `[q; k]` (plus a bias): its `attn.weight` is
//! `[w_q.weight | w_k.weight]` side by side; [`super::multiplicative`]'s `concat`
//! score keeps that layout.
//! Read next: [`super::multiplicative`].

use autograd::Var;
use tensor::Tensor;

use super::seq2seq::{self, ProjectedKeys};
use crate::layers::linear::Linear;
use crate::module::{Forward, Module, child_prefix};

/// Bahdanau's additive attention over a source sentence; see the [module docs](self).
///
/// # Shapes
/// - keys `[B, S, key_size]` (to [`precompute_keys`](Self::precompute_keys)),
///   values `[B, S, H_v]` (usually the keys again: the encoder outputs)
/// - query `[B, query_size]` (the decoder state), `key_padding_mask` `[B, S]`
/// - returns context `[B, H_v]` and weights `[B, S]`
///
/// # Examples
/// A decoder that attends at every step, computing the keys' projection once:
/// ```
/// use ferrograd::nn::{AdditiveAttention, GRUCell, Module};
/// use ferrograd::prelude::*;
/// let (batch, src_len, enc_size, dec_size) = (2, 4, 6, 5);
/// let encoder_outputs = Var::new(Tensor::randn(&[batch, src_len, enc_size]));
/// // sentence 1 has 2 real tokens, then 2 padding tokens (true = padding)
/// let padding = Tensor::from_vec_bool(
///     vec![false, false, false, false, false, false, true, true],
///     &[batch, src_len],
/// );
/// let attention = AdditiveAttention::new(dec_size, enc_size, 8); // query, key, attn sizes
/// let cell = GRUCell::new(enc_size, dec_size);
/// let keys = attention.precompute_keys(&encoder_outputs); // once per source batch
/// let mut state = Var::new(Tensor::zeros(&[batch, dec_size]));
/// for _step in 0..3 {
///     let (context, weights) = attention.forward(&state, &keys, &encoder_outputs, Some(&padding));
///     assert_eq!(weights.value().to_vec::<f32>()[6..], [0.0, 0.0]); // padding: weight 0
///     state = cell.forward(&context, Some(&state));
/// }
/// assert_eq!(state.shape(), vec![batch, dec_size]);
/// assert_eq!(attention.num_parameters(), 8 * 5 + 8 * 6 + 8);
/// ```
pub struct AdditiveAttention {
    /// `W_q`: `[attn_size, query_size]`, no bias.
    pub w_q: Linear,
    /// `W_k`: `[attn_size, key_size]`, no bias.
    pub w_k: Linear,
    /// `v`: `[1, attn_size]`, no bias.
    pub v: Linear,
}

impl AdditiveAttention {
    /// Scores queries of `query_size` features against keys of `key_size` features
    /// through a hidden layer of `attn_size` tanh units.
    pub fn new(query_size: usize, key_size: usize, attn_size: usize) -> AdditiveAttention {
        AdditiveAttention {
            w_q: Linear::with_bias(query_size, attn_size, false),
            w_k: Linear::with_bias(key_size, attn_size, false),
            v: Linear::with_bias(attn_size, 1, false),
        }
    }

    /// The layer as error messages name it.
    fn describe(&self) -> String {
        format!(
            "AdditiveAttention(query_size={}, key_size={}, attn_size={})",
            self.w_q.in_features, self.w_k.in_features, self.w_k.out_features
        )
    }

    /// `keys · W_kᵀ` `[B, S, attn_size]`, once per source batch.
    ///
    /// # Panics
    /// If `keys` is not `[B, S, key_size]` with `B, S ≥ 1`.
    #[track_caller]
    pub fn precompute_keys(&self, keys: &Var) -> ProjectedKeys {
        let name = self.describe();
        seq2seq::check_keys("AdditiveAttention", &name, keys, self.w_k.in_features);
        ProjectedKeys::new(self.w_k.forward(keys), name)
    }

    /// One decoder step: `(context [B, H_v], weights [B, S])` for `query` `[B, query_size]`
    /// against the keys of [`precompute_keys`](Self::precompute_keys), mixing `values`
    /// `[B, S, H_v]`. `key_padding_mask` `[B, S]`: `true` = padding (weight 0), or a
    /// float mask added to the scores.
    ///
    /// # Panics
    /// If the keys were projected by a layer of another kind or size, the query is
    /// not `[B, query_size]`, the values are not `[B, S, H_v]` or the mask is not
    /// `[B, S]` (all with the keys' `B` and `S`).
    #[track_caller]
    pub fn forward(
        &self,
        query: &Var,
        keys: &ProjectedKeys,
        values: &Var,
        key_padding_mask: Option<&Tensor>,
    ) -> (Var, Var) {
        const OP: &str = "AdditiveAttention";
        let name = self.describe();
        seq2seq::check_query(OP, &name, query, self.w_q.in_features, keys);
        let query_projected = self.w_q.forward(query);
        let scores = additive_scores(&query_projected, keys.projected(), &self.v);
        seq2seq::attend(OP, &name, &scores, values, key_padding_mask)
    }
}

/// `vᵀ tanh(q' + k'_s)` for every source position: `query_projected` `[B, A]` and
/// `keys_projected` `[B, S, A]` → scores `[B, S]`. Shared with Luong's `concat`
/// score, which is the same network with its weight stored as one `[A, H_q + H_k]`.
pub(crate) fn additive_scores(query_projected: &Var, keys_projected: &Var, v: &Linear) -> Var {
    let energy = (&query_projected.unsqueeze(1) + keys_projected).tanh(); // [B, S, A]
    v.forward(&energy).squeeze(-1) // [B, S, 1] → [B, S]
}

impl Module for AdditiveAttention {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.w_q.visit_params(&child_prefix(prefix, "w_q"), f);
        self.w_k.visit_params(&child_prefix(prefix, "w_k"), f);
        self.v.visit_params(&child_prefix(prefix, "v"), f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::DType;

    fn set(linear: &Linear, data: &[f64]) {
        let shape = linear.weight.shape();
        linear
            .weight
            .set_value(Tensor::from_vec_f64(data.to_vec(), &shape));
    }

    #[test]
    fn names_and_shapes_follow_the_paper() {
        let attention = AdditiveAttention::new(5, 6, 7);
        let names: Vec<(String, Vec<usize>)> = attention
            .named_parameters()
            .into_iter()
            .map(|(n, p)| (n, p.shape()))
            .collect();
        let expected = [
            ("w_q.weight", [7, 5]),
            ("w_k.weight", [7, 6]),
            ("v.weight", [1, 7]),
        ];
        for ((name, shape), (want_name, want_shape)) in names.iter().zip(expected) {
            assert_eq!(
                (name.as_str(), shape.as_slice()),
                (want_name, &want_shape[..])
            );
        }
        assert_eq!(names.len(), 3);
    }

    #[test]
    fn scores_by_hand() {
        // A = 1, H_q = H_k = 1: W_q = 1, W_k = 2, v = 3; q = 0.5, keys [0, 1]:
        // scores = 3·tanh(0.5 + 2·k) = [3 tanh 0.5, 3 tanh 2.5]
        let attention = AdditiveAttention::new(1, 1, 1);
        attention.to_dtype(DType::F64);
        set(&attention.w_q, &[1.0]);
        set(&attention.w_k, &[2.0]);
        set(&attention.v, &[3.0]);
        let keys = Var::new(Tensor::from_vec_f64(vec![0.0, 1.0], &[1, 2, 1]));
        let query = Var::new(Tensor::from_vec_f64(vec![0.5], &[1, 1]));
        let projected = attention.precompute_keys(&keys);
        let (context, weights) = attention.forward(&query, &projected, &keys, None);
        let (s0, s1) = (3.0 * 0.5f64.tanh(), 3.0 * 2.5f64.tanh());
        let w1 = 1.0 / (1.0 + (s0 - s1).exp());
        let w: Vec<f64> = weights.value().to_vec();
        assert!((w[1] - w1).abs() < 1e-12 && (w[0] + w[1] - 1.0).abs() < 1e-12);
        // values = keys = [0, 1]: context = w1
        assert!((context.value().to_vec::<f64>()[0] - w1).abs() < 1e-12);
    }

    #[test]
    #[should_panic(
        expected = "AdditiveAttention: AdditiveAttention(query_size=3, key_size=4, attn_size=5): query has shape [2, 4], expected [2, 3] (the keys' batch, query_size)"
    )]
    fn a_query_of_the_wrong_size_is_named() {
        let attention = AdditiveAttention::new(3, 4, 5);
        let keys = attention.precompute_keys(&Var::new(Tensor::ones(&[2, 6, 4])));
        let q = Var::new(Tensor::ones(&[2, 4]));
        attention.forward(&q, &keys, &Var::new(Tensor::ones(&[2, 6, 4])), None);
    }

    #[test]
    #[should_panic(expected = "keys have shape [2, 6], expected [B, S, 4]")]
    fn two_d_keys_are_named() {
        AdditiveAttention::new(3, 4, 5).precompute_keys(&Var::new(Tensor::ones(&[2, 6])));
    }

    #[test]
    #[should_panic(
        expected = "the keys were projected by AdditiveAttention(query_size=3, key_size=4, attn_size=5), not by this layer"
    )]
    fn keys_of_another_layer_are_refused() {
        let other = AdditiveAttention::new(3, 4, 5);
        let keys = other.precompute_keys(&Var::new(Tensor::ones(&[2, 6, 4])));
        let attention = AdditiveAttention::new(3, 4, 9);
        let values = Var::new(Tensor::ones(&[2, 6, 4]));
        attention.forward(&Var::new(Tensor::ones(&[2, 3])), &keys, &values, None);
    }
}
