//! `Flatten`: merge a range of dims into one, as `torch.nn.Flatten` — the step
//! between the convolutional part of a network (`[B, C, H, W]`) and its `Linear` head
//! (`[B, C·H·W]`). A reshape (a view when the input is contiguous), no parameters.
//! Read next: [`crate::layers::batch_norm`], the normalisation used between convolutions.

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use crate::module::{Forward, Module};

/// Flatten dims `start_dim ..= end_dim` into one (PyTorch's defaults: 1 and −1, so
/// that the batch dim stays).
///
/// # Shapes
/// - input: `[B, C, H, W]` (any rank above `start_dim`)
/// - output: `[B, C·H·W]` with the defaults
///
/// # Examples
/// ```
/// use ferrograd::nn::{Flatten, Forward};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let x = Var::new(Tensor::zeros(&[32, 64, 4, 4]));
/// assert_eq!(Flatten::new().forward(&x).shape(), vec![32, 1024]);
/// assert_eq!(Flatten::dims(0, 1).forward(&x).shape(), vec![2048, 4, 4]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Flatten {
    /// First dim merged (negative counts from the end).
    pub start_dim: isize,
    /// Last dim merged, inclusive.
    pub end_dim: isize,
}

impl Default for Flatten {
    fn default() -> Flatten {
        Flatten::new()
    }
}

impl Flatten {
    /// Flatten all dims but the batch dim: `start_dim = 1`, `end_dim = −1`.
    pub fn new() -> Flatten {
        Flatten::dims(1, -1)
    }

    /// Flatten dims `start_dim ..= end_dim`.
    pub fn dims(start_dim: isize, end_dim: isize) -> Flatten {
        Flatten { start_dim, end_dim }
    }
}

impl Module for Flatten {
    fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}
}

impl Forward for Flatten {
    /// `x` with dims `start_dim ..= end_dim` merged.
    ///
    /// # Panics
    /// If `x` has too few dims for `start_dim` or `end_dim`; the message names the layer.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        let rank = x.dims() as isize;
        let inside = |d: isize| (-rank..rank).contains(&d);
        if !inside(self.start_dim) || !inside(self.end_dim) {
            Error::new(
                "Flatten",
                ErrorKind::Dim,
                format!(
                    "Flatten(start_dim={}, end_dim={}): input has shape {:?}",
                    self.start_dim,
                    self.end_dim,
                    x.shape()
                ),
            )
            .with_hint("the default start_dim = 1 keeps a batch dim; give the input one")
            .raise();
        }
        x.flatten(self.start_dim, self.end_dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::Tensor;

    #[test]
    #[should_panic(expected = "Flatten(start_dim=1, end_dim=-1): input has shape [5]")]
    fn a_1d_input_names_the_layer() {
        Flatten::new().forward(&Var::new(Tensor::zeros(&[5])));
    }
}
