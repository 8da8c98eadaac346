//! Property tests of the shape logic on random shapes (rank 0..=4, sizes 1..=4):
//! broadcasting arithmetic against a naive loop, the `broadcast_to` / `sum_to`
//! adjoint pair, reshape and permute round trips, transpose as an index map, and
//! `cat` followed by `split`.
//!
//! ```text
//! broadcast:   out[m] = f(a[m'], b[m''])   m' = m aligned right, 0 where a has size 1
//! adjointness: ⟨broadcast_to(x, S), y⟩ = ⟨x, sum_to(y, shape(x))⟩
//! transpose:   contiguous(x.transpose(i, j))[m] = x[m with m_i, m_j swapped]
//! ```
//! Values are quarter-integers in [-5, 5], so every sum and product below is exact in
//! f32 and f64 and results are compared with `==`. 64 cases per property.
//! (Matmul has its own file, `matmul_properties.rs`.)

use proptest::prelude::*;
use tensor::shape::unravel_index;
use tensor::{DType, Tensor};

/// `n` quarter-integers in [-5, 5] from a small LCG seeded by `seed`.
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 41) as f64 / 4.0 - 5.0
        })
        .collect()
}

/// A tensor of `shape` holding `values(.., seed)` in row-major order. When
/// `strided`, the same logical values are laid out transposed in the last two dims
/// (a non-contiguous view), so ops are also exercised on strided inputs.
fn tensor(shape: &[usize], seed: u64, dtype: DType, strided: bool) -> Tensor {
    let n = shape.iter().product();
    let x = Tensor::from_vec_f64(values(n, seed), shape).to_dtype(dtype);
    if strided && shape.len() >= 2 {
        x.transpose(-1, -2).contiguous().transpose(-1, -2)
    } else {
        x
    }
}

/// Row-major flat position of multi-index `m` in `shape`.
fn ravel(m: &[usize], shape: &[usize]) -> usize {
    m.iter().zip(shape).fold(0, |acc, (&i, &s)| acc * s + i)
}

/// The position in an operand of shape `s` that broadcasting reads for output
/// multi-index `m` (aligned from the right; size-1 dims read index 0).
fn broadcast_source(m: &[usize], s: &[usize]) -> usize {
    let lead = m.len() - s.len();
    let ms: Vec<usize> = s
        .iter()
        .enumerate()
        .map(|(j, &size)| if size == 1 { 0 } else { m[lead + j] })
        .collect();
    ravel(&ms, s)
}

/// ⟨a, b⟩ = Σ a[i]·b[i] in f64 (exact for our values).
fn dot(a: &Tensor, b: &Tensor) -> f64 {
    a.to_vec::<f64>()
        .iter()
        .zip(b.to_vec::<f64>())
        .map(|(x, y)| x * y)
        .sum()
}

/// A random shape: rank 0..=4, sizes 1..=4.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, 0..=4)
}

/// A shape that broadcasts to `out`: a random suffix of `out` with random dims set to 1.
fn operand_of(out: &[usize], rank: usize, ones: &[bool]) -> Vec<usize> {
    let lead = out.len() - rank;
    (lead..out.len())
        .map(|d| if ones[d] { 1 } else { out[d] })
        .collect()
}

/// `(out, a, b)`: two operand shapes that each broadcast to `out` (together they may
/// broadcast to a smaller shape, which `out` is a broadcast of).
fn broadcast_triple() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<usize>)> {
    shape().prop_flat_map(|out| {
        let r = out.len();
        let side = (0..=r, prop::collection::vec(any::<bool>(), r));
        (Just(out), side.clone(), side).prop_map(|(out, (ra, ma), (rb, mb))| {
            let (a, b) = (operand_of(&out, ra, &ma), operand_of(&out, rb, &mb));
            (out, a, b)
        })
    })
}

fn dtype() -> impl Strategy<Value = DType> {
    prop_oneof![Just(DType::F32), Just(DType::F64)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// (1) `a + b` and `a * b` equal a naive loop over the broadcast shape.
    #[test]
    fn broadcasting_add_mul_match_naive_loop(
        (out, sa, sb) in broadcast_triple(),
        seed in any::<u64>(),
        dt in dtype(),
        strided in any::<bool>(),
    ) {
        let a = tensor(&sa, seed, dt, strided);
        let b = tensor(&sb, seed ^ 0x9e37, dt, false);
        let (av, bv) = (a.to_vec::<f64>(), b.to_vec::<f64>());
        let sum = &a + &b;
        let prod = &a * &b;
        // The result has the larger rank; each dim is the larger size (1 only if both 1).
        let r = sa.len().max(sb.len());
        let size = |s: &[usize], d: usize| {
            let lead = r - s.len();
            if d < lead { 1 } else { s[d - lead] }
        };
        let want_shape: Vec<usize> = (0..r).map(|d| size(&sa, d).max(size(&sb, d))).collect();
        prop_assert_eq!(sum.shape(), want_shape.as_slice());
        prop_assert_eq!(sum.dtype(), dt);
        prop_assert!(sum.try_broadcast_to(&out).is_ok(), "{:?} must broadcast to {:?}", sum.shape(), out);
        let (sv, pv) = (sum.to_vec::<f64>(), prod.to_vec::<f64>());
        for (flat, (&s, &p)) in sv.iter().zip(&pv).enumerate() {
            let m = unravel_index(flat, &want_shape);
            let (x, y) = (av[broadcast_source(&m, &sa)], bv[broadcast_source(&m, &sb)]);
            prop_assert_eq!(s, x + y, "sum at {:?}", m);
            prop_assert_eq!(p, x * y, "product at {:?}", m);
        }
    }

    /// (2) `sum_to` is the adjoint of `broadcast_to`.
    #[test]
    fn sum_to_is_adjoint_of_broadcast_to(
        (out, sx, _) in broadcast_triple(),
        seed in any::<u64>(),
        dt in dtype(),
        strided in any::<bool>(),
    ) {
        let x = tensor(&sx, seed, dt, strided);
        let y = tensor(&out, seed.rotate_left(17), dt, strided);
        let bx = x.broadcast_to(&out);
        let sy = y.sum_to(&sx);
        prop_assert_eq!(bx.shape(), out.as_slice());
        prop_assert_eq!(sy.shape(), sx.as_slice());
        prop_assert_eq!(dot(&bx, &y), dot(&x, &sy));
    }

    /// (3) Reshape there and back, and permute then inverse-permute, are the identity.
    #[test]
    fn reshape_and_permute_round_trip(
        (s, perm) in shape().prop_flat_map(|s| {
            let r = s.len();
            (Just(s), Just((0..r).collect::<Vec<usize>>()).prop_shuffle())
        }),
        cut in 0usize..=4,
        seed in any::<u64>(),
        dt in dtype(),
        strided in any::<bool>(),
    ) {
        let x = tensor(&s, seed, dt, strided);
        let xv = x.to_vec::<f64>();
        // Reshape keeps the row-major sequence: to [n], to [prod(s[..k]), prod(s[k..])].
        let k = cut.min(s.len());
        let two = [s[..k].iter().product::<usize>(), s[k..].iter().product()];
        for new_shape in [vec![x.numel()], two.to_vec(), vec![]] {
            if new_shape.iter().product::<usize>() != x.numel() {
                continue; // [] holds one element
            }
            let y = x.reshape(&new_shape);
            prop_assert_eq!(y.to_vec::<f64>(), xv.clone());
            let back = y.reshape(&s);
            prop_assert_eq!(back.shape(), s.as_slice());
            prop_assert_eq!(back.to_vec::<f64>(), xv.clone());
        }
        // permute: new dim i is old dim perm[i]; the inverse sends perm[i] back to i.
        let dims: Vec<isize> = perm.iter().map(|&p| p as isize).collect();
        let mut inverse = vec![0isize; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i as isize;
        }
        let p = x.permute(&dims);
        for (i, &d) in perm.iter().enumerate() {
            prop_assert_eq!(p.shape()[i], s[d]);
        }
        let q = p.permute(&inverse);
        prop_assert_eq!(q.shape(), s.as_slice());
        prop_assert_eq!(q.strides(), x.strides());
        prop_assert_eq!(q.to_vec::<f64>(), xv);
    }

    /// (4) A transposed view made contiguous is the index map `m ↦ m with i, j swapped`.
    #[test]
    fn transpose_then_contiguous_is_an_index_map(
        (s, i, j) in prop::collection::vec(1usize..=4, 1..=4).prop_flat_map(|s| {
            let r = s.len() as isize;
            (Just(s), -r..r, -r..r)
        }),
        seed in any::<u64>(),
        dt in dtype(),
        strided in any::<bool>(),
    ) {
        let x = tensor(&s, seed, dt, strided);
        let xv = x.to_vec::<f64>();
        let t = x.transpose(i, j);
        prop_assert!(t.shares_storage_with(&x));
        let c = t.contiguous();
        prop_assert!(c.is_contiguous());
        let r = s.len() as isize;
        let (iu, ju) = (i.rem_euclid(r) as usize, j.rem_euclid(r) as usize);
        let cv = c.to_vec::<f64>();
        for (flat, &v) in cv.iter().enumerate() {
            let mut m = unravel_index(flat, c.shape());
            m.swap(iu, ju);
            prop_assert_eq!(v, xv[ravel(&m, &s)], "at transposed position {}", flat);
        }
    }

    /// (5) `cat` of pieces of `split_size` (last one smaller) then `split` gives them back.
    #[test]
    fn cat_then_split_returns_the_pieces(
        (base, dim) in prop::collection::vec(1usize..=3, 1..=3).prop_flat_map(|b| {
            let r = b.len();
            (Just(b), 0..r)
        }),
        split_size in 1usize..=3,
        full in 0usize..=3,
        last in 1usize..=3,
        negative_dim in any::<bool>(),
        seed in any::<u64>(),
        dt in dtype(),
        strided in any::<bool>(),
    ) {
        let last = last.min(split_size);
        let sizes: Vec<usize> = std::iter::repeat_n(split_size, full).chain([last]).collect();
        let pieces: Vec<Tensor> = sizes
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                let mut s = base.clone();
                s[dim] = n;
                tensor(&s, seed.wrapping_add(k as u64), dt, strided)
            })
            .collect();
        let d = if negative_dim { dim as isize - base.len() as isize } else { dim as isize };
        let joined = Tensor::cat(&pieces, d);
        prop_assert_eq!(joined.size(d), sizes.iter().sum::<usize>());
        let parts = joined.split(split_size, d);
        prop_assert_eq!(parts.len(), pieces.len());
        for (got, want) in parts.iter().zip(&pieces) {
            prop_assert_eq!(got.shape(), want.shape());
            prop_assert_eq!(got.dtype(), dt);
            prop_assert_eq!(got.to_vec::<f64>(), want.to_vec::<f64>());
        }
    }
}
