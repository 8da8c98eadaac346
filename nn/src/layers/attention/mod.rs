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
//! A mask says which keys a query may look at. As in PyTorch it is either a float
//! tensor, added to the scores (0 = allowed, −∞ = masked, anything between = a bias),
//! or a bool tensor, whose meaning is the API's, and PyTorch's two APIs read it the
//! opposite way round:
//!
//! ```text
//! scaled_dot_product_attention(attn_mask)      true = may attend ("take part")
//! MultiheadAttention / Transformer masks       true = may NOT attend (masked out, padding)
//! ```
//! Ferrograd follows each, so code ported from PyTorch keeps its meaning; every mask
//! argument says which reading it uses. A float mask reads the same everywhere, which
//! is why [`causal_mask`] returns one.
//!
//! Files: [`scaled_dot_product`] (the equations above, one function),
//! [`multihead`] (projections into heads, PyTorch's parameter names), [`config`]
//! (its options), [`kv_cache`] (keys and values kept for incremental decoding) and
//! [`causal_self_attention`] (decoder-only language models: grouped key/value heads,
//! RoPE, Hugging Face LLaMA's names).
//! Attention for RNN encoder–decoders, one decoder query at a time, where a learned
//! function scores each (query, key) pair: [`seq2seq`] (what they share: padding mask,
//! softmax, context), [`additive`] (Bahdanau) and [`multiplicative`] (Luong's dot,
//! general and concat scores).
//! Read [`scaled_dot_product`] first. Read next: [`crate::layers::positional`], then
//! [`crate::layers::transformer`].

pub mod additive;
pub mod causal_self_attention;
pub mod config;
pub mod kv_cache;
pub mod multihead;
pub mod multiplicative;
pub mod scaled_dot_product;
pub mod seq2seq;

pub use kv_cache::KvCache;
use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

/// What `true` means in a bool attention mask (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BoolMask {
    /// `true` = the query may attend to the key (`scaled_dot_product_attention`).
    TrueAllows,
    /// `true` = the key is masked out (`MultiheadAttention`, `Transformer`).
    TrueMasks,
}

/// `mask` as a float tensor of `dtype` to add to the scores: a bool mask becomes 0
/// where the key is allowed and −∞ where it is masked (read as `reading` says); a
/// float mask is returned as it is (in `dtype`).
///
/// # Panics
/// If `mask` is an i64 tensor, naming `op` and `what` (the argument's name).
#[track_caller]
pub(crate) fn additive_mask(
    op: &'static str,
    what: &str,
    mask: &Tensor,
    reading: BoolMask,
    dtype: DType,
) -> Tensor {
    match mask.dtype() {
        DType::Bool => {
            let masked = match reading {
                BoolMask::TrueMasks => mask.clone(),
                BoolMask::TrueAllows => mask.logical_not(),
            };
            Tensor::zeros_dtype(mask.shape(), dtype).masked_fill(&masked, f64::NEG_INFINITY)
        }
        DType::F32 | DType::F64 => mask.to_dtype(dtype),
        DType::I64 => Error::new(
            op,
            ErrorKind::DType,
            format!(
                "{what} must be a bool or float tensor, got i64 {:?}",
                mask.shape()
            ),
        )
        .with_hint("compare to get a bool mask, e.g. ids.eq_scalar(pad as f64) for padding")
        .raise(),
    }
}

/// The causal ("no peeking ahead") mask for `t` queries and `t` keys, as PyTorch's
/// `nn.Transformer.generate_square_subsequent_mask(t)`: an f32 tensor with −∞ where
/// key `j` comes after query `i` (`j > i`) and 0 elsewhere. Being a float mask, it
/// means the same to every attention function here.
///
/// ```text
/// t = 3:  0 −∞ −∞
///         0  0 −∞
///         0  0  0
/// ```
///
/// # Examples
/// ```
/// let m = nn::layers::attention::causal_mask(2);
/// assert_eq!(m.to_vec::<f32>(), vec![0.0, f32::NEG_INFINITY, 0.0, 0.0]);
/// ```
pub fn causal_mask(t: usize) -> Tensor {
    Tensor::zeros(&[t, t]).masked_fill(&causal_bool(t, t), f64::NEG_INFINITY)
}

/// `true` where key `j` lies after query `i` (`j > i`), `[t_q, t_k]`, aligned at the
/// top left as PyTorch's `is_causal` (`torch.ones(L, S).tril()` is its negation).
pub(crate) fn causal_bool(t_q: usize, t_k: usize) -> Tensor {
    let rows = Tensor::arange_i64(0, t_q as i64, 1).reshape(&[t_q, 1]);
    let cols = Tensor::arange_i64(0, t_k as i64, 1).reshape(&[1, t_k]);
    cols.gt(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causal_masks_hide_the_keys_after_each_query() {
        assert_eq!(
            causal_bool(2, 3).to_vec::<bool>(),
            vec![false, true, true, false, false, true]
        );
        assert_eq!(causal_mask(1).to_vec::<f32>(), vec![0.0]);
        assert_eq!(causal_mask(2).dtype(), DType::F32);
    }

    #[test]
    fn bool_masks_read_either_way_and_float_masks_stay() {
        let m = Tensor::from_vec_bool(vec![false, true], &[2]);
        let inf = f64::NEG_INFINITY;
        let op = "test";
        let masks = additive_mask(op, "mask", &m, BoolMask::TrueMasks, DType::F64);
        assert_eq!(masks.to_vec::<f64>(), vec![0.0, inf]);
        let allows = additive_mask(op, "mask", &m, BoolMask::TrueAllows, DType::F32);
        assert_eq!(allows.to_vec::<f64>(), vec![inf, 0.0]);
        let bias = Tensor::from_vec(vec![0.5, -1.0], &[2]);
        let added = additive_mask(op, "mask", &bias, BoolMask::TrueMasks, DType::F64);
        assert_eq!(
            (added.dtype(), added.to_vec::<f64>()),
            (DType::F64, vec![0.5, -1.0])
        );
    }

    #[test]
    #[should_panic(expected = "attn: mask must be a bool or float tensor, got i64 [2]")]
    fn integer_masks_are_refused() {
        let ids = Tensor::from_vec_i64(vec![0, 1], &[2]);
        additive_mask("attn", "mask", &ids, BoolMask::TrueMasks, DType::F32);
    }
}
