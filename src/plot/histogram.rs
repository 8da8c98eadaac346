//! Histograms: how the values of a tensor are spread (activations of a layer, its
//! gradients, its weights), with their count, mean and standard deviation.
//!
//! Bins follow NumPy's `histogram`: `bins` equal-width bins from the smallest to the
//! largest finite value, each half-open `[a, b)` except the last, which is closed:
//! ```text
//! width = (max − min) / bins,   bin(v) = min(⌊(v − min) / width⌋, bins − 1)
//! ```
//! This is the last plot; `mod.rs` ties them together.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    DEFAULT_SIZE, DrawResult, Figure, Spec, axis_ticks, color, fail, finite_bounds, font, padded,
};

/// A histogram's spec: bin edges and counts, computed once, plus the statistics.
#[derive(Clone, Debug)]
pub(super) struct Histogram {
    pub(super) title: String,
    /// `bins + 1` increasing edges.
    edges: Vec<f64>,
    counts: Vec<usize>,
    /// Finite values counted, their mean and (population) standard deviation.
    n: usize,
    mean: f64,
    std: f64,
    /// NaN and ±inf values, which no bin holds.
    non_finite: usize,
}

/// Histogram of `values` in `bins` equal-width bins; the x-axis caption gives the
/// number of values, their mean and standard deviation (and how many were NaN or
/// infinite, which are not counted in any bin).
///
/// # Panics
/// If `bins` is 0.
///
/// # Examples
/// ```
/// use ferrograd::prelude::*;
/// manual_seed(0);
/// let activations: Vec<f64> = Tensor::randn(&[1000]).to_vec();
/// let fig = ferrograd::plot::histogram("layer 1 activations", &activations, 30);
/// # let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-hist.png", std::process::id()));
/// fig.save_png(&path).unwrap(); // a unique file in the temporary directory
/// assert!(fig.svg().contains("n=1000"));
/// ```
#[track_caller]
pub fn histogram(title: &str, values: &[f64], bins: usize) -> Figure {
    if bins == 0 {
        fail(
            "histogram",
            "bins must be at least 1, got 0",
            "30 bins suit about a thousand values",
        );
    }
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite_bounds(finite.iter().copied()).unwrap_or((0.0, 1.0));
    // all values equal: one unit around them, as NumPy does
    let range = if hi > lo { lo..hi } else { padded(lo, hi, 0.0) };
    let width = (range.end - range.start) / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|i| range.start + i as f64 * width).collect();
    let mut counts = vec![0; bins];
    for v in &finite {
        let bin = ((v - range.start) / width) as usize;
        counts[bin.min(bins - 1)] += 1;
    }
    let n = finite.len();
    // (an empty f64 sum is -0.0, so no values are special-cased to print 0)
    let (mean, var) = if n == 0 {
        (0.0, 0.0)
    } else {
        let mean = finite.iter().sum::<f64>() / n as f64;
        (
            mean,
            finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64,
        )
    };
    let spec = Histogram {
        title: title.into(),
        edges,
        counts,
        n,
        mean,
        std: var.sqrt(),
        non_finite: values.len() - n,
    };
    Figure::new(Spec::Histogram(spec), DEFAULT_SIZE)
}

impl Histogram {
    /// The x-axis caption: `value   n=.. mean=.. std=..`.
    fn caption(&self) -> String {
        let mut text = format!(
            "value   n={}  mean={:.4}  std={:.4}",
            self.n, self.mean, self.std
        );
        if self.non_finite > 0 {
            text += &format!("  non-finite={}", self.non_finite);
        }
        text
    }
}

/// Draw the axes and one bar per non-empty bin.
pub(super) fn draw<DB: DrawingBackend>(s: &Histogram, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let x_range = s.edges[0]..s.edges[s.edges.len() - 1];
    let x_span = x_range.end - x_range.start;
    let top = s.counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.05;
    let mut chart = ChartBuilder::on(area)
        .caption(&s.title, font(20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(s.caption())
        .y_desc("count")
        .x_label_formatter(&axis_ticks(x_span))
        .y_label_formatter(&axis_ticks(top))
        .label_style(font(13))
        .light_line_style(BLACK.mix(0.04))
        .axis_desc_style(font(14))
        .draw()?;
    let fill = color(0).mix(0.85).filled();
    let bars = s.counts.iter().enumerate().filter(|(_, c)| **c > 0);
    chart.draw_series(
        bars.map(|(i, &c)| Rectangle::new([(s.edges[i], 0.0), (s.edges[i + 1], c as f64)], fill)),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::has_text;

    fn spec(fig: &Figure) -> &Histogram {
        match &fig.spec {
            Spec::Histogram(s) => s,
            _ => unreachable!(),
        }
    }

    #[test]
    fn bins_are_numpys_and_the_last_is_closed() {
        // range [0, 4], width 1: 0 → bin 0, 1.5 → bin 1, 3.99 and 4 → bin 3
        let fig = histogram("h", &[0.0, 1.5, 3.99, 4.0, f64::NAN], 4);
        let s = spec(&fig);
        assert_eq!(s.edges, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.counts, vec![1, 1, 0, 2]);
        assert_eq!((s.n, s.non_finite), (4, 1));
        // mean = 9.49 / 4
        assert!((s.mean - 9.49 / 4.0).abs() < 1e-12);
        let svg = fig.svg();
        assert!(has_text(svg, "h"));
        assert!(svg.contains("n=4  mean=2.3725"), "{svg}");
        assert!(svg.contains("non-finite=1"));
        // one bar per non-empty bin, in the first palette colour
        assert_eq!(svg.matches("fill=\"#1F77B4\"").count(), 3, "{svg}");
    }

    #[test]
    fn equal_values_get_a_unit_range() {
        let fig = histogram("c", &[2.0, 2.0], 2);
        let s = spec(&fig);
        assert_eq!(s.edges, vec![1.5, 2.0, 2.5]);
        assert_eq!(s.counts, vec![0, 2]); // 2.0 is the left edge of bin 1
        assert_eq!(s.std, 0.0);
    }

    #[test]
    fn no_values_draw_empty_axes() {
        let fig = histogram("empty", &[], 3);
        assert_eq!(spec(&fig).counts, vec![0, 0, 0]);
        assert!(fig.svg().contains("n=0  mean=0.0000"));
    }

    #[test]
    #[should_panic(expected = "histogram: bins must be at least 1, got 0")]
    fn zero_bins_panic() {
        let _ = histogram("h", &[1.0], 0);
    }
}
