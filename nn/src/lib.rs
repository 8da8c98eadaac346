//! `nn`: modules with named parameters, initialisation, layers, losses and metrics.
//!
//! Reading order: [`module`] (the `Module` trait) → [`init`] → [`layers::linear`] →
//! the other layers → [`loss`] → [`metrics`].
//! Parameter names, shapes, gate orders and default inits follow PyTorch, so a
//! ferrograd model and a PyTorch model with the same weights give the same outputs.

pub mod checkpoint;
pub mod init;
pub mod layers;
pub mod module;

pub use checkpoint::{
    CheckpointError, LoadError, StateDict, load, load_state_dict, save, state_dict,
};
pub use layers::activation::{ELU, GELU, LeakyReLU, ReLU, SiLU, Sigmoid, Softmax, Tanh};
pub use layers::linear::Linear;
pub use layers::sequential::Sequential;
pub use module::{Forward, Module};
pub mod loss;
pub mod metrics;
