//! `BatchNorm1d` and `BatchNorm2d`: normalise each channel over the batch, as
//! `torch.nn.BatchNorm1d` / `BatchNorm2d` (Ioffe & Szegedy 2015). One implementation,
//! [`BatchNorm`], generic over the number of spatial dims; the two names are aliases.
//!
//! ```text
//! x: [B, C] or [B, C, L] (1d), [B, C, H, W] (2d)     statistics per channel c,
//!                                                    over n = B · L (or B · H · W) values
//! training:  μ_B = mean(x_c),  σ²_B = mean((x_c − μ_B)²)     (biased: ÷ n)
//!            x̂ = (x − μ_B) / √(σ²_B + ε)
//!            running_mean ← (1 − m) · running_mean + m · μ_B
//!            running_var  ← (1 − m) · running_var  + m · σ²_B · n/(n − 1)   (unbiased)
//!            num_batches_tracked ← num_batches_tracked + 1
//!            m = momentum (0.1), or with momentum = None: m = 1/num_batches_tracked,
//!            which makes the running values plain averages over all batches seen
//! eval:      x̂ = (x − running_mean) / √(running_var + ε)
//! both:      y = γ_c · x̂ + β_c          γ (weight) = 1, β (bias) = 0 at init: [C]
//! ```
//! PyTorch's `momentum` is the weight of the *new* batch (the opposite of an
//! optimizer's momentum). In training the gradient flows through μ_B and σ²_B too,
//! which is what couples the samples of a batch. With `track_running_stats(false)`
//! there are no buffers and batch statistics are used in evaluation as well.
//!
//! Buffers (saved in checkpoints, not trained): `running_mean` `[C]`, `running_var`
//! `[C]`, and `num_batches_tracked`, a 0-d i64 tensor as in PyTorch (so checkpoints
//! move both ways unchanged, `tests/checkpoint_pytorch.rs`; `Module::to_dtype` casts
//! the float buffers only, as PyTorch's `.double()`).
//! Read next: [`crate::layers::group_norm`], which needs no batch at all.

use autograd::Var;
use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use crate::layers::layer_norm::{Normalized, normalize, scale_and_shift};
use crate::module::{Forward, Module};

/// Batch normalisation over `[B, C]` or `[B, C, L]` inputs, as `torch.nn.BatchNorm1d`.
pub type BatchNorm1d = BatchNorm<1>;
/// Batch normalisation over `[B, C, H, W]` inputs, as `torch.nn.BatchNorm2d`.
pub type BatchNorm2d = BatchNorm<2>;

/// Batch normalisation with `SPATIAL` spatial dims after `[B, C]`; use the aliases
/// [`BatchNorm1d`] (0 or 1 spatial dims, like PyTorch) and [`BatchNorm2d`].
///
/// # Shapes
/// - input: `[B, C]` or `[B, C, L]` (1d), `[B, C, H, W]` (2d)
/// - output: the input's shape
///
/// # Examples
/// ```
/// use ferrograd::nn::{BatchNorm1d, Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let mut bn = BatchNorm1d::new(2);
/// // channel 0 = [1, 3], channel 1 = [10, 10]
/// let x = Var::new(Tensor::from_vec(vec![1.0, 10.0, 3.0, 10.0], &[2, 2]));
/// let y = bn.forward(&x).value().to_vec::<f32>();
/// assert!((y[0] + 1.0).abs() < 1e-4 && (y[2] - 1.0).abs() < 1e-4 && y[1] == 0.0);
/// // running_mean ← 0.9 · 0 + 0.1 · [2, 10]
/// assert_eq!(bn.running_mean.as_ref().unwrap().value().to_vec::<f32>(), [0.2, 1.0]);
/// bn.eval(); // now normalise with the running statistics
/// assert_eq!(bn.num_parameters(), 4);
/// ```
pub struct BatchNorm<const SPATIAL: usize> {
    /// γ, `[num_features]`, if `affine`.
    pub weight: Option<Var>,
    /// β, `[num_features]`, if `affine` and `bias`.
    pub bias: Option<Var>,
    /// Running mean per channel, `[num_features]` (a buffer), if tracking.
    pub running_mean: Option<Var>,
    /// Running unbiased variance per channel, `[num_features]` (a buffer), if tracking.
    pub running_var: Option<Var>,
    /// How many training batches updated the running stats: a 0-d float buffer.
    pub num_batches_tracked: Option<Var>,
    /// C, the number of channels (dim 1 of the input).
    pub num_features: usize,
    /// ε, added to the variance before the square root.
    pub eps: f64,
    /// Weight of the new batch in the running stats; `None` = cumulative average.
    pub momentum: Option<f64>,
    /// Batch statistics (and updates) in training mode, running ones in eval mode.
    pub training: bool,
}

impl<const SPATIAL: usize> BatchNorm<SPATIAL> {
    /// `num_features` channels; PyTorch's defaults: ε = 1e-5, momentum 0.1, γ = 1,
    /// β = 0, running mean 0 and variance 1, training mode.
    pub fn new(num_features: usize) -> Self {
        let c = num_features;
        BatchNorm {
            weight: Some(Var::param(Tensor::ones(&[c]))),
            bias: Some(Var::param(Tensor::zeros(&[c]))),
            running_mean: Some(Var::new(Tensor::zeros(&[c]))),
            running_var: Some(Var::new(Tensor::ones(&[c]))),
            num_batches_tracked: Some(Var::new(Tensor::zeros_dtype(&[], DType::I64))),
            num_features,
            eps: 1e-5,
            momentum: Some(0.1),
            training: true,
        }
    }

    /// Set ε (default `1e-5`).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Set the momentum (default `Some(0.1)`; `None` = cumulative average).
    pub fn momentum(mut self, momentum: Option<f64>) -> Self {
        self.momentum = momentum;
        self
    }

    /// With `false`, no γ and no β: `y = x̂` (PyTorch's `affine=False`).
    pub fn affine(mut self, affine: bool) -> Self {
        let c = self.num_features;
        self.weight = affine.then(|| Var::param(Tensor::ones(&[c])));
        self.bias = affine.then(|| Var::param(Tensor::zeros(&[c])));
        self
    }

    /// With `false`, no β (PyTorch's `bias=False`). Has no effect without `affine`.
    pub fn bias(mut self, bias: bool) -> Self {
        let with_bias = bias && self.weight.is_some();
        self.bias = with_bias.then(|| Var::param(Tensor::zeros(&[self.num_features])));
        self
    }

    /// With `false`, no running statistics (no buffers): batch statistics are used in
    /// evaluation mode too (PyTorch's `track_running_stats=False`).
    pub fn track_running_stats(mut self, track: bool) -> Self {
        let c = self.num_features;
        self.running_mean = track.then(|| Var::new(Tensor::zeros(&[c])));
        self.running_var = track.then(|| Var::new(Tensor::ones(&[c])));
        self.num_batches_tracked = track.then(|| Var::new(Tensor::zeros_dtype(&[], DType::I64)));
        self
    }

    fn describe(&self) -> String {
        format!("BatchNorm{SPATIAL}d(num_features={})", self.num_features)
    }

    #[track_caller]
    fn check_input(&self, x: &Var) {
        let shape = x.shape();
        let rank_ok = shape.len() == SPATIAL + 2 || (SPATIAL == 1 && shape.len() == 2);
        if !rank_ok || shape[1] != self.num_features {
            let expected = match SPATIAL {
                1 => "[B, C] or [B, C, L]",
                2 => "[B, C, H, W]",
                _ => "[B, C, *spatial]",
            };
            Error::new(
                "BatchNorm",
                ErrorKind::Shape,
                format!(
                    "{}: expected an input {expected} with C = {}, got shape {shape:?}",
                    self.describe(),
                    self.num_features
                ),
            )
            .with_hint("channels go in dim 1, as in PyTorch")
            .raise();
        }
        let per_channel = x.numel() / self.num_features.max(1);
        if self.uses_batch_stats() && per_channel <= 1 {
            Error::new(
                "BatchNorm",
                ErrorKind::Shape,
                format!(
                    "{}: expected more than 1 value per channel when training, got shape \
                     {shape:?}",
                    self.describe()
                ),
            )
            .with_hint("use a batch of 2 or more, or call .eval() first")
            .raise();
        }
    }

    fn uses_batch_stats(&self) -> bool {
        self.training || self.running_mean.is_none()
    }

    /// `running ← (1 − m)·running + m·batch` for mean and unbiased variance; outside
    /// the graph (the statistics are constants for later evaluation).
    fn update_running_stats(&self, stats: &Normalized, n: usize) {
        let (Some(mean), Some(var), Some(count)) = (
            &self.running_mean,
            &self.running_var,
            &self.num_batches_tracked,
        ) else {
            return;
        };
        let count_now = count.value().item() + 1.0;
        count.set_value(Tensor::full_dtype(&[], count_now, count.dtype()));
        let m = self.momentum.unwrap_or(1.0 / count_now);
        let c = [self.num_features];
        let batch_mean = stats.mean.value().reshape(&c).to_dtype(mean.dtype());
        let batch_var = stats.var.value().reshape(&c).to_dtype(var.dtype());
        let unbiased_var = batch_var.mul_scalar(n as f64 / (n as f64 - 1.0));
        mean.set_value(&mean.value().mul_scalar(1.0 - m) + &batch_mean.mul_scalar(m));
        var.set_value(&var.value().mul_scalar(1.0 - m) + &unbiased_var.mul_scalar(m));
    }
}

impl<const SPATIAL: usize> Module for BatchNorm<SPATIAL> {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        if let Some(w) = &self.weight {
            f(&format!("{prefix}weight"), w);
        }
        if let Some(b) = &self.bias {
            f(&format!("{prefix}bias"), b);
        }
    }

    fn visit_buffers(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        let buffers = [
            ("running_mean", &self.running_mean),
            ("running_var", &self.running_var),
            ("num_batches_tracked", &self.num_batches_tracked),
        ];
        for (name, buffer) in buffers {
            if let Some(b) = buffer {
                f(&format!("{prefix}{name}"), b);
            }
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl<const SPATIAL: usize> Forward for BatchNorm<SPATIAL> {
    /// `γ_c · x̂ + β_c`, with batch statistics in training mode (updating the running
    /// ones) and running statistics in evaluation mode.
    ///
    /// # Panics
    /// If the input's shape does not fit the layer, or, when using batch statistics,
    /// a channel has only one value (a batch of 1 without spatial dims).
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.check_input(x);
        let shape = x.shape();
        // statistics over every dim except the channel dim 1: [0, 2, 3, ..]
        let dims: Vec<isize> = (0..shape.len() as isize).filter(|&d| d != 1).collect();
        // per-channel tensors as [C, 1, .., 1], to broadcast along dim 1 of [B, C, *]
        let per_channel: Vec<usize> = [self.num_features]
            .into_iter()
            .chain(std::iter::repeat_n(1, shape.len() - 2))
            .collect();
        let as_channels = |v: &Var| v.reshape(&per_channel);
        let x_hat = match (&self.running_mean, &self.running_var) {
            (Some(mean), Some(var)) if !self.uses_batch_stats() => {
                let std = as_channels(var).add_scalar(self.eps).sqrt();
                &(x - &as_channels(mean)) / &std
            }
            _ => {
                let stats = normalize(x, &dims, self.eps);
                if self.training {
                    self.update_running_stats(&stats, x.numel() / self.num_features);
                }
                stats.x_hat
            }
        };
        let weight = self.weight.as_ref().map(as_channels);
        let bias = self.bias.as_ref().map(as_channels);
        scale_and_shift(x_hat, weight.as_ref(), bias.as_ref())
    }
}

// The tests (train vs eval, running statistics, gradchecks) are in batch_norm/tests.rs.
#[cfg(test)]
mod tests;
