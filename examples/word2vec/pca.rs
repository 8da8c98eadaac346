//! A 2-D picture of word vectors: PCA of a few groups of words (countries and their
//! capitals, numbers, family words), drawn with `ferrograd::plot::scatter`.
//!
//! ```text
//! X [n, C]: the unit vectors of the chosen words, centred (column means removed)
//! Σ = Xᵀ X / n          [C, C] covariance
//! p₁ = top eigenvector of Σ (power iteration: p ← Σp / ‖Σp‖, 200 times)
//! p₂ = top eigenvector of Σ − λ₁ p₁ p₁ᵀ (deflation)
//! point i = (x_i · p₁, x_i · p₂)
//! ```
//! Two dimensions keep only a little of 100; a good model still shows the groups
//! apart and country → capital arrows roughly parallel.
//! Read next: `eval.rs`.

use std::path::Path;

use crate::eval::Embeddings;

/// Words of the picture, by group.
pub const GROUPS: [(&str, &[&str]); 3] = [
    (
        "countries, capitals",
        &[
            "france", "paris", "germany", "berlin", "italy", "rome", "spain", "madrid", "russia",
            "moscow", "japan", "tokyo", "china", "beijing",
        ],
    ),
    (
        "numbers",
        &[
            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        ],
    ),
    (
        "family",
        &[
            "man", "woman", "king", "queen", "father", "mother", "son", "daughter", "brother",
            "sister", "boy", "girl",
        ],
    ),
];

/// The first two principal components of `rows` (`n` rows of length `dim`), as points.
pub fn pca_2d(rows: &[Vec<f32>]) -> Vec<(f64, f64)> {
    let n = rows.len().max(1) as f64;
    let dim = rows.first().map_or(0, Vec::len);
    let mean: Vec<f64> = (0..dim)
        .map(|j| rows.iter().map(|r| f64::from(r[j])).sum::<f64>() / n)
        .collect();
    let x: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&mean)
                .map(|(v, m)| f64::from(*v) - m)
                .collect()
        })
        .collect();
    let mut cov = vec![vec![0.0; dim]; dim];
    for row in &x {
        for (i, a) in row.iter().enumerate() {
            for (j, b) in row.iter().enumerate() {
                cov[i][j] += a * b / n;
            }
        }
    }
    let p1 = top_eigenvector(&cov);
    let lambda = dot(&p1, &mat_vec(&cov, &p1));
    for (i, row) in cov.iter_mut().enumerate() {
        for (j, c) in row.iter_mut().enumerate() {
            *c -= lambda * p1[i] * p1[j];
        }
    }
    let p2 = top_eigenvector(&cov);
    x.iter().map(|r| (dot(r, &p1), dot(r, &p2))).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mat_vec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

/// Power iteration from a fixed start (so the picture is the same every run).
fn top_eigenvector(m: &[Vec<f64>]) -> Vec<f64> {
    let mut p: Vec<f64> = (0..m.len()).map(|i| 1.0 + (i % 7) as f64 * 0.1).collect();
    for _ in 0..200 {
        let q = mat_vec(m, &p);
        let norm = dot(&q, &q).sqrt().max(1e-300);
        p = q.into_iter().map(|v| v / norm).collect();
    }
    p
}

/// Draw the [`GROUPS`] words that are in the vocabulary to a PNG at `path`.
pub fn save_picture(
    emb: &Embeddings,
    title: &str,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut words, mut group_of, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    for (g, (_, members)) in GROUPS.iter().enumerate() {
        for word in members.iter().filter(|w| emb.index.contains_key(**w)) {
            rows.push(emb.unit_row(word).expect("checked above").to_vec());
            words.push(word.to_string());
            group_of.push(g);
        }
    }
    let names: Vec<&str> = GROUPS.iter().map(|(name, _)| *name).collect();
    ferrograd::plot::scatter(title, &pca_2d(&rows), Some(&words))
        .groups(&group_of, &names)
        .with_axis_labels("principal component 1", "principal component 2")
        .with_size(800, 600)
        .save_png(path)?;
    Ok(())
}
