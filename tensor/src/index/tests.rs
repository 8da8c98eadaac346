//! Unit tests for the index ops: known values in both dtypes, repeated indices,
//! non-contiguous inputs, the adjoint pairs, and every error message.

use crate::{DType, Tensor};

/// `[[0, 1, 2], [3, 4, 5]]` in the given dtype.
fn m23(dtype: DType) -> Tensor {
    Tensor::arange(0.0, 6.0, 1.0)
        .reshape(&[2, 3])
        .to_dtype(dtype)
}

/// An i64 index tensor, like argmax's output.
fn idx(values: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec_i64(values.to_vec(), shape)
}

/// ⟨a, b⟩ = Σ a[i]·b[i], in f64.
fn dot(a: &Tensor, b: &Tensor) -> f64 {
    a.to_vec::<f64>()
        .iter()
        .zip(b.to_vec::<f64>())
        .map(|(x, y)| x * y)
        .sum()
}

#[test]
fn index_select_picks_rows_and_columns() {
    for dtype in [DType::F32, DType::F64] {
        let x = m23(dtype);
        let cols = x.index_select(1, &idx(&[2, 0, 2], &[3]));
        // out[i, j] = x[i, idx[j]]: row 0 → 2 0 2, row 1 → 5 3 5.
        assert_eq!(cols.shape(), &[2, 3]);
        assert_eq!(cols.to_vec::<f64>(), vec![2., 0., 2., 5., 3., 5.]);
        assert_eq!(cols.dtype(), dtype);
        let rows = x.index_select(-2, &idx(&[1], &[1]));
        assert_eq!(rows.to_vec::<f64>(), vec![3., 4., 5.]);
        // Transposed input: x.t() = [[0, 3], [1, 4], [2, 5]]; rows 2, 1.
        let t = x.t().index_select(0, &idx(&[2, 1], &[2]));
        assert_eq!(t.to_vec::<f64>(), vec![2., 5., 1., 4.]);
        // Empty and 0-d indices.
        assert_eq!(x.index_select(0, &idx(&[], &[0])).shape(), &[0, 3]);
        assert_eq!(
            x.index_select(1, &idx(&[1], &[])).to_vec::<f64>(),
            vec![1., 4.]
        );
    }
}

#[test]
fn index_add_accumulates_and_is_adjoint_to_index_select() {
    for dtype in [DType::F32, DType::F64] {
        let x = m23(dtype);
        let src = Tensor::ones(&[2, 3]).to_dtype(dtype);
        // Column 0 gets +1 twice, column 2 once: [[2, 1, 3], [5, 4, 6]].
        let out = x.index_add(1, &idx(&[0, 2, 0], &[3]), &src);
        assert_eq!(out.to_vec::<f64>(), vec![2., 1., 3., 5., 4., 6.]);
        assert_eq!(x.to_vec::<f64>(), vec![0., 1., 2., 3., 4., 5.]);
        // ⟨index_select(x), y⟩ = ⟨x, index_add(0, idx, y)⟩ with a repeated index.
        let i = idx(&[1, 0, 1, 1], &[4]);
        let y = Tensor::arange(1.0, 13.0, 1.0)
            .reshape(&[4, 3])
            .to_dtype(dtype);
        let lhs = dot(&x.index_select(0, &i), &y);
        let rhs = dot(&x, &Tensor::zeros_like(&x).index_add(0, &i, &y));
        assert_eq!(lhs, rhs);
    }
}

#[test]
fn gather_follows_pytorch() {
    for dtype in [DType::F32, DType::F64] {
        let x = m23(dtype);
        // dim 1: out[i][j] = x[i][idx[i][j]] → [[x00, x00], [x12, x11]] = [[0, 0], [5, 4]].
        let g1 = x.gather(1, &idx(&[0, 0, 2, 1], &[2, 2]));
        assert_eq!(g1.to_vec::<f64>(), vec![0., 0., 5., 4.]);
        // dim 0: out[i][j] = x[idx[i][j]][j] → [[x10, x01, x12]] = [[3, 1, 5]].
        let g0 = x.gather(0, &idx(&[1, 0, 1], &[1, 3]));
        assert_eq!(g0.shape(), &[1, 3]);
        assert_eq!(g0.to_vec::<f64>(), vec![3., 1., 5.]);
        // Index smaller than the input outside dim, on a transposed input:
        // x.t() = [[0, 3], [1, 4], [2, 5]]; out[0][0] = x.t()[0][1] = 3.
        assert_eq!(x.t().gather(-1, &idx(&[1], &[1, 1])).item(), 3.0);
        assert_eq!(g1.dtype(), dtype);
    }
}

#[test]
fn scatter_add_accumulates_and_is_adjoint_to_gather() {
    for dtype in [DType::F32, DType::F64] {
        let x = m23(dtype);
        let src = Tensor::from_vec(vec![10., 20., 30., 40.], &[2, 2]).to_dtype(dtype);
        // dim 1: out[i][idx[i][j]] += src[i][j]; row 0 hits col 2 twice, row 1 cols 0, 1.
        let out = x.scatter_add(1, &idx(&[2, 2, 0, 1], &[2, 2]), &src);
        assert_eq!(out.to_vec::<f64>(), vec![0., 1., 32., 33., 44., 5.]);
        // ⟨gather(x), y⟩ = ⟨x, scatter_add(zeros, idx, y)⟩ along dim 0, repeats included.
        let i = idx(&[1, 1, 0, 1, 1, 1], &[2, 3]);
        let y = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]).to_dtype(dtype);
        let lhs = dot(&x.gather(0, &i), &y);
        let rhs = dot(&x, &Tensor::zeros_like(&x).scatter_add(0, &i, &y));
        assert_eq!(lhs, rhs);
    }
    // src may be larger than index: only the index's extent is used.
    let out = Tensor::zeros(&[3]).scatter_add(0, &idx(&[1], &[1]), &Tensor::ones(&[2]));
    assert_eq!(out.to_vec::<f32>(), vec![0., 1., 0.]);
}

#[test]
fn one_hot_marks_each_class() {
    let y = Tensor::one_hot(&idx(&[1, 0, 2, 1], &[2, 2]), 3);
    assert_eq!(y.shape(), &[2, 2, 3]);
    assert_eq!(y.dtype(), DType::I64);
    assert_eq!(y.to_vec::<i64>(), vec![0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0]);
    let s = Tensor::one_hot(&idx(&[3], &[]), 4);
    assert_eq!(s.to_vec::<i64>(), vec![0, 0, 0, 1]);
}

#[test]
#[should_panic(
    expected = "index_select: index 3 is out of range for dim 1 of size 3 \
                           (input shape [2, 3], index shape [2]). \
                           Hint: valid indices are 0..3"
)]
fn index_select_checks_range() {
    m23(DType::F32).index_select(1, &idx(&[0, 3], &[2]));
}

#[test]
#[should_panic(expected = "index_select: index must be an i64 tensor, got f32 [1]. \
                           Hint: indices, class labels and token ids are i64")]
fn index_select_refuses_float_indices() {
    m23(DType::F32).index_select(0, &Tensor::from_vec(vec![0.0], &[1]));
}

#[test]
#[should_panic(expected = "index_select: index must be 1-D, got shape [1, 1] (input shape [2, 3])")]
fn index_select_needs_1d_index() {
    m23(DType::F32).index_select(0, &idx(&[0], &[1, 1]));
}

#[test]
#[should_panic(expected = "index_add: source has shape [2, 3] but input [2, 3] \
                           with 1 indices along dim 0 needs [1, 3]")]
fn index_add_checks_source_shape() {
    let x = m23(DType::F32);
    x.index_add(0, &idx(&[0], &[1]), &x);
}

#[test]
#[should_panic(expected = "index_add: index -1 is out of range for dim 0 of size 2")]
fn index_add_rejects_negative_indices() {
    let x = m23(DType::F32);
    x.index_add(0, &idx(&[-1], &[1]), &Tensor::zeros(&[1, 3]));
}

#[test]
#[should_panic(expected = "index_add: operands have different dtypes: f32 [2, 3] and f64 [1, 3]")]
fn index_add_checks_dtypes() {
    let x = m23(DType::F32);
    x.index_add(
        0,
        &idx(&[0], &[1]),
        &Tensor::zeros(&[1, 3]).to_dtype(DType::F64),
    );
}

#[test]
#[should_panic(expected = "gather: index has 1 dims (shape [2]) but input has 2 (shape [2, 3])")]
fn gather_checks_rank() {
    m23(DType::F32).gather(1, &idx(&[0, 1], &[2]));
}

#[test]
#[should_panic(expected = "gather: index shape [3, 1] exceeds input shape [2, 3] in dim 0 (3 > 2)")]
fn gather_checks_index_extent() {
    m23(DType::F32).gather(1, &idx(&[0, 1, 0], &[3, 1]));
}

#[test]
#[should_panic(expected = "gather: index 2 is out of range for dim 0 of size 2 \
                           (input shape [2, 3], index shape [1, 1])")]
fn gather_checks_range() {
    m23(DType::F32).gather(0, &idx(&[2], &[1, 1]));
}

#[test]
#[should_panic(expected = "scatter_add: index shape [1, 3] exceeds src shape [1, 2] in dim 1")]
fn scatter_add_checks_src_extent() {
    m23(DType::F32).scatter_add(0, &idx(&[0, 0, 0], &[1, 3]), &Tensor::zeros(&[1, 2]));
}

#[test]
#[should_panic(expected = "one_hot: index 3 is out of range for num_classes 3 (index shape [2])")]
fn one_hot_checks_range() {
    Tensor::one_hot(&idx(&[0, 3], &[2]), 3);
}

#[test]
#[should_panic(expected = "gather: index must be an i64 tensor, got bool [1, 1]")]
fn gather_refuses_bool_indices() {
    m23(DType::F32).gather(0, &Tensor::from_vec_bool(vec![true], &[1, 1]));
}

#[test]
#[should_panic(expected = "scatter_add: cannot add into a bool tensor [2]")]
fn scatter_add_refuses_bool_targets() {
    let target = Tensor::from_vec_bool(vec![false, true], &[2]);
    target.scatter_add(
        0,
        &idx(&[1], &[1]),
        &Tensor::from_vec_bool(vec![true], &[1]),
    );
}

/// Inputs of shape `[3, 4, 2]` in both dtypes, each laid out three ways: contiguous,
/// permuted (a transposed view) and narrowed (a sliced view), so the row-copy fast
/// paths and ndarray's element-wise path both run.
fn layouts() -> Vec<Tensor> {
    let mut out = Vec::new();
    for dtype in [DType::F32, DType::F64, DType::I64] {
        let base = Tensor::arange(0.0, 24.0, 1.0).to_dtype(dtype);
        let contiguous = base.reshape(&[3, 4, 2]);
        let permuted = base.reshape(&[2, 4, 3]).permute(&[2, 1, 0]);
        let narrowed = Tensor::arange(0.0, 30.0, 1.0)
            .to_dtype(dtype)
            .reshape(&[3, 5, 2, 1])
            .narrow(1, 1, 4)
            .squeeze(3);
        out.extend([contiguous, permuted, narrowed]);
    }
    out
}

#[test]
fn index_select_row_copies_match_ndarray_select() {
    let index = [2, 0, 2, 1];
    for x in layouts() {
        for axis in 0..3 {
            let picks: Vec<i64> = index
                .iter()
                .copied()
                .filter(|&k| k < 2 || axis != 2)
                .collect();
            let ours = x.index_select(axis as isize, &idx(&picks, &[picks.len()]));
            let positions: Vec<usize> = picks.iter().map(|&k| k as usize).collect();
            let reference = x
                .to_dtype(DType::F64)
                .array::<f64>()
                .select(ndarray::Axis(axis), &positions);
            assert_eq!(ours.shape(), reference.shape());
            assert_eq!(
                ours.to_vec::<f64>(),
                reference.iter().copied().collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn index_add_row_adds_match_elementwise_sums() {
    for x in layouts() {
        for axis in 0..3 {
            let index: Vec<i64> = vec![1, 0, 1];
            let mut shape = x.shape().to_vec();
            shape[axis] = index.len();
            // A non-contiguous source too: the transpose of a contiguous tensor.
            let n: usize = shape.iter().product();
            let mut flipped = shape.clone();
            flipped.reverse();
            let source = Tensor::arange(0.0, n as f64, 1.0)
                .to_dtype(x.dtype())
                .reshape(&flipped)
                .permute(&[2, 1, 0]);
            let ours = x.index_add(axis as isize, &idx(&index, &[3]), &source);
            // Reference: element by element, out[.., idx[i], ..] += s[.., i, ..].
            let mut expected = x.to_dtype(DType::F64).array::<f64>().to_owned();
            for (mut pos, &v) in source.to_dtype(DType::F64).array::<f64>().indexed_iter() {
                pos[axis] = index[pos[axis]] as usize;
                expected[&pos] += v;
            }
            assert_eq!(ours.shape(), x.shape());
            assert_eq!(
                ours.to_vec::<f64>(),
                expected.iter().copied().collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn index_ops_handle_empty_dims() {
    let empty = Tensor::zeros(&[0, 3]);
    assert_eq!(empty.index_select(0, &idx(&[], &[0])).shape(), &[0, 3]);
    let x = Tensor::zeros(&[2, 0]);
    assert_eq!(x.index_select(0, &idx(&[1, 1, 0], &[3])).shape(), &[3, 0]);
    let added = x.index_add(0, &idx(&[1], &[1]), &Tensor::zeros(&[1, 0]));
    assert_eq!(added.shape(), &[2, 0]);
}
