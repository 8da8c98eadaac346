//! The benchmark's three data sets, written once as `.fvecs` files (the format of
//! ann-benchmarks' and faiss' SIFT files: per vector a little-endian `i32` dimension,
//! then the `f32` values) so that ferrograd, faiss and hnswlib read the same vectors,
//! plus the exact top-100 of every query (`.ivecs`, same layout with `i32` ids), found
//! by ferrograd's exact search and checked against faiss' by `reference.py`.
//!
//! ```text
//! mnist      9,000 base / 1,000 query digits, 784 pixels 0–255, L2    (ann-benchmarks'
//!            MNIST-784 task on the bundled 10,000 digits, seeded split)
//! word2vec   the example's CBOW vectors (target/word2vec/cbow.txt), 1,000 random words
//!            as queries, the rest as base, angular (cosine)            (as GloVe-100)
//! synthetic  N base (1,000,000 by default) + 1,000 queries, 128-d, L2, labelled
//!            synthetic: 1,000 clusters, x = 2·c + B_c z + 0.1·ε with z ∈ ℝ¹², so each
//!            cluster is a 12-dimensional ellipsoid (real embeddings also have a low
//!            intrinsic dimension; isotropic 128-d noise has no neighbour structure)
//! ```

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ferrograd::prelude::*;
use ferrograd::search::{Flat, Metric};

/// The repository's root (this benchmark's package is `benches/`).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ sits in the repository")
}

/// Where the data files and results go.
pub fn dir() -> PathBuf {
    root().join("target/search-bench")
}

/// A data set as the benchmark runs it.
pub struct Dataset {
    pub metric: Metric,
    pub base: Tensor,
    pub queries: Tensor,
    /// The exact top-100 ids of each query.
    pub truth: Vec<Vec<usize>>,
}

/// The metric of each data set.
pub fn metric_of(name: &str) -> Metric {
    if name == "word2vec" {
        Metric::Cosine
    } else {
        Metric::L2
    }
}

type Error = Box<dyn std::error::Error>;

/// Make the files of `name` (base, queries, truth).
pub fn prepare(name: &str, synthetic_n: usize) -> Result<(), Error> {
    let (base, queries) = match name {
        "mnist" => mnist()?,
        "word2vec" => word2vec()?,
        "synthetic" => synthetic(synthetic_n),
        other => return Err(format!("unknown data set {other}").into()),
    };
    std::fs::create_dir_all(dir())?;
    let started = std::time::Instant::now();
    let mut exact = Flat::new(base.shape()[1], metric_of(name));
    exact.add(&base);
    let truth: Vec<Vec<usize>> = exact
        .search(&queries, 100)
        .iter()
        .map(|hits| hits.iter().map(|h| h.id).collect())
        .collect();
    println!(
        "{name}: {} base, {} queries, dim {}; exact top-100 in {:.1} s",
        base.shape()[0],
        queries.shape()[0],
        base.shape()[1],
        started.elapsed().as_secs_f64()
    );
    write_vecs(
        &path(name, "base.fvecs"),
        &base.to_vec::<f32>(),
        base.shape()[1],
        |v| v.to_le_bytes(),
    )?;
    write_vecs(
        &path(name, "query.fvecs"),
        &queries.to_vec::<f32>(),
        base.shape()[1],
        |v| v.to_le_bytes(),
    )?;
    let ids: Vec<i32> = truth.iter().flatten().map(|&i| i as i32).collect();
    write_vecs(&path(name, "truth.ivecs"), &ids, 100, |v| v.to_le_bytes())
}

/// Read the files of `name` written by [`prepare`].
pub fn load(name: &str) -> Result<Dataset, Error> {
    let (base, dim) = read_vecs(&path(name, "base.fvecs"), f32::from_le_bytes)?;
    let (queries, _) = read_vecs(&path(name, "query.fvecs"), f32::from_le_bytes)?;
    let (truth, k) = read_vecs(&path(name, "truth.ivecs"), i32::from_le_bytes)?;
    let (n, nq) = (base.len() / dim, queries.len() / dim);
    Ok(Dataset {
        metric: metric_of(name),
        base: Tensor::from_vec(base, &[n, dim]),
        queries: Tensor::from_vec(queries, &[nq, dim]),
        truth: truth
            .chunks(k)
            .map(|r| r.iter().map(|&i| i as usize).collect())
            .collect(),
    })
}

fn path(name: &str, what: &str) -> PathBuf {
    dir().join(format!("{name}.{what}"))
}

fn write_vecs<T: Copy>(
    path: &Path,
    values: &[T],
    dim: usize,
    bytes: impl Fn(T) -> [u8; 4],
) -> Result<(), Error> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for row in values.chunks(dim) {
        out.write_all(&(dim as i32).to_le_bytes())?;
        for &v in row {
            out.write_all(&bytes(v))?;
        }
    }
    out.flush()?;
    Ok(())
}

fn read_vecs<T>(path: &Path, from: impl Fn([u8; 4]) -> T) -> Result<(Vec<T>, usize), Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("{}: {e} (run the prepare step first)", path.display()))?;
    let dim = i32::from_le_bytes(bytes[..4].try_into()?) as usize;
    let values = bytes
        .chunks_exact(4 * (dim + 1))
        .flat_map(|row| row[4..].chunks_exact(4))
        .map(|v| from(v.try_into().expect("4 bytes")))
        .collect();
    Ok((values, dim))
}

/// The bundled 10,000 digits, shuffled with a fixed seed: 1,000 queries, 9,000 base.
fn mnist() -> Result<(Tensor, Tensor), Error> {
    let file = ferrograd::data::data_dir().join("mnist/mnist10k-images-idx3-ubyte.gz");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&file)?).read_to_end(&mut bytes)?;
    let header: Vec<u32> = (0..4)
        .map(|i| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4")))
        .collect();
    if header[0] != 0x803 || bytes.len() != 16 + (header[1] * header[2] * header[3]) as usize {
        return Err(format!("{}: not an IDX3 image file", file.display()).into());
    }
    let dim = (header[2] * header[3]) as usize;
    let pixels: Vec<f32> = bytes[16..].iter().map(|&b| f32::from(b)).collect();
    Ok(split(&pixels, dim))
}

/// The rows of `values` shuffled with a fixed seed: (the rest as base, 1,000 queries).
fn split(values: &[f32], dim: usize) -> (Tensor, Tensor) {
    let order = ferrograd::data::permutation(values.len() / dim, 2024);
    let rows = |ids: &[usize]| {
        let data = ids
            .iter()
            .flat_map(|&i| values[i * dim..(i + 1) * dim].iter().copied());
        Tensor::from_vec(data.collect(), &[ids.len(), dim])
    };
    (rows(&order[1000..]), rows(&order[..1000]))
}

/// The word2vec example's CBOW vectors: 1,000 random words as queries.
fn word2vec() -> Result<(Tensor, Tensor), Error> {
    let file = root().join("target/word2vec/cbow.txt");
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!("{}: {e}; train the vectors first: cargo run --release --example word2vec -- --model cbow --epochs 1", file.display())
    })?;
    let mut lines = text.lines();
    let dim: usize = lines
        .next()
        .ok_or("empty file")?
        .split_whitespace()
        .nth(1)
        .ok_or("bad header")?
        .parse()?;
    let mut values = Vec::new();
    for line in lines {
        values.extend(
            line.split_whitespace()
                .skip(1)
                .map(|v| v.parse::<f32>())
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    Ok(split(&values, dim))
}

/// The synthetic clustered set of the module doc: `n` base vectors and 1,000 queries
/// from the same clusters.
fn synthetic(n: usize) -> (Tensor, Tensor) {
    const DIM: usize = 128;
    const CLUSTERS: usize = 1000;
    const INTRINSIC: usize = 12;
    manual_seed(128);
    let centres = Tensor::randn(&[CLUSTERS, DIM]).to_vec::<f32>();
    let bases = Tensor::randn(&[CLUSTERS, INTRINSIC, DIM]).to_vec::<f32>();
    let total = n + 1000;
    let mut data = Vec::with_capacity(total * DIM);
    let scale = 1.0 / (INTRINSIC as f32).sqrt();
    for start in (0..total).step_by(65_536) {
        let rows = 65_536.min(total - start);
        let z = Tensor::randn(&[rows, INTRINSIC]).to_vec::<f32>();
        let noise = Tensor::randn(&[rows, DIM]).to_vec::<f32>();
        let which = Tensor::uniform(&[rows], 0.0, CLUSTERS as f64).to_vec::<f32>();
        for r in 0..rows {
            let c = (which[r] as usize).min(CLUSTERS - 1);
            let mut x: Vec<f32> = (0..DIM)
                .map(|d| 2.0 * centres[c * DIM + d] + 0.1 * noise[r * DIM + d])
                .collect();
            for (i, &zi) in z[r * INTRINSIC..(r + 1) * INTRINSIC].iter().enumerate() {
                let b = &bases[(c * INTRINSIC + i) * DIM..(c * INTRINSIC + i + 1) * DIM];
                x.iter_mut().zip(b).for_each(|(x, &b)| *x += scale * zi * b);
            }
            data.extend(x);
        }
    }
    let all = Tensor::from_vec(data, &[total, DIM]);
    (
        all.narrow(0, 0, n).contiguous(),
        all.narrow(0, n, 1000).contiguous(),
    )
}
