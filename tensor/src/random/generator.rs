//! [`Generator`]: a seeded stream of random numbers, as `torch.Generator`. Everything
//! random in the framework draws from one: a tensor of normal samples, an initial
//! weight matrix, a dropout mask's key, a shuffled epoch order.
//!
//! The algorithm is SplitMix64 (Steele, Lea & Flood, 2014; Java's `SplittableRandom`,
//! which passes the BigCrush statistical tests): the state is one 64-bit counter that
//! advances by a fixed odd constant, and each output is that counter, mixed.
//! ```text
//! state ← state + 0x9E3779B97F4A7C15                 (the golden-ratio increment γ)
//! z = (state ⊕ state≫30) · 0xBF58476D1CE4E5B9
//! z = (z ⊕ z≫27) · 0x94D049BB133111EB
//! out = z ⊕ z≫31                                     (a bijection: every u64 once)
//! ```
//! So the `k`-th output after seeding with `s` is `mix(s + k·γ)`: a pure function of
//! `(s, k)`. That is what lets a dropout mask be re-drawn in the backward from its key
//! alone ([`super::dropout`]), and what makes a generator's whole state two numbers
//! (the seed it was given and the counter) that [`Generator::get_state`] hands out and
//! [`Generator::set_state`] puts back, so a training run saved mid-way resumes with the
//! same random numbers. Not cryptographic, which deep learning does not need (PyTorch's
//! CPU generator, a Mersenne Twister, is not either).
//!
//! From 64 random bits come the samples the framework needs:
//! ```text
//! uniform in [0, 1):  u = (bits ≫ 11) · 2⁻⁵³           53 bits, every value a multiple of 2⁻⁵³
//! integer in 0..n:    ⌊bits · n / 2⁶⁴⌋, redrawn in the rare biased case (Lemire, 2019)
//! normal N(0, 1):     z = √(−2 ln u₁) · cos(2π u₂),  u₁ ∈ (0, 1]   (Box–Muller)
//! shuffle:            Fisher–Yates: for i = n−1 … 1, swap item i with item j ∈ 0..=i
//! ```
//! Read next: [`super::dropout`], which expands one draw into a whole mask.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use crate::error::{Error, ErrorKind, OrRaise};
use crate::tensor::Tensor;

/// The increment γ of SplitMix64: 2⁶⁴ divided by the golden ratio, made odd.
pub(crate) const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijection of `u64` whose every output bit depends
/// on every input bit (the finaliser of MurmurHash3, Stafford's variant 13).
pub(crate) fn mix(state: u64) -> u64 {
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded random-number generator, as `torch.Generator`: pass one to the `*_with`
/// functions (`Tensor::randn_with`, `nn::init::xavier_uniform_with`, ...) to draw from
/// it instead of the thread's default generator (see [`crate::random`]).
///
/// Two generators with the same seed give the same numbers; a generator's state can be
/// saved ([`get_state`](Generator::get_state)) and restored
/// ([`set_state`](Generator::set_state)).
///
/// # Examples
/// ```
/// use ferrograd::tensor::{Generator, Tensor};
/// let mut g = Generator::new();
/// g.manual_seed(42);
/// let a = Tensor::randn_with(&[3], &mut g);
/// let saved = g.get_state();
/// let b = Tensor::randn_with(&[3], &mut g);
/// g.set_state(&saved); // rewind: the same numbers again
/// assert_eq!(Tensor::randn_with(&[3], &mut g).to_vec::<f32>(), b.to_vec::<f32>());
/// g.manual_seed(42); // or start over
/// assert_eq!(Tensor::randn_with(&[3], &mut g).to_vec::<f32>(), a.to_vec::<f32>());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    seed: u64,
    state: u64,
}

impl Default for Generator {
    fn default() -> Generator {
        Generator::new()
    }
}

impl Generator {
    /// The seed of a new generator, and of every thread's default generator until
    /// [`crate::manual_seed`] is called: PyTorch's (`67280421310721`).
    pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

    /// A generator seeded with [`Generator::DEFAULT_SEED`].
    pub fn new() -> Generator {
        Generator {
            seed: Generator::DEFAULT_SEED,
            state: Generator::DEFAULT_SEED,
        }
    }

    /// Restart the stream from `seed`; returns the generator, so that
    /// `Tensor::randn_with(&[2], Generator::new().manual_seed(7))` reads in one line.
    pub fn manual_seed(&mut self, seed: u64) -> &mut Generator {
        *self = Generator { seed, state: seed };
        self
    }

    /// Seed with a number that differs from run to run (from the operating system's
    /// randomness behind `std`'s hash maps, and the clock); returns it, so that a run
    /// worth repeating can be repeated with [`Generator::manual_seed`].
    pub fn seed(&mut self) -> u64 {
        let mut hasher = RandomState::new().build_hasher();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(now);
        let seed = hasher.finish();
        self.manual_seed(seed);
        seed
    }

    /// The seed the stream started from (the last [`Generator::manual_seed`] or
    /// [`Generator::seed`]).
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// The whole state, as a tensor to store with a checkpoint: 4 f64 whole numbers,
    /// the 32-bit halves of the seed and of the counter (each exact in f64).
    ///
    /// ```text
    /// [seed ≫ 32, seed mod 2³², state ≫ 32, state mod 2³²]
    /// ```
    pub fn get_state(&self) -> Tensor {
        let halves = [self.seed, self.state]
            .iter()
            .flat_map(|&v| [(v >> 32) as f64, (v & 0xFFFF_FFFF) as f64])
            .collect();
        Tensor::from_vec_f64(halves, &[4])
    }

    /// Put back a state from [`Generator::get_state`]: the next draws are those that
    /// followed it.
    ///
    /// # Panics
    /// If `state` is not an f64 tensor of 4 whole numbers in `0..2³²`.
    #[track_caller]
    pub fn set_state(&mut self, state: &Tensor) -> &mut Generator {
        *self = Generator::try_from_state(state).or_raise();
        self
    }

    /// The generator whose state is `state` (from [`Generator::get_state`]).
    ///
    /// # Errors
    /// If `state` is not an f64 tensor of 4 whole numbers in `0..2³²`.
    pub fn try_from_state(state: &Tensor) -> Result<Generator, Error> {
        let fail = |problem: String| {
            Err(Error::new("Generator.set_state", ErrorKind::Value, problem)
                .with_hint("pass a tensor from Generator::get_state or get_rng_state"))
        };
        if state.shape() != [4] || state.dtype() != crate::DType::F64 {
            return fail(format!(
                "a generator state is an f64 tensor of shape [4], got {} {:?}",
                state.dtype(),
                state.shape()
            ));
        }
        let halves: Vec<f64> = state.to_vec();
        if let Some(bad) = halves
            .iter()
            .find(|&&h| !(0.0..4_294_967_296.0).contains(&h) || h.fract() != 0.0)
        {
            return fail(format!("{bad} in {halves:?} is not a 32-bit whole number"));
        }
        let join = |hi: f64, lo: f64| ((hi as u64) << 32) | lo as u64;
        Ok(Generator {
            seed: join(halves[0], halves[1]),
            state: join(halves[2], halves[3]),
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A uniform sample in `[0, 1)`, with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard-normal sample, by Box–Muller (two uniform draws).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // in (0, 1], so ln(u1) is finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A uniform integer in `0..n`, without bias: `⌊bits · n / 2⁶⁴⌋`, drawing again in
    /// the `(2⁶⁴ mod n)` cases out of 2⁶⁴ that would favour small results (Lemire's
    /// method, one multiply and almost never a division).
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            Error::new(
                "Generator.below",
                ErrorKind::Value,
                "the range 0..0 is empty",
            )
            .raise();
        }
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            let low = product as u64;
            // `low` tells where in its bucket the draw fell: the first 2⁶⁴ mod n values
            // of every bucket are one too many to share evenly.
            if low >= n || low >= n.wrapping_neg() % n {
                return (product >> 64) as u64;
            }
        }
    }

    /// Put `items` in a uniformly random order (Fisher–Yates: each of the `n!` orders
    /// equally likely).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_outputs() {
        // The first outputs of Vigna's splitmix64.c seeded with 1234567.
        let mut g = Generator::new();
        g.manual_seed(1_234_567);
        let expected = [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        assert_eq!(expected.map(|_| g.next_u64()), expected);
    }

    #[test]
    fn state_round_trips_and_resumes_the_stream() {
        let mut g = Generator::new();
        g.manual_seed(u64::MAX - 3);
        g.next_u64();
        let saved = g.get_state();
        let ahead: Vec<u64> = (0..5).map(|_| g.next_u64()).collect();
        let mut h = Generator::try_from_state(&saved).unwrap();
        assert_eq!(h.initial_seed(), u64::MAX - 3);
        assert_eq!((0..5).map(|_| h.next_u64()).collect::<Vec<_>>(), ahead);
        let bad = Tensor::from_vec_f64(vec![1.0, 2.5, 0.0, 0.0], &[4]);
        let e = Generator::try_from_state(&bad).unwrap_err().to_string();
        assert!(e.starts_with("Generator.set_state: 2.5 in"), "{e}");
    }

    #[test]
    fn integers_below_n_are_uniform_and_in_range() {
        let mut g = Generator::new();
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[g.below(6) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        // A range that is not a power of two near 2⁶⁴ still never overshoots.
        let n = (1u64 << 63) + 12_345;
        assert!((0..1000).all(|_| g.below(n) < n));
        let mut items: Vec<usize> = (0..100).collect();
        g.shuffle(&mut items);
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(items, sorted);
    }

    #[test]
    fn seed_differs_between_calls_and_is_reported() {
        let (mut a, mut b) = (Generator::new(), Generator::new());
        let (sa, sb) = (a.seed(), b.seed());
        assert_ne!(sa, sb);
        assert_eq!(a.initial_seed(), sa);
        assert_eq!(a.next_u64(), Generator::new().manual_seed(sa).next_u64());
    }
}
