//! Scatter plots of 2-d points, optionally with a text label beside each point and
//! coloured groups: word vectors projected to two dimensions (PCA), embeddings of
//! digits coloured by class.
//!
//! ```text
//!   y │   • king   • queen
//!     │                        • paris
//!     │  • man  • woman          • rome
//!     └──────────────────────────────── x
//! ```
//! Read next: `bars.rs`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, Spec, axis_ticks, color, draw_legend, fail, font, padded};

/// A scatter plot's spec.
#[derive(Clone, Debug)]
pub(super) struct Scatter {
    pub(super) title: String,
    points: Vec<(f64, f64)>,
    labels: Option<Vec<String>>,
    /// The group of each point, and the groups' names (set by `Figure::groups`).
    groups: Option<(Vec<usize>, Vec<String>)>,
    /// Axis descriptions (set by `Figure::with_axis_labels`).
    pub(super) x_label: String,
    pub(super) y_label: String,
}

/// Radius of a point, in pixels.
const RADIUS: i32 = 4;
/// Size of a point's label, in pixels; the bundled monospaced font is 0.6 em wide.
const LABEL_PX: i32 = 13;
/// How far outside the middle 80% of the points (in multiples of that span) a point
/// may lie and still set the scale of its axis.
const OUTLIER_SPANS: f64 = 1.0;

/// Scatter plot of `points`, with `labels[i]` written beside point `i` when labels
/// are given. Colour the points by group with [`Figure::groups`], describe the axes
/// with [`Figure::with_axis_labels`]. Points with a non-finite coordinate are left out.
///
/// So that the picture stays readable:
/// ```text
/// view of an axis = [q10 − s, q90 + s] ∩ [min, max],  s = q90 − q10
/// ```
/// (q10, q90: the 10% and 90% quantiles of the points' coordinates), so one far
/// outlier does not squeeze the rest into a corner; points outside the view are left
/// out and counted under the x axis. A label that would overlap one already written
/// is left out too (labels are written in the order of the points).
///
/// # Panics
/// If `labels` does not have one label per point.
///
/// # Examples
/// ```
/// let words: Vec<String> = ["king", "queen", "man", "woman"].map(String::from).to_vec();
/// let xy = [(1.0, 2.0), (1.5, 2.1), (0.9, 0.5), (1.4, 0.6)];
/// let fig = ferrograd::plot::scatter("word vectors (PCA)", &xy, Some(&words))
///     .groups(&[0, 0, 1, 1], &["royal", "common"]);
/// # let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-scatter.png", std::process::id()));
/// fig.save_png(&path).unwrap(); // a unique file in the temporary directory
/// assert!(fig.svg().contains("queen"));
/// ```
#[track_caller]
pub fn scatter(title: &str, points: &[(f64, f64)], labels: Option<&[String]>) -> Figure {
    if let Some(labels) = labels
        && labels.len() != points.len()
    {
        fail(
            "scatter",
            format!("got {} labels for {} points", labels.len(), points.len()),
            "pass one label per point, or None",
        );
    }
    let spec = Scatter {
        title: title.into(),
        points: points.to_vec(),
        labels: labels.map(<[String]>::to_vec),
        groups: None,
        x_label: String::new(),
        y_label: String::new(),
    };
    Figure::new(Spec::Scatter(spec), (640, 480))
}

impl Scatter {
    /// Check and store the groups (see [`Figure::groups`]).
    #[track_caller]
    pub(super) fn set_groups(&mut self, group_of: &[usize], names: &[&str]) {
        if group_of.len() != self.points.len() {
            fail(
                "groups",
                format!(
                    "got {} group indices for {} points",
                    group_of.len(),
                    self.points.len()
                ),
                "pass the group of every point, in the order of the points",
            );
        }
        if let Some(&bad) = group_of.iter().find(|&&g| g >= names.len()) {
            fail(
                "groups",
                format!("group {bad} has no name: {} names given", names.len()),
                "pass one name per group; groups are numbered from 0",
            );
        }
        let names = names.iter().map(|n| n.to_string()).collect();
        self.groups = Some((group_of.to_vec(), names));
    }

    /// The indices of the points inside `view`, of group `g` if one is given.
    fn members(&self, g: Option<usize>, view: &View) -> Vec<usize> {
        let in_group = |i: &usize| match (&self.groups, g) {
            (Some((of, _)), Some(g)) => of[*i] == g,
            _ => true,
        };
        (0..self.points.len())
            .filter(in_group)
            .filter(|&i| view.contains(self.points[i]))
            .collect()
    }
}

/// The part of the plane the plot shows (see [`scatter`]).
struct View {
    x: (f64, f64),
    y: (f64, f64),
}

impl View {
    fn of(points: &[(f64, f64)]) -> View {
        View {
            x: robust_bounds(points.iter().map(|p| p.0)),
            y: robust_bounds(points.iter().map(|p| p.1)),
        }
    }

    fn contains(&self, (x, y): (f64, f64)) -> bool {
        (self.x.0..=self.x.1).contains(&x) && (self.y.0..=self.y.1).contains(&y)
    }
}

/// `[q10 − s, q90 + s] ∩ [min, max]` with `s = q90 − q10`, over the finite values.
fn robust_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut v: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    v.sort_by(f64::total_cmp);
    let quantile = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let (q10, q90) = (quantile(0.1), quantile(0.9));
    let span = (q90 - q10) * OUTLIER_SPANS;
    ((q10 - span).max(v[0]), (q90 + span).min(v[v.len() - 1]))
}

/// Whether two label boxes `(left, top, right, bottom)` in pixels overlap.
fn overlap(a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Draw the axes, the points of each group, the labels and the legend.
pub(super) fn draw<DB: DrawingBackend>(s: &Scatter, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let view = View::of(&s.points);
    let ((x_lo, x_hi), (y_lo, y_hi)) = (view.x, view.y);
    let finite = s
        .points
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite());
    let hidden = finite.filter(|&&p| !view.contains(p)).count();
    let x_desc = match hidden {
        0 => s.x_label.clone(),
        n => format!("{} ({n} outlying points not shown)", s.x_label)
            .trim_start()
            .to_string(),
    };
    let mut x_range = padded(x_lo, x_hi, 0.08);
    if s.labels.is_some() {
        // room for the labels of the rightmost points
        x_range.end += (x_range.end - x_range.start) * 0.12;
    }
    let y_range = padded(y_lo, y_hi, 0.08);
    let (x_ticks, y_ticks) = (
        axis_ticks(x_range.end - x_range.start),
        axis_ticks(y_range.end - y_range.start),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(&s.title, font(20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, y_range)?;
    chart
        .configure_mesh()
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .x_desc(x_desc)
        .y_desc(s.y_label.as_str())
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;

    let names = s.groups.as_ref().map(|(_, names)| names.clone());
    for g in 0..names.as_ref().map_or(1, Vec::len) {
        let c = color(g);
        let dots = s
            .members(Some(g), &view)
            .into_iter()
            .map(|i| Circle::new(s.points[i], RADIUS, c.filled()));
        let drawn = chart.draw_series(dots)?;
        if let Some(names) = &names {
            drawn
                .label(names[g].as_str())
                .legend(move |p| Circle::new(p, RADIUS, c.filled()));
        }
    }
    if let Some(labels) = &s.labels {
        let (dx, dy) = (RADIUS + 2, -RADIUS - LABEL_PX - 1);
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        for i in s.members(None, &view) {
            let (px, py) = chart.backend_coord(&s.points[i]);
            let width = (labels[i].chars().count() as i32 * LABEL_PX * 3 + 4) / 5;
            let bbox = (px + dx, py + dy, px + dx + width, py + dy + LABEL_PX);
            if placed.iter().any(|&b| overlap(b, bbox)) {
                continue;
            }
            placed.push(bbox);
            chart.draw_series(std::iter::once(
                EmptyElement::at(s.points[i])
                    + Text::new(labels[i].clone(), (dx, dy), font(LABEL_PX as u32)),
            ))?;
        }
    }
    if names.is_some() {
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::{has_text, temp_file};

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn points_and_labels() {
        let labels = words(&["a", "b", "c"]);
        let pts = [(0.0, 0.0), (1.0, 2.0), (f64::NAN, 1.0)];
        let fig = scatter("Embeddings", &pts, Some(&labels));
        let svg = fig.svg();
        assert!(has_text(svg, "Embeddings"));
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "the NaN point is left out"
        );
        assert!(has_text(svg, "a") && has_text(svg, "b"));
        assert!(!has_text(svg, "c"));
    }

    #[test]
    fn an_outlier_does_not_set_the_scale_and_is_counted() {
        let mut pts: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, (i % 5) as f64)).collect();
        pts.push((1e6, 2.0));
        let svg = scatter("o", &pts, None)
            .with_axis_labels("pc1", "pc2")
            .svg()
            .to_string();
        assert_eq!(
            svg.matches("<circle").count(),
            20,
            "the outlier is left out"
        );
        assert!(has_text(&svg, "pc1 (1 outlying points not shown)"));
        assert!(has_text(&svg, "pc2"));
    }

    #[test]
    fn overlapping_labels_are_left_out() {
        let labels = words(&["first", "second", "far"]);
        let pts = [(0.0, 0.0), (0.001, 0.001), (1.0, 1.0)];
        let svg = scatter("l", &pts, Some(&labels)).svg().to_string();
        assert!(has_text(&svg, "first") && has_text(&svg, "far"));
        assert!(!has_text(&svg, "second"), "drawn over 'first'");
    }

    #[test]
    fn groups_have_colours_and_a_legend() {
        let pts = [(0.0, 0.0), (1.0, 1.0), (2.0, 0.5), (3.0, 3.0)];
        let fig = scatter("g", &pts, None).groups(&[0, 1, 1, 2], &["x", "y", "z"]);
        let svg = fig.svg();
        assert_eq!(svg.matches("<circle").count(), 4 + 3); // points + legend markers
        // group 1's points in the second palette colour, plus its legend marker
        assert_eq!(svg.matches("fill=\"#FF7F0E\"").count(), 2 + 1, "{svg}");
        assert!(has_text(svg, "z"));
        let png = temp_file("scatter.png");
        fig.save_png(&png).unwrap();
        assert!(
            std::fs::read(&png)
                .unwrap()
                .starts_with(b"\x89PNG\r\n\x1a\n")
        );
        std::fs::remove_file(png).unwrap();
    }

    #[test]
    #[should_panic(expected = "scatter: got 1 labels for 2 points. Hint: pass one label per point")]
    fn label_count_must_match() {
        let _ = scatter("s", &[(0.0, 0.0), (1.0, 1.0)], Some(&words(&["a"])));
    }

    #[test]
    #[should_panic(expected = "groups: got 1 group indices for 2 points")]
    fn group_count_must_match() {
        let _ = scatter("s", &[(0.0, 0.0), (1.0, 1.0)], None).groups(&[0], &["a"]);
    }

    #[test]
    #[should_panic(expected = "groups: group 2 has no name: 2 names given")]
    fn groups_need_names() {
        let _ = scatter("s", &[(0.0, 0.0), (1.0, 1.0)], None).groups(&[0, 2], &["a", "b"]);
    }
}
