//! `RMSNorm`: scale each sample by the root mean square of its trailing dims, as
//! `torch.nn.RMSNorm` (Zhang & Sennrich 2019; used in LLaMA and T5).
//!
//! ```text
//! x: [.., *normalized_shape]          dims D = the last len(normalized_shape) dims
//! rms = √(mean_D(x²) + ε)
//! y   = γ ⊙ x / rms                   γ (weight): [*normalized_shape], no bias
//! ```
//! Compared with LayerNorm: no mean is subtracted and there is no β, which saves a
//! reduction and works as well in practice. ε defaults (as PyTorch's `eps=None`) to
//! the machine epsilon of the input's dtype, `torch.finfo(x.dtype).eps`:
//! 1.1920929e-7 for f32, 2.220446e-16 for f64. γ starts at 1.
//! Read next: [`crate::layers::group_norm`].

use autograd::Var;
use tensor::{DType, Tensor};

use super::layer_norm::{check_normalized_shape, check_trailing_dims};
use crate::module::{Forward, Module};

/// Root-mean-square normalisation over the trailing `normalized_shape` dims.
///
/// # Shapes
/// - input: `[.., *normalized_shape]` (e.g. `[B, T, C]` with `normalized_shape = [C]`)
/// - output: the input's shape
///
/// # Examples
/// ```
/// use ferrograd::nn::{Forward, Module, RMSNorm};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let norm = RMSNorm::new(&[2]);
/// let y = norm.forward(&Var::new(Tensor::from_vec(vec![3.0, 4.0], &[1, 2])));
/// // mean(x²) = (9 + 16)/2 = 12.5: y = x / √12.5 ≈ [0.8485, 1.1314]
/// let y = y.value().to_vec::<f32>();
/// assert!((y[0] - 0.8485).abs() < 1e-4 && (y[1] - 1.1314).abs() < 1e-4);
/// assert_eq!(norm.num_parameters(), 2);
/// ```
pub struct RMSNorm {
    /// γ, `[*normalized_shape]`, if `elementwise_affine`.
    pub weight: Option<Var>,
    /// The trailing dims normalised over.
    pub normalized_shape: Vec<usize>,
    /// ε added to the mean square; `None` = the input dtype's machine epsilon.
    pub eps: Option<f64>,
}

impl RMSNorm {
    /// RMS normalisation with a learned γ (ones) and ε = the dtype's machine epsilon.
    ///
    /// # Panics
    /// If `normalized_shape` is empty.
    #[track_caller]
    pub fn new(normalized_shape: &[usize]) -> RMSNorm {
        check_normalized_shape("RMSNorm", normalized_shape);
        RMSNorm {
            weight: Some(Var::param(Tensor::ones(normalized_shape))),
            normalized_shape: normalized_shape.to_vec(),
            eps: None,
        }
    }

    /// Set ε (e.g. `Some(1e-6)` as LLaMA; `None` = the dtype's machine epsilon).
    pub fn eps(mut self, eps: Option<f64>) -> RMSNorm {
        self.eps = eps;
        self
    }

    /// With `false`, no γ: `y = x / rms` (PyTorch's `elementwise_affine=False`).
    pub fn elementwise_affine(mut self, elementwise_affine: bool) -> RMSNorm {
        let shape = &self.normalized_shape;
        self.weight = elementwise_affine.then(|| Var::param(Tensor::ones(shape)));
        self
    }

    /// The ε used for an input of `dtype`.
    pub fn eps_for(&self, dtype: DType) -> f64 {
        self.eps.unwrap_or(match dtype {
            DType::F64 => f64::EPSILON,
            _ => f64::from(f32::EPSILON), // f32 (inputs are checked to be floats)
        })
    }
}

impl Module for RMSNorm {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        if let Some(w) = &self.weight {
            f(&format!("{prefix}weight"), w);
        }
    }
}

impl Forward for RMSNorm {
    /// `γ ⊙ x / √(mean(x²) + ε)` over the trailing `normalized_shape` dims.
    ///
    /// # Panics
    /// If the input's trailing dims are not `normalized_shape`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        check_trailing_dims("RMSNorm", &self.normalized_shape, x);
        let k = self.normalized_shape.len() as isize;
        let dims: Vec<isize> = (-k..0).collect();
        let n: usize = self.normalized_shape.iter().product();
        let mean_square = (x * x).sum_dims(&dims, true).mul_scalar(1.0 / n as f64);
        let rms = mean_square.add_scalar(self.eps_for(x.dtype())).sqrt();
        let normed = x / &rms;
        match &self.weight {
            Some(gamma) => &normed * gamma,
            None => normed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::gradcheck_with_params;

    #[test]
    fn divides_by_the_root_mean_square_in_both_dtypes() {
        // rows [3, 4] → /√12.5; [0, 0] → 0/√ε = 0; γ = [1, 2]
        for dtype in [DType::F32, DType::F64] {
            let norm = RMSNorm::new(&[2]);
            norm.weight
                .as_ref()
                .unwrap()
                .set_value(Tensor::from_vec(vec![1.0, 2.0], &[2]));
            norm.to_dtype(dtype);
            let x = Var::new(Tensor::from_vec(vec![3.0, 4.0, 0.0, 0.0], &[2, 2]).to_dtype(dtype));
            let y: Vec<f64> = norm.forward(&x).value().to_vec();
            let r = 12.5f64.sqrt();
            let expected = [3.0 / r, 8.0 / r, 0.0, 0.0];
            assert!(
                y.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-5),
                "{y:?}"
            );
        }
    }

    #[test]
    fn default_eps_is_the_dtype_machine_epsilon() {
        let norm = RMSNorm::new(&[1]);
        assert_eq!(norm.eps_for(DType::F32), 1.1920928955078125e-7);
        assert_eq!(norm.eps_for(DType::F64), 2.220446049250313e-16);
        assert_eq!(norm.eps(Some(1e-6)).eps_for(DType::F32), 1e-6);
        // [1e-4] alone: x/√(x² + ε) = 1e-4/√(1e-8 + 1.19e-7) ≈ 0.2783, ε matters here
        let y = RMSNorm::new(&[1])
            .forward(&Var::new(Tensor::from_vec(vec![1e-4], &[1])))
            .item();
        assert!(
            (y - 1e-4 / (1e-8 + 1.1920929e-7f64).sqrt()).abs() < 1e-4,
            "{y}"
        );
    }

    #[test]
    fn gradcheck_two_trailing_dims_on_a_transposed_input() {
        let norm = RMSNorm::new(&[2, 3]).eps(Some(1e-5));
        norm.to_dtype(DType::F64);
        norm.weight
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(
                vec![0.5, -1.0, 2.0, 1.5, 0.7, -0.3],
                &[2, 3],
            ));
        let x = Tensor::from_vec_f64(
            vec![
                0.3, -1.2, 0.8, 2.0, 0.1, -0.4, 0.9, -0.6, 1.1, 0.2, -0.8, 0.5,
            ],
            &[3, 2, 2],
        );
        gradcheck_with_params(
            |v| norm.forward(&v[0].transpose(0, 2)),
            &[x],
            &norm.parameters(),
        )
        .assert_passed();
        assert!(
            RMSNorm::new(&[3])
                .elementwise_affine(false)
                .parameters()
                .is_empty()
        );
    }

    #[test]
    #[should_panic(
        expected = "RMSNorm(normalized_shape=[4]): input's trailing dims are [3] (shape [2, 3])"
    )]
    fn wrong_trailing_dims_name_the_layer() {
        RMSNorm::new(&[4]).forward(&Var::new(Tensor::ones(&[2, 3])));
    }

    #[test]
    #[should_panic(expected = "RMSNorm: normalized_shape is empty")]
    fn empty_shape_is_refused() {
        RMSNorm::new(&[]);
    }
}
