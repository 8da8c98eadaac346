//! The layers, one file each. Read [`linear`] first: every other layer follows its
//! pattern (PyTorch names and init, an input check naming the layer, `visit_params`).

pub mod activation;
pub mod attention;
pub mod batch_norm;
pub mod conv;
pub mod decoder_only;
pub mod dropout;
pub mod embedding;
pub mod feed_forward;
pub mod flatten;
pub mod group_norm;
pub mod layer_norm;
pub mod linear;
pub mod pool;
pub mod positional;
pub mod rms_norm;
pub mod rnn;
pub mod sequential;
pub mod transformer;
