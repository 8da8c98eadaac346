//! The readable core of HNSW: the best-first search on one layer of the graph
//! (SEARCH-LAYER, Algorithm 2 of the paper), the neighbour-selection heuristic
//! (Algorithm 4), and the visited-set they share.
//!
//! ```text
//! SEARCH-LAYER(q, ep, ef, lc)
//!   V ← {ep}   C ← {ep} (nearest first)   W ← {ep} (farthest first, at most ef)
//!   while C ≠ ∅:
//!     c ← extract nearest of C;   f ← farthest of W
//!     if d(c, q) > d(f, q): break          every candidate left is farther than W
//!     for e in neighbourhood(c) at layer lc, e ∉ V:
//!       V ← V ∪ {e}
//!       if |W| < ef or d(e, q) < d(f, q):  C ← C ∪ {e};  W ← W ∪ {e};  drop the
//!                                          farthest of W if |W| > ef
//!   return W
//! ```
//! With `ef = 1` it is the greedy walk of the upper layers. Its cost is the number
//! of distance computations: about (hops) × (neighbours per node, ≤ 2M at layer 0),
//! where the hops grow like log N on a navigable graph and with ef.
//!
//! SELECT-NEIGHBORS-HEURISTIC(q, C, M): go through the candidates nearest first and
//! keep e only if it is closer to q than to every e′ already kept. A neighbour
//! "behind" a kept one (in the same direction) is skipped, so the M links point in
//! diverse directions and long links between clusters survive; this is what keeps the
//! graph navigable on clustered data. (The paper's two options, extending the
//! candidates with their neighbours and refilling with pruned ones, are off, as in
//! hnswlib and faiss.)
//! Read next: `insert.rs`, which builds the graph with these two.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Hnsw;
use crate::topk::Candidate;

/// The set V of visited nodes, cleared in O(1): a node is visited when its mark
/// equals the current epoch, so clearing is `epoch += 1` (a full reset only when the
/// 16-bit epoch wraps, once in 65,535 searches; hnswlib's trick).
pub(crate) struct Visited {
    marks: Vec<u16>,
    epoch: u16,
    /// Scratch: the unvisited neighbours of the node being expanded, their distances.
    fresh: Vec<u32>,
    dists: Vec<f32>,
}

impl Visited {
    /// An empty set for node ids below `n`.
    pub(crate) fn new(n: usize) -> Visited {
        Visited {
            marks: vec![0; n],
            epoch: 0,
            fresh: Vec::new(),
            dists: Vec::new(),
        }
    }

    /// How many node ids the set covers.
    pub(crate) fn capacity(&self) -> usize {
        self.marks.len()
    }

    fn clear(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.fill(0);
            self.epoch = 1;
        }
    }

    /// Mark `id`; whether it was unvisited.
    fn insert(&mut self, id: u32) -> bool {
        let mark = &mut self.marks[id as usize];
        let fresh = *mark != self.epoch;
        *mark = self.epoch;
        fresh
    }

    /// Mark the ids of `ids`; those that were unvisited, and room for their distances.
    fn unvisited(&mut self, ids: impl Iterator<Item = u32>) -> (&[u32], &mut Vec<f32>) {
        self.fresh.clear();
        for id in ids {
            if self.insert(id) {
                self.fresh.push(id);
            }
        }
        (&self.fresh, &mut self.dists)
    }
}

impl Hnsw {
    /// SEARCH-LAYER (module doc): the `ef` nodes nearest to `q` found on layer
    /// `level` from `entry`, nearest first.
    pub(crate) fn search_layer(
        &self,
        q: &[f32],
        entry: Candidate,
        ef: usize,
        level: usize,
        visited: &mut Visited,
    ) -> Vec<Candidate> {
        visited.clear();
        visited.insert(entry.id);
        let mut candidates = BinaryHeap::from([Reverse(entry)]); // C, nearest on top
        let mut found = BinaryHeap::from([entry]); // W, farthest on top
        while let Some(Reverse(c)) = candidates.pop() {
            let farthest = found.peek().expect("W is never empty").dist;
            if c.dist > farthest {
                break;
            }
            let (fresh, dists) = visited.unvisited(self.neighbours(c.id, level));
            self.distances(q, fresh, dists);
            for (&e, &dist) in fresh.iter().zip(dists.iter()) {
                let farthest = found.peek().expect("W is never empty").dist;
                if found.len() < ef || dist < farthest {
                    candidates.push(Reverse(Candidate { dist, id: e }));
                    found.push(Candidate { dist, id: e });
                    if found.len() > ef {
                        found.pop();
                    }
                }
            }
        }
        found.into_sorted_vec()
    }

    /// SELECT-NEIGHBORS-HEURISTIC (module doc): at most `m` of `candidates` (sorted
    /// nearest first by their distance to the base node), in diverse directions.
    pub(crate) fn select_neighbours(&self, candidates: &[Candidate], m: usize) -> Vec<Candidate> {
        if candidates.len() < m {
            return candidates.to_vec();
        }
        let mut kept: Vec<Candidate> = Vec::with_capacity(m);
        for &e in candidates {
            if kept.len() == m {
                break;
            }
            let x = self.vector(e.id);
            let diverse =
                (kept.iter()).all(|r| self.metric.distance(x, self.vector(r.id)) >= e.dist);
            if diverse {
                kept.push(e);
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visited_clears_by_epoch_and_survives_the_wrap() {
        let mut v = Visited::new(3);
        for _ in 0..70_000 {
            v.clear();
            assert!(v.insert(2));
            assert!(!v.insert(2));
            assert_eq!(v.unvisited([0, 2, 1, 0].into_iter()).0, &[0, 1]);
        }
    }
}
