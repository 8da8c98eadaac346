//! Evaluation with gensim's protocol: analogies (a : b :: c : ?), word-pair
//! similarity (Spearman ρ against human scores) and nearest neighbours.
//!
//! ```text
//! unit vectors  û = u / ‖u‖;  cos(w, v) = ŵ · v̂
//! analogy   answer = argmax_{w ∉ {a, b, c}} cos(w, b̂ − â + ĉ)    king − man + woman → queen
//!           a question counts only if a, b, c, d are all in the vocabulary (lower-cased)
//!           sections 1–5 are "semantic", gram1–gram9 "syntactic"
//! pairs     ρ = Pearson correlation of the ranks (ties get their mean rank) of
//!           cos(w₁, w₂) and the human score, over the pairs with both words known
//! ```
//! Nearest words come from the library's exact search (`ferrograd::search::Flat`, by
//! inner product of the unit vectors, i.e. cosine): a batch of questions is one
//! matrix product `[Q, C] × [C, V]` with each score row reduced to its best few
//! on the spot. The question words themselves are excluded by asking for as many
//! more and dropping them.
//! Read next: `main.rs`.

use std::collections::HashMap;

use ferrograd::prelude::*;
use ferrograd::search::{Flat, Metric};

/// Word vectors normalised to unit length, with their words.
pub struct Embeddings {
    /// The words, row order.
    pub words: Vec<String>,
    /// Word → row.
    pub index: HashMap<String, usize>,
    /// The unit rows, `[V, C]`, searched by inner product (= cosine).
    neighbours: Flat,
    dim: usize,
}

impl Embeddings {
    /// Normalise the rows of `vectors` (`[V, C]`, one per word).
    ///
    /// # Panics
    /// If `vectors` is not `[words.len(), C]`.
    #[track_caller]
    pub fn new(words: Vec<String>, vectors: &Tensor) -> Embeddings {
        let &[v, dim] = vectors.shape() else {
            panic!(
                "Embeddings: vectors must be [V, C], got shape {:?}",
                vectors.shape()
            );
        };
        assert_eq!(
            v,
            words.len(),
            "Embeddings: {} words but {v} vectors",
            words.len()
        );
        let mut rows = vectors.to_dtype(DType::F32).contiguous().to_vec::<f32>();
        for row in rows.chunks_mut(dim) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            row.iter_mut().for_each(|x| *x /= norm);
        }
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i))
            .collect();
        let mut neighbours = Flat::new(dim, Metric::InnerProduct);
        neighbours.add(&Tensor::from_vec(rows, &[v, dim]));
        Embeddings {
            words,
            index,
            neighbours,
            dim,
        }
    }

    /// The unit rows, `[V, C]`, in word order.
    pub fn unit(&self) -> &Tensor {
        self.neighbours.vectors()
    }

    fn row(&self, i: usize) -> &[f32] {
        &ferrograd::tensor::lanes::as_slice::<f32>(self.unit())[i * self.dim..(i + 1) * self.dim]
    }

    /// The unit vector of `word`, if it is known.
    pub fn unit_row(&self, word: &str) -> Option<&[f32]> {
        self.index.get(word).map(|&i| self.row(i))
    }

    /// Cosine similarity of two known words.
    pub fn similarity(&self, a: &str, b: &str) -> Option<f64> {
        let (i, j) = (*self.index.get(a)?, *self.index.get(b)?);
        Some(
            self.row(i)
                .iter()
                .zip(self.row(j))
                .map(|(x, y)| f64::from(x * y))
                .sum(),
        )
    }

    /// The `topn` words closest to `Σ +û(positive) − Σ û(negative)`, excluding the
    /// query words (gensim's `most_similar`). Unknown words are ignored.
    pub fn most_similar(
        &self,
        positive: &[&str],
        negative: &[&str],
        topn: usize,
    ) -> Vec<(String, f64)> {
        let signed = positive
            .iter()
            .map(|w| (w, 1.0))
            .chain(negative.iter().map(|w| (w, -1.0)));
        let known: Vec<(usize, f32)> = signed
            .filter_map(|(w, s)| self.index.get(*w).map(|&i| (i, s)))
            .collect();
        let exclude: Vec<usize> = known.iter().map(|&(i, _)| i).collect();
        let queries = self.queries(std::slice::from_ref(&known));
        self.nearest(&queries, &[exclude], topn)[0]
            .iter()
            .map(|&(i, s)| (self.words[i].clone(), f64::from(s)))
            .collect()
    }

    /// The `n` best (row, cosine) of each query row, best first, skipping the rows of
    /// its `exclude` list: the library's exact search for `n + |exclude|`, the
    /// excluded dropped (ties keep the smaller row first, as a scan in row order).
    fn nearest(
        &self,
        queries: &Tensor,
        exclude: &[Vec<usize>],
        n: usize,
    ) -> Vec<Vec<(usize, f32)>> {
        let most = exclude.iter().map(Vec::len).max().unwrap_or(0);
        let hits = self.neighbours.search(queries, n + most);
        hits.iter()
            .zip(exclude)
            .map(|(list, skip)| {
                list.iter()
                    .filter(|h| !skip.contains(&h.id))
                    .take(n)
                    .map(|h| (h.id, h.score))
                    .collect()
            })
            .collect()
    }

    /// `[Q, C]`: one query vector per list, `Σ sign · û` normalised to unit length (so
    /// the scores are cosines; the ranking does not depend on it).
    fn queries(&self, lists: &[Vec<(usize, f32)>]) -> Tensor {
        let mut q = vec![0.0f32; lists.len() * self.dim];
        for (row, list) in q.chunks_mut(self.dim).zip(lists) {
            for &(i, sign) in list {
                row.iter_mut()
                    .zip(self.row(i))
                    .for_each(|(r, x)| *r += sign * x);
            }
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            row.iter_mut().for_each(|x| *x /= norm);
        }
        Tensor::from_vec(q, &[lists.len(), self.dim])
    }
}

/// Accuracy on one section of the analogy set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    /// Section name (`capital-common-countries`, `gram1-adjective-to-adverb`, ...).
    pub name: String,
    /// Questions answered correctly.
    pub correct: usize,
    /// Questions with all four words known (the ones scored).
    pub scored: usize,
    /// All questions of the section.
    pub total: usize,
}

impl Section {
    /// `correct / scored` (0 when nothing was scored).
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.scored.max(1) as f64
    }

    /// Whether the section is semantic (not one of the `gram` sections).
    pub fn is_semantic(&self) -> bool {
        !self.name.starts_with("gram")
    }
}

/// Sum of sections (`name` is the label of the sum).
pub fn total(sections: &[Section], name: &str, keep: impl Fn(&Section) -> bool) -> Section {
    sections.iter().filter(|s| keep(s)).fold(
        Section {
            name: name.into(),
            ..Default::default()
        },
        |mut t, s| {
            t.correct += s.correct;
            t.scored += s.scored;
            t.total += s.total;
            t
        },
    )
}

/// Answer the analogy questions in `text` (`questions-words.txt` format) and score
/// them per section.
pub fn analogies(emb: &Embeddings, text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut questions: Vec<(usize, [usize; 4])> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(name) = line.strip_prefix(':') {
            sections.push(Section {
                name: name.trim().to_string(),
                ..Default::default()
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            continue;
        };
        section.total += 1;
        let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
        let ids: Option<Vec<usize>> = words.iter().map(|w| emb.index.get(w).copied()).collect();
        if let Some(&[a, b, c, d]) = ids.as_deref() {
            section.scored += 1;
            questions.push((sections.len() - 1, [a, b, c, d]));
        }
    }
    for chunk in questions.chunks(512) {
        let lists: Vec<Vec<(usize, f32)>> = chunk
            .iter()
            .map(|&(_, [a, b, c, _])| vec![(b, 1.0), (a, -1.0), (c, 1.0)])
            .collect();
        let exclude: Vec<Vec<usize>> = chunk
            .iter()
            .map(|&(_, [a, b, c, _])| vec![a, b, c])
            .collect();
        let answers = emb.nearest(&emb.queries(&lists), &exclude, 1);
        for (&(section, [.., d]), answer) in chunk.iter().zip(answers) {
            if answer.first().is_some_and(|&(i, _)| i == d) {
                sections[section].correct += 1;
            }
        }
    }
    sections
}

/// Spearman ρ of cosine similarities against human scores, and the pair counts.
#[derive(Clone, Debug, PartialEq)]
pub struct PairScore {
    /// Spearman rank correlation.
    pub spearman: f64,
    /// Pearson correlation of the raw values.
    pub pearson: f64,
    /// Pairs with both words known.
    pub scored: usize,
    /// Pairs skipped for an unknown word.
    pub oov: usize,
}

/// Score a `word1<TAB>word2<TAB>score` file (lines starting with `#` are comments).
pub fn word_pairs(emb: &Embeddings, text: &str) -> PairScore {
    let (mut model, mut human, mut oov) = (Vec::new(), Vec::new(), 0);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [a, b, score, ..] = fields[..] else {
            continue;
        };
        let Ok(score) = score.parse::<f64>() else {
            continue;
        };
        match emb.similarity(&a.to_lowercase(), &b.to_lowercase()) {
            Some(cos) => {
                model.push(cos);
                human.push(score);
            }
            None => oov += 1,
        }
    }
    PairScore {
        spearman: pearson(&ranks(&model), &ranks(&human)),
        pearson: pearson(&model, &human),
        scored: model.len(),
        oov,
    }
}

/// Ranks 1..n of `x`, ties sharing their mean rank (as `scipy.stats.rankdata`).
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        let mean_rank = (start + end + 1) as f64 / 2.0; // mean of ranks start+1 ..= end
        order[start..end].iter().for_each(|&i| r[i] = mean_rank);
        start = end;
    }
    r
}

/// Pearson correlation `cov(x, y) / (σx σy)`.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}
