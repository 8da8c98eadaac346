//! Training: two embedding tables, one loss for all four variants, plain SGD on the
//! rows a batch touched, and word2vec's linear learning-rate decay.
//!
//! ```text
//! tables   W_in  [V + 1, C]  ~ U(−0.5/C, 0.5/C)   the word vectors we keep, plus
//!                                   row V = 0: CBOW's padding row (never updated)
//!          W_out [R, C]  = 0        R = V (negative sampling) or V − 1 (HS)
//! batch    N triples (input, output row r, label y)              (see batch.rs)
//!   h  = W_in[input]                                  skip-gram      [N, C]
//!   h  = mean_{c ∈ window} W_in[c], one row per triple   CBOW           [N, C]
//!        (Var::embedding_bag: each window's rows summed in place)
//!   u  = W_out[r]                                                    [N, C]
//!   x  = Σ_C h ⊙ u                     one logit per decision         [N]
//!        (Var::embedding_dot: the lookups and the dot in one node, h and u never
//!        written out)
//!   L  = Σ_N bce_with_logits(x, y) = Σ −y ln σ(x) − (1 − y) ln(1 − σ(x))
//! backward: ∂L/∂x = σ(x) − y;  ∂L/∂u = (σ(x) − y)·h;  ∂L/∂h = (σ(x) − y)·u
//!   — exactly word2vec's update, with the embedding lookups giving sparse row
//!   gradients (Gradient::Rows): only the rows of this batch are touched.
//! step:    θ[r] ← θ[r] − α ∂L/∂θ[r],  α = α₀ − (α₀ − α_min) · words done / total
//! ```
//! One difference from word2vec's per-pair updates: a batch sums the gradients of
//! all its triples at the same parameters (a frequent word's row gets many at once).
//! With α = 0.025 and 1024 triples per batch (≈ 170 skip-gram pairs) this trains as
//! well as gensim's per-pair updates (see the results table). Small batches also keep
//! every intermediate tensor (1024 × 100 floats) in the L2 cache.
//!
//! CBOW windows have 2..2·window words; a batch pads them to 2·window with the
//! padding row (PyTorch's `padding_idx`): `embedding_bag` leaves it out of the sum
//! and gives it no gradient row, so it stays zero.
//!
//! CBOW detail: word2vec and gensim use the *mean* of the context vectors forward
//! but add the *whole* error vector to every context word (not 1/count of it). We
//! keep that update with `h = s − detach(s − mean)`: the value is the mean, the
//! gradient reaching each context vector is ∂L/∂h.
//! Read next: `eval.rs`.

use std::time::Instant;

use ferrograd::autograd::ops::embedding_bag::BagMode;
use ferrograd::autograd::{Gradient, RowGradient};
use ferrograd::nn::loss::{BceWithLogitsOptions, Reduction, binary_cross_entropy_with_logits_with};
use ferrograd::prelude::*;
use ferrograd::tensor::dtype::Storage;
use indicatif::{ProgressBar, ProgressStyle};

use crate::batch::{Arch, Batch, Batcher, Objective};
use crate::huffman::Huffman;
use crate::sampling::{NegativeTable, Rng, keep_probabilities};
use crate::vocab::{Corpus, Vocab};

/// Training settings (defaults = the reference gensim run).
#[derive(Clone, Debug)]
pub struct Config {
    /// Skip-gram or CBOW.
    pub arch: Arch,
    /// Hierarchical softmax instead of negative sampling.
    pub hs: bool,
    /// Vector size C.
    pub dim: usize,
    /// Maximal window.
    pub window: usize,
    /// Negatives per positive.
    pub negative: usize,
    /// Sub-sampling threshold.
    pub sample: f64,
    /// Passes over the corpus.
    pub epochs: usize,
    /// Initial learning rate α₀.
    pub alpha: f64,
    /// Final learning rate.
    pub min_alpha: f64,
    /// Triples per mini-batch.
    pub batch: usize,
    /// Seed of the whole run.
    pub seed: u64,
    /// Batches per step, trained in parallel at the same parameters (one thread each).
    pub threads: usize,
    /// Draw the progress bar.
    pub progress: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            arch: Arch::SkipGram,
            hs: false,
            dim: 100,
            window: 5,
            negative: 5,
            sample: 1e-3,
            epochs: 5,
            alpha: 0.025,
            min_alpha: 0.0001,
            batch: 1024,
            seed: 1,
            threads: 1,
            progress: true,
        }
    }
}

/// The two tables. They live outside the graph: each step wraps them in fresh leaf
/// `Var`s (a tensor clone shares its storage, so this copies nothing), and the
/// update writes the touched rows in place.
pub struct Tables {
    /// `W_in [V, C]`: the word vectors.
    pub input: Tensor,
    /// `W_out [R, C]`: negative-sampling word rows or Huffman inner nodes.
    pub output: Tensor,
}

/// What a training run measured.
pub struct Stats {
    /// Mean loss per binary decision, per epoch.
    pub epoch_losses: Vec<f64>,
    /// Wall-clock seconds of training.
    pub seconds: f64,
    /// CPU seconds of the process during training (all threads).
    pub cpu_seconds: f64,
    /// Raw corpus words processed (epochs × corpus tokens).
    pub raw_words: u64,
    /// Binary decisions trained on.
    pub decisions: u64,
}

/// Process CPU time (user + system, all threads) from `/proc/self/stat`; 0 elsewhere.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the parenthesised command name; utime, stime are fields 14, 15
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0 // USER_HZ is 100 on Linux
}

/// `W_in ~ U(−0.5/C, 0.5/C)` (word2vec's init) with a zero padding row at the end,
/// `W_out = 0`, from `rng`.
pub fn init_tables(vocab: usize, output_rows: usize, dim: usize, rng: &mut Rng) -> Tables {
    let scale = 1.0 / dim as f64;
    let mut input: Vec<f32> = (0..vocab * dim)
        .map(|_| ((rng.uniform() - 0.5) * scale) as f32)
        .collect();
    input.extend(std::iter::repeat_n(0.0, dim)); // the padding row
    Tables {
        input: Tensor::from_vec(input, &[vocab + 1, dim]),
        output: Tensor::zeros(&[output_rows, dim]),
    }
}

impl Tables {
    /// The word vectors: `W_in` without its padding row, `[V, C]`.
    pub fn word_vectors(&self) -> Tensor {
        self.input.narrow(0, 0, self.input.shape()[0] - 1)
    }
}

/// Word ids as an i64 index tensor (what embedding lookups take).
fn ids(values: &[u32], shape: &[usize]) -> Tensor {
    Tensor::from_vec_i64(values.iter().map(|&v| i64::from(v)).collect(), shape)
}

/// The summed loss of one batch (see the module doc).
pub fn batch_loss(w_in: &Var, w_out: &Var, batch: &Batch, arch: Arch, window: usize) -> Var {
    let n = batch.len();
    let outputs = ids(&batch.outputs, &[n]);
    // x[n] = ⟨h[n], u[n]⟩ in one fused node: embedding_dot(A, i, B, j) is
    // (embedding(A, i) ⊙ embedding(B, j)).sum(−1) without the [N, C] lookups
    let logits = match arch {
        Arch::SkipGram => {
            Var::embedding_dot(w_in, &ids(&batch.inputs, &[n]), w_out, &outputs, true)
        }
        Arch::Cbow => {
            let (groups, slots) = (batch.groups(), 2 * window);
            let context = ids(&batch.inputs, &[groups, slots]);
            let padding_row = Some(w_in.shape()[0] - 1);
            // Σ of each window's rows in one fused node, the padding row left out
            let sum = Var::embedding_bag(w_in, &context, BagMode::Sum, padding_row, true); // [G, C]
            let inv_count = Var::new(Tensor::from_vec(batch.inv_count.clone(), &[groups, 1]));
            let mean = &sum * &inv_count;
            let h_group = &sum - &(&sum - &mean).detach(); // value: mean; gradient: full
            let group_of = ids(&batch.group_of, &[n]);
            Var::embedding_dot(&h_group, &group_of, w_out, &outputs, true)
        }
    };
    let labels = Tensor::from_vec(batch.labels.clone(), &[n]);
    let options = BceWithLogitsOptions {
        reduction: Reduction::Sum,
        ..Default::default()
    };
    binary_cross_entropy_with_logits_with(&logits, &labels, &options)
}

/// Forward and backward of one batch on leaf `Var`s wrapping the tables (a tensor
/// clone shares its storage: nothing is copied). Returns the summed loss and the
/// sparse row gradients of `W_in` and `W_out`.
pub fn gradients(
    tables: &Tables,
    batch: &Batch,
    arch: Arch,
    window: usize,
) -> (f64, RowGradient, RowGradient) {
    let w_in = Var::param(tables.input.clone());
    let w_out = Var::param(tables.output.clone());
    let loss = batch_loss(&w_in, &w_out, batch, arch, window);
    loss.backward();
    (loss.item(), row_gradient(&w_in), row_gradient(&w_out))
}

/// One training step over `shards` batches: their gradients are computed in parallel
/// (one thread each) at the same parameters, then applied in shard order,
/// `θ[r] ← θ[r] − lr·g[r]` on the rows they looked up. The result depends on the
/// number of shards, not on timing: a run is the same for a seed and shard count.
/// Returns the summed loss.
pub fn step(tables: &mut Tables, shards: &[Batch], arch: Arch, window: usize, lr: f64) -> f64 {
    let results: Vec<(f64, RowGradient, RowGradient)> = match shards {
        [one] => vec![gradients(tables, one, arch, window)],
        _ => std::thread::scope(|scope| {
            let tables = &*tables;
            let handles: Vec<_> = shards
                .iter()
                .map(|batch| scope.spawn(move || gradients(tables, batch, arch, window)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a training thread panicked"))
                .collect()
        }),
    };
    let mut loss = 0.0;
    for (value, g_in, g_out) in &results {
        sgd_rows(&mut tables.input, g_in, lr as f32);
        sgd_rows(&mut tables.output, g_out, lr as f32);
        loss += value;
    }
    loss
}

fn row_gradient(table: &Var) -> RowGradient {
    match table.gradient() {
        Some(Gradient::Rows(rows)) => rows,
        other => {
            panic!("internal error: expected sparse row gradients, got {other:?}; this is a bug")
        }
    }
}

/// Plain SGD on the rows of a sparse gradient, in place: `θ[r] ← θ[r] − lr·g[r]`
/// (a row looked up twice gets both updates). Nothing else in the table is read or
/// written (CBOW's padding row never has a gradient row: `embedding_bag` leaves it out). (`optim::SGD` does the same update functionally, `θ.index_add(..)`,
/// which copies the whole [V, C] table every step: 20 MB per batch here.)
///
/// # Panics
/// If the table is not f32 or not contiguous.
pub fn sgd_rows(table: &mut Tensor, grad: &RowGradient, lr: f32) {
    // Take sole ownership of the storage so the write below cannot trigger a copy.
    let mut storage = table.storage().clone();
    *table = Tensor::scalar(0.0);
    let Storage::F32(theta) = &mut storage else {
        panic!("sgd_rows: word2vec tables are f32, got {}", table.dtype());
    };
    let dim = theta.shape()[1];
    let theta = theta
        .as_slice_mut()
        .expect("sgd_rows: the table must be contiguous");
    let rows = grad.rows.contiguous();
    let g = rows.array::<f32>().as_slice().expect("contiguous rows");
    for (k, &r) in grad.indices.iter().enumerate() {
        let (row, g_row) = (
            &mut theta[r * dim..(r + 1) * dim],
            &g[k * dim..(k + 1) * dim],
        );
        row.iter_mut().zip(g_row).for_each(|(t, g)| *t -= lr * g);
    }
    *table = Tensor::from_storage(storage);
}

/// Train word vectors on `corpus` (see the module doc); returns the tables and stats.
pub fn train(corpus: &Corpus, vocab: &Vocab, config: &Config) -> (Tables, Stats) {
    let mut rng = Rng::new(config.seed);
    let keep = keep_probabilities(&vocab.counts, config.sample);
    let negatives = NegativeTable::new(&vocab.counts, 0.75);
    let tree = config.hs.then(|| Huffman::new(&vocab.counts));
    let output_rows = tree.as_ref().map_or(vocab.len(), Huffman::inner_nodes);
    let mut tables = init_tables(vocab.len(), output_rows, config.dim, &mut rng);

    let total_words = corpus.raw_words() * config.epochs as u64;
    let bar = if config.progress {
        ProgressBar::new(total_words)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {human_pos}/{human_len} words  eta {eta}  {msg}")
            .expect("valid progress template"),
    );
    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let mut stats = Stats {
        epoch_losses: Vec::new(),
        seconds: 0.0,
        cpu_seconds: 0.0,
        raw_words: 0,
        decisions: 0,
    };
    let mut shards: Vec<Batch> = (0..config.threads.max(1))
        .map(|_| Batch::default())
        .collect();
    for epoch in 0..config.epochs {
        let objective = match &tree {
            Some(tree) => Objective::Hierarchical(tree),
            None => Objective::Negative(config.negative, &negatives),
        };
        let sentences = (&corpus.sentences[..], &corpus.raw_lengths[..]);
        let stream = Rng::new(
            config
                .seed
                .wrapping_add(epoch as u64 + 1)
                .wrapping_mul(0x9E37),
        );
        let mut batcher = Batcher::new(
            sentences,
            &keep,
            config.arch,
            objective,
            config.window,
            stream,
        );
        let (mut loss_sum, mut count) = (0.0, 0u64);
        loop {
            // linear decay on the raw words done before this batch
            let progress = stats.raw_words as f64 / total_words as f64;
            let lr = config.alpha - (config.alpha - config.min_alpha) * progress;
            let mut raw = 0;
            let mut filled = 0;
            for shard in shards.iter_mut() {
                match batcher.fill(shard, config.batch) {
                    Some(words) => (raw, filled) = (raw + words, filled + 1),
                    None => break,
                }
            }
            if filled == 0 {
                break;
            }
            let shards = &shards[..filled];
            loss_sum += step(
                &mut tables,
                shards,
                config.arch,
                config.window,
                lr.max(config.min_alpha),
            );
            count += shards.iter().map(|b| b.len() as u64).sum::<u64>();
            stats.raw_words += raw;
            bar.inc(raw);
            let words_per_second = stats.raw_words as f64 / start.elapsed().as_secs_f64();
            bar.set_message(format!(
                "{:.0}k words/s  epoch {} loss {:.4} lr {lr:.5}",
                words_per_second / 1e3,
                epoch + 1,
                loss_sum / count as f64
            ));
        }
        stats.decisions += count;
        stats.epoch_losses.push(loss_sum / count.max(1) as f64);
    }
    bar.finish();
    stats.seconds = start.elapsed().as_secs_f64();
    stats.cpu_seconds = cpu_seconds() - cpu_start;
    (tables, stats)
}
