//! Attention, as `torch.nn.functional.scaled_dot_product_attention` and
//! `torch.nn.MultiheadAttention`.
//!
//! Every query looks at every key, turns the match scores into a probability
//! distribution, and takes that mixture of the values:
//!
//! ```text
//! scores  = Q·Kᵀ / √D + mask          [.., T_q, T_k]
//! weights = softmax(scores, dim = −1)  each row sums to 1
//! output  = weights · V                [.., T_q, D_v]
//! ```
//! A mask says which keys a query may not look at. PyTorch uses bool tensors for
//! that; ferrograd has no bool dtype, so a [`Mask`] says in its variant how to read
//! its float tensor:
//!
//! ```text
//! Mask::Bool(m)      m ≠ 0 → masked out (score becomes −∞), m = 0 → allowed
//!                    (PyTorch's MultiheadAttention/Transformer convention: True = not allowed)
//! Mask::Additive(m)  m is added to the scores (0 = allowed, −∞ = masked, anything between = a bias)
//! ```
//! Careful: `torch.nn.functional.scaled_dot_product_attention` reads a *bool*
//! `attn_mask` the other way round (True = allowed). Ferrograd uses one convention
//! everywhere: `Bool` = 1 means masked out.
//!
//! Files: [`scaled_dot_product`] (the equations above, one function),
//! [`multihead`] (projections into heads, PyTorch's parameter names), [`config`]
//! (its options) and [`kv_cache`] (keys and values kept for incremental decoding).
//! Read [`scaled_dot_product`] first. Read next: [`crate::layers::positional`], then
//! [`crate::layers::transformer`].

pub mod config;
pub mod kv_cache;
pub mod multihead;
pub mod scaled_dot_product;

pub use kv_cache::KvCache;
use tensor::{DType, Tensor};

/// Which keys each query may not attend to; see the [module docs](self) for the two
/// readings of the float tensor.
///
/// # Examples
/// ```
/// use nn::layers::attention::Mask;
/// use tensor::Tensor;
/// // query 0 may not look at key 1
/// let m = Mask::Bool(Tensor::from_vec(vec![0.0, 1.0, 0.0, 0.0], &[2, 2]));
/// assert_eq!(m.to_additive(tensor::DType::F32).to_vec::<f32>(), vec![0.0, f32::NEG_INFINITY, 0.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub enum Mask {
    /// Nonzero = masked out (PyTorch's `True` in `nn.MultiheadAttention`).
    Bool(Tensor),
    /// Added to the attention scores before the softmax (`−∞` masks completely).
    Additive(Tensor),
}

impl Mask {
    /// The mask's tensor, whichever its reading.
    pub fn tensor(&self) -> &Tensor {
        match self {
            Mask::Bool(t) | Mask::Additive(t) => t,
        }
    }

    /// The mask's shape.
    pub fn shape(&self) -> &[usize] {
        self.tensor().shape()
    }

    /// The mask as a float tensor to add to scores: `Bool` becomes `−∞` where nonzero
    /// and `0` elsewhere; `Additive` is returned as it is (in `dtype`).
    pub fn to_additive(&self, dtype: DType) -> Tensor {
        match self {
            Mask::Bool(m) => {
                let zeros = Tensor::full_dtype(m.shape(), 0.0, dtype);
                zeros.masked_fill(m, f64::NEG_INFINITY)
            }
            Mask::Additive(m) => m.to_dtype(dtype),
        }
    }

    /// The same reading with the tensor reshaped (used to add broadcast dims).
    #[track_caller]
    pub(crate) fn reshaped(&self, shape: &[usize]) -> Mask {
        match self {
            Mask::Bool(m) => Mask::Bool(m.reshape(shape)),
            Mask::Additive(m) => Mask::Additive(m.reshape(shape)),
        }
    }
}

/// The causal ("no peeking ahead") mask for `t` queries and `t` keys: query `i` may
/// look at keys `0..=i`. A `Mask::Bool` with 1 above the diagonal, the same as
/// PyTorch's `nn.Transformer.generate_square_subsequent_mask(t)` (which writes −∞
/// where this writes 1).
///
/// ```text
/// t = 3:  0 1 1
///         0 0 1
///         0 0 0
/// ```
///
/// # Examples
/// ```
/// let m = nn::layers::attention::causal_mask(3);
/// assert_eq!(m.tensor().to_vec::<f32>(), vec![0., 1., 1., 0., 0., 1., 0., 0., 0.]);
/// ```
pub fn causal_mask(t: usize) -> Mask {
    Mask::Bool(causal_bool(t, t))
}

/// 1 where key `j` lies after query `i` (`j > i`), `[t_q, t_k]`, aligned at the top
/// left as PyTorch's `is_causal` (`torch.ones(L, S).tril()`).
pub(crate) fn causal_bool(t_q: usize, t_k: usize) -> Tensor {
    let rows = Tensor::arange(0.0, t_q as f64, 1.0).reshape(&[t_q, 1]);
    let cols = Tensor::arange(0.0, t_k as f64, 1.0).reshape(&[1, t_k]);
    cols.gt(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causal_mask_is_one_strictly_above_the_diagonal() {
        assert_eq!(
            causal_bool(2, 3).to_vec::<f32>(),
            vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0]
        );
        assert_eq!(causal_mask(1).tensor().to_vec::<f32>(), vec![0.0]);
    }

    #[test]
    fn bool_masks_become_minus_infinity_and_additive_masks_stay() {
        let m = Mask::Bool(Tensor::from_vec(vec![0.0, 2.0], &[2]));
        assert_eq!(
            m.to_additive(DType::F64).to_vec::<f64>(),
            vec![0.0, f64::NEG_INFINITY]
        );
        let a = Mask::Additive(Tensor::from_vec(vec![0.5, -1.0], &[2]));
        assert_eq!(a.to_additive(DType::F64).dtype(), DType::F64);
        assert_eq!(a.to_additive(DType::F32).to_vec::<f32>(), vec![0.5, -1.0]);
    }
}
