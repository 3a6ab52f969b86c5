//! Learning rate: linear warm-up, then cosine decay to zero.
//!
//! A pure function of the step rather than one of Burn's stateful schedulers: a resumed run
//! needs nothing but the step to be back on the same curve.

/// Learning rate of optimizer step `step` (0-based) out of `total`.
pub fn lr_at(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        return peak * (step + 1) as f64 / warmup as f64;
    }
    let span = total.saturating_sub(warmup).max(1) as f64;
    let progress = ((step - warmup) as f64 / span).min(1.0);
    peak * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_linearly_then_decays_by_cosine() {
        let lr = |s| lr_at(s, 110, 10, 1.0);
        assert!((lr(0) - 0.1).abs() < 1e-12);
        assert!((lr(9) - 1.0).abs() < 1e-12);
        assert!(
            (lr(10) - 1.0).abs() < 1e-12,
            "the first decay step is at the peak"
        );
        assert!((lr(60) - 0.5).abs() < 1e-12, "half way down the cosine");
        assert!(lr(109) < 0.001 && lr(109) > 0.0);
        assert_eq!(lr_at(0, 5, 0, 2.0), 2.0, "no warm-up");
    }
}
