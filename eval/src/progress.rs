//! Progress bars on stderr for long runs (hidden when stderr is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `total` units of which `done` were finished by an earlier run; the ETA counts
/// only this run's pace. The message slot is for a throughput such as "42.0 tok/s".
pub fn bar(total: usize, done: usize, unit: &str) -> ProgressBar {
    let template = format!(
        "{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {unit} · {{msg}} · ETA {{eta}}"
    );
    let style = ProgressStyle::with_template(&template)
        .expect("the template is valid")
        .progress_chars("=> ");
    let bar = ProgressBar::new(total as u64)
        .with_style(style)
        .with_position(done as u64);
    bar.reset_eta();
    bar
}

/// `n` per second over `secs`, for the bar's message and the reports.
pub fn per_sec(n: usize, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}
