//! Learning-rate schedules: pure functions from the step to the learning rate.
//!
//! ```text
//! step:  0 1 2 ...        the number of optimizer steps already taken
//! lr(step)                the lr for the update made at that step:
//!                         for step in 0..n { opt.set_lr(sched.lr(step)); opt.step(); }
//! ```
//! `lr(step)` equals what PyTorch's scheduler puts in `optimizer.param_groups[0]["lr"]`
//! after `step` calls of `scheduler.step()`, with the same base lr; a schedule holds
//! no state, so it can be evaluated anywhere (plotted, resumed at step 10 000).
//!
//! | schedule | lr(t) | PyTorch |
//! |---|---|---|
//! | [`Constant`] | `lr` | — |
//! | [`StepLR`] | `lr · γ^⌊t/s⌋` | `StepLR` |
//! | [`MultiStepLR`] | `lr · γ^#{milestones ≤ t}` | `MultiStepLR` |
//! | [`ExponentialLR`] | `lr · γᵗ` | `ExponentialLR` |
//! | [`PolynomialLR`] | `lr · (1 − min(t, T)/T)^p` | `PolynomialLR` |
//! | [`LinearWarmup`] | `lr · (f + (1 − f) min(t, W)/W)` | `LinearLR` |
//! | [`CosineAnnealing`] | `η_min + (lr − η_min)(1 + cos(π t/T))/2` | `CosineAnnealingLR` |
//! | [`WarmupCosine`] | linear warmup, then cosine down to a floor | (transformers' `get_cosine_schedule_with_warmup`) |
//! | [`Noam`] | `d^−½ · min(t^−½, t · W^−³ᐟ²)` | `LambdaLR` with that function |
//! | [`Sequential`] | one schedule after another at milestones | `SequentialLR` |
//! | [`Product`] | `a.lr(t) · b.lr(t)` | — |
//! | any `Fn(usize) -> f64` | itself | `LambdaLR` |
//!
//! To see one, draw it: `ferrograd::plot::lr_schedule` (in the facade, which owns the
//! plotting). Read next: [`crate::clip`].

mod decay;
mod warmup;

pub use decay::{ExponentialLR, MultiStepLR, PolynomialLR, StepLR};
pub use warmup::{CosineAnnealing, LinearWarmup, Noam, WarmupCosine};

use crate::check::check;

/// A learning rate as a function of the step (see the module doc for the convention).
pub trait LrSchedule {
    /// The learning rate for the update at `step` (0 for the first update).
    fn lr(&self, step: usize) -> f64;
}

/// Any function of the step is a schedule (PyTorch's `LambdaLR`, with the base lr
/// folded into the function).
///
/// ```
/// use ferrograd::optim::LrSchedule;
/// let halving = |step: usize| 0.1 * 0.5f64.powi(step as i32);
/// assert_eq!(halving.lr(2), 0.025);
/// ```
impl<F: Fn(usize) -> f64> LrSchedule for F {
    fn lr(&self, step: usize) -> f64 {
        self(step)
    }
}

/// The same learning rate at every step.
#[derive(Clone, Debug)]
pub struct Constant {
    /// The learning rate.
    pub lr: f64,
}

impl Constant {
    /// `lr(step) = lr`.
    pub fn new(lr: f64) -> Constant {
        Constant { lr }
    }
}

impl LrSchedule for Constant {
    fn lr(&self, _step: usize) -> f64 {
        self.lr
    }
}

/// Schedules one after another, as PyTorch's `SequentialLR`: from each milestone on,
/// the next schedule runs with its step counted from 0 at the milestone.
///
/// ```text
/// Sequential::new(a).then(5, b):   lr(t) = a.lr(t)       for t < 5
///                                  lr(t) = b.lr(t − 5)   for t ≥ 5
/// ```
///
/// # Examples
/// ```
/// use optim::LrSchedule;
/// use optim::schedule::{CosineAnnealing, LinearWarmup, Sequential};
/// let sched = Sequential::new(LinearWarmup::new(0.1, 5)).then(5, CosineAnnealing::new(0.1, 15));
/// assert_eq!(sched.lr(0), 0.0);
/// assert_eq!(sched.lr(5), 0.1); // the cosine starts at its peak
/// assert!((sched.lr(20) - 0.0).abs() < 1e-12);
/// ```
pub struct Sequential {
    schedules: Vec<Box<dyn LrSchedule>>,
    milestones: Vec<usize>,
}

impl Sequential {
    /// Start with `first`, which runs from step 0.
    pub fn new(first: impl LrSchedule + 'static) -> Sequential {
        Sequential {
            schedules: vec![Box::new(first)],
            milestones: Vec::new(),
        }
    }

    /// Switch to `next` at step `milestone`.
    ///
    /// # Panics
    /// If `milestone` is not after the previous milestone (or is 0 for the first one).
    #[track_caller]
    pub fn then(mut self, milestone: usize, next: impl LrSchedule + 'static) -> Sequential {
        let previous = self.milestones.last().copied();
        check(
            "Sequential",
            previous.map_or(milestone > 0, |p| milestone > p),
            format!("milestone {milestone} does not come after the previous one ({previous:?})"),
            "milestones must increase, starting above 0",
        );
        self.milestones.push(milestone);
        self.schedules.push(Box::new(next));
        self
    }
}

impl LrSchedule for Sequential {
    fn lr(&self, step: usize) -> f64 {
        let i = self.milestones.iter().filter(|&&m| m <= step).count();
        let start = if i == 0 { 0 } else { self.milestones[i - 1] };
        self.schedules[i].lr(step - start)
    }
}

/// The product of two schedules, e.g. a schedule times a factor schedule:
/// `Product::new(Noam::new(512, 4000), Constant::new(2.0))` is Noam with factor 2.
pub struct Product {
    a: Box<dyn LrSchedule>,
    b: Box<dyn LrSchedule>,
}

impl Product {
    /// `lr(step) = a.lr(step) · b.lr(step)`.
    pub fn new(a: impl LrSchedule + 'static, b: impl LrSchedule + 'static) -> Product {
        Product {
            a: Box::new(a),
            b: Box::new(b),
        }
    }
}

impl LrSchedule for Product {
    fn lr(&self, step: usize) -> f64 {
        self.a.lr(step) * self.b.lr(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_and_closure() {
        assert_eq!(Constant::new(0.3).lr(1000), 0.3);
        let f = |s: usize| s as f64;
        assert_eq!(f.lr(7), 7.0);
    }

    #[test]
    fn sequential_counts_each_schedule_from_its_milestone() {
        let sched = Sequential::new(|s: usize| s as f64)
            .then(3, |s: usize| 100.0 + s as f64)
            .then(5, Constant::new(-1.0));
        let values: Vec<f64> = (0..7).map(|s| sched.lr(s)).collect();
        assert_eq!(values, vec![0.0, 1.0, 2.0, 100.0, 101.0, -1.0, -1.0]);
    }

    #[test]
    fn product_multiplies() {
        let sched = Product::new(Constant::new(0.5), |s: usize| s as f64);
        assert_eq!(sched.lr(4), 2.0);
    }

    #[test]
    #[should_panic(
        expected = "Sequential: milestone 3 does not come after the previous one (Some(5))"
    )]
    fn decreasing_milestones_panic() {
        let _ = Sequential::new(Constant::new(1.0))
            .then(5, Constant::new(1.0))
            .then(3, Constant::new(1.0));
    }

    #[test]
    #[should_panic(
        expected = "Sequential: milestone 0 does not come after the previous one (None)"
    )]
    fn zero_first_milestone_panics() {
        let _ = Sequential::new(Constant::new(1.0)).then(0, Constant::new(1.0));
    }
}
