//! The Huffman tree of hierarchical softmax: each word is a leaf, and P(word | h) is a
//! product of binary decisions along the path from the root.
//!
//! ```text
//! counts  the:5  of:3  cat:2  sat:1          merge the two rarest nodes, repeatedly:
//!                                            n0 = sat + cat (3), n1 = n0 + of (6),
//!            n2 (root)                       n2 = the + n1 (11)
//!          0/      \1                        the smaller child gets bit 0 (word2vec)
//!        the        n1
//!                 0/  \1                     word  code  path (inner nodes)
//!               n0     of                    the   0     n2
//!             0/  \1                         of    11    n2 n1
//!           sat    cat                       cat   101   n2 n1 n0
//!                                            sat   100   n2 n1 n0
//! P(w | h) = Π_j σ(±u_{node_j} · h),  + when bit j is 0, − when it is 1
//!          ⇒ one binary logistic loss per path node, label = 1 − bit
//! ```
//! Frequent words get short codes, so a step costs about log₂V dot products (≈ 10 for
//! the frequency-weighted mean here) instead of V. The V − 1 inner nodes are the rows
//! of the output table (`n_k` is row k; the root is row V − 2).
//! Read next: `batch.rs`, which turns paths into (input, output row, label) triples.

/// Codes and paths of every word.
pub struct Huffman {
    /// `codes[w]`: the bits from the root to word `w` (0 = left/smaller child).
    pub codes: Vec<Vec<u8>>,
    /// `paths[w]`: the inner nodes from the root down to `w`'s parent, as output-table
    /// rows in `0..V − 1`.
    pub paths: Vec<Vec<u32>>,
}

impl Huffman {
    /// Build the tree from word counts (any order) with word2vec's linear two-queue
    /// merge: leaves sorted by count, inner nodes created in non-decreasing count
    /// order, so the two smallest are always at the front of one of the two queues. On
    /// a tie between a leaf and an inner node the inner node is taken first.
    ///
    /// # Panics
    /// If fewer than two words are given (a tree needs at least one decision).
    #[track_caller]
    pub fn new(counts: &[u64]) -> Huffman {
        let n = counts.len();
        assert!(
            n >= 2,
            "Huffman: hierarchical softmax needs at least 2 words, got {n}"
        );
        // Leaves ascending by count (ties: lower id first); node ids: leaves 0..n,
        // inner node k is n + k.
        let mut leaves: Vec<usize> = (0..n).collect();
        leaves.sort_by_key(|&w| (counts[w], w));
        let mut count: Vec<u64> = counts.to_vec();
        let mut parent = vec![0usize; 2 * n - 1];
        let mut bit = vec![0u8; 2 * n - 1];
        let (mut next_leaf, mut next_inner) = (0, n);
        for k in 0..n - 1 {
            let mut pick = || {
                let inner_ready = next_inner < n + k;
                if next_leaf < n && (!inner_ready || counts[leaves[next_leaf]] < count[next_inner])
                {
                    next_leaf += 1;
                    leaves[next_leaf - 1]
                } else {
                    next_inner += 1;
                    next_inner - 1
                }
            };
            let (smaller, larger) = (pick(), pick());
            count.push(count[smaller] + count[larger]);
            (parent[smaller], parent[larger]) = (n + k, n + k);
            (bit[smaller], bit[larger]) = (0, 1);
        }
        let root = 2 * n - 2;
        let (mut codes, mut paths) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for word in 0..n {
            let (mut code, mut path) = (Vec::new(), Vec::new());
            let mut node = word;
            while node != root {
                code.push(bit[node]);
                node = parent[node];
                path.push((node - n) as u32);
            }
            code.reverse();
            path.reverse();
            codes.push(code);
            paths.push(path);
        }
        Huffman { codes, paths }
    }

    /// Number of inner nodes (rows of the output table): V − 1.
    pub fn inner_nodes(&self) -> usize {
        self.codes.len() - 1
    }
}
