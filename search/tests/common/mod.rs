//! Helpers shared by the search tests: seeded data sets and a brute-force reference
//! computed in f64, independent of the crate's kernels.
//! (Each test file uses some of them, hence the allow.)
#![allow(dead_code)]

use search::{Hit, Metric};
use tensor::Tensor;

/// `n` rows of `dim` small integers in -3..=3 from a fixed linear congruential
/// sequence: every dot product and squared distance is exact in f32, so the exact
/// search must equal the reference bit for bit. Rows `n/2..n/2+10` repeat rows 0..10
/// (ties).
pub fn integer_rows(n: usize, dim: usize, seed: u64) -> Tensor {
    let mut state = seed;
    let mut data: Vec<f32> = (0..n * dim)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % 7) as f32 - 3.0
        })
        .collect();
    for i in 0..10.min(n / 2) {
        let (src, dst) = (i * dim, (n / 2 + i) * dim);
        data.copy_within(src..src + dim, dst);
    }
    Tensor::from_vec(data, &[n, dim])
}

/// `base` + `queries` points around the same `clusters` Gaussian centres (spread 3,
/// noise 1) in `dim` dims, split in two tensors.
pub fn clustered(base: usize, queries: usize, dim: usize, clusters: usize) -> (Tensor, Tensor) {
    let n = base + queries;
    let centres = Tensor::randn(&[clusters, dim]).to_vec::<f32>();
    let noise = Tensor::randn(&[n, dim]).to_vec::<f32>();
    let which = Tensor::uniform(&[n], 0.0, clusters as f64).to_vec::<f32>();
    let data = (0..n * dim).map(|i| {
        let c = (which[i / dim] as usize).min(clusters - 1);
        3.0 * centres[c * dim + i % dim] + noise[i]
    });
    let all = Tensor::from_vec(data.collect(), &[n, dim]);
    (all.narrow(0, 0, base), all.narrow(0, base, queries))
}

/// The exact k best of `base` for each query, by brute force in f64, ranked by the
/// metric's score (ties: smaller id first); scores as the crate reports them.
pub fn brute_force(base: &Tensor, queries: &Tensor, k: usize, metric: Metric) -> Vec<Vec<Hit>> {
    let dim = base.shape()[1];
    let unit = |row: &[f64]| -> Vec<f64> {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        row.iter()
            .map(|v| if norm > 0.0 { v / norm } else { 0.0 })
            .collect()
    };
    let prepare = |t: &Tensor| -> Vec<Vec<f64>> {
        let v = t.to_vec::<f64>();
        let rows = v.chunks(dim).map(|r| r.to_vec());
        match metric {
            Metric::Cosine => rows.map(|r| unit(&r)).collect(),
            _ => rows.collect(),
        }
    };
    let (base, queries) = (prepare(base), prepare(queries));
    queries
        .iter()
        .map(|q| {
            let mut scored: Vec<(f64, usize)> = base
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let d = match metric {
                        Metric::L2 => q.iter().zip(x).map(|(a, b)| (a - b).powi(2)).sum(),
                        _ => -q.iter().zip(x).map(|(a, b)| a * b).sum::<f64>(),
                    };
                    (d, i)
                })
                .collect();
            scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let score = |d: f64| if metric == Metric::L2 { d } else { -d } as f32;
            scored
                .iter()
                .take(k)
                .map(|&(d, id)| Hit {
                    id,
                    score: score(d),
                })
                .collect()
        })
        .collect()
}

/// Assert `found` equals `truth` up to `tol` in the scores, rank by rank; where the ids
/// differ the two scores must agree within `tol` (a tie, broken either way).
pub fn assert_same(found: &[Vec<Hit>], truth: &[Vec<Hit>], tol: f32) {
    assert_eq!(found.len(), truth.len());
    for (q, (f, t)) in found.iter().zip(truth).enumerate() {
        assert_eq!(f.len(), t.len(), "query {q}");
        for (r, (f, t)) in f.iter().zip(t).enumerate() {
            let close = (f.score - t.score).abs() <= tol * t.score.abs().max(1.0);
            assert!(close, "query {q} rank {r}: {f:?} vs {t:?}");
        }
    }
}
