//! Scaled dot-product attention, the function every attention layer calls.
//!
//! ```text
//! scores  = (Q / √D) · Kᵀ + mask          [.., T_q, T_k]   (Q is scaled first: T_q·D
//!                                                           multiplies instead of T_q·T_k)
//! weights = softmax(scores, dim = −1)      the attention each query pays to each key
//! weights = dropout(weights, p)            in training only, as PyTorch
//! output  = weights · V                    [.., T_q, D_v]
//! ```
//! Why `/√D`: with unit-variance entries, a dot product of length D has variance D;
//! dividing by √D keeps the scores near unit scale, so the softmax does not saturate
//! and its gradient does not vanish (Vaswani et al., 2017, §3.2.1).
//!
//! **Fully masked rows.** If a query may look at no key at all, every score in its
//! row is −∞ and the softmax is 0/0 = NaN (PyTorch's explicit-softmax path returns
//! NaN there). Here such a row gets all-zero weights, so its output is 0 and no NaN
//! reaches the gradients: the row's scores are replaced by 0 before the softmax and
//! the row's weights by 0 after it, with `where_cond`, whose backward never multiplies
//! by an infinity. This is what PyTorch's newer `_safe_softmax` does in
//! `scaled_dot_product_attention`. A large finite mask value (−1e9) instead gives a
//! uniform row, as in PyTorch.
//! Read next: [`super::multihead`].

use autograd::Var;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::shape::{broadcast_shapes, check_broadcast_to};
use tensor::{DType, Tensor};

use super::{BoolMask, additive_mask, causal_bool};

/// `softmax(Q·Kᵀ/√D + mask)·V`, returning `(output, weights)`, as
/// `torch.nn.functional.scaled_dot_product_attention` (which returns only the output).
///
/// - `attn_mask`: broadcast to `[.., T_q, T_k]`, as PyTorch's: a **bool** tensor with
///   `true` = the query *may* attend to the key ("takes part"; the opposite of
///   `MultiheadAttention`'s bool masks), or a float tensor added to the scores.
/// - `dropout_p`: dropout on the weights, applied only when `training`; the returned
///   weights are the ones after dropout (as PyTorch's `MultiheadAttention` returns).
/// - `is_causal`: also mask every key after the query (`j > i`, top-left aligned).
///
/// A query row whose keys are all masked gets zero weights and zero output (see the
/// [module docs](self)).
///
/// # Shapes
/// - `q`: `[.., T_q, D]`, `k`: `[.., T_k, D]`, `v`: `[.., T_k, D_v]` (leading dims
///   broadcast, e.g. `[B, H]`)
/// - output: `[.., T_q, D_v]`, weights: `[.., T_q, T_k]`
///
/// # Panics
/// If an input has fewer than 2 dims, `q` and `k` differ in `D`, `k` and `v` differ
/// in `T_k`, the leading dims do not broadcast, the mask does not broadcast to the
/// scores, or `dropout_p` is not in `[0, 1]`.
///
/// # Examples
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// use ferrograd::nn::layers::attention::scaled_dot_product::scaled_dot_product_attention;
/// let q = Var::new(Tensor::randn(&[2, 3, 4])); // [B, T, D]
/// let (out, w) = scaled_dot_product_attention(&q, &q, &q, None, 0.0, true, false);
/// assert_eq!(out.shape(), vec![2, 3, 4]);
/// let w = w.value().to_vec::<f32>();
/// assert_eq!(w[0], 1.0); // causal: the first query sees only the first key
/// assert!((w[3] + w[4] - 1.0).abs() < 1e-6 && w[5] == 0.0);
/// ```
#[track_caller]
pub fn scaled_dot_product_attention(
    q: &Var,
    k: &Var,
    v: &Var,
    attn_mask: Option<&Tensor>,
    dropout_p: f64,
    is_causal: bool,
    training: bool,
) -> (Var, Var) {
    const OP: &str = "scaled_dot_product_attention";
    let scores_shape = check_qkv(&q.shape(), &k.shape(), &v.shape());
    if let Some(mask) = attn_mask {
        check_broadcast_to(OP, mask.shape(), &scores_shape).or_raise();
    }
    let head_dim = q.shape()[q.dims() - 1];
    let (t_q, t_k) = (
        scores_shape[scores_shape.len() - 2],
        scores_shape[scores_shape.len() - 1],
    );
    let given =
        attn_mask.map(|m| additive_mask(OP, "attn_mask", m, BoolMask::TrueAllows, q.dtype()));
    let mask = combine_masks(given, is_causal, t_q, t_k, q.dtype());

    let q_scaled = q.mul_scalar(1.0 / (head_dim as f64).sqrt());
    let scores = q_scaled.matmul(&k.transpose(-2, -1));
    let weights = masked_softmax(&scores, mask.as_ref()).dropout(dropout_p, training);
    let output = weights.matmul(v);
    (output, weights)
}

/// `softmax(scores + mask, dim = −1)` with fully masked rows set to zero weights.
/// `mask` is additive (−∞ = masked) and broadcasts to `scores`.
pub(crate) fn masked_softmax(scores: &Var, mask: Option<&Tensor>) -> Var {
    let Some(mask) = mask else {
        return scores.softmax(-1);
    };
    let scores = scores + &Var::new(mask.clone());
    // Rows whose every key is −∞: the scores are finite, so they are the mask's rows.
    let mask = if mask.dims() == 0 {
        mask.reshape(&[1])
    } else {
        mask.clone()
    };
    let (dead, _) = mask.eq_scalar(f64::NEG_INFINITY).min_dim(-1, true);
    if dead.max().item() == 0.0 {
        return scores.softmax(-1);
    }
    let zero = Var::new(Tensor::full_dtype(&[], 0.0, scores.dtype()));
    let safe_scores = Var::where_cond(&dead, &zero, &scores);
    Var::where_cond(&dead, &zero, &safe_scores.softmax(-1))
}

/// The additive mask for the scores: `given` (already additive) plus the causal mask
/// if asked; `None` if there is neither.
pub(crate) fn combine_masks(
    given: Option<Tensor>,
    is_causal: bool,
    t_q: usize,
    t_k: usize,
    dtype: DType,
) -> Option<Tensor> {
    let causal = is_causal.then(|| {
        Tensor::zeros_dtype(&[t_q, t_k], dtype)
            .masked_fill(&causal_bool(t_q, t_k), f64::NEG_INFINITY)
    });
    match (given, causal) {
        (Some(a), Some(c)) => Some(&a + &c),
        (a, c) => a.or(c),
    }
}

/// Checks q `[.., T_q, D]`, k `[.., T_k, D]`, v `[.., T_k, D_v]`; returns the scores'
/// shape `[.., T_q, T_k]` (leading dims broadcast).
#[track_caller]
fn check_qkv(q: &[usize], k: &[usize], v: &[usize]) -> Vec<usize> {
    let fail = |problem: String| -> ! {
        Error::new("scaled_dot_product_attention", ErrorKind::Shape, problem)
            .with_hint("q is [.., T_q, D], k is [.., T_k, D], v is [.., T_k, D_v]")
            .raise()
    };
    if q.len() < 2 || k.len() < 2 || v.len() < 2 {
        fail(format!(
            "q, k and v need at least 2 dims, got q {q:?}, k {k:?}, v {v:?}"
        ));
    }
    let (nq, nk, nv) = (q.len(), k.len(), v.len());
    if q[nq - 1] != k[nk - 1] {
        fail(format!(
            "q and k have different head dims {} and {} (q {q:?}, k {k:?})",
            q[nq - 1],
            k[nk - 1]
        ));
    }
    if k[nk - 2] != v[nv - 2] {
        fail(format!(
            "k and v have different lengths {} and {} (k {k:?}, v {v:?})",
            k[nk - 2],
            v[nv - 2]
        ));
    }
    let op = "scaled_dot_product_attention";
    let lead = broadcast_shapes(op, &q[..nq - 2], &k[..nk - 2]).or_raise();
    let lead = broadcast_shapes(op, &lead, &v[..nv - 2]).or_raise();
    [lead, vec![q[nq - 2], k[nk - 2]]].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::gradcheck;

    fn t64(data: &[f64], shape: &[usize]) -> Var {
        Var::param(Tensor::from_vec_f64(data.to_vec(), shape))
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn weights_are_the_softmax_of_scaled_scores() {
        // D = 4, √D = 2: scores = [2·1/2, 0] = [1, 0] → weights [e/(1+e), 1/(1+e)]
        let q = t64(&[2.0, 0.0, 0.0, 0.0], &[1, 4]);
        let k = t64(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &[2, 4]);
        let v = t64(&[1.0, 0.0, 0.0, 1.0], &[2, 2]); // identity: output = weights
        let (out, w) = scaled_dot_product_attention(&q, &k, &v, None, 0.0, false, false);
        let e = std::f64::consts::E;
        close(
            &w.value().to_vec::<f64>(),
            &[e / (1.0 + e), 1.0 / (1.0 + e)],
        );
        close(
            &out.value().to_vec::<f64>(),
            &[e / (1.0 + e), 1.0 / (1.0 + e)],
        );
    }

    #[test]
    fn bool_and_additive_masks_and_causal_agree() {
        let x = t64(&[0.3, -0.2, 0.5, 0.1, -0.4, 0.8], &[3, 2]);
        // PyTorch's reading here: true = may attend (the lower triangle)
        let allowed = causal_bool(3, 3).logical_not();
        let additive = super::super::causal_mask(3);
        let (a, _) = scaled_dot_product_attention(&x, &x, &x, Some(&allowed), 0.0, false, false);
        let (b, _) = scaled_dot_product_attention(&x, &x, &x, Some(&additive), 0.0, false, false);
        let (c, w) = scaled_dot_product_attention(&x, &x, &x, None, 0.0, true, false);
        close(&a.value().to_vec::<f64>(), &b.value().to_vec::<f64>());
        close(&a.value().to_vec::<f64>(), &c.value().to_vec::<f64>());
        // the first query sees only the first key: its output is v's first row
        close(&c.value().to_vec::<f64>()[..2], &[0.3, -0.2]);
        assert_eq!(w.value().to_vec::<f64>()[1..3], [0.0, 0.0]);
    }

    #[test]
    fn an_additive_bias_shifts_the_scores() {
        // scores [0, 0] + bias [ln 3, 0] → weights [3/4, 1/4]
        let q = t64(&[0.0, 0.0], &[1, 2]);
        let kv = t64(&[1.0, 0.0, 0.0, 1.0], &[2, 2]);
        let bias = Tensor::from_vec_f64(vec![3f64.ln(), 0.0], &[1, 2]);
        let (_, w) = scaled_dot_product_attention(&q, &kv, &kv, Some(&bias), 0.0, false, false);
        close(&w.value().to_vec::<f64>(), &[0.75, 0.25]);
    }

    #[test]
    fn a_fully_masked_row_gets_zero_weights_and_finite_gradients() {
        let q = t64(&[0.3, -0.2, 0.5, 0.1], &[2, 2]);
        let k = t64(&[0.1, 0.2, -0.3, 0.4], &[2, 2]);
        let v = t64(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
        // query 0 may look at key 0 only, query 1 at nothing
        let mask = Tensor::from_vec_bool(vec![true, false, false, false], &[2, 2]);
        let (out, w) = scaled_dot_product_attention(&q, &k, &v, Some(&mask), 0.0, false, false);
        close(&w.value().to_vec::<f64>(), &[1.0, 0.0, 0.0, 0.0]);
        close(&out.value().to_vec::<f64>(), &[1.0, 2.0, 0.0, 0.0]);
        out.sum().backward();
        for g in [q.grad(), k.grad(), v.grad()] {
            assert!(g.unwrap().to_vec::<f64>().iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn dropout_acts_only_in_training() {
        let x = Var::new(Tensor::randn(&[4, 3]));
        let (_, w_eval) = scaled_dot_product_attention(&x, &x, &x, None, 0.5, false, false);
        let rows: Vec<f32> = w_eval.value().sum_dim(-1, false).to_vec();
        assert!(rows.iter().all(|s| (s - 1.0).abs() < 1e-6));
        let (out, w) = scaled_dot_product_attention(&x, &x, &x, None, 1.0, false, true);
        assert!(w.value().to_vec::<f32>().iter().all(|&v| v == 0.0));
        assert!(out.value().to_vec::<f32>().iter().all(|&v| v == 0.0));
    }

    #[test]
    fn gradcheck_with_batch_heads_mask_and_causal() {
        let mask = Tensor::from_vec_f64(vec![0.0, -0.5, 0.2], &[1, 3]);
        let q = Tensor::from_vec_f64(
            (0..24).map(|i| (i as f64 * 0.37).sin()).collect(),
            &[2, 3, 4],
        );
        let k = Tensor::from_vec_f64(
            (0..24).map(|i| (i as f64 * 0.71).cos()).collect(),
            &[2, 3, 4],
        );
        // v is given as [1, D_v, T_k] and transposed inside: a non-contiguous input,
        // broadcast over the batch of 2
        let v_t = Tensor::from_vec_f64(
            (0..12).map(|i| (i as f64 * 0.53).sin()).collect(),
            &[1, 4, 3],
        );
        gradcheck(
            |x| {
                let v = x[2].transpose(-2, -1);
                scaled_dot_product_attention(&x[0], &x[1], &v, Some(&mask), 0.0, true, false).0
            },
            &[q.clone(), k.clone(), v_t.clone()],
        )
        .assert_passed();
        // the weights themselves
        gradcheck(
            |x| scaled_dot_product_attention(&x[0], &x[1], &x[1], None, 0.0, false, false).1,
            &[q, k],
        )
        .assert_passed();
    }

    #[test]
    #[should_panic(expected = "q and k have different head dims 4 and 3")]
    fn head_dims_must_agree() {
        let q = Var::new(Tensor::zeros(&[2, 4]));
        let k = Var::new(Tensor::zeros(&[2, 3]));
        scaled_dot_product_attention(&q, &k, &k, None, 0.0, false, false);
    }

    #[test]
    #[should_panic(expected = "k and v have different lengths 2 and 5")]
    fn keys_and_values_must_have_the_same_length() {
        let q = Var::new(Tensor::zeros(&[2, 4]));
        let v = Var::new(Tensor::zeros(&[5, 4]));
        scaled_dot_product_attention(&q, &q, &v, None, 0.0, false, false);
    }

    #[test]
    #[should_panic(expected = "scaled_dot_product_attention")]
    fn the_mask_must_broadcast_to_the_scores() {
        let q = Var::new(Tensor::zeros(&[2, 4]));
        let mask = Tensor::ones_dtype(&[3, 3], DType::Bool);
        scaled_dot_product_attention(&q, &q, &q, Some(&mask), 0.0, false, false);
    }
}
