//! `TransformerDecoderLayer`, as `torch.nn.TransformerDecoderLayer`: self-attention
//! over the target, cross-attention from the target to the encoder's output (the
//! memory), and a feed-forward block; each with a residual connection and a LayerNorm.
//!
//! ```text
//! norm_first = false (post-norm, PyTorch's default):
//!   x = norm1(x + dropout1(self_attn(x, x, x)))                 tgt_mask, causal
//!   x = norm2(x + dropout2(multihead_attn(x, memory, memory)))  memory_mask
//!   x = norm3(x + dropout3(linear2(dropout(act(linear1(x))))))
//! norm_first = true (pre-norm):
//!   x = x + dropout1(self_attn(norm1(x)))
//!   x = x + dropout2(multihead_attn(norm2(x), memory, memory))
//!   x = x + dropout3(FF(norm3(x)))
//! ```
//! Children (PyTorch's names): `self_attn`, `multihead_attn`, `linear1`, `dropout`,
//! `linear2`, `norm1`, `norm2`, `norm3`, `dropout1`, `dropout2`, `dropout3`.
//! Read next: [`super::encoder`].

use autograd::Var;

use super::cache::LayerCache;
use super::{
    DecoderMasks, TransformerLayerConfig, attention_block, attention_options, feed_forward,
    residual,
};
use crate::layers::attention::multihead::MhaOptions;
use crate::layers::attention::multihead::MultiheadAttention;
use crate::layers::dropout::Dropout;
use crate::layers::layer_norm::LayerNorm;
use crate::layers::linear::Linear;
use crate::module::{Forward, Module, child_prefix};

/// One decoder layer; see the [module docs](self).
///
/// # Shapes
/// - `tgt` and output: `[T_tgt, B, C]` (`[B, T_tgt, C]` with `batch_first`, or `[T_tgt, C]`)
/// - `memory`: `[T_src, B, C]` (same layout)
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::transformer::{DecoderMasks, TransformerLayerConfig};
/// use ferrograd::nn::layers::transformer::decoder_layer::TransformerDecoderLayer;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let layer = TransformerDecoderLayer::new(TransformerLayerConfig::new(8, 2).dim_feedforward(16));
/// let tgt = Var::new(Tensor::randn(&[4, 3, 8]));
/// let memory = Var::new(Tensor::randn(&[6, 3, 8]));
/// let masks = DecoderMasks { tgt_is_causal: true, ..Default::default() };
/// assert_eq!(layer.forward(&tgt, &memory, &masks).shape(), vec![4, 3, 8]);
/// ```
pub struct TransformerDecoderLayer {
    /// Multi-head self-attention over the target.
    pub self_attn: MultiheadAttention,
    /// Multi-head cross-attention: queries from the target, keys and values from the memory.
    pub multihead_attn: MultiheadAttention,
    /// `C → dim_feedforward`.
    pub linear1: Linear,
    /// Dropout inside the feed-forward block.
    pub dropout: Dropout,
    /// `dim_feedforward → C`.
    pub linear2: Linear,
    /// LayerNorm of the self-attention block.
    pub norm1: LayerNorm,
    /// LayerNorm of the cross-attention block.
    pub norm2: LayerNorm,
    /// LayerNorm of the feed-forward block.
    pub norm3: LayerNorm,
    /// Dropout on the self-attention block's output.
    pub dropout1: Dropout,
    /// Dropout on the cross-attention block's output.
    pub dropout2: Dropout,
    /// Dropout on the feed-forward block's output.
    pub dropout3: Dropout,
    /// The options it was built with.
    pub config: TransformerLayerConfig,
}

impl TransformerDecoderLayer {
    /// A layer with PyTorch's default init for every child.
    ///
    /// # Panics
    /// If `nhead` does not divide `d_model` or dropout is not in [0, 1].
    #[track_caller]
    pub fn new(config: TransformerLayerConfig) -> TransformerDecoderLayer {
        let (c, f, p) = (config.d_model, config.dim_feedforward, config.dropout);
        TransformerDecoderLayer {
            self_attn: MultiheadAttention::with_config(config.attention()),
            multihead_attn: MultiheadAttention::with_config(config.attention()),
            linear1: config.linear(c, f),
            dropout: Dropout::new(p),
            linear2: config.linear(f, c),
            norm1: config.layer_norm(),
            norm2: config.layer_norm(),
            norm3: config.layer_norm(),
            dropout1: Dropout::new(p),
            dropout2: Dropout::new(p),
            dropout3: Dropout::new(p),
            config,
        }
    }

    /// The layer applied to `tgt`, attending to `memory`.
    ///
    /// # Panics
    /// If `tgt` or `memory` is not `[.., d_model]` of rank 2 or 3, their batch sizes
    /// differ, or a mask has the wrong shape.
    #[track_caller]
    pub fn forward(&self, tgt: &Var, memory: &Var, masks: &DecoderMasks) -> Var {
        self.forward_weighted(tgt, memory, masks, false).0
    }

    /// [`TransformerDecoderLayer::forward`], also returning the cross-attention
    /// weights averaged over the heads: row `t` is how target position `t` spreads its
    /// attention over the memory positions (each row sums to 1), what a translation's
    /// alignment heat map draws.
    ///
    /// # Shapes
    /// Output as `forward`; weights `[B, T_tgt, T_src]` (`[T_tgt, T_src]` unbatched).
    ///
    /// # Panics
    /// As [`TransformerDecoderLayer::forward`].
    #[track_caller]
    pub fn forward_with_cross_attention(
        &self,
        tgt: &Var,
        memory: &Var,
        masks: &DecoderMasks,
    ) -> (Var, Var) {
        let (out, weights) = self.forward_weighted(tgt, memory, masks, true);
        (out, weights.expect("need_weights returns the weights"))
    }

    /// The layer, with the cross-attention weights when `need_weights`.
    #[track_caller]
    fn forward_weighted(
        &self,
        tgt: &Var,
        memory: &Var,
        masks: &DecoderMasks,
        need_weights: bool,
    ) -> (Var, Option<Var>) {
        let (self_options, cross_options) = self.options(tgt, memory, masks);
        let cross_options = MhaOptions {
            need_weights,
            ..cross_options
        };
        let mut weights = None;
        let out = self.layer(
            tgt,
            |x| attention_block(&self.self_attn, &self.dropout1, x, x, &self_options),
            |x| {
                let (attended, w) = self
                    .multihead_attn
                    .forward(x, memory, memory, &cross_options);
                weights = w;
                self.dropout2.forward(&attended)
            },
        );
        (out, weights)
    }

    /// The layer on new target positions `tgt` only (incremental decoding): the
    /// self-attention reads the earlier positions from `cache`, and the cross-attention
    /// computes the memory's keys and values at the first step and keeps them. Masks
    /// cover every position read: `tgt_key_padding_mask` is `[B, T_cached + T_new]`.
    ///
    /// # Shapes
    /// `tgt` and output `[T_new, B, C]`, `memory` `[T_src, B, C]` (same layout).
    ///
    /// # Panics
    /// As [`TransformerDecoderLayer::forward`], and if the cache holds another batch
    /// size.
    #[track_caller]
    pub fn forward_cached(
        &self,
        tgt: &Var,
        memory: &Var,
        masks: &DecoderMasks,
        cache: &mut LayerCache,
    ) -> Var {
        let (self_options, cross_options) = self.options(tgt, memory, masks);
        self.layer(
            tgt,
            |x| {
                let attended =
                    self.self_attn
                        .forward_cached(x, &mut cache.self_attn, &self_options);
                self.dropout1.forward(&attended)
            },
            |x| {
                let attended = self.multihead_attn.forward_memory_cached(
                    x,
                    memory,
                    &mut cache.memory,
                    &cross_options,
                );
                self.dropout2.forward(&attended)
            },
        )
    }

    /// Checks the inputs; the self- and cross-attention options of `masks`.
    #[track_caller]
    fn options<'a>(
        &self,
        tgt: &Var,
        memory: &Var,
        masks: &DecoderMasks<'a>,
    ) -> (MhaOptions<'a>, MhaOptions<'a>) {
        self.config
            .check_input("TransformerDecoderLayer", "tgt", tgt);
        self.config
            .check_input("TransformerDecoderLayer", "memory", memory);
        (
            attention_options(
                masks.tgt_mask,
                masks.tgt_key_padding_mask,
                masks.tgt_is_causal,
            ),
            attention_options(
                masks.memory_mask,
                masks.memory_key_padding_mask,
                masks.memory_is_causal,
            ),
        )
    }

    /// The three residual sublayers: `residual(norm1, self_attention)`, then
    /// `residual(norm2, cross_attention)`, then `residual(norm3, FF)`.
    fn layer(
        &self,
        tgt: &Var,
        self_attention: impl FnOnce(&Var) -> Var,
        cross_attention: impl FnOnce(&Var) -> Var,
    ) -> Var {
        let norm_first = self.config.norm_first;
        let x = residual(norm_first, &self.norm1, tgt, self_attention);
        let x = residual(norm_first, &self.norm2, &x, cross_attention);
        residual(norm_first, &self.norm3, &x, |x| {
            feed_forward(
                &self.linear1,
                self.config.activation,
                &self.dropout,
                &self.linear2,
                &self.dropout3,
                x,
            )
        })
    }

    /// A copy with its own parameters, equal to these (PyTorch's `copy.deepcopy`).
    pub fn deep_copy(&self) -> TransformerDecoderLayer {
        super::deep_copy(self, || TransformerDecoderLayer::new(self.config.clone()))
    }
}

impl Module for TransformerDecoderLayer {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.self_attn
            .visit_params(&child_prefix(prefix, "self_attn"), f);
        self.multihead_attn
            .visit_params(&child_prefix(prefix, "multihead_attn"), f);
        self.linear1
            .visit_params(&child_prefix(prefix, "linear1"), f);
        self.linear2
            .visit_params(&child_prefix(prefix, "linear2"), f);
        self.norm1.visit_params(&child_prefix(prefix, "norm1"), f);
        self.norm2.visit_params(&child_prefix(prefix, "norm2"), f);
        self.norm3.visit_params(&child_prefix(prefix, "norm3"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.self_attn.set_training(training);
        self.multihead_attn.set_training(training);
        for d in [
            &mut self.dropout,
            &mut self.dropout1,
            &mut self.dropout2,
            &mut self.dropout3,
        ] {
            d.set_training(training);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::Tensor;

    fn small() -> TransformerDecoderLayer {
        let mut layer =
            TransformerDecoderLayer::new(TransformerLayerConfig::new(4, 2).dim_feedforward(6));
        layer.eval();
        layer
    }

    #[test]
    fn parameters_have_pytorchs_names() {
        let names: Vec<String> = small()
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names.len(), 4 + 4 + 4 + 6);
        assert_eq!(names[4], "multihead_attn.in_proj_weight");
        assert_eq!(names[names.len() - 1], "norm3.bias");
    }

    #[test]
    fn causal_self_attention_hides_later_targets() {
        let layer = small();
        let memory = Var::new(Tensor::randn(&[5, 1, 4]));
        let tgt = Tensor::randn(&[3, 1, 4]);
        let mut changed = tgt.to_vec::<f32>();
        changed[8..].iter_mut().for_each(|v| *v += 1.0); // the last target position
        let masks = DecoderMasks {
            tgt_is_causal: true,
            ..Default::default()
        };
        let a = layer.forward(&Var::new(tgt), &memory, &masks).value();
        let b = layer
            .forward(
                &Var::new(Tensor::from_vec(changed, &[3, 1, 4])),
                &memory,
                &masks,
            )
            .value();
        // positions 0 and 1 cannot see position 2; position 2 changes
        assert_eq!(a.to_vec::<f32>()[..8], b.to_vec::<f32>()[..8]);
        assert_ne!(a.to_vec::<f32>()[8..], b.to_vec::<f32>()[8..]);
    }

    #[test]
    fn cross_attention_weights_are_those_of_the_query_after_self_attention() {
        let layer = small(); // Post-LN: the cross-attention's query is norm1(tgt + SA(tgt))
        let tgt = Var::new(Tensor::randn(&[3, 2, 4]));
        let memory = Var::new(Tensor::randn(&[5, 2, 4]));
        let padding =
            Tensor::from_vec_i64(vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 1], &[2, 5]).eq_scalar(1.0);
        let masks = DecoderMasks {
            tgt_is_causal: true,
            memory_key_padding_mask: Some(&padding),
            ..Default::default()
        };
        let (out, weights) = layer.forward_with_cross_attention(&tgt, &memory, &masks);
        assert_eq!(
            out.value().to_vec::<f32>(),
            layer.forward(&tgt, &memory, &masks).value().to_vec::<f32>()
        );
        let self_options = MhaOptions {
            is_causal: true,
            ..Default::default()
        };
        let (attended, _) = layer.self_attn.forward(&tgt, &tgt, &tgt, &self_options);
        let query = layer.norm1.forward(&(&tgt + &attended));
        let cross_options = MhaOptions {
            key_padding_mask: Some(&padding),
            ..Default::default()
        };
        let (_, expected) = layer
            .multihead_attn
            .forward(&query, &memory, &memory, &cross_options);
        let (weights, expected) = (weights.value(), expected.expect("need_weights").value());
        assert_eq!(weights.shape(), [2, 3, 5]);
        assert!((&weights - &expected).abs().max().item() < 1e-6);
        let row_sums = weights.sum_dim(-1, false).to_vec::<f32>();
        assert!(
            row_sums.iter().all(|s| (s - 1.0).abs() < 1e-5),
            "{row_sums:?}"
        );
        assert_eq!(weights.select(0, 1).narrow(1, 3, 2).abs().max().item(), 0.0); // padded keys
    }

    #[test]
    #[should_panic(
        expected = "TransformerDecoderLayer(d_model=4, nhead=2, batch_first=false): memory has shape [5, 1, 3]"
    )]
    fn the_memory_width_is_checked() {
        let tgt = Var::new(Tensor::zeros(&[3, 1, 4]));
        small().forward(
            &tgt,
            &Var::new(Tensor::zeros(&[5, 1, 3])),
            &DecoderMasks::default(),
        );
    }
}
