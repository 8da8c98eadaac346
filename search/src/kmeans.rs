//! k-means (Lloyd's algorithm), the coarse quantiser an IVF index is trained with.
//!
//! ```text
//! sample      at most 256·k of the N points (faiss' default), seeded
//! initialise  k distinct sample points, drawn at random
//! repeat `iterations` times:
//!   assign    a(i) = argmin_j ‖xᵢ − c_j‖²        exact search, one GEMM per block
//!   update    c_j  = mean { xᵢ : a(i) = j }
//!   empty j   split the largest cluster l: c_j = c_l·(1 + ε), c_l = c_l·(1 − ε)
//!             (alternating signs over the coordinates; faiss does the same)
//!   spherical c_j ← c_j / ‖c_j‖                   (for cosine and inner product)
//! ```
//! Each iteration lowers (or keeps) the sum of squared distances to the assigned
//! centroid; it stops at a local minimum that depends on the initial draw.
//! Cost: `iterations · 2·S·k·C` flops for S sampled points, in the GEMM of
//! [`crate::flat`].
//! Read next: [`crate::ivf`].

use tensor::random::with_default_generator;
use tensor::{Error, ErrorKind, Generator, Tensor};

use crate::flat::Flat;
use crate::metric::{Metric, normalize, rows};

/// Points sampled per centroid at most (faiss' `max_points_per_centroid`).
const POINTS_PER_CENTROID: usize = 256;
/// Relative size of the nudge that splits a cluster in two.
const SPLIT_EPS: f32 = 1.0 / 1024.0;

/// `k` centroids of the rows of `x` after `iterations` rounds of Lloyd's algorithm,
/// from points drawn with the global generator (`tensor::manual_seed` repeats a run).
/// `spherical` normalises the centroids to unit length after every update.
///
/// # Shapes
/// `x`: `[N, C]` → `[k, C]`.
///
/// # Panics
/// If `x` is not 2-D f32 with finite values, or `k` is 0 or more than N.
///
/// ```
/// use ferrograd::search::kmeans::kmeans;
/// use ferrograd::tensor::Tensor;
/// ferrograd::tensor::manual_seed(1);
/// // two clumps, around 0 and around 10
/// let x = Tensor::from_vec(vec![0.0, 0.2, 0.1, 10.0, 10.3, 9.9], &[6, 1]);
/// let mut c = kmeans(&x, 2, 10, false).to_vec::<f32>();
/// c.sort_by(f32::total_cmp);
/// assert!((c[0] - 0.1).abs() < 1e-6 && (c[1] - 10.066667).abs() < 1e-5);
/// ```
#[track_caller]
pub fn kmeans(x: &Tensor, k: usize, iterations: usize, spherical: bool) -> Tensor {
    let dim = if x.dims() == 2 { x.shape()[1] } else { 0 };
    if dim == 0 {
        Error::new(
            "kmeans",
            ErrorKind::Shape,
            format!("points must be [N, C] with C ≥ 1, got {:?}", x.shape()),
        )
        .raise();
    }
    let data = rows("kmeans", x, dim, Metric::L2);
    let centroids = train(&data, dim, k, iterations, spherical);
    Tensor::from_vec(centroids, &[k, dim])
}

/// [`kmeans`] on checked row-major points; returns `k · dim` centroid values.
#[track_caller]
pub(crate) fn train(
    data: &[f32],
    dim: usize,
    k: usize,
    iterations: usize,
    spherical: bool,
) -> Vec<f32> {
    let n = data.len() / dim;
    if k == 0 || k > n {
        Error::new(
            "kmeans",
            ErrorKind::Value,
            format!("cannot make {k} clusters of {n} points"),
        )
        .with_hint("ask for between 1 and N clusters")
        .raise();
    }
    let points = sampled(data, dim, k);
    let m = points.len() / dim;
    let first: Vec<usize> = with_default_generator(|g| sample(g, m, k));
    let mut centroids: Vec<f32> = first
        .iter()
        .flat_map(|&i| &points[i * dim..(i + 1) * dim])
        .copied()
        .collect();
    for _ in 0..iterations {
        let mut quantiser = Flat::new(dim, Metric::L2);
        quantiser.add(&Tensor::from_slice(&centroids, &[k, dim]));
        let assigned = quantiser.search_rows(&points, 1);
        let mut sums = vec![0.0f64; k * dim];
        let mut counts = vec![0usize; k];
        for (x, list) in points.chunks_exact(dim).zip(&assigned) {
            let j = list[0].id as usize;
            counts[j] += 1;
            let sum = &mut sums[j * dim..(j + 1) * dim];
            sum.iter_mut().zip(x).for_each(|(s, &v)| *s += f64::from(v));
        }
        for (j, &count) in counts.iter().enumerate().filter(|&(_, &c)| c > 0) {
            let (c, s) = (&mut centroids[j * dim..(j + 1) * dim], &sums[j * dim..]);
            c.iter_mut()
                .zip(s)
                .for_each(|(c, &s)| *c = (s / count as f64) as f32);
        }
        split_empty(&mut centroids, &mut counts, dim);
        if spherical {
            centroids.chunks_mut(dim).for_each(normalize);
        }
    }
    centroids
}

/// At most `256·k` points of `data`, drawn without replacement (all when fewer).
fn sampled(data: &[f32], dim: usize, k: usize) -> Vec<f32> {
    let n = data.len() / dim;
    let keep = POINTS_PER_CENTROID.saturating_mul(k);
    if n <= keep {
        return data.to_vec();
    }
    let mut chosen = with_default_generator(|g| sample(g, n, keep));
    chosen.sort_unstable(); // read the data in order
    (chosen.iter())
        .flat_map(|&i| &data[i * dim..(i + 1) * dim])
        .copied()
        .collect()
}

/// `k` distinct indices of `0..n` in random order: the first `k` steps of a
/// Fisher–Yates shuffle.
fn sample(g: &mut Generator, n: usize, k: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + g.below((n - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(k);
    all
}

/// Give every empty cluster half of the largest one (module doc).
fn split_empty(centroids: &mut [f32], counts: &mut [usize], dim: usize) {
    for empty in 0..counts.len() {
        if counts[empty] > 0 {
            continue;
        }
        let largest = (0..counts.len())
            .max_by_key(|&j| (counts[j], std::cmp::Reverse(j)))
            .expect("k ≥ 1");
        for d in 0..dim {
            let sign = if d % 2 == 0 { 1.0 } else { -1.0 };
            let v = centroids[largest * dim + d];
            centroids[empty * dim + d] = v * (1.0 + sign * SPLIT_EPS);
            centroids[largest * dim + d] = v * (1.0 - sign * SPLIT_EPS);
        }
        counts[empty] = counts[largest] / 2;
        counts[largest] -= counts[empty];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_well_separated_clusters() {
        tensor::manual_seed(3);
        // 4 clusters of 50 points in 8-d, centres far apart
        let truth: Vec<f32> = Tensor::randn(&[4, 8]).to_vec::<f32>();
        let noise = Tensor::randn(&[200, 8]).to_vec::<f32>();
        let points = (0..200 * 8).map(|i| 20.0 * truth[(i / (50 * 8)) * 8 + i % 8] + noise[i]);
        let x = Tensor::from_vec(points.collect(), &[200, 8]);
        let c = kmeans(&x, 4, 10, false);
        // every true centre has a centroid within 1 of it
        let truth: Vec<f32> = truth.iter().map(|t| 20.0 * t).collect();
        let got = c.to_vec::<f32>();
        for t in truth.chunks(8) {
            let nearest = got
                .chunks(8)
                .map(|g| crate::distance::l2_squared(t, g))
                .fold(f32::INFINITY, f32::min);
            assert!(nearest < 1.0, "{nearest}");
        }
    }

    #[test]
    fn an_empty_cluster_takes_half_of_the_largest() {
        let mut centroids = vec![1.0, 1.0, 0.0, 0.0];
        let mut counts = vec![10, 0];
        split_empty(&mut centroids, &mut counts, 2);
        assert_eq!(counts, vec![5, 5]);
        assert!(centroids[0] < 1.0 && centroids[2] > 1.0 && centroids[3] < 1.0);
    }

    #[test]
    #[should_panic(expected = "kmeans: cannot make 3 clusters of 2 points")]
    fn more_clusters_than_points_panics() {
        kmeans(&Tensor::zeros(&[2, 4]), 3, 1, false);
    }
}
