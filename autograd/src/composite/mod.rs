//! Composite ops: built from the primitives in [`crate::ops`], with no handwritten
//! backward. Their gradients come for free from the primitives' backward passes,
//! so each one here is only a formula — and a gradcheck proves the composition right.
//!
//! ```text
//! reduce:      mean = Σx / N     var = Σ(x − mean)² / (N − c)     std = √var
//!              max = max_dim of the flattened x     min = −max(−x)
//!              logsumexp = m + ln Σ exp(x − m)      (m = max, detached)
//! activation:  silu = x·σ(x)     minimum = −max(−a, −b)
//! movement:    flatten, unsqueeze, squeeze, select = reshape (and narrow)
//!              transpose, t = permute
//! join:        stack = unsqueeze + cat      split, chunk = narrow
//! pool:        adaptive_avg_pool2d = A_rows · x · A_colsᵀ (averaging matrices)
//! sort:        sort, topk = gather at the positions the tensor op finds
//! ```
//! Read [`reduce`] first (mean and var show the pattern), then [`activation`],
//! [`movement`], [`join`] and [`sort`]. Next after this module: the tools, [`crate::no_grad`](mod@crate::no_grad) and
//! [`crate::gradcheck`](mod@crate::gradcheck).

pub mod activation;
pub mod join;
pub mod movement;
pub mod pool;
pub mod reduce;
pub mod sort;
