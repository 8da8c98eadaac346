//! `Transformer`, as `torch.nn.Transformer`: an encoder stack and a decoder stack,
//! each ending in a LayerNorm.
//!
//! ```text
//! memory = encoder(src)            encoder.layers.0 … encoder.layers.{N−1}, encoder.norm
//! output = decoder(tgt, memory)    decoder.layers.0 … decoder.layers.{M−1}, decoder.norm
//! ```
//! Init, as PyTorch's `_reset_parameters`: after building, every parameter with more
//! than one dim (all the weight matrices) is redrawn from xavier_uniform; biases and
//! LayerNorms keep their defaults. There are no embeddings or output projection: a
//! translation model adds token embeddings, positional encodings
//! ([`crate::layers::positional`]) and a `Linear` to the vocabulary around it.
//! Read next: the optimizers (`optim`).

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::decoder::TransformerDecoder;
use super::decoder_layer::TransformerDecoderLayer;
use super::encoder::TransformerEncoder;
use super::encoder_layer::TransformerEncoderLayer;
use super::{DecoderMasks, EncoderMasks, TransformerLayerConfig};
use crate::init;
use crate::layers::attention::causal_mask;
use crate::module::{Module, child_prefix};

/// Every mask of [`Transformer::forward`], PyTorch's argument names; `Default` is no
/// masks. A decoder that must not peek ahead sets `tgt_is_causal: true` (or passes
/// `tgt_mask: Some(&Transformer::generate_square_subsequent_mask(T))`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TransformerMasks<'a> {
    /// Encoder self-attention mask, `[T_src, T_src]` or `[B·H, T_src, T_src]`.
    pub src_mask: Option<&'a Tensor>,
    /// Decoder self-attention mask, `[T_tgt, T_tgt]` or `[B·H, T_tgt, T_tgt]`.
    pub tgt_mask: Option<&'a Tensor>,
    /// Cross-attention mask, `[T_tgt, T_src]` or `[B·H, T_tgt, T_src]`.
    pub memory_mask: Option<&'a Tensor>,
    /// `[B, T_src]`: padding in the source.
    pub src_key_padding_mask: Option<&'a Tensor>,
    /// `[B, T_tgt]`: padding in the target.
    pub tgt_key_padding_mask: Option<&'a Tensor>,
    /// `[B, T_src]`: padding in the memory (usually `src_key_padding_mask` again).
    pub memory_key_padding_mask: Option<&'a Tensor>,
    /// Causal encoder self-attention.
    pub src_is_causal: bool,
    /// Causal decoder self-attention.
    pub tgt_is_causal: bool,
    /// Causal cross-attention.
    pub memory_is_causal: bool,
}

impl<'a> TransformerMasks<'a> {
    /// The encoder's share of the masks.
    pub fn encoder(&self) -> EncoderMasks<'a> {
        EncoderMasks {
            src_mask: self.src_mask,
            src_key_padding_mask: self.src_key_padding_mask,
            is_causal: self.src_is_causal,
        }
    }

    /// The decoder's share of the masks.
    pub fn decoder(&self) -> DecoderMasks<'a> {
        DecoderMasks {
            tgt_mask: self.tgt_mask,
            memory_mask: self.memory_mask,
            tgt_key_padding_mask: self.tgt_key_padding_mask,
            memory_key_padding_mask: self.memory_key_padding_mask,
            tgt_is_causal: self.tgt_is_causal,
            memory_is_causal: self.memory_is_causal,
        }
    }
}

/// An encoder-decoder Transformer; see the [module docs](self).
///
/// # Shapes
/// - `src`: `[T_src, B, C]`, `tgt`: `[T_tgt, B, C]` (`[B, T, C]` with `batch_first`;
///   `[T, C]` unbatched)
/// - output: `tgt`'s shape
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::transformer::TransformerLayerConfig;
/// use ferrograd::nn::layers::transformer::transformer::{Transformer, TransformerMasks};
/// use ferrograd::nn::Module;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let model = Transformer::new(TransformerLayerConfig::new(8, 2).dim_feedforward(16), 2, 2);
/// let src = Var::new(Tensor::randn(&[6, 3, 8]));
/// let tgt = Var::new(Tensor::randn(&[4, 3, 8]));
/// let masks = TransformerMasks { tgt_is_causal: true, ..Default::default() };
/// assert_eq!(model.forward(&src, &tgt, &masks).shape(), vec![4, 3, 8]);
/// assert_eq!(model.named_parameters()[0].0, "encoder.layers.0.self_attn.in_proj_weight");
/// ```
pub struct Transformer {
    /// The encoder stack with its final `norm`.
    pub encoder: TransformerEncoder,
    /// The decoder stack with its final `norm`.
    pub decoder: TransformerDecoder,
    /// The options of every layer.
    pub config: TransformerLayerConfig,
}

impl Transformer {
    /// `num_encoder_layers` encoder layers and `num_decoder_layers` decoder layers
    /// built from `config`, with final LayerNorms; weight matrices xavier_uniform.
    ///
    /// # Panics
    /// If `nhead` does not divide `d_model` or dropout is not in [0, 1].
    #[track_caller]
    pub fn new(
        config: TransformerLayerConfig,
        num_encoder_layers: usize,
        num_decoder_layers: usize,
    ) -> Transformer {
        let encoder = TransformerEncoder::new(
            TransformerEncoderLayer::new(config.clone()),
            num_encoder_layers,
            Some(config.layer_norm()),
        );
        let decoder = TransformerDecoder::new(
            TransformerDecoderLayer::new(config.clone()),
            num_decoder_layers,
            Some(config.layer_norm()),
        );
        let model = Transformer {
            encoder,
            decoder,
            config,
        };
        model.visit_params("", &mut |_, p| {
            if p.dims() > 1 {
                p.set_value(init::xavier_uniform(&p.shape(), 1.0));
            }
        });
        model
    }

    /// The decoder's output for `tgt`, attending to the encoded `src`.
    ///
    /// # Panics
    /// If `src` and `tgt` differ in rank or batch size, either is not `[.., d_model]`,
    /// or a mask has the wrong shape.
    #[track_caller]
    pub fn forward(&self, src: &Var, tgt: &Var, masks: &TransformerMasks) -> Var {
        self.check_inputs(src, tgt);
        let memory = self.encoder.forward_masked(src, &masks.encoder());
        self.decoder.forward(tgt, &memory, &masks.decoder())
    }

    /// The causal mask for `sz` positions, as PyTorch's
    /// `Transformer.generate_square_subsequent_mask`: a float tensor, −∞ above the
    /// diagonal and 0 elsewhere (the same as [`causal_mask`]).
    pub fn generate_square_subsequent_mask(sz: usize) -> Tensor {
        causal_mask(sz)
    }

    #[track_caller]
    fn check_inputs(&self, src: &Var, tgt: &Var) {
        let (s, t) = (src.shape(), tgt.shape());
        let d_model = self.config.d_model;
        let batch_dim = if self.config.batch_first { 0 } else { 1 };
        let problem = if s.len() != t.len() || !(s.len() == 2 || s.len() == 3) {
            "src and tgt must both be 3-d (batched) or both 2-d (unbatched)"
        } else if s.len() == 3 && s[batch_dim] != t[batch_dim] {
            "the batch sizes of src and tgt must be equal"
        } else if s[s.len() - 1] != d_model || t[t.len() - 1] != d_model {
            "the feature sizes of src and tgt must equal d_model"
        } else {
            return;
        };
        Error::new(
            "Transformer",
            ErrorKind::Shape,
            format!(
                "{}: {problem} (src {s:?}, tgt {t:?})",
                self.config.describe("Transformer")
            ),
        )
        .raise();
    }
}

impl Module for Transformer {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.encoder
            .visit_params(&child_prefix(prefix, "encoder"), f);
        self.decoder
            .visit_params(&child_prefix(prefix, "decoder"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.encoder.set_training(training);
        self.decoder.set_training(training);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Transformer {
        Transformer::new(
            TransformerLayerConfig::new(4, 2)
                .dim_feedforward(6)
                .dropout(0.0),
            2,
            1,
        )
    }

    #[test]
    fn weight_matrices_are_redrawn_so_layers_differ() {
        let model = small();
        let w = |i: usize| {
            model.encoder.layers[i]
                .linear1
                .weight
                .value()
                .to_vec::<f32>()
        };
        assert_ne!(w(0), w(1));
        // xavier_uniform on [6, 4]: bound √(6 / 10)
        assert!(w(0).iter().all(|v| v.abs() <= 0.6f32.sqrt()));
        let bias = model.encoder.layers[0]
            .self_attn
            .in_proj_bias
            .as_ref()
            .unwrap();
        assert!(
            bias.value().to_vec::<f32>().iter().all(|&v| v == 0.0),
            "biases keep their init"
        );
        let names: Vec<String> = model
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(names.contains(&"encoder.norm.weight".to_string()));
        assert!(names.contains(&"decoder.layers.0.multihead_attn.out_proj.bias".to_string()));
    }

    #[test]
    fn the_subsequent_mask_is_pytorchs() {
        let m = Transformer::generate_square_subsequent_mask(2);
        assert_eq!(m.to_vec::<f32>(), vec![0.0, f32::NEG_INFINITY, 0.0, 0.0]);
    }

    #[test]
    #[should_panic(
        expected = "the batch sizes of src and tgt must be equal (src [3, 2, 4], tgt [2, 3, 4])"
    )]
    fn batch_sizes_must_agree() {
        let src = Var::new(Tensor::zeros(&[3, 2, 4]));
        let tgt = Var::new(Tensor::zeros(&[2, 3, 4]));
        small().forward(&src, &tgt, &TransformerMasks::default());
    }
}
