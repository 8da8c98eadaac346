//! `nn`: modules with named parameters, initialisation, layers, losses and metrics.
//!
//! Reading order: [`module`] (the `Module` trait) → [`init`] → [`layers::linear`] →
//! the other layers → [`functional`] (overflow-safe normalising) → [`loss`] → [`metrics`]
//! → [`layers::decoder_only`] (GPT, LLaMA) → [`masked_lm`] (BERT's masking)
//! → [`decoding`] (greedy, beam search, sampling).
//! Parameter names, shapes, gate orders and default inits follow PyTorch, so a
//! ferrograd model and a PyTorch model with the same weights give the same outputs.

pub mod checkpoint;
pub mod decoding;
pub mod functional;
pub mod init;
pub mod layers;
pub mod masked_lm;
pub mod module;

pub use checkpoint::{StateDict, load, load_state_dict, save, state_dict};
pub use layers::activation::{ELU, GELU, LeakyReLU, ReLU, SiLU, Sigmoid, Softmax, Tanh};
pub use layers::linear::Linear;
pub use layers::sequential::Sequential;
pub use module::{Forward, Module};
pub mod loss;
pub mod metrics;
pub use layers::attention::additive::AdditiveAttention;
pub use layers::attention::causal_self_attention::{CausalAttentionConfig, CausalSelfAttention};
pub use layers::attention::multiplicative::{LuongAttention, LuongScore};
pub use layers::attention::scaled_dot_product::scaled_dot_product_attention;
pub use layers::attention::seq2seq::ProjectedKeys;
pub use layers::attention::{causal_mask, multihead::MultiheadAttention};
pub use layers::attention::{config::MhaConfig, config::MhaOptions};
pub use layers::batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use layers::conv::{Conv, Conv1d, Conv2d};
pub use layers::decoder_only::gpt::{GPT, GPTBlock, GPTConfig};
pub use layers::decoder_only::llama::{Llama, LlamaBlock, LlamaConfig};
pub use layers::dropout::Dropout;
pub use layers::embedding::Embedding;
pub use layers::feed_forward::{Mlp, SwiGLU};
pub use layers::flatten::Flatten;
pub use layers::group_norm::GroupNorm;
pub use layers::layer_norm::LayerNorm;
pub use layers::pool::{AdaptiveAvgPool2d, AvgPool2d, MaxPool, MaxPool1d, MaxPool2d};
pub use layers::positional::apply_rotary;
pub use layers::positional::{LearnedPositionalEncoding, SinusoidalPositionalEncoding};
pub use layers::rms_norm::RMSNorm;
pub use layers::rnn::rnn::{Nonlinearity, RNN};
pub use layers::rnn::{
    RnnConfig, cell::GRUCell, cell::LSTMCell, cell::RNNCell, gru::GRU, lstm::LSTM,
};
pub use layers::transformer::decoder_layer::TransformerDecoderLayer;
pub use layers::transformer::encoder_layer::TransformerEncoderLayer;
pub use layers::transformer::transformer::{Transformer, TransformerMasks};
pub use layers::transformer::{DecoderMasks, EncoderMasks, TransformerLayerConfig};
pub use layers::transformer::{decoder::TransformerDecoder, encoder::TransformerEncoder};
pub use masked_lm::{IGNORE_INDEX, MlmMasking, mask_tokens};
