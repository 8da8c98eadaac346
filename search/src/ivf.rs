//! IVF, the inverted-file index (faiss' `IndexIVFFlat`; Jégou, Douze & Schmid 2011):
//! split the space into `nlist` cells around k-means centroids and, for a query,
//! scan only the vectors of its `nprobe` nearest cells.
//!
//! ```text
//! train   c₁ … c_nlist = kmeans(x)                               crate::kmeans
//! add     x goes to the list of its nearest centroid: a(x) = argmin_j d(x, c_j)
//! search  P = the nprobe centroids nearest to q                 exact, via the GEMM
//!         the k best of { (d(q, x), id) : x in the lists of P } a TopK heap
//! ```
//! The centroids are compared with the index's own metric (inner product for
//! inner product and cosine, whose k-means is spherical), as in faiss.
//!
//! Cost per query: `nlist·C` for the centroids plus about `nprobe·N/nlist·C` for the
//! lists (when cells are balanced). With `nlist ≈ √N` and a small `nprobe` that is
//! `O(√N·C)` instead of `O(N·C)`. A true neighbour is missed when it lies in a cell
//! that was not probed, so recall grows with `nprobe`; `nprobe = nlist` scans
//! everything and equals exact search.
//! Read next: [`crate::hnsw`].

use std::path::Path;

use rayon::prelude::*;
use tensor::{Error, ErrorKind, Tensor};

use crate::flat::{Flat, check_capacity, check_dim, read_dim, read_metric};
use crate::io::{Kind, Reader, Writer};
use crate::metric::{Hit, Metric, rows};
use crate::topk::TopK;

/// Rounds of k-means in [`Ivf::train`].
const KMEANS_ITERATIONS: usize = 20;

/// The vectors of one cell and their ids.
#[derive(Clone, Debug, Default)]
struct List {
    ids: Vec<u32>,
    /// Row-major, one vector per id.
    data: Vec<f32>,
}

/// An inverted-file index: a k-means quantiser and one list of vectors per cell.
///
/// # Examples
/// ```
/// use ferrograd::search::{Flat, Ivf, Metric};
/// use ferrograd::tensor::Tensor;
/// ferrograd::tensor::manual_seed(0);
/// let x = Tensor::randn(&[2000, 8]);
/// let mut ivf = Ivf::new(8, 16, Metric::L2);
/// ivf.train(&x);
/// ivf.add(&x);
/// ivf.nprobe = 16; // all cells: exact
/// let q = x.narrow(0, 0, 5);
/// let mut flat = Flat::new(8, Metric::L2);
/// flat.add(&x);
/// let ids = |hits: Vec<Vec<ferrograd::search::Hit>>| hits.iter().map(|h| h[0].id).collect::<Vec<_>>();
/// assert_eq!(ids(ivf.search(&q, 1)), ids(flat.search(&q, 1)));
/// ```
#[derive(Clone)]
pub struct Ivf {
    metric: Metric,
    dim: usize,
    nlist: usize,
    /// Cells scanned per query (1 ≤ nprobe ≤ nlist; faiss' default is 1).
    pub nprobe: usize,
    /// The centroids, searched exactly (empty until trained).
    quantiser: Flat,
    lists: Vec<List>,
}

impl Ivf {
    /// An untrained index of `dim`-dimensional vectors with `nlist` cells;
    /// `nprobe` starts at 1.
    ///
    /// # Panics
    /// If `dim` or `nlist` is 0.
    #[track_caller]
    pub fn new(dim: usize, nlist: usize, metric: Metric) -> Ivf {
        check_dim("Ivf::new", dim);
        if nlist == 0 {
            Error::new("Ivf::new", ErrorKind::Value, "nlist is 0")
                .with_hint("an IVF needs at least one cell; a common choice is √N")
                .raise();
        }
        let quantiser_metric = match metric {
            Metric::L2 => Metric::L2,
            Metric::InnerProduct | Metric::Cosine => Metric::InnerProduct,
        };
        Ivf {
            metric,
            dim,
            nlist,
            nprobe: 1,
            quantiser: Flat::new(dim, quantiser_metric),
            lists: vec![List::default(); nlist],
        }
    }

    /// Learn the `nlist` centroids from the rows of `x` with k-means (20 rounds on at
    /// most 256·nlist sampled rows, seeded by `tensor::manual_seed`). Training again
    /// empties the lists.
    ///
    /// # Panics
    /// If `x` is not `[N, dim]` f32 with finite values, or has fewer than nlist rows.
    #[track_caller]
    pub fn train(&mut self, x: &Tensor) {
        let data = rows("Ivf::train", x, self.dim, self.metric);
        let spherical = self.metric != Metric::L2;
        let centroids =
            crate::kmeans::train(&data, self.dim, self.nlist, KMEANS_ITERATIONS, spherical);
        self.quantiser = Flat::new(self.dim, self.quantiser.metric());
        self.quantiser
            .add(&Tensor::from_vec(centroids, &[self.nlist, self.dim]));
        self.lists = vec![List::default(); self.nlist];
    }

    /// Whether [`Ivf::train`] has run.
    pub fn is_trained(&self) -> bool {
        !self.quantiser.is_empty()
    }

    /// Append the rows of `vectors` (`[N, C]`) to the lists of their nearest
    /// centroids; their ids continue from [`Ivf::len`].
    ///
    /// # Panics
    /// If the index is not trained, or `vectors` is not `[N, dim]` f32 with finite
    /// values.
    #[track_caller]
    pub fn add(&mut self, vectors: &Tensor) {
        if !self.is_trained() {
            Error::new("Ivf::add", ErrorKind::Value, "the index is not trained")
                .with_hint("call train(&x) first (on these vectors or a sample)")
                .raise();
        }
        let data = rows("Ivf::add", vectors, self.dim, self.metric);
        let first = self.len();
        check_capacity("Ivf::add", first + data.len() / self.dim);
        let cells = self.quantiser.search_rows(&data, 1);
        for (i, (x, cell)) in data.chunks_exact(self.dim).zip(cells).enumerate() {
            let list = &mut self.lists[cell[0].id as usize];
            list.ids.push((first + i) as u32);
            list.data.extend_from_slice(x);
        }
    }

    /// Number of vectors held.
    pub fn len(&self) -> usize {
        self.lists.iter().map(|l| l.ids.len()).sum()
    }

    /// Whether the index holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of cells.
    pub fn nlist(&self) -> usize {
        self.nlist
    }

    /// How many vectors each cell holds (balanced cells make queries cheap).
    pub fn list_sizes(&self) -> Vec<usize> {
        self.lists.iter().map(|l| l.ids.len()).collect()
    }

    /// The `k` nearest vectors of each query row among the lists of its
    /// [`Ivf::nprobe`] nearest cells, closest first (ties: the smaller id first).
    ///
    /// # Shapes
    /// `queries`: `[Q, C]` → Q lists of at most k [`Hit`]s.
    ///
    /// # Panics
    /// If the index is not trained, `nprobe` is not in `1..=nlist`, or `queries` is
    /// not `[Q, dim]` f32 with finite values.
    #[track_caller]
    pub fn search(&self, queries: &Tensor, k: usize) -> Vec<Vec<Hit>> {
        if !self.is_trained() || !(1..=self.nlist).contains(&self.nprobe) {
            Error::new(
                "Ivf::search",
                ErrorKind::Value,
                format!(
                    "nprobe {} with nlist {} (trained: {})",
                    self.nprobe,
                    self.nlist,
                    self.is_trained()
                ),
            )
            .with_hint("train the index and set 1 ≤ nprobe ≤ nlist")
            .raise();
        }
        let q = rows("Ivf::search", queries, self.dim, self.metric);
        let probes = self.quantiser.search_rows(&q, self.nprobe);
        (q.par_chunks_exact(self.dim).zip(probes))
            .map_init(Vec::new, |dists, (query, cells)| {
                let mut top = TopK::new(k);
                for cell in cells {
                    let list = &self.lists[cell.id as usize];
                    (self.metric).distances(query, list.data.chunks_exact(self.dim), dists);
                    for (&id, &d) in list.ids.iter().zip(dists.iter()) {
                        top.push(d, id);
                    }
                }
                let hit = |c: crate::topk::Candidate| Hit {
                    id: c.id as usize,
                    score: self.metric.score(c.dist),
                };
                top.into_sorted().into_iter().map(hit).collect()
            })
            .collect()
    }

    /// Save the index to `path` (format: [`crate::io`]).
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file if it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let mut w = Writer::new("Ivf::save", Kind::Ivf);
        w.u32(self.metric.code());
        w.u64(self.dim);
        w.u64(self.nlist);
        w.u64(self.nprobe);
        let centroids = self.quantiser.vectors().array::<f32>();
        w.u64(self.quantiser.len());
        w.f32s(centroids.as_slice().expect("row-major centroids"));
        for list in &self.lists {
            w.u64(list.ids.len());
            w.u32s(list.ids.iter().copied());
            w.f32s(&list.data);
        }
        w.save(path.as_ref())
    }

    /// Load an index saved by [`Ivf::save`].
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file if it cannot be read, is not a
    /// saved `Ivf`, is truncated, fails its checksum or is inconsistent.
    pub fn load(path: impl AsRef<Path>) -> Result<Ivf, Error> {
        let mut r = Reader::open("Ivf::load", path.as_ref(), Kind::Ivf)?;
        let metric = read_metric(&mut r)?;
        let dim = read_dim(&mut r)?;
        let nlist = r.count("nlist")?;
        let nprobe = r.count("nprobe")?;
        let trained = r.count("the centroid count")?;
        if nlist == 0 || (trained != 0 && trained != nlist) {
            return Err(r.corrupt(format!("{trained} centroids for nlist {nlist}")));
        }
        let centroids = r.f32s(trained * dim, "the centroids")?;
        let mut index = Ivf::new(dim, nlist, metric);
        index.nprobe = nprobe;
        if trained > 0 {
            index
                .quantiser
                .add(&Tensor::from_vec(centroids, &[nlist, dim]));
        }
        for list in &mut index.lists {
            let n = r.count("a list length")?;
            list.ids = r.u32s(n, "a list's ids")?;
            list.data = r.f32s(n * dim, "a list's vectors")?;
        }
        let total = index.len();
        let ids = index.lists.iter().flat_map(|l| &l.ids);
        if let Some(bad) = ids.copied().find(|&id| id as usize >= total) {
            return Err(r.corrupt(format!("id {bad} in an index of {total} vectors")));
        }
        r.finish()?;
        Ok(index)
    }
}
