//! `LayerNorm`: normalise each sample over its trailing dims, as `torch.nn.LayerNorm`
//! (Ba, Kiros & Hinton 2016). Also holds `normalize`, the mean/variance
//! normalisation that `BatchNorm` and `GroupNorm` share, and the `normalized_shape`
//! checks that `RMSNorm` shares.
//!
//! ```text
//! x: [.., *normalized_shape]          dims D = the last len(normalized_shape) dims
//! μ   = mean_D(x)                     per sample
//! σ²  = mean_D((x − μ)²)              the biased variance (÷ N, not N − 1), as PyTorch
//! x̂   = (x − μ) / √(σ² + ε)
//! y   = γ ⊙ x̂ + β                     γ (weight), β (bias): [*normalized_shape]
//! ```
//! Defaults (PyTorch's): ε = 1e-5, γ = 1, β = 0, `elementwise_affine = true`,
//! `bias = true`. Unlike BatchNorm, the statistics come from the sample itself, so
//! training and evaluation behave the same and there are no running statistics.
//! The layer is one fused graph node, [`Var::layer_norm`] (its backward is written out
//! in `ferrograd::autograd::ops::layer_norm`); BatchNorm and GroupNorm compose `normalize` below.
//! Read next: [`crate::layers::batch_norm`], [`crate::layers::group_norm`],
//! [`crate::layers::rms_norm`].

use autograd::Var;
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::module::{Forward, Module};

/// `x̂ = (x − μ) / √(σ² + ε)` with μ and the biased σ² taken over `dims`, plus the
/// statistics themselves (kept with their dims as size 1, for broadcasting).
pub(crate) struct Normalized {
    /// `x̂`, the input's shape.
    pub x_hat: Var,
    /// `μ`, with `dims` kept as size 1.
    pub mean: Var,
    /// The biased variance `σ²` (÷ N), with `dims` kept as size 1.
    pub var: Var,
}

/// Mean/variance normalisation over `dims`: one implementation for LayerNorm,
/// BatchNorm (dims = batch and spatial) and GroupNorm (dims = the group's elements).
/// `dims` must be valid for `x` (the callers check their inputs first).
pub(crate) fn normalize(x: &Var, dims: &[isize], eps: f64) -> Normalized {
    let shape = x.shape();
    let rank = shape.len() as isize;
    let n: usize = dims
        .iter()
        .map(|&d| shape[d.rem_euclid(rank) as usize])
        .product();
    let mean = x.sum_dims(dims, true).mul_scalar(1.0 / n as f64);
    let centered = x - &mean;
    let var = (&centered * &centered)
        .sum_dims(dims, true)
        .mul_scalar(1.0 / n as f64);
    let x_hat = &centered / &var.add_scalar(eps).sqrt();
    Normalized { x_hat, mean, var }
}

/// `γ ⊙ x̂ + β`, skipping whichever of γ and β is absent (both broadcast to `x̂`).
pub(crate) fn scale_and_shift(x_hat: Var, weight: Option<&Var>, bias: Option<&Var>) -> Var {
    let scaled = match weight {
        Some(gamma) => &x_hat * gamma,
        None => x_hat,
    };
    match bias {
        Some(beta) => &scaled + beta,
        None => scaled,
    }
}

/// The constructor check of LayerNorm and RMSNorm: a non-empty `normalized_shape`.
#[track_caller]
pub(crate) fn check_normalized_shape(layer: &'static str, normalized_shape: &[usize]) {
    if normalized_shape.is_empty() {
        Error::new(layer, ErrorKind::Value, "normalized_shape is empty")
            .with_hint("pass the trailing dims to normalise over, e.g. &[C]")
            .raise();
    }
}

/// The input check of LayerNorm and RMSNorm: `x` ends with the `normalized_shape` dims.
#[track_caller]
pub(crate) fn check_trailing_dims(layer: &'static str, normalized_shape: &[usize], x: &Var) {
    let shape = x.shape();
    let k = normalized_shape.len();
    if shape.len() < k || shape[shape.len() - k..] != normalized_shape[..] {
        let trailing = &shape[shape.len().saturating_sub(k)..];
        Error::new(
            layer,
            ErrorKind::Shape,
            format!(
                "{layer}(normalized_shape={normalized_shape:?}): input's trailing dims are \
                 {trailing:?} (shape {shape:?})"
            ),
        )
        .with_hint("normalized_shape must equal the input's last dims, e.g. [C] for [B, T, C]")
        .raise();
    }
}

/// Layer normalisation over the trailing `normalized_shape` dims.
///
/// Initialised as PyTorch: `weight` (γ) ones, `bias` (β) zeros.
///
/// # Shapes
/// - input: `[.., *normalized_shape]` (e.g. `[B, T, C]` with `normalized_shape = [C]`)
/// - output: the input's shape
///
/// # Examples
/// ```
/// use ferrograd::nn::{Forward, LayerNorm, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let norm = LayerNorm::new(&[4]);
/// let x = Var::new(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 4]));
/// let y = norm.forward(&x).value().to_vec::<f32>();
/// // μ = 2.5, σ² = 1.25: y = (x − 2.5) / √1.25 ≈ [−1.342, −0.447, 0.447, 1.342]
/// assert!((y[0] + 1.3416).abs() < 1e-3 && (y[3] - 1.3416).abs() < 1e-3);
/// assert_eq!(norm.num_parameters(), 4 + 4);
/// ```
pub struct LayerNorm {
    /// γ, `[*normalized_shape]`, if `elementwise_affine`.
    pub weight: Option<Var>,
    /// β, `[*normalized_shape]`, if `elementwise_affine` and `bias`.
    pub bias: Option<Var>,
    /// The trailing dims normalised over.
    pub normalized_shape: Vec<usize>,
    /// ε, added to the variance before the square root.
    pub eps: f64,
}

impl LayerNorm {
    /// Normalise over the trailing `normalized_shape` dims, with a learned γ and β.
    ///
    /// # Panics
    /// If `normalized_shape` is empty.
    #[track_caller]
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        check_normalized_shape("LayerNorm", normalized_shape);
        LayerNorm {
            weight: Some(Var::param(Tensor::ones(normalized_shape))),
            bias: Some(Var::param(Tensor::zeros(normalized_shape))),
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
        }
    }

    /// Set ε (default `1e-5`).
    pub fn eps(mut self, eps: f64) -> LayerNorm {
        self.eps = eps;
        self
    }

    /// With `false`, no γ and no β: `y = x̂` (PyTorch's `elementwise_affine=False`).
    pub fn elementwise_affine(mut self, elementwise_affine: bool) -> LayerNorm {
        let shape = &self.normalized_shape;
        self.weight = elementwise_affine.then(|| Var::param(Tensor::ones(shape)));
        self.bias = elementwise_affine.then(|| Var::param(Tensor::zeros(shape)));
        self
    }

    /// With `false`, no β: `y = γ ⊙ x̂` (PyTorch's `bias=False`). Has no effect
    /// without `elementwise_affine`.
    pub fn bias(mut self, bias: bool) -> LayerNorm {
        let with_bias = bias && self.weight.is_some();
        self.bias = with_bias.then(|| Var::param(Tensor::zeros(&self.normalized_shape)));
        self
    }
}

impl Module for LayerNorm {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        if let Some(w) = &self.weight {
            f(&format!("{prefix}weight"), w);
        }
        if let Some(b) = &self.bias {
            f(&format!("{prefix}bias"), b);
        }
    }
}

impl Forward for LayerNorm {
    /// `γ ⊙ (x − μ) / √(σ² + ε) + β` over the trailing `normalized_shape` dims.
    ///
    /// # Panics
    /// If the input's trailing dims are not `normalized_shape`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        check_trailing_dims("LayerNorm", &self.normalized_shape, x);
        x.layer_norm(
            &self.normalized_shape,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::gradcheck_with_params;
    use tensor::DType;

    fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn normalises_each_row_with_the_biased_variance() {
        // row [1, 2, 3, 4]: μ = 2.5, σ² = (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25
        // row [2, 2, 2, 2]: σ² = 0, so x̂ = 0 / √ε = 0
        for dtype in [DType::F32, DType::F64] {
            let norm = LayerNorm::new(&[4]).eps(1e-12);
            norm.to_dtype(dtype);
            let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 2.0, 2.0], &[2, 4]);
            let y: Vec<f64> = norm.forward(&Var::new(x.to_dtype(dtype))).value().to_vec();
            let s = 1.25f64.sqrt();
            let expected = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0.0, 0.0, 0.0, 0.0];
            close(&y, &expected, 1e-5);
        }
    }

    #[test]
    fn two_trailing_dims_share_one_mean() {
        // normalized_shape [2, 2] on [1, 2, 2] = [[0, 0], [0, 4]]: μ = 1, σ² = (1+1+1+9)/4 = 3
        let norm = LayerNorm::new(&[2, 2]).eps(0.0);
        norm.weight
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec(vec![1.0, 2.0, 1.0, 1.0], &[2, 2]));
        let x = Var::new(Tensor::from_vec(vec![0.0, 0.0, 0.0, 4.0], &[1, 2, 2]));
        let y: Vec<f64> = norm.forward(&x).value().to_vec();
        let s = 3f64.sqrt();
        close(&y, &[-1.0 / s, -2.0 / s, -1.0 / s, 3.0 / s], 1e-6);
    }

    #[test]
    fn builder_flags_choose_the_parameters() {
        let names = |m: &LayerNorm| -> Vec<String> {
            m.named_parameters().into_iter().map(|(n, _)| n).collect()
        };
        assert_eq!(names(&LayerNorm::new(&[3])), ["weight", "bias"]);
        assert_eq!(names(&LayerNorm::new(&[3]).bias(false)), ["weight"]);
        assert!(names(&LayerNorm::new(&[3]).elementwise_affine(false)).is_empty());
        assert!(names(&LayerNorm::new(&[3]).elementwise_affine(false).bias(true)).is_empty());
        assert_eq!(LayerNorm::new(&[2, 3]).num_parameters(), 12);
    }

    #[test]
    fn gradcheck_on_a_transposed_input() {
        let norm = LayerNorm::new(&[3]);
        norm.to_dtype(DType::F64);
        norm.weight
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(vec![0.5, -1.0, 2.0], &[3]));
        norm.bias
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(vec![0.1, 0.2, 0.3], &[3]));
        let x = Tensor::from_vec_f64(vec![0.3, -1.2, 0.8, 2.0, 0.1, -0.4], &[3, 2]);
        gradcheck_with_params(|v| norm.forward(&v[0].t()), &[x], &norm.parameters())
            .assert_passed();
    }

    #[test]
    #[should_panic(
        expected = "LayerNorm(normalized_shape=[8]): input's trailing dims are [7] (shape [2, 7])"
    )]
    fn wrong_trailing_dims_name_the_layer() {
        LayerNorm::new(&[8]).forward(&Var::new(Tensor::ones(&[2, 7])));
    }

    #[test]
    #[should_panic(
        expected = "LayerNorm(normalized_shape=[2, 3]): input's trailing dims are [3] (shape [3])"
    )]
    fn too_few_dims_are_reported() {
        LayerNorm::new(&[2, 3]).forward(&Var::new(Tensor::ones(&[3])));
    }

    #[test]
    #[should_panic(expected = "LayerNorm: normalized_shape is empty")]
    fn empty_shape_is_refused() {
        LayerNorm::new(&[]);
    }
}
