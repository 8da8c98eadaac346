//! Batches of sentence pairs: sorted into buckets of similar length, cut by a token
//! budget, padded, with their padding masks.
//!
//! ```text
//! shuffle the pairs (seeded by seed and epoch) → chunks of 64 batches' worth
//! → sort each chunk by (source, target) length → cut into batches whose padded
//!   size  rows × longest  stays ≤ max_tokens → shuffle the batches
//! ```
//! Sorting keeps padding small (a batch's rows have nearly equal lengths); sorting
//! only inside chunks keeps the epoch random. A batch holds
//! ```text
//! src      [B, S]   source ids + <eos>, padded with <pad>
//! tgt_in   [B, T]   <bos> + target ids   (the decoder's input: teacher forcing)
//! tgt_out  [B, T]   target ids + <eos>   (what it must predict; <pad> is ignored by the loss)
//! src_padding, tgt_padding: bool, true where the id is <pad> (masked out)
//! ```
//! The order of an epoch depends only on (seed, epoch), so a resumed run replays the
//! epoch and skips the batches it already trained on. Read next: `train.rs`.

use ferrograd::prelude::*;
use ferrograd::text::{BOS, EOS, PAD};

/// A pair encoded as token ids, without `<bos>`/`<eos>`.
#[derive(Clone, Debug)]
pub struct Example {
    /// German ids.
    pub src: Vec<u32>,
    /// English ids.
    pub tgt: Vec<u32>,
}

/// One padded batch; see the module docs for the shapes.
pub struct Batch {
    /// Source ids + `<eos>`, `[B, S]`.
    pub src: Tensor,
    /// `<bos>` + target ids, `[B, T]`.
    pub tgt_in: Tensor,
    /// Target ids + `<eos>`, `[B, T]`.
    pub tgt_out: Tensor,
    /// `true` where `src` is `<pad>`, `[B, S]` (bool).
    pub src_padding: Tensor,
    /// `true` where `tgt_in` is `<pad>`, `[B, T]` (bool).
    pub tgt_padding: Tensor,
    /// Target tokens to predict (not padding): the loss is averaged over these.
    pub tgt_tokens: usize,
    /// Source and target tokens, padding excluded (for tokens/s).
    pub tokens: usize,
}

/// `rows` padded with `<pad>` to the longest, as an i64 id tensor `[B, T]`: the one
/// place where token ids become a tensor.
pub fn ids_tensor(rows: &[Vec<u32>]) -> Tensor {
    let longest = rows.iter().map(Vec::len).max().unwrap_or(0);
    let data: Vec<i64> = rows
        .iter()
        .flat_map(|r| {
            r.iter()
                .copied()
                .chain(std::iter::repeat(PAD))
                .take(longest)
                .map(i64::from)
        })
        .collect();
    Tensor::from_vec_i64(data, &[rows.len(), longest])
}

/// The key-padding mask of an id tensor: `true` where the id is `<pad>` (the key is
/// masked out, as PyTorch's `key_padding_mask`).
pub fn padding_mask(ids: &Tensor) -> Tensor {
    ids.eq_scalar(f64::from(PAD))
}

impl Batch {
    /// The padded tensors of `examples`.
    pub fn new(examples: &[&Example]) -> Batch {
        let with = |first: &[u32], ids: &[u32], last: &[u32]| [first, ids, last].concat();
        let src: Vec<_> = examples.iter().map(|e| with(&[], &e.src, &[EOS])).collect();
        let tgt_in: Vec<_> = examples.iter().map(|e| with(&[BOS], &e.tgt, &[])).collect();
        let tgt_out: Vec<_> = examples.iter().map(|e| with(&[], &e.tgt, &[EOS])).collect();
        let tgt_tokens = tgt_out.iter().map(Vec::len).sum::<usize>();
        let tokens = tgt_tokens + src.iter().map(Vec::len).sum::<usize>();
        let (src, tgt_in) = (ids_tensor(&src), ids_tensor(&tgt_in));
        Batch {
            src_padding: padding_mask(&src),
            tgt_padding: padding_mask(&tgt_in),
            src,
            tgt_in,
            tgt_out: ids_tensor(&tgt_out),
            tgt_tokens,
            tokens,
        }
    }
}

/// The batches of one epoch, as lists of example indices, in training order.
///
/// # Panics
/// If one example alone is over `max_tokens` (its longer side + 1, times one row).
pub fn epoch_batches(
    examples: &[Example],
    max_tokens: usize,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let mut g = Generator::new();
    g.manual_seed(seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    let mut order: Vec<usize> = (0..examples.len()).collect();
    g.shuffle(&mut order);
    let len = |i: usize| examples[i].src.len().max(examples[i].tgt.len()) + 1;
    // chunks of about 64 batches' worth of tokens (rows of ~30 tokens), sorted inside
    let chunk_examples = (64 * max_tokens / 30).max(1);
    let mut batches = Vec::new();
    for chunk in order.chunks_mut(chunk_examples) {
        chunk.sort_by_key(|&i| (examples[i].src.len(), examples[i].tgt.len()));
        batches.extend(cut(chunk, len, max_tokens));
    }
    g.shuffle(&mut batches);
    batches
}

/// `order` cut into consecutive batches whose padded size (rows × the longest
/// `len`) stays within `max_tokens`.
///
/// # Panics
/// If one item alone is longer than `max_tokens`.
pub fn cut(order: &[usize], len: impl Fn(usize) -> usize, max_tokens: usize) -> Vec<Vec<usize>> {
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut longest = 0;
    for &i in order {
        let l = len(i);
        assert!(
            l <= max_tokens,
            "batches: item {i} has {l} tokens, more than the budget of {max_tokens} (--max-tokens)"
        );
        match batches.last_mut() {
            Some(b) if longest.max(l) * (b.len() + 1) <= max_tokens => {
                b.push(i);
                longest = longest.max(l);
            }
            _ => {
                batches.push(vec![i]);
                longest = l;
            }
        }
    }
    batches
}
