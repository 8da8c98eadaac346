//! Random tensors, and the rules that make a run repeatable.
//!
//! Every draw comes from a [`Generator`] (`torch.Generator`, SplitMix64): one the
//! caller passes to a `*_with` function, or else the calling thread's default one.
//! ```text
//! Tensor::randn(&[2, 3])               the thread's default generator
//! Tensor::randn_with(&[2, 3], &mut g)  g        (PyTorch: torch.randn(2, 3, generator=g))
//! ```
//! The rules:
//! 1. [`manual_seed`] seeds the default generator *of the calling thread*. Every
//!    thread's default generator starts from [`Generator::DEFAULT_SEED`], as a fresh
//!    process does. So a thread that seeds, builds a model and trains draws exactly
//!    what the same code draws alone in a fresh process, whatever other threads do at
//!    the same time. (PyTorch's default CPU generator is one per process, behind a
//!    lock: two threads that seed and train interleave their draws.)
//! 2. Draws happen on the calling thread, in program order. Kernels that run on
//!    rayon's worker threads never draw (a dropout mask is expanded from one key drawn
//!    before), so the numbers do not depend on how many threads compute.
//! 3. A generator passed explicitly is independent of the default one: drawing from
//!    it leaves the thread's stream where it was, and the other way round.
//! 4. What draws: [`Tensor::rand`], [`Tensor::randn`], [`Tensor::uniform`],
//!    [`Tensor::normal`], [`Tensor::randint`], [`Tensor::randperm`], the `ferrograd::nn::init`
//!    functions (so every layer's constructor), dropout (one draw per mask), and data
//!    shuffling. Each has a `*_with` twin that takes the generator; layers and
//!    `Var::dropout` use the thread's default, as PyTorch's modules use the global one.
//! 5. Save and resume: [`get_rng_state`] and [`set_rng_state`] (or
//!    [`Generator::get_state`] and [`Generator::set_state`]) give the state as a
//!    tensor to store beside a checkpoint; restored, the run draws what it would have.
//! 6. Threads that never seed all draw the same numbers (the same starting seed):
//!    seed each worker with its own seed (`base + worker index`) when they must differ.
//!
//! Read next: [`generator`] (the algorithm and the sampling formulas), then
//! [`dropout`], then [`crate::elementwise`].

pub mod dropout;
pub mod generator;

use std::cell::RefCell;

pub use generator::Generator;

use crate::creation::try_alloc;
use crate::error::{Error, ErrorKind, OrRaise};
use crate::tensor::Tensor;

thread_local! {
    /// The calling thread's default generator (rule 1 of the module doc).
    static DEFAULT_GENERATOR: RefCell<Generator> = RefCell::new(Generator::new());
}

/// Run `f` with the calling thread's default generator: how code outside this crate
/// that draws (dropout masks, data shuffling, init) follows the seed.
///
/// # Panics
/// If called again from inside `f` (draw from the generator `f` is given instead).
#[track_caller]
pub fn with_default_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    DEFAULT_GENERATOR.with(|cell| {
        let Ok(mut generator) = cell.try_borrow_mut() else {
            Error::new(
                "with_default_generator",
                ErrorKind::Value,
                "the thread's default generator is already in use by an enclosing \
                 with_default_generator",
            )
            .with_hint(
                "inside the closure, draw from the generator it is given (the *_with functions)",
            )
            .raise()
        };
        f(&mut generator)
    })
}

/// Seed the calling thread's default generator, as `torch.manual_seed`: every random
/// tensor, initial weight and dropout mask drawn on this thread afterwards is
/// repeatable. Other threads are not affected (see the module doc).
///
/// ```
/// # use ferrograd::tensor::{Tensor, manual_seed};
/// manual_seed(7);
/// let a = Tensor::randn(&[3]).to_vec::<f32>();
/// manual_seed(7);
/// assert_eq!(a, Tensor::randn(&[3]).to_vec::<f32>());
/// ```
pub fn manual_seed(seed: u64) {
    with_default_generator(|g| {
        g.manual_seed(seed);
    });
}

/// Seed the calling thread's default generator with a number that differs from run
/// to run, and return it (`torch.seed`).
pub fn seed() -> u64 {
    with_default_generator(Generator::seed)
}

/// The seed of the calling thread's default generator (`torch.initial_seed`).
pub fn initial_seed() -> u64 {
    with_default_generator(|g| g.initial_seed())
}

/// The state of the calling thread's default generator, to save with a checkpoint
/// (`torch.get_rng_state`; the format is [`Generator::get_state`]'s).
pub fn get_rng_state() -> Tensor {
    with_default_generator(|g| g.get_state())
}

/// Restore the calling thread's default generator (`torch.set_rng_state`).
///
/// # Panics
/// If `state` is not one [`get_rng_state`] returned (an f64 tensor of 4 whole numbers
/// in `0..2³²`).
///
/// ```
/// # use ferrograd::tensor::{Tensor, get_rng_state, set_rng_state};
/// let saved = get_rng_state();
/// let a = Tensor::rand(&[4]).to_vec::<f32>();
/// set_rng_state(&saved); // resume from the saved point: the same draws
/// assert_eq!(a, Tensor::rand(&[4]).to_vec::<f32>());
/// ```
#[track_caller]
pub fn set_rng_state(state: &Tensor) {
    let restored = Generator::try_from_state(state).or_raise();
    with_default_generator(|g| *g = restored);
}

/// Largest whole number every integer below which an f32 holds exactly (2²⁴): the
/// limit of index tensors stored as f32.
const F32_EXACT: i64 = 1 << 24;

/// An f32 tensor of `shape` whose elements are `sample(generator)`, allocated
/// fallibly (an impossible or too-large shape is an error naming `op`).
#[track_caller]
fn sampled(
    op: &'static str,
    shape: &[usize],
    generator: &mut Generator,
    mut sample: impl FnMut(&mut Generator) -> f64,
) -> Tensor {
    let (n, mut data) = try_alloc(op, shape).or_raise();
    data.extend((0..n).map(|_| sample(generator) as f32));
    Tensor::from_vec(data, shape)
}

impl Tensor {
    /// f32 tensor with elements drawn from `U(low, high)`, from the thread's default
    /// generator.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn uniform(shape: &[usize], low: f64, high: f64) -> Tensor {
        with_default_generator(|g| Tensor::uniform_with(shape, low, high, g))
    }

    /// [`Tensor::uniform`] drawing from `generator`.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn uniform_with(shape: &[usize], low: f64, high: f64, generator: &mut Generator) -> Tensor {
        sampled("uniform", shape, generator, |g| {
            low + (high - low) * g.uniform()
        })
    }

    /// f32 tensor with elements drawn from `N(mean, std²)`, from the thread's default
    /// generator.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn normal(shape: &[usize], mean: f64, std: f64) -> Tensor {
        with_default_generator(|g| Tensor::normal_with(shape, mean, std, g))
    }

    /// [`Tensor::normal`] drawing from `generator`.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn normal_with(shape: &[usize], mean: f64, std: f64, generator: &mut Generator) -> Tensor {
        sampled("normal", shape, generator, |g| mean + std * g.normal())
    }

    /// f32 tensor with elements drawn from `U(0, 1)`, as `torch.rand`.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn rand(shape: &[usize]) -> Tensor {
        with_default_generator(|g| Tensor::rand_with(shape, g))
    }

    /// [`Tensor::rand`] drawing from `generator` (`torch.rand(.., generator=g)`).
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    #[track_caller]
    pub fn rand_with(shape: &[usize], generator: &mut Generator) -> Tensor {
        sampled("rand", shape, generator, Generator::uniform)
    }

    /// f32 tensor with elements drawn from `N(0, 1)`, as `torch.randn`.
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    ///
    /// ```
    /// # use ferrograd::tensor::{Tensor, manual_seed};
    /// manual_seed(7);
    /// let a = Tensor::randn(&[3]).to_vec::<f32>();
    /// manual_seed(7);
    /// assert_eq!(a, Tensor::randn(&[3]).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn randn(shape: &[usize]) -> Tensor {
        with_default_generator(|g| Tensor::randn_with(shape, g))
    }

    /// [`Tensor::randn`] drawing from `generator` (`torch.randn(.., generator=g)`).
    ///
    /// # Panics
    /// If the shape has more elements than memory can hold.
    ///
    /// ```
    /// # use ferrograd::tensor::{Generator, Tensor};
    /// let mut g = Generator::new();
    /// g.manual_seed(1);
    /// let a = Tensor::randn_with(&[3], &mut g);
    /// assert_eq!(a.to_vec::<f32>(), Tensor::randn_with(&[3], Generator::new().manual_seed(1)).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn randn_with(shape: &[usize], generator: &mut Generator) -> Tensor {
        sampled("randn", shape, generator, Generator::normal)
    }

    /// Integers drawn uniformly from `low..high` (`high` excluded), as `torch.randint`;
    /// whole numbers stored as f32, the index convention, so `|low|, |high| ≤ 2²⁴`.
    ///
    /// # Shapes
    /// `shape` → `shape`.
    ///
    /// # Panics
    /// If `low >= high`, a bound is beyond ±2²⁴, or the shape is too large.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let dice = Tensor::randint(1, 7, &[100]).to_vec::<f32>();
    /// assert!(dice.iter().all(|&d| d.fract() == 0.0 && (1.0..=6.0).contains(&d)));
    /// ```
    #[track_caller]
    pub fn randint(low: i64, high: i64, shape: &[usize]) -> Tensor {
        with_default_generator(|g| Tensor::randint_with(low, high, shape, g))
    }

    /// [`Tensor::randint`] drawing from `generator`.
    ///
    /// # Panics
    /// If `low >= high`, a bound is beyond ±2²⁴, or the shape is too large.
    #[track_caller]
    pub fn randint_with(low: i64, high: i64, shape: &[usize], generator: &mut Generator) -> Tensor {
        if low >= high || low < -F32_EXACT || high > F32_EXACT {
            Error::new(
                "randint",
                ErrorKind::Value,
                format!("cannot draw integers from {low}..{high} for shape {shape:?}"),
            )
            .with_hint("low must be below high (high is excluded), both within ±2^24 (16777216)")
            .raise();
        }
        let range = (high - low) as u64;
        sampled("randint", shape, generator, |g| {
            (low + g.below(range) as i64) as f64
        })
    }

    /// A random permutation of `0..n`, as `torch.randperm` (whole numbers stored as
    /// f32, so `n ≤ 2²⁴`). The order of an epoch: `x.index_select(0, &randperm(n))`.
    ///
    /// # Shapes
    /// `[n]`.
    ///
    /// # Panics
    /// If `n > 2²⁴`.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let mut p = Tensor::randperm(5).to_vec::<f32>();
    /// p.sort_by(f32::total_cmp);
    /// assert_eq!(p, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn randperm(n: usize) -> Tensor {
        with_default_generator(|g| Tensor::randperm_with(n, g))
    }

    /// [`Tensor::randperm`] drawing from `generator`.
    ///
    /// # Panics
    /// If `n > 2²⁴`.
    #[track_caller]
    pub fn randperm_with(n: usize, generator: &mut Generator) -> Tensor {
        if n as u64 > F32_EXACT as u64 {
            Error::new(
                "randperm",
                ErrorKind::Value,
                format!("n = {n} is beyond the 2^24 whole numbers an f32 index holds exactly"),
            )
            .with_hint("shuffle a Vec<usize> with Generator::shuffle instead")
            .raise();
        }
        let mut order: Vec<f32> = (0..n).map(|i| i as f32).collect();
        generator.shuffle(&mut order);
        Tensor::from_vec(order, &[n])
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
    fn an_explicit_generator_leaves_the_default_stream_alone() {
        manual_seed(11);
        let expected = Tensor::rand(&[4]).to_vec::<f32>();
        manual_seed(11);
        let mut g = Generator::new();
        g.manual_seed(11);
        let from_g = Tensor::rand_with(&[4], &mut g).to_vec::<f32>();
        Tensor::randn_with(&[100], &mut g); // advances g only
        assert_eq!(Tensor::rand(&[4]).to_vec::<f32>(), expected);
        assert_eq!(from_g, expected); // the same seed, the same numbers
        assert_eq!(initial_seed(), 11);
    }

    #[test]
    fn a_thread_draws_what_a_fresh_process_would() {
        let draw = || {
            let first = Tensor::rand(&[3]).to_vec::<f32>(); // never seeded
            manual_seed(5);
            (first, Tensor::randint(0, 10, &[8]).to_vec::<f32>())
        };
        let here = std::thread::spawn(draw).join().unwrap();
        manual_seed(99); // seeding this thread does not reach another one
        let there = std::thread::spawn(draw).join().unwrap();
        assert_eq!(here, there);
        let fresh = Tensor::rand_with(&[3], &mut Generator::new()).to_vec::<f32>();
        assert_eq!(here.0, fresh);
    }

    #[test]
    fn randint_and_randperm_cover_their_ranges() {
        let mut g = Generator::new();
        let v = Tensor::randint_with(-3, 3, &[6000], &mut g).to_vec::<f32>();
        for k in -3..3 {
            let count = v.iter().filter(|&&x| x == k as f32).count();
            assert!((850..1150).contains(&count), "{k}: {count}");
        }
        let mut p = Tensor::randperm_with(1000, &mut g).to_vec::<f32>();
        assert_ne!(p[..10], [0., 1., 2., 3., 4., 5., 6., 7., 8., 9.]);
        p.sort_by(f32::total_cmp);
        assert!(p.iter().enumerate().all(|(i, &x)| x == i as f32));
        assert_eq!(Tensor::randperm(0).shape(), &[0]);
    }

    #[test]
    #[should_panic(
        expected = "with_default_generator: the thread's default generator is already in use"
    )]
    fn nested_use_of_the_default_generator_is_refused() {
        with_default_generator(|_| Tensor::rand(&[1]));
    }
}
