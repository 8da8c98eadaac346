//! Activation functions as modules, for use in a [`crate::Sequential`]. Each is a
//! one-line forward into the `Var` op of the same name (formulas there).

use autograd::Var;

use crate::module::{Forward, Module};

/// `max(x, 0)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReLU;
/// `x` if `x > 0`, else `negative_slope · x` (PyTorch default slope 0.01).
#[derive(Clone, Copy, Debug)]
pub struct LeakyReLU {
    /// Slope for negative inputs.
    pub negative_slope: f64,
}
/// `x` if `x > 0`, else `α(eˣ − 1)` (PyTorch default α = 1).
#[derive(Clone, Copy, Debug)]
pub struct ELU {
    /// Saturation value for negative inputs.
    pub alpha: f64,
}
/// `x·Φ(x)`; `approximate` selects the tanh form.
#[derive(Clone, Copy, Debug, Default)]
pub struct GELU {
    /// Use `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))` instead of the erf form.
    pub approximate: bool,
}
/// `x·σ(x)` (swish).
#[derive(Clone, Copy, Debug, Default)]
pub struct SiLU;
/// `tanh(x)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;
/// `1 / (1 + e⁻ˣ)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;
/// `softmax` along `dim`.
#[derive(Clone, Copy, Debug)]
pub struct Softmax {
    /// The dim whose entries sum to one.
    pub dim: isize,
}

impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU {
            negative_slope: 0.01,
        }
    }
}
impl Default for ELU {
    fn default() -> Self {
        ELU { alpha: 1.0 }
    }
}

/// Activations have no parameters: an empty visit for each.
macro_rules! parameter_free {
    ($($layer:ty),*) => {$(
        impl Module for $layer {
            fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}
        }
    )*};
}
parameter_free!(ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Softmax);

impl Forward for ReLU {
    fn forward(&self, x: &Var) -> Var {
        x.relu()
    }
}
impl Forward for LeakyReLU {
    fn forward(&self, x: &Var) -> Var {
        x.leaky_relu(self.negative_slope)
    }
}
impl Forward for ELU {
    fn forward(&self, x: &Var) -> Var {
        x.elu(self.alpha)
    }
}
impl Forward for GELU {
    fn forward(&self, x: &Var) -> Var {
        if self.approximate {
            x.gelu_tanh()
        } else {
            x.gelu()
        }
    }
}
impl Forward for SiLU {
    fn forward(&self, x: &Var) -> Var {
        x.silu()
    }
}
impl Forward for Tanh {
    fn forward(&self, x: &Var) -> Var {
        x.tanh()
    }
}
impl Forward for Sigmoid {
    fn forward(&self, x: &Var) -> Var {
        x.sigmoid()
    }
}
impl Forward for Softmax {
    fn forward(&self, x: &Var) -> Var {
        x.softmax(self.dim)
    }
}
