//! Printing tensors: `Display`/`Debug` in PyTorch's layout, and an HTML table for
//! evcxr notebooks ([`Tensor::evcxr_display`]).
//!
//! ```text
//! tensor([[1.0000, 2.0000],
//!         [3.0000, 4.0000]], dtype=f32, shape=[2, 2])
//! ```
//! Rules, as in PyTorch's `torch/_tensor_str.py`:
//! - every element shows 4 decimals, right-aligned to the widest element shown; if the
//!   nonzero finite magnitudes span more than 1000× or leave `[1e-4, 1e8]`, all switch
//!   to scientific notation (`1.0000e-05`), except that whole numbers stay fixed-point
//!   up to 1e8 (PyTorch prints those as `2999.`);
//! - above [`SUMMARY_THRESHOLD`] elements, each dim longer than `2·EDGE_ITEMS` shows
//!   its first and last [`EDGE_ITEMS`] entries around a `...`;
//! - rows wrap at 80 characters; sub-tensors of a 3-d tensor are separated by a blank
//!   line (one more per extra dim);
//! - a 0-d tensor prints as `tensor(3.5000)` (`dtype=f64` is added for f64);
//! - i64 elements print as integers (`tensor([3, 0, 12], dtype=i64, ..)`), bool
//!   elements as PyTorch's `True` / `False`, right-aligned likewise.
//!
//! Read next: the crate docs in `lib.rs` for the reading order.

use std::fmt;

use ndarray::{ArrayViewD, Axis};

use crate::dtype::{DType, Element, Storage};
use crate::tensor::Tensor;

/// Tensors with more elements than this are printed summarised (PyTorch's default).
pub const SUMMARY_THRESHOLD: usize = 1000;

/// How many leading and trailing entries of each long dim a summary keeps.
pub const EDGE_ITEMS: usize = 3;

/// Lines wrap before this many characters.
const LINE_WIDTH: usize = 80;

/// `"tensor("`, the prefix every printed line is aligned to.
const PREFIX: &str = "tensor(";

/// The indices of a dim of length `len` that are shown: all of them, or, when
/// summarising a long dim, the edges with `None` standing for the `...` between.
fn shown(len: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && len > 2 * EDGE_ITEMS {
        let head = (0..EDGE_ITEMS).map(Some);
        let tail = (len - EDGE_ITEMS..len).map(Some);
        head.chain([None]).chain(tail).collect()
    } else {
        (0..len).map(Some).collect()
    }
}

/// Every element that will be printed, in order (the summary's edges only).
fn shown_values<T: Element>(view: &ArrayViewD<T>, summarize: bool, out: &mut Vec<f64>) {
    if view.ndim() == 0 {
        out.push(view.first().map_or(0.0, |x| x.as_f64()));
        return;
    }
    for i in shown(view.len_of(Axis(0)), summarize).into_iter().flatten() {
        shown_values(&view.index_axis(Axis(0), i), summarize, out);
    }
}

/// One number style for a whole tensor, chosen from its dtype and the values shown.
struct NumberFormat {
    dtype: DType,
    scientific: bool,
    width: usize,
}

impl NumberFormat {
    fn new(values: &[f64], dtype: DType) -> NumberFormat {
        let magnitudes = values
            .iter()
            .filter(|x| x.is_finite() && **x != 0.0)
            .map(|x| x.abs());
        let (min, max) = magnitudes.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        // Whole numbers (counts, indices, arange) stay fixed-point up to 1e8.
        let whole = values.iter().all(|x| !x.is_finite() || x.fract() == 0.0);
        let spread = max / min > 1000.0 || min < 1e-4;
        let scientific = max > 0.0 && (max > 1e8 || (!whole && spread));
        let mut format = NumberFormat {
            dtype,
            scientific: scientific && dtype.is_float(),
            width: 0,
        };
        format.width = values
            .iter()
            .map(|&x| format.plain(x).len())
            .max()
            .unwrap_or(0);
        format
    }

    /// `x` with 4 decimals (`-1.5000`) or in PyTorch's scientific form (`1.5000e-05`);
    /// an integer (`-3`) for i64, `True` / `False` for bool.
    fn plain(&self, x: f64) -> String {
        if self.dtype == DType::I64 {
            format!("{}", x as i64)
        } else if self.dtype == DType::Bool {
            (if x != 0.0 { "True" } else { "False" }).into()
        } else if x.is_nan() {
            "nan".into()
        } else if x.is_infinite() {
            if x > 0.0 { "inf".into() } else { "-inf".into() }
        } else if self.scientific {
            // Rust writes 1.5000e-5; Python (and so PyTorch) writes 1.5000e-05.
            let s = format!("{x:.4e}");
            let (mantissa, exp) = s.split_once('e').expect("{:e} always has an exponent");
            let exp: i32 = exp.parse().expect("{:e} writes an integer exponent");
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exp.abs())
        } else {
            format!("{x:.4}")
        }
    }

    /// `x` right-aligned to the common width.
    fn padded(&self, x: f64) -> String {
        format!("{:>width$}", self.plain(x), width = self.width)
    }
}

/// PyTorch's layout of the (non-0-d) `view`, whose first line starts at column `indent`.
fn render<T: Element>(
    view: &ArrayViewD<T>,
    indent: usize,
    summarize: bool,
    f: &NumberFormat,
) -> String {
    let idx = shown(view.len_of(Axis(0)), summarize);
    if view.ndim() == 1 {
        let items: Vec<String> = idx
            .iter()
            .map(|i| match i {
                Some(i) => f.padded(view[[*i]].as_f64()),
                None => " ...".into(),
            })
            .collect();
        let per_line = ((LINE_WIDTH.saturating_sub(indent)) / (f.width + 2)).max(1);
        let lines: Vec<String> = items.chunks(per_line).map(|line| line.join(", ")).collect();
        return format!(
            "[{}]",
            lines.join(&format!(",\n{}", " ".repeat(indent + 1)))
        );
    }
    let slices: Vec<String> = idx
        .iter()
        .map(|i| match i {
            Some(i) => render(&view.index_axis(Axis(0), *i), indent + 1, summarize, f),
            None => "...".into(),
        })
        .collect();
    // One newline between rows of a matrix, two between matrices, and so on.
    let sep = format!(
        ",{}{}",
        "\n".repeat(view.ndim() - 1),
        " ".repeat(indent + 1)
    );
    format!("[{}]", slices.join(&sep))
}

/// The text form of an array: `tensor(..., dtype=.., shape=[..])`.
fn text<T: Element>(view: ArrayViewD<T>) -> String {
    let summarize = view.len() > SUMMARY_THRESHOLD;
    let mut values = Vec::new();
    shown_values(&view, summarize, &mut values);
    let f = NumberFormat::new(&values, T::DTYPE);
    if view.ndim() == 0 {
        let dtype = if T::DTYPE == DType::F64 {
            ", dtype=f64"
        } else {
            ""
        };
        return format!("{PREFIX}{}{dtype})", f.plain(values[0]));
    }
    let body = if view.is_empty() {
        "[]".into()
    } else {
        render(&view, PREFIX.len(), summarize, &f)
    };
    format!(
        "{PREFIX}{body}, dtype={}, shape={:?})",
        T::DTYPE,
        view.shape()
    )
}

/// An HTML table of a 1-d or 2-d array, with row and column indices and a caption.
fn html_table<T: Element>(view: ArrayViewD<T>) -> String {
    let summarize = view.len() > SUMMARY_THRESHOLD;
    // A vector is shown as one row.
    let matrix = if view.ndim() == 1 {
        view.clone().insert_axis(Axis(0))
    } else {
        view.clone()
    };
    let (rows, cols) = (
        shown(matrix.shape()[0], summarize),
        shown(matrix.shape()[1], summarize),
    );
    let mut values = Vec::new();
    shown_values(&matrix, summarize, &mut values);
    let f = NumberFormat::new(&values, T::DTYPE);
    let label = |i: &Option<usize>| i.map_or("...".to_string(), |i| i.to_string());
    let mut html = String::from("<table style=\"font-family:monospace;text-align:right\">\n");
    html += &format!(
        "<caption>shape {:?}, dtype {}</caption>\n<tr><th></th>",
        view.shape(),
        T::DTYPE
    );
    for c in &cols {
        html += &format!("<th>{}</th>", label(c));
    }
    html += "</tr>\n";
    for r in &rows {
        let row_label = if view.ndim() == 1 {
            String::new()
        } else {
            label(r)
        };
        html += &format!("<tr><th>{row_label}</th>");
        for c in &cols {
            let cell = match (r, c) {
                (Some(r), Some(c)) => f.plain(matrix[[*r, *c]].as_f64()),
                _ => "...".into(),
            };
            html += &format!("<td>{cell}</td>");
        }
        html += "</tr>\n";
    }
    html + "</table>"
}

impl fmt::Display for Tensor {
    /// PyTorch's layout plus dtype and shape; see the module doc.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match &self.storage {
            Storage::F32(a) => text(a.view()),
            Storage::F64(a) => text(a.view()),
            Storage::I64(a) => text(a.view()),
            Storage::Bool(a) => text(a.view()),
        })
    }
}

impl fmt::Debug for Tensor {
    /// The same as `Display`, so `{:?}`, `assert_eq!` and `unwrap` show the values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Tensor {
    /// HTML for a notebook: a table with row/column indices and a `shape, dtype`
    /// caption for 1-d and 2-d tensors (summarised like the text form), and the text
    /// form in a `<pre>` for 0-d and ≥ 3-d ones.
    ///
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let html = Tensor::from_vec(vec![1.0, 2.5], &[2]).to_html();
    /// assert!(html.contains("<caption>shape [2], dtype f32</caption>"));
    /// assert!(html.contains("<td>2.5000</td>"));
    /// ```
    pub fn to_html(&self) -> String {
        if self.dims() == 1 || self.dims() == 2 {
            match &self.storage {
                Storage::F32(a) => html_table(a.view()),
                Storage::F64(a) => html_table(a.view()),
                Storage::I64(a) => html_table(a.view()),
                Storage::Bool(a) => html_table(a.view()),
            }
        } else {
            format!("<pre>{self}</pre>")
        }
    }

    /// Show this tensor as rich output in an evcxr (Rust Jupyter) notebook: evcxr calls
    /// `evcxr_display` on a cell's last value and renders the HTML ([`Tensor::to_html`])
    /// printed between its `EVCXR_BEGIN_CONTENT` / `EVCXR_END_CONTENT` markers.
    pub fn evcxr_display(&self) {
        println!("{}", self.evcxr_content());
    }

    /// What [`Tensor::evcxr_display`] prints.
    fn evcxr_content(&self) -> String {
        format!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.to_html()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n).map(|x| x as f32).collect(), shape)
    }

    #[test]
    fn matrix_prints_like_pytorch_with_dtype_and_shape() {
        let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let want = "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], dtype=f32, shape=[2, 2])";
        assert_eq!(t.to_string(), want);
        assert_eq!(format!("{t:?}"), want);
        let t64 = t.to_dtype(DType::F64);
        assert!(t64.to_string().ends_with("]], dtype=f64, shape=[2, 2])"));
    }

    #[test]
    fn integers_and_bools_print_like_pytorch() {
        let ids = Tensor::from_vec_i64(vec![3, -10, 120], &[3]);
        assert_eq!(
            ids.to_string(),
            "tensor([  3, -10, 120], dtype=i64, shape=[3])"
        );
        let mask = Tensor::from_vec_bool(vec![true, false, true, true], &[2, 2]);
        let want = "tensor([[ True, False],\n        [ True,  True]], dtype=bool, shape=[2, 2])";
        assert_eq!(mask.to_string(), want);
        assert_eq!(Tensor::from_vec_i64(vec![7], &[]).to_string(), "tensor(7)");
        assert!(ids.to_html().contains("<td>-10</td>"));
        // large whole numbers stay integers, where floats would switch to e-notation
        let big = Tensor::from_vec_i64(vec![1, 3_000_000_000], &[2]);
        assert_eq!(
            big.to_string(),
            "tensor([         1, 3000000000], dtype=i64, shape=[2])"
        );
    }

    #[test]
    fn scalars_print_bare() {
        assert_eq!(Tensor::scalar(3.5).to_string(), "tensor(3.5000)");
        let s64 = Tensor::from_vec_f64(vec![-0.25], &[]);
        assert_eq!(s64.to_string(), "tensor(-0.2500, dtype=f64)");
    }

    #[test]
    fn negatives_align_and_wide_ranges_go_scientific() {
        let t = Tensor::from_vec(vec![1.5, -2.0, 10.0], &[3]);
        assert_eq!(
            t.to_string(),
            "tensor([ 1.5000, -2.0000, 10.0000], dtype=f32, shape=[3])"
        );
        // 1e-5 is below 1e-4, so every element switches to PyTorch's e-notation
        let t = Tensor::from_vec(vec![1e-5, 2.0, -3.0, 4.0], &[4]);
        assert_eq!(
            t.to_string(),
            "tensor([ 1.0000e-05,  2.0000e+00, -3.0000e+00,  4.0000e+00], dtype=f32, shape=[4])"
        );
        let t = Tensor::from_vec(vec![f32::NAN, f32::NEG_INFINITY, 0.5], &[3]);
        assert_eq!(
            t.to_string(),
            "tensor([   nan,   -inf, 0.5000], dtype=f32, shape=[3])"
        );
    }

    #[test]
    fn three_d_separates_matrices_with_a_blank_line() {
        let want = "tensor([[[0.0000, 1.0000],\n         [2.0000, 3.0000]],\n\n        \
                    [[4.0000, 5.0000],\n         [6.0000, 7.0000]]], dtype=f32, shape=[2, 2, 2])";
        assert_eq!(range(8, &[2, 2, 2]).to_string(), want);
    }

    #[test]
    fn long_rows_wrap_at_80_columns() {
        // "tensor(" + 8 numbers of width 7 joined by ", " = 7 + 8·9 - 2 = 77 < 80
        let want = "tensor([ 0.0000,  1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.0000,  7.0000,\n         \
                    8.0000,  9.0000, 10.0000], dtype=f32, shape=[11])";
        assert_eq!(range(11, &[11]).to_string(), want);
    }

    #[test]
    fn big_tensors_are_summarised_with_edge_items() {
        // 3000 elements > 1000: first and last 3 around " ...", whole numbers stay fixed
        let want = "tensor([   0.0000,    1.0000,    2.0000,  ..., 2997.0000, 2998.0000,\n        \
                    2999.0000], dtype=f32, shape=[3000])";
        assert_eq!(range(3000, &[3000]).to_string(), want);
        let s = range(2000, &[40, 50]).to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 13, "{s}"); // 6 rows of 2 lines, plus the "...," line
        assert_eq!(
            lines[0],
            "tensor([[   0.0000,    1.0000,    2.0000,  ...,   47.0000,   48.0000,"
        );
        assert_eq!(lines[6], "        ...,");
        assert!(
            s.ends_with("1999.0000]], dtype=f32, shape=[40, 50])"),
            "{s}"
        );
        // exactly 1000 elements are printed in full
        assert!(!range(1000, &[1000]).to_string().contains("..."));
    }

    #[test]
    fn views_print_in_logical_order_and_empty_tensors_print_brackets() {
        let stored =
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 2]), vec![1.0f32, 2.0, 3.0, 4.0]);
        let transposed = Tensor::from_array(stored.unwrap().reversed_axes());
        assert_eq!(
            transposed.to_string(),
            "tensor([[1.0000, 3.0000],\n        [2.0000, 4.0000]], dtype=f32, shape=[2, 2])"
        );
        assert_eq!(
            Tensor::zeros(&[0, 3]).to_string(),
            "tensor([], dtype=f32, shape=[0, 3])"
        );
    }

    #[test]
    fn html_table_has_indices_caption_and_summary() {
        let html = Tensor::from_vec(vec![1.0, 2.0, 3.0, -4.5], &[2, 2]).to_html();
        let want = "<table style=\"font-family:monospace;text-align:right\">\n\
                    <caption>shape [2, 2], dtype f32</caption>\n\
                    <tr><th></th><th>0</th><th>1</th></tr>\n\
                    <tr><th>0</th><td>1.0000</td><td>2.0000</td></tr>\n\
                    <tr><th>1</th><td>3.0000</td><td>-4.5000</td></tr>\n\
                    </table>";
        assert_eq!(html, want);
        let big = range(2000, &[40, 50]).to_html();
        assert_eq!(big.matches("<tr>").count(), 1 + 7); // header + 3 + "..." + 3
        assert!(big.contains("<th>...</th><th>47</th>"), "{big}");
        assert!(big.contains("<td>1999.0000</td></tr>"), "{big}");
        let cube = range(8, &[2, 2, 2]).to_html();
        assert!(cube.starts_with("<pre>tensor([[[0.0000, 1.0000],") && cube.ends_with("</pre>"));
        assert_eq!(Tensor::scalar(1.0).to_html(), "<pre>tensor(1.0000)</pre>");
        assert_eq!(
            Tensor::scalar(1.0).evcxr_content(),
            "EVCXR_BEGIN_CONTENT text/html\n<pre>tensor(1.0000)</pre>\nEVCXR_END_CONTENT"
        );
    }
}
