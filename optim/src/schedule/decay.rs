//! Decay schedules: step, multi-step, exponential and polynomial decay of a base lr.
//!
//! ```text
//! StepLR         lr · γ^⌊t / step_size⌋           ▔▔▔▔▁▁▁▁▁▁▁▁__
//! MultiStepLR    lr · γ^#{m ∈ milestones: m ≤ t}   ▔▔▔▔▔▔▁▁▁▁▁__
//! ExponentialLR  lr · γᵗ                          ▔▔╲▁▁__
//! PolynomialLR   lr · (1 − min(t, T)/T)^power     ▔▔▔╲__ ending at 0 at step T
//! ```
//! Closed forms of PyTorch's recursive schedulers (they agree to rounding).
//! Read next: [`super::warmup`].

use super::LrSchedule;
use crate::check::check;

/// `lr · γ^⌊t / step_size⌋`: multiply by γ every `step_size` steps (PyTorch's `StepLR`).
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::StepLR;
/// let sched = StepLR::new(0.1, 3, 0.5);
/// assert_eq!((sched.lr(2), sched.lr(3), sched.lr(6)), (0.1, 0.05, 0.025));
/// ```
#[derive(Clone, Debug)]
pub struct StepLR {
    lr: f64,
    step_size: usize,
    gamma: f64,
}

impl StepLR {
    /// Start at `lr`, multiply by `gamma` every `step_size` steps.
    ///
    /// # Panics
    /// If `step_size` is 0.
    #[track_caller]
    pub fn new(lr: f64, step_size: usize, gamma: f64) -> StepLR {
        check(
            "StepLR",
            step_size > 0,
            "step_size is 0".to_string(),
            "use step_size >= 1",
        );
        StepLR {
            lr,
            step_size,
            gamma,
        }
    }
}

impl LrSchedule for StepLR {
    fn lr(&self, step: usize) -> f64 {
        self.lr * self.gamma.powf((step / self.step_size) as f64)
    }
}

/// `lr · γ^k`, with k the number of milestones reached (PyTorch's `MultiStepLR`; a
/// milestone listed twice counts twice, as there).
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::MultiStepLR;
/// let sched = MultiStepLR::new(1.0, vec![2, 5], 0.1);
/// assert_eq!((sched.lr(1), sched.lr(2), sched.lr(5)), (1.0, 0.1, 1.0 * 0.1 * 0.1));
/// ```
#[derive(Clone, Debug)]
pub struct MultiStepLR {
    lr: f64,
    milestones: Vec<usize>,
    gamma: f64,
}

impl MultiStepLR {
    /// Start at `lr`, multiply by `gamma` at each of `milestones`.
    pub fn new(lr: f64, milestones: Vec<usize>, gamma: f64) -> MultiStepLR {
        MultiStepLR {
            lr,
            milestones,
            gamma,
        }
    }
}

impl LrSchedule for MultiStepLR {
    fn lr(&self, step: usize) -> f64 {
        let reached = self.milestones.iter().filter(|&&m| m <= step).count();
        self.lr * self.gamma.powf(reached as f64)
    }
}

/// `lr · γᵗ` (PyTorch's `ExponentialLR`).
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::ExponentialLR;
/// assert_eq!(ExponentialLR::new(1.0, 0.5).lr(3), 0.125);
/// ```
#[derive(Clone, Debug)]
pub struct ExponentialLR {
    lr: f64,
    gamma: f64,
}

impl ExponentialLR {
    /// Start at `lr`, multiply by `gamma` every step.
    pub fn new(lr: f64, gamma: f64) -> ExponentialLR {
        ExponentialLR { lr, gamma }
    }
}

impl LrSchedule for ExponentialLR {
    fn lr(&self, step: usize) -> f64 {
        self.lr * self.gamma.powf(step as f64)
    }
}

/// `lr · (1 − min(t, T)/T)^power`: down to 0 at step `T = total_steps`, then 0
/// (PyTorch's `PolynomialLR` with `total_iters = T`; power 1 is a linear decay).
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::PolynomialLR;
/// let sched = PolynomialLR::new(1.0, 4).power(2.0);
/// assert_eq!((sched.lr(0), sched.lr(2), sched.lr(4), sched.lr(9)), (1.0, 0.25, 0.0, 0.0));
/// ```
#[derive(Clone, Debug)]
pub struct PolynomialLR {
    lr: f64,
    total_steps: usize,
    power: f64,
}

impl PolynomialLR {
    /// Decay `lr` to 0 over `total_steps` steps, linearly until [`PolynomialLR::power`]
    /// says otherwise.
    ///
    /// # Panics
    /// If `total_steps` is 0.
    #[track_caller]
    pub fn new(lr: f64, total_steps: usize) -> PolynomialLR {
        check(
            "PolynomialLR",
            total_steps > 0,
            "total_steps is 0".to_string(),
            "use total_steps >= 1",
        );
        PolynomialLR {
            lr,
            total_steps,
            power: 1.0,
        }
    }

    /// The exponent of the decay (default 1.0, PyTorch's).
    pub fn power(mut self, power: f64) -> PolynomialLR {
        self.power = power;
        self
    }
}

impl LrSchedule for PolynomialLR {
    fn lr(&self, step: usize) -> f64 {
        let done = step.min(self.total_steps) as f64 / self.total_steps as f64;
        self.lr * (1.0 - done).powf(self.power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lr_start_boundary_and_later() {
        let s = StepLR::new(0.1, 3, 0.5);
        let values: Vec<f64> = (0..7).map(|t| s.lr(t)).collect();
        assert_eq!(values, vec![0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
    }

    #[test]
    fn multistep_counts_unsorted_and_repeated_milestones() {
        let s = MultiStepLR::new(8.0, vec![4, 1, 4], 0.5);
        // t = 0: 8; t ≥ 1: 4; t ≥ 4: two more halvings = 1
        assert_eq!((s.lr(0), s.lr(1), s.lr(3), s.lr(4)), (8.0, 4.0, 4.0, 1.0));
    }

    #[test]
    fn exponential_and_polynomial() {
        assert_eq!(ExponentialLR::new(2.0, 0.5).lr(0), 2.0);
        let p = PolynomialLR::new(1.0, 10);
        assert_eq!((p.lr(0), p.lr(5), p.lr(10), p.lr(11)), (1.0, 0.5, 0.0, 0.0));
    }

    #[test]
    #[should_panic(expected = "StepLR: step_size is 0")]
    fn zero_step_size_panics() {
        StepLR::new(0.1, 0, 0.5);
    }

    #[test]
    #[should_panic(expected = "PolynomialLR: total_steps is 0")]
    fn zero_total_steps_panics() {
        PolynomialLR::new(0.1, 0);
    }
}
