//! One tower of the two-tower model: token ids → one vector per sentence, by an
//! embedding table and mean pooling (the bag-of-words encoder of DSSM and of
//! fastText-style sentence vectors).
//!
//! ```text
//! sentence s = (t₁, .., t_L)            BPE token ids, PAD = 0 fills a batch to T
//! e(s) = (1/L) Σᵢ W[tᵢ]                 W: [V, C] (nn::Embedding, padding row 0 = 0)
//! batch: ids [B, T] → W[ids] [B, T, C] → Σ over T → · (1/L) [B, 1] → [B, C]
//! ```
//! The padding row is zero and gets no gradient, so summing over all T positions
//! and dividing by the true length L is the mean over the real tokens.
//! Cost: B·T·C additions forward and backward; the table gradient touches B·T rows.
//! Read next: `loss.rs`.

use autograd::Var;
use nn::{Embedding, Module};
use tensor::Tensor;

/// A batch of tokenized sentences as tensors: the one place token-id tensors are
/// made (ids are `i64`, as `nn::Embedding` takes them).
pub struct TokenBatch {
    /// `[B, T]` token ids, PAD (0) after each sentence's end.
    pub ids: Tensor,
    /// `[B, 1]`, 1 / (number of tokens) per sentence (1 for an empty sentence).
    pub inv_len: Tensor,
}

impl TokenBatch {
    /// Pad `sentences` to the longest one.
    ///
    /// # Shapes
    /// `B = sentences.len()`, `T = max length (≥ 1)`: ids `[B, T]`, inv_len `[B, 1]`.
    ///
    /// # Examples
    /// ```
    /// use ferrograd::retrieval::TokenBatch;
    /// let b = TokenBatch::new(&[&[5, 6, 7][..], &[9][..]]);
    /// assert_eq!(b.ids.to_vec::<i64>(), [5, 6, 7, 9, 0, 0]);
    /// assert_eq!(b.inv_len.to_vec::<f32>(), [1.0 / 3.0, 1.0]);
    /// ```
    pub fn new<S: AsRef<[u32]>>(sentences: &[S]) -> TokenBatch {
        let t = sentences
            .iter()
            .map(|s| s.as_ref().len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = vec![0i64; sentences.len() * t];
        for (row, s) in ids.chunks_mut(t).zip(sentences) {
            row.iter_mut()
                .zip(s.as_ref())
                .for_each(|(r, &id)| *r = i64::from(id));
        }
        let inv_len = sentences
            .iter()
            .map(|s| 1.0 / s.as_ref().len().max(1) as f32)
            .collect();
        TokenBatch {
            ids: Tensor::from_vec_i64(ids, &[sentences.len(), t]),
            inv_len: Tensor::from_vec(inv_len, &[sentences.len(), 1]),
        }
    }
}

/// Embedding + mean pooling (module doc).
///
/// # Examples
/// ```
/// use ferrograd::retrieval::{TokenBatch, Tower};
/// let tower = Tower::new(100, 8);
/// let v = tower.forward(&TokenBatch::new(&[vec![4, 5], vec![6]]));
/// assert_eq!(v.shape(), vec![2, 8]);
/// ```
pub struct Tower {
    /// The token table, `[V, C]`, row 0 (PAD) fixed at zero.
    pub embedding: Embedding,
}

impl Tower {
    /// A tower over a vocabulary of `vocab_size` ids giving `dim`-sized vectors.
    pub fn new(vocab_size: usize, dim: usize) -> Tower {
        Tower {
            embedding: Embedding::new(vocab_size, dim).padding_idx(0),
        }
    }

    /// The mean of each sentence's token vectors.
    ///
    /// # Shapes
    /// `[B, T]` ids → `[B, C]`.
    ///
    /// # Panics
    /// If an id is not in `0..vocab_size`.
    #[track_caller]
    pub fn forward(&self, batch: &TokenBatch) -> Var {
        let summed = self.embedding.forward(&batch.ids).sum_dim(1, false); // [B, C]
        &summed * &Var::new(batch.inv_len.to_dtype(summed.value().dtype()))
    }
}

impl Module for Tower {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.embedding
            .visit_params(&format!("{prefix}embedding."), f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_is_the_mean_over_real_tokens() {
        let tower = Tower::new(6, 2);
        // row r = (2r, 2r + 1), the padding row 0 kept at zero
        let w: Vec<f32> = (0..12)
            .map(|v| if v < 2 { 0.0 } else { v as f32 })
            .collect();
        tower
            .embedding
            .weight
            .set_value(Tensor::from_vec(w, &[6, 2]));
        let v = tower.forward(&TokenBatch::new(&[vec![1, 3], vec![5]]));
        // rows 1 = (2, 3), 3 = (6, 7), 5 = (10, 11); padding contributes nothing
        assert_eq!(v.value().to_vec::<f32>(), [4.0, 5.0, 10.0, 11.0]);
        v.sum().backward();
        let g = tower.embedding.weight.grad().unwrap().to_vec::<f32>();
        assert_eq!(
            g,
            [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 1.0, 1.0]
        );
    }
}
