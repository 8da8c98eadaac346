//! Random tensors, all drawn from one seeded generator so that [`manual_seed`] makes
//! a whole run repeatable (as `torch.manual_seed`).
//!
//! The generator is a process-wide `StdRng` behind a mutex: draws happen in program
//! order, so the same seed gives the same numbers on every run with the same code.
//! Normal samples use the Box–Muller transform:
//! ```text
//! u1, u2 ~ U(0, 1]      z = sqrt(-2 ln u1) · cos(2π u2)  ~ N(0, 1)
//! ```
//! Read next: [`crate::elementwise`].

use std::sync::{Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::dtype::{DType, Element};
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

/// `len` dropout-mask values (see [`Tensor::dropout_mask`]) and, if `x` is given,
/// `x ⊙ mask`, drawn 256 at a time so each chunk of the mask is used while in cache.
fn draw_mask<T: Element>(len: usize, p: f64, x: Option<&[T]>) -> (Vec<T>, Vec<T>) {
    let threshold = (p * 4_294_967_296.0).round() as u64; // p · 2³²
    let scale = T::of(1.0 / (1.0 - p));
    let (mut mask, mut y) = (
        Vec::with_capacity(len),
        Vec::with_capacity(x.map_or(0, <[T]>::len)),
    );
    let mut bits = [0u32; 256];
    with_rng(|rng| {
        for start in (0..len).step_by(bits.len()) {
            let bits = &mut bits[..(len - start).min(256)];
            rng.fill(&mut bits[..]);
            // a select, not a branch: keeping is random, so a branch would mispredict
            let keep = |u: &u32| {
                if u64::from(*u) >= threshold {
                    scale
                } else {
                    T::zero()
                }
            };
            mask.extend(bits.iter().map(keep));
            if let Some(x) = x {
                let (x, m) = (&x[start..start + bits.len()], &mask[start..]);
                y.extend(x.iter().zip(m).map(|(&x, &m)| x * m));
            }
        }
    });
    (mask, y)
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

    /// The mask of inverted dropout: each element is `1/(1 − p)` with probability
    /// `1 − p` (kept) and `0` with probability `p` (dropped), in `dtype`.
    ///
    /// ```text
    /// u ~ U{0, .., 2³² − 1}         one 32-bit draw per element
    /// mᵢ = 1/(1 − p)  if u ≥ round(p · 2³²)      P(keep) = 1 − p  (to 2⁻³²)
    ///    = 0          otherwise
    /// ```
    /// One 32-bit integer per element, compared with a threshold, is all a Bernoulli
    /// draw needs: it costs half the generator output of a `f64` uniform, and the mask
    /// is written in its final form in one pass (no uniform tensor, no comparison and
    /// scaling passes).
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)` (a mask for `p = 1` would divide by zero).
    ///
    /// ```
    /// # use tensor::{DType, Tensor, manual_seed};
    /// manual_seed(3);
    /// let m = Tensor::dropout_mask(&[1000], 0.5, DType::F32).to_vec::<f32>();
    /// assert!(m.iter().all(|&v| v == 0.0 || v == 2.0));
    /// manual_seed(3); // the same seed gives the same mask
    /// assert_eq!(m, Tensor::dropout_mask(&[1000], 0.5, DType::F32).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn dropout_mask(shape: &[usize], p: f64, dtype: DType) -> Tensor {
        assert!(
            (0.0..1.0).contains(&p),
            "dropout_mask: p = {p} is not in [0, 1)"
        );
        fn mask<T: Element>(shape: &[usize], p: f64) -> Tensor {
            let (mask, _) = draw_mask::<T>(shape.iter().product(), p, None);
            Tensor::try_from_vec_of(mask, shape)
                .expect("internal error: the data has numel(shape) elements; this is a bug")
        }
        match dtype {
            DType::F32 => mask::<f32>(shape, p),
            DType::F64 => mask::<f64>(shape, p),
        }
    }

    /// Inverted dropout of `self`: `(self ⊙ m, m)` with `m` a fresh
    /// [`Tensor::dropout_mask`] (the same draws, so the same seed gives the same mask),
    /// both written in one pass, chunk by chunk, instead of a mask pass and a multiply.
    ///
    /// # Shapes
    /// `self`: any → `(y, m)`, each `self`'s shape.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)`.
    ///
    /// ```
    /// # use tensor::{DType, Tensor, manual_seed};
    /// let x = Tensor::full(&[1000], 3.0);
    /// manual_seed(5);
    /// let (y, m) = x.dropout(0.5);
    /// assert_eq!(y.to_vec::<f32>(), (&x * &m).to_vec::<f32>());
    /// manual_seed(5);
    /// assert_eq!(m.to_vec::<f32>(), Tensor::dropout_mask(&[1000], 0.5, DType::F32).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn dropout(&self, p: f64) -> (Tensor, Tensor) {
        assert!((0.0..1.0).contains(&p), "dropout: p = {p} is not in [0, 1)");
        fn apply<T: Element>(x: &Tensor, p: f64) -> (Tensor, Tensor) {
            let data = x
                .array::<T>()
                .as_slice()
                .expect("internal error: dropout reads a contiguous tensor; this is a bug");
            let (mask, y) = draw_mask(data.len(), p, Some(data));
            let tensor = |v: Vec<T>| {
                Tensor::try_from_vec_of(v, x.shape())
                    .expect("internal error: one number per element; this is a bug")
            };
            (tensor(y), tensor(mask))
        }
        let x = self.contiguous();
        match self.dtype() {
            DType::F32 => apply::<f32>(&x, p),
            DType::F64 => apply::<f64>(&x, p),
        }
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

    #[test]
    fn dropout_masks_keep_one_minus_p() {
        // (Repeatability with the seed is checked in the doc example: it runs in its own
        // process, while unit tests share the global generator with other threads.)
        for (p, dtype) in [(0.1, DType::F32), (0.5, DType::F64), (0.9, DType::F32)] {
            let m: Vec<f64> = Tensor::dropout_mask(&[20_000], p, dtype).to_vec();
            let kept = m.iter().filter(|&&v| v != 0.0).count() as f64 / m.len() as f64;
            assert!((kept - (1.0 - p)).abs() < 0.015, "p {p}: kept {kept}");
            let scale = 1.0 / (1.0 - p);
            assert!(m.iter().all(|&v| v == 0.0 || (v - scale).abs() < 1e-6));
        }
        assert!(Tensor::dropout_mask(&[100], 0.0, DType::F32).to_vec::<f32>() == [1.0; 100]);
    }
}
