//! The differentiable ops, one per file. Each file holds the formula, the derivation
//! of its backward, what forward saves and why, one struct with `forward` directly
//! above `backward`, the `Var` method, and tests.
//!
//! Two kinds. **Primitives** are the small set everything else is composed of (mean,
//! var, silu, stack, … in [`crate::composite`], with no handwritten backward).
//! **Fused for speed** ops compute what a few primitives would, as one graph node with
//! a one-pass backward; each opens with its reference composite (public, built from
//! primitives, read it first) and is tested against it, values and gradients.

// ---- primitives
// elementwise, binary (equal shapes; broadcasting is the explicit broadcast_to node)
pub mod add;
pub mod div;
pub mod maximum;
pub mod mul;
pub mod sub;

// elementwise, unary
pub mod abs;
pub mod affine; // a·x + b: one node for `x * 2.0`, `1.0 - x`, …
pub mod clamp;
pub mod elu;
pub mod exp;
pub mod gelu; // the exact form needs erf, which has no Var op
pub mod leaky_relu;
pub mod log;
pub mod neg;
pub mod pow_scalar;
pub mod relu;
pub mod sigmoid; // 1/(1 + exp(−x)) composed overflows to NaN gradients
pub mod softplus; // ln(1 + exp(x)) composed overflows
pub mod sqrt;
pub mod tanh;

// reductions and scans
pub mod cumsum;
pub mod log_softmax; // x − logsumexp(x) is stable too, but this is every loss's core
pub mod max_dim;
pub mod sum;

// movement
pub mod broadcast_to;
pub mod cat;
pub mod narrow;
pub mod permute;
pub mod reshape;

// linear algebra
pub mod conv2d; // the sum over windows, lowered onto the GEMM (im2col)
pub mod matmul;

// indexing and selection
pub mod embedding;
pub mod gather;
pub mod index_select;
pub mod scatter_add;
pub mod where_cond;

// windows over images
pub mod avg_pool2d;
pub mod max_pool2d;

// ---- fused for speed (each: its reference composite first, then the fused op)
pub mod dropout; // x ⊙ mask without a mask tensor: the mask is redrawn from its seed
pub mod embedding_bag; // a bag's rows summed in place, without the [G, S, C] lookup (CBOW)
pub mod embedding_dot; // word2vec's logit ⟨A[i], B[j]⟩ without two [N, C] lookups and their product
pub mod layer_norm; // ~11 nodes and full-size buffers become one node, one pass each way
pub mod linear; // x·Wᵀ + b: the bias is added into the product, no broadcast copy
pub mod log_softmax_gather; // cross-entropy's core without the [N, C] log-probabilities
pub mod lstm; // one node per sequence, and ∂L/∂W_hh as one product over all steps
pub mod lstm_cell; // the 12 elementwise nodes of an LSTM step as one pass each way
pub mod softmax; // exp(x − max) / Σ: one pass per lane where the composite makes six nodes

/// Test helper: `df` equals the central difference of `f`, at points away from the
/// kinks of relu, leaky_relu and elu (x = 0); central differences in f64 are good to
/// about 1e-10.
#[cfg(test)]
pub(crate) fn assert_derivative(name: &str, f: impl Fn(f64) -> f64, df: impl Fn(f64) -> f64) {
    let h = 1e-5;
    for x in [-6.0, -2.5, -1.0, -0.3, 0.2, 0.7, 1.5, 3.0, 6.0] {
        let (analytic, numeric) = (df(x), (f(x + h) - f(x - h)) / (2.0 * h));
        assert!(
            (analytic - numeric).abs() < 1e-7 * (1.0 + numeric.abs()),
            "{name}'({x}): analytic {analytic} vs numeric {numeric}"
        );
    }
}
