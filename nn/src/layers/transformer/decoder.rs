//! `TransformerDecoder`, as `torch.nn.TransformerDecoder`: `num_layers` copies of a
//! decoder layer, each attending to the same memory, then an optional final LayerNorm.
//!
//! ```text
//! x = layers.0(tgt, memory) → … → layers.{N−1}(x, memory) → norm(x)   (norm if given)
//! ```
//! The layers start as deep copies of the layer passed in, as in PyTorch.
//! Read next: [`super::transformer`].

use autograd::Var;

use super::cache::StackCache;
use super::decoder_layer::TransformerDecoderLayer;
use super::{DecoderMasks, final_norm, stack_cached, visit_stack};
use crate::layers::layer_norm::LayerNorm;
use crate::module::Module;

/// A stack of decoder layers, named `layers.0.`, `layers.1.`, … and `norm.`.
///
/// # Shapes
/// - `tgt` and output: `[T_tgt, B, C]` (`[B, T_tgt, C]` with `batch_first`, or `[T_tgt, C]`)
/// - `memory`: `[T_src, B, C]` (same layout)
pub struct TransformerDecoder {
    /// The layers, applied in order.
    pub layers: Vec<TransformerDecoderLayer>,
    /// Optional LayerNorm on the output of the last layer.
    pub norm: Option<LayerNorm>,
}

impl TransformerDecoder {
    /// `num_layers` deep copies of `decoder_layer`, then `norm` if given.
    pub fn new(
        decoder_layer: TransformerDecoderLayer,
        num_layers: usize,
        norm: Option<LayerNorm>,
    ) -> TransformerDecoder {
        let layers = (0..num_layers).map(|_| decoder_layer.deep_copy()).collect();
        TransformerDecoder { layers, norm }
    }

    /// Every layer applied to `tgt`, attending to `memory`, with the same masks; then
    /// the final norm.
    ///
    /// # Panics
    /// If `tgt` or `memory` does not fit the layers or a mask has the wrong shape.
    #[track_caller]
    pub fn forward(&self, tgt: &Var, memory: &Var, masks: &DecoderMasks) -> Var {
        let x = self
            .layers
            .iter()
            .fold(tgt.clone(), |x, layer| layer.forward(&x, memory, masks));
        final_norm(&self.norm, x)
    }

    /// [`TransformerDecoder::forward`], also returning each layer's cross-attention
    /// weights averaged over the heads (see
    /// [`TransformerDecoderLayer::forward_with_cross_attention`]), first layer first.
    ///
    /// # Shapes
    /// Output as `forward`; each weights tensor `[B, T_tgt, T_src]`.
    ///
    /// # Panics
    /// As [`TransformerDecoder::forward`].
    #[track_caller]
    pub fn forward_with_cross_attention(
        &self,
        tgt: &Var,
        memory: &Var,
        masks: &DecoderMasks,
    ) -> (Var, Vec<Var>) {
        let mut weights = Vec::with_capacity(self.layers.len());
        let mut x = tgt.clone();
        for layer in &self.layers {
            let (out, w) = layer.forward_with_cross_attention(&x, memory, masks);
            weights.push(w);
            x = out;
        }
        (final_norm(&self.norm, x), weights)
    }

    /// An empty cache for [`TransformerDecoder::forward_cached`], one per decoding run.
    pub fn new_cache(&self) -> StackCache {
        StackCache::new(self.layers.len())
    }

    /// The stack on new target positions `tgt` only, each layer reading the earlier
    /// positions from its cache (incremental decoding, see [`super::cache`]): with
    /// `tgt_is_causal`, feeding a target one position at a time gives the rows of one
    /// causal [`TransformerDecoder::forward`]. `tgt_key_padding_mask` covers every
    /// position read, `[B, T_cached + T_new]`.
    ///
    /// # Shapes
    /// `tgt` and output `[T_new, B, C]`, `memory` `[T_src, B, C]` (same layout).
    ///
    /// # Panics
    /// As [`TransformerDecoder::forward`], and if `cache` was made for another stack
    /// or batch size.
    #[track_caller]
    pub fn forward_cached(
        &self,
        tgt: &Var,
        memory: &Var,
        masks: &DecoderMasks,
        cache: &mut StackCache,
    ) -> Var {
        stack_cached(
            "TransformerDecoder",
            &self.layers,
            &self.norm,
            cache,
            tgt,
            |layer, x, c| layer.forward_cached(x, memory, masks, c),
        )
    }
}

impl Module for TransformerDecoder {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        visit_stack(&self.layers, &self.norm, prefix, f);
    }

    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }
}
