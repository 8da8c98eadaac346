//! `TransformerEncoder`, as `torch.nn.TransformerEncoder`: `num_layers` copies of an
//! encoder layer applied in turn, then an optional final LayerNorm.
//!
//! ```text
//! x = layers.0(src) → layers.1(x) → … → layers.{N−1}(x) → norm(x)   (norm if given)
//! ```
//! As in PyTorch, the layers are deep copies of the layer passed in, so they *start*
//! with equal weights (and are trained apart). `nn.Transformer` re-initialises them
//! (see [`super::transformer`]). A final `norm` is usual with pre-norm layers, whose
//! output is otherwise never normalised.
//! Read next: [`super::decoder`].

use autograd::Var;

use super::cache::StackCache;
use super::encoder_layer::TransformerEncoderLayer;
use super::{EncoderMasks, final_norm, stack_cached, visit_stack};
use crate::layers::layer_norm::LayerNorm;
use crate::module::{Forward, Module};

/// A stack of encoder layers, named `layers.0.`, `layers.1.`, … and `norm.`.
///
/// # Shapes
/// `src` and output: `[T, B, C]` (`[B, T, C]` with `batch_first`, or `[T, C]`).
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::transformer::{TransformerLayerConfig, encoder::TransformerEncoder};
/// use ferrograd::nn::layers::transformer::encoder_layer::TransformerEncoderLayer;
/// use ferrograd::nn::Module;
/// let layer = TransformerEncoderLayer::new(TransformerLayerConfig::new(8, 2).dim_feedforward(16));
/// let encoder = TransformerEncoder::new(layer, 2, None);
/// assert_eq!(encoder.named_parameters()[0].0, "layers.0.self_attn.in_proj_weight");
/// ```
pub struct TransformerEncoder {
    /// The layers, applied in order.
    pub layers: Vec<TransformerEncoderLayer>,
    /// Optional LayerNorm on the output of the last layer.
    pub norm: Option<LayerNorm>,
}

impl TransformerEncoder {
    /// `num_layers` deep copies of `encoder_layer`, then `norm` if given.
    pub fn new(
        encoder_layer: TransformerEncoderLayer,
        num_layers: usize,
        norm: Option<LayerNorm>,
    ) -> TransformerEncoder {
        let layers = (0..num_layers).map(|_| encoder_layer.deep_copy()).collect();
        TransformerEncoder { layers, norm }
    }

    /// Every layer applied to `src` with the same masks, then the final norm.
    ///
    /// # Panics
    /// If `src` does not fit the layers or a mask has the wrong shape.
    #[track_caller]
    pub fn forward_masked(&self, src: &Var, masks: &EncoderMasks) -> Var {
        let x = self
            .layers
            .iter()
            .fold(src.clone(), |x, layer| layer.forward_masked(&x, masks));
        final_norm(&self.norm, x)
    }

    /// An empty cache for [`TransformerEncoder::forward_cached`], one per decoding run.
    pub fn new_cache(&self) -> StackCache {
        StackCache::new(self.layers.len())
    }

    /// The stack on new positions `src` only, each layer reading the earlier positions
    /// from its cache: incremental decoding with a decoder-only model (GPT: encoder
    /// layers with `is_causal`). The key padding mask covers every position read,
    /// `[B, T_cached + T_new]`.
    ///
    /// # Shapes
    /// `src` and output `[T_new, B, C]` (`[B, T_new, C]` with `batch_first`).
    ///
    /// # Panics
    /// As [`TransformerEncoder::forward_masked`], and if `cache` was made for another
    /// stack or batch size.
    #[track_caller]
    pub fn forward_cached(&self, src: &Var, masks: &EncoderMasks, cache: &mut StackCache) -> Var {
        stack_cached(
            "TransformerEncoder",
            &self.layers,
            &self.norm,
            cache,
            src,
            |layer, x, c| layer.forward_cached(x, masks, c),
        )
    }
}

impl Module for TransformerEncoder {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        visit_stack(&self.layers, &self.norm, prefix, f);
    }

    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }
}

impl Forward for TransformerEncoder {
    /// The stack without masks.
    #[track_caller]
    fn forward(&self, src: &Var) -> Var {
        self.forward_masked(src, &EncoderMasks::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::transformer::TransformerLayerConfig;

    #[test]
    fn layers_start_equal_but_own_their_parameters() {
        let layer =
            TransformerEncoderLayer::new(TransformerLayerConfig::new(4, 2).dim_feedforward(6));
        let encoder = TransformerEncoder::new(layer, 2, Some(LayerNorm::new(&[4])));
        let w = |i: usize| encoder.layers[i].linear1.weight.clone();
        assert_eq!(w(0).value().to_vec::<f32>(), w(1).value().to_vec::<f32>());
        w(0).set_value(tensor::Tensor::zeros(&[6, 4]));
        assert_ne!(w(1).value().to_vec::<f32>(), vec![0.0; 24]);
        let names: Vec<String> = encoder
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names[12], "layers.1.self_attn.in_proj_weight");
        assert_eq!(names[names.len() - 2..], ["norm.weight", "norm.bias"]);
    }
}
