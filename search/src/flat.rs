//! Exact search: every query against every base vector, a block of queries at a time
//! through the project's GEMM, each score row reduced to its k best on the spot.
//!
//! ```text
//! S = Q · Xᵀ                                 [q, C] × [C, n] → [q, n]   one matmul
//! L2:  ‖q − x‖² = ‖q‖² − 2 q·x + ‖x‖²        ranked by d = ‖x‖² − 2 s   (‖q‖² added
//!                                                                        to the k kept)
//! IP / cosine:                                ranked by d = −s
//! both as one formula:  d = normᵢ − c·s,  (norm, c) = (‖x‖², 2) or (0, 1)
//! ```
//!
//! Blocks: 1024 queries × 4096 base rows, so the score block is 16 MiB however large
//! the index (faiss' `IndexFlat` uses the same plan). After each block's matmul, every
//! score row goes through its query's [`TopK`] heap: 16 distances at a time are
//! compared with the heap's worst (a loop the compiler vectorises), and only a chunk
//! holding a better one is pushed one by one; no row is ever sorted.
//!
//! Cost: 2·Q·N·C flops in the GEMM (the whole cost for C ≳ 32) + Q·N comparisons.
//! The L2 form via the GEMM loses a few low bits to cancellation when q is close to x,
//! as faiss' does; scores are clamped at 0.
//! Read next: [`crate::kmeans`], which assigns points to centroids with this search.

use std::path::Path;

use rayon::prelude::*;
use tensor::{Error, ErrorKind, Tensor};

use crate::distance::dot;
use crate::io::{Kind, Reader, Writer};
use crate::metric::{Hit, Metric, rows};
use crate::topk::{Candidate, TopK};

/// Queries per GEMM block.
const QUERY_BLOCK: usize = 1024;
/// Base vectors per GEMM block.
const BASE_BLOCK: usize = 4096;
/// Distances compared with the heap's worst at once.
const CHUNK: usize = 16;

/// An exact index: the base vectors as a `[N, C]` tensor, searched by brute force
/// (faiss' `IndexFlatL2` / `IndexFlatIP`).
///
/// # Examples
/// ```
/// use ferrograd::search::{Flat, Metric};
/// use ferrograd::tensor::Tensor;
/// let mut index = Flat::new(2, Metric::L2);
/// index.add(&Tensor::from_vec(vec![0.0, 0.0, 1.0, 0.0, 5.0, 5.0], &[3, 2]));
/// let hits = index.search(&Tensor::from_vec(vec![0.9, 0.1], &[1, 2]), 2);
/// assert_eq!((hits[0][0].id, hits[0][1].id), (1, 0));
/// assert!((hits[0][0].score - 0.02).abs() < 1e-6); // 0.1² + 0.1²
/// ```
#[derive(Clone)]
pub struct Flat {
    metric: Metric,
    dim: usize,
    /// `[N, C]`, row-major (unit rows for cosine).
    base: Tensor,
    /// `‖xᵢ‖²` for L2, zeros otherwise (the `norm` of the module doc's formula).
    norms: Vec<f32>,
}

impl Flat {
    /// An empty index of `dim`-dimensional vectors.
    ///
    /// # Panics
    /// If `dim` is 0.
    #[track_caller]
    pub fn new(dim: usize, metric: Metric) -> Flat {
        check_dim("Flat::new", dim);
        Flat {
            metric,
            dim,
            base: Tensor::zeros(&[0, dim]),
            norms: Vec::new(),
        }
    }

    /// Append the rows of `vectors` (`[N, C]`); their ids continue from [`Flat::len`].
    ///
    /// # Panics
    /// If `vectors` is not `[N, dim]` f32 with finite values, or the index would
    /// exceed 2³² − 1 vectors.
    #[track_caller]
    pub fn add(&mut self, vectors: &Tensor) {
        let data = rows("Flat::add", vectors, self.dim, self.metric);
        self.append(data);
    }

    /// Append rows already checked (and normalised for cosine).
    fn append(&mut self, data: Vec<f32>) {
        let n = data.len() / self.dim;
        check_capacity("Flat::add", self.len() + n);
        self.norms
            .extend(data.chunks_exact(self.dim).map(|x| match self.metric {
                Metric::L2 => dot(x, x),
                Metric::InnerProduct | Metric::Cosine => 0.0,
            }));
        let new = Tensor::from_vec(data, &[n, self.dim]);
        self.base = if self.is_empty() {
            new
        } else {
            Tensor::cat(&[self.base.clone(), new], 0)
        };
    }

    /// Number of vectors held.
    pub fn len(&self) -> usize {
        self.norms.len()
    }

    /// Whether the index holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Dimension of the vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The stored vectors, `[N, C]` (normalised to unit length for cosine).
    pub fn vectors(&self) -> &Tensor {
        &self.base
    }

    /// The `k` nearest base vectors of each query row, closest first (ties: the
    /// smaller id first). A list is shorter than `k` when the index holds fewer.
    ///
    /// # Shapes
    /// `queries`: `[Q, C]` → Q lists of at most k [`Hit`]s.
    ///
    /// # Panics
    /// If `queries` is not `[Q, dim]` f32 with finite values.
    #[track_caller]
    pub fn search(&self, queries: &Tensor, k: usize) -> Vec<Vec<Hit>> {
        let q = rows("Flat::search", queries, self.dim, self.metric);
        let lists = self.search_rows(&q, k);
        let hits = q.chunks_exact(self.dim).zip(lists).map(|(query, list)| {
            let offset = match self.metric {
                Metric::L2 => dot(query, query),
                Metric::InnerProduct | Metric::Cosine => 0.0,
            };
            let hit = |c: Candidate| Hit {
                id: c.id as usize,
                score: match self.metric {
                    Metric::L2 => (c.dist + offset).max(0.0),
                    metric => metric.score(c.dist),
                },
            };
            list.into_iter().map(hit).collect()
        });
        hits.collect()
    }

    /// The k best candidates of each row of `queries` (row-major, checked), ranked by
    /// `d = norm − c·s` (module doc): the search without the final scores.
    pub(crate) fn search_rows(&self, queries: &[f32], k: usize) -> Vec<Vec<Candidate>> {
        let scale = if self.metric == Metric::L2 { 2.0 } else { 1.0 };
        let mut lists = Vec::with_capacity(queries.len() / self.dim);
        for block in queries.chunks(QUERY_BLOCK * self.dim) {
            let rows = block.len() / self.dim;
            let q = Tensor::from_slice(block, &[rows, self.dim]);
            let mut tops: Vec<TopK> = (0..rows).map(|_| TopK::new(k)).collect();
            for start in (0..self.len()).step_by(BASE_BLOCK) {
                let len = BASE_BLOCK.min(self.len() - start);
                let scores = q.matmul(&self.base.narrow(0, start, len).t());
                let scores = scores.array::<f32>();
                let scores = scores
                    .as_slice()
                    .expect("matmul returns a row-major tensor");
                let norms = &self.norms[start..start + len];
                (tops.par_iter_mut())
                    .zip(scores.par_chunks(len))
                    .with_min_len(16)
                    .for_each(|(top, row)| scan(row, norms, scale, start, top));
            }
            lists.extend(tops.into_iter().map(TopK::into_sorted));
        }
        lists
    }

    /// Save the index to `path` (format: [`crate::io`]).
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file if it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let mut w = Writer::new("Flat::save", Kind::Flat);
        w.u32(self.metric.code());
        w.u64(self.dim);
        w.u64(self.len());
        w.f32s(self.base.array::<f32>().as_slice().expect("row-major base"));
        w.save(path.as_ref())
    }

    /// Load an index saved by [`Flat::save`].
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file if it cannot be read, is not a
    /// saved `Flat`, is truncated or fails its checksum.
    pub fn load(path: impl AsRef<Path>) -> Result<Flat, Error> {
        let mut r = Reader::open("Flat::load", path.as_ref(), Kind::Flat)?;
        let metric = read_metric(&mut r)?;
        let dim = read_dim(&mut r)?;
        let n = r.count("the vector count")?;
        let data = r.f32s(n.saturating_mul(dim), "the vectors")?;
        r.finish()?;
        let mut index = Flat::new(dim, metric);
        index.append(data);
        Ok(index)
    }
}

/// Push the distances of one score row (base rows `first..`) into `top`.
#[inline]
fn scan(scores: &[f32], norms: &[f32], scale: f32, first: usize, top: &mut TopK) {
    let chunks = scores.chunks(CHUNK).zip(norms.chunks(CHUNK));
    for (c, (s, n)) in chunks.enumerate() {
        let worst = top.worst();
        // No early exit: the compiler turns this into vector compares and an OR.
        let better = (s.iter().zip(n)).fold(false, |any, (&s, &n)| any | (n - scale * s < worst));
        if better {
            for (j, (&s, &n)) in s.iter().zip(n).enumerate() {
                top.push(n - scale * s, (first + c * CHUNK + j) as u32);
            }
        }
    }
}

/// The exact `k` nearest rows of `base` for each row of `queries`: a [`Flat`] index
/// built, searched and dropped.
///
/// # Shapes
/// `base`: `[N, C]`, `queries`: `[Q, C]` → Q lists of at most k [`Hit`]s.
///
/// # Panics
/// If either is not 2-D f32 with finite values, or their widths differ.
///
/// ```
/// use ferrograd::search::{Metric, knn};
/// use ferrograd::tensor::Tensor;
/// let base = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 0.7, 0.7], &[3, 2]);
/// let hits = knn(&base, &Tensor::from_vec(vec![1.0, 0.1], &[1, 2]), 2, Metric::Cosine);
/// assert_eq!((hits[0][0].id, hits[0][1].id), (0, 2));
/// ```
#[track_caller]
pub fn knn(base: &Tensor, queries: &Tensor, k: usize, metric: Metric) -> Vec<Vec<Hit>> {
    let mut index = Flat::new(base.shape().last().copied().unwrap_or(0), metric);
    index.add(base);
    index.search(queries, k)
}

/// Panic unless `dim` is positive.
#[track_caller]
pub(crate) fn check_dim(op: &'static str, dim: usize) {
    if dim == 0 {
        Error::new(op, ErrorKind::Value, "vectors of dimension 0")
            .with_hint("dim must be at least 1")
            .raise();
    }
}

/// Panic if an index would hold more vectors than a `u32` id can name.
#[track_caller]
pub(crate) fn check_capacity(op: &'static str, n: usize) {
    if n > u32::MAX as usize {
        Error::new(op, ErrorKind::Value, format!("{n} vectors: ids are u32"))
            .with_hint("split the collection over several indexes")
            .raise();
    }
}

/// The metric field of a saved index.
pub(crate) fn read_metric(r: &mut Reader) -> Result<Metric, Error> {
    let code = r.u32("the metric")?;
    Metric::from_code(code).ok_or_else(|| r.corrupt(format!("unknown metric code {code}")))
}

/// The dimension field of a saved index (positive).
pub(crate) fn read_dim(r: &mut Reader) -> Result<usize, Error> {
    match r.count("the dimension")? {
        0 => Err(r.corrupt("dimension 0")),
        dim => Ok(dim),
    }
}
