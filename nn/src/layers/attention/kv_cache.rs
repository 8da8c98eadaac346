//! The KV cache: the keys and values an attention layer has already computed, kept
//! from one decoding step to the next (`MultiheadAttention::forward_cached`).
//!
//! ```text
//! without a cache, step t re-reads the whole prefix x₀ … xₜ:
//!     K, V = x₀…ₜ·W_kᵀ, x₀…ₜ·W_vᵀ             t+1 projections per layer
//!     out  = softmax(Q·Kᵀ/√D)·V               (t+1)² scores, though only row t is new
//! with the cache, step t reads the new token only:
//!     q, k, v = xₜ·W_qᵀ, xₜ·W_kᵀ, xₜ·W_vᵀ     one projection
//!     K, V    = [K_past; k], [V_past; v]      appended here
//!     out     = softmax(q·Kᵀ/√D)·V            one row of t+1 scores
//! ```
//! Keys and values of earlier positions never change in a causal decoder (position i
//! only ever attends to positions ≤ i), so keeping them gives the same outputs as
//! recomputing them, and a step costs O(t) instead of O(t²). The cache holds them per
//! head, batch-major: `[B, H, T, D]`. For cross-attention the keys and values of the
//! encoder output (the memory) are the same at every step; they are computed once
//! and kept the same way.
//!
//! Beam search keeps, drops and copies rows of its batch; [`KvCache::reorder`] makes
//! the cache follow. A cache is plain tensors, for inference: no gradient flows
//! through it. Read next: [`super::multihead`] (`forward_cached`).

use tensor::{DType, Tensor};

use super::causal_mask;

/// Keys and values of the positions an attention layer has read, `[B, H, T, D]` each
/// (empty until the first step).
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::attention::{KvCache, multihead::{MhaOptions, MultiheadAttention}};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let mut mha = MultiheadAttention::new(8, 2);
/// ferrograd::nn::Module::eval(&mut mha);
/// let x = Var::new(Tensor::randn(&[5, 1, 8])); // [T, B, E]
/// let causal = MhaOptions { is_causal: true, ..Default::default() };
/// let full = mha.forward(&x, &x, &x, &causal).0.value();
/// let mut cache = KvCache::new();
/// for t in 0..5 {
///     let y = mha.forward_cached(&x.narrow(0, t, 1), &mut cache, &causal).value();
///     let gap = (&y - &full.narrow(0, t, 1)).abs().max().item();
///     assert!(gap < 1e-5, "step {t}: {gap}");
/// }
/// assert_eq!(cache.len(), 5);
/// ```
#[derive(Clone, Debug, Default)]
pub struct KvCache {
    keys: Option<Tensor>,
    values: Option<Tensor>,
}

impl KvCache {
    /// An empty cache.
    pub fn new() -> KvCache {
        KvCache::default()
    }

    /// How many positions it holds (`T`).
    pub fn len(&self) -> usize {
        self.keys.as_ref().map_or(0, |k| k.shape()[2])
    }

    /// Whether it holds no position yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached keys and values, `[B, H, T, D]` each (`None` when empty).
    pub fn keys_values(&self) -> Option<(&Tensor, &Tensor)> {
        self.keys.as_ref().zip(self.values.as_ref())
    }

    /// Append the keys and values of new positions (`[B, H, T_new, D]` each) and
    /// return all of them, `[B, H, T + T_new, D]`.
    pub(crate) fn append(&mut self, keys: &Tensor, values: &Tensor) -> (Tensor, Tensor) {
        let grow = |old: &Option<Tensor>, new: &Tensor| match old {
            Some(old) => Tensor::cat(&[old.clone(), new.clone()], 2),
            None => new.contiguous(),
        };
        let (k, v) = (grow(&self.keys, keys), grow(&self.values, values));
        (self.keys, self.values) = (Some(k.clone()), Some(v.clone()));
        (k, v)
    }

    /// Store keys and values computed once (cross-attention's memory).
    pub(crate) fn store(&mut self, keys: Tensor, values: Tensor) {
        (self.keys, self.values) = (Some(keys), Some(values));
    }

    /// Make row `i` of the batch a copy of old row `rows[i]` (beam search); the number
    /// of rows may change.
    ///
    /// # Panics
    /// If a row index is not below the batch size.
    #[track_caller]
    pub fn reorder(&mut self, rows: &[usize]) {
        let index = Tensor::from_vec_i64(rows.iter().map(|&r| r as i64).collect(), &[rows.len()]);
        for t in [&mut self.keys, &mut self.values].into_iter().flatten() {
            *t = t.index_select(0, &index);
        }
    }
}

/// The causal mask of `t_new` queries that follow `t_past` cached positions: query `i`
/// is position `t_past + i` and may see keys `0..=t_past + i`. Additive (−∞ = masked),
/// `[t_new, t_past + t_new]`: the last `t_new` rows of the full causal mask.
pub(crate) fn causal_after(t_past: usize, t_new: usize, dtype: DType) -> Tensor {
    causal_mask(t_past + t_new)
        .to_dtype(dtype)
        .narrow(0, t_past, t_new)
}

#[cfg(test)]
mod tests {
    use autograd::Var;

    use super::*;
    use crate::layers::attention::multihead::{MhaConfig, MhaOptions, MultiheadAttention};
    use crate::module::Module;

    fn layer(config: MhaConfig) -> MultiheadAttention {
        let mut m = MultiheadAttention::with_config(config);
        m.eval();
        m
    }

    fn gap(a: &Tensor, b: &Tensor) -> f64 {
        assert_eq!(a.shape(), b.shape());
        (a - b).abs().max().item()
    }

    #[test]
    fn pieces_with_the_cache_equal_one_causal_pass_with_padding() {
        for batch_first in [false, true] {
            let m = layer(MhaConfig::new(8, 2).batch_first(batch_first));
            let (t, b) = (6, 2);
            let x = Tensor::randn(&[t, b, 8]);
            let x = Var::new(if batch_first { x.transpose(0, 1) } else { x });
            let time = if batch_first { 1 } else { 0 };
            // sequence 1 is left-padded: its first two positions are padding
            let pad: Vec<bool> = (0..b * t).map(|i| i / t == 1 && i % t < 2).collect();
            let pad = Tensor::from_vec_bool(pad, &[b, t]);
            let mask = |n: usize| pad.narrow(1, 0, n);
            let all = mask(t);
            let full = MhaOptions {
                key_padding_mask: Some(&all),
                is_causal: true,
                ..Default::default()
            };
            let expected = m.forward(&x, &x, &x, &full).0.value();
            // a chunk of 3 positions (a prompt), then one position at a time
            let mut cache = KvCache::new();
            for (start, len) in [(0, 3), (3, 1), (4, 1), (5, 1)] {
                let seen = mask(start + len);
                let step = MhaOptions {
                    key_padding_mask: Some(&seen),
                    is_causal: true,
                    ..Default::default()
                };
                let y = m
                    .forward_cached(&x.narrow(time, start, len), &mut cache, &step)
                    .value();
                assert!(
                    gap(&y, &expected.narrow(time, start, len)) < 1e-5,
                    "{start}"
                );
            }
            assert_eq!(cache.len(), t);
            assert_eq!(cache.keys_values().unwrap().0.shape(), &[b, 2, t, 4]);
        }
    }

    #[test]
    fn memory_keys_and_values_are_computed_once() {
        let m = layer(MhaConfig::new(4, 2));
        let q = Var::new(Tensor::randn(&[2, 1, 4]));
        let memory = Var::new(Tensor::randn(&[7, 1, 4]));
        let none = MhaOptions::default();
        let expected = m.forward(&q, &memory, &memory, &none).0.value();
        let mut cache = KvCache::new();
        let first = m
            .forward_memory_cached(&q, &memory, &mut cache, &none)
            .value();
        assert!(gap(&first, &expected) < 1e-6);
        // later calls read the cache, not the memory passed
        let other = Var::new(Tensor::zeros(&[7, 1, 4]));
        let again = m
            .forward_memory_cached(&q, &other, &mut cache, &none)
            .value();
        assert!(gap(&again, &expected) < 1e-6);
        assert_eq!(cache.len(), 7);
    }

    #[test]
    fn reorder_follows_the_rows_of_the_batch() {
        let m = layer(MhaConfig::new(4, 1));
        let x = Var::new(Tensor::randn(&[3, 2, 4])); // [T, B, E]
        let causal = MhaOptions {
            is_causal: true,
            ..Default::default()
        };
        let mut cache = KvCache::new();
        m.forward_cached(&x.narrow(0, 0, 2), &mut cache, &causal);
        cache.reorder(&[1, 1, 0]); // three rows now: old row 1 twice, then row 0
        let rows = Tensor::from_vec_i64(vec![1, 1, 0], &[3]);
        let x3 = Var::new(x.value().index_select(1, &rows));
        let y = m
            .forward_cached(&x3.narrow(0, 2, 1), &mut cache, &causal)
            .value();
        let expected = m.forward(&x3, &x3, &x3, &causal).0.value().narrow(0, 2, 1);
        assert!(gap(&y, &expected) < 1e-5);
    }

    #[test]
    #[should_panic(
        expected = "forward_cached: the cache holds 2 rows (keys [2, 1, 1, 4]) but the input has batch size 3"
    )]
    fn a_cache_of_another_batch_is_refused() {
        let m = layer(MhaConfig::new(4, 1));
        let mut cache = KvCache::new();
        m.forward_cached(
            &Var::new(Tensor::randn(&[1, 2, 4])),
            &mut cache,
            &MhaOptions::default(),
        );
        m.forward_cached(
            &Var::new(Tensor::randn(&[1, 3, 4])),
            &mut cache,
            &MhaOptions::default(),
        );
    }
}
