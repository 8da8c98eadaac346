//! Elementwise math functions and activations: `y[i] = f(x[i])`.
//!
//! Almost every method here is one line over [`Tensor::map`], which runs a closure
//! over f64 for both float dtypes (see [`crate::elementwise`]). The kernels live in
//! [`kernels`] (their derivatives are written in autograd's op files, next to each
//! backward). `exp`, `tanh`, `sigmoid` and `gelu` run on the vectorised loops of
//! [`vectorised`] instead, in the tensor's own precision: they dominate softmax,
//! cross-entropy, the recurrent cells and the transformer's MLP.
//!
//! ```text
//! exp ln log1p sqrt rsqrt powf abs sign sin cos square reciprocal clamp
//! tanh  sigmoid = 1/(1 + e⁻ˣ)      relu = max(x, 0)     leaky_relu, elu
//! gelu  = x·Φ(x)  (exact, via erf)  gelu_tanh (GPT-2's approximation)
//! silu  = x·σ(x)                    softplus = ln(1 + eˣ) (stable form)
//! ```
//!
//! # Shapes
//! Every method maps shape `S` to shape `S`, keeps the dtype, and returns a
//! contiguous tensor, whatever the input's strides. All of them need a float tensor
//! (`abs` and `sign` also take i64).
//!
//! Read next: [`kernels`] for the formulas, then [`crate::compare`].

pub mod erf;
pub mod kernels;
pub mod vector_exp;
pub mod vector_normal;
pub mod vectorised;

use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

use crate::dtype::{DType, Storage};
use crate::elementwise::map_array;
use crate::error::{Error, ErrorKind, OrRaise};
use crate::parallel::{THRESHOLD, worth_parallel};
use crate::tensor::{Tensor, check_float};
use vectorised::{Vectorised, exp_map, tanh_map};

/// `y = σ(x)` over a slice, as [`kernels::sigmoid`] (the same two forms, chosen by
/// the sign of x) but with every `e^(−|x|)` taken in one vectorised pass
/// ([`exp_map`]) first:
///
/// ```text
/// e = e^(−|x|) ≤ 1       σ(x) = 1/(1 + e) for x ≥ 0,   e/(1 + e) for x < 0
/// ```
pub(crate) fn sigmoid_slice<T: Vectorised>(x: &[T], y: &mut [T]) {
    exp_map(x, y, |v| -v.abs(), |e| e);
    for (y, &x) in y.iter_mut().zip(x) {
        let e = *y;
        let top = if x >= T::zero() { T::one() } else { e };
        *y = top / (T::one() + e);
    }
}

/// `f(input elements, output elements)` on a contiguous `x`, into a new tensor of its
/// shape.
/// Large inputs are cut into chunks spread over rayon.
fn map_slice<T: Vectorised>(x: &Tensor, f: impl Fn(&[T], &mut [T]) + Sync + Send) -> Tensor {
    let src = x
        .array::<T>()
        .as_slice()
        .expect("internal error: map_slice reads a contiguous tensor; this is a bug");
    let mut out = vec![T::zero(); src.len()];
    if worth_parallel(src.len()) {
        let chunk = THRESHOLD / 4;
        let pieces = out.par_chunks_mut(chunk).zip(src.par_chunks(chunk));
        pieces.for_each(|(y, x)| f(x, y));
    } else {
        f(src, &mut out);
    }
    Tensor::from_array(
        ArrayD::from_shape_vec(IxDyn(x.shape()), out)
            .expect("internal error: one output per input; this is a bug"),
    )
}

/// `y = gelu(x) = x·Φ(x)` over a slice, vectorised ([`Vectorised::normal_fast`]).
fn gelu_slice<T: Vectorised>(x: &[T], y: &mut [T]) {
    T::vectorised(
        #[inline(always)]
        || {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = x * x.normal_fast().0;
            }
        },
    );
}

impl Tensor {
    /// `y[i] = f(x[i])` by one slice kernel per float dtype (`f32_fn` or `f64_fn`,
    /// each given input and output slices of equal length), on a contiguous copy of
    /// `self`; large tensors are cut into chunks run on rayon. The way to run a
    /// [`Vectorised`] loop over a tensor: `t.map_vectorised("op", k::<f32>, k::<f64>)`.
    ///
    /// # Panics
    /// If `self` is not a float tensor (the message names `op`).
    #[track_caller]
    pub fn map_vectorised(
        &self,
        op: &'static str,
        f32_fn: impl Fn(&[f32], &mut [f32]) + Sync + Send,
        f64_fn: impl Fn(&[f64], &mut [f64]) + Sync + Send,
    ) -> Tensor {
        check_float(op, self).or_raise();
        let x = self.contiguous();
        match x.dtype() {
            DType::F32 => map_slice(&x, f32_fn),
            DType::F64 => map_slice(&x, f64_fn),
            _ => unreachable!("the dtype was checked to be a float above"),
        }
    }

    /// `eˣ` elementwise.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec(vec![0.0, 1.0], &[2]).exp();
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, std::f32::consts::E]);
    /// ```
    #[track_caller]
    pub fn exp(&self) -> Tensor {
        fn exp<T: Vectorised>(x: &[T], y: &mut [T]) {
            exp_map(x, y, |v| v, |e| e);
        }
        self.map_vectorised("exp", exp, exp)
    }

    /// Natural logarithm `ln x` (−∞ at 0, NaN below 0, as in IEEE arithmetic).
    #[track_caller]
    pub fn log(&self) -> Tensor {
        self.map(f64::ln)
    }

    /// `ln(1 + x)`, accurate for tiny `x` where `(1 + x).ln()` rounds to 0.
    #[track_caller]
    pub fn log1p(&self) -> Tensor {
        self.map(f64::ln_1p)
    }

    /// `√x` (NaN below 0).
    #[track_caller]
    pub fn sqrt(&self) -> Tensor {
        self.map(f64::sqrt)
    }

    /// `1/√x`, as used by normalization layers.
    #[track_caller]
    pub fn rsqrt(&self) -> Tensor {
        self.map(|x| x.sqrt().recip())
    }

    /// `xᵖ` for a real exponent `p` (NaN for negative `x` and non-integer `p`).
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec(vec![4.0, 9.0], &[2]).pow(0.5);
    /// assert_eq!(y.to_vec::<f32>(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn pow(&self, p: f64) -> Tensor {
        self.map(move |x| x.powf(p))
    }

    /// `|x|`.
    #[track_caller]
    pub fn abs(&self) -> Tensor {
        match &self.storage {
            Storage::I64(a) => Storage::I64(map_array(a, i64::wrapping_abs)).into(),
            _ => self.map(f64::abs),
        }
    }

    /// `sign(x)` ∈ {−1, 0, 1} (0 at 0, unlike `f32::signum`); the derivative of `abs`.
    #[track_caller]
    pub fn sign(&self) -> Tensor {
        match &self.storage {
            Storage::I64(a) => Storage::I64(map_array(a, i64::signum)).into(),
            _ => self.map(kernels::sign),
        }
    }

    /// `sin x` (radians).
    #[track_caller]
    pub fn sin(&self) -> Tensor {
        self.map(f64::sin)
    }

    /// `cos x` (radians).
    #[track_caller]
    pub fn cos(&self) -> Tensor {
        self.map(f64::cos)
    }

    /// `tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)`, in (−1, 1) (vectorised for f32, see
    /// [`vector_exp::tanh_f32`]).
    #[track_caller]
    pub fn tanh(&self) -> Tensor {
        self.map_vectorised("tanh", tanh_map, tanh_map)
    }

    /// The logistic sigmoid `σ(x) = 1/(1 + e⁻ˣ)`, in (0, 1), computed in a form that
    /// never overflows (`eˣ/(1 + eˣ)` for x < 0), so `sigmoid(−1e4)` is 0, not NaN.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec(vec![-1e4, 0.0, 1e4], &[3]).sigmoid();
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn sigmoid(&self) -> Tensor {
        self.map_vectorised("sigmoid", sigmoid_slice, sigmoid_slice)
    }

    /// `relu(x) = max(x, 0)`.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec(vec![-2.0, 3.0], &[2]).relu();
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Tensor {
        self.map(kernels::relu)
    }

    /// `leaky_relu(x) = x if x > 0 else slope·x` (PyTorch's default slope is 0.01).
    #[track_caller]
    pub fn leaky_relu(&self, slope: f64) -> Tensor {
        self.map(move |x| kernels::leaky_relu(x, slope))
    }

    /// `elu(x) = x if x > 0 else α(eˣ − 1)` (PyTorch's default α is 1).
    #[track_caller]
    pub fn elu(&self, alpha: f64) -> Tensor {
        self.map(move |x| kernels::elu(x, alpha))
    }

    /// Exact GELU, `gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))`, as PyTorch's
    /// `gelu(approximate="none")`: f64 through `erfc` (to 1e-15, see [`kernels::gelu`]),
    /// f32 on vector code within 4e-7 relative ([`vector_normal`]).
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec_f64(vec![1.0], &[1]).gelu();
    /// assert!((y.item() - 0.8413447460685429).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn gelu(&self) -> Tensor {
        self.map_vectorised("gelu", gelu_slice, gelu_slice)
    }

    /// GELU's tanh approximation (`approximate="tanh"`, as in GPT-2):
    /// `½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`. Within 1e-3 of [`Tensor::gelu`].
    #[track_caller]
    pub fn gelu_tanh(&self) -> Tensor {
        self.map(kernels::gelu_tanh)
    }

    /// SiLU (swish) `silu(x) = x·σ(x)`.
    #[track_caller]
    pub fn silu(&self) -> Tensor {
        self.map(kernels::silu)
    }

    /// `softplus(x) = ln(1 + eˣ)` (β = 1), a smooth relu, computed as
    /// `max(x, 0) + ln(1 + e^(−|x|))` so that large |x| neither overflows nor rounds away.
    #[track_caller]
    pub fn softplus(&self) -> Tensor {
        self.map(kernels::softplus)
    }

    /// Limit every element to `[min, max]`; NaN stays NaN. Use `f64::NEG_INFINITY` or
    /// `f64::INFINITY` for a one-sided clamp.
    ///
    /// # Panics
    /// If `min > max` or either bound is NaN.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let y = Tensor::from_vec(vec![-5.0, 0.5, 5.0], &[3]).clamp(-1.0, 1.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: f64, max: f64) -> Tensor {
        // NaN bounds would make every comparison false: reject them with the rest.
        if min.is_nan() || max.is_nan() || min > max {
            Error::new(
                "clamp",
                ErrorKind::Value,
                format!("min {min} must not exceed max {max}"),
            )
            .with_hint("pass the bounds as (min, max); use ±f64::INFINITY for a one-sided clamp")
            .raise();
        }
        self.map(move |x| kernels::clamp(x, min, max))
    }

    /// `1/x` (±∞ at ±0).
    #[track_caller]
    pub fn reciprocal(&self) -> Tensor {
        self.map(f64::recip)
    }

    /// `x²`.
    #[track_caller]
    pub fn square(&self) -> Tensor {
        self.map(|x| x * x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    /// Assert that `got` (any dtype) equals `want` within `tol` per element.
    #[track_caller]
    fn assert_close(got: &Tensor, want: &[f64], tol: f64) {
        let got = got.to_vec::<f64>();
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= tol * (1.0 + w.abs()), "[{i}]: {g} vs {w}");
        }
    }

    fn both_dtypes(data: &[f64], shape: &[usize]) -> [(Tensor, f64); 2] {
        let x64 = Tensor::from_vec_f64(data.to_vec(), shape);
        [(x64.to_dtype(DType::F32), 1e-6), (x64, 1e-14)]
    }

    #[test]
    fn math_functions_match_known_values_in_both_dtypes() {
        for (x, tol) in both_dtypes(&[0.25, 1.0, 4.0], &[3]) {
            // e^0.25, e^1, e^4 and friends, from f64 std (to within 1 ulp).
            assert_close(
                &x.exp(),
                &[
                    1.284_025_416_687_741_5,
                    std::f64::consts::E,
                    54.598_150_033_144_236,
                ],
                tol,
            );
            assert_close(
                &x.log(),
                &[
                    -std::f64::consts::LN_2 * 2.0,
                    0.0,
                    std::f64::consts::LN_2 * 2.0,
                ],
                tol,
            );
            assert_close(&x.sqrt(), &[0.5, 1.0, 2.0], tol);
            assert_close(&x.rsqrt(), &[2.0, 1.0, 0.5], tol);
            assert_close(&x.pow(1.5), &[0.125, 1.0, 8.0], tol);
            assert_close(&x.reciprocal(), &[4.0, 1.0, 0.25], tol);
            assert_close(&x.square(), &[0.0625, 1.0, 16.0], tol);
            assert_close(
                &x.log1p(),
                &[
                    0.223_143_551_314_209_76,
                    std::f64::consts::LN_2,
                    1.609_437_912_434_100_3,
                ],
                tol,
            );
            assert_close(
                &x.sin(),
                &[
                    0.247_403_959_254_522_93,
                    0.841_470_984_807_896_5,
                    -0.756_802_495_307_928_2,
                ],
                tol,
            );
            assert_close(
                &x.cos(),
                &[
                    0.968_912_421_710_644_8,
                    0.540_302_305_868_139_8,
                    -0.653_643_620_863_611_9,
                ],
                tol,
            );
            assert_eq!(x.exp().dtype(), x.dtype());
        }
    }

    #[test]
    fn activations_match_known_values_in_both_dtypes() {
        // Reference values from mpmath at 30 digits, at x = −2, 0.5, 1.
        for (x, tol) in both_dtypes(&[-2.0, 0.5, 1.0], &[3]) {
            assert_close(
                &x.sigmoid(),
                &[
                    0.119_202_922_022_117_56,
                    0.622_459_331_201_854_6,
                    0.731_058_578_630_004_9,
                ],
                tol,
            );
            assert_close(
                &x.softplus(),
                &[
                    0.126_928_011_042_972_5,
                    0.974_076_984_180_106_7,
                    1.313_261_687_518_222_8,
                ],
                tol,
            );
            assert_close(
                &x.silu(),
                &[
                    -0.238_405_844_044_235_1,
                    0.311_229_665_600_927_3,
                    0.731_058_578_630_004_9,
                ],
                tol,
            );
            assert_close(
                &x.gelu(),
                &[
                    -0.045_500_263_896_358_41,
                    0.345_731_230_637_006_55,
                    0.841_344_746_068_543,
                ],
                tol,
            );
            assert_close(
                &x.gelu_tanh(),
                &[
                    -0.045_402_305_912_224_98,
                    0.345_714_009_825_143_9,
                    0.841_191_990_608_276_7,
                ],
                tol,
            );
            assert_close(&x.elu(1.0), &[-0.864_664_716_763_387_3, 0.5, 1.0], tol);
            assert_close(
                &x.tanh(),
                &[
                    -0.964_027_580_075_817,
                    0.462_117_157_260_009_8,
                    0.761_594_155_955_764_9,
                ],
                tol,
            );
            assert_close(&x.relu(), &[0.0, 0.5, 1.0], 0.0);
            assert_close(&x.leaky_relu(0.01), &[-0.02, 0.5, 1.0], tol);
            assert_close(&x.abs(), &[2.0, 0.5, 1.0], 0.0);
            assert_close(&x.sign(), &[-1.0, 1.0, 1.0], 0.0);
            assert_close(&x.clamp(-1.0, 0.75), &[-1.0, 0.5, 0.75], 0.0);
        }
    }

    #[test]
    fn stable_activations_stay_finite_at_plus_minus_1e4() {
        for (x, _) in both_dtypes(&[-1e4, 1e4], &[2]) {
            assert_close(&x.sigmoid(), &[0.0, 1.0], 0.0);
            assert_close(&x.softplus(), &[0.0, 1e4], 0.0);
            assert_close(&x.silu(), &[0.0, 1e4], 0.0);
            assert_close(&x.gelu(), &[0.0, 1e4], 0.0);
            assert_close(&x.gelu_tanh(), &[0.0, 1e4], 0.0);
        }
    }

    #[test]
    fn zero_dim_and_size_one_shapes_are_kept() {
        let s = Tensor::scalar(-3.0);
        assert_eq!(s.relu().shape(), &[] as &[usize]);
        assert_eq!(s.abs().item(), 3.0);
        let t = Tensor::from_vec(vec![4.0], &[1, 1, 1]);
        assert_eq!(t.sqrt().shape(), &[1, 1, 1]);
        assert_eq!(Tensor::zeros(&[0, 3]).exp().shape(), &[0, 3]);
    }

    #[test]
    fn non_contiguous_input_is_read_in_logical_order() {
        // A transposed view of [[1, 2, 3], [4, 5, 6]]: logical order 1 4 2 5 3 6.
        let a = Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let Storage::F64(arr) = a.storage() else {
            unreachable!()
        };
        let t: Tensor = Storage::F64(arr.clone().reversed_axes()).into();
        assert!(!t.is_contiguous());
        let y = t.square();
        assert_eq!(y.shape(), &[3, 2]);
        assert_eq!(y.to_vec::<f64>(), vec![1.0, 16.0, 4.0, 25.0, 9.0, 36.0]);
    }

    #[test]
    #[should_panic(expected = "clamp: min 2 must not exceed max 1")]
    fn clamp_rejects_reversed_bounds() {
        Tensor::zeros(&[2]).clamp(2.0, 1.0);
    }

    #[test]
    #[should_panic(expected = "clamp: min NaN must not exceed max 1")]
    fn clamp_rejects_nan_bounds() {
        Tensor::zeros(&[2]).clamp(f64::NAN, 1.0);
    }
}
