//! The options of [`MultiheadAttention`](super::multihead::MultiheadAttention):
//! [`MhaConfig`] (constructor arguments, PyTorch's defaults) and [`MhaOptions`] (the
//! optional arguments of `forward`: masks and which weights to return).
//! Read next: [`super::multihead`].

use tensor::Tensor;

/// The constructor options of [`MultiheadAttention`](super::multihead::MultiheadAttention), PyTorch's defaults:
/// `MhaConfig::new(8, 2).dropout(0.1).batch_first(true)`.
#[derive(Clone, Debug, PartialEq)]
pub struct MhaConfig {
    /// Model width `E` (queries' features and the output's).
    pub embed_dim: usize,
    /// Number of heads `H`; must divide `embed_dim`.
    pub num_heads: usize,
    /// Dropout on the attention weights, in training (default 0).
    pub dropout: f64,
    /// Whether the projections have biases (default true).
    pub bias: bool,
    /// Features of the keys (default `embed_dim`).
    pub kdim: usize,
    /// Features of the values (default `embed_dim`).
    pub vdim: usize,
    /// Inputs and output are `[B, T, E]` instead of `[T, B, E]` (default false).
    pub batch_first: bool,
}

impl MhaConfig {
    /// `embed_dim` split over `num_heads`, with PyTorch's defaults for the rest.
    pub fn new(embed_dim: usize, num_heads: usize) -> MhaConfig {
        MhaConfig {
            embed_dim,
            num_heads,
            dropout: 0.0,
            bias: true,
            kdim: embed_dim,
            vdim: embed_dim,
            batch_first: false,
        }
    }
    /// Set the dropout probability on the attention weights.
    pub fn dropout(mut self, dropout: f64) -> MhaConfig {
        self.dropout = dropout;
        self
    }
    /// Set whether the projections have biases.
    pub fn bias(mut self, bias: bool) -> MhaConfig {
        self.bias = bias;
        self
    }
    /// Set the keys' feature count.
    pub fn kdim(mut self, kdim: usize) -> MhaConfig {
        self.kdim = kdim;
        self
    }
    /// Set the values' feature count.
    pub fn vdim(mut self, vdim: usize) -> MhaConfig {
        self.vdim = vdim;
        self
    }
    /// Set whether inputs and output are batch-major.
    pub fn batch_first(mut self, batch_first: bool) -> MhaConfig {
        self.batch_first = batch_first;
        self
    }

    /// The layer as PyTorch would be called, for error messages.
    pub(crate) fn describe(&self) -> String {
        let mut s = format!(
            "MultiheadAttention(embed_dim={}, num_heads={}",
            self.embed_dim, self.num_heads
        );
        if self.kdim != self.embed_dim || self.vdim != self.embed_dim {
            s += &format!(", kdim={}, vdim={}", self.kdim, self.vdim);
        }
        if self.batch_first {
            s += ", batch_first=true";
        }
        s + ")"
    }
}

/// The optional arguments of [`MultiheadAttention::forward`](super::multihead::MultiheadAttention::forward), PyTorch's defaults
/// (`need_weights` and `average_attn_weights` true, no masks):
/// `MhaOptions { is_causal: true, ..Default::default() }`.
#[derive(Clone, Copy, Debug)]
pub struct MhaOptions<'a> {
    /// `[B, T_k]` (`[T_k]` unbatched): keys to ignore, e.g. padding. Bool with `true` =
    /// ignore this key (PyTorch's reading), or float, added to the scores.
    pub key_padding_mask: Option<&'a Tensor>,
    /// Also return the attention weights.
    pub need_weights: bool,
    /// `[T_q, T_k]` or `[B·H, T_q, T_k]` (`[H, T_q, T_k]` unbatched). Bool with
    /// `true` = may NOT attend (PyTorch's `MultiheadAttention` reading, the opposite of
    /// `scaled_dot_product_attention`'s), or float, added to the scores.
    pub attn_mask: Option<&'a Tensor>,
    /// Return the weights averaged over heads (`[B, T_q, T_k]`) instead of per head
    /// (`[B, H, T_q, T_k]`).
    pub average_attn_weights: bool,
    /// Mask every key after its query (the causal mask is built here).
    pub is_causal: bool,
}

impl Default for MhaOptions<'_> {
    fn default() -> Self {
        MhaOptions {
            key_padding_mask: None,
            need_weights: true,
            attn_mask: None,
            average_attn_weights: true,
            is_causal: false,
        }
    }
}
