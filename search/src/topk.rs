//! Keeping the k closest of a stream of (distance, id) pairs without sorting the
//! stream: a bounded max-heap.
//!
//! ```text
//! heap of at most k pairs, the worst (largest distance) on top
//! push (d, id):  fewer than k held       → insert                    O(log k)
//!                (d, id) < worst          → replace the worst, sift   O(log k)
//!                otherwise                → drop                      O(1)
//! N pushes: O(N + m·log k), m = pairs that entered; for random order m ≈ k·ln(N/k)
//! ```
//! So scanning N scores costs about N comparisons against [`TopK::worst`]; the exact
//! search checks a whole chunk of 16 scores against it before touching the heap.
//! Ties: pairs compare by distance, then by id, so among equal distances the smaller
//! id wins, whatever the order they arrive in (an IVF scans its cells out of id order).
//! Read next: [`crate::flat`].

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A candidate: a distance (smaller is closer) and an id. Ordered by distance, then
/// id, so heaps of candidates break ties the same way everywhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// Distance to the query (see [`crate::metric`]).
    pub dist: f32,
    /// Id of the base vector.
    pub id: u32,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist
            .total_cmp(&other.dist)
            .then(self.id.cmp(&other.id))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The k closest candidates pushed so far.
///
/// ```
/// use ferrograd::search::topk::TopK;
/// let mut top = TopK::new(2);
/// for (id, d) in [5.0, 1.0, 3.0, 1.0, 0.5].into_iter().enumerate() {
///     top.push(d, id as u32);
/// }
/// let ids: Vec<u32> = top.into_sorted().iter().map(|c| c.id).collect();
/// assert_eq!(ids, vec![4, 1]); // 0.5, then the first of the two 1.0s
/// ```
#[derive(Clone, Debug)]
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Candidate>,
}

impl TopK {
    /// An empty heap that keeps at most `k` candidates.
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The distance a new candidate must beat to enter (infinite until k are held).
    #[inline]
    pub fn worst(&self) -> f32 {
        match self.heap.peek() {
            Some(top) if self.heap.len() == self.k => top.dist,
            _ => f32::INFINITY,
        }
    }

    /// Offer one candidate.
    #[inline]
    pub fn push(&mut self, dist: f32, id: u32) {
        let candidate = Candidate { dist, id };
        if self.heap.len() < self.k {
            self.heap.push(candidate);
        } else if let Some(mut top) = self.heap.peek_mut()
            && candidate < *top
        {
            *top = candidate; // dropping `top` sifts the new candidate down
        }
    }

    /// The candidates held, closest first.
    pub fn into_sorted(self) -> Vec<Candidate> {
        self.heap.into_sorted_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_k_smallest_with_ties_to_the_smaller_id() {
        let dists = [3.0, 1.0, 2.0, 1.0, 2.0, 0.0, 9.0];
        // arrival order must not matter: forwards and backwards give the same answer
        for order in [vec![0, 1, 2, 3, 4, 5, 6], vec![6, 5, 4, 3, 2, 1, 0]] {
            let mut top = TopK::new(4);
            for i in order {
                top.push(dists[i], i as u32);
            }
            assert_eq!(top.worst(), 2.0);
            let got: Vec<u32> = top.into_sorted().iter().map(|c| c.id).collect();
            assert_eq!(got, vec![5, 1, 3, 2]);
        }
    }

    #[test]
    fn worst_is_infinite_until_full() {
        let mut top = TopK::new(2);
        top.push(1.0, 0);
        assert_eq!(top.worst(), f32::INFINITY);
        top.push(2.0, 1);
        assert_eq!(top.worst(), 2.0);
        assert_eq!(TopK::new(0).into_sorted(), vec![]);
    }
}
