//! `optim` (being written)
pub mod adam;
pub mod adamw;
pub mod optimizer;
pub mod sgd;
mod state;
#[cfg(test)]
mod test_util;
pub use adam::Adam;
pub use adamw::AdamW;
pub use optimizer::{Optimizer, ParamGroup};
pub use sgd::SGD;
