//! Bar charts: one value per named category (a probability per token), with several
//! series side by side to compare them (a distribution before and after a decoding
//! filter).
//!
//! ```text
//!  p │ █▒
//!    │ █▒  █▒                 series "before" █, "after" ▒
//!    │ █▒  █▒  █
//!    └─────────────────
//!      the  a   cat
//! ```
//! Category `i` is centred at x = i; its bars share the middle 80 % of the unit
//! around it, one slot per series. Category labels are drawn in pixels under the
//! axis, so each sits under its group whatever the tick positions.
//! Read next: `histogram.rs`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    DEFAULT_SIZE, DrawResult, Figure, Spec, axis_ticks, color, draw_legend, fail, finite_bounds,
    font, padded,
};

/// A bar chart's spec.
#[derive(Clone, Debug)]
pub(super) struct Bars {
    pub(super) title: String,
    y_label: String,
    categories: Vec<String>,
    series: Vec<(String, Vec<f64>)>,
}

/// Bar chart of one or more series over the same categories: bar `i` of a series
/// has height `values[i]` and sits over `categories[i]`; several series stand side by
/// side, in palette order, with a legend. Non-finite values get no bar.
///
/// # Panics
/// If there is no series, or a series does not have one value per category.
///
/// # Examples
/// ```
/// let tokens = ["the", "a", "cat"];
/// let fig = ferrograd::plot::bar_chart("next token", "probability", &tokens,
///     &[("before", [0.5, 0.3, 0.2]), ("after top-k 2", [0.625, 0.375, 0.0])]);
/// let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-bars.png", std::process::id()));
/// fig.save_png(&path).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// assert!(fig.svg().contains("cat"));
/// ```
#[track_caller]
pub fn bar_chart<S: AsRef<[f64]>>(
    title: &str,
    y_label: &str,
    categories: &[&str],
    series: &[(&str, S)],
) -> Figure {
    if series.is_empty() {
        fail(
            "bar_chart",
            "no series to draw",
            "pass at least one (name, values) pair",
        );
    }
    for (name, values) in series {
        if values.as_ref().len() != categories.len() {
            fail(
                "bar_chart",
                format!(
                    "series \"{name}\" has {} values for {} categories",
                    values.as_ref().len(),
                    categories.len()
                ),
                "give every series one value per category",
            );
        }
    }
    let spec = Bars {
        title: title.into(),
        y_label: y_label.into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        series: series
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_ref().to_vec()))
            .collect(),
    };
    Figure::new(Spec::Bars(spec), DEFAULT_SIZE)
}

/// Draw the axes, the bars, the category labels and (for several series) the legend.
pub(super) fn draw<DB: DrawingBackend>(s: &Bars, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = s.categories.len();
    let all = s.series.iter().flat_map(|(_, v)| v.iter().copied());
    let (lo, hi) = finite_bounds(all.chain([0.0])).unwrap_or((0.0, 1.0));
    let y_range = if hi > lo {
        (lo - 0.05 * (hi - lo)).min(0.0)..hi + 0.1 * (hi - lo)
    } else {
        padded(lo, hi, 0.0)
    };
    let y_span = y_range.end - y_range.start;
    let mut chart = ChartBuilder::on(area)
        .caption(&s.title, font(20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..n as f64 - 0.5, y_range)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(&s.y_label)
        .y_label_formatter(&axis_ticks(y_span))
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    let slot = 0.8 / s.series.len() as f64;
    for (k, (name, values)) in s.series.iter().enumerate() {
        let fill = color(k).mix(0.85).filled();
        let left = |i: usize| i as f64 - 0.4 + k as f64 * slot;
        let bars = values.iter().enumerate().filter(|(_, v)| v.is_finite());
        chart
            .draw_series(
                bars.map(|(i, &v)| Rectangle::new([(left(i), 0.0), (left(i) + slot, v)], fill)),
            )?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], fill));
    }
    let centred = font(13).pos(Pos::new(HPos::Center, VPos::Top));
    let below = chart.backend_coord(&(0.0, chart.y_range().start)).1 + 6;
    for (i, label) in s.categories.iter().enumerate() {
        let x = chart.backend_coord(&(i as f64, 0.0)).0;
        area.draw_text(label, &centred, (x, below))?;
    }
    if s.series.len() > 1 {
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::has_text;

    #[test]
    fn one_bar_per_finite_value_in_series_colours_with_labels() {
        let fig = bar_chart(
            "dist",
            "p",
            &["x", "y", "z"],
            &[("before", [0.5, 0.3, 0.2]), ("after", [0.6, f64::NAN, 0.4])],
        );
        let svg = fig.svg();
        for text in ["dist", "x", "y", "z", "before", "after"] {
            assert!(has_text(svg, text), "{text} missing");
        }
        // bars plus one legend swatch per series
        let filled = |c: &str| svg.matches(&format!("fill=\"{c}\"")).count();
        assert_eq!(filled("#1F77B4"), 3 + 1);
        assert_eq!(filled("#FF7F0E"), 2 + 1);
    }

    #[test]
    #[should_panic(expected = "bar_chart: series \"a\" has 2 values for 3 categories")]
    fn lengths_must_match() {
        let _ = bar_chart("t", "p", &["x", "y", "z"], &[("a", [1.0, 2.0])]);
    }
}
