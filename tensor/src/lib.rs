//! `tensor`: ferrograd's n-dimensional array. No gradients live here.
//!
//! A [`Tensor`] is an ndarray `ArcArray` (shared, copy-on-write storage with strides)
//! tagged with a runtime [`DType`]: `F32` for training, `F64` for tight gradient checks,
//! `I64` for indices, labels and token ids, `Bool` for masks.
//! Cloning a tensor is cheap (a reference count); views (transpose, permute, narrow)
//! share storage and only change strides.
//!
//! Reading order:
//! 1. [`dtype`] and [`tensor`]: the type itself, its storage and accessors;
//! 2. [`error`] and [`shape`]: the shape rules every op checks first, and the messages;
//! 3. [`creation`] and [`random`]: how tensors are made (a seeded generator per thread);
//! 4. [`elementwise`], [`unary`], [`compare`], [`masked`]: maps and broadcasting zips,
//!    comparisons into bool masks, and selecting with them;
//! 5. [`reduce`] and [`softmax`]: reductions along a dim, stable softmax;
//! 6. [`movement`], [`join`], [`index`]: views, concatenation, gathers and scatters;
//!    [`sort`] (sort, topk), [`scan`] (cumsum, flip) and [`multinomial`] (sampling
//!    categories), what decoding a language model needs;
//! 7. [`matmul`]: the hot path, a packed, cache-blocked SIMD GEMM written here
//!    (AVX-512 and AVX2 tiers, `matrixmultiply` on other CPUs);
//! 8. [`layer_norm`] and [`lstm_cell`]: the forward kernels of two fused autograd ops,
//!    and [`lanes`], the row and lane loops that fused kernels share;
//!    [`conv`]: convolution (im2col onto the GEMM) and pooling over images;
//! 9. [`parallel`] (the one rayon policy), [`memory`] (the allocator setting that keeps
//!    freed memory for the next step) and [`display`];
//! 10. [`io`]: state dicts and safetensors files (what `nn` and `optim` save).

// The matmul module docs link to its private kernel and packing files, which a reader
// opens next in the source (or with `cargo doc --document-private-items`).
#![allow(rustdoc::private_intra_doc_links)]

pub mod compare;
pub mod conv;
pub mod creation;
pub mod display;
pub mod dtype;
pub mod elementwise;
pub mod error;
pub mod index;
pub mod io;
pub mod join;
pub mod lanes;
pub mod layer_norm;
pub mod lstm_cell;
pub mod masked;
pub mod matmul;
pub mod memory;
pub mod movement;
pub mod multinomial;
pub mod parallel;
mod pool;
pub mod random;
pub mod reduce;
pub mod scan;
pub mod shape;
pub mod softmax;
pub mod sort;
pub mod tensor;
pub mod unary;

pub use dtype::{DType, Element, Float};
pub use error::{Error, ErrorKind};
pub use random::{Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state};
pub use tensor::Tensor;
