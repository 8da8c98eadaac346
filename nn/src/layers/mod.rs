//! The layers, one file each. Read [`linear`] first: every other layer follows its
//! pattern (PyTorch names and init, an input check naming the layer, `visit_params`).

pub mod activation;
pub mod linear;
pub mod sequential;
