//! Unit tests of the shape rules and small exact products, the products on every
//! gemm tier the CPU has (property tests against a naive loop are in
//! `tensor/tests/matmul_properties.rs`).

use super::*;
use ndarray::ArrayD;
use std::sync::Mutex;

/// Held while a test forces a tier.
static TIER_LOCK: Mutex<()> = Mutex::new(());

/// Run `check` once per tier this CPU has, forced with [`force_tier`]; serialised
/// by a lock, as the tier is a process-wide setting.
fn on_every_tier(check: impl Fn()) {
    let _lock = TIER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for t in Tier::ALL.into_iter().filter(|t| t.is_available()) {
        force_tier(Some(t));
        assert_eq!(tier(), t);
        check();
    }
    force_tier(None);
}

#[test]
fn tiers_fall_back_to_the_fastest_available_below() {
    let _lock = TIER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    assert!(Tier::Fallback.is_available());
    let best = Tier::ALL.into_iter().find(|t| t.is_available()).unwrap();
    assert_eq!(tier(), best); // nothing forced
    for t in Tier::ALL {
        force_tier(Some(t));
        // The forced tier if available, else the next available one below it.
        let want = Tier::ALL
            .into_iter()
            .skip_while(|&x| x != t)
            .find(|x| x.is_available());
        assert_eq!(Some(tier()), want);
    }
    force_tier(None);
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") {
        assert_eq!(best, Tier::Avx512);
    }
}

/// `[rows, cols]` filled with 1, 2, 3, ... then stored transposed: a view whose
/// strides are [1, rows], holding the same matrix.
fn transposed(rows: usize, cols: usize) -> Tensor {
    let data: Vec<f32> = (1..=rows * cols).map(|x| x as f32).collect();
    let stored = ArrayD::from_shape_vec(IxDyn(&[cols, rows]), data).unwrap();
    let t = stored.t().to_owned(); // row-major copy of the transpose
    let view = Tensor::from_array(stored.reversed_axes()); // same values, strided
    assert_eq!(view.to_vec::<f32>(), t.iter().copied().collect::<Vec<_>>());
    view
}

#[test]
fn two_by_two_known_values_in_both_dtypes() {
    on_every_tier(|| {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]]
        let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let b = Tensor::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[2, 2]);
        let c = a.matmul(&b);
        assert_eq!(c.shape(), &[2, 2]);
        assert_eq!(c.to_vec::<f32>(), vec![19.0, 22.0, 43.0, 50.0]);
        let c64 = a.to_dtype(DType::F64).matmul(&b.to_dtype(DType::F64));
        assert_eq!(c64.dtype(), DType::F64);
        assert_eq!(c64.to_vec::<f64>(), vec![19.0, 22.0, 43.0, 50.0]);
    });
}

#[test]
fn identity_leaves_a_matrix_unchanged() {
    on_every_tier(|| {
        // 16×16 identity times arange: exact, as every sum has one nonzero term.
        let x = Tensor::arange(0.0, 256.0, 1.0);
        let x = Tensor::from_vec(x.to_vec(), &[16, 16]);
        assert_eq!(
            Tensor::eye(16).matmul(&x).to_vec::<f32>(),
            x.to_vec::<f32>()
        );
        let x64 = x.to_dtype(DType::F64);
        let eye64 = Tensor::eye(16).to_dtype(DType::F64);
        assert_eq!(x64.matmul(&eye64).to_vec::<f64>(), x64.to_vec::<f64>());
    });
}

#[test]
fn vectors_follow_pytorch() {
    let v = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    // dot: 1·1 + 2·2 + 3·3 = 14, a 0-d tensor
    let dot = v.matmul(&v);
    assert_eq!(dot.shape(), &[] as &[usize]);
    assert_eq!(dot.item(), 14.0);
    let m = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    // [1, 2, 3] · m = [1 + 3, 2 + 3]: shape [2], the prepended 1 removed
    assert_eq!(v.matmul(&m).shape(), &[2]);
    assert_eq!(v.matmul(&m).to_vec::<f32>(), vec![4.0, 5.0]);
    // m^T as [2, 3] · v = [1 + 3, 2 + 3]: shape [2], the appended 1 removed
    let mt = Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0], &[2, 3]);
    assert_eq!(mt.matmul(&v).to_vec::<f32>(), vec![4.0, 5.0]);
    // a batch of matrices times a vector: [2, 2, 3] · [3] → [2, 2]
    let stack = Tensor::from_vec([mt.to_vec::<f32>(), mt.to_vec()].concat(), &[2, 2, 3]);
    assert_eq!(stack.matmul(&v).shape(), &[2, 2]);
    // a vector times a batch: [3] · [2, 3, 2] → [2, 2]
    let mstack = Tensor::from_vec([m.to_vec::<f32>(), m.to_vec()].concat(), &[2, 3, 2]);
    assert_eq!(v.matmul(&mstack).to_vec::<f32>(), vec![4.0, 5.0, 4.0, 5.0]);
}

#[test]
fn batch_dims_broadcast() {
    on_every_tier(|| {
        // [2, 1, 3, 4] · [5, 4, 6] → [2, 5, 3, 6]; out[i, j] = a[i, 0] · b[j]
        let a = Tensor::arange(0.0, 24.0, 1.0);
        let a = Tensor::from_vec(a.to_vec(), &[2, 1, 3, 4]);
        let b = Tensor::arange(0.0, 120.0, 1.0);
        let b = Tensor::from_vec(b.to_vec(), &[5, 4, 6]);
        let c = a.matmul(&b);
        assert_eq!(c.shape(), &[2, 5, 3, 6]);
        assert!(c.is_contiguous());
        // c[1, 4, 2, 5] = Σ_p a[1, 0, 2, p] · b[4, p, 5], with a[1,0,2,p] = 20 + p and
        // b[4, p, 5] = 96 + 6p + 5: Σ (20+p)(101+6p) for p = 0..4
        // = 2020 + 2247 + 2486 + 2737 = 9490
        let flat = c.to_vec::<f32>();
        assert_eq!(flat[((5 + 4) * 3 + 2) * 6 + 5], 9490.0);
    });
}

#[test]
fn transposed_operands_are_read_in_place() {
    on_every_tier(|| {
        let bt = transposed(4, 3); // values [[1, 5, 9], [2, 6, 10], ...] as a view
        assert!(!bt.is_contiguous());
        let a = Tensor::ones(&[2, 4]);
        // column sums of bt: [1+2+3+4, 5+..+8, 9+..+12]
        let c = a.matmul(&bt);
        assert_eq!(c.to_vec::<f32>(), vec![10.0, 26.0, 42.0, 10.0, 26.0, 42.0]);
        assert_eq!(
            c.to_vec::<f32>(),
            a.matmul(&bt.contiguous()).to_vec::<f32>()
        );
        // a transposed lhs
        let at = transposed(16, 9);
        let want = at.contiguous().matmul(&Tensor::ones(&[9, 5]));
        assert_eq!(
            at.matmul(&Tensor::ones(&[9, 5])).to_vec::<f32>(),
            want.to_vec::<f32>()
        );
    });
}

#[test]
fn empty_dims_give_empty_or_zero_results() {
    on_every_tier(|| {
        assert_eq!(
            Tensor::zeros(&[0, 3])
                .matmul(&Tensor::ones(&[3, 2]))
                .shape(),
            &[0, 2]
        );
        // k = 0: an empty sum is 0
        let c = Tensor::ones(&[2, 0]).matmul(&Tensor::ones(&[0, 3]));
        assert_eq!(c.to_vec::<f32>(), vec![0.0; 6]);
        let c = Tensor::ones(&[0, 2, 3]).matmul(&Tensor::ones(&[3, 4]));
        assert_eq!(c.shape(), &[0, 2, 4]);
    });
}

#[test]
fn plan_removes_the_dims_of_vectors() {
    let p = plan(&[7], &[3, 7, 2]).unwrap();
    assert_eq!(
        (p.batch, p.m, p.k, p.n, p.out_shape),
        (vec![3], 1, 7, 2, vec![3, 2])
    );
    let p = plan(&[2, 1, 3, 4], &[5, 4, 6]).unwrap();
    assert_eq!(p.out_shape, vec![2, 5, 3, 6]);
}

#[test]
#[should_panic(
    expected = "matmul: cannot multiply [32, 64] by [65, 10]: inner dimensions 64 and 65 differ"
)]
fn inner_dimension_mismatch_is_named() {
    Tensor::zeros(&[32, 64]).matmul(&Tensor::zeros(&[65, 10]));
}

#[test]
#[should_panic(
    expected = "matmul: cannot multiply [2, 3, 4] by [5, 4, 6]: batch dims [2] and [5] cannot be broadcast"
)]
fn batch_mismatch_is_named() {
    Tensor::zeros(&[2, 3, 4]).matmul(&Tensor::zeros(&[5, 4, 6]));
}

#[test]
#[should_panic(expected = "matmul: cannot multiply [] by [3]: both operands need at least 1 dim")]
fn scalars_are_rejected() {
    Tensor::scalar(2.0).matmul(&Tensor::ones(&[3]));
}

#[test]
#[should_panic(expected = "matmul: operands have different dtypes: f32 [2, 3] and f64 [3, 2]")]
fn dtypes_must_match() {
    Tensor::zeros(&[2, 3]).matmul(&Tensor::zeros(&[3, 2]).to_dtype(DType::F64));
}

#[test]
fn try_matmul_returns_the_error() {
    let e = Tensor::zeros(&[3])
        .try_matmul(&Tensor::zeros(&[4]))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Shape);
    assert!(
        e.to_string()
            .contains("[3] by [4]: inner dimensions 3 and 4 differ"),
        "{e}"
    );
}
