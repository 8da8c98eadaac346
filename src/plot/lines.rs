//! Line plots: several named series on one pair of axes, with a legend, optionally
//! on a log-scale y axis; and the training-loss curve built on them.
//!
//! A loss curve shows the raw loss of every step faintly and, on top, its
//! exponential moving average with Adam-style bias correction (TensorBoard's
//! "smoothing"):
//! ```text
//! s₀ = 0,   sₜ = β·sₜ₋₁ + (1 − β)·xₜ,   ŝₜ = sₜ / (1 − βᵗ)
//! ```
//! Without the division by `1 − βᵗ` the curve would start near 0, since `s₀ = 0`.
//! Read next: `log_axis.rs` (the log-scale y axis), then `heatmap.rs`.

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::log_axis::LogAxis;
use super::{
    DEFAULT_SIZE, DrawResult, Figure, Spec, axis_ticks, color, draw_legend, finite_bounds, font,
    padded,
};

/// The smoothing factor of [`loss_curve`]: each point averages roughly the last
/// `1 / (1 − β)` = 10 steps.
const LOSS_BETA: f64 = 0.9;

/// A line plot's spec.
#[derive(Clone, Debug)]
pub(super) struct Lines {
    pub(super) title: String,
    pub(super) x_label: String,
    pub(super) y_label: String,
    series: Vec<Series>,
    pub(super) log_y: bool,
}

/// One line: its points, its palette colour, and whether it is drawn faintly.
#[derive(Clone, Debug)]
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    color: usize,
    faint: bool,
}

/// Line plot of one or more series against their index `0, 1, 2, ..` (training
/// curves: loss or accuracy per step or epoch). Several series get a legend.
/// Non-finite values (a diverged loss) are left out.
///
/// # Examples
/// ```
/// let train = vec![2.3, 1.1, 0.7, 0.5];
/// let val = vec![2.2, 1.3, 0.9, 0.8];
/// let fig = ferrograd::plot::line_plot("loss", "epoch", "loss", &[("train", &train), ("val", &val)]);
/// # let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-line.png", std::process::id()));
/// fig.save_png(&path).unwrap(); // a unique file in the temporary directory
/// assert!(fig.svg().contains("loss"));
/// ```
pub fn line_plot<S: AsRef<[f64]>>(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, S)],
) -> Figure {
    let series = series.iter().map(|(name, ys)| {
        let points = ys.as_ref().iter().enumerate().map(|(i, &y)| (i as f64, y));
        (name.to_string(), points.collect())
    });
    xy_figure(title, x_label, y_label, series.collect())
}

/// Line plot of one or more series of `(x, y)` points, each drawn in the given order
/// (learning rate against step, accuracy against model size). Several series get a
/// legend. Points with a non-finite coordinate are left out.
///
/// # Examples
/// ```
/// let lr: Vec<(f64, f64)> = (0..100).map(|s| (s as f64, 1e-3 * (s as f64 / 100.0))).collect();
/// let fig = ferrograd::plot::xy_plot("warm-up", "step", "lr", &[("lr", lr)]);
/// # let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-xy.svg", std::process::id()));
/// fig.save_svg(&path).unwrap(); // a unique file in the temporary directory
/// assert!(fig.svg().contains("warm-up"));
/// ```
pub fn xy_plot<P: AsRef<[(f64, f64)]>>(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, P)],
) -> Figure {
    let series = series
        .iter()
        .map(|(name, points)| (name.to_string(), points.as_ref().to_vec()));
    xy_figure(title, x_label, y_label, series.collect())
}

/// A training-loss curve: the raw loss of each step, faint, and its smoothed curve
/// ([`ema`] with β = 0.9) on top. Add `.log_y()` when the loss spans decades.
///
/// # Examples
/// ```
/// let losses: Vec<f64> = (0..200).map(|s| 2.0 / (1.0 + s as f64 / 20.0) + 0.1 * (s % 3) as f64).collect();
/// let fig = ferrograd::plot::loss_curve(&losses).log_y();
/// # let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-loss.png", std::process::id()));
/// fig.save_png(&path).unwrap(); // a unique file in the temporary directory
/// ```
pub fn loss_curve(losses: &[f64]) -> Figure {
    let indexed = |ys: &[f64]| -> Vec<(f64, f64)> {
        ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect()
    };
    let raw = Series {
        name: "loss".into(),
        points: indexed(losses),
        color: 0,
        faint: true,
    };
    let smooth = Series {
        name: format!("smoothed (EMA β={LOSS_BETA})"),
        points: indexed(&ema(losses, LOSS_BETA)),
        color: 0,
        faint: false,
    };
    Figure::new(
        Spec::Lines(Lines {
            title: "training loss".into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            series: vec![raw, smooth],
            log_y: false,
        }),
        DEFAULT_SIZE,
    )
}

/// Exponential moving average with bias correction (see the module doc): `ŝₜ`, one per
/// value. A non-finite value is skipped: its output is NaN and the average goes on
/// from the values before it.
///
/// # Examples
/// ```
/// let s = ferrograd::plot::ema(&[1.0, 3.0], 0.5);
/// // s₁ = 0.5, ŝ₁ = 0.5 / 0.5 = 1; s₂ = 0.25 + 1.5 = 1.75, ŝ₂ = 1.75 / 0.75
/// assert_eq!(s[0], 1.0);
/// assert!((s[1] - 1.75 / 0.75).abs() < 1e-12);
/// ```
pub fn ema(values: &[f64], beta: f64) -> Vec<f64> {
    let (mut s, mut beta_t) = (0.0, 1.0);
    values
        .iter()
        .map(|&x| {
            if !x.is_finite() {
                return f64::NAN;
            }
            s = beta * s + (1.0 - beta) * x;
            beta_t *= beta;
            s / (1.0 - beta_t)
        })
        .collect()
}

/// A line-plot figure with one palette colour per series.
fn xy_figure(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: Vec<(String, Vec<(f64, f64)>)>,
) -> Figure {
    let series = series
        .into_iter()
        .enumerate()
        .map(|(i, (name, points))| Series {
            name,
            points,
            color: i,
            faint: false,
        })
        .collect();
    let spec = Lines {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        series,
        log_y: false,
    };
    Figure::new(Spec::Lines(spec), DEFAULT_SIZE)
}

impl Lines {
    /// The points that can be drawn: finite, and with y > 0 on a log axis.
    fn visible(&self, series: &Series) -> Vec<(f64, f64)> {
        let ok = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!self.log_y || y > 0.0);
        series.points.iter().copied().filter(ok).collect()
    }
}

/// Draw the axes, then every series, then the legend.
pub(super) fn draw<DB: DrawingBackend>(s: &Lines, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let visible: Vec<Vec<(f64, f64)>> = s.series.iter().map(|series| s.visible(series)).collect();
    let all = || visible.iter().flatten();
    let (x_lo, x_hi) = finite_bounds(all().map(|p| p.0)).unwrap_or((0.0, 1.0));
    let x_range = if x_hi > x_lo {
        x_lo..x_hi
    } else {
        padded(x_lo, x_hi, 0.0)
    };
    let (y_lo, y_hi) = finite_bounds(all().map(|p| p.1)).unwrap_or((1.0, 1.0));

    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&s.title, font(20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64);
    if s.log_y {
        // a decade of room when all values are equal, else a little
        let (lo, hi) = if y_hi > y_lo {
            (y_lo / 1.2, y_hi * 1.2)
        } else {
            (y_lo / 10.0, y_hi * 10.0)
        };
        let chart = builder.build_cartesian_2d(x_range, LogAxis(lo..hi))?;
        draw_series(chart, s, &visible)
    } else {
        let chart = builder.build_cartesian_2d(x_range, padded(y_lo, y_hi, 0.05))?;
        draw_series(chart, s, &visible)
    }
}

/// The part of [`draw`] that does not depend on the y axis being linear or log.
fn draw_series<'a, DB, X, Y>(
    mut chart: ChartContext<'a, DB, Cartesian2d<X, Y>>,
    s: &Lines,
    visible: &[Vec<(f64, f64)>],
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (x, y) = (chart.x_range(), chart.y_range());
    chart
        .configure_mesh()
        .x_desc(&s.x_label)
        .y_desc(&s.y_label)
        .x_label_formatter(&axis_ticks(x.end - x.start))
        .y_label_formatter(&axis_ticks(y.end - y.start))
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    for (series, points) in s.series.iter().zip(visible) {
        let c = color(series.color);
        let style = if series.faint {
            c.mix(0.3).stroke_width(1)
        } else {
            c.stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))?
            .label(series.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    if s.series.len() > 1 {
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::{has_text, temp_file};

    /// Each series is one coloured `<polyline>` in the SVG, and each legend entry one
    /// more (the axes and ticks are black polylines).
    fn polylines(fig: &Figure) -> usize {
        let coloured = |l: &&str| l.starts_with("<polyline") && !l.contains("stroke=\"#000000\"");
        fig.svg().lines().filter(coloured).count()
    }

    #[test]
    fn one_series_has_title_labels_and_one_line() {
        let fig = line_plot(
            "Loss per epoch",
            "epoch",
            "nll",
            &[("train", [3.0, 2.0, 1.0])],
        );
        let svg = fig.svg();
        assert!(has_text(svg, "Loss per epoch"), "{svg}");
        assert!(has_text(svg, "epoch") && has_text(svg, "nll"));
        assert!(svg.contains("font-family=\"monospace\""));
        assert_eq!(polylines(&fig), 1); // no legend for a single series
    }

    #[test]
    fn several_series_get_a_legend() {
        let train = vec![3.0, 2.0, 1.0];
        let val = vec![3.5, 2.5, 2.0];
        let fig = line_plot("t", "x", "y", &[("train", &train), ("val", &val)]);
        assert_eq!(polylines(&fig), 2 + 2); // two lines, two legend samples
        assert!(has_text(fig.svg(), "train") && has_text(fig.svg(), "val"));
        // the second series has the second palette colour (#FF7F0E)
        assert!(fig.svg().contains("#FF7F0E"), "{}", fig.svg());
    }

    #[test]
    fn xy_plot_keeps_points_and_drops_non_finite_ones() {
        let a = vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 4.0)];
        let fig = xy_plot("xy", "x", "y", &[("a", a)]);
        let Spec::Lines(spec) = &fig.spec else {
            unreachable!()
        };
        assert_eq!(spec.visible(&spec.series[0]), vec![(0.0, 1.0), (2.0, 4.0)]);
        assert_eq!(polylines(&fig), 1);
    }

    #[test]
    fn log_y_drops_non_positive_points_and_labels_decades() {
        let fig = line_plot(
            "log",
            "step",
            "loss",
            &[("a", [100.0, 10.0, 1.0, 0.0, 0.01])],
        )
        .log_y();
        let Spec::Lines(spec) = &fig.spec else {
            unreachable!()
        };
        assert!(spec.log_y);
        assert_eq!(spec.visible(&spec.series[0]).len(), 4); // 0 cannot be shown
        // 0.01..100: 15 ticks at 1, 2, 5 × 10ᵏ are too many, so powers of ten only
        let svg = fig.svg();
        for label in ["0.01", "0.1", "1", "10", "100"] {
            assert!(has_text(svg, label), "no tick {label}: {svg}");
        }
        assert!(!has_text(svg, "50"));
        assert_eq!(polylines(&fig), 1);
    }

    #[test]
    fn empty_and_constant_series_still_draw_axes() {
        let empty: [(&str, &[f64]); 0] = [];
        let fig = line_plot("nothing", "x", "y", &empty);
        assert!(has_text(fig.svg(), "nothing"));
        let fig = line_plot("flat", "x", "y", &[("c", [2.0, 2.0])]).log_y();
        assert_eq!(polylines(&fig), 1);
    }

    #[test]
    fn ema_debiases_and_skips_nan() {
        // β = 0.5: ŝ₁ = x₁ = 2; s₂ = 0.5·1 + 0.5·4 = 2.5, ŝ₂ = 2.5 / 0.75
        let s = ema(&[2.0, f64::NAN, 4.0], 0.5);
        assert_eq!(s[0], 2.0);
        assert!(s[1].is_nan());
        assert!((s[2] - 2.5 / 0.75).abs() < 1e-12);
        // a constant stays constant from the first step on
        assert!(ema(&[5.0; 4], 0.9).iter().all(|v| (v - 5.0).abs() < 1e-12));
    }

    #[test]
    fn loss_curve_draws_raw_and_smoothed_and_saves_png() {
        let losses: Vec<f64> = (0..50).map(|s| 1.0 / (1.0 + s as f64)).collect();
        let fig = loss_curve(&losses);
        assert!(has_text(fig.svg(), "training loss"));
        assert_eq!(polylines(&fig), 2 + 2);
        assert!(
            fig.svg().contains("opacity=\"0.3\" stroke=\"#1F77B4\""),
            "the raw curve is faint"
        );
        let path = temp_file("loss.png");
        fig.log_y().save_png(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        std::fs::remove_file(path).unwrap();
    }
}
