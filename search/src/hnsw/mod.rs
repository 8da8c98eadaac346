//! HNSW, hierarchical navigable small-world graphs (Malkov & Yashunin 2016, "Efficient
//! and robust approximate nearest neighbor search using Hierarchical Navigable Small
//! World graphs"; the algorithm of hnswlib and faiss' `IndexHNSWFlat`).
//!
//! ```text
//! layer 2   o-----------------o                  few nodes, long links
//! layer 1   o-----o-----o-----o-----o
//! layer 0   o-o-o-o-o-o-o-o-o-o-o-o-o-o-o        every node, ≤ 2M links each
//!
//! node level  l = ⌊−ln(U) · mL⌋,  U ~ U(0, 1],  mL = 1 / ln M
//!             (a node is on layers 0..=l; each layer holds ~1/M of the one below)
//! search(q)   from the entry point (the top node), greedy walk down to layer 1
//!             (SEARCH-LAYER with ef = 1), then SEARCH-LAYER on layer 0 with
//!             ef = max(ef_search, k); return the k nearest found
//! insert(x)   walk down the same way to layer l + 1; on each layer l..0 find
//!             ef_construction candidates, link x to M of them chosen by the
//!             heuristic, link them back to x (a full list, M on upper layers and
//!             2M on layer 0, is pruned with the same heuristic)
//! ```
//! Costs: a query computes O(log N · ef_search · M) distances of C flops each (the
//! log comes from the layers); building costs the same per insertion with
//! ef_construction. Memory: the vectors plus (2M + 1) u32 per node on layer 0 and
//! (M + 1) per node per upper layer (≈ 1/(M−1) of the nodes). Larger M and ef give
//! higher recall for more time; `ef_search` can change between queries.
//!
//! Files: `layer.rs` holds the readable core (SEARCH-LAYER and the neighbour
//! heuristic) — start there; `insert.rs` builds the graph, in parallel with one lock
//! per node as hnswlib does; `file.rs` saves and loads it.

mod file;
mod insert;
mod layer;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use rayon::prelude::*;
use tensor::{Error, ErrorKind, Tensor};

use crate::flat::check_dim;
use crate::metric::{Hit, Metric, rows};
use crate::topk::Candidate;
use layer::Visited;

/// The construction and search parameters of an [`Hnsw`] index (hnswlib's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HnswConfig {
    /// Links per node on the upper layers (2M on layer 0). 16 by default; 8–48 is
    /// the useful range (more for high-dimensional or high-recall work).
    pub m: usize,
    /// Candidates examined per layer when inserting a node; 200 by default.
    pub ef_construction: usize,
    /// Candidates examined on layer 0 per query (at least k); 64 by default.
    pub ef_search: usize,
}

impl Default for HnswConfig {
    fn default() -> Self {
        HnswConfig {
            m: 16,
            ef_construction: 200,
            ef_search: 64,
        }
    }
}

/// Value of [`Hnsw::entry`] when the graph is empty.
const NO_ENTRY: u64 = u64::MAX;
/// Highest level a node may get (a level above ~10 has probability below M⁻¹⁰).
const MAX_LEVEL: usize = 31;

/// An HNSW index (module doc). Built by [`Hnsw::add`] (in parallel on the rayon
/// pool), searched by [`Hnsw::search`].
///
/// # Examples
/// ```
/// use ferrograd::search::{Flat, Hnsw, HnswConfig, Metric};
/// use ferrograd::tensor::Tensor;
/// ferrograd::tensor::manual_seed(0);
/// let x = Tensor::randn(&[2000, 8]);
/// let config = HnswConfig { m: 8, ef_construction: 100, ef_search: 50 };
/// let mut index = Hnsw::new(8, Metric::Cosine, config);
/// index.add(&x);
/// let q = Tensor::randn(&[20, 8]);
/// let mut exact = Flat::new(8, Metric::Cosine);
/// exact.add(&x);
/// assert!(ferrograd::search::recall(&index.search(&q, 10), &exact.search(&q, 10)) > 0.9);
/// ```
pub struct Hnsw {
    metric: Metric,
    dim: usize,
    m: usize,
    ef_construction: usize,
    /// Candidates examined on layer 0 per query (the search uses max(ef_search, k)).
    pub ef_search: usize,
    /// `[N, C]` row-major (unit rows for cosine).
    data: Vec<f32>,
    /// Top layer of each node.
    levels: Vec<u8>,
    /// Layer-0 links, `2M + 1` slots per node: the count, then the ids.
    links0: Vec<AtomicU32>,
    /// Upper-layer links of each node, `M + 1` slots per layer 1..=level.
    upper: Vec<Box<[AtomicU32]>>,
    /// The entry point and the top layer, packed `id << 32 | level` ([`NO_ENTRY`] when
    /// empty): read without a lock by every search and insertion.
    entry: AtomicU64,
    /// Held by an insertion that may raise the top layer (hnswlib's global lock).
    global: Mutex<()>,
    /// One lock per node, held while its link lists change.
    locks: Vec<Mutex<()>>,
    /// Visited sets for reuse across searches (one per concurrent search).
    visited: Mutex<Vec<Visited>>,
}

impl Hnsw {
    /// An empty index of `dim`-dimensional vectors.
    ///
    /// # Panics
    /// If `dim` is 0, `m` is below 2, or `ef_construction` is 0.
    #[track_caller]
    pub fn new(dim: usize, metric: Metric, config: HnswConfig) -> Hnsw {
        check_dim("Hnsw::new", dim);
        if config.m < 2 || config.ef_construction == 0 {
            Error::new(
                "Hnsw::new",
                ErrorKind::Value,
                format!(
                    "m = {} and ef_construction = {}",
                    config.m, config.ef_construction
                ),
            )
            .with_hint("m ≥ 2 (mL = 1/ln m) and ef_construction ≥ 1; typical: 16 and 200")
            .raise();
        }
        Hnsw {
            metric,
            dim,
            m: config.m,
            ef_construction: config.ef_construction,
            ef_search: config.ef_search,
            data: Vec::new(),
            levels: Vec::new(),
            links0: Vec::new(),
            upper: Vec::new(),
            entry: AtomicU64::new(NO_ENTRY),
            global: Mutex::new(()),
            locks: Vec::new(),
            visited: Mutex::new(Vec::new()),
        }
    }

    /// Number of vectors held.
    pub fn len(&self) -> usize {
        self.levels.len()
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

    /// The parameters (with the current `ef_search`).
    pub fn config(&self) -> HnswConfig {
        HnswConfig {
            m: self.m,
            ef_construction: self.ef_construction,
            ef_search: self.ef_search,
        }
    }

    /// Top layer of each node (for pictures of the layers).
    pub fn levels(&self) -> &[u8] {
        &self.levels
    }

    /// The ids `id` links to on `level` (for pictures of the graph).
    ///
    /// # Panics
    /// If `id` is not below [`Hnsw::len`] or the node is not on `level`.
    #[track_caller]
    pub fn links(&self, id: usize, level: usize) -> Vec<usize> {
        if id >= self.len() || level > usize::from(self.levels[id]) {
            Error::new(
                "Hnsw::links",
                ErrorKind::Index,
                format!(
                    "node {id} on level {level} in an index of {} nodes",
                    self.len()
                ),
            )
            .with_hint("a node is on levels 0..=levels()[id]")
            .raise();
        }
        self.neighbours(id as u32, level)
            .map(|e| e as usize)
            .collect()
    }

    /// The `k` approximate nearest neighbours of each query row, closest first,
    /// searched with `ef = max(ef_search, k)` (module doc). Queries run in parallel on
    /// the rayon pool; each is single-threaded.
    ///
    /// # Shapes
    /// `queries`: `[Q, C]` → Q lists of at most k [`Hit`]s.
    ///
    /// # Panics
    /// If `queries` is not `[Q, dim]` f32 with finite values.
    #[track_caller]
    pub fn search(&self, queries: &Tensor, k: usize) -> Vec<Vec<Hit>> {
        let q = rows("Hnsw::search", queries, self.dim, self.metric);
        (q.par_chunks_exact(self.dim))
            .map(|query| self.with_visited(|visited| self.search_one(query, k, visited)))
            .collect()
    }

    /// One query: greedy descent to layer 1, then SEARCH-LAYER on layer 0.
    fn search_one(&self, q: &[f32], k: usize, visited: &mut Visited) -> Vec<Hit> {
        let Some((entry, top)) = self.entry() else {
            return Vec::new();
        };
        let start = self.candidate(q, entry);
        let nearest = self.descend(q, start, top, 0, visited);
        let found = self.search_layer(q, nearest, self.ef_search.max(k), 0, visited);
        let hit = |c: &Candidate| Hit {
            id: c.id as usize,
            score: self.metric.score(c.dist),
        };
        found.iter().take(k).map(hit).collect()
    }

    /// Greedy walk (SEARCH-LAYER with ef = 1) from `start` on layer `from` down to
    /// layer `to + 1`; the node nearest to `q` found on the last of them.
    fn descend(
        &self,
        q: &[f32],
        start: Candidate,
        from: usize,
        to: usize,
        visited: &mut Visited,
    ) -> Candidate {
        (to + 1..=from).rev().fold(start, |nearest, level| {
            self.search_layer(q, nearest, 1, level, visited)[0]
        })
    }

    /// The entry point and top layer, or `None` when the graph is empty.
    fn entry(&self) -> Option<(u32, usize)> {
        match self.entry.load(Ordering::Acquire) {
            NO_ENTRY => None,
            packed => Some(((packed >> 32) as u32, (packed & 0xffff_ffff) as usize)),
        }
    }

    fn set_entry(&self, id: u32, level: usize) {
        self.entry
            .store(u64::from(id) << 32 | level as u64, Ordering::Release);
    }

    /// `id` as a candidate: its distance to `q`.
    fn candidate(&self, q: &[f32], id: u32) -> Candidate {
        Candidate {
            dist: self.metric.distance(q, self.vector(id)),
            id,
        }
    }

    /// The stored vector of node `id`.
    #[inline]
    fn vector(&self, id: u32) -> &[f32] {
        let start = id as usize * self.dim;
        &self.data[start..start + self.dim]
    }

    /// The distances of `q` to the nodes `ids`, into `out`. HNSW reads vectors in
    /// random order, so each is usually a cache miss: first the CPU is asked to start
    /// loading every one of them (their first 64 bytes; the hardware prefetcher
    /// follows the rest), then they are summed four at a time, so four streams of
    /// loads are in flight together (the trick of faiss' `distances_batch_4`).
    fn distances(&self, q: &[f32], ids: &[u32], out: &mut Vec<f32>) {
        #[cfg(target_arch = "x86_64")]
        for &id in ids {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: a prefetch is a hint that never faults; the address is in the vector.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(self.vector(id).as_ptr().cast()) };
        }
        out.clear();
        let mut groups = ids.chunks_exact(4);
        for g in &mut groups {
            let xs = [g[0], g[1], g[2], g[3]].map(|id| self.vector(id));
            out.extend(self.metric.distance_4(q, xs));
        }
        out.extend(
            groups
                .remainder()
                .iter()
                .map(|&id| self.metric.distance(q, self.vector(id))),
        );
    }

    /// The link slots of node `id` on `level`: the count, then room for the ids.
    fn slots(&self, id: u32, level: usize) -> &[AtomicU32] {
        let id = id as usize;
        if level == 0 {
            let width = 2 * self.m + 1;
            &self.links0[id * width..(id + 1) * width]
        } else {
            let width = self.m + 1;
            &self.upper[id][(level - 1) * width..level * width]
        }
    }

    /// The ids node `id` links to on `level`. During a parallel build another thread
    /// may be rewriting the list; the reader then sees old and new ids mixed, all of
    /// them nodes of the graph (the count is stored last, with release ordering).
    fn neighbours(&self, id: u32, level: usize) -> impl Iterator<Item = u32> + '_ {
        let slots = self.slots(id, level);
        let count = slots[0].load(Ordering::Acquire) as usize;
        slots[1..=count].iter().map(|s| s.load(Ordering::Relaxed))
    }

    /// Replace node `id`'s links on `level` by `ids` (the caller holds its lock).
    fn set_links(&self, id: u32, level: usize, ids: impl ExactSizeIterator<Item = u32>) {
        let slots = self.slots(id, level);
        let count = ids.len() as u32;
        for (slot, e) in slots[1..].iter().zip(ids) {
            slot.store(e, Ordering::Relaxed);
        }
        slots[0].store(count, Ordering::Release);
    }

    /// Run `f` with a visited set covering every node, taken from the pool (or new).
    fn with_visited<R>(&self, f: impl FnOnce(&mut Visited) -> R) -> R {
        let pool = || self.visited.lock().unwrap_or_else(|e| e.into_inner());
        let mut visited = pool()
            .pop()
            .filter(|v| v.capacity() == self.len())
            .unwrap_or_else(|| Visited::new(self.len()));
        let result = f(&mut visited);
        pool().push(visited);
        result
    }
}
