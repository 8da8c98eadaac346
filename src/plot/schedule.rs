//! Learning-rate schedules drawn as curves: `lr(step)` for `step` in `0..steps`, one
//! line per schedule, so warmup, cosine decay and Noam can be compared on one picture.
//!
//! ```text
//! lr ▲      ╭──╮                       WarmupCosine: linear ramp, then half a cosine
//!    │     ╱    ╲___
//!    │    ╱         ╲____
//!    └──────────────────────▶ step
//! ```
//! Read next: `ferrograd::optim::schedule`, where each schedule's formula is.

use optim::LrSchedule;

use super::{Figure, xy_plot};

/// Plot each named schedule's `lr(step)` for `step` in `0..steps` on one pair of axes.
/// Save it with [`Figure::save_png`] / [`Figure::save_svg`], or end a notebook cell
/// with it.
///
/// # Examples
/// ```
/// use ferrograd::optim::schedule::{Noam, WarmupCosine};
/// let cosine = WarmupCosine::new(1e-3, 10, 100);
/// let noam = Noam::new(512, 10);
/// let fig = ferrograd::plot::lr_schedule("schedules", &[("warmup+cosine", &cosine), ("noam", &noam)], 100);
/// # let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-schedule.png", std::process::id()));
/// fig.save_png(&path).unwrap(); // a unique file in the temporary directory
/// assert!(fig.svg().contains("noam"));
/// ```
pub fn lr_schedule(title: &str, schedules: &[(&str, &dyn LrSchedule)], steps: usize) -> Figure {
    let curves: Vec<(&str, Vec<(f64, f64)>)> = schedules
        .iter()
        .map(|&(name, schedule)| {
            let points = (0..steps).map(|s| (s as f64, schedule.lr(s))).collect();
            (name, points)
        })
        .collect();
    xy_plot(title, "step", "learning rate", &curves)
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim::schedule::WarmupCosine;

    #[test]
    fn png_and_svg_are_written_with_labels() {
        let schedule = WarmupCosine::new(0.1, 10, 100);
        let fig = lr_schedule("cosine", &[("warmup+cosine", &schedule)], 120);
        assert!(fig.svg().contains("learning rate"));
        let path = std::env::temp_dir().join(format!("ferrograd_sched_{}.png", std::process::id()));
        fig.save_png(&path).unwrap();
        assert_eq!(&std::fs::read(&path).unwrap()[1..4], b"PNG");
        std::fs::remove_file(path).unwrap();
    }
}
