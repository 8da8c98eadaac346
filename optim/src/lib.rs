//! `optim` (being written)
pub mod adagrad;
pub mod adam;
pub mod adamw;
pub mod optimizer;
pub mod rmsprop;
pub mod sgd;
pub mod sparse_adam;
mod state;
#[cfg(test)]
mod test_util;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamw::AdamW;
pub use optimizer::{Optimizer, ParamGroup};
pub use rmsprop::RMSprop;
pub use sgd::SGD;
pub use sparse_adam::SparseAdam;
