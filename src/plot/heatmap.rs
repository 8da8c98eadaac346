//! Heatmaps of a matrix (attention weights, confusion matrices), with row and column
//! labels and a colour bar.
//!
//! ```text
//!          the  cat  sat          ┌─┐ 0.9   (max)
//!    le   ████ ░░░░ ░░░░          │█│
//!    chat ░░░░ ████ ▒▒▒▒          │▒│
//!    ...                          └─┘ 0.0   (min)
//! ```
//! Row 0 is at the top, as the matrix is printed. A value `v` is coloured by its
//! position between the smallest and largest finite value, `t = (v − min)/(max − min)`,
//! on the viridis colour map (dark purple at 0, yellow at 1), which stays readable
//! in grey print and for colour-blind readers. NaN cells are grey.
//!
//! The layout is computed in pixels here rather than through a chart, so that every
//! label sits at the centre of its row or column.
//! Read next: `scatter.rs`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use super::{DrawResult, Figure, Spec, fail, finite_bounds, font, tick};

/// A heatmap's spec: the matrix values row by row, and the labels.
#[derive(Clone, Debug)]
pub(super) struct Heatmap {
    pub(super) title: String,
    rows: usize,
    cols: usize,
    values: Vec<f64>,
    row_labels: Vec<String>,
    col_labels: Vec<String>,
}

/// Matplotlib's viridis at t = 0, 1/8, .., 1; colours in between are interpolated.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// Labels longer than this are cut (with `…`), so they cannot squeeze the cells away.
const MAX_LABEL_CHARS: usize = 16;

/// Heatmap of a 2-d tensor `[rows, cols]`: one coloured cell per element, row 0 at the
/// top, with the values written in the cells when they fit, and a colour bar with the
/// minimum and maximum. Labels default to the indices `0, 1, ..`.
///
/// # Shapes
/// `matrix: [rows, cols]`; `row_labels`: `rows` labels; `col_labels`: `cols` labels.
///
/// # Panics
/// If `matrix` is not 2-d, is empty, or a label list has the wrong length.
///
/// # Examples
/// ```
/// use ferrograd::prelude::*;
/// let attn = Tensor::from_vec(vec![0.9, 0.1, 0.3, 0.7], &[2, 2]);
/// let src: Vec<String> = vec!["le".into(), "chat".into()];
/// let tgt: Vec<String> = vec!["the".into(), "cat".into()];
/// let fig = ferrograd::plot::heatmap("attention", &attn, Some(&tgt), Some(&src));
/// # let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-heatmap.png", std::process::id()));
/// fig.save_png(&path).unwrap(); // a unique file in the temporary directory
/// assert!(fig.svg().contains("chat"));
/// ```
#[track_caller]
pub fn heatmap(
    title: &str,
    matrix: &Tensor,
    row_labels: Option<&[String]>,
    col_labels: Option<&[String]>,
) -> Figure {
    if matrix.dims() != 2 || matrix.numel() == 0 {
        Error::new(
            "heatmap",
            ErrorKind::Shape,
            format!(
                "expected a non-empty 2-d matrix, got shape {:?}",
                matrix.shape()
            ),
        )
        .with_hint("reshape or select one matrix first, e.g. attn.select(0, 0) for batch 0")
        .raise();
    }
    let (rows, cols) = (matrix.shape()[0], matrix.shape()[1]);
    let spec = Heatmap {
        title: title.into(),
        rows,
        cols,
        values: matrix.to_vec::<f64>(),
        row_labels: labels(row_labels, rows, "row"),
        col_labels: labels(col_labels, cols, "column"),
    };
    Figure::new(Spec::Heatmap(spec), (560, 480))
}

/// The given labels (checked and cut to [`MAX_LABEL_CHARS`]), or the indices.
#[track_caller]
fn labels(given: Option<&[String]>, n: usize, what: &str) -> Vec<String> {
    let Some(given) = given else {
        return (0..n).map(|i| i.to_string()).collect();
    };
    if given.len() != n {
        fail(
            "heatmap",
            format!("got {} {what} labels for {n} {what}s", given.len()),
            "pass one label per row/column of the matrix, or None",
        );
    }
    let cut = |l: &String| {
        if l.chars().count() > MAX_LABEL_CHARS {
            l.chars().take(MAX_LABEL_CHARS - 1).chain(['…']).collect()
        } else {
            l.clone()
        }
    };
    given.iter().map(cut).collect()
}

/// The viridis colour at `t` ∈ [0, 1].
fn viridis(t: f64) -> RGBColor {
    let x = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Draw the title, the cells, the labels and the colour bar, in pixel coordinates.
pub(super) fn draw<DB: DrawingBackend>(s: &Heatmap, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let area = area.titled(&s.title, font(20))?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text_w = |t: &str| {
        area.estimate_text_size(t, &font(13))
            .map(|(tw, _)| tw as i32)
    };
    let widest = |ls: &[String]| -> Result<i32, Box<dyn std::error::Error>> {
        ls.iter().try_fold(0, |m, l| Ok(m.max(text_w(l)?)))
    };

    let (lo, hi) = finite_bounds(s.values.iter().copied()).unwrap_or((0.0, 1.0));
    let bar_labels = [tick(hi), tick((lo + hi) / 2.0), tick(lo)];
    let bar_w = 18;
    let right = 16 + bar_w + 6 + widest(&bar_labels)? + 8;
    let x0 = 8 + widest(&s.row_labels)? + 6;
    let x1 = w - right;
    let cell_w = f64::from(x1 - x0) / s.cols as f64;
    // Column labels are turned upright when the widest one does not fit in a cell.
    let col_w = widest(&s.col_labels)?;
    let rotate = col_w + 4 > cell_w as i32;
    let y0 = 6;
    let y1 = h - 8 - if rotate { col_w } else { 14 };
    let cell_h = f64::from(y1 - y0) / s.rows as f64;
    let x_at = |c: usize| x0 + (c as f64 * cell_w).round() as i32;
    let y_at = |r: usize| y0 + (r as f64 * cell_h).round() as i32;
    let t_of = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };

    // cells, with their values when there is room for them
    let whole = s.values.iter().all(|v| v.fract() == 0.0);
    let widest_value = if whole { 6 } else { 5 } * 8;
    let show_values = cell_w >= f64::from(widest_value) && cell_h >= 16.0;
    for r in 0..s.rows {
        for c in 0..s.cols {
            let v = s.values[r * s.cols + c];
            let fill = if v.is_finite() {
                viridis(t_of(v))
            } else {
                RGBColor(200, 200, 200)
            };
            let corners = [(x_at(c), y_at(r)), (x_at(c + 1), y_at(r + 1))];
            area.draw(&Rectangle::new(corners, fill.filled()))?;
            if show_values {
                let ink = if v.is_finite() && t_of(v) < 0.6 {
                    WHITE
                } else {
                    BLACK
                };
                let style = font(12)
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let centre = ((x_at(c) + x_at(c + 1)) / 2, (y_at(r) + y_at(r + 1)) / 2);
                let text = if whole {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                };
                area.draw_text(&text, &style, centre)?;
            }
        }
    }

    // labels: every `step`-th one, so that they do not overlap (about 14 px each)
    let row_step = (14.0 / cell_h).ceil().max(1.0) as usize;
    let right_aligned = font(13).pos(Pos::new(HPos::Right, VPos::Center));
    for r in (0..s.rows).step_by(row_step) {
        let y = (y_at(r) + y_at(r + 1)) / 2;
        area.draw_text(&s.row_labels[r], &right_aligned, (x0 - 6, y))?;
    }
    let col_step = if rotate {
        (14.0 / cell_w).ceil().max(1.0) as usize
    } else {
        1
    };
    let col_style = if rotate {
        // turned 90° to read from bottom to top, its end touching the grid
        font(13)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center))
    } else {
        font(13).pos(Pos::new(HPos::Center, VPos::Top))
    };
    for c in (0..s.cols).step_by(col_step) {
        let x = (x_at(c) + x_at(c + 1)) / 2;
        area.draw_text(&s.col_labels[c], &col_style, (x, y1 + 6))?;
    }

    // colour bar: 64 strips from min (bottom) to max (top), labelled max, middle, min
    let (bx0, bx1) = (x1 + 16, x1 + 16 + bar_w);
    let strips = 64;
    let strip_y = |k: i32| y1 - ((y1 - y0) * k) / strips;
    for k in 0..strips {
        let fill = viridis((f64::from(k) + 0.5) / f64::from(strips));
        area.draw(&Rectangle::new(
            [(bx0, strip_y(k + 1)), (bx1, strip_y(k))],
            fill.filled(),
        ))?;
    }
    area.draw(&Rectangle::new([(bx0, y0), (bx1, y1)], BLACK.mix(0.5)))?;
    let left_aligned = |v| font(13).pos(Pos::new(HPos::Left, v));
    let label_x = bx1 + 6;
    area.draw_text(&bar_labels[0], &left_aligned(VPos::Top), (label_x, y0))?;
    area.draw_text(
        &bar_labels[1],
        &left_aligned(VPos::Center),
        (label_x, (y0 + y1) / 2),
    )?;
    area.draw_text(&bar_labels[2], &left_aligned(VPos::Bottom), (label_x, y1))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::{has_text, temp_file};
    use tensor::DType;

    fn spec(fig: &Figure) -> &Heatmap {
        match &fig.spec {
            Spec::Heatmap(s) => s,
            _ => unreachable!(),
        }
    }

    #[test]
    fn cells_labels_values_and_colour_bar() {
        let m = Tensor::from_vec(vec![-0.5, 0.3, 0.5, 2.0, 0.75, 0.125], &[2, 3]);
        let rows: Vec<String> = vec!["le".into(), "chat".into()];
        let fig = heatmap("Attention", &m, Some(&rows), None);
        let s = spec(&fig);
        assert_eq!((s.rows, s.cols), (2, 3));
        assert_eq!(s.col_labels, vec!["0", "1", "2"]);
        let svg = fig.svg();
        assert!(has_text(svg, "Attention") && has_text(svg, "chat") && has_text(svg, "1"));
        assert!(has_text(svg, "0.30"), "values fit in big cells: {svg}");
        // colour bar labelled max, middle, min; the min cell is viridis(0), the max viridis(1)
        assert!(has_text(svg, "2") && has_text(svg, "0.75") && has_text(svg, "-0.5"));
        assert!(svg.contains("fill=\"#440154\"") && svg.contains("fill=\"#FDE725\""));
        // 1 background + 6 cells + 64 strips + the bar's border
        assert_eq!(svg.matches("<rect").count(), 1 + 6 + 64 + 1, "{svg}");
    }

    #[test]
    fn confusion_matrices_show_whole_numbers_and_big_matrices_hide_values() {
        let m = Tensor::from_vec_f64(vec![50.0, 2.0, 3.0, 45.0], &[2, 2]);
        let svg = heatmap("confusion", &m, None, None).svg().to_string();
        assert!(has_text(&svg, "45") && !has_text(&svg, "45.00"));
        let big = Tensor::ones(&[40, 40]).to_dtype(DType::F64);
        let fig = heatmap("big", &big, None, None);
        assert!(!has_text(fig.svg(), "1.00"));
        let png = temp_file("heatmap.png");
        fig.save_png(&png).unwrap();
        assert!(
            std::fs::read(&png)
                .unwrap()
                .starts_with(b"\x89PNG\r\n\x1a\n")
        );
        std::fs::remove_file(png).unwrap();
    }

    #[test]
    fn transposed_views_are_read_in_logical_order() {
        let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).t();
        let s = spec(&heatmap("t", &m, None, None)).clone();
        assert_eq!((s.rows, s.cols), (3, 2));
        assert_eq!(s.values, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    fn viridis_interpolates_its_stops() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(0.5), RGBColor(33, 144, 141));
        assert_eq!(viridis(2.0), RGBColor(253, 231, 37));
        // halfway between the first two stops
        assert_eq!(viridis(1.0 / 16.0), RGBColor(70, 23, 103));
    }

    #[test]
    fn long_labels_are_cut() {
        let long: Vec<String> = vec!["a-very-long-token-name".into()];
        let m = Tensor::ones(&[1, 1]);
        let s = spec(&heatmap("l", &m, None, Some(&long))).clone();
        assert_eq!(s.col_labels, vec!["a-very-long-tok…"]);
    }

    #[test]
    #[should_panic(expected = "heatmap: expected a non-empty 2-d matrix, got shape [2, 2, 2]")]
    fn three_d_panics() {
        let _ = heatmap("h", &Tensor::ones(&[2, 2, 2]), None, None);
    }

    #[test]
    #[should_panic(expected = "heatmap: expected a non-empty 2-d matrix, got shape [0, 3]")]
    fn empty_panics() {
        let _ = heatmap("h", &Tensor::zeros(&[0, 3]), None, None);
    }

    #[test]
    #[should_panic(expected = "heatmap: got 1 row labels for 2 rows")]
    fn label_count_must_match() {
        let one: Vec<String> = vec!["a".into()];
        let _ = heatmap("h", &Tensor::ones(&[2, 2]), Some(&one), None);
    }
}
