//! The three kinds of randomness in word2vec: sub-sampling frequent words, the
//! dynamic window, and negative samples drawn from the unigram^0.75 distribution.
//!
//! ```text
//! sub-sampling (gensim's formula, sample s = 1e-3, f = count / retained total):
//!     keep(w) = min(1, (√(f/s) + 1) · s/f)
//!     "the" (f ≈ 0.06): keep ≈ 0.146;   a word with f ≤ 2.6·s: always kept
//! dynamic window: for each centre, b ~ U{1..window}; context = the b words each side
//!     (near words are used more often: weight (window − d + 1)/window at distance d)
//! negatives: P(w) = count(w)^0.75 / Σ count^0.75   (flattens Zipf: rare words rise)
//!     drawn in O(1) with Walker's alias table: pick a column i uniformly, keep it with
//!     probability accept[i], else take its alias[i]. Each column holds mass 1/V.
//! ```
//! Everything draws from one seeded [`Rng`], so a run is the same for a seed.
//! Read next: `huffman.rs` (the other way to avoid the V-way softmax).

/// A small, fast, seeded generator (64-bit LCG, Knuth's MMIX constants; the top 32 bits
/// are the output). Not for cryptography; plenty for sampling words.
#[derive(Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut rng = Rng {
            state: seed ^ 0x853C_49E6_748F_EA9B,
        };
        rng.next_u32();
        rng
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.state >> 32) as u32
    }

    /// A number in `0..n` (multiply-shift; bias below 2⁻³² · n).
    pub fn below(&mut self, n: usize) -> usize {
        ((u64::from(self.next_u32()) * n as u64) >> 32) as usize
    }

    /// A float in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        f64::from(self.next_u32()) / 4_294_967_296.0
    }
}

/// Probability of keeping each word under sub-sampling with threshold `sample`
/// (0 turns sub-sampling off: every word kept).
pub fn keep_probabilities(counts: &[u64], sample: f64) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&count| {
            if sample <= 0.0 {
                return 1.0;
            }
            let threshold = sample * total as f64; // s · N, in counts
            let c = count as f64;
            ((c / threshold).sqrt() + 1.0) * threshold / c
        })
        .map(|p: f64| p.min(1.0))
        .collect()
}

/// Walker's alias table for drawing negatives with P(w) ∝ count(w)^power.
pub struct NegativeTable {
    /// `accept[i]`: keep column `i` if a 32-bit draw is below this.
    accept: Vec<u32>,
    /// `alias[i]`: the word column `i` gives otherwise.
    alias: Vec<u32>,
}

impl NegativeTable {
    /// The table for `counts^power` (word2vec: power 0.75).
    ///
    /// # Panics
    /// If `counts` is empty or all zero.
    #[track_caller]
    pub fn new(counts: &[u64], power: f64) -> NegativeTable {
        let weights: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(power)).collect();
        let total: f64 = weights.iter().sum();
        assert!(
            total > 0.0,
            "NegativeTable: needs at least one word with a positive count, got {} words",
            counts.len()
        );
        let n = weights.len();
        // Vose: scale so the mean is 1; pair each small column with a large donor.
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding: always accept them.
        for i in large.into_iter().chain(small) {
            scaled[i] = 1.0;
        }
        let accept = scaled
            .iter()
            .map(|&p| (p * 4_294_967_296.0).min(u32::MAX as f64) as u32)
            .collect();
        NegativeTable { accept, alias }
    }

    /// One negative word id.
    pub fn draw(&self, rng: &mut Rng) -> u32 {
        let column = rng.below(self.accept.len());
        if rng.next_u32() < self.accept[column] {
            column as u32
        } else {
            self.alias[column]
        }
    }

    /// The exact probability the table gives each word (for tests and the tutorial):
    /// `P(i) = (accept[i] + Σ_{j: alias[j] = i} (1 − accept[j])) / V`.
    pub fn probabilities(&self) -> Vec<f64> {
        let n = self.accept.len() as f64;
        let mut p: Vec<f64> = self
            .accept
            .iter()
            .map(|&a| f64::from(a) / 4_294_967_296.0 / n)
            .collect();
        for (j, &a) in self.accept.iter().enumerate() {
            p[self.alias[j] as usize] += (1.0 - f64::from(a) / 4_294_967_296.0) / n;
        }
        p
    }
}
