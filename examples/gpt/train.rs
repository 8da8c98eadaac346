//! Training: nanoGPT's `shakespeare_char` CPU recipe.
//!
//! ```text
//! one step:  x, y = random_batch(train, B, T)                 [B, T], [B·T]
//!            loss = CE(model(x).reshape([B·T, V]), y)          mean over B·T tokens
//!            backward → clip ‖g‖₂ ≤ 1 → lr(step) → AdamW step
//! lr(step):  linear warmup 0 → lr over `warmup` steps, then cosine to `min_lr` at the last
//! AdamW:     β = (0.9, 0.99); weight decay on the 2-d parameters only (matrices and
//!            embedding tables), none on norms' gains and biases (nanoGPT's groups)
//! ```
//! Validation follows nanoGPT's `estimate_loss` during training (the mean loss of
//! `eval_iters` random validation batches) and, at the end, the loss over every
//! token of the validation split, in consecutive windows of T.
//! Read next: `main.rs`'s `sample`.

use ferrograd::nn::loss::cross_entropy;
use ferrograd::optim::schedule::WarmupCosine;
use ferrograd::optim::{AdamW, LrSchedule, Optimizer, ParamGroup, clip_grad_norm};
use ferrograd::prelude::*;

use crate::data::{batch_at, random_batch};
use crate::model::LanguageModel;

/// The optimisation settings.
#[derive(Clone, Debug)]
pub struct Recipe {
    /// B, sequences per batch.
    pub batch_size: usize,
    /// T, characters per sequence.
    pub block_size: usize,
    /// Optimisation steps.
    pub max_iters: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// The learning rate at the last step.
    pub min_lr: f64,
    /// Linear warmup steps.
    pub warmup: usize,
    /// β₂ of AdamW (β₁ = 0.9).
    pub beta2: f64,
    /// Decoupled weight decay of the 2-d parameters.
    pub weight_decay: f64,
    /// Largest global gradient norm (0: no clipping).
    pub clip: f64,
}

/// AdamW with nanoGPT's two groups: decay on parameters of rank ≥ 2, none on the rest.
pub fn optimizer(model: &LanguageModel, recipe: &Recipe) -> AdamW {
    let (matrices, others): (Vec<Var>, Vec<Var>) = model
        .module()
        .parameters()
        .into_iter()
        .partition(|p| p.shape().len() >= 2);
    let groups = vec![
        ParamGroup::new(matrices).weight_decay(recipe.weight_decay),
        ParamGroup::new(others).weight_decay(0.0),
    ];
    AdamW::with_groups(groups, recipe.lr).betas((0.9, recipe.beta2))
}

/// The learning rate of step `step` (1-based).
pub fn lr_at(recipe: &Recipe, step: usize) -> f64 {
    WarmupCosine::new(recipe.lr, recipe.warmup.max(1), recipe.max_iters.max(2))
        .min_lr(recipe.min_lr)
        .lr(step)
}

/// Mean next-token cross-entropy of `model` on inputs `x` `[B, T]`, targets `y` `[B·T]`.
pub fn loss_of(model: &LanguageModel, x: &Tensor, y: &Tensor) -> Var {
    let logits = model.forward(x);
    let [b, t, v] = logits.shape()[..] else {
        unreachable!("the models return [B, T, V]")
    };
    cross_entropy(&logits.reshape(&[b * t, v]), y)
}

/// One optimisation step at `step` (1-based) on a random training batch; its loss.
pub fn train_step(
    model: &LanguageModel,
    opt: &mut AdamW,
    recipe: &Recipe,
    train: &[usize],
    step: usize,
    generator: &mut Generator,
) -> f64 {
    let (x, y) = random_batch(train, recipe.batch_size, recipe.block_size, generator);
    let loss = loss_of(model, &x, &y);
    opt.zero_grad();
    loss.backward();
    if recipe.clip > 0.0 {
        clip_grad_norm(&model.module().parameters(), recipe.clip, 2.0);
    }
    opt.set_lr(lr_at(recipe, step));
    opt.step();
    loss.item()
}

/// nanoGPT's `estimate_loss`: the mean loss of `iters` random batches of `ids`, no
/// gradients (call with the model in eval mode).
pub fn estimate_loss(
    model: &LanguageModel,
    ids: &[usize],
    recipe: &Recipe,
    iters: usize,
    generator: &mut Generator,
) -> f64 {
    let total: f64 = (0..iters)
        .map(|_| {
            let (x, y) = random_batch(ids, recipe.batch_size, recipe.block_size, generator);
            no_grad(|| loss_of(model, &x, &y).item())
        })
        .sum();
    total / iters as f64
}

/// The mean loss over all of `ids`: consecutive windows of T (each character is
/// predicted once, from the ≤ T − 1 characters before it in its window), `B` at a time.
pub fn full_loss(model: &LanguageModel, ids: &[usize], recipe: &Recipe) -> f64 {
    let t = recipe.block_size;
    let offsets: Vec<usize> = (0..(ids.len() - 1) / t).map(|i| i * t).collect();
    let (mut total, mut count) = (0.0, 0);
    for chunk in offsets.chunks(recipe.batch_size * 4) {
        let (x, y) = batch_at(ids, chunk, t);
        total += no_grad(|| loss_of(model, &x, &y).item()) * (chunk.len() * t) as f64;
        count += chunk.len() * t;
    }
    total / count as f64
}
