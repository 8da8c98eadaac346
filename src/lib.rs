//! ferrograd: a deep-learning framework written from scratch for people who learn by
//! reading it.
//!
//! This facade re-exports the five crates, bottom to top:
//! - `ferrograd::tensor`: the n-d array (no gradients);
//! - `ferrograd::autograd`: `Var`, `backward`, one file per differentiable op, `gradcheck`;
//! - `ferrograd::nn`: modules, layers, losses, metrics;
//! - `ferrograd::optim`: optimizers, learning-rate schedules, gradient clipping;
//! - `ferrograd::search`: nearest-neighbour search (exact, IVF, HNSW), beside the others on `tensor`;
//!
//! plus [`data`] (the bundled data sets), [`plot`] (figures for notebooks), [`text`]
//! (tokenizers and BLEU), [`retrieval`] (a two-tower model searched with HNSW) and a [`prelude`] for notebooks, examples and tests: `use ferrograd::prelude::*;`.
//!
//! New here from PyTorch? Read [`coming_from_pytorch`] first.

pub mod data;
pub mod retrieval;
pub mod text;

pub use autograd;
pub use nn;
pub use optim;
pub use search;
pub use tensor;

/// Everything a notebook or example usually needs.
pub mod prelude {
    pub use autograd::{Var, gradcheck, no_grad};
    pub use nn::{Forward, Module};
    pub use optim::Optimizer;
    pub use tensor::{DType, Generator, Tensor, manual_seed};
}

#[doc = include_str!("../docs/coming_from_pytorch.md")]
pub mod coming_from_pytorch {}
pub mod plot;
