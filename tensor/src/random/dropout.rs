//! Dropout masks: each element kept with probability `1 − p` and scaled by `1/(1 − p)`
//! (inverted dropout), or zeroed.
//!
//! ```text
//! u ~ U{0, .., 2³² − 1}         one 32-bit draw per element
//! mᵢ = 1/(1 − p)  if u ≥ round(p · 2³²)      P(keep) = 1 − p  (to 2⁻³²)
//!    = 0          otherwise
//! ```
//! A mask is not stored as numbers but as a [`DropoutMask`]: the key of a random
//! stream, one draw of a [`Generator`] (the thread's default one unless one is passed).
//! Element `i`'s draw is a pure function of `(key, i)` — the `i`-th output of a
//! SplitMix64 generator whose state is the key ([`mask_bits`]) — so the mask can be applied
//! again to the gradient in the backward (`∂L/∂x = g ⊙ m`) without having been kept:
//! no mask tensor is written, kept alive until the backward, and read back — for a
//! transformer step, ~10 million values. (GPU frameworks keep dropout masks the same
//! way, as a Philox key and offset.) The seed still governs everything: the same seed
//! gives the same keys, so the same masks.
//! Read next: [`crate::elementwise`].

use crate::creation::try_alloc;
use crate::dtype::{DType, Float};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::tensor::{Tensor, check_float};

use super::generator::{GAMMA, Generator, mix};
use super::with_default_generator;

/// An inverted-dropout mask for probability `p`, kept as the key of its random
/// stream; [`DropoutMask::apply`] multiplies by it, [`DropoutMask::to_tensor`] writes
/// it out. Element `i` of a tensor (row-major order) always meets draw `i`.
///
/// # Examples
/// ```
/// # use ferrograd::tensor::{DType, Tensor, manual_seed};
/// # use ferrograd::tensor::random::dropout::DropoutMask;
/// let mask = DropoutMask::new(0.5);
/// let x = Tensor::full(&[1000], 3.0);
/// let m = mask.to_tensor(&[1000], DType::F32);
/// assert!(m.to_vec::<f32>().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(mask.apply(&x).to_vec::<f32>(), (&x * &m).to_vec::<f32>()); // the same mask
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DropoutMask {
    key: u64,
    p: f64,
}

impl DropoutMask {
    /// A fresh mask: one key drawn from the thread's default generator.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)` (a mask for `p = 1` would divide by zero).
    #[track_caller]
    pub fn new(p: f64) -> DropoutMask {
        with_default_generator(|g| DropoutMask::new_with(p, g))
    }

    /// A fresh mask whose key is drawn from `generator`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)`.
    #[track_caller]
    pub fn new_with(p: f64, generator: &mut Generator) -> DropoutMask {
        assert!((0.0..1.0).contains(&p), "dropout: p = {p} is not in [0, 1)");
        DropoutMask {
            key: generator.next_u64(),
            p,
        }
    }

    /// `x ⊙ m`, in one pass (the mask is drawn 256 values at a time, used while in
    /// cache). Any shape and strides; the result is contiguous, `x`'s shape.
    ///
    /// # Panics
    /// If `x` is not a float tensor, or is too large for memory.
    #[track_caller]
    pub fn apply(&self, x: &Tensor) -> Tensor {
        fn apply<T: Float>(mask: &DropoutMask, x: &Tensor) -> Tensor {
            let data = x
                .array::<T>()
                .as_slice()
                .expect("internal error: dropout reads a contiguous tensor; this is a bug");
            let y = mask.values("dropout", x.shape(), |i, m| data[i] * m);
            Tensor::try_from_vec_of(y, x.shape())
                .expect("internal error: one number per element; this is a bug")
        }
        let x = x.contiguous();
        match x.dtype() {
            DType::F32 => apply::<f32>(self, &x),
            DType::F64 => apply::<f64>(self, &x),
            _ => check_float("dropout", &x).map(|_| x).or_raise(),
        }
    }

    /// The mask itself: `1/(1 − p)` where kept, `0` where dropped.
    ///
    /// # Panics
    /// If `dtype` is not a float, or the shape has more elements than memory can hold.
    #[track_caller]
    pub fn to_tensor(&self, shape: &[usize], dtype: DType) -> Tensor {
        fn mask<T: Float>(mask: &DropoutMask, shape: &[usize]) -> Tensor {
            let m = mask.values::<T>("dropout_mask", shape, |_, m| m);
            Tensor::try_from_vec_of(m, shape)
                .expect("internal error: the data has numel(shape) elements; this is a bug")
        }
        match dtype {
            DType::F32 => mask::<f32>(self, shape),
            DType::F64 => mask::<f64>(self, shape),
            _ => Error::new(
                "dropout_mask",
                ErrorKind::DType,
                format!("a mask scales floats, so it is f32 or f64, not {dtype}"),
            )
            .raise(),
        }
    }

    /// `f(i, mᵢ)` for each element `i` of `shape`, drawing the mask 256 values at a
    /// time (the memory allocated fallibly, a failure naming `op`).
    #[track_caller]
    fn values<T: Float>(
        &self,
        op: &'static str,
        shape: &[usize],
        f: impl Fn(usize, T) -> T,
    ) -> Vec<T> {
        let threshold = (self.p * 4_294_967_296.0).round() as u64; // p · 2³²
        let scale = T::of(1.0 / (1.0 - self.p));
        let (len, mut out) = try_alloc(op, shape).or_raise();
        let mut bits = [0u32; 256];
        for start in (0..len).step_by(bits.len()) {
            let bits = &mut bits[..(len - start).min(256)];
            mask_bits(self.key, start, bits);
            // a select, not a branch: keeping is random, so a branch would mispredict
            out.extend(bits.iter().enumerate().map(|(j, &u)| {
                let m = if u64::from(u) >= threshold {
                    scale
                } else {
                    T::zero()
                };
                f(start + j, m)
            }));
        }
        out
    }
}

/// Fill `bits` with the 32-bit draws `start .. start + bits.len()` of the stream
/// `key` (`start` even): draws `2i` and `2i + 1` are the low and high halves of
/// output `i` of a SplitMix64 [`Generator`] whose state is `key`:
/// ```text
/// out_i = mix(key + (i + 1) · γ)          (mix and γ: see the generator's module doc)
/// ```
/// Each output depends only on `(key, i)`: no state to carry from one value to the
/// next, so the loop vectorises, and a few multiplies and shifts make two draws (a
/// ChaCha12 generator, which the masks once used, runs 12 rounds of a cipher block
/// and spent ~3% of a transformer step on masks).
fn mask_bits(key: u64, start: usize, bits: &mut [u32]) {
    debug_assert!(start.is_multiple_of(2));
    let splitmix = |i: u64| mix(key.wrapping_add(i.wrapping_add(1).wrapping_mul(GAMMA)));
    let (first, whole) = ((start / 2) as u64, (bits.len() / 2) as u64);
    let mut pairs = bits.chunks_exact_mut(2);
    // Whole pairs in a loop without branches, which the compiler vectorises.
    for (i, pair) in (first..).zip(&mut pairs) {
        let z = splitmix(i);
        pair[0] = z as u32;
        pair[1] = (z >> 32) as u32;
    }
    if let [last] = pairs.into_remainder() {
        *last = splitmix(first + whole) as u32;
    }
}

impl Tensor {
    /// The mask of inverted dropout (see the [module docs](self)): each element is
    /// `1/(1 − p)` with probability `1 − p` (kept) and `0` with probability `p`
    /// (dropped), in `dtype`. A fresh [`DropoutMask`] written out.
    ///
    /// One 32-bit integer per element, compared with a threshold, is all a Bernoulli
    /// draw needs: the mask is written in its final form in one pass (no uniform
    /// tensor, no comparison and scaling passes).
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)`.
    ///
    /// ```
    /// # use ferrograd::tensor::{DType, Tensor, manual_seed};
    /// manual_seed(3);
    /// let m = Tensor::dropout_mask(&[1000], 0.5, DType::F32).to_vec::<f32>();
    /// assert!(m.iter().all(|&v| v == 0.0 || v == 2.0));
    /// manual_seed(3); // the same seed gives the same mask
    /// assert_eq!(m, Tensor::dropout_mask(&[1000], 0.5, DType::F32).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn dropout_mask(shape: &[usize], p: f64, dtype: DType) -> Tensor {
        DropoutMask::new(p).to_tensor(shape, dtype)
    }

    /// Inverted dropout of `self`: `(self ⊙ m, m)` with `m` a fresh
    /// [`Tensor::dropout_mask`] (the same draws, so the same seed gives the same mask).
    /// The autograd op keeps only the [`DropoutMask`] instead.
    ///
    /// # Shapes
    /// `self`: any → `(y, m)`, each `self`'s shape.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)`.
    ///
    /// ```
    /// # use ferrograd::tensor::{DType, Tensor, manual_seed};
    /// let x = Tensor::full(&[1000], 3.0);
    /// manual_seed(5);
    /// let (y, m) = x.dropout(0.5);
    /// assert_eq!(y.to_vec::<f32>(), (&x * &m).to_vec::<f32>());
    /// manual_seed(5);
    /// assert_eq!(m.to_vec::<f32>(), Tensor::dropout_mask(&[1000], 0.5, DType::F32).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn dropout(&self, p: f64) -> (Tensor, Tensor) {
        with_default_generator(|g| self.dropout_with(p, g))
    }

    /// [`Tensor::dropout`] with the mask's key drawn from `generator`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)`.
    ///
    /// ```
    /// # use ferrograd::tensor::{Generator, Tensor};
    /// let x = Tensor::full(&[1000], 3.0);
    /// let (a, _) = x.dropout_with(0.5, Generator::new().manual_seed(2));
    /// let (b, _) = x.dropout_with(0.5, Generator::new().manual_seed(2));
    /// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn dropout_with(&self, p: f64, generator: &mut Generator) -> (Tensor, Tensor) {
        let mask = DropoutMask::new_with(p, generator);
        (mask.apply(self), mask.to_tensor(self.shape(), self.dtype()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropout_masks_keep_one_minus_p() {
        for (p, dtype) in [(0.1, DType::F32), (0.5, DType::F64), (0.9, DType::F32)] {
            let m: Vec<f64> = Tensor::dropout_mask(&[20_000], p, dtype).to_vec();
            let kept = m.iter().filter(|&&v| v != 0.0).count() as f64 / m.len() as f64;
            assert!((kept - (1.0 - p)).abs() < 0.015, "p {p}: kept {kept}");
            let scale = 1.0 / (1.0 - p);
            assert!(m.iter().all(|&v| v == 0.0 || (v - scale).abs() < 1e-6));
        }
        assert!(Tensor::dropout_mask(&[100], 0.0, DType::F32).to_vec::<f32>() == [1.0; 100]);
    }

    #[test]
    fn mask_draws_are_uniform_and_uncorrelated() {
        // Neighbours (the two halves of one SplitMix64 output, and consecutive
        // outputs) are kept together with probability (1 − p)², as independent draws.
        let m: Vec<f32> = Tensor::dropout_mask(&[200_001], 0.3, DType::F32).to_vec();
        let kept = |i: usize| m[i] != 0.0;
        for lag in [1, 2, 3] {
            let both = (0..m.len() - lag)
                .filter(|&i| kept(i) && kept(i + lag))
                .count();
            let rate = both as f64 / (m.len() - lag) as f64;
            assert!((rate - 0.49).abs() < 0.01, "lag {lag}: both kept {rate}");
        }
        // The 32-bit draws themselves: mean 2³¹, the top bit set half the time, and an
        // odd-length tail drawn like the rest.
        let mut bits = vec![0u32; 100_001];
        mask_bits(12345, 0, &mut bits);
        let mean = bits.iter().map(|&b| f64::from(b)).sum::<f64>() / bits.len() as f64;
        assert!((mean / 4_294_967_296.0 - 0.5).abs() < 0.005, "mean {mean}");
        let top = bits.iter().filter(|&&b| b >> 31 == 1).count() as f64 / bits.len() as f64;
        assert!((top - 0.5).abs() < 0.01, "top bit {top}");
        let mut tail = [0u32; 3];
        mask_bits(12345, 100_000, &mut tail);
        assert_eq!(tail[..1], bits[100_000..]);
    }

    #[test]
    fn a_mask_is_the_stream_of_a_generator_seeded_with_its_key() {
        let mut key_source = Generator::new();
        key_source.manual_seed(8);
        let mask = DropoutMask::new_with(0.5, &mut key_source);
        let mut bits = [0u32; 4];
        mask_bits(mask.key, 0, &mut bits);
        let mut stream = Generator::new();
        stream.manual_seed(mask.key);
        for pair in bits.chunks(2) {
            let z = stream.next_u64();
            assert_eq!(pair, [z as u32, (z >> 32) as u32]);
        }
        // the same seed, the same key, the same mask
        let again = DropoutMask::new_with(0.5, Generator::new().manual_seed(8));
        assert_eq!(again.key, mask.key);
    }

    #[test]
    fn applying_a_mask_twice_uses_the_same_draws() {
        // What the autograd op relies on: the backward re-applies the forward's mask.
        let mask = DropoutMask::new(0.4);
        let x = Tensor::randn(&[7, 300]);
        let (y, g) = (mask.apply(&x), mask.apply(&x.t().contiguous().t()));
        assert_eq!(y.to_vec::<f32>(), g.to_vec::<f32>());
        let m = mask.to_tensor(&[7, 300], DType::F32);
        assert_eq!(y.to_vec::<f32>(), (&x * &m).to_vec::<f32>());
    }
}
