//! Hard negatives from the index (ANCE, Xiong et al. 2021): the documents the current
//! model already ranks near a query, minus its true answer, are the negatives that
//! still teach it something; random in-batch ones soon become too easy.
//!
//! ```text
//! every round:  embed all documents with the doc tower → HNSW index (inner product
//!               of unit vectors = cosine)
//!               for each training query i: its `depth` nearest documents,
//!               drop those with the text of its positive (duplicates are not negatives),
//!               draw one of the rest uniformly → negative(i)
//! then train on  [positives of the batch; negatives of the batch]   (loss.rs)
//! ```
//! Cost per round: N·C to embed, the HNSW build, N searches of `depth`.
//! Read next: `eval.rs`.

use search::{Hnsw, HnswConfig, Metric};
use tensor::{Generator, Tensor};

/// One hard negative per query: a uniform draw among the query's `depth` nearest
/// documents in `index` whose text group differs from its positive's. Query `i`'s
/// positive is document `i`; `groups[j]` numbers document `j`'s text (equal texts,
/// equal numbers). Falls back to a uniform draw over all other-text documents when
/// the neighbours hold none.
///
/// # Shapes
/// `queries`: `[Q, C]` with `Q ≤ index.len()`; `groups`: one per indexed document.
///
/// # Panics
/// If the shapes do not fit (as [`Hnsw::search`]), or every document has one text.
///
/// # Examples
/// ```
/// use ferrograd::retrieval::hard_negatives;
/// use ferrograd::search::{Hnsw, HnswConfig, Metric};
/// use ferrograd::prelude::*;
/// let docs = Tensor::from_vec(vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0], &[3, 2]);
/// let mut index = Hnsw::new(2, Metric::InnerProduct, HnswConfig::default());
/// index.add(&docs);
/// let mut g = Generator::new();
/// // query 0's closest other document is 1, query 2's only other-text one is among 0, 1
/// let neg = hard_negatives(&index, &docs, &[0, 1, 2], 1 + 1, &mut g);
/// assert_eq!(neg[0], 1);
/// assert_ne!(neg[2], 2);
/// ```
#[track_caller]
pub fn hard_negatives(
    index: &Hnsw,
    queries: &Tensor,
    groups: &[usize],
    depth: usize,
    generator: &mut Generator,
) -> Vec<usize> {
    assert!(
        groups.iter().any(|&g| g != groups[0]),
        "hard_negatives: all {} documents share one text; there is no negative",
        groups.len()
    );
    let found = index.search(queries, depth);
    (found.iter().enumerate())
        .map(|(i, hits)| {
            let other: Vec<usize> = (hits.iter())
                .map(|h| h.id)
                .filter(|&j| groups[j] != groups[i])
                .collect();
            if !other.is_empty() {
                return other[generator.below(other.len() as u64) as usize];
            }
            loop {
                let j = generator.below(groups.len() as u64) as usize;
                if groups[j] != groups[i] {
                    return j;
                }
            }
        })
        .collect()
}

/// An HNSW index over unit vectors searched by inner product (cosine), the index the
/// negatives are mined from and the model is queried with.
///
/// # Shapes
/// `vectors`: `[N, C]`, unit rows.
pub fn cosine_index(vectors: &Tensor) -> Hnsw {
    let config = HnswConfig {
        m: 16,
        ef_construction: 100,
        ef_search: 64,
    };
    let mut index = Hnsw::new(vectors.shape()[1], Metric::InnerProduct, config);
    index.add(vectors);
    index
}
