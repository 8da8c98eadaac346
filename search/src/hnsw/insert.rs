//! Building the graph: INSERT (Algorithm 1 of the paper), one node at a time, many
//! at once on the rayon pool.
//!
//! ```text
//! INSERT(x)                      l = level drawn for x,  (ep, L) = entry point, top
//!   ep ← greedy walk from ep on layers L … l+1            (SEARCH-LAYER, ef = 1)
//!   for lc = min(l, L) … 0:
//!     W ← SEARCH-LAYER(x, ep, ef_construction, lc)
//!     N(lc) ← SELECT-NEIGHBORS-HEURISTIC(x, W, M);  ep ← nearest of W
//!   links(x, lc) ← N(lc) on every layer
//!   for e in N(lc), every layer:  add x to links(e, lc); if that list is over its
//!                                 capacity (M, or 2M on layer 0), prune it with the
//!                                 heuristic, seen from e
//!   if l > L: the entry point becomes x
//! ```
//! The paper links each layer as soon as it is searched; here all searches come
//! first. On one thread the graph is the same (x's own links are never walked by its
//! own searches), but with several threads it matters: once x is linked on layer 2,
//! another insertion can descend through x and start its layer-0 search at x, whose
//! layer-0 list would still be empty; it would then link to x alone, and x's list,
//! written later, would drop that link (measured: up to 11 of 3,000 nodes unreachable
//! on 2 threads, none on 1). Written this way, x is reachable only after all its
//! lists are in place.
//!
//! Parallel insertion follows hnswlib: the vectors and levels of a batch are stored
//! first, then the nodes are inserted concurrently. Each node has a lock, held while
//! its link lists change (x's own lists, then each neighbour's in turn, one lock at a
//! time, so no two locks are ever held together and there is no deadlock). Searches
//! inside an insertion read lists without locks (see `Hnsw::neighbours`). An insertion
//! whose node may become the new top holds the global lock to the end, so the entry
//! point changes under one writer. The graph then depends on the thread timing; with
//! one thread it is the same on every run.
//! Read next: `file.rs`.

use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::AtomicU32;
use tensor::Tensor;

use super::layer::Visited;
use super::{Hnsw, MAX_LEVEL};
use crate::flat::check_capacity;
use crate::metric::rows;
use crate::topk::Candidate;

impl Hnsw {
    /// Insert the rows of `vectors` (`[N, C]`); their ids continue from
    /// [`Hnsw::len`]. Levels are drawn from the global generator
    /// (`tensor::manual_seed`); the insertions run in parallel on the rayon pool.
    ///
    /// # Panics
    /// If `vectors` is not `[N, dim]` f32 with finite values, or the index would
    /// exceed 2³² − 1 vectors.
    #[track_caller]
    pub fn add(&mut self, vectors: &Tensor) {
        let data = rows("Hnsw::add", vectors, self.dim, self.metric);
        let (first, n) = (self.len(), data.len() / self.dim);
        check_capacity("Hnsw::add", first + n);
        let ml = 1.0 / (self.m as f64).ln();
        let levels: Vec<u8> = tensor::random::with_default_generator(|g| {
            (0..n)
                .map(|_| {
                    let u = 1.0 - g.uniform(); // in (0, 1]
                    ((-u.ln() * ml).floor() as usize).min(MAX_LEVEL) as u8
                })
                .collect()
        });
        self.grow(data, levels);
        let this = &*self;
        (first..first + n)
            .into_par_iter()
            .for_each(|id| this.with_visited(|visited| this.insert(id as u32, visited)));
    }

    /// Store new nodes (vectors, levels, empty link lists, locks) before inserting
    /// them; the visited sets are too small from now on and are dropped.
    pub(super) fn grow(&mut self, data: Vec<f32>, levels: Vec<u8>) {
        let zeros = |n: usize| (0..n).map(|_| AtomicU32::new(0));
        self.data.extend(data);
        self.links0.extend(zeros(levels.len() * (2 * self.m + 1)));
        for &level in &levels {
            self.upper
                .push(zeros(usize::from(level) * (self.m + 1)).collect());
        }
        self.locks.extend(levels.iter().map(|_| Mutex::new(())));
        self.levels.extend(levels);
        self.visited
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// INSERT (module doc) of a node whose vector and level are already stored.
    fn insert(&self, id: u32, visited: &mut Visited) {
        let level = usize::from(self.levels[id as usize]);
        let global = self.global.lock().unwrap_or_else(|e| e.into_inner());
        let Some((entry, top)) = self.entry() else {
            self.set_entry(id, level); // the first node
            return;
        };
        // Keep the global lock only if this node may become the new top.
        let global = (level > top).then_some(global);
        let x = self.vector(id);
        let mut nearest = self.descend(x, self.candidate(x, entry), top, level, visited);
        let mut chosen = Vec::with_capacity(level.min(top) + 1);
        for lc in (0..=level.min(top)).rev() {
            let found = self.search_layer(x, nearest, self.ef_construction, lc, visited);
            nearest = found[0];
            chosen.push((lc, self.select_neighbours(&found, self.m)));
        }
        // All of x's own lists first, then the links back to x (module doc).
        for (lc, neighbours) in &chosen {
            let _own = self.lock(id);
            self.set_links(id, *lc, neighbours.iter().map(|c| c.id));
        }
        for (lc, neighbours) in &chosen {
            self.link_back(id, *lc, neighbours);
        }
        if global.is_some() {
            self.set_entry(id, level);
        }
    }

    /// Add `id` to the list of each of `neighbours` on `level`, pruning a list that
    /// grows past its capacity with the heuristic, seen from its owner.
    fn link_back(&self, id: u32, level: usize, neighbours: &[Candidate]) {
        let capacity = if level == 0 { 2 * self.m } else { self.m };
        for c in neighbours {
            let _theirs = self.lock(c.id);
            let mut list: Vec<u32> = self.neighbours(c.id, level).collect();
            if list.contains(&id) {
                continue;
            }
            if list.len() < capacity {
                list.push(id);
            } else {
                let base = self.vector(c.id);
                let mut candidates: Vec<Candidate> = list
                    .iter()
                    .chain([&id])
                    .map(|&e| self.candidate(base, e))
                    .collect();
                candidates.sort_unstable();
                let kept = self.select_neighbours(&candidates, capacity);
                list = kept.iter().map(|k| k.id).collect();
            }
            self.set_links(c.id, level, list.into_iter());
        }
    }

    /// Node `id`'s lock (a poisoned lock is still usable: the lists are consistent
    /// after every store).
    fn lock(&self, id: u32) -> std::sync::MutexGuard<'_, ()> {
        self.locks[id as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Hnsw, HnswConfig, Metric};
    use tensor::Tensor;

    /// Every list is within its capacity, free of self-links and duplicates, and only
    /// names nodes that are on that layer.
    #[test]
    fn lists_respect_capacity_and_layers() {
        tensor::manual_seed(5);
        let config = HnswConfig {
            m: 4,
            ef_construction: 20,
            ef_search: 10,
        };
        let mut index = Hnsw::new(3, Metric::L2, config);
        index.add(&Tensor::randn(&[300, 3]));
        index.add(&Tensor::randn(&[100, 3])); // a second batch: incremental
        assert_eq!(index.len(), 400);
        for id in 0..index.len() {
            for level in 0..=usize::from(index.levels()[id]) {
                let links = index.links(id, level);
                assert!(links.len() <= if level == 0 { 8 } else { 4 });
                assert!(!links.contains(&id), "node {id} links to itself");
                let mut unique = links.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), links.len(), "duplicates at {id}");
                assert!(
                    links
                        .iter()
                        .all(|&e| usize::from(index.levels()[e]) >= level)
                );
                assert!(level > 0 || !links.is_empty(), "node {id} is isolated");
            }
        }
    }

    #[test]
    fn search_on_an_empty_index_finds_nothing() {
        let index = Hnsw::new(2, Metric::L2, HnswConfig::default());
        assert_eq!(index.search(&Tensor::zeros(&[1, 2]), 3), vec![vec![]]);
    }
}
