//! Summary statistics over all scored tokens, with llama.cpp's uncertainty estimates.

use serde::{Deserialize, Serialize};

use super::chunk::ChunkRecord;

/// A value and its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub stderr: f64,
}

/// llama.cpp's `mean_and_uncertainty`: the mean and `sqrt((E[x²] - E[x]²) / (n - 1))`, the
/// latter 0 for 10 values or fewer. Its `perplexity()` computes the same for the PPL.
pub fn mean_and_uncertainty(sum: f64, sum2: f64, count: usize) -> Estimate {
    if count == 0 {
        return Estimate {
            value: 0.0,
            stderr: 0.0,
        };
    }
    let n = count as f64;
    let mean = sum / n;
    let var = sum2 / n - mean * mean;
    Estimate {
        value: mean,
        stderr: if var > 0.0 && count > 10 {
            (var / (n - 1.0)).sqrt()
        } else {
            0.0
        },
    }
}

/// llama.cpp's covariance of the two means (0 for fewer than 10 values).
fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if a.len() < 10 {
        return 0.0;
    }
    let (sa, sb, sab) = (
        a.iter().sum::<f64>(),
        b.iter().sum::<f64>(),
        a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>(),
    );
    (sab / n - (sa / n) * (sb / n)) / (n - 1.0)
}

fn estimate(values: &[f64]) -> Estimate {
    mean_and_uncertainty(
        values.iter().sum(),
        values.iter().map(|v| v * v).sum(),
        values.len(),
    )
}

/// llama.cpp's percentile: linear interpolation between the sorted values.
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let p = fraction * (sorted.len() - 1) as f64;
    let i = p as usize;
    let f = p - i as f64;
    (1.0 - f) * sorted[i] + f * sorted[(i + 1).min(sorted.len() - 1)]
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n.is_multiple_of(2) {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    } else {
        sorted[n / 2]
    }
}

/// Perplexity over the scored tokens: `exp(mean NLL)` ± `PPL × stderr(NLL)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PplStats {
    pub n_scored: usize,
    pub mean_nll: f64,
    pub ppl: f64,
    pub ppl_stderr: f64,
    pub per_chunk_mean_nll: Vec<f64>,
}

impl PplStats {
    pub fn new(records: &[ChunkRecord]) -> Self {
        let nll: Vec<f64> = records.iter().flat_map(|r| r.nll.iter().copied()).collect();
        let e = estimate(&nll);
        let ppl = e.value.exp();
        Self {
            n_scored: nll.len(),
            mean_nll: e.value,
            ppl,
            ppl_stderr: ppl * e.stderr,
            per_chunk_mean_nll: records.iter().map(ChunkRecord::mean_nll).collect(),
        }
    }
}

/// What llama.cpp's `--kl-divergence` prints, from the per-position values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KldStats {
    pub ppl_base: Estimate,
    pub ln_ppl_ratio: Estimate,
    pub ppl_ratio: Estimate,
    /// Correlation of the per-token NLLs' means, as llama.cpp's `Cor(ln(PPL(Q)), ln(PPL(base)))`.
    pub ln_ppl_correlation: f64,
    pub kld_mean: Estimate,
    pub kld_max: f64,
    pub kld_p99_9: f64,
    pub kld_p99: f64,
    pub kld_p95: f64,
    pub kld_p90: f64,
    pub kld_median: f64,
    pub kld_min: f64,
    /// `Q(correct) - P(correct)`: mean, and root mean square.
    pub delta_p_mean: Estimate,
    pub delta_p_rms: Estimate,
    /// Share of positions where Q's and P's top tokens agree.
    pub same_top_p: Estimate,
}

impl KldStats {
    /// `None` unless every record carries KL numbers.
    pub fn new(records: &[ChunkRecord]) -> Option<Self> {
        if records.is_empty() {
            return None;
        }
        let parts: Vec<_> = records
            .iter()
            .map(|r| r.kld.as_ref())
            .collect::<Option<_>>()?;
        let flat = |f: fn(&super::kld::ChunkKld) -> &Vec<f64>| {
            parts
                .iter()
                .flat_map(|k| f(k).iter().copied())
                .collect::<Vec<f64>>()
        };
        let nll: Vec<f64> = records.iter().flat_map(|r| r.nll.iter().copied()).collect();
        let (nll_base, mut kld, p_diff) =
            (flat(|k| &k.nll_base), flat(|k| &k.kld), flat(|k| &k.p_diff));
        let n = nll.len();
        let (q, base) = (estimate(&nll), estimate(&nll_base));
        let cov = covariance(&nll, &nll_base);
        let ln_ratio = Estimate {
            value: q.value - base.value,
            stderr: (q.stderr.powi(2) + base.stderr.powi(2) - 2.0 * cov)
                .max(0.0)
                .sqrt(),
        };
        let ratio = ln_ratio.value.exp();
        kld.sort_by(f64::total_cmp);
        let p_diff2: Vec<f64> = p_diff.iter().map(|d| d * d).collect();
        let mse = estimate(&p_diff2);
        let rms = mse.value.sqrt();
        let same = parts.iter().map(|k| k.same_top).sum::<usize>() as f64 / n as f64;
        Some(Self {
            ppl_base: Estimate {
                value: base.value.exp(),
                stderr: base.value.exp() * base.stderr,
            },
            ln_ppl_ratio: ln_ratio,
            ppl_ratio: Estimate {
                value: ratio,
                stderr: ratio * ln_ratio.stderr,
            },
            ln_ppl_correlation: if q.stderr * base.stderr > 0.0 {
                cov / (q.stderr * base.stderr)
            } else {
                0.0
            },
            kld_mean: estimate(&kld),
            kld_max: kld[n - 1],
            kld_p99_9: percentile(&kld, 0.999),
            kld_p99: percentile(&kld, 0.99),
            kld_p95: percentile(&kld, 0.95),
            kld_p90: percentile(&kld, 0.90),
            kld_median: median(&kld),
            kld_min: kld[0],
            delta_p_mean: estimate(&p_diff),
            delta_p_rms: Estimate {
                value: rms,
                stderr: if rms > 0.0 {
                    0.5 / rms * mse.stderr
                } else {
                    0.0
                },
            },
            same_top_p: Estimate {
                value: same,
                stderr: (same * (1.0 - same) / (n as f64 - 1.0)).sqrt(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppl_and_its_error_follow_llama_cpp() {
        let nll: Vec<f64> = (0..20).map(|i| 2.0 + 0.1 * i as f64).collect();
        let s = PplStats::new(&[ChunkRecord {
            chunk: 0,
            nll: nll.clone(),
            kld: None,
        }]);
        let mean = nll.iter().sum::<f64>() / 20.0;
        let var = nll.iter().map(|x| x * x).sum::<f64>() / 20.0 - mean * mean;
        assert!((s.ppl - mean.exp()).abs() < 1e-12);
        assert!((s.ppl_stderr - mean.exp() * (var / 19.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn percentiles_interpolate() {
        let v = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(percentile(&v, 0.5), 1.5);
        assert_eq!(median(&v), 1.5);
        assert_eq!(percentile(&v, 1.0), 3.0);
    }
}
