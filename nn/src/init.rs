//! Weight initialisation, as `torch.nn.init`. Every function returns a fresh f32
//! tensor drawn from the thread's default generator (seeded by `tensor::manual_seed`);
//! each random one has a `*_with` twin drawing from a [`Generator`] instead
//! (PyTorch's `generator=` argument). Rules: [`tensor::random`].
//!
//! ```text
//! fan_in  = shape[1] · receptive field,   fan_out = shape[0] · receptive field
//!           (receptive field = product of shape[2..], 1 for a Linear weight [out, in])
//! xavier_uniform:  U(−a, a),  a = gain · √(6 / (fan_in + fan_out))
//! xavier_normal:   N(0, σ²),  σ = gain · √(2 / (fan_in + fan_out))
//! kaiming_uniform: U(−b, b),  b = gain · √(3 / fan),   fan = fan_in or fan_out (mode)
//! kaiming_normal:  N(0, σ²),  σ = gain / √fan
//! gain: linear/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2 / (1 + slope²)), selu 3/4
//! ```
//! `Linear`'s default, `kaiming_uniform(a = √5)`, works out to U(−1/√fan_in, 1/√fan_in).
//! Read next: [`crate::layers::linear`].

use tensor::error::{Error, ErrorKind};
use tensor::random::with_default_generator;
use tensor::{Generator, Tensor};

/// Which fan Kaiming initialisation preserves the variance of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// Preserve the variance of activations in the forward pass (PyTorch's default).
    FanIn,
    /// Preserve the variance of gradients in the backward pass.
    FanOut,
}

/// The nonlinearity that follows a layer, for [`calculate_gain`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// Identity or sigmoid: gain 1.
    Linear,
    /// Sigmoid: gain 1.
    Sigmoid,
    /// tanh: gain 5/3.
    Tanh,
    /// ReLU: gain √2.
    Relu,
    /// Leaky ReLU with this negative slope: gain √(2 / (1 + slope²)).
    LeakyRelu(f64),
    /// SELU: gain 3/4.
    Selu,
}

/// The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`.
pub fn calculate_gain(nonlinearity: Nonlinearity) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu(slope) => (2.0 / (1.0 + slope * slope)).sqrt(),
        Nonlinearity::Selu => 0.75,
    }
}

/// `(fan_in, fan_out)` of a weight shape, as PyTorch's `_calculate_fan_in_and_fan_out`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn fan_in_and_fan_out(shape: &[usize]) -> (usize, usize) {
    if shape.len() < 2 {
        Error::new(
            "init",
            ErrorKind::Shape,
            format!("fan in and fan out need at least 2 dims, got shape {shape:?}"),
        )
        .raise();
    }
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

/// `U(low, high)`.
pub fn uniform(shape: &[usize], low: f64, high: f64) -> Tensor {
    Tensor::uniform(shape, low, high)
}

/// [`uniform`] drawing from `generator`.
pub fn uniform_with(shape: &[usize], low: f64, high: f64, generator: &mut Generator) -> Tensor {
    Tensor::uniform_with(shape, low, high, generator)
}

/// `N(mean, std²)`.
pub fn normal(shape: &[usize], mean: f64, std: f64) -> Tensor {
    Tensor::normal(shape, mean, std)
}

/// [`normal`] drawing from `generator`.
pub fn normal_with(shape: &[usize], mean: f64, std: f64, generator: &mut Generator) -> Tensor {
    Tensor::normal_with(shape, mean, std, generator)
}

/// All zeros.
pub fn zeros(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape)
}

/// All ones.
pub fn ones(shape: &[usize]) -> Tensor {
    Tensor::ones(shape)
}

/// Glorot/Xavier uniform: `U(−a, a)`, `a = gain·√(6/(fan_in + fan_out))`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
///
/// # Examples
/// ```
/// use ferrograd::nn::init::xavier_uniform_with;
/// use ferrograd::tensor::Generator;
/// let mut g = Generator::new();
/// g.manual_seed(0);
/// let w = xavier_uniform_with(&[4, 6], 1.0, &mut g); // a = √(6/10)
/// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() <= 0.6f32.sqrt()));
/// assert_eq!(w.to_vec::<f32>(), xavier_uniform_with(&[4, 6], 1.0, g.manual_seed(0)).to_vec::<f32>());
/// ```
#[track_caller]
pub fn xavier_uniform(shape: &[usize], gain: f64) -> Tensor {
    with_default_generator(|g| xavier_uniform_with(shape, gain, g))
}

/// [`xavier_uniform`] drawing from `generator`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn xavier_uniform_with(shape: &[usize], gain: f64, generator: &mut Generator) -> Tensor {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape);
    let a = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
    Tensor::uniform_with(shape, -a, a, generator)
}

/// Glorot/Xavier normal: `N(0, σ²)`, `σ = gain·√(2/(fan_in + fan_out))`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn xavier_normal(shape: &[usize], gain: f64) -> Tensor {
    with_default_generator(|g| xavier_normal_with(shape, gain, g))
}

/// [`xavier_normal`] drawing from `generator`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn xavier_normal_with(shape: &[usize], gain: f64, generator: &mut Generator) -> Tensor {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape);
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    Tensor::normal_with(shape, 0.0, std, generator)
}

fn kaiming_fan(shape: &[usize], mode: FanMode) -> f64 {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape);
    match mode {
        FanMode::FanIn => fan_in as f64,
        FanMode::FanOut => fan_out as f64,
    }
}

/// He/Kaiming uniform: `U(−b, b)`, `b = gain·√(3/fan)`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn kaiming_uniform(shape: &[usize], nonlinearity: Nonlinearity, mode: FanMode) -> Tensor {
    with_default_generator(|g| kaiming_uniform_with(shape, nonlinearity, mode, g))
}

/// [`kaiming_uniform`] drawing from `generator`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn kaiming_uniform_with(
    shape: &[usize],
    nonlinearity: Nonlinearity,
    mode: FanMode,
    generator: &mut Generator,
) -> Tensor {
    let bound = calculate_gain(nonlinearity) * (3.0 / kaiming_fan(shape, mode)).sqrt();
    Tensor::uniform_with(shape, -bound, bound, generator)
}

/// He/Kaiming normal: `N(0, σ²)`, `σ = gain/√fan`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn kaiming_normal(shape: &[usize], nonlinearity: Nonlinearity, mode: FanMode) -> Tensor {
    with_default_generator(|g| kaiming_normal_with(shape, nonlinearity, mode, g))
}

/// [`kaiming_normal`] drawing from `generator`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn kaiming_normal_with(
    shape: &[usize],
    nonlinearity: Nonlinearity,
    mode: FanMode,
    generator: &mut Generator,
) -> Tensor {
    let std = calculate_gain(nonlinearity) / kaiming_fan(shape, mode).sqrt();
    Tensor::normal_with(shape, 0.0, std, generator)
}

/// A (semi-)orthogonal matrix scaled by `gain`, as `torch.nn.init.orthogonal_`:
/// QR-decompose a Gaussian matrix by modified Gram–Schmidt, fix the signs by R's
/// diagonal. Rows are orthonormal if `rows ≤ cols`, columns otherwise.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn orthogonal(shape: &[usize], gain: f64) -> Tensor {
    with_default_generator(|g| orthogonal_with(shape, gain, g))
}

/// [`orthogonal`] drawing from `generator`.
///
/// # Panics
/// If the shape has fewer than 2 dims.
#[track_caller]
pub fn orthogonal_with(shape: &[usize], gain: f64, generator: &mut Generator) -> Tensor {
    let rows = shape.first().copied().unwrap_or(0);
    if shape.len() < 2 {
        Error::new(
            "orthogonal",
            ErrorKind::Shape,
            format!("needs at least 2 dims, got {shape:?}"),
        )
        .raise();
    }
    let cols: usize = shape[1..].iter().product();
    // Work on the tall orientation: n vectors of length m, n ≤ m.
    let (m, n) = if rows < cols {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let gaussian: Vec<f64> = Tensor::normal_with(&[n, m], 0.0, 1.0, generator).to_vec();
    let mut q: Vec<Vec<f64>> = gaussian.chunks(m).map(<[f64]>::to_vec).collect();
    for j in 0..n {
        for k in 0..j {
            let (done, rest) = q.split_at_mut(j);
            let (basis, v) = (&done[k], &mut rest[0]);
            let dot: f64 = v.iter().zip(basis).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(basis).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        // R's diagonal entry is `norm` > 0 here, so the sign fix is already applied.
        q[j].iter_mut().for_each(|v| *v *= gain / norm);
    }
    // q holds n orthonormal vectors of length m: rows if rows ≤ cols, else columns.
    let data: Vec<f32> = if rows < cols {
        q.iter().flatten().map(|&v| v as f32).collect()
    } else {
        (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .map(|(r, c)| q[c][r] as f32)
            .collect()
    };
    Tensor::from_vec(data, shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fans_follow_pytorch() {
        assert_eq!(fan_in_and_fan_out(&[10, 20]), (20, 10));
        assert_eq!(fan_in_and_fan_out(&[8, 3, 5, 5]), (75, 200));
    }

    #[test]
    fn bounds_and_spreads_match_the_formulas() {
        let w: Vec<f64> = kaiming_uniform(
            &[64, 100],
            Nonlinearity::LeakyRelu(5f64.sqrt()),
            FanMode::FanIn,
        )
        .to_vec();
        // gain √(2/6) · √(3/100) = 1/√100 = 0.1: Linear's default bound
        assert!(w.iter().all(|v| v.abs() <= 0.1 + 1e-7));
        assert!(w.iter().any(|v| v.abs() > 0.09));
        let x: Vec<f64> = xavier_normal(&[200, 300], 1.0).to_vec();
        let std = (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt();
        assert!((std - (2.0f64 / 500.0).sqrt()).abs() < 0.003, "std {std}");
    }

    #[test]
    fn orthogonal_rows_or_columns_are_orthonormal() {
        for shape in [[3usize, 5], [5, 3]] {
            let q: Vec<f64> = orthogonal(&shape, 1.0).to_vec();
            let (r, c) = (shape[0], shape[1]);
            let small = r.min(c);
            for a in 0..small {
                for b in 0..small {
                    let dot: f64 = if r <= c {
                        (0..c).map(|k| q[a * c + k] * q[b * c + k]).sum()
                    } else {
                        (0..r).map(|k| q[k * c + a] * q[k * c + b]).sum()
                    };
                    let expect = if a == b { 1.0 } else { 0.0 };
                    assert!((dot - expect).abs() < 1e-5, "{shape:?} {a} {b} {dot}");
                }
            }
        }
    }
}
