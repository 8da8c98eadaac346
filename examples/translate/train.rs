//! Training: teacher-forced cross-entropy with label smoothing, AdamW, a warmup
//! schedule, gradient clipping, and checkpoints a run can resume from.
//!
//! ```text
//! one step:  logits = model.logits(batch)   (teacher forcing, any --arch)  [B, T, V]
//!            loss   = CE(logits, tgt_out, ignore <pad>, label smoothing ε)   mean over target tokens
//!            backward → clip ‖g‖₂ ≤ clip → lr = schedule(step) → AdamW step
//! ```
//! The checkpoint (`last.safetensors`, written every `--save-every` steps and after
//! each epoch) is one safetensors file holding everything a run needs to continue
//! exactly where it stopped: `model.*` (the weights), `optim.*` (AdamW's moments and
//! step counts), `progress.*` (global step, epoch, batches done in that epoch, best
//! validation BLEU), `rng.state` (the generator dropout draws from) and `config.*`
//! (the model's shape). The batches of an epoch depend only on (seed, epoch)
//! (`batches.rs`), so resuming replays the epoch's order and skips what was done.
//! Read next: `translate.rs`.

use std::path::Path;

use ferrograd::nn::loss::{CrossEntropyOptions, cross_entropy_with};
use ferrograd::optim::schedule::{Noam, WarmupCosine};
use ferrograd::optim::{AdamW, LrSchedule, Optimizer, clip_grad_norm};
use ferrograd::prelude::*;
use ferrograd::tensor::io::{StateDict, load_file, save_state_dict};
use ferrograd::tensor::{get_rng_state, set_rng_state};
use ferrograd::text::PAD;

use crate::arch::Model;
use crate::batches::{Batch, Example, epoch_batches};

/// The learning-rate schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// Linear warmup to `lr`, then a cosine to `lr / 100` at the last step.
    Cosine,
    /// `lr · √C · C^−½ · min(s^−½, s·w^−1.5)`: Vaswani et al.'s, peaking at `lr` after warmup.
    Noam,
}

/// The optimisation settings (the model's shape is in the [`Model`]).
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Padded tokens per batch (rows × longest side).
    pub max_tokens: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Warmup steps.
    pub warmup: usize,
    /// The schedule after warmup.
    pub schedule: Schedule,
    /// Steps the cosine runs over (`epochs` × batches per epoch).
    pub total_steps: usize,
    /// ε of label smoothing.
    pub label_smoothing: f64,
    /// Largest global gradient norm (0: no clipping).
    pub clip: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Seed of the batches' order (the init and dropout use the default generator).
    pub seed: u64,
}

/// How far a run has come; saved in every checkpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Optimisation steps taken.
    pub step: usize,
    /// The current epoch (0-based).
    pub epoch: usize,
    /// Batches of the current epoch already trained on.
    pub batch: usize,
    /// The best validation BLEU so far.
    pub best_bleu: f64,
}

/// A model, its optimizer and the run's progress.
pub struct Trainer {
    /// The model being trained.
    pub model: Model,
    /// AdamW over the model's parameters.
    pub opt: AdamW,
    /// Where the run is.
    pub progress: Progress,
    /// The settings.
    pub config: TrainConfig,
}

/// Mean cross-entropy (label-smoothed) over the target tokens of `batch`.
pub fn batch_loss(model: &Model, batch: &Batch, label_smoothing: f64) -> Var {
    let logits = model.logits(batch);
    let [b, t, v] = logits.shape()[..] else {
        unreachable!("logits are [B, T, V]")
    };
    let options = CrossEntropyOptions {
        ignore_index: i64::from(PAD),
        label_smoothing,
        ..Default::default()
    };
    cross_entropy_with(
        &logits.reshape(&[b * t, v]),
        &batch.tgt_out.reshape(&[b * t]),
        &options,
    )
}

impl Trainer {
    /// A trainer at step 0 for `model` (a `Seq2Seq`, an `RnnSeq2Seq` or a `Model`).
    pub fn new(model: impl Into<Model>, config: TrainConfig) -> Trainer {
        let model = model.into();
        let opt = AdamW::new(model.parameters(), config.lr)
            .betas((0.9, 0.98))
            .eps(1e-9)
            .weight_decay(config.weight_decay);
        Trainer {
            model,
            opt,
            progress: Progress::default(),
            config,
        }
    }

    /// The learning rate of step `step` (1-based).
    pub fn lr_at(&self, step: usize) -> f64 {
        let c = &self.config;
        match c.schedule {
            Schedule::Cosine => WarmupCosine::new(c.lr, c.warmup.max(1), c.total_steps.max(2))
                .min_lr(c.lr / 100.0)
                .lr(step),
            Schedule::Noam => {
                let d = self.model.width();
                let peak = (d as f64).powf(-0.5) * (c.warmup.max(1) as f64).powf(-0.5);
                Noam::new(d, c.warmup.max(1)).factor(c.lr / peak).lr(step)
            }
        }
    }

    /// One optimisation step on `batch`; returns its loss.
    pub fn step(&mut self, batch: &Batch) -> f64 {
        self.model.train();
        let loss = batch_loss(&self.model, batch, self.config.label_smoothing);
        self.opt.zero_grad();
        loss.backward();
        if self.config.clip > 0.0 {
            clip_grad_norm(&self.model.parameters(), self.config.clip, 2.0);
        }
        self.progress.step += 1;
        let lr = self.lr_at(self.progress.step);
        self.opt.set_lr(lr);
        self.opt.step();
        loss.item()
    }

    /// Train on the rest of the current epoch, at most `max_steps` steps; `on_step`
    /// sees each batch's loss and token count. Returns whether the epoch was finished
    /// (then `progress` points at the next epoch).
    pub fn run_epoch(
        &mut self,
        train: &[Example],
        max_steps: usize,
        mut on_step: impl FnMut(&Trainer, f64, usize),
    ) -> bool {
        let batches = epoch_batches(
            train,
            self.config.max_tokens,
            self.config.seed,
            self.progress.epoch,
        );
        let start = self.progress.batch;
        for (i, indices) in batches.iter().enumerate().skip(start) {
            if i - start >= max_steps {
                return false;
            }
            let examples: Vec<&Example> = indices.iter().map(|&i| &train[i]).collect();
            let batch = Batch::new(&examples);
            let loss = self.step(&batch);
            self.progress.batch = i + 1;
            on_step(self, loss, batch.tokens);
        }
        self.progress.epoch += 1;
        self.progress.batch = 0;
        true
    }

    /// Save everything needed to resume (see the module docs), atomically.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), ferrograd::tensor::Error> {
        let mut state = StateDict::new();
        for (name, t) in self.model.state_dict() {
            state.insert(format!("model.{name}"), t);
        }
        for (name, t) in self.opt.state_dict() {
            state.insert(format!("optim.{name}"), t);
        }
        let p = &self.progress;
        let scalars = [
            ("step", p.step as f64),
            ("epoch", p.epoch as f64),
            ("batch", p.batch as f64),
            ("best_bleu", p.best_bleu),
        ];
        for (name, v) in scalars {
            state.insert(
                format!("progress.{name}"),
                Tensor::from_vec_f64(vec![v], &[]),
            );
        }
        state.insert("rng.state".into(), get_rng_state());
        self.model.config_to_state(&mut state);
        save_state_dict(&state, path)
    }

    /// A trainer continuing the run saved at `path`, with `config`'s settings.
    ///
    /// # Errors
    /// If the file cannot be read or does not hold a complete checkpoint.
    pub fn resume(path: &Path, config: TrainConfig) -> Result<Trainer, Box<dyn std::error::Error>> {
        let state = load_file(path)?;
        let model = Model::from_state(&state)?;
        model.load_state_dict(&section(&state, "model."), true)?;
        let mut trainer = Trainer::new(model, config);
        trainer.opt.load_state_dict(&section(&state, "optim."))?;
        let get = |name: &str| -> Result<f64, String> {
            state
                .get(&format!("progress.{name}"))
                .map(Tensor::item)
                .ok_or_else(|| format!("{}: no progress.{name}", path.display()))
        };
        trainer.progress = Progress {
            step: get("step")? as usize,
            epoch: get("epoch")? as usize,
            batch: get("batch")? as usize,
            best_bleu: get("best_bleu")?,
        };
        let rng = state
            .get("rng.state")
            .ok_or_else(|| format!("{}: no rng.state", path.display()))?;
        set_rng_state(rng);
        Ok(trainer)
    }
}

/// The entries of `state` under `prefix`, with the prefix removed.
pub fn section(state: &StateDict, prefix: &str) -> StateDict {
    state
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone())))
        .collect()
}
