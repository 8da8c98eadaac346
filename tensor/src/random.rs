//! Random tensors, all drawn from one seeded generator so that [`manual_seed`] makes
//! a whole run repeatable (as `torch.manual_seed`).
//!
//! The generator is a process-wide `StdRng` behind a mutex: draws happen in program
//! order, so the same seed gives the same numbers on every run with the same code.
//! Dropout masks, the bulk of the draws in training, take one key from it and expand
//! it with a cheaper counter-based generator ([`dropout`]).
//! Normal samples use the Box–Muller transform:
//! ```text
//! u1, u2 ~ U(0, 1]      z = sqrt(-2 ln u1) · cos(2π u2)  ~ N(0, 1)
//! ```
//! Read next: [`dropout`], then [`crate::elementwise`].

pub mod dropout;

use std::sync::{Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::tensor::Tensor;

/// The seed used until [`manual_seed`] is called.
const DEFAULT_SEED: u64 = 0x5EED;

static GENERATOR: Mutex<Option<StdRng>> = Mutex::new(None);

/// Reset the global generator: every random tensor and every op that draws (dropout,
/// init, data shuffling) is repeatable after the same seed.
pub fn manual_seed(seed: u64) {
    *generator() = Some(StdRng::seed_from_u64(seed));
}

fn generator() -> MutexGuard<'static, Option<StdRng>> {
    // A panic while holding the lock leaves a usable generator; ignore the poison.
    GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Run `f` with the global generator (for code outside this crate that draws, such as
/// dropout masks or data shuffling), so one seed governs everything.
pub fn with_rng<R>(f: impl FnOnce(&mut StdRng) -> R) -> R {
    let mut guard = generator();
    f(guard.get_or_insert_with(|| StdRng::seed_from_u64(DEFAULT_SEED)))
}

/// One standard-normal sample by Box–Muller.
fn standard_normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.r#gen::<f64>(); // in (0, 1], so ln(u1) is finite
    let u2: f64 = rng.r#gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

impl Tensor {
    /// f32 tensor with elements drawn from `U(low, high)`.
    pub fn uniform(shape: &[usize], low: f64, high: f64) -> Tensor {
        let n = shape.iter().product();
        let data = with_rng(|rng| {
            (0..n)
                .map(|_| (low + (high - low) * rng.r#gen::<f64>()) as f32)
                .collect()
        });
        Tensor::from_vec(data, shape)
    }

    /// f32 tensor with elements drawn from `N(mean, std²)`.
    pub fn normal(shape: &[usize], mean: f64, std: f64) -> Tensor {
        let n = shape.iter().product();
        let data = with_rng(|rng| {
            (0..n)
                .map(|_| (mean + std * standard_normal(rng)) as f32)
                .collect()
        });
        Tensor::from_vec(data, shape)
    }

    /// f32 tensor with elements drawn from `U(0, 1)`, as `torch.rand`.
    pub fn rand(shape: &[usize]) -> Tensor {
        Tensor::uniform(shape, 0.0, 1.0)
    }

    /// f32 tensor with elements drawn from `N(0, 1)`, as `torch.randn`.
    ///
    /// ```
    /// # use tensor::{Tensor, manual_seed};
    /// manual_seed(7);
    /// let a = Tensor::randn(&[3]).to_vec::<f32>();
    /// manual_seed(7);
    /// assert_eq!(a, Tensor::randn(&[3]).to_vec::<f32>());
    /// ```
    pub fn randn(shape: &[usize]) -> Tensor {
        Tensor::normal(shape, 0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_samples_have_the_right_moments() {
        let v: Vec<f64> = Tensor::normal(&[20_000], 2.0, 3.0).to_vec();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!((mean - 2.0).abs() < 0.1, "mean {mean}");
        assert!((var.sqrt() - 3.0).abs() < 0.1, "std {}", var.sqrt());
        let u: Vec<f64> = Tensor::uniform(&[1000], -1.0, 1.0).to_vec();
        assert!(u.iter().all(|&x| (-1.0..1.0).contains(&x)));
    }
}
