//! `no_grad`: a scope in which ops record no graph (evaluation, optimizer updates).
//!
//! The switch is thread-local, like PyTorch's `torch.no_grad()`: a scope on one
//! thread does not affect another (rayon workers start with gradients enabled).
//! Read next: [`crate::gradcheck`](mod@crate::gradcheck).

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread currently record the graph.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Run `f` without recording the graph; outputs are constants. Restores the previous
/// state afterwards, also if `f` panics.
///
/// ```
/// # use ferrograd::autograd::{Var, no_grad};
/// # use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::ones(&[2]));
/// let y = no_grad(|| &w * 2.0);
/// assert!(!y.wants_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            GRAD_ENABLED.with(|g| g.set(self.0));
        }
    }
    let _restore = Restore(GRAD_ENABLED.with(|g| g.replace(false)));
    f()
}
