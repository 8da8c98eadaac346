//! `optim`: optimizers, learning-rate schedules and gradient clipping.
//!
//! ```text
//! for step in 0..steps {
//!     opt.zero_grad();                 // forget last step's gradients
//!     let loss = ...; loss.backward(); // fill p.grad() for every parameter
//!     clip_grad_norm(&params, 1.0, 2.0);
//!     opt.set_lr(schedule.lr(step));   // the schedule is a pure function of the step
//!     opt.step();                      // θ ← update(θ, g, state)
//! }
//! ```
//! Reading order: [`optimizer`] (the trait, parameter groups) → [`sgd`] → [`adam`] →
//! [`adamw`] → [`rmsprop`], [`adagrad`], [`sparse_adam`] → [`schedule`] → [`clip`].
//! Every optimizer equals PyTorch's on the same gradient sequence
//! (`optim/tests/pytorch_reference.rs`), with PyTorch's defaults.

pub mod adagrad;
pub mod adam;
pub mod adamw;
mod check;
pub mod clip;
pub mod optimizer;
pub mod rmsprop;
pub mod schedule;
pub mod sgd;
pub mod sparse_adam;
mod state;
#[cfg(test)]
mod test_util;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamw::AdamW;
pub use clip::{clip_grad_norm, clip_grad_value};
pub use optimizer::{Optimizer, ParamGroup};
pub use rmsprop::RMSprop;
pub use schedule::LrSchedule;
pub use sgd::SGD;
pub use sparse_adam::SparseAdam;
pub use state::OptimizerCore;
