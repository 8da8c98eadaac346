//! `multinomial`: draw category indices with probabilities proportional to weights,
//! as `torch.multinomial` (how a language model samples its next token).
//!
//! ```text
//! weights w = [0.2, 0.0, 0.5, 0.3]     P(draw i) = wᵢ / Σⱼ wⱼ    (need not sum to 1)
//! inverse CDF:  c = cumsum(w) = [0.2, 0.2, 0.7, 1.0]
//!               u ~ U[0, c_last)   →   draw = the first i with cᵢ > u
//!               u = 0.45 → 2      (a zero weight never wins: its cᵢ equals cᵢ₋₁)
//! ```
//! With replacement every draw is independent. Without replacement the drawn
//! category's weight becomes 0 before the next draw, so the remaining ones are
//! renormalised (sequential sampling; PyTorch samples the same distribution by another
//! route). Sums run in f64 whatever the dtype.
//!
//! Draws come from the calling thread's default generator ([`crate::random`]: one
//! [`crate::manual_seed`] makes them repeatable), or from a [`Generator`] the caller
//! owns ([`Tensor::multinomial_with`], PyTorch's `generator=`). Read next: [`crate::matmul`].

use ndarray::{ArrayD, IxDyn};

use crate::dtype::DType;
use crate::error::{Error, ErrorKind, OrRaise};
use crate::random::{Generator, with_default_generator};
use crate::sort::index_tensor;
use crate::tensor::{Tensor, check_float};

/// One draw from the prefix sums `c` of a row of weights (`c_last > 0`).
fn draw(c: &[f64], generator: &mut Generator) -> usize {
    let u = generator.uniform() * c[c.len() - 1]; // in [0, c_last)
    c.partition_point(|&ci| ci <= u)
}

/// `n` draws from one row of checked weights.
fn draw_row(weights: &[f64], n: usize, replacement: bool, generator: &mut Generator) -> Vec<usize> {
    let prefix_sums = |w: &[f64]| -> Vec<f64> {
        w.iter()
            .scan(0.0, |total, &x| {
                *total += x;
                Some(*total)
            })
            .collect()
    };
    if replacement {
        let c = prefix_sums(weights);
        return (0..n).map(|_| draw(&c, generator)).collect();
    }
    let mut w = weights.to_vec();
    (0..n)
        .map(|_| {
            let i = draw(&prefix_sums(&w), generator);
            w[i] = 0.0; // drawn: it cannot come again
            i
        })
        .collect()
}

/// The weights of `probs` as rows of f64, checked: 1-D or 2-D, non-empty rows of finite
/// non-negative weights with a positive sum, and enough of them for `n` draws.
fn checked_rows(probs: &Tensor, n: usize, replacement: bool) -> Result<Vec<Vec<f64>>, Error> {
    let fail = |kind, message: String| Err(Error::new("multinomial", kind, message));
    check_float("multinomial", probs)?;
    let shape = probs.shape();
    if !(1..=2).contains(&shape.len()) {
        return fail(
            ErrorKind::Shape,
            format!("probabilities must be 1-D [C] or 2-D [B, C], got shape {shape:?}"),
        );
    }
    let categories = shape[shape.len() - 1];
    if n == 0 || categories == 0 {
        return fail(
            ErrorKind::Value,
            format!("cannot draw {n} samples from {categories} categories (shape {shape:?})"),
        );
    }
    if !replacement && n > categories {
        return Err(Error::new(
            "multinomial",
            ErrorKind::Value,
            format!("cannot draw {n} samples from {categories} categories without replacement"),
        )
        .with_hint("draw at most as many samples as categories, or set replacement = true"));
    }
    let values = probs.to_vec::<f64>();
    let mut rows = Vec::new();
    for (r, row) in values.chunks(categories).enumerate() {
        if let Some((c, &w)) = row
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            // printed in the tensor's own precision (an f32 −0.1 as −0.1)
            let w = match probs.dtype() {
                DType::F32 => (w as f32).to_string(),
                _ => w.to_string(),
            };
            return Err(Error::new(
                "multinomial",
                ErrorKind::Value,
                format!("weight {w} at row {r}, category {c} is negative or not finite (shape {shape:?})"),
            )
            .with_hint("pass probabilities (e.g. softmax of the logits), not logits"));
        }
        let positive = row.iter().filter(|&&w| w > 0.0).count();
        if positive == 0 {
            return fail(
                ErrorKind::Value,
                format!("row {r} has all weights zero; there is nothing to draw (shape {shape:?})"),
            );
        }
        if !replacement && positive < n {
            return fail(
                ErrorKind::Value,
                format!(
                    "row {r} has {positive} categories with a non-zero weight, too few for {n} \
                     draws without replacement"
                ),
            );
        }
        rows.push(row.to_vec());
    }
    Ok(rows)
}

impl Tensor {
    /// `num_samples` category indices per row of `self`, drawn with probabilities
    /// proportional to the weights, from `generator` (PyTorch's `generator=`; see
    /// [`Tensor::multinomial`], which uses the thread's default generator).
    ///
    /// # Shapes
    /// `[C]` → `[num_samples]`; `[B, C]` → `[B, num_samples]`.
    ///
    /// # Errors
    /// A [`ErrorKind::Shape`] error unless `self` is 1-D or 2-D; a [`ErrorKind::Value`]
    /// error for no samples or no categories, a negative, NaN or infinite weight, a row
    /// of zeros, or (without replacement) more samples than non-zero weights.
    pub fn try_multinomial_with(
        &self,
        num_samples: usize,
        replacement: bool,
        generator: &mut Generator,
    ) -> Result<Tensor, Error> {
        let rows = checked_rows(self, num_samples, replacement)?;
        let draws: Vec<usize> = rows
            .iter()
            .flat_map(|w| draw_row(w, num_samples, replacement, generator))
            .collect();
        let mut shape = self.shape().to_vec();
        *shape.last_mut().expect("checked: 1-D or 2-D") = num_samples;
        let positions = ArrayD::from_shape_vec(IxDyn(&shape), draws)
            .expect("internal error: one row of draws per row of weights; this is a bug");
        Ok(index_tensor(positions))
    }

    /// [`Tensor::try_multinomial_with`] from a generator the caller owns, so a decoder
    /// can be seeded without touching the thread's default generator
    /// (`torch.multinomial(probs, n, generator=g)`).
    ///
    /// # Shapes
    /// `[C]` → `[num_samples]`; `[B, C]` → `[B, num_samples]`.
    ///
    /// # Panics
    /// On the errors of [`Tensor::try_multinomial_with`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::{Generator, Tensor};
    /// let probs = Tensor::from_vec(vec![0.0, 1.0, 0.0], &[3]);
    /// let mut generator = Generator::new();
    /// generator.manual_seed(3);
    /// assert_eq!(probs.multinomial_with(2, true, &mut generator).to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn multinomial_with(
        &self,
        num_samples: usize,
        replacement: bool,
        generator: &mut Generator,
    ) -> Tensor {
        self.try_multinomial_with(num_samples, replacement, generator)
            .or_raise()
    }

    /// `num_samples` category indices per row, drawn with probabilities proportional to
    /// the weights in `self`, as `torch.multinomial`; draws come from the thread's default
    /// generator, so [`crate::manual_seed`] makes them repeatable.
    ///
    /// ```text
    /// P(draw = i) = wᵢ / Σⱼ wⱼ       (without replacement: over the categories not drawn yet)
    /// ```
    /// Indices are whole numbers stored as f32 (ferrograd's index tensors).
    ///
    /// # Shapes
    /// `[C]` → `[num_samples]`; `[B, C]` → `[B, num_samples]`.
    ///
    /// # Panics
    /// If `self` is not 1-D or 2-D, `num_samples` is 0, a weight is negative, NaN or
    /// infinite, a row is all zeros, or (without replacement) a row has fewer non-zero
    /// weights than `num_samples`.
    ///
    /// # Examples
    /// ```
    /// # use tensor::{Tensor, manual_seed};
    /// let probs = Tensor::from_vec(vec![0.1, 0.6, 0.3, 0.5, 0.0, 0.5], &[2, 3]);
    /// manual_seed(0);
    /// let draws = probs.multinomial(2, false); // two different categories per row
    /// assert_eq!(draws.shape(), &[2, 2]);
    /// let row_1 = &draws.to_vec::<f32>()[2..];
    /// assert!(row_1 == [0.0, 2.0] || row_1 == [2.0, 0.0]); // category 1 has weight 0
    /// manual_seed(0);
    /// assert_eq!(probs.multinomial(2, false).to_vec::<f32>(), draws.to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn multinomial(&self, num_samples: usize, replacement: bool) -> Tensor {
        with_default_generator(|g| self.try_multinomial_with(num_samples, replacement, g))
            .or_raise()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generator of its own, seeded with `seed`.
    fn seeded(seed: u64) -> Generator {
        let mut generator = Generator::new();
        generator.manual_seed(seed);
        generator
    }

    #[test]
    fn frequencies_follow_the_weights() {
        let probs = Tensor::from_vec(vec![1.0, 0.0, 3.0, 6.0], &[4]);
        let mut rng = seeded(1);
        let draws = probs
            .multinomial_with(20_000, true, &mut rng)
            .to_vec::<f32>();
        let count = |i: f32| draws.iter().filter(|&&d| d == i).count() as f64 / 20_000.0;
        assert_eq!(count(1.0), 0.0);
        for (i, p) in [(0.0, 0.1), (2.0, 0.3), (3.0, 0.6)] {
            assert!((count(i) - p).abs() < 0.015, "category {i}: {}", count(i));
        }
    }

    #[test]
    fn without_replacement_draws_each_category_once() {
        let probs = Tensor::from_vec(vec![5.0, 1.0, 1.0, 2.0, 0.5, 0.5, 9.0, 0.1], &[2, 4]);
        let draws = probs.multinomial(4, false);
        assert_eq!(draws.shape(), &[2, 4]);
        for row in draws.to_vec::<f32>().chunks(4) {
            let mut sorted = row.to_vec();
            sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
            assert_eq!(sorted, vec![0.0, 1.0, 2.0, 3.0]);
        }
        // the heaviest category usually comes first
        let mut rng = seeded(2);
        let firsts = (0..2000)
            .filter(|_| probs.multinomial_with(2, false, &mut rng).to_vec::<f32>()[0] == 0.0)
            .count();
        assert!((firsts as f64 / 2000.0 - 5.0 / 9.0).abs() < 0.04);
    }

    #[test]
    fn one_seed_gives_one_sequence() {
        let probs = Tensor::from_vec(vec![0.25; 4], &[4]);
        let run = || probs.multinomial_with(50, true, &mut seeded(9));
        assert_eq!(run().to_vec::<f32>(), run().to_vec::<f32>());
    }

    #[test]
    fn misuse_is_reported() {
        let rng = &mut seeded(0);
        let mut err = |data: Vec<f32>, shape: &[usize], n, replacement| {
            Tensor::from_vec(data, shape)
                .try_multinomial_with(n, replacement, rng)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(vec![0.5, -0.1, 0.6], &[3], 1, true),
            "multinomial: weight -0.1 at row 0, category 1 is negative or not finite \
              (shape [3]). Hint: pass probabilities (e.g. softmax of the logits), not logits"
        );
        assert!(err(vec![1.0, f32::NAN], &[2], 1, true).contains("weight NaN at row 0"));
        assert_eq!(
            err(vec![1.0, 1.0, 0.0, 0.0], &[2, 2], 1, true),
            "multinomial: row 1 has all weights zero; there is nothing to draw (shape [2, 2])"
        );
        assert!(
            err(vec![1.0, 1.0], &[2], 3, false)
                .starts_with("multinomial: cannot draw 3 samples from 2 categories without")
        );
        assert!(
            err(vec![1.0, 0.0, 1.0], &[3], 3, false)
                .contains("row 0 has 2 categories with a non-zero weight, too few for 3 draws")
        );
        assert!(err(vec![1.0], &[1], 0, true).contains("cannot draw 0 samples"));
        assert!(err(vec![1.0; 8], &[2, 2, 2], 1, true).contains("must be 1-D [C] or 2-D"));
    }

    #[test]
    #[should_panic(expected = "multinomial: row 0 has all weights zero")]
    fn all_zero_probabilities_panic() {
        Tensor::zeros(&[3]).multinomial(1, true);
    }
}
