//! Unit tests for the movement ops: known values in both dtypes, views sharing
//! storage, non-contiguous inputs, 0-d and size-1 edge cases, and every error message.

use crate::{DType, Tensor};

/// `[[0, 1, 2], [3, 4, 5]]` in the given dtype.
fn m23(dtype: DType) -> Tensor {
    Tensor::arange(0.0, 6.0, 1.0)
        .reshape(&[2, 3])
        .to_dtype(dtype)
}

#[test]
fn reshape_is_a_view_when_contiguous_and_copies_otherwise() {
    for dtype in [DType::F32, DType::F64] {
        let x = m23(dtype);
        let y = x.reshape(&[3, 2]);
        assert!(y.shares_storage_with(&x));
        assert_eq!(y.to_vec::<f64>(), vec![0., 1., 2., 3., 4., 5.]);
        // x.t() = [[0, 3], [1, 4], [2, 5]]; reshape reads it row-major: 0 3 1 4 2 5.
        let t = x.t();
        assert!(!t.is_contiguous());
        let r = t.reshape(&[6]);
        assert!(!r.shares_storage_with(&x));
        assert_eq!(r.to_vec::<f64>(), vec![0., 3., 1., 4., 2., 5.]);
        assert_eq!(r.dtype(), dtype);
    }
    // 0-d ↔ [1, 1].
    let s = Tensor::scalar(7.0);
    assert_eq!(s.reshape(&[1, 1]).shape(), &[1, 1]);
    assert_eq!(s.reshape(&[1, 1]).reshape(&[]).item(), 7.0);
}

#[test]
fn reshape_that_only_adds_or_drops_size_one_dims_is_a_view_of_any_layout() {
    let x = m23(DType::F32);
    let t = x.t(); // [3, 2], strides [1, 3]
    let r = t.reshape(&[3, 1, 2, 1]);
    assert!(r.shares_storage_with(&x));
    assert_eq!(r.to_vec::<f64>(), vec![0., 3., 1., 4., 2., 5.]);
    let back = r.reshape(&[1, 3, 2]);
    assert!(back.shares_storage_with(&x));
    assert_eq!(back.to_vec::<f64>(), t.to_vec::<f64>());
    // a reshape that regroups the non-1 sizes of a transposed tensor still copies
    assert!(!t.reshape(&[2, 3]).shares_storage_with(&x));
}

#[test]
#[should_panic(expected = "reshape: cannot reshape [2, 3] (6 elements) into [4] (4 elements)")]
fn reshape_checks_numel() {
    m23(DType::F32).reshape(&[4]);
}

#[test]
fn flatten_merges_a_dim_range() {
    let x = Tensor::zeros(&[2, 3, 4]);
    assert_eq!(x.flatten(1, -1).shape(), &[2, 12]);
    assert_eq!(x.flatten(0, -1).shape(), &[24]);
    assert_eq!(x.flatten(0, 1).shape(), &[6, 4]);
    assert_eq!(x.flatten(1, 1).shape(), &[2, 3, 4]);
    assert_eq!(Tensor::scalar(1.0).flatten(0, -1).shape(), &[1]);
    // A transposed input flattens in its logical (row-major) order.
    assert_eq!(
        m23(DType::F64).t().flatten(0, 1).to_vec::<f64>(),
        vec![0., 3., 1., 4., 2., 5.]
    );
}

#[test]
#[should_panic(expected = "flatten: start_dim 2 comes after end_dim 0 (shape [2, 3, 4])")]
fn flatten_rejects_reversed_range() {
    Tensor::zeros(&[2, 3, 4]).flatten(2, 0);
}

#[test]
fn permute_and_transpose_are_views() {
    for dtype in [DType::F32, DType::F64] {
        // x[i, j, k] = 12i + 4j + k, shape [2, 3, 4].
        let x = Tensor::arange(0.0, 24.0, 1.0)
            .reshape(&[2, 3, 4])
            .to_dtype(dtype);
        let p = x.permute(&[2, 0, -2]);
        assert_eq!(p.shape(), &[4, 2, 3]);
        assert!(p.shares_storage_with(&x));
        // p[k, i, j] = x[i, j, k]; p[1, 1, 2] = x[1, 2, 1] = 12 + 8 + 1 = 21.
        assert_eq!(p.select(0, 1).select(0, 1).select(0, 2).item(), 21.0);
        let t = x.transpose(0, -1);
        assert_eq!(t.shape(), &[4, 3, 2]);
        assert_eq!(t.strides(), &[1, 4, 12]);
        // t[3, 0, 1] = x[1, 0, 3] = 15.
        assert_eq!(t.select(0, 3).select(0, 0).select(0, 1).item(), 15.0);
    }
    assert_eq!(
        m23(DType::F32).t().to_vec::<f32>(),
        vec![0., 3., 1., 4., 2., 5.]
    );
}

#[test]
#[should_panic(expected = "permute: got 2 dims [1, 0] for a 3-d tensor of shape [2, 3, 4]")]
fn permute_needs_every_dim() {
    Tensor::zeros(&[2, 3, 4]).permute(&[1, 0]);
}

#[test]
#[should_panic(expected = "permute: dim -1 appears more than once in [1, -1] (shape [2, 3])")]
fn permute_rejects_repeats() {
    Tensor::zeros(&[2, 3]).permute(&[1, -1]);
}

#[test]
#[should_panic(expected = "transpose: dim 2 is out of range for shape [2, 3]")]
fn transpose_checks_dims() {
    Tensor::zeros(&[2, 3]).transpose(0, 2);
}

#[test]
#[should_panic(expected = "t: expects a 2-D tensor, got shape [3]")]
fn t_is_for_matrices() {
    Tensor::zeros(&[3]).t();
}

#[test]
fn unsqueeze_and_squeeze() {
    let x = Tensor::zeros(&[3]);
    assert_eq!(x.unsqueeze(0).shape(), &[1, 3]);
    assert_eq!(x.unsqueeze(-1).shape(), &[3, 1]);
    assert_eq!(Tensor::scalar(2.0).unsqueeze(0).shape(), &[1]);
    let y = Tensor::zeros(&[1, 3, 1, 2]).to_dtype(DType::F64);
    assert_eq!(y.squeeze(0).shape(), &[3, 1, 2]);
    assert_eq!(y.squeeze(-2).shape(), &[1, 3, 2]);
    // Size 3 is not squeezable: unchanged, as torch.squeeze(dim).
    assert_eq!(y.squeeze(1).shape(), &[1, 3, 1, 2]);
    assert_eq!(y.squeeze_all().shape(), &[3, 2]);
    assert!(y.squeeze_all().shares_storage_with(&y));
    assert_eq!(Tensor::ones(&[1, 1]).squeeze_all().shape(), &[] as &[usize]);
}

#[test]
#[should_panic(
    expected = "unsqueeze: dim 3 is out of range for shape [2, 3] (valid dims are -3..=2)"
)]
fn unsqueeze_checks_dim() {
    Tensor::zeros(&[2, 3]).unsqueeze(3);
}

#[test]
#[should_panic(expected = "squeeze: dim 0 is out of range for shape []")]
fn squeeze_of_scalar_has_no_dims() {
    Tensor::scalar(1.0).squeeze(0);
}

#[test]
fn broadcast_to_copies_and_sum_to_adds_back() {
    for dtype in [DType::F32, DType::F64] {
        let x = Tensor::from_vec(vec![1., 2., 3.], &[3, 1]).to_dtype(dtype);
        let b = x.broadcast_to(&[2, 3, 2]);
        assert_eq!(b.shape(), &[2, 3, 2]);
        assert!(b.is_contiguous());
        assert_eq!(b.dtype(), dtype);
        assert_eq!(
            b.to_vec::<f64>(),
            vec![1., 1., 2., 2., 3., 3., 1., 1., 2., 2., 3., 3.]
        );
        // Each x[i, 0] was copied 2·2 = 4 times, so sum_to gives 4·x.
        assert_eq!(b.sum_to(&[3, 1]).to_vec::<f64>(), vec![4., 8., 12.]);
        assert_eq!(b.sum_to(&[3, 1]).shape(), &[3, 1]);
        // 0-d target sums everything: 4·(1 + 2 + 3) = 24.
        assert_eq!(b.sum_to(&[]).item(), 24.0);
        assert_eq!(b.sum_to(&[1, 1, 2]).to_vec::<f64>(), vec![12., 12.]);
    }
    // A 0-d source broadcasts anywhere; a matching shape is a cheap clone.
    assert_eq!(
        Tensor::scalar(5.0).expand(&[2]).to_vec::<f32>(),
        vec![5., 5.]
    );
    let y = m23(DType::F32);
    assert!(y.broadcast_to(&[2, 3]).shares_storage_with(&y));
    assert!(y.sum_to(&[2, 3]).shares_storage_with(&y));
    // Non-contiguous input: y.t() = [[0, 3], [1, 4], [2, 5]], column sums 3 and 12.
    assert_eq!(y.t().sum_to(&[2]).to_vec::<f32>(), vec![3., 12.]);
    assert_eq!(
        y.t()
            .broadcast_to(&[2, 3, 2])
            .sum_to(&[3, 2])
            .to_vec::<f32>(),
        vec![0., 6., 2., 8., 4., 10.]
    );
}

#[test]
#[should_panic(expected = "broadcast_to: cannot broadcast shape [2, 3] to [3, 3]")]
fn broadcast_to_checks_shapes() {
    Tensor::zeros(&[2, 3]).broadcast_to(&[3, 3]);
}

#[test]
#[should_panic(
    expected = "sum_to: cannot sum shape [2, 3] down to [2]: [2] does not broadcast to [2, 3]"
)]
fn sum_to_checks_shapes() {
    Tensor::zeros(&[2, 3]).sum_to(&[2]);
}

#[test]
fn narrow_and_select_are_views() {
    for dtype in [DType::F32, DType::F64] {
        let x = m23(dtype);
        let n = x.narrow(-1, 1, 2);
        assert!(x.narrow(1, 0, 2).shares_storage_with(&x));
        assert!(
            n.shares_storage_with(&x),
            "a view at an offset shares the buffer"
        );
        assert!(!x.narrow(0, 0, 1).shares_storage_with(&x.narrow(0, 1, 1)));
        assert_eq!(n.shape(), &[2, 2]);
        assert_eq!(n.to_vec::<f64>(), vec![1., 2., 4., 5.]);
        assert_eq!(x.narrow(0, 2, 0).shape(), &[0, 3]);
        assert_eq!(x.select(0, 1).to_vec::<f64>(), vec![3., 4., 5.]);
        assert_eq!(x.select(-1, 2).to_vec::<f64>(), vec![2., 5.]);
        // On a transposed view: x.t()[1] = column 1 of x = [1, 4].
        assert_eq!(x.t().select(0, 1).to_vec::<f64>(), vec![1., 4.]);
        assert_eq!(x.select(0, 0).select(0, 2).shape(), &[] as &[usize]);
    }
}

#[test]
#[should_panic(expected = "narrow: start 2 + length 2 exceeds size 3 of dim 1 (shape [2, 3])")]
fn narrow_checks_range() {
    m23(DType::F32).narrow(1, 2, 2);
}

#[test]
#[should_panic(expected = "select: index 2 is out of range for dim 0 of size 2 (shape [2, 3])")]
fn select_checks_index() {
    m23(DType::F32).select(0, 2);
}

#[test]
fn views_do_not_alias_after_a_write() {
    // Copy-on-write: an op producing a new tensor never changes the source.
    let x = m23(DType::F32);
    let v = x.narrow(1, 0, 1);
    let w = &v + 10.0;
    assert_eq!(w.to_vec::<f32>(), vec![10., 13.]);
    assert_eq!(x.to_vec::<f32>(), vec![0., 1., 2., 3., 4., 5.]);
}

#[test]
fn broadcast_to_block_copies_match_ndarray_broadcast() {
    // (source shape, target shape): repeated rows, repeated elements, new leading
    // dims, broadcast dims in the middle and on both sides of kept ones, 0-d, empty.
    let cases: [(&[usize], &[usize]); 9] = [
        (&[3, 1], &[3, 4]),
        (&[4], &[3, 4]),
        (&[1, 4], &[2, 3, 4]),
        (&[3, 1, 2], &[3, 4, 2]),
        (&[1, 3, 1], &[2, 3, 4]),
        (&[2, 1, 3, 1], &[2, 2, 3, 2]),
        (&[], &[2, 3]),
        (&[1, 1], &[5, 1]),
        (&[0, 1], &[2, 0, 3]),
    ];
    for dtype in [DType::F32, DType::F64] {
        for (from, to) in cases {
            let n: usize = from.iter().product();
            let values = Tensor::arange(0.0, n as f64, 1.0).to_dtype(dtype);
            let contiguous = values.reshape(from);
            // The same values through a transposed view (non-contiguous when rank ≥ 2).
            let mut flipped = from.to_vec();
            flipped.reverse();
            let order: Vec<isize> = (0..from.len() as isize).rev().collect();
            let transposed = values.reshape(&flipped).permute(&order);
            for x in [contiguous, transposed] {
                let ours = x.broadcast_to(to);
                let reference = x
                    .to_dtype(DType::F64)
                    .array::<f64>()
                    .broadcast(to)
                    .unwrap()
                    .to_owned();
                assert_eq!(ours.shape(), to);
                assert_eq!(ours.dtype(), dtype);
                assert_eq!(
                    ours.to_vec::<f64>(),
                    reference.iter().copied().collect::<Vec<_>>()
                );
            }
        }
    }
}
