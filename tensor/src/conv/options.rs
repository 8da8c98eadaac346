//! What a caller passes to a window op, with PyTorch's names and defaults:
//! [`ConvOptions`] (stride, padding, dilation, groups) and [`PoolOptions`] (kernel
//! size, stride, padding, dilation, `count_include_pad`). Sizes are given once for
//! both spatial dims (`2`) or per dim (`[2, 1]`: height, then width) through [`Pair`].
//! A 1-d op takes each option as one value and runs as a 2-d op of height 1
//! ([`ConvOptions::as_1d`], [`PoolOptions::as_1d`]).
//! Read next: [`super::WindowAxis`], how the options place the windows.

use crate::error::{Error, ErrorKind};

/// A size given for both spatial dims at once (`3` is `[3, 3]`) or per dim (`[3, 5]`
/// or `(3, 5)`: height, then width), like PyTorch's "int or tuple" arguments.
pub trait Pair: Copy {
    /// `[height, width]`.
    fn pair(self) -> [usize; 2];
}

impl Pair for usize {
    fn pair(self) -> [usize; 2] {
        [self, self]
    }
}

impl Pair for [usize; 2] {
    fn pair(self) -> [usize; 2] {
        self
    }
}

impl Pair for (usize, usize) {
    fn pair(self) -> [usize; 2] {
        [self.0, self.1]
    }
}

/// The zero padding of a convolution (PyTorch's `padding=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// `[p_h, p_w]` zeros before and after each spatial dim (PyTorch's int or
    /// tuple; `[0, 0]` is `"valid"`). Made from `1`, `[1, 2]` or `(1, 2)`.
    Size([usize; 2]),
    /// Whatever keeps the output the size of the input at stride 1 (PyTorch's
    /// `"same"`): `d·(k − 1)` zeros in all per dim, half before, the odd one after.
    Same,
}

impl<P: Pair> From<P> for Padding {
    fn from(size: P) -> Padding {
        Padding::Size(size.pair())
    }
}

/// The options of a 2-d convolution, with PyTorch's defaults: `stride = 1`,
/// `padding = 0`, `dilation = 1`, `groups = 1`.
///
/// # Examples
/// ```
/// use ferrograd::tensor::conv::{ConvOptions, Padding};
/// let opts = ConvOptions::default().stride(2).padding([1, 0]).groups(4);
/// assert_eq!((opts.stride, opts.padding, opts.groups), ([2, 2], Padding::Size([1, 0]), 4));
/// assert_eq!(ConvOptions::default().padding(Padding::Same).padding, Padding::Same);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvOptions {
    /// Step between windows, `[s_h, s_w]`.
    pub stride: [usize; 2],
    /// Zero padding around each image.
    pub padding: Padding,
    /// Spacing between kernel taps, `[d_h, d_w]` (1 = adjacent pixels).
    pub dilation: [usize; 2],
    /// Channel groups: input channels `g·C_in/G ..` meet only output channels
    /// `g·C_out/G ..` (1 = every input channel meets every output channel).
    pub groups: usize,
}

impl Default for ConvOptions {
    fn default() -> ConvOptions {
        ConvOptions {
            stride: [1, 1],
            padding: Padding::Size([0, 0]),
            dilation: [1, 1],
            groups: 1,
        }
    }
}

impl ConvOptions {
    /// Set the stride (`2` or `[2, 1]`).
    pub fn stride(mut self, stride: impl Pair) -> ConvOptions {
        self.stride = stride.pair();
        self
    }

    /// Set the padding (`1`, `[1, 2]` or [`Padding::Same`]).
    pub fn padding(mut self, padding: impl Into<Padding>) -> ConvOptions {
        self.padding = padding.into();
        self
    }

    /// Set the dilation (`2` or `[2, 1]`).
    pub fn dilation(mut self, dilation: impl Pair) -> ConvOptions {
        self.dilation = dilation.pair();
        self
    }

    /// Set the number of channel groups.
    pub fn groups(mut self, groups: usize) -> ConvOptions {
        self.groups = groups;
        self
    }
}

impl ConvOptions {
    /// These options for a 1-d convolution seen as a 2-d one of height 1: the
    /// width takes the value, the height stride 1, padding 0 and dilation 1.
    ///
    /// # Errors
    /// A [`ErrorKind::Value`] error (naming `op`) if a stride, padding or dilation was
    /// given as two different values (`[2, 1]`), which a 1-d convolution cannot use.
    pub fn as_1d(&self, op: &'static str) -> Result<ConvOptions, Error> {
        let one = |name, pair| one_value(op, "a 1-d convolution", name, pair);
        let padding = match self.padding {
            Padding::Size(p) => Padding::Size([0, one("padding", p)?]),
            Padding::Same => Padding::Same,
        };
        Ok(ConvOptions {
            stride: [1, one("stride", self.stride)?],
            padding,
            dilation: [1, one("dilation", self.dilation)?],
            groups: self.groups,
        })
    }
}

/// The options of 2-d pooling, PyTorch's: `kernel_size`, `stride` (default: the
/// kernel size, so that windows tile the image), `padding` 0, `dilation` 1 (max
/// pooling only), `count_include_pad` true (average pooling only).
///
/// # Examples
/// ```
/// use ferrograd::tensor::conv::PoolOptions;
/// let opts = PoolOptions::new(3).stride(2).padding(1);
/// assert_eq!((opts.kernel_size, opts.stride, opts.padding), ([3, 3], [2, 2], [1, 1]));
/// assert_eq!(PoolOptions::new([2, 1]).stride, [2, 1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    /// Window size `[kH, kW]`.
    pub kernel_size: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// Implicit padding on both sides (−∞ for max, 0 for average); at most half the kernel.
    pub padding: [usize; 2],
    /// Spacing between the taps of a window (max pooling).
    pub dilation: [usize; 2],
    /// Average pooling: whether the padding's zeros count in the divisor.
    pub count_include_pad: bool,
}

impl PoolOptions {
    /// Windows of `kernel_size` (`2` or `[2, 3]`), stride = kernel size, no padding.
    pub fn new(kernel_size: impl Pair) -> PoolOptions {
        let kernel_size = kernel_size.pair();
        PoolOptions {
            kernel_size,
            stride: kernel_size,
            padding: [0, 0],
            dilation: [1, 1],
            count_include_pad: true,
        }
    }

    /// Set the stride.
    pub fn stride(mut self, stride: impl Pair) -> PoolOptions {
        self.stride = stride.pair();
        self
    }

    /// Set the padding.
    pub fn padding(mut self, padding: impl Pair) -> PoolOptions {
        self.padding = padding.pair();
        self
    }

    /// Set the dilation (max pooling).
    pub fn dilation(mut self, dilation: impl Pair) -> PoolOptions {
        self.dilation = dilation.pair();
        self
    }

    /// Set `count_include_pad` (average pooling).
    pub fn count_include_pad(mut self, include: bool) -> PoolOptions {
        self.count_include_pad = include;
        self
    }

    /// These options for 1-d pooling seen as 2-d pooling of height 1: the width
    /// takes the value, the height a window of 1.
    ///
    /// # Errors
    /// A [`ErrorKind::Value`] error (naming `op`) if an option was given as two
    /// different values (`[2, 1]`), which 1-d pooling cannot use.
    pub fn as_1d(&self, op: &'static str) -> Result<PoolOptions, Error> {
        let one = |name, pair| one_value(op, "1-d pooling", name, pair);
        Ok(PoolOptions {
            kernel_size: [1, one("kernel_size", self.kernel_size)?],
            stride: [1, one("stride", self.stride)?],
            padding: [0, one("padding", self.padding)?],
            dilation: [1, one("dilation", self.dilation)?],
            count_include_pad: self.count_include_pad,
        })
    }
}

/// `a` if the pair is `[a, a]`, else the error that `what` (a 1-d op) takes one
/// value for `name`.
fn one_value(op: &'static str, what: &str, name: &str, [a, b]: [usize; 2]) -> Result<usize, Error> {
    if a == b {
        Ok(a)
    } else {
        Err(Error::new(
            op,
            ErrorKind::Value,
            format!("{what} takes one {name}, got [{a}, {b}]"),
        )
        .with_hint(format!("give it as one number, e.g. .{name}({b})")))
    }
}
