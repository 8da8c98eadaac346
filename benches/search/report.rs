//! The report of a data set's sittings: a Markdown table (medians over the sittings),
//! each curve's queries per CPU-second at recall@10 = 0.95, the per-sitting ratios
//! ferrograd / reference, and the recall–QPS picture (`benches/search/<name>.png`).
//!
//! ```text
//! QPS at recall r* on one curve: the first point with recall ≥ r* and the point
//! before it, log(QPS) interpolated linearly in recall (the curve's own point when
//! the first one already reaches r*; none when no point does)
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use super::{Error, data};

/// Recall@10 at which the curves are compared.
const TARGET: f64 = 0.95;
/// Smallest recall drawn in the picture.
const PLOT_FROM: f64 = 0.8;

/// The rows of each curve: (library, index) → its parameters in first-seen order,
/// each with its rows over the sittings.
type Curves<'a> = BTreeMap<(String, String), Vec<(String, Vec<&'a Row>)>>;

/// One TSV row.
struct Row {
    sitting: usize,
    library: String,
    index: String,
    param: String,
    build: f64,
    recall: f64,
    qps: f64,
}

fn read(name: &str) -> Result<Vec<Row>, Error> {
    let file = data::dir().join(format!("{name}.tsv"));
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 8 {
            return Err(format!("{}: bad line {line:?}", file.display()).into());
        }
        rows.push(Row {
            sitting: f[0].parse()?,
            library: f[1].into(),
            index: f[2].into(),
            param: f[3].into(),
            build: f[4].parse()?,
            recall: f[5].parse()?,
            qps: f[6].parse()?,
        });
    }
    Ok(rows)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => 0.5 * (xs[n / 2 - 1] + xs[n / 2]),
    }
}

/// QPS at recall [`TARGET`] on a curve of (recall, qps) points in parameter order.
fn qps_at_target(curve: &[(f64, f64)]) -> Option<f64> {
    let i = curve.iter().position(|&(r, _)| r >= TARGET)?;
    if i == 0 {
        return Some(curve[0].1);
    }
    let ((r0, q0), (r1, q1)) = (curve[i - 1], curve[i]);
    let t = if r1 > r0 {
        (TARGET - r0) / (r1 - r0)
    } else {
        1.0
    };
    Some((q0.ln() + t * (q1.ln() - q0.ln())).exp())
}

/// Print the report of `name` and draw its picture.
pub fn report(name: &str) -> Result<(), Error> {
    let rows = read(name)?;
    let mut curves: Curves = BTreeMap::new();
    for r in &rows {
        let params = curves
            .entry((r.library.clone(), r.index.clone()))
            .or_default();
        match params.iter_mut().find(|(p, _)| *p == r.param) {
            Some((_, list)) => list.push(r),
            None => params.push((r.param.clone(), vec![r])),
        }
    }
    let sittings: Vec<usize> = {
        let mut s: Vec<usize> = rows.iter().map(|r| r.sitting).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    println!("\n{name}: medians over sittings {sittings:?} (queries per CPU-second, 1 thread)\n");
    println!(
        "| library | index | parameter | recall@10 | QPS | build s |\n|---|---|---|---:|---:|---:|"
    );
    let mut series = Vec::new();
    for ((library, index), params) in &curves {
        let mut points = Vec::new();
        for (param, list) in params {
            let recall = median(list.iter().map(|r| r.recall).collect());
            let qps = median(list.iter().map(|r| r.qps).collect());
            let build = median(list.iter().map(|r| r.build).collect());
            println!("| {library} | {index} | {param} | {recall:.4} | {qps:.0} | {build:.2} |");
            points.push((recall, qps));
        }
        // The picture shows recall from PLOT_FROM up; an exact index (one point) is a
        // horizontal line at its throughput across that range.
        let points: Vec<(f64, f64)> = match points[..] {
            [(_, qps)] => vec![(PLOT_FROM, qps), (1.0, qps)],
            _ => points
                .into_iter()
                .filter(|&(r, _)| r >= PLOT_FROM)
                .collect(),
        };
        series.push((format!("{library} {index}"), points));
    }
    println!("\nQPS at recall@10 = {TARGET} (interpolated), per sitting:");
    for ((library, index), params) in &curves {
        let per_sitting: Vec<String> = sittings
            .iter()
            .map(|&s| {
                let curve: Vec<(f64, f64)> = (params.iter())
                    .filter_map(|(_, list)| {
                        list.iter()
                            .find(|r| r.sitting == s)
                            .map(|r| (r.recall, r.qps))
                    })
                    .collect();
                qps_at_target(&curve).map_or("-".into(), |q| format!("{q:.0}"))
            })
            .collect();
        println!("  {library:<10} {index:<24} {}", per_sitting.join("  "));
    }
    let picture = data::root().join(format!("benches/search/{name}.png"));
    draw(
        &picture,
        &format!("{name}: recall@10 vs queries per CPU-second, 1 thread"),
        &series,
    )?;
    println!("saved {}", picture.display());
    Ok(())
}

/// The recall–QPS picture: one line with markers per curve, log-scale QPS, the legend
/// in the lower left (where no curve goes: low recall is off the picture, and the
/// slow end of every curve is at the right).
fn draw(path: &Path, title: &str, series: &[(String, Vec<(f64, f64)>)]) -> Result<(), Error> {
    use plotters::prelude::*;
    static FONT: &[u8] = include_bytes!("../../data/fonts/DejaVuSansMono.ttf");
    let _ = plotters::style::register_font("monospace", FontStyle::Normal, FONT);
    let qps = series.iter().flat_map(|(_, p)| p.iter().map(|&(_, q)| q));
    let (low, high) = qps.fold((f64::INFINITY, 0.0f64), |(l, h), q| (l.min(q), h.max(q)));
    let root = BitMapBackend::new(path, (1000, 650)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("monospace", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(PLOT_FROM..1.0, ((low * 0.8)..(high * 1.25)).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("recall@10")
        .y_desc("queries per CPU-second (log scale)")
        .label_style(("monospace", 14))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("monospace", 14))
        .draw()?;
    root.present()?;
    Ok(())
}
