//! The three ways to score a pair of vectors, the one internal "distance" every index
//! sorts by, what a search returns ([`Hit`]), and recall against exact results.
//!
//! ```text
//! metric         score s(q, x)   distance d (smaller is closer)   reported score
//! L2             ‖q − x‖²         ‖q − x‖²                          d
//! InnerProduct   q · x            −q · x                            −d
//! Cosine         q̂ · x̂           −q̂ · x̂  (vectors unit at add)     −d
//! ```
//! Indexes keep cosine's vectors normalised when they are added (and normalise each
//! query), so cosine is an inner product of unit vectors from then on.
//! Read next: [`crate::distance`], the kernels.

use tensor::{DType, Error, ErrorKind, Tensor};

/// How a query and a base vector are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Squared Euclidean distance `‖q − x‖²` (faiss' `METRIC_L2`, hnswlib's `l2`).
    L2,
    /// Inner product `q · x`, larger is closer (maximum inner product search).
    InnerProduct,
    /// Cosine similarity `q·x / (‖q‖‖x‖)`, larger is closer (hnswlib's `cosine`).
    Cosine,
}

impl Metric {
    /// Stable number of the metric in saved files.
    pub(crate) fn code(self) -> u32 {
        match self {
            Metric::L2 => 0,
            Metric::InnerProduct => 1,
            Metric::Cosine => 2,
        }
    }

    /// The metric saved as `code`, if any.
    pub(crate) fn from_code(code: u32) -> Option<Metric> {
        [Metric::L2, Metric::InnerProduct, Metric::Cosine]
            .into_iter()
            .find(|m| m.code() == code)
    }

    /// The score reported to the caller for an internal distance `d` (see the module
    /// doc): `d` itself for L2, `−d` for the similarities.
    pub fn score(self, d: f32) -> f32 {
        match self {
            Metric::L2 => d,
            Metric::InnerProduct | Metric::Cosine => -d,
        }
    }

    /// The internal distance of two stored vectors (cosine's are already unit).
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::L2 => crate::distance::l2_squared(a, b),
            Metric::InnerProduct | Metric::Cosine => -crate::distance::dot(a, b),
        }
    }

    /// [`Metric::distance`] of `q` to four vectors, computed together.
    pub fn distance_4(self, q: &[f32], xs: [&[f32]; 4]) -> [f32; 4] {
        match self {
            Metric::L2 => crate::distance::l2_squared_4(q, xs),
            Metric::InnerProduct | Metric::Cosine => crate::distance::dot_4(q, xs).map(|d| -d),
        }
    }

    /// [`Metric::distance`] of `q` to each of `rows`, into `out` (cleared first), four
    /// at a time: one load of `q` serves four vectors, whose loads are in flight
    /// together.
    pub(crate) fn distances<'a>(
        self,
        q: &[f32],
        mut rows: impl Iterator<Item = &'a [f32]>,
        out: &mut Vec<f32>,
    ) {
        out.clear();
        loop {
            match std::array::from_fn::<_, 4, _>(|_| rows.next()) {
                [Some(a), Some(b), Some(c), Some(d)] => {
                    out.extend(self.distance_4(q, [a, b, c, d]));
                }
                rest => {
                    out.extend(rest.iter().flatten().map(|x| self.distance(q, x)));
                    return;
                }
            }
        }
    }
}

/// One search result: the id of a base vector (its row, counting every `add` in
/// order) and its score under the index's [`Metric`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Row of the base vector.
    pub id: usize,
    /// `‖q − x‖²` for L2 (ascending in a result list), `q · x` or the cosine for the
    /// similarities (descending).
    pub score: f32,
}

/// recall@k of `found` against the exact neighbours `truth` (one list per query):
/// the fraction of the true ids that were found, over all queries.
///
/// ```text
/// recall@k = (1 / Q) Σ_q |found_q ∩ truth_q| / |truth_q|
/// ```
///
/// # Panics
/// If the two have different numbers of queries.
///
/// ```
/// use search::{Hit, recall};
/// let hit = |id| Hit { id, score: 0.0 };
/// let truth = vec![vec![hit(1), hit(2)], vec![hit(3), hit(4)]];
/// let found = vec![vec![hit(2), hit(9)], vec![hit(4), hit(3)]];
/// assert_eq!(recall(&found, &truth), 0.75);
/// ```
#[track_caller]
pub fn recall(found: &[Vec<Hit>], truth: &[Vec<Hit>]) -> f64 {
    if found.len() != truth.len() {
        Error::new(
            "recall",
            ErrorKind::Shape,
            format!(
                "{} result lists but {} true lists",
                found.len(),
                truth.len()
            ),
        )
        .raise();
    }
    let per_query = found.iter().zip(truth).map(|(f, t)| {
        let hits = t.iter().filter(|h| f.iter().any(|g| g.id == h.id)).count();
        hits as f64 / t.len().max(1) as f64
    });
    per_query.sum::<f64>() / truth.len().max(1) as f64
}

/// The rows of `x` as one row-major `f32` buffer, checked: `x` must be `[N, dim]`,
/// `f32`, with finite values. Cosine's rows come back normalised to unit length.
#[track_caller]
pub(crate) fn rows(op: &'static str, x: &Tensor, dim: usize, metric: Metric) -> Vec<f32> {
    let fail = |kind, message: String, hint: &str| Error::new(op, kind, message).with_hint(hint);
    if x.dtype() != DType::F32 {
        fail(
            ErrorKind::DType,
            format!("vectors must be f32, got {} {:?}", x.dtype(), x.shape()),
            "convert with .to_dtype(DType::F32)",
        )
        .raise();
    }
    if x.dims() != 2 || x.shape()[1] != dim {
        fail(
            ErrorKind::Shape,
            format!("vectors must be [N, {dim}], got {:?}", x.shape()),
            "one row per vector, as many columns as the index's dim",
        )
        .raise();
    }
    let x = x.contiguous();
    let mut data = x.array::<f32>().as_slice().expect("contiguous").to_vec();
    if let Some(bad) = data.iter().position(|v| !v.is_finite()) {
        fail(
            ErrorKind::Value,
            format!(
                "row {} holds {} (shape {:?})",
                bad / dim.max(1),
                data[bad],
                x.shape()
            ),
            "every value must be finite",
        )
        .raise();
    }
    if metric == Metric::Cosine {
        data.chunks_mut(dim.max(1)).for_each(normalize);
    }
    data
}

/// Scale `row` to unit length (a zero row stays zero).
pub(crate) fn normalize(row: &mut [f32]) {
    let norm = crate::distance::dot(row, row).sqrt();
    if norm > 0.0 {
        row.iter_mut().for_each(|v| *v /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_rows_are_unit_and_codes_round_trip() {
        let x = Tensor::from_vec(vec![3.0, 4.0, 0.0, 0.0], &[2, 2]);
        assert_eq!(rows("t", &x, 2, Metric::Cosine), vec![0.6, 0.8, 0.0, 0.0]);
        for m in [Metric::L2, Metric::InnerProduct, Metric::Cosine] {
            assert_eq!(Metric::from_code(m.code()), Some(m));
        }
        assert_eq!(Metric::from_code(7), None);
    }

    #[test]
    #[should_panic(expected = "t: vectors must be [N, 3], got [2, 2]")]
    fn rows_checks_the_width() {
        rows("t", &Tensor::zeros(&[2, 2]), 3, Metric::L2);
    }

    #[test]
    #[should_panic(expected = "t: row 1 holds NaN")]
    fn rows_rejects_nan() {
        rows(
            "t",
            &Tensor::from_vec(vec![0.0, f32::NAN], &[2, 1]),
            1,
            Metric::L2,
        );
    }
}
