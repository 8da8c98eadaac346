//! `Conv1d` and `Conv2d`: learned filters slid over a signal or an image, as
//! `torch.nn.Conv1d` / `Conv2d`. One implementation, [`Conv`], generic over the number
//! of spatial dims; the two names are aliases.
//!
//! ```text
//! y[b, o] = bias[o] + Σ_c  weight[o, c] ⋆ x[b, g·C_in/G + c]      (⋆: cross-correlation)
//! weight: [C_out, C_in/groups, kH, kW]  (1-d: [C_out, C_in/groups, k])   bias: [C_out]
//! ```
//! Each output channel is one filter: a small stack of weights, one kH × kW patch per
//! input channel of its group, that responds to one pattern (an edge, a stroke) wherever
//! it appears. Sharing the filter over all positions is what makes a convolution need
//! far fewer weights than a `Linear` layer on the same pixels.
//!
//! Default init (PyTorch's, as `Linear`'s): weight and bias ~ U(−1/√fan_in, 1/√fan_in),
//! `fan_in = C_in/groups · kH · kW`.
//! The op and its gradients: `ferrograd::autograd::ops::conv2d`; the kernels: `ferrograd::tensor::conv`.
//! Read next: [`crate::layers::pool`].

use autograd::Var;
use tensor::conv::{ConvGeometry, ConvOptions, Padding, Pair};
use tensor::error::{Error, ErrorKind};

use crate::init;
use crate::module::{Forward, Module};

/// A 1-d convolution over `[B, C_in, L]`, as `torch.nn.Conv1d`.
pub type Conv1d = Conv<1>;
/// A 2-d convolution over `[B, C_in, H, W]`, as `torch.nn.Conv2d`.
pub type Conv2d = Conv<2>;

/// A convolution with `SPATIAL` spatial dims; use the aliases [`Conv1d`] and [`Conv2d`].
///
/// # Shapes
/// - input: `[B, C_in, H, W]` (1-d: `[B, C_in, L]`)
/// - output: `[B, C_out, H_out, W_out]`, `H_out = ⌊(H + 2·padding − dilation·(kH − 1) − 1)/stride⌋ + 1`
///
/// # Examples
/// ```
/// use ferrograd::nn::{Conv2d, Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let conv = Conv2d::new(1, 8, 3).padding(1); // 8 filters of 3×3
/// let y = conv.forward(&Var::new(Tensor::randn(&[4, 1, 28, 28])));
/// assert_eq!(y.shape(), vec![4, 8, 28, 28]);
/// assert_eq!(conv.num_parameters(), 8 * 9 + 8);
/// ```
pub struct Conv<const SPATIAL: usize> {
    /// `[C_out, C_in/groups, kH, kW]` (1-d: `[C_out, C_in/groups, k]`).
    pub weight: Var,
    /// `[C_out]`, if the layer has a bias.
    pub bias: Option<Var>,
    /// C_in, channels of the input (dim 1).
    pub in_channels: usize,
    /// C_out, channels of the output: the number of filters.
    pub out_channels: usize,
    /// `[kH, kW]` (1-d: `[1, k]`).
    pub kernel_size: [usize; 2],
    /// Stride, padding, dilation and groups.
    pub options: ConvOptions,
}

impl Conv<1> {
    /// `out_channels` filters of length `kernel_size` over `in_channels` channels, stride
    /// 1, no padding, with a bias, initialised as PyTorch does.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Conv1d {
        Conv::build(in_channels, out_channels, [1, kernel_size])
    }
}

impl Conv<2> {
    /// `out_channels` filters of `kernel_size` (`3` or `[3, 5]`) over `in_channels`
    /// channels, stride 1, no padding, with a bias, initialised as PyTorch does.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl Pair) -> Conv2d {
        Conv::build(in_channels, out_channels, kernel_size.pair())
    }
}

impl<const SPATIAL: usize> Conv<SPATIAL> {
    /// The layer's name in messages.
    const NAME: &'static str = if SPATIAL == 1 { "Conv1d" } else { "Conv2d" };

    fn build(in_channels: usize, out_channels: usize, kernel_size: [usize; 2]) -> Self {
        let (weight, bias) = Self::draw(in_channels, out_channels, kernel_size, 1, true);
        Conv {
            weight,
            bias,
            in_channels,
            out_channels,
            kernel_size,
            options: ConvOptions::default(),
        }
    }

    /// A weight `[C_out, C_in/groups, kH, kW]` (1-d: `[C_out, C_in/groups, k]`) and
    /// maybe a bias, from PyTorch's default U(−1/√fan_in, 1/√fan_in).
    fn draw(
        in_channels: usize,
        out_channels: usize,
        [k_h, k_w]: [usize; 2],
        groups: usize,
        bias: bool,
    ) -> (Var, Option<Var>) {
        let per_group = in_channels / groups.max(1);
        let shape = match SPATIAL {
            1 => vec![out_channels, per_group, k_w],
            _ => vec![out_channels, per_group, k_h, k_w],
        };
        let fan_in = init::fan_in_and_fan_out(&shape).0.max(1);
        let bound = 1.0 / (fan_in as f64).sqrt();
        let weight = Var::param(init::uniform(&shape, -bound, bound));
        (
            weight,
            bias.then(|| Var::param(init::uniform(&[out_channels], -bound, bound))),
        )
    }

    /// Draw the parameters again for the current groups and bias.
    fn redraw(mut self, bias: bool) -> Self {
        let (c_in, c_out) = (self.in_channels, self.out_channels);
        (self.weight, self.bias) =
            Self::draw(c_in, c_out, self.kernel_size, self.options.groups, bias);
        self
    }

    /// Set the stride (`2`, or `[2, 1]` for a 2-d layer).
    #[track_caller]
    pub fn stride(mut self, stride: impl Pair) -> Self {
        self.options = self.options.stride(stride);
        self.check_options()
    }

    /// Set the zero padding (`1`, `[1, 2]` for a 2-d layer, or [`Padding::Same`]).
    #[track_caller]
    pub fn padding(mut self, padding: impl Into<Padding>) -> Self {
        self.options = self.options.padding(padding);
        self.check_options()
    }

    /// Set the dilation (spacing of the kernel's taps).
    #[track_caller]
    pub fn dilation(mut self, dilation: impl Pair) -> Self {
        self.options = self.options.dilation(dilation);
        self.check_options()
    }

    /// Split the channels into `groups` groups (the weight is drawn again, since its
    /// shape changes to `[C_out, C_in/groups, ..]`).
    ///
    /// # Panics
    /// If `groups` is 0 or does not divide both channel counts.
    #[track_caller]
    pub fn groups(mut self, groups: usize) -> Self {
        self.options = self.options.groups(groups);
        if groups == 0
            || !self.in_channels.is_multiple_of(groups)
            || !self.out_channels.is_multiple_of(groups)
        {
            Error::new(
                Self::NAME,
                ErrorKind::Value,
                format!(
                    "{}: in_channels and out_channels must be divisible by groups",
                    self.describe()
                ),
            )
            .raise();
        }
        let bias = self.bias.is_some();
        self.redraw(bias)
    }

    /// With `false`, no bias (PyTorch's `bias=False`); the weight is drawn again too.
    pub fn bias(self, bias: bool) -> Self {
        self.redraw(bias)
    }

    /// A 1-d layer takes one value per option.
    #[track_caller]
    fn check_options(self) -> Self {
        if SPATIAL == 1
            && let Err(e) = self.options.as_1d(Self::NAME)
        {
            Error::new(
                Self::NAME,
                e.kind,
                format!("{}: {}", self.describe(), e.message),
            )
            .raise();
        }
        self
    }

    /// PyTorch's repr, e.g. `Conv2d(1, 32, kernel_size=[5, 5], stride=[1, 1])`.
    fn describe(&self) -> String {
        let o = &self.options;
        let one = |pair: [usize; 2]| match SPATIAL {
            1 => pair[1].to_string(),
            _ => format!("{pair:?}"),
        };
        let padding = match o.padding {
            Padding::Size(p) => one(p),
            Padding::Same => "same".to_string(),
        };
        format!(
            "Conv{SPATIAL}d({}, {}, kernel_size={}, stride={}, padding={padding}, dilation={}, groups={})",
            self.in_channels,
            self.out_channels,
            one(self.kernel_size),
            one(o.stride),
            one(o.dilation),
            o.groups
        )
    }

    /// Panics with a message naming the layer unless `x` fits it.
    #[track_caller]
    fn check_input(&self, x: &Var) {
        let (op, rank) = (Self::NAME, SPATIAL + 2);
        let shape = x.shape();
        let fail = |e: Error| -> ! {
            let message = format!("{}: {}", self.describe(), e.message);
            let mut error = Error::new(op, e.kind, message);
            error.hint = e.hint;
            error.raise()
        };
        if shape.len() != rank {
            fail(tensor::conv::rank_error(
                op,
                &shape,
                &self.weight.shape(),
                SPATIAL,
            ));
        }
        if let Err(e) = ConvGeometry::new(op, &shape, &self.weight.shape(), &self.options) {
            fail(e);
        }
    }
}

impl<const SPATIAL: usize> Module for Conv<SPATIAL> {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        f(&format!("{prefix}weight"), &self.weight);
        if let Some(b) = &self.bias {
            f(&format!("{prefix}bias"), b);
        }
    }
}

impl<const SPATIAL: usize> Forward for Conv<SPATIAL> {
    /// The convolution of `x` with the layer's filters, plus the bias.
    ///
    /// # Panics
    /// If `x` is not `[B, in_channels, ..]` of the layer's rank, or an image is smaller
    /// than the (dilated) kernel after padding; the message names the layer.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.check_input(x);
        match SPATIAL {
            1 => x.conv1d(&self.weight, self.bias.as_ref(), &self.options),
            _ => x.conv2d(&self.weight, self.bias.as_ref(), &self.options),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::Tensor;
    use tensor::conv::reference;

    #[test]
    fn parameters_have_pytorchs_names_shapes_and_bounds() {
        let conv = Conv2d::new(6, 4, [3, 2]).groups(2);
        let shapes: Vec<(String, Vec<usize>)> = conv
            .named_parameters()
            .into_iter()
            .map(|(n, p)| (n, p.shape()))
            .collect();
        assert_eq!(
            shapes,
            [
                ("weight".into(), vec![4, 3, 3, 2]),
                ("bias".into(), vec![4])
            ]
        );
        // fan_in = 3 · 3 · 2 = 18
        let bound = 1.0 / 18f64.sqrt();
        assert!(conv.weight.value().abs().max().item() <= bound);
        assert_eq!(
            Conv1d::new(3, 5, 4).bias(false).weight.shape(),
            vec![5, 3, 4]
        );
        assert_eq!(Conv1d::new(3, 5, 4).bias(false).num_parameters(), 60);
    }

    #[test]
    fn forward_is_the_definition() {
        let conv = Conv2d::new(2, 3, 3).stride(2).padding(1);
        let x = Tensor::randn(&[2, 2, 7, 6]);
        let y = conv.forward(&Var::new(x.clone())).value();
        let bias = conv.bias.as_ref().unwrap().value();
        let expected = reference::conv2d(&x, &conv.weight.value(), Some(&bias), &conv.options);
        assert!((&y - &expected).abs().max().item() < 1e-5);
        let conv1 = Conv1d::new(2, 3, 3).padding(Padding::Same);
        assert_eq!(
            conv1.forward(&Var::new(Tensor::randn(&[4, 2, 10]))).shape(),
            vec![4, 3, 10]
        );
    }

    #[test]
    #[should_panic(
        expected = "Conv2d: Conv2d(3, 8, kernel_size=[5, 5], stride=[1, 1], padding=[0, 0], dilation=[1, 1], groups=1): input [2, 3, 4, 4], weight [8, 3, 5, 5]: the kernel 5×5 (dilated: 5×5) is larger than the padded input 4×4"
    )]
    fn an_image_smaller_than_the_kernel_names_the_layer() {
        Conv2d::new(3, 8, 5).forward(&Var::new(Tensor::zeros(&[2, 3, 4, 4])));
    }

    #[test]
    #[should_panic(
        expected = "Conv2d: Conv2d(3, 8, kernel_size=[3, 3], stride=[1, 1], padding=[0, 0], dilation=[1, 1], groups=1): input [3, 8, 8], weight [8, 3, 3, 3]: expected an input [B, C_in, H, W]"
    )]
    fn a_missing_batch_dim_names_the_layer() {
        Conv2d::new(3, 8, 3).forward(&Var::new(Tensor::zeros(&[3, 8, 8])));
    }

    #[test]
    #[should_panic(
        expected = "Conv1d(4, 6, kernel_size=3, stride=1, padding=0, dilation=1, groups=1): input [2, 5, 9], weight [6, 4, 3]: the weight expects 4 input channels"
    )]
    fn wrong_channels_name_the_layer() {
        Conv1d::new(4, 6, 3).forward(&Var::new(Tensor::zeros(&[2, 5, 9])));
    }

    #[test]
    #[should_panic(
        expected = "Conv2d(6, 4, kernel_size=[3, 3], stride=[1, 1], padding=[0, 0], dilation=[1, 1], groups=4): in_channels and out_channels must be divisible by groups"
    )]
    fn indivisible_groups_name_the_layer() {
        let _ = Conv2d::new(6, 4, 3).groups(4);
    }
}
