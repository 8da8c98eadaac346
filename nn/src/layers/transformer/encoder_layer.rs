//! `TransformerEncoderLayer`, as `torch.nn.TransformerEncoderLayer`: self-attention
//! and a feed-forward block, each with a residual connection and a LayerNorm.
//!
//! ```text
//! norm_first = false (post-norm, the paper and PyTorch's default):
//!   x = norm1(x + dropout1(self_attn(x, x, x)))
//!   x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))
//! norm_first = true (pre-norm, GPT-2 onwards; trains more easily when deep):
//!   x = x + dropout1(self_attn(norm1(x)))
//!   x = x + dropout2(linear2(dropout(act(linear1(norm2(x))))))
//! ```
//! Children (PyTorch's names): `self_attn`, `linear1` `[F, C]`, `dropout`, `linear2`
//! `[C, F]`, `norm1`, `norm2`, `dropout1`, `dropout2`; all with PyTorch's default init.
//! Read next: [`super::decoder_layer`].

use autograd::Var;

use super::cache::LayerCache;
use super::{
    EncoderMasks, TransformerLayerConfig, attention_block, attention_options, feed_forward,
    residual,
};
use crate::layers::attention::multihead::MultiheadAttention;
use crate::layers::dropout::Dropout;
use crate::layers::layer_norm::LayerNorm;
use crate::layers::linear::Linear;
use crate::module::{Forward, Module, child_prefix};

/// One encoder layer; see the [module docs](self).
///
/// # Shapes
/// `src` and output: `[T, B, C]` (`[B, T, C]` with `batch_first`, or `[T, C]`).
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::transformer::{TransformerLayerConfig, encoder_layer::TransformerEncoderLayer};
/// use ferrograd::nn::{Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let layer = TransformerEncoderLayer::new(TransformerLayerConfig::new(8, 2).dim_feedforward(16));
/// let y = layer.forward(&Var::new(Tensor::randn(&[5, 3, 8])));
/// assert_eq!(y.shape(), vec![5, 3, 8]);
/// // attention 3·8·8 + 3·8 + 8·8 + 8, linear1 16·8 + 16, linear2 8·16 + 8, norms 2·(8 + 8)
/// assert_eq!(layer.num_parameters(), 288 + 144 + 136 + 32);
/// ```
pub struct TransformerEncoderLayer {
    /// Multi-head self-attention.
    pub self_attn: MultiheadAttention,
    /// `C → dim_feedforward`.
    pub linear1: Linear,
    /// Dropout inside the feed-forward block.
    pub dropout: Dropout,
    /// `dim_feedforward → C`.
    pub linear2: Linear,
    /// LayerNorm of the attention block.
    pub norm1: LayerNorm,
    /// LayerNorm of the feed-forward block.
    pub norm2: LayerNorm,
    /// Dropout on the attention block's output.
    pub dropout1: Dropout,
    /// Dropout on the feed-forward block's output.
    pub dropout2: Dropout,
    /// The options it was built with.
    pub config: TransformerLayerConfig,
}

impl TransformerEncoderLayer {
    /// A layer with PyTorch's default init for every child.
    ///
    /// # Panics
    /// If `nhead` does not divide `d_model` or dropout is not in [0, 1].
    #[track_caller]
    pub fn new(config: TransformerLayerConfig) -> TransformerEncoderLayer {
        let (c, f, p) = (config.d_model, config.dim_feedforward, config.dropout);
        TransformerEncoderLayer {
            self_attn: MultiheadAttention::with_config(config.attention()),
            linear1: config.linear(c, f),
            dropout: Dropout::new(p),
            linear2: config.linear(f, c),
            norm1: config.layer_norm(),
            norm2: config.layer_norm(),
            dropout1: Dropout::new(p),
            dropout2: Dropout::new(p),
            config,
        }
    }

    /// The layer applied to `src` with masks.
    ///
    /// # Panics
    /// If `src` is not `[.., d_model]` of rank 2 or 3, or a mask has the wrong shape.
    #[track_caller]
    pub fn forward_masked(&self, src: &Var, masks: &EncoderMasks) -> Var {
        self.config
            .check_input("TransformerEncoderLayer", "src", src);
        let options =
            attention_options(masks.src_mask, masks.src_key_padding_mask, masks.is_causal);
        self.layer(src, |x| {
            attention_block(&self.self_attn, &self.dropout1, x, x, &options)
        })
    }

    /// The layer on new positions `src` only, their self-attention reading the
    /// earlier positions from `cache` (incremental decoding of a decoder-only stack, an
    /// encoder layer with `is_causal`). Masks cover every position read: the key
    /// padding mask is `[B, T_cached + T_new]`.
    ///
    /// # Shapes
    /// `src` and output `[T_new, B, C]` (`[B, T_new, C]` with `batch_first`).
    ///
    /// # Panics
    /// As [`TransformerEncoderLayer::forward_masked`], and if the cache holds another
    /// batch size.
    #[track_caller]
    pub fn forward_cached(&self, src: &Var, masks: &EncoderMasks, cache: &mut LayerCache) -> Var {
        self.config
            .check_input("TransformerEncoderLayer", "src", src);
        let options =
            attention_options(masks.src_mask, masks.src_key_padding_mask, masks.is_causal);
        self.layer(src, |x| {
            let attended = self
                .self_attn
                .forward_cached(x, &mut cache.self_attn, &options);
            self.dropout1.forward(&attended)
        })
    }

    /// The two residual sublayers around a self-attention block `self_attention`:
    /// `x = residual(norm1, self_attention)`, then `residual(norm2, FF)`.
    fn layer(&self, src: &Var, self_attention: impl FnOnce(&Var) -> Var) -> Var {
        let norm_first = self.config.norm_first;
        let x = residual(norm_first, &self.norm1, src, self_attention);
        residual(norm_first, &self.norm2, &x, |x| {
            feed_forward(
                &self.linear1,
                self.config.activation,
                &self.dropout,
                &self.linear2,
                &self.dropout2,
                x,
            )
        })
    }

    /// A copy with its own parameters, equal to these (PyTorch's `copy.deepcopy`).
    pub fn deep_copy(&self) -> TransformerEncoderLayer {
        super::deep_copy(self, || TransformerEncoderLayer::new(self.config.clone()))
    }
}

impl Module for TransformerEncoderLayer {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.self_attn
            .visit_params(&child_prefix(prefix, "self_attn"), f);
        self.linear1
            .visit_params(&child_prefix(prefix, "linear1"), f);
        self.linear2
            .visit_params(&child_prefix(prefix, "linear2"), f);
        self.norm1.visit_params(&child_prefix(prefix, "norm1"), f);
        self.norm2.visit_params(&child_prefix(prefix, "norm2"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.self_attn.set_training(training);
        for d in [&mut self.dropout, &mut self.dropout1, &mut self.dropout2] {
            d.set_training(training);
        }
    }
}

impl Forward for TransformerEncoderLayer {
    /// The layer without masks.
    #[track_caller]
    fn forward(&self, src: &Var) -> Var {
        self.forward_masked(src, &EncoderMasks::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::Tensor;

    fn small() -> TransformerLayerConfig {
        TransformerLayerConfig::new(4, 2).dim_feedforward(6)
    }

    #[test]
    fn parameters_have_pytorchs_names_in_pytorchs_order() {
        let names: Vec<String> = TransformerEncoderLayer::new(small())
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let expected = [
            "self_attn.in_proj_weight",
            "self_attn.in_proj_bias",
            "self_attn.out_proj.weight",
            "self_attn.out_proj.bias",
            "linear1.weight",
            "linear1.bias",
            "linear2.weight",
            "linear2.bias",
            "norm1.weight",
            "norm1.bias",
            "norm2.weight",
            "norm2.bias",
        ];
        assert_eq!(names, expected);
    }

    #[test]
    fn dropout_acts_in_training_only_and_post_norm_output_is_normalised() {
        let mut layer = TransformerEncoderLayer::new(small().dropout(0.5));
        let x = Var::new(Tensor::randn(&[3, 2, 4]));
        let (a, b) = (layer.forward(&x).value(), layer.forward(&x).value());
        assert_ne!(
            a.to_vec::<f32>(),
            b.to_vec::<f32>(),
            "training: random masks"
        );
        layer.eval();
        let (a, b) = (layer.forward(&x).value(), layer.forward(&x).value());
        assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>(), "eval: deterministic");
        // post-norm ends in norm2 (weight 1, bias 0): every position has mean 0
        let means: Vec<f32> = a.mean_dim(-1, false).to_vec();
        assert!(means.iter().all(|m| m.abs() < 1e-5), "{means:?}");
    }

    #[test]
    #[should_panic(
        expected = "TransformerEncoderLayer(d_model=4, nhead=2, batch_first=false): src has shape [3, 2, 5], expected [.., 4]"
    )]
    fn the_input_width_is_checked() {
        TransformerEncoderLayer::new(small()).forward(&Var::new(Tensor::zeros(&[3, 2, 5])));
    }
}
