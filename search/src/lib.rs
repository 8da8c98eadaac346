//! `search`: nearest-neighbour search over vectors, exact and approximate. No
//! gradients: it sits on the `tensor` crate alone.
//!
//! ```text
//! given N base vectors xᵢ ∈ ℝᶜ and a query q, find the k ids i with the best score
//!   L2            ‖q − xᵢ‖²     (smaller is closer)
//!   inner product  q · xᵢ       (larger is closer)
//!   cosine         q̂ · x̂ᵢ      (larger is closer; û = u / ‖u‖)
//!
//! index   build                      one query                      exact?
//! Flat    copy: O(N·C)               O(N·C), a GEMM for a batch     yes
//! Ivf     k-means: O(iters·N·nlist·C) O((nlist + nprobe·N/nlist)·C) no: misses what
//!                                                                   falls in unprobed cells
//! Hnsw    O(N·log N·ef_construction·M·C) O(log N·ef_search·M·C)     no: a greedy walk
//! ```
//!
//! Reading order:
//! 1. [`metric`]: the three scores, and the one "distance" (smaller is closer) every
//!    index sorts by; [`Hit`], one search result;
//! 2. [`distance`]: the dot-product and squared-L2 kernels over `f32` slices (SIMD);
//! 3. [`topk`]: keeping the k best of a stream without sorting it;
//! 4. [`flat`]: exact search, a batch of queries at a time through `Tensor::matmul`;
//! 5. [`kmeans`] then [`ivf`]: the inverted-file index;
//! 6. [`hnsw`]: the layered small-world graph (Malkov & Yashunin 2016), its
//!    `search_layer` first;
//! 7. [`io`]: the file format of a saved index.
//!
//! ```
//! use search::{Flat, Hnsw, HnswConfig, Metric};
//! use tensor::Tensor;
//! tensor::manual_seed(0);
//! let base = Tensor::randn(&[500, 16]);
//! let queries = base.narrow(0, 0, 3);
//! let mut exact = Flat::new(16, Metric::L2);
//! exact.add(&base);
//! let mut hnsw = Hnsw::new(16, Metric::L2, HnswConfig::default());
//! hnsw.add(&base);
//! let (truth, found) = (exact.search(&queries, 5), hnsw.search(&queries, 5));
//! assert_eq!(truth[1][0].id, 1); // a base vector is its own nearest neighbour
//! assert!(search::recall(&found, &truth) > 0.9);
//! ```

pub mod distance;
pub mod flat;
pub mod hnsw;
pub mod io;
pub mod ivf;
pub mod kmeans;
pub mod metric;
pub mod topk;

pub use flat::{Flat, knn};
pub use hnsw::{Hnsw, HnswConfig};
pub use ivf::Ivf;
pub use metric::{Hit, Metric, recall};
