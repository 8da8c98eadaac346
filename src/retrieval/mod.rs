//! Dense retrieval with a two-tower (DSSM) model: a query tower and a document tower
//! map sentences to vectors, trained so that a query's vector is closest to its own
//! document's; answering a query is then a nearest-neighbour search (`crate::search`).
//!
//! ```text
//! query q ──► query tower ──► u ∈ ℝᶜ ─┐
//!                                    ├── score = cos(u, v)   (index the v's once)
//! document d ► doc tower ───► v ∈ ℝᶜ ─┘
//! train   in-batch InfoNCE: each query against the batch's B documents    (loss.rs)
//! then    ANCE: embed all documents, build an HNSW index, mine each query's nearest
//!         wrong documents as hard negatives, train on them too        (negatives.rs)
//! measure recall@1/5/10 and MRR against all candidates                  (eval.rs)
//! ```
//! Huang et al. 2013 (DSSM) introduced the two towers; the in-batch softmax is that of
//! dual encoders (Gillick et al. 2018, DPR by Karpukhin et al. 2020); ANCE is Xiong et
//! al. 2021. The task here (`corpus.rs`) is Multi30k read as cross-lingual retrieval:
//! a German caption finds its English translation.
//!
//! Reading order: `corpus.rs`, `tower.rs`, `loss.rs`, this file's [`TwoTower`],
//! `negatives.rs`, `eval.rs`, then `examples/retrieval/main.rs`.

mod corpus;
mod eval;
mod loss;
mod negatives;
mod tower;

pub use corpus::{Multi30kRetrieval, RetrievalSplit};
pub use eval::{RetrievalMetrics, evaluate};
pub use loss::contrastive_loss;
pub use negatives::{cosine_index, hard_negatives};
pub use tower::{TokenBatch, Tower};

use autograd::{Var, no_grad};
use nn::Module;
use nn::functional::normalize;
use optim::Optimizer;
use tensor::{Generator, Tensor};

/// Two towers and the softmax scale `e^λ` (λ = ln(1/τ), learned or fixed).
///
/// # Examples
/// ```
/// use ferrograd::prelude::*;
/// use ferrograd::retrieval::{RetrievalSplit, TwoTower};
/// let data = RetrievalSplit {
///     queries: vec![vec![4, 5], vec![6], vec![7, 8]],
///     documents: vec![vec![9], vec![10, 11], vec![12]],
///     ..Default::default()
/// };
/// let model = TwoTower::new(16, 8, 0.1, false);
/// let mut opt = ferrograd::optim::Adam::new(model.parameters(), 0.05);
/// let mut g = Generator::new();
/// let first = model.train_epoch(&mut opt, &data, None, 3, &mut g, |_| {});
/// for _ in 0..20 {
///     model.train_epoch(&mut opt, &data, None, 3, &mut g, |_| {});
/// }
/// assert!(model.train_epoch(&mut opt, &data, None, 3, &mut g, |_| {}) < first);
/// assert_eq!(model.encode_queries(&data.queries).shape(), vec![3, 8]);
/// ```
pub struct TwoTower {
    /// Encodes queries (German).
    pub query: Tower,
    /// Encodes documents (English).
    pub doc: Tower,
    /// λ, the log of the softmax scale 1/τ: a parameter when the temperature is learned.
    pub log_scale: Var,
}

impl TwoTower {
    /// Towers over a shared vocabulary of `vocab_size` ids, `dim`-sized vectors, the
    /// softmax temperature `temperature` (learned from there when `learn_temperature`).
    ///
    /// # Panics
    /// If `temperature` is not > 0.
    #[track_caller]
    pub fn new(
        vocab_size: usize,
        dim: usize,
        temperature: f64,
        learn_temperature: bool,
    ) -> TwoTower {
        assert!(
            temperature > 0.0 && temperature.is_finite(),
            "TwoTower: temperature must be > 0, got {temperature}"
        );
        let lambda = Tensor::scalar((1.0 / temperature).ln() as f32);
        TwoTower {
            query: Tower::new(vocab_size, dim),
            doc: Tower::new(vocab_size, dim),
            log_scale: if learn_temperature {
                Var::param(lambda)
            } else {
                Var::new(lambda)
            },
        }
    }

    /// The current temperature τ = e^(−λ).
    pub fn temperature(&self) -> f64 {
        (-self.log_scale.item()).exp()
    }

    /// The loss of a batch: `documents` holds the queries' documents first, then any
    /// hard negatives ([`contrastive_loss`]).
    #[track_caller]
    pub fn loss(&self, queries: &TokenBatch, documents: &TokenBatch) -> Var {
        contrastive_loss(
            &self.query.forward(queries),
            &self.doc.forward(documents),
            &self.log_scale,
        )
    }

    /// Unit vectors of `sentences` from the query tower, `[N, C]` (no gradient).
    pub fn encode_queries<S: AsRef<[u32]>>(&self, sentences: &[S]) -> Tensor {
        encode(&self.query, sentences)
    }

    /// Unit vectors of `sentences` from the document tower, `[N, C]` (no gradient).
    pub fn encode_docs<S: AsRef<[u32]>>(&self, sentences: &[S]) -> Tensor {
        encode(&self.doc, sentences)
    }

    /// One pass over `data` in an order drawn from `generator`, `batch_size` pairs per
    /// step; with `negatives`, query `i` also brings document `negatives[i]` into its
    /// batch. `on_step` sees each step's loss. Returns the mean loss.
    pub fn train_epoch(
        &self,
        optimizer: &mut impl Optimizer,
        data: &RetrievalSplit,
        negatives: Option<&[usize]>,
        batch_size: usize,
        generator: &mut Generator,
        mut on_step: impl FnMut(f64),
    ) -> f64 {
        let mut order: Vec<usize> = (0..data.len()).collect();
        generator.shuffle(&mut order);
        let mut total = 0.0;
        let batches = order.chunks(batch_size.max(1));
        let steps = batches.len();
        for batch in batches {
            let queries: Vec<&[u32]> = batch.iter().map(|&i| &data.queries[i][..]).collect();
            let mut docs: Vec<&[u32]> = batch.iter().map(|&i| &data.documents[i][..]).collect();
            if let Some(negative) = negatives {
                docs.extend(batch.iter().map(|&i| &data.documents[negative[i]][..]));
            }
            let loss = self.loss(&TokenBatch::new(&queries), &TokenBatch::new(&docs));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            total += loss.item();
            on_step(loss.item());
        }
        total / steps.max(1) as f64
    }

    /// ANCE's mining step on `data`: index the document vectors with HNSW and draw
    /// one hard negative per query among its `depth` nearest ([`hard_negatives`]).
    pub fn mine_negatives(
        &self,
        data: &RetrievalSplit,
        depth: usize,
        generator: &mut Generator,
    ) -> Vec<usize> {
        let index = cosine_index(&self.encode_docs(&data.documents));
        let queries = self.encode_queries(&data.queries);
        hard_negatives(&index, &queries, &data.text_groups(), depth, generator)
    }
}

/// `tower`'s unit vectors of `sentences`, 1,024 at a time.
fn encode<S: AsRef<[u32]>>(tower: &Tower, sentences: &[S]) -> Tensor {
    no_grad(|| {
        let parts: Vec<Tensor> = (sentences.chunks(1024))
            .map(|chunk| normalize(&tower.forward(&TokenBatch::new(chunk)), -1, 1e-12).value())
            .collect();
        Tensor::cat(&parts, 0)
    })
}

impl Module for TwoTower {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.query.visit_params(&format!("{prefix}query."), f);
        self.doc.visit_params(&format!("{prefix}doc."), f);
        if self.log_scale.wants_grad() {
            f(&format!("{prefix}log_scale"), &self.log_scale);
        }
    }
}
