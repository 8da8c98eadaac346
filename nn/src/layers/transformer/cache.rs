//! The KV caches of Transformer layers and stacks, for incremental decoding: each
//! step feeds only the new position, and every self-attention block keeps the keys and
//! values of the earlier ones (see [`crate::layers::attention::kv_cache`]).
//!
//! ```text
//! StackCache                     one per decoding run (TransformerDecoder::new_cache)
//!  └ layers[l]: LayerCache       one per layer
//!     ├ self_attn: KvCache       keys/values of the target positions read, [B, H, T, D]
//!     └ memory:    KvCache       cross-attention's keys/values of the memory, computed
//!                                at the first step (decoder layers only)
//! ```
//! A cached step gives the same output as running the layer on the whole prefix
//! with the causal mask and keeping the last position (tested to 1e-5 in f32 over 50
//! steps, with padding masks). Read next: [`super::encoder_layer`].

use crate::layers::attention::KvCache;
#[cfg(test)]
use crate::layers::layer_norm::LayerNorm;

/// The caches of one encoder or decoder layer.
#[derive(Clone, Debug, Default)]
pub struct LayerCache {
    /// The self-attention's keys and values of every position read so far.
    pub self_attn: KvCache,
    /// The cross-attention's keys and values of the memory (empty in encoder layers).
    pub memory: KvCache,
}

impl LayerCache {
    /// Make row `i` of the batch a copy of old row `rows[i]`, in both caches.
    ///
    /// # Panics
    /// If a row index is not below the batch size.
    #[track_caller]
    pub fn reorder(&mut self, rows: &[usize]) {
        self.self_attn.reorder(rows);
        self.memory.reorder(rows);
    }
}

/// The caches of a stack of layers, one [`LayerCache`] per layer; made empty by
/// `TransformerDecoder::new_cache` or `TransformerEncoder::new_cache`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::transformer::{DecoderMasks, TransformerLayerConfig};
/// use ferrograd::nn::{Module, TransformerDecoder, TransformerDecoderLayer};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let config = TransformerLayerConfig::new(8, 2).dim_feedforward(16).dropout(0.0);
/// let decoder = TransformerDecoder::new(TransformerDecoderLayer::new(config), 2, None);
/// let (tgt, memory) = (Var::new(Tensor::randn(&[4, 1, 8])), Var::new(Tensor::randn(&[6, 1, 8])));
/// let masks = DecoderMasks { tgt_is_causal: true, ..Default::default() };
/// let full = decoder.forward(&tgt, &memory, &masks).value(); // [4, 1, 8]
/// let mut cache = decoder.new_cache();
/// for t in 0..4 {
///     let step = decoder.forward_cached(&tgt.narrow(0, t, 1), &memory, &masks, &mut cache);
///     assert!((&step.value() - &full.narrow(0, t, 1)).abs().max().item() < 1e-5);
/// }
/// assert_eq!(cache.len(), 4);
/// ```
#[derive(Clone, Debug, Default)]
pub struct StackCache {
    /// One cache per layer, in order.
    pub layers: Vec<LayerCache>,
}

impl StackCache {
    /// Empty caches for `num_layers` layers.
    pub fn new(num_layers: usize) -> StackCache {
        StackCache {
            layers: vec![LayerCache::default(); num_layers],
        }
    }

    /// How many positions the stack has read.
    pub fn len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.self_attn.len())
    }

    /// Whether it has read nothing yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Make row `i` of the batch a copy of old row `rows[i]` in every layer (what beam
    /// search asks of a model's cache).
    ///
    /// # Panics
    /// If a row index is not below the batch size.
    #[track_caller]
    pub fn reorder(&mut self, rows: &[usize]) {
        self.layers.iter_mut().for_each(|l| l.reorder(rows));
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
