//! `LuongAttention`: the three scores of Luong, Pham & Manning 2015 ("Effective
//! approaches to attention-based neural machine translation", §3.1, eq. 8).
//!
//! ```text
//! dot      score(q, k_s) = qᵀ k_s                  H_q = H_k, no parameters
//! general  score(q, k_s) = qᵀ W k_s                W: [H_q, H_k]          (multiplicative)
//! concat   score(q, k_s) = vᵀ tanh(W [q; k_s])     W: [A, H_q + H_k], v: [1, A]
//!
//! per batch:  dot, general:  scores = K' · q       K' = keys (dot) or keys·Wᵀ (general)
//!                            [B, S, H_q] · [B, H_q, 1] → [B, S]
//!             concat:        W [q; k] = W_q q + W_k k with W = [W_q | W_k] (column blocks),
//!                            then the additive network of additive.rs
//! then weights = masked softmax of the scores, context = weights · values (seq2seq.rs)
//! ```
//! Every key-side product (`keys·Wᵀ` for general, `keys·W_kᵀ` for concat) is made once
//! per source batch by [`LuongAttention::precompute_keys`]. `concat` never builds
//! `[q; k_s]` for each of the S positions: it multiplies by the two column blocks of
//! `W`, which is the same sum. Luong's paper feeds the decoder's *current* state as the
//! query (Bahdanau's feeds the previous one); the layer does not care which.
//! Parameters: `general`: `w.weight` `[H_q, H_k]`; `concat`: `w.weight`
//! `[A, H_q + H_k]` and `v.weight` `[1, A]`; no biases; `Linear`'s default init.
//! Read next: [`super::multihead`], attention with several heads and no recurrence.

use autograd::Var;
use tensor::Tensor;

use super::additive::additive_scores;
use super::seq2seq::{self, ProjectedKeys};
use crate::layers::linear::Linear;
use crate::module::{Forward, Module, child_prefix};

/// Which of Luong's scores, with its parameters.
pub enum LuongScore {
    /// `qᵀ k`: no parameters; queries and keys have the same size.
    Dot,
    /// `qᵀ W k`: `w.weight` `[query_size, key_size]` (a `Linear` from keys to queries).
    General {
        /// `W`.
        w: Linear,
    },
    /// `vᵀ tanh(W [q; k])`: `w.weight` `[attn_size, query_size + key_size]`,
    /// `v.weight` `[1, attn_size]`.
    Concat {
        /// `W = [W_q | W_k]`.
        w: Linear,
        /// `v`.
        v: Linear,
    },
}

/// Luong's attention over a source sentence; see the [module docs](self).
///
/// # Shapes
/// - keys `[B, S, key_size]` (to [`precompute_keys`](Self::precompute_keys)),
///   values `[B, S, H_v]` (usually the keys again: the encoder outputs)
/// - query `[B, query_size]` (the decoder state), `key_padding_mask` `[B, S]`
/// - returns context `[B, H_v]` and weights `[B, S]`
///
/// # Examples
/// ```
/// use ferrograd::nn::{LuongAttention, Module};
/// use ferrograd::prelude::*;
/// let encoder_outputs = Var::new(Tensor::randn(&[2, 4, 6])); // [B, S, H_k]
/// let padding = Tensor::from_vec_bool(vec![false, false, true, true, false, false, false, false], &[2, 4]);
/// let decoder_state = Var::new(Tensor::randn(&[2, 5])); // [B, H_q]
/// for attention in [LuongAttention::general(5, 6), LuongAttention::concat(5, 6, 8)] {
///     let keys = attention.precompute_keys(&encoder_outputs); // once per source batch
///     let (context, weights) =
///         attention.forward(&decoder_state, &keys, &encoder_outputs, Some(&padding));
///     assert_eq!((context.shape(), weights.shape()), (vec![2, 6], vec![2, 4]));
/// }
/// let dot = LuongAttention::dot(6); // queries and keys of the same size
/// assert_eq!(dot.num_parameters(), 0);
/// ```
pub struct LuongAttention {
    /// The score function and its parameters.
    pub score: LuongScore,
    /// `H_q`.
    pub query_size: usize,
    /// `H_k`.
    pub key_size: usize,
}

impl LuongAttention {
    /// `score = qᵀ k` for queries and keys of `size` features.
    pub fn dot(size: usize) -> LuongAttention {
        LuongAttention {
            score: LuongScore::Dot,
            query_size: size,
            key_size: size,
        }
    }

    /// `score = qᵀ W k`, `W`: `[query_size, key_size]`.
    pub fn general(query_size: usize, key_size: usize) -> LuongAttention {
        LuongAttention {
            score: LuongScore::General {
                w: Linear::with_bias(key_size, query_size, false),
            },
            query_size,
            key_size,
        }
    }

    /// `score = vᵀ tanh(W [q; k])`, `W`: `[attn_size, query_size + key_size]`.
    pub fn concat(query_size: usize, key_size: usize, attn_size: usize) -> LuongAttention {
        LuongAttention {
            score: LuongScore::Concat {
                w: Linear::with_bias(query_size + key_size, attn_size, false),
                v: Linear::with_bias(attn_size, 1, false),
            },
            query_size,
            key_size,
        }
    }

    /// The layer as error messages name it.
    fn describe(&self) -> String {
        let (q, k) = (self.query_size, self.key_size);
        match &self.score {
            LuongScore::Dot => format!("LuongAttention::dot({q})"),
            LuongScore::General { .. } => format!("LuongAttention::general({q}, {k})"),
            LuongScore::Concat { w, .. } => {
                format!("LuongAttention::concat({q}, {k}, {})", w.out_features)
            }
        }
    }

    /// The key-side work, once per source batch: the keys themselves (dot),
    /// `keys · Wᵀ` `[B, S, query_size]` (general) or `keys · W_kᵀ` `[B, S, attn_size]`
    /// (concat).
    ///
    /// # Panics
    /// If `keys` is not `[B, S, key_size]` with `B, S ≥ 1`.
    #[track_caller]
    pub fn precompute_keys(&self, keys: &Var) -> ProjectedKeys {
        let name = self.describe();
        seq2seq::check_keys("LuongAttention", &name, keys, self.key_size);
        let projected = match &self.score {
            LuongScore::Dot => keys.clone(),
            LuongScore::General { w } => w.forward(keys),
            LuongScore::Concat { w, .. } => keys.linear(&self.key_block(w), None),
        };
        ProjectedKeys::new(projected, name)
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
        const OP: &str = "LuongAttention";
        let name = self.describe();
        seq2seq::check_query(OP, &name, query, self.query_size, keys);
        let scores = match &self.score {
            // [B, S, H_q] · [B, H_q, 1] → [B, S, 1]
            LuongScore::Dot | LuongScore::General { .. } => {
                keys.projected().matmul(&query.unsqueeze(-1)).squeeze(-1)
            }
            LuongScore::Concat { w, v } => {
                let query_projected = query.linear(&self.query_block(w), None);
                additive_scores(&query_projected, keys.projected(), v)
            }
        };
        seq2seq::attend(OP, &name, &scores, values, key_padding_mask)
    }

    /// `W_q`: the first `query_size` columns of concat's `W` (a view).
    fn query_block(&self, w: &Linear) -> Var {
        w.weight.narrow(1, 0, self.query_size)
    }

    /// `W_k`: the last `key_size` columns of concat's `W` (a view).
    fn key_block(&self, w: &Linear) -> Var {
        w.weight.narrow(1, self.query_size, self.key_size)
    }
}

impl Module for LuongAttention {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        match &self.score {
            LuongScore::Dot => {}
            LuongScore::General { w } => w.visit_params(&child_prefix(prefix, "w"), f),
            LuongScore::Concat { w, v } => {
                w.visit_params(&child_prefix(prefix, "w"), f);
                v.visit_params(&child_prefix(prefix, "v"), f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::DType;

    fn f64s(data: &[f64], shape: &[usize]) -> Var {
        Var::new(Tensor::from_vec_f64(data.to_vec(), shape))
    }

    fn names(m: &LuongAttention) -> Vec<(String, Vec<usize>)> {
        let params = m.named_parameters().into_iter();
        params.map(|(n, p)| (n, p.shape())).collect()
    }

    #[test]
    fn names_and_shapes_follow_the_paper() {
        assert!(names(&LuongAttention::dot(4)).is_empty());
        let general = names(&LuongAttention::general(3, 5));
        assert_eq!(general, vec![("w.weight".to_string(), vec![3, 5])]);
        let concat = names(&LuongAttention::concat(3, 5, 7));
        assert_eq!(
            concat,
            vec![
                ("w.weight".to_string(), vec![7, 8]),
                ("v.weight".to_string(), vec![1, 7])
            ]
        );
    }

    #[test]
    fn dot_and_general_scores_by_hand() {
        // q = [1, 2], keys [1, 0] and [0, 1]: dot scores [1, 2];
        // general with W = diag(3, 1): qᵀWk = [3, 2]
        let keys = f64s(&[1.0, 0.0, 0.0, 1.0], &[1, 2, 2]);
        let query = f64s(&[1.0, 2.0], &[1, 2]);
        let dot = LuongAttention::dot(2);
        let general = LuongAttention::general(2, 2);
        general.to_dtype(DType::F64);
        if let LuongScore::General { w } = &general.score {
            w.weight
                .set_value(Tensor::from_vec_f64(vec![3.0, 0.0, 0.0, 1.0], &[2, 2]));
        }
        for (attention, (s0, s1)) in [(dot, (1.0, 2.0)), (general, (3.0, 2.0))] {
            let projected = attention.precompute_keys(&keys);
            let (context, weights) = attention.forward(&query, &projected, &keys, None);
            let w1: f64 = 1.0 / (1.0 + f64::exp(s0 - s1));
            let w: Vec<f64> = weights.value().to_vec();
            assert!((w[1] - w1).abs() < 1e-12, "{w:?}");
            // values = keys = the identity: context = weights
            assert_eq!(context.value().to_vec::<f64>(), w);
        }
    }

    #[test]
    fn concat_equals_the_network_on_the_concatenation() {
        // vᵀ tanh(W [q; k]) computed literally, for every source position
        let attention = LuongAttention::concat(2, 3, 4);
        attention.to_dtype(DType::F64);
        let keys = Var::new(Tensor::randn(&[2, 5, 3]).to_dtype(DType::F64));
        let query = Var::new(Tensor::randn(&[2, 2]).to_dtype(DType::F64));
        let projected = attention.precompute_keys(&keys);
        let (_, weights) = attention.forward(&query, &projected, &keys, None);
        let LuongScore::Concat { w, v } = &attention.score else {
            unreachable!()
        };
        let repeated = Var::stack(&vec![query.clone(); 5], 1); // [B, S, H_q]
        let both = Var::cat(&[repeated, keys.clone()], 2); // [B, S, H_q + H_k]
        let scores = v.forward(&w.forward(&both).tanh()).squeeze(-1);
        let expected: Vec<f64> = scores.softmax(-1).value().to_vec();
        let got: Vec<f64> = weights.value().to_vec();
        for (a, b) in got.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-12, "{got:?} vs {expected:?}");
        }
    }

    #[test]
    #[should_panic(
        expected = "LuongAttention: LuongAttention::general(3, 5): keys have shape [2, 4, 3], expected [B, S, 5]"
    )]
    fn keys_of_the_wrong_size_are_named() {
        LuongAttention::general(3, 5).precompute_keys(&Var::new(Tensor::ones(&[2, 4, 3])));
    }

    #[test]
    #[should_panic(
        expected = "LuongAttention::dot(3): query has shape [3, 3], expected [2, 3] (the keys' batch, query_size)"
    )]
    fn a_query_of_another_batch_is_named() {
        let attention = LuongAttention::dot(3);
        let keys = Var::new(Tensor::ones(&[2, 4, 3]));
        let projected = attention.precompute_keys(&keys);
        attention.forward(&Var::new(Tensor::ones(&[3, 3])), &projected, &keys, None);
    }
}
