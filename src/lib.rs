//! ferrograd: a deep-learning framework written from scratch for people who learn by
//! reading it. This facade re-exports the crates and a [`prelude`].

pub use autograd;
pub use nn;
pub use optim;
pub use tensor;

/// Everything a notebook or example usually needs: `use ferrograd::prelude::*;`.
pub mod prelude {
    pub use tensor::{DType, Tensor, manual_seed};
}
