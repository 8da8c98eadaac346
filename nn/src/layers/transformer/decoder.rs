//! `TransformerDecoder`, as `torch.nn.TransformerDecoder`: `num_layers` copies of a
//! decoder layer, each attending to the same memory, then an optional final LayerNorm.
//!
//! ```text
//! x = layers.0(tgt, memory) → … → layers.{N−1}(x, memory) → norm(x)   (norm if given)
//! ```
//! The layers start as deep copies of the layer passed in, as in PyTorch.
//! Read next: [`super::transformer`].

use autograd::Var;

use super::DecoderMasks;
use super::decoder_layer::TransformerDecoderLayer;
use crate::layers::layer_norm::LayerNorm;
use crate::module::{Forward, Module, child_prefix};

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
        match &self.norm {
            Some(norm) => norm.forward(&x),
            None => x,
        }
    }
}

impl Module for TransformerDecoder {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        for (i, layer) in self.layers.iter().enumerate() {
            layer.visit_params(&child_prefix(prefix, &format!("layers.{i}")), f);
        }
        if let Some(norm) = &self.norm {
            norm.visit_params(&child_prefix(prefix, "norm"), f);
        }
    }

    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }
}
