//! What the A/B benches share: criterion's run of a variant, keeping its best time per iteration
//! for the ratio printed after the report.

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use std::time::{Duration, Instant};

/// Runs `step` as `name` in `group`; returns its best time per call (`Duration::MAX` when a
/// name filter skipped it).
pub fn best_of(
    group: &mut BenchmarkGroup<WallTime>,
    name: &str,
    mut step: impl FnMut(),
) -> Duration {
    let mut min = Duration::MAX;
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                step();
            }
            let elapsed = start.elapsed();
            min = min.min(elapsed / iters as u32);
            elapsed
        })
    });
    min
}

/// `best` against `base` as "time, bandwidth over `bytes`, ratio", or `None` when a name filter
/// skipped either.
pub fn versus(best: Duration, base: Duration, bytes: usize) -> Option<String> {
    if best == Duration::MAX || base == Duration::MAX {
        return None;
    }
    Some(format!(
        "{:>8.2} ms {:>7.1} GB/s {:>7.2}x",
        best.as_secs_f64() * 1e3,
        bytes as f64 / best.as_secs_f64() / 1e9,
        base.as_secs_f64() / best.as_secs_f64()
    ))
}
