//! A picture of a schedule: `lr(step)` for `step` in `0..steps`, drawn with plotters.
//!
//! ```text
//! lr ▲      ╭──╮                        .png: the curve and a light grid, no text
//!    │     ╱    ╲___                    .svg: the same, with axis labels and a title
//!    │    ╱         ╲____
//!    └──────────────────────▶ step
//! ```
//! PNGs are drawn without any text because plotters' bitmap backend needs a font
//! library (and system fonts) to draw letters, which headless CI machines lack. SVG
//! files leave the lettering to the viewer, so they carry labels.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::LrSchedule;

/// Draw `schedule` over `steps` steps into `path`: an SVG with axis labels when the
/// path ends in `.svg`, otherwise a PNG (800×480) without text.
///
/// # Errors
/// If `steps` is 0, a value is not finite, or the file cannot be written; the error
/// names the file.
///
/// # Examples
/// ```
/// use optim::schedule::{WarmupCosine, plot_schedule};
/// let path = std::env::temp_dir().join("ferrograd_doc_warmup_cosine.svg");
/// plot_schedule(&WarmupCosine::new(1e-3, 10, 100), 100, &path).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// ```
pub fn plot_schedule(
    schedule: &dyn LrSchedule,
    steps: usize,
    path: impl AsRef<Path>,
) -> std::io::Result<()> {
    let path = path.as_ref();
    let fail = |problem: String| {
        let message = format!("plot_schedule {}: {problem}", path.display());
        std::io::Error::other(message)
    };
    if steps == 0 {
        return Err(fail("steps is 0: nothing to draw".to_string()));
    }
    let values: Vec<(usize, f64)> = (0..steps).map(|s| (s, schedule.lr(s))).collect();
    if let Some((s, lr)) = values.iter().find(|(_, lr)| !lr.is_finite()) {
        return Err(fail(format!("lr({s}) = {lr} is not finite")));
    }
    let svg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let result = if svg {
        draw(
            SVGBackend::new(path, (800, 480)).into_drawing_area(),
            &values,
            true,
        )
    } else {
        draw(
            BitMapBackend::new(path, (800, 480)).into_drawing_area(),
            &values,
            false,
        )
    };
    result.map_err(fail)
}

/// Draw the curve on `root`; `labels` adds axis labels and a caption (needs text).
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    values: &[(usize, f64)],
    labels: bool,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let top = values.iter().map(|&(_, lr)| lr).fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.05 } else { 1.0 };
    let bottom = values.iter().map(|&(_, lr)| lr).fold(0.0, f64::min);
    let last = values.len().saturating_sub(1).max(1);
    let mut builder = ChartBuilder::on(&root);
    builder.margin(20);
    if labels {
        builder.caption("learning rate", ("sans-serif", 20));
        builder.x_label_area_size(40).y_label_area_size(70);
    }
    let mut chart = builder
        .build_cartesian_2d(0..last, bottom..top)
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    if labels {
        mesh.x_desc("step").y_desc("lr");
    }
    mesh.light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    let line = LineSeries::new(values.iter().copied(), BLUE.stroke_width(2));
    chart.draw_series(line).map_err(err)?;
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Noam, WarmupCosine};

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ferrograd_optim_{}_{name}", std::process::id()))
    }

    #[test]
    fn png_is_written_without_fonts() {
        let path = temp("noam.png");
        plot_schedule(&Noam::new(512, 40), 200, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn svg_has_labels() {
        let path = temp("cosine.svg");
        plot_schedule(&WarmupCosine::new(0.1, 10, 100), 120, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("<svg") && text.contains("step"));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn errors_name_the_file() {
        let err = plot_schedule(&|_: usize| f64::NAN, 3, "x.png").unwrap_err();
        assert_eq!(
            err.to_string(),
            "plot_schedule x.png: lr(0) = NaN is not finite"
        );
        let err = plot_schedule(&|_: usize| 1.0, 0, "y.svg").unwrap_err();
        assert!(err.to_string().contains("y.svg: steps is 0"));
        let missing_dir = temp("no/such/dir/z.png");
        assert!(plot_schedule(&|_: usize| 1.0, 3, &missing_dir).is_err());
    }
}
