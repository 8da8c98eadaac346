//! `GroupNorm`: normalise each sample over groups of channels, as
//! `torch.nn.GroupNorm` (Wu & He 2018).
//!
//! ```text
//! x: [B, C, *]         the C channels are split into G groups of C/G channels
//! view x as [B, G, C/G · prod(*)]
//! μ, σ²  over the last dim (per sample, per group; σ² biased)
//! x̂ = (x − μ) / √(σ² + ε), viewed back as [B, C, *]
//! y = γ_c · x̂ + β_c     γ (weight), β (bias): [C], one per channel
//! ```
//! G = 1 is LayerNorm over (C, *) with per-channel γ, β; G = C is InstanceNorm.
//! Statistics come from each sample, so unlike BatchNorm it works with a batch of 1
//! and behaves the same in training and evaluation. Defaults (PyTorch's): ε = 1e-5,
//! `affine = true` with γ = 1, β = 0.
//! Read next: [`crate::layers::rms_norm`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::layers::layer_norm::{normalize, scale_and_shift};
use crate::module::{Forward, Module};

/// Group normalisation of `[B, C, *]` inputs over `num_groups` groups of channels.
///
/// # Shapes
/// - input: `[B, C, *]` (e.g. `[B, C]`, `[B, C, L]`, `[B, C, H, W]`)
/// - output: the input's shape
///
/// # Examples
/// ```
/// use ferrograd::nn::{Forward, GroupNorm, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let norm = GroupNorm::new(2, 4);
/// let y = norm.forward(&Var::new(Tensor::randn(&[3, 4, 5])));
/// assert_eq!(y.shape(), vec![3, 4, 5]);
/// assert_eq!(norm.num_parameters(), 4 + 4);
/// ```
pub struct GroupNorm {
    /// γ, `[num_channels]`, if `affine`.
    pub weight: Option<Var>,
    /// β, `[num_channels]`, if `affine` and `bias`.
    pub bias: Option<Var>,
    /// G, the number of groups.
    pub num_groups: usize,
    /// C, the number of channels (dim 1 of the input).
    pub num_channels: usize,
    /// ε, added to the variance before the square root.
    pub eps: f64,
}

impl GroupNorm {
    /// `num_channels` channels in `num_groups` groups, with γ = 1 and β = 0.
    ///
    /// # Panics
    /// If `num_groups` is 0 or does not divide `num_channels`.
    #[track_caller]
    pub fn new(num_groups: usize, num_channels: usize) -> GroupNorm {
        if num_groups == 0 || !num_channels.is_multiple_of(num_groups) {
            Error::new(
                "GroupNorm",
                ErrorKind::Value,
                format!(
                    "GroupNorm(num_groups={num_groups}, num_channels={num_channels}): \
                     num_channels must be divisible by num_groups"
                ),
            )
            .with_hint("each group holds num_channels / num_groups channels")
            .raise();
        }
        GroupNorm {
            weight: Some(Var::param(Tensor::ones(&[num_channels]))),
            bias: Some(Var::param(Tensor::zeros(&[num_channels]))),
            num_groups,
            num_channels,
            eps: 1e-5,
        }
    }

    /// Set ε (default `1e-5`).
    pub fn eps(mut self, eps: f64) -> GroupNorm {
        self.eps = eps;
        self
    }

    /// With `false`, no γ and no β: `y = x̂` (PyTorch's `affine=False`).
    pub fn affine(mut self, affine: bool) -> GroupNorm {
        let c = self.num_channels;
        self.weight = affine.then(|| Var::param(Tensor::ones(&[c])));
        self.bias = affine.then(|| Var::param(Tensor::zeros(&[c])));
        self
    }

    /// With `false`, no β (PyTorch's `bias=False`). Has no effect without `affine`.
    pub fn bias(mut self, bias: bool) -> GroupNorm {
        let with_bias = bias && self.weight.is_some();
        self.bias = with_bias.then(|| Var::param(Tensor::zeros(&[self.num_channels])));
        self
    }

    #[track_caller]
    fn check_input(&self, x: &Var) {
        let shape = x.shape();
        if shape.len() < 2 || shape[1] != self.num_channels {
            Error::new(
                "GroupNorm",
                ErrorKind::Shape,
                format!(
                    "GroupNorm(num_groups={}, num_channels={}): expected an input [B, {}, *], \
                     got shape {shape:?}",
                    self.num_groups, self.num_channels, self.num_channels
                ),
            )
            .with_hint("channels go in dim 1, as in PyTorch: [B, C, H, W]")
            .raise();
        }
    }
}

impl Module for GroupNorm {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        if let Some(w) = &self.weight {
            f(&format!("{prefix}weight"), w);
        }
        if let Some(b) = &self.bias {
            f(&format!("{prefix}bias"), b);
        }
    }
}

impl Forward for GroupNorm {
    /// `γ_c · x̂ + β_c`, with x̂ normalised per sample and per group of channels.
    ///
    /// # Panics
    /// If the input is not `[B, num_channels, *]`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.check_input(x);
        let shape = x.shape();
        let group_size = shape[1..].iter().product::<usize>() / self.num_groups;
        let grouped = x.reshape(&[shape[0], self.num_groups, group_size]);
        let x_hat = normalize(&grouped, &[-1], self.eps).x_hat.reshape(&shape);
        // γ and β as [C, 1, .., 1], so that they broadcast along dim 1 of [B, C, *]
        let per_channel: Vec<usize> = [self.num_channels]
            .into_iter()
            .chain(std::iter::repeat_n(1, shape.len() - 2))
            .collect();
        let weight = self.weight.as_ref().map(|w| w.reshape(&per_channel));
        let bias = self.bias.as_ref().map(|b| b.reshape(&per_channel));
        scale_and_shift(x_hat, weight.as_ref(), bias.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::gradcheck_with_params;
    use tensor::DType;

    #[test]
    fn each_group_of_each_sample_has_its_own_statistics() {
        // [1, 4] with 2 groups: [0, 2] → μ 1, σ² 1 → [−1, 1]; [10, 14] → μ 12, σ² 4 → [−1, 1]
        for dtype in [DType::F32, DType::F64] {
            let norm = GroupNorm::new(2, 4).eps(0.0);
            norm.bias
                .as_ref()
                .unwrap()
                .set_value(Tensor::from_vec(vec![0.0, 0.0, 0.0, 5.0], &[4]));
            norm.to_dtype(dtype);
            let x = Tensor::from_vec(vec![0.0, 2.0, 10.0, 14.0], &[1, 4]).to_dtype(dtype);
            let y: Vec<f64> = norm.forward(&Var::new(x)).value().to_vec();
            assert_eq!(y, [-1.0, 1.0, -1.0, 6.0]);
        }
    }

    #[test]
    fn spatial_dims_belong_to_their_channel_group() {
        // [1, 2, 2] with 2 groups (one channel each): channel 0 = [1, 3] → [−1, 1]
        let norm = GroupNorm::new(2, 2).eps(0.0);
        norm.weight
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec(vec![1.0, 3.0], &[2]));
        let x = Var::new(Tensor::from_vec(vec![1.0, 3.0, 5.0, 9.0], &[1, 2, 2]));
        // channel 1 = [5, 9] → μ 7, σ 2 → [−1, 1] · γ₁ = [−3, 3]
        assert_eq!(
            norm.forward(&x).value().to_vec::<f32>(),
            [-1.0, 1.0, -3.0, 3.0]
        );
    }

    #[test]
    fn gradcheck_on_a_permuted_4d_input() {
        let norm = GroupNorm::new(2, 4);
        norm.to_dtype(DType::F64);
        norm.weight
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(vec![0.5, -1.0, 2.0, 1.5], &[4]));
        norm.bias
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(vec![0.1, 0.2, -0.3, 0.0], &[4]));
        let x = Tensor::randn(&[2, 3, 4, 2]).to_dtype(DType::F64); // permuted to [2, 4, 3, 2]
        gradcheck_with_params(
            |v| norm.forward(&v[0].permute(&[0, 2, 1, 3])),
            &[x],
            &norm.parameters(),
        )
        .assert_passed();
    }

    #[test]
    fn flags_choose_the_parameters() {
        assert!(GroupNorm::new(1, 3).affine(false).parameters().is_empty());
        assert_eq!(GroupNorm::new(1, 3).bias(false).num_parameters(), 3);
    }

    #[test]
    #[should_panic(
        expected = "GroupNorm(num_groups=3, num_channels=4): num_channels must be divisible by num_groups"
    )]
    fn indivisible_channels_are_refused() {
        GroupNorm::new(3, 4);
    }

    #[test]
    #[should_panic(
        expected = "GroupNorm(num_groups=2, num_channels=4): expected an input [B, 4, *], got shape [2, 6, 3]"
    )]
    fn wrong_channel_count_names_the_layer() {
        GroupNorm::new(2, 4).forward(&Var::new(Tensor::ones(&[2, 6, 3])));
    }
}
