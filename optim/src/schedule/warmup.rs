//! Warmup and cosine schedules, and the Transformer's Noam schedule.
//!
//! ```text
//! LinearWarmup     lr · (f + (1 − f) · min(t, W)/W)              ╱▔▔▔▔▔▔
//! CosineAnnealing  η_min + (lr − η_min) · (1 + cos(π t/T)) / 2   ▔╲_  (period 2T, as PyTorch)
//! WarmupCosine     t < W:      lr · t/W                          ╱▔╲_
//!                  W ≤ t ≤ T:  η_min + (lr − η_min)(1 + cos(π (t−W)/(T−W)))/2
//!                  t > T:      η_min
//! Noam             factor · d_model^−½ · min(s^−½, s · W^−³ᐟ²),  s = max(t, 1)
//! ```
//! Warmup exists because Adam's second moment `v` is a poor estimate in the first
//! steps, so early updates are large and noisy; growing the lr from (near) 0 keeps
//! them small until `v` has settled.
//! Draw any of them with `ferrograd::plot::lr_schedule`.

use std::f64::consts::PI;

use super::LrSchedule;
use crate::check::check;

/// Linear warmup from `f · lr` to `lr` over `W` steps, then constant (PyTorch's
/// `LinearLR` with `end_factor = 1`).
///
/// `f = start_factor` defaults to 0 (so step 0 has lr 0, as in transformers'
/// schedules); PyTorch's `LinearLR` defaults to 1/3. `W = 0` means no warmup.
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::LinearWarmup;
/// let sched = LinearWarmup::new(0.1, 4);
/// assert_eq!((sched.lr(0), sched.lr(2), sched.lr(4), sched.lr(100)), (0.0, 0.05, 0.1, 0.1));
/// ```
#[derive(Clone, Debug)]
pub struct LinearWarmup {
    lr: f64,
    warmup_steps: usize,
    start_factor: f64,
}

impl LinearWarmup {
    /// Warm up to `lr` over `warmup_steps` steps, starting from 0.
    pub fn new(lr: f64, warmup_steps: usize) -> LinearWarmup {
        LinearWarmup {
            lr,
            warmup_steps,
            start_factor: 0.0,
        }
    }

    /// Start from `start_factor · lr` instead of 0.
    ///
    /// # Panics
    /// If `start_factor` is outside `[0, 1]`.
    #[track_caller]
    pub fn start_factor(mut self, start_factor: f64) -> LinearWarmup {
        let message = format!("start_factor {start_factor} is outside [0, 1]");
        check(
            "LinearWarmup",
            (0.0..=1.0).contains(&start_factor),
            message,
            "e.g. 0.1",
        );
        self.start_factor = start_factor;
        self
    }
}

impl LrSchedule for LinearWarmup {
    fn lr(&self, step: usize) -> f64 {
        if self.warmup_steps == 0 {
            return self.lr;
        }
        let done = step.min(self.warmup_steps) as f64 / self.warmup_steps as f64;
        self.lr * (self.start_factor + (1.0 - self.start_factor) * done)
    }
}

/// Cosine annealing from `lr` at step 0 to `η_min` at step `T` (PyTorch's
/// `CosineAnnealingLR`). As in PyTorch, the cosine continues past `T` (it rises again,
/// period `2T`); use [`WarmupCosine`] or [`super::Sequential`] to hold a floor instead.
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::CosineAnnealing;
/// let sched = CosineAnnealing::new(1.0, 10).eta_min(0.1);
/// assert_eq!((sched.lr(0), sched.lr(10)), (1.0, 0.1));
/// assert!((sched.lr(5) - 0.55).abs() < 1e-12); // halfway: the mean of lr and η_min
/// ```
#[derive(Clone, Debug)]
pub struct CosineAnnealing {
    lr: f64,
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealing {
    /// Anneal `lr` to 0 over `t_max` steps (see [`CosineAnnealing::eta_min`]).
    ///
    /// # Panics
    /// If `t_max` is 0.
    #[track_caller]
    pub fn new(lr: f64, t_max: usize) -> CosineAnnealing {
        check(
            "CosineAnnealing",
            t_max > 0,
            "t_max is 0".to_string(),
            "use t_max >= 1",
        );
        CosineAnnealing {
            lr,
            t_max,
            eta_min: 0.0,
        }
    }

    /// The lowest learning rate, reached at `t_max` (default 0).
    pub fn eta_min(mut self, eta_min: f64) -> CosineAnnealing {
        self.eta_min = eta_min;
        self
    }
}

impl LrSchedule for CosineAnnealing {
    fn lr(&self, step: usize) -> f64 {
        let phase = PI * step as f64 / self.t_max as f64;
        self.eta_min + (self.lr - self.eta_min) * (1.0 + phase.cos()) / 2.0
    }
}

/// Linear warmup from 0 to `lr` over `warmup_steps`, then a cosine decay to `min_lr`
/// at `total_steps`, then `min_lr` (the usual schedule for transformers; transformers'
/// `get_cosine_schedule_with_warmup` when `min_lr = 0`).
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::WarmupCosine;
/// let sched = WarmupCosine::new(1e-3, 100, 1_000).min_lr(1e-5);
/// assert_eq!(sched.lr(0), 0.0);
/// assert!((sched.lr(50) - 5e-4).abs() < 1e-15); // halfway up
/// assert!((sched.lr(100) - 1e-3).abs() < 1e-15); // end of warmup: the peak
/// assert_eq!(sched.lr(1_000), 1e-5);
/// assert_eq!(sched.lr(5_000), 1e-5); // the floor holds
/// ```
#[derive(Clone, Debug)]
pub struct WarmupCosine {
    lr: f64,
    warmup_steps: usize,
    total_steps: usize,
    min_lr: f64,
}

impl WarmupCosine {
    /// Peak `lr` after `warmup_steps`, decaying to 0 at `total_steps`.
    ///
    /// # Panics
    /// If `warmup_steps > total_steps`.
    #[track_caller]
    pub fn new(lr: f64, warmup_steps: usize, total_steps: usize) -> WarmupCosine {
        check(
            "WarmupCosine",
            warmup_steps <= total_steps,
            format!("warmup_steps {warmup_steps} is more than total_steps {total_steps}"),
            "the warmup is part of the total: use warmup_steps <= total_steps",
        );
        WarmupCosine {
            lr,
            warmup_steps,
            total_steps,
            min_lr: 0.0,
        }
    }

    /// The floor reached at `total_steps` and kept afterwards (default 0).
    pub fn min_lr(mut self, min_lr: f64) -> WarmupCosine {
        self.min_lr = min_lr;
        self
    }
}

impl LrSchedule for WarmupCosine {
    fn lr(&self, step: usize) -> f64 {
        let (warmup, total) = (self.warmup_steps, self.total_steps);
        if step < warmup {
            return self.lr * step as f64 / warmup as f64;
        }
        if step >= total {
            return self.min_lr;
        }
        let progress = (step - warmup) as f64 / (total - warmup) as f64;
        self.min_lr + (self.lr - self.min_lr) * (1.0 + (PI * progress).cos()) / 2.0
    }
}

/// The schedule of "Attention Is All You Need" (§5.3):
/// `factor · d_model^−½ · min(s^−½, s · W^−³ᐟ²)`, rising linearly for `W` warmup steps,
/// then decaying as `1/√s`; the peak is at `s = W`.
///
/// The paper counts steps from 1, and at `s = 0` the formula gives 0 (a wasted first
/// update), so `s = max(step, 1)`: step 0 uses the lr of step 1, as the Annotated
/// Transformer does.
///
/// # Examples
/// ```
/// use ferrograd::optim::LrSchedule;
/// use ferrograd::optim::schedule::Noam;
/// let sched = Noam::new(512, 4000);
/// let peak = 512f64.powf(-0.5) * 4000f64.powf(-0.5);
/// assert!((sched.lr(4000) - peak).abs() < 1e-15);
/// assert_eq!(sched.lr(0), sched.lr(1));
/// ```
#[derive(Clone, Debug)]
pub struct Noam {
    d_model: usize,
    warmup_steps: usize,
    factor: f64,
}

impl Noam {
    /// Noam's schedule for a model of width `d_model` with `warmup_steps` of warmup.
    ///
    /// # Panics
    /// If `d_model` or `warmup_steps` is 0.
    #[track_caller]
    pub fn new(d_model: usize, warmup_steps: usize) -> Noam {
        check(
            "Noam",
            d_model > 0,
            "d_model is 0".to_string(),
            "pass the model width, e.g. 512",
        );
        check(
            "Noam",
            warmup_steps > 0,
            "warmup_steps is 0".to_string(),
            "the paper uses 4000",
        );
        Noam {
            d_model,
            warmup_steps,
            factor: 1.0,
        }
    }

    /// Multiply the whole schedule by `factor` (default 1; the Annotated Transformer
    /// uses 1 or 2).
    pub fn factor(mut self, factor: f64) -> Noam {
        self.factor = factor;
        self
    }
}

impl LrSchedule for Noam {
    fn lr(&self, step: usize) -> f64 {
        let s = step.max(1) as f64;
        let w = self.warmup_steps as f64;
        self.factor * (self.d_model as f64).powf(-0.5) * s.powf(-0.5).min(s * w.powf(-1.5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_warmup_with_start_factor() {
        let s = LinearWarmup::new(1.0, 4).start_factor(0.2);
        // 0.2 + 0.8·t/4
        assert_eq!((s.lr(0), s.lr(4), s.lr(5)), (0.2, 1.0, 1.0));
        assert!((s.lr(2) - 0.6).abs() < 1e-15);
        assert_eq!(LinearWarmup::new(0.5, 0).lr(0), 0.5);
    }

    #[test]
    fn cosine_is_periodic_past_t_max_as_pytorch() {
        let s = CosineAnnealing::new(1.0, 10);
        assert!((s.lr(20) - 1.0).abs() < 1e-15); // cos(2π) = 1
        assert!((s.lr(15) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn warmup_cosine_start_end_of_warmup_midpoint_end() {
        let s = WarmupCosine::new(1.0, 10, 110).min_lr(0.2);
        assert_eq!(s.lr(0), 0.0);
        assert_eq!(s.lr(5), 0.5);
        assert_eq!(s.lr(10), 1.0);
        assert!((s.lr(60) - 0.6).abs() < 1e-15); // midpoint of the cosine: (1 + 0.2)/2
        assert_eq!(s.lr(110), 0.2);
        assert_eq!(s.lr(1_000), 0.2);
        let no_decay = WarmupCosine::new(1.0, 5, 5).min_lr(0.1);
        assert_eq!((no_decay.lr(4), no_decay.lr(5)), (0.8, 0.1));
    }

    #[test]
    fn noam_matches_its_formula() {
        let s = Noam::new(64, 16).factor(2.0);
        for step in [1usize, 2, 15, 16, 17, 100, 10_000] {
            let t = step as f64;
            let expected = 2.0 * 64f64.powf(-0.5) * f64::min(t.powf(-0.5), t * 16f64.powf(-1.5));
            assert_eq!(s.lr(step), expected, "step {step}");
        }
        assert_eq!(s.lr(0), s.lr(1));
        // rises before the warmup ends, falls after
        assert!(s.lr(8) < s.lr(16) && s.lr(16) > s.lr(32));
    }

    #[test]
    #[should_panic(expected = "WarmupCosine: warmup_steps 20 is more than total_steps 10")]
    fn warmup_longer_than_total_panics() {
        WarmupCosine::new(1.0, 20, 10);
    }

    #[test]
    #[should_panic(expected = "Noam: warmup_steps is 0")]
    fn noam_without_warmup_panics() {
        Noam::new(512, 0);
    }

    #[test]
    #[should_panic(expected = "LinearWarmup: start_factor 1.5 is outside [0, 1]")]
    fn bad_start_factor_panics() {
        LinearWarmup::new(1.0, 3).start_factor(1.5);
    }

    #[test]
    #[should_panic(expected = "CosineAnnealing: t_max is 0")]
    fn zero_t_max_panics() {
        CosineAnnealing::new(1.0, 0);
    }
}
