//! Tests of the reductions in `reduce.rs` and `reduce/extrema.rs`: known values
//! (the arithmetic in comments), both dtypes, keepdim, negative dims, 0-d inputs and
//! non-contiguous (transposed) inputs, plus one test per error message.

use ndarray::{Array2, ArrayD};

use crate::dtype::DType;
use crate::tensor::Tensor;

/// `[[1, 2, 3], [4, 5, 6]]` in f32.
fn m23() -> Tensor {
    Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])
}

/// The transpose of `data` laid out as `[rows, cols]`: a non-contiguous `[cols, rows]`
/// tensor (column-major strides), built without relying on `transpose`.
fn transposed(data: Vec<f64>, rows: usize, cols: usize, dtype: DType) -> Tensor {
    let a: ArrayD<f64> = Array2::from_shape_vec((rows, cols), data)
        .unwrap()
        .into_dyn();
    let t = Tensor::from_array(a.reversed_axes());
    assert!(!t.is_contiguous());
    t.to_dtype(dtype)
}

fn assert_close(actual: &Tensor, expected: &[f64], tol: f64) {
    let actual = actual.to_vec::<f64>();
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        let same_special = (a.is_nan() && e.is_nan()) || (a.is_infinite() && a == e);
        assert!(
            same_special || (a - e).abs() <= tol,
            "{actual:?} vs {expected:?}"
        );
    }
}

const DTYPES: [DType; 2] = [DType::F32, DType::F64];

#[test]
fn sum_over_all_is_0d() {
    for dt in DTYPES {
        let x = m23().to_dtype(dt);
        let s = x.sum();
        assert_eq!((s.shape(), s.dtype()), (&[][..], dt));
        assert_eq!(s.item(), 21.0); // 1 + 2 + ... + 6 = 21
        assert_eq!(Tensor::scalar(2.5).to_dtype(dt).sum().item(), 2.5);
        assert_eq!(Tensor::zeros(&[0, 3]).to_dtype(dt).sum().item(), 0.0);
    }
}

#[test]
fn sum_dim_keepdim_and_negative_dims() {
    for dt in DTYPES {
        let x = m23().to_dtype(dt);
        let rows = x.sum_dim(1, false); // [1+2+3, 4+5+6]
        assert_eq!(
            (rows.shape(), rows.to_vec::<f64>()),
            (&[2][..], vec![6.0, 15.0])
        );
        let cols = x.sum_dim(-2, true); // [[1+4, 2+5, 3+6]]
        assert_eq!(
            (cols.shape(), cols.to_vec::<f64>()),
            (&[1, 3][..], vec![5.0, 7.0, 9.0])
        );
        assert_eq!(x.sum_dim(-1, true).shape(), &[2, 1]);
        assert_eq!(cols.dtype(), dt);
    }
}

#[test]
fn sum_dim_of_transposed_view() {
    // x = [[1, 2, 3], [4, 5, 6]]ᵀ = [[1, 4], [2, 5], [3, 6]]
    let x = transposed(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, DType::F64);
    assert_eq!(x.sum_dim(1, false).to_vec::<f64>(), vec![5.0, 7.0, 9.0]);
    assert_eq!(x.sum_dim(0, false).to_vec::<f64>(), vec![6.0, 15.0]);
    assert_eq!(x.sum().item(), 21.0);
}

#[test]
fn sum_dims_reduces_several_dims() {
    // x[i, j, k] = 12i + 4j + k over [2, 3, 4]; summing dims 0 and 2 leaves j:
    // Σ_i Σ_k (12i + 4j + k) = 4·(0 + 12) + 8·4j + 2·(0 + 1 + 2 + 3) = 60 + 32j
    let x = Tensor::from_vec_f64((0..24).map(f64::from).collect(), &[2, 3, 4]);
    let s = x.sum_dims(&[0, -1], false);
    assert_eq!(
        (s.shape(), s.to_vec::<f64>()),
        (&[3][..], vec![60.0, 92.0, 124.0])
    );
    let k = x.sum_dims(&[2, 0], true);
    assert_eq!(
        (k.shape(), k.to_vec::<f64>()),
        (&[1, 3, 1][..], vec![60.0, 92.0, 124.0])
    );
    assert_eq!(x.sum_dims(&[0, 1, 2], false).item(), 276.0); // 0 + ... + 23
    // No dims: nothing is summed.
    assert_eq!(x.sum_dims(&[], true).to_vec::<f64>(), x.to_vec::<f64>());
    assert_eq!(x.sum_dims(&[], false).shape(), &[2, 3, 4]);
}

#[test]
#[should_panic(expected = "sum_dim: dim 2 is out of range for shape [2, 3]")]
fn sum_dim_out_of_range_panics() {
    m23().sum_dim(2, false);
}

#[test]
#[should_panic(expected = "sum_dims: dim -1 appears more than once in [1, -1] (shape [2, 3])")]
fn sum_dims_repeated_dim_panics() {
    m23().sum_dims(&[1, -1], false);
}

#[test]
#[should_panic(
    expected = "mean_dim: dim 0 is out of range for shape [] (a 0-d tensor has no dims)"
)]
fn mean_dim_of_0d_panics() {
    Tensor::scalar(1.0).mean_dim(0, false);
}

#[test]
fn mean_and_mean_dim() {
    for dt in DTYPES {
        let x = m23().to_dtype(dt);
        assert_eq!(x.mean().item(), 3.5); // 21 / 6
        assert_eq!(x.mean_dim(1, false).to_vec::<f64>(), vec![2.0, 5.0]); // 6/3, 15/3
        let m = x.mean_dim(0, true); // [5, 7, 9] / 2
        assert_eq!(
            (m.shape(), m.to_vec::<f64>()),
            (&[1, 3][..], vec![2.5, 3.5, 4.5])
        );
        assert_eq!(Tensor::scalar(-4.0).to_dtype(dt).mean().item(), -4.0);
        assert!(Tensor::zeros(&[0]).to_dtype(dt).mean().item().is_nan()); // 0 / 0
    }
    let t = transposed(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, DType::F32);
    assert_eq!(t.mean_dim(-1, false).to_vec::<f32>(), vec![2.5, 3.5, 4.5]);
}

#[test]
fn var_and_std_known_values() {
    for dt in DTYPES {
        // x = [1, 2, 3, 4]: mean 2.5, Σ(x − 2.5)² = 2.25 + 0.25 + 0.25 + 2.25 = 5.
        let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]).to_dtype(dt);
        assert_close(&x.var(false), &[1.25], 1e-6); // 5 / 4
        assert_close(&x.var(true), &[5.0 / 3.0], 1e-6); // 5 / 3
        assert_close(&x.std(false), &[1.25f64.sqrt()], 1e-6);
        assert_close(&x.std(true), &[(5.0f64 / 3.0).sqrt()], 1e-6);
        assert_eq!(x.var(true).shape(), &[] as &[usize]);
        // 0-d: biased variance 0, unbiased 0/0 = NaN (as PyTorch).
        let s = Tensor::scalar(7.0).to_dtype(dt);
        assert_eq!(s.var(false).item(), 0.0);
        assert!(s.var(true).item().is_nan());
    }
}

#[test]
fn var_is_two_pass_and_accurate_with_a_large_offset() {
    // [1e4 + 1, 1e4 + 2, 1e4 + 3] in f32: true biased variance 2/3. The one-pass
    // E[x²] − E[x]² loses everything here (E[x²] ≈ 1e8 has an ulp of 8).
    let x = Tensor::from_vec(vec![10001.0, 10002.0, 10003.0], &[3]);
    assert_close(&x.var(false), &[2.0 / 3.0], 1e-6);
}

#[test]
fn var_dim_and_std_dim() {
    for dt in DTYPES {
        let x = m23().to_dtype(dt);
        // Each row is [a, a+1, a+2]: biased var 2/3, unbiased var 1.
        assert_close(&x.var_dim(1, false, false), &[2.0 / 3.0, 2.0 / 3.0], 1e-6);
        assert_close(&x.var_dim(-1, true, true), &[1.0, 1.0], 1e-6);
        assert_eq!(x.var_dim(-1, true, true).shape(), &[2, 1]);
        // Columns are [c, c+3]: biased var 2.25 (std 1.5), unbiased 4.5.
        assert_close(&x.std_dim(0, false, false), &[1.5, 1.5, 1.5], 1e-6);
        assert_close(&x.var_dim(0, true, false), &[4.5, 4.5, 4.5], 1e-6);
        assert_eq!(x.std_dim(0, true, true).shape(), &[1, 3]);
    }
    // [[1, 4], [2, 5], [3, 6]]: columns [1, 2, 3] and [4, 5, 6], biased std √(2/3).
    let t = transposed(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, DType::F64);
    assert_close(
        &t.std_dim(0, false, false),
        &[(2.0f64 / 3.0).sqrt(); 2],
        1e-12,
    );
}

#[test]
#[should_panic(expected = "std_dim: dim -3 is out of range for shape [2, 3]")]
fn std_dim_out_of_range_panics() {
    m23().std_dim(-3, true, false);
}

#[test]
fn logsumexp_known_values() {
    for dt in DTYPES {
        // ln(e⁰ + e⁰) = ln 2; ln(e¹ + e² + e³) = 3 + ln(e⁻² + e⁻¹ + 1).
        let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 2.0, 3.0], &[2, 3]).to_dtype(dt);
        let expected = [3f64.ln(), 3.0 + ((-2f64).exp() + (-1f64).exp() + 1.0).ln()];
        assert_close(&x.logsumexp(1, false), &expected, 1e-6);
        assert_eq!(x.logsumexp(-1, true).shape(), &[2, 1]);
        // Columns: ln(e⁰ + e^c).
        let cols: Vec<f64> = [1.0f64, 2.0, 3.0]
            .iter()
            .map(|c| (1.0 + c.exp()).ln())
            .collect();
        assert_close(&x.logsumexp(0, false), &cols, 1e-6);
    }
}

#[test]
fn logsumexp_is_stable_at_extremes() {
    for dt in DTYPES {
        let inf = f64::INFINITY;
        // exp(±1e4) over/underflows in both dtypes; the shift keeps it finite:
        // lse(1e4, 1e4) = 1e4 + ln 2, lse(−1e4, −1e4 − 1) = −1e4 + ln(1 + e⁻¹).
        let x = Tensor::from_vec_f64(vec![1e4, 1e4, -1e4, -1e4 - 1.0], &[2, 2]).to_dtype(dt);
        let expected = [1e4 + 2f64.ln(), -1e4 + (1.0 + (-1f64).exp()).ln()];
        assert_close(&x.logsumexp(1, false), &expected, 2e-3);
        // A row of −∞ is ln 0 = −∞, not NaN; −∞ entries beside finite ones vanish;
        // +∞ gives +∞.
        let y = Tensor::from_vec_f64(vec![-inf, -inf, -inf, 0.0, inf, 1.0], &[3, 2]).to_dtype(dt);
        assert_eq!(y.logsumexp(1, false).to_vec::<f64>(), vec![-inf, 0.0, inf]);
        // NaN propagates.
        let z = Tensor::from_vec_f64(vec![f64::NAN, 1.0], &[2]).to_dtype(dt);
        assert!(z.logsumexp(0, false).item().is_nan());
    }
}

#[test]
fn logsumexp_of_transposed_view() {
    // [[0, 1], [0, 1]]ᵀ = [[0, 0], [1, 1]]; rows: ln 2 and 1 + ln 2.
    let t = transposed(vec![0.0, 1.0, 0.0, 1.0], 2, 2, DType::F32);
    assert_close(&t.logsumexp(1, false), &[2f64.ln(), 1.0 + 2f64.ln()], 1e-6);
}

#[test]
#[should_panic(expected = "logsumexp: dim 5 is out of range for shape [2, 3]")]
fn logsumexp_out_of_range_panics() {
    m23().logsumexp(5, false);
}

#[test]
fn norms_of_huge_and_tiny_values_do_not_overflow_or_vanish() {
    // x² overflows f32 above 1.8e19 and f64 above 1.3e154, and underflows below
    // 1e-19 / 1e-154: the norm of s·x must still be s·‖x‖.
    let x = [3.0, -4.0, 0.0, 1.0];
    let unit = 26f64.sqrt();
    for (dt, scales) in [(DType::F32, [1e30, 1e-30]), (DType::F64, [1e200, 1e-200])] {
        for s in scales {
            let t = Tensor::from_vec_f64(x.iter().map(|v| v * s).collect(), &[2, 2]).to_dtype(dt);
            let norm = t.norm().item();
            assert!(
                (norm / (unit * s) - 1.0).abs() < 1e-6,
                "{dt} scale {s}: {norm}"
            );
            let rows: Vec<f64> = t.norm_dim(3.0, 1, false).to_vec();
            let expect = [91f64.powf(1.0 / 3.0) * s, s];
            assert!(
                rows.iter()
                    .zip(expect)
                    .all(|(r, e)| (r / e - 1.0).abs() < 1e-5),
                "{rows:?}"
            );
        }
    }
    let inf = Tensor::from_vec(vec![f32::INFINITY, 1.0], &[2])
        .norm()
        .item();
    assert_eq!(inf, f64::INFINITY);
    assert!(
        Tensor::from_vec(vec![f32::NAN, 1e30], &[2])
            .norm()
            .item()
            .is_nan()
    );
}

#[test]
fn norm_known_values() {
    for dt in DTYPES {
        // ‖[3, 4]‖₂ = 5; ‖[[3, −4], [0, 1]]‖₂ = √(9 + 16 + 0 + 1) = √26.
        assert_eq!(
            Tensor::from_vec(vec![3.0, 4.0], &[2])
                .to_dtype(dt)
                .norm()
                .item(),
            5.0
        );
        let x = Tensor::from_vec(vec![3.0, -4.0, 0.0, 1.0], &[2, 2]).to_dtype(dt);
        assert_close(&x.norm(), &[26f64.sqrt()], 1e-6);
        assert_eq!(Tensor::scalar(-2.0).to_dtype(dt).norm().item(), 2.0);
        assert_eq!(Tensor::zeros(&[0]).to_dtype(dt).norm().item(), 0.0);
        // Rows [3, −4] and [0, 1]:
        assert_close(&x.norm_dim(1.0, 1, false), &[7.0, 1.0], 1e-6); // Σ|x|
        assert_close(&x.norm_dim(2.0, -1, false), &[5.0, 1.0], 1e-6); // √Σx²
        assert_close(&x.norm_dim(f64::INFINITY, 1, false), &[4.0, 1.0], 0.0); // max|x|
        assert_close(&x.norm_dim(f64::NEG_INFINITY, 1, false), &[3.0, 0.0], 0.0); // min|x|
        assert_close(&x.norm_dim(0.0, 1, false), &[2.0, 1.0], 0.0); // nonzero count
        // p = 3: (27 + 64)^(1/3) = 91^(1/3), and (0 + 1)^(1/3) = 1.
        assert_close(
            &x.norm_dim(3.0, 1, true),
            &[91f64.powf(1.0 / 3.0), 1.0],
            1e-5,
        );
        assert_eq!(x.norm_dim(3.0, 1, true).shape(), &[2, 1]);
    }
    // Columns of the transposed view are the rows above.
    let t = transposed(vec![3.0, -4.0, 0.0, 1.0], 2, 2, DType::F64);
    assert_close(&t.norm_dim(2.0, 0, false), &[5.0, 1.0], 1e-12);
}

#[test]
#[should_panic(expected = "norm_dim: p is NaN")]
fn norm_dim_nan_p_panics() {
    m23().norm_dim(f64::NAN, 0, false);
}

#[test]
fn large_inputs_take_the_parallel_path_and_agree() {
    // [256, 256] = 65 536 elements, above parallel::THRESHOLD. Row r holds r + k/256.
    let data: Vec<f64> = (0..256 * 256)
        .map(|i| (i / 256) as f64 + (i % 256) as f64 / 256.0)
        .collect();
    let x = Tensor::from_vec_f64(data, &[256, 256]);
    // Σ_k (r + k/256) = 256r + (255·256/2)/256 = 256r + 127.5
    let rows = x.sum_dim(1, false).to_vec::<f64>();
    assert!(
        rows.iter()
            .enumerate()
            .all(|(r, &s)| s == 256.0 * r as f64 + 127.5)
    );
    // Σ_r (r + k/256) = 255·256/2 + k = 32640 + k
    let cols = x.sum_dim(0, false).to_vec::<f64>();
    assert!(
        cols.iter()
            .enumerate()
            .all(|(k, &s)| s == 32640.0 + k as f64)
    );
    let (values, indices) = x.max_dim(1, false);
    assert_eq!(indices.to_vec::<f64>(), vec![255.0; 256]);
    assert_eq!(values.to_vec::<f64>()[3], 3.0 + 255.0 / 256.0);
    // Serial and parallel var agree with the closed form: var of k/256, k < 256,
    // is (256² − 1)/12 / 256².
    let v = x.var_dim(1, false, false).to_vec::<f64>();
    assert!(
        v.iter()
            .all(|&v| (v - (65535.0 / 12.0) / 65536.0).abs() < 1e-12)
    );
}

#[test]
fn max_min_over_all() {
    for dt in DTYPES {
        let x = Tensor::from_vec(vec![3.0, -1.0, 7.0, 0.5], &[2, 2]).to_dtype(dt);
        assert_eq!((x.max().item(), x.min().item()), (7.0, -1.0));
        assert_eq!(x.max().shape(), &[] as &[usize]);
        assert_eq!(x.max().dtype(), dt);
        assert_eq!(Tensor::scalar(4.0).to_dtype(dt).min().item(), 4.0);
        // NaN wins, as in PyTorch.
        let n = Tensor::from_vec(vec![1.0, f32::NAN, 3.0], &[3]).to_dtype(dt);
        assert!(n.max().item().is_nan() && n.min().item().is_nan());
    }
    let t = transposed(vec![3.0, -1.0, 7.0, 0.5], 2, 2, DType::F32);
    assert_eq!((t.max().item(), t.min().item()), (7.0, -1.0));
}

#[test]
#[should_panic(expected = "max: cannot take the max of an empty tensor (shape [2, 0])")]
fn max_of_empty_panics() {
    Tensor::zeros(&[2, 0]).max();
}

#[test]
fn max_dim_and_min_dim_with_ties_and_keepdim() {
    for dt in DTYPES {
        // [[1, 5, 5], [7, 2, 7]]: row maxes 5 (first at 1) and 7 (first at 0).
        let x = Tensor::from_vec(vec![1.0, 5.0, 5.0, 7.0, 2.0, 7.0], &[2, 3]).to_dtype(dt);
        let (v, i) = x.max_dim(1, false);
        assert_eq!(
            (v.to_vec::<f64>(), i.to_vec::<f64>()),
            (vec![5.0, 7.0], vec![1.0, 0.0])
        );
        assert_eq!((v.dtype(), i.dtype()), (dt, DType::I64));
        let (v, i) = x.min_dim(-1, true); // row mins 1 at 0, 2 at 1
        assert_eq!((v.shape(), i.shape()), (&[2, 1][..], &[2, 1][..]));
        assert_eq!(
            (v.to_vec::<f64>(), i.to_vec::<f64>()),
            (vec![1.0, 2.0], vec![0.0, 1.0])
        );
        // Columns [1, 7], [5, 2], [5, 7]: max at rows 1, 0, 1.
        let (v, i) = x.max_dim(0, true);
        assert_eq!(v.to_vec::<f64>(), vec![7.0, 5.0, 7.0]);
        assert_eq!(
            (i.shape(), i.to_vec::<f64>()),
            (&[1, 3][..], vec![1.0, 0.0, 1.0])
        );
    }
}

#[test]
fn argmax_argmin_on_transposed_view_and_nan() {
    // [[1, 5, 5], [7, 2, 7]]ᵀ = [[1, 7], [5, 2], [5, 7]]
    let t = transposed(vec![1.0, 5.0, 5.0, 7.0, 2.0, 7.0], 2, 3, DType::F64);
    assert_eq!(t.argmax(1, false).to_vec::<f64>(), vec![1.0, 0.0, 1.0]);
    assert_eq!(t.argmin(0, false).to_vec::<f64>(), vec![0.0, 1.0]); // 1 at 0, 2 at 1
    assert_eq!(t.argmax(-2, true).shape(), &[1, 2]);
    // The first NaN is both the max and the min, like PyTorch on the CPU.
    let n = Tensor::from_vec(vec![1.0, f32::NAN, 9.0, f32::NAN], &[4]);
    assert_eq!(n.argmax(0, false).item(), 1.0);
    assert_eq!(n.argmin(0, false).item(), 1.0);
    // A dim of size 1 holds the only candidate.
    assert_eq!(m23().argmax(0, false).shape(), &[3]);
    assert_eq!(
        Tensor::ones(&[1, 3]).argmin(0, false).to_vec::<f32>(),
        vec![0.0; 3]
    );
}

#[test]
fn max_dim_over_a_nonempty_dim_of_an_empty_tensor_is_empty() {
    let (v, i) = Tensor::zeros(&[0, 3]).max_dim(1, false);
    assert_eq!((v.shape(), i.shape()), (&[0][..], &[0][..]));
}

#[test]
#[should_panic(expected = "argmax: cannot reduce over dim 1 of shape [3, 0]: it has size 0")]
fn argmax_over_empty_dim_panics() {
    Tensor::zeros(&[3, 0]).argmax(1, false);
}

#[test]
#[should_panic(expected = "min_dim: dim -3 is out of range for shape [2, 3]")]
fn min_dim_out_of_range_panics() {
    m23().min_dim(-3, false);
}

#[test]
fn reductions_over_an_empty_dim_use_their_identity() {
    // Σ of nothing = 0; ln Σ exp of nothing = ln 0 = −∞; mean = 0/0 = NaN.
    let x = Tensor::zeros(&[2, 0]);
    assert_eq!(x.sum_dim(1, false).to_vec::<f32>(), vec![0.0, 0.0]);
    assert_eq!(
        x.logsumexp(1, true).to_vec::<f32>(),
        vec![f32::NEG_INFINITY; 2]
    );
    assert!(
        x.mean_dim(-1, false)
            .to_vec::<f32>()
            .iter()
            .all(|m| m.is_nan())
    );
    assert_eq!(x.norm_dim(2.0, 1, false).to_vec::<f32>(), vec![0.0, 0.0]);
    assert_eq!(x.sum_dim(0, false).shape(), &[0]);
}

#[test]
fn sums_of_bool_and_i64_are_i64_counts() {
    // [[true, false, true], [true, true, true]]
    let m = Tensor::from_vec_bool(vec![true, false, true, true, true, true], &[2, 3]);
    let total = m.sum();
    assert_eq!((total.dtype(), total.item()), (DType::I64, 5.0));
    assert_eq!(m.sum_dim(1, false).to_vec::<i64>(), vec![2, 3]);
    assert_eq!(m.t().sum_dims(&[0], true).to_vec::<i64>(), vec![2, 3]);
    let ids = Tensor::from_vec_i64(vec![4, -1, 7, 2], &[2, 2]);
    assert_eq!(ids.sum().to_vec::<i64>(), vec![12]);
    assert_eq!(ids.sum_dim(0, false).to_vec::<i64>(), vec![11, 1]);
    assert_eq!(ids.sum_to(&[1, 2]).to_vec::<i64>(), vec![11, 1]);
    assert_eq!(m.sum_to(&[3]).to_vec::<i64>(), vec![2, 1, 2]);
}

#[test]
fn extrema_of_i64_return_i64_values_and_indices() {
    let ids = Tensor::from_vec_i64(vec![4, -1, 7, 7], &[2, 2]);
    let (v, i) = ids.max_dim(1, false);
    assert_eq!(
        (v.to_vec::<i64>(), i.to_vec::<i64>()),
        (vec![4, 7], vec![0, 0])
    );
    assert_eq!(ids.argmin(0, false).to_vec::<i64>(), vec![0, 0]);
    assert_eq!((ids.max().item(), ids.min().dtype()), (7.0, DType::I64));
}

#[test]
#[should_panic(expected = "mean: needs a float tensor (f32 or f64), got i64 [2]. \
                           Hint: convert first with .to_dtype(DType::F32)")]
fn mean_of_integers_asks_for_a_conversion() {
    Tensor::from_vec_i64(vec![1, 2], &[2]).mean();
}
