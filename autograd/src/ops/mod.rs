//! The primitive differentiable ops, one per file. Each file holds the formula, the
//! derivation of its backward, what forward saves and why, one struct with `forward`
//! directly above `backward`, the `Var` method, and tests.
//!
//! Everything else (mean, var, silu, stack, ...) is a composite of these, in
//! [`crate::composite`], and needs no handwritten backward.

// elementwise, binary (equal shapes; broadcasting is the explicit broadcast_to node)
pub mod add;
pub mod div;
pub mod maximum;
pub mod mul;
pub mod sub;

// elementwise, unary
pub mod abs;
pub mod affine;
pub mod clamp;
pub mod dropout;
pub mod elu;
pub mod exp;
pub mod gelu;
pub mod leaky_relu;
pub mod log;
pub mod neg;
pub mod pow_scalar;
pub mod relu;
pub mod sigmoid;
pub mod softplus;
pub mod sqrt;
pub mod tanh;

// reductions
pub mod avg_pool2d;
pub mod log_softmax;
pub mod log_softmax_gather;
pub mod max_dim;
pub mod max_pool2d;
pub mod softmax;
pub mod sum;

// movement
pub mod broadcast_to;
pub mod cat;
pub mod narrow;
pub mod permute;
pub mod reshape;

// linear algebra
pub mod conv2d;
pub mod layer_norm;
pub mod linear;
pub mod matmul;

// fused layer steps
pub mod lstm;
pub mod lstm_cell;

// indexing and selection
pub mod embedding;
pub mod gather;
pub mod index_select;
pub mod scatter_add;
pub mod where_cond;
