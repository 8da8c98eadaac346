//! Attention for RNN encoder–decoders: what Bahdanau's and Luong's attention share.
//!
//! At every step the decoder asks one question per batch row (its state, the query)
//! and gets back a mixture of the S encoder outputs (the values), weighted by how
//! well each key matches the query:
//!
//! ```text
//! scores[b, s]  = score(query[b], keys[b, s])          [B, S]   additive.rs, multiplicative.rs
//! scores[b, s] += −∞ where key_padding_mask[b, s]               padding gets weight exactly 0
//! weights[b]    = softmax(scores[b])                   [B, S]   sums to 1 over the real tokens
//! context[b]    = Σ_s weights[b, s] · values[b, s]     [B, H_v]
//! ```
//! The keys are the same at every decoder step, so whatever a score does to the keys
//! alone (a learned projection `W_k k`) is computed once per source batch by
//! `precompute_keys`, into [`ProjectedKeys`]; `forward` then only projects the query.
//! A row whose keys are all padding gets all-zero weights and a zero context (no NaN),
//! as in [`super::scaled_dot_product`].
//! Files: this one (the shared half), [`super::additive`] (Bahdanau),
//! [`super::multiplicative`] (Luong: dot, general, concat).
//! Read next: [`super::additive`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::scaled_dot_product::masked_softmax;
use super::{BoolMask, additive_mask};

/// The keys of one source batch after the layer's key-side work, made once by
/// `precompute_keys` and passed to every decoder step's `forward`.
///
/// # Shapes
/// `[B, S, N]`: `N` is the attention size (additive, Luong concat), the query size
/// (Luong general) or the key size (Luong dot).
#[derive(Clone)]
pub struct ProjectedKeys {
    projected: Var,
    made_by: String,
}

impl ProjectedKeys {
    /// Keys `[B, S, N]`, as the layer described by `made_by` projected them.
    pub(crate) fn new(projected: Var, made_by: String) -> ProjectedKeys {
        ProjectedKeys { projected, made_by }
    }

    /// The projected keys `[B, S, N]` (in the graph: gradients reach the keys and
    /// the key-side weights through them).
    pub fn projected(&self) -> &Var {
        &self.projected
    }

    /// `(B, S)`.
    pub fn batch_and_len(&self) -> (usize, usize) {
        let shape = self.projected.shape();
        (shape[0], shape[1])
    }
}

/// Panics, naming the layer, unless `keys` is `[B, S, key_size]` with `B, S ≥ 1`.
#[track_caller]
pub(crate) fn check_keys(op: &'static str, name: &str, keys: &Var, key_size: usize) {
    let shape = keys.shape();
    if shape.len() != 3 || shape[2] != key_size || shape[0] == 0 || shape[1] == 0 {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("{name}: keys have shape {shape:?}, expected [B, S, {key_size}]"),
        )
        .with_hint("keys are the encoder outputs, batch first: [B, S, key_size]")
        .raise();
    }
}

/// Panics, naming the layer, unless `keys` were projected by a layer described as
/// `name` (same kind and sizes) and `query` is `[B, query_size]` with the keys' `B`.
#[track_caller]
pub(crate) fn check_query(
    op: &'static str,
    name: &str,
    query: &Var,
    query_size: usize,
    keys: &ProjectedKeys,
) {
    if keys.made_by != name {
        Error::new(
            op,
            ErrorKind::Value,
            format!(
                "{name}: the keys were projected by {}, not by this layer",
                keys.made_by
            ),
        )
        .with_hint("call precompute_keys on the layer that runs forward")
        .raise();
    }
    let (batch, _) = keys.batch_and_len();
    let shape = query.shape();
    if shape != [batch, query_size] {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("{name}: query has shape {shape:?}, expected [{batch}, {query_size}] (the keys' batch, query_size)"),
        )
        .with_hint("one query per batch row: the decoder state [B, query_size]")
        .raise();
    }
}

/// The shared second half: mask the scores, softmax over the source, mix the values.
/// Returns `(context [B, H_v], weights [B, S])`.
///
/// `key_padding_mask` `[B, S]`: bool with `true` = padding (PyTorch's
/// `key_padding_mask`), or float, added to the scores.
///
/// # Panics
/// If `values` is not `[B, S, H_v]` with the scores' `B` and `S`, or the mask is not
/// `[B, S]` or is an i64 tensor.
#[track_caller]
pub(crate) fn attend(
    op: &'static str,
    name: &str,
    scores: &Var,
    values: &Var,
    key_padding_mask: Option<&Tensor>,
) -> (Var, Var) {
    let (batch, len) = (scores.shape()[0], scores.shape()[1]);
    let shape = values.shape();
    if shape.len() != 3 || shape[..2] != [batch, len] {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("{name}: values have shape {shape:?}, expected [{batch}, {len}, H_v] (the keys' batch and length)"),
        )
        .raise();
    }
    let mask = key_padding_mask.map(|mask| {
        if mask.shape() != [batch, len] {
            Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "{name}: key_padding_mask has shape {:?}, expected [{batch}, {len}] (the keys' batch and length)",
                    mask.shape()
                ),
            )
            .with_hint("one flag per source token, true = padding")
            .raise();
        }
        additive_mask(
            op,
            "key_padding_mask",
            mask,
            BoolMask::TrueMasks,
            scores.dtype(),
        )
    });
    let weights = masked_softmax(scores, mask.as_ref());
    // [B, 1, S] · [B, S, H_v] = [B, 1, H_v]: one weighted sum per batch row
    let context = weights.unsqueeze(1).matmul(values).squeeze(1);
    (context, weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(data: &[f64], shape: &[usize]) -> Var {
        Var::param(Tensor::from_vec_f64(data.to_vec(), shape))
    }

    #[test]
    fn context_is_the_weighted_sum_of_the_values_and_padding_gets_zero_weight() {
        // row 0: scores [0, ln 3] → weights [¼, ¾]; row 1: its second key is padding
        let scores = var(&[0.0, 3f64.ln(), 5.0, -1.0], &[2, 2]);
        let values = var(&[1.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0], &[2, 2, 2]);
        let padding = Tensor::from_vec_bool(vec![false, false, false, true], &[2, 2]);
        let (context, weights) = attend("t", "t", &scores, &values, Some(&padding));
        let w: Vec<f64> = weights.value().to_vec();
        assert!((w[0] - 0.25).abs() < 1e-12 && (w[1] - 0.75).abs() < 1e-12);
        assert_eq!(&w[2..], &[1.0, 0.0]);
        let c: Vec<f64> = context.value().to_vec();
        assert!((c[0] - 0.25).abs() < 1e-12 && (c[1] - 0.75).abs() < 1e-12);
        assert_eq!(&c[2..], &[2.0, 4.0]);
        // the padded value gets no gradient
        context.sum().backward();
        let g: Vec<f64> = values.grad().unwrap().to_vec();
        assert_eq!(&g[6..], &[0.0, 0.0]);
    }

    #[test]
    fn an_all_padding_row_gets_zero_weights_not_nan() {
        let scores = var(&[1.0, 2.0], &[1, 2]);
        let values = var(&[1.0, 2.0], &[1, 2, 1]);
        let padding = Tensor::from_vec_bool(vec![true, true], &[1, 2]);
        let (context, weights) = attend("t", "t", &scores, &values, Some(&padding));
        assert_eq!(weights.value().to_vec::<f64>(), vec![0.0, 0.0]);
        assert_eq!(context.value().to_vec::<f64>(), vec![0.0]);
    }

    #[test]
    #[should_panic(
        expected = "L: values have shape [2, 3, 4], expected [2, 2, H_v] (the keys' batch and length)"
    )]
    fn values_of_another_length_are_named() {
        let scores = var(&[0.0; 4], &[2, 2]);
        attend("op", "L", &scores, &var(&[0.0; 24], &[2, 3, 4]), None);
    }

    #[test]
    #[should_panic(expected = "L: key_padding_mask has shape [2], expected [1, 2]")]
    fn a_mask_of_the_wrong_shape_is_named() {
        let mask = Tensor::from_vec_bool(vec![false, true], &[2]);
        attend(
            "op",
            "L",
            &var(&[0.0; 2], &[1, 2]),
            &var(&[0.0; 2], &[1, 2, 1]),
            Some(&mask),
        );
    }
}
