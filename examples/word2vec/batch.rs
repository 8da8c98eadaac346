//! From sentences to mini-batches of training triples (input, output row, label).
//!
//! ```text
//! sentence (after sub-sampling)   ... w₋₂ w₋₁ [w₀] w₁ w₂ ...     window b ~ U{1..5}
//!
//! skip-gram: each context word c predicts the centre w₀   (input = one word c)
//! CBOW:      the mean of the 2b context words predicts w₀ (input = a group of words)
//!
//! and "predicts w₀" becomes binary decisions, each a triple (input, output row, label):
//!   negative sampling:      (in, w₀, 1)  and  (in, n_k, 0) for k = 1..K,  n_k ~ P^0.75
//!                           (a negative equal to w₀ is skipped, as in word2vec)
//!   hierarchical softmax:   (in, node_j, 1 − code_j) for each node on w₀'s Huffman path
//! ```
//! A batch is a flat list of triples, so all four combinations train with one loss
//! (see `train.rs`). Batches follow the corpus order; the whole stream is fixed by
//! the seed of the [`Rng`].
//! Read next: `train.rs`.

use crate::huffman::Huffman;
use crate::sampling::{NegativeTable, Rng};

/// Skip-gram or CBOW.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arch {
    /// Each context word predicts the centre word.
    SkipGram,
    /// The mean of the context words predicts the centre word.
    Cbow,
}

/// How "predict the centre word" becomes binary decisions.
pub enum Objective<'a> {
    /// K negatives per positive, drawn from the table.
    Negative(usize, &'a NegativeTable),
    /// One decision per inner node on the Huffman path.
    Hierarchical(&'a Huffman),
}

/// One mini-batch.
#[derive(Default)]
pub struct Batch {
    /// Skip-gram: the input word of each triple. CBOW: `groups × 2·window` context
    /// ids, padded with the padding row `V` where a window is short.
    pub inputs: Vec<u32>,
    /// CBOW: 1 / (number of context words) per group.
    pub inv_count: Vec<f32>,
    /// CBOW: the group (row of the context mean) each triple belongs to.
    pub group_of: Vec<u32>,
    /// The output-table row of each triple (a word, or a Huffman inner node).
    pub outputs: Vec<u32>,
    /// 1 for "yes" (true word, or code bit 0), 0 for "no".
    pub labels: Vec<f32>,
}

impl Batch {
    /// Number of triples (binary decisions).
    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    /// Number of CBOW groups (context windows).
    pub fn groups(&self) -> usize {
        self.inv_count.len()
    }

    fn clear(&mut self) {
        for v in [&mut self.inputs, &mut self.group_of, &mut self.outputs] {
            v.clear();
        }
        for v in [&mut self.inv_count, &mut self.labels] {
            v.clear();
        }
    }
}

/// Walks the corpus, sub-samples, draws windows and negatives, and fills batches.
pub struct Batcher<'a> {
    /// The corpus as word ids.
    pub sentences: &'a [Vec<u32>],
    /// Raw tokens per sentence (for the lr schedule).
    pub raw_lengths: &'a [u32],
    /// Probability of keeping each word (sub-sampling).
    pub keep: &'a [f64],
    /// Skip-gram or CBOW.
    pub arch: Arch,
    /// Negative sampling or hierarchical softmax.
    pub objective: Objective<'a>,
    /// Maximal window (the actual one is drawn in 1..=window per centre).
    pub window: usize,
    /// The random stream.
    pub rng: Rng,
    next_sentence: usize,
    kept: Vec<u32>,
    position: usize,
}

impl<'a> Batcher<'a> {
    /// A batcher at the start of the corpus (call [`Batcher::fill`] repeatedly).
    pub fn new(
        corpus: (&'a [Vec<u32>], &'a [u32]),
        keep: &'a [f64],
        arch: Arch,
        objective: Objective<'a>,
        window: usize,
        rng: Rng,
    ) -> Batcher<'a> {
        Batcher {
            sentences: corpus.0,
            raw_lengths: corpus.1,
            keep,
            arch,
            objective,
            window,
            rng,
            next_sentence: 0,
            kept: Vec::new(),
            position: 0,
        }
    }

    /// Clear `batch` and fill it with at least `triples` triples (fewer at the end of
    /// the corpus). Returns the raw words of the sentences started meanwhile, or
    /// `None` when the epoch is over and the batch is empty.
    pub fn fill(&mut self, batch: &mut Batch, triples: usize) -> Option<u64> {
        batch.clear();
        let mut raw = 0u64;
        while batch.len() < triples {
            if self.position >= self.kept.len() {
                let sentences = self.sentences;
                let Some(sentence) = sentences.get(self.next_sentence) else {
                    break;
                };
                raw += u64::from(self.raw_lengths[self.next_sentence]);
                self.next_sentence += 1;
                let (keep, rng) = (self.keep, &mut self.rng);
                self.kept.clear();
                self.kept.extend(
                    sentence
                        .iter()
                        .filter(|&&w| rng.uniform() < keep[w as usize]),
                );
                self.position = 0;
                continue;
            }
            self.centre(batch);
            self.position += 1;
        }
        (batch.len() > 0).then_some(raw)
    }

    /// The triples of the centre word at `self.position`.
    fn centre(&mut self, batch: &mut Batch) {
        let pos = self.position;
        let b = self.window - self.rng.below(self.window); // 1..=window
        let lo = pos.saturating_sub(b);
        let hi = (pos + b + 1).min(self.kept.len());
        let centre = self.kept[pos];
        match self.arch {
            Arch::SkipGram => {
                for c in lo..hi {
                    if c != pos {
                        self.decisions(batch, self.kept[c], centre);
                    }
                }
            }
            Arch::Cbow => {
                let count = hi - lo - 1;
                if count == 0 {
                    return;
                }
                let group = batch.groups() as u32;
                let context = (lo..hi).filter(|&c| c != pos).map(|c| self.kept[c]);
                let padding_row = self.keep.len() as u32; // row V of W_in, always zero
                let padding = std::iter::repeat_n(padding_row, 2 * self.window - count);
                batch.inputs.extend(context.chain(padding));
                batch.inv_count.push(1.0 / count as f32);
                self.decisions(batch, group, centre);
            }
        }
    }

    /// Push the binary decisions for "`input` predicts `target`". `input` is a word id
    /// (skip-gram) or a group number (CBOW).
    fn decisions(&mut self, batch: &mut Batch, input: u32, target: u32) {
        let arch = self.arch;
        let push = |batch: &mut Batch, output: u32, label: f32| {
            match arch {
                Arch::SkipGram => batch.inputs.push(input),
                Arch::Cbow => batch.group_of.push(input),
            }
            batch.outputs.push(output);
            batch.labels.push(label);
        };
        match self.objective {
            Objective::Negative(k, table) => {
                push(batch, target, 1.0);
                for _ in 0..k {
                    let negative = table.draw(&mut self.rng);
                    if negative != target {
                        push(batch, negative, 0.0);
                    }
                }
            }
            Objective::Hierarchical(tree) => {
                let (path, code) = (&tree.paths[target as usize], &tree.codes[target as usize]);
                for (&node, &bit) in path.iter().zip(code) {
                    push(batch, node, 1.0 - f32::from(bit));
                }
            }
        }
    }
}
