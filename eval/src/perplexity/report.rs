//! `results.json`, `report.md` and the stdout summary of a perplexity run.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::PerplexityResult;
use super::stats::Estimate;

/// `results.json`: the result and the caller's run metadata.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResultsFile {
    #[serde(flatten)]
    pub result: PerplexityResult,
    pub metadata: Value,
}

/// The headline numbers as label/value rows, in llama.cpp's wording and precision.
pub fn rows(r: &PerplexityResult) -> Vec<(String, String)> {
    let pm = |e: Estimate, scale: f64, digits: usize| {
        format!(
            "{:.digits$} ± {:.digits$}",
            scale * e.value,
            scale * e.stderr
        )
    };
    let mut rows = vec![
        (
            "PPL".into(),
            format!("{:.4} ± {:.5}", r.ppl.ppl, r.ppl.ppl_stderr),
        ),
        (
            "scored tokens".into(),
            format!(
                "{} ({} chunks of {}, of {} in the data)",
                r.ppl.n_scored, r.n_chunks, r.n_ctx, r.n_chunks_max
            ),
        ),
    ];
    if let Some(k) = &r.kld {
        rows.extend([
            ("Mean PPL(base)".into(), pm(k.ppl_base, 1.0, 6)),
            (
                "Cor(ln(PPL(Q)), ln(PPL(base)))".into(),
                format!("{:.2}%", 100.0 * k.ln_ppl_correlation),
            ),
            (
                "Mean ln(PPL(Q)/PPL(base))".into(),
                pm(k.ln_ppl_ratio, 1.0, 6),
            ),
            ("Mean PPL(Q)/PPL(base)".into(), pm(k.ppl_ratio, 1.0, 6)),
            (
                format!("Mean KLD (top {} + tail)", r.kld_top_k.unwrap_or_default()),
                pm(k.kld_mean, 1.0, 6),
            ),
            ("Maximum KLD".into(), format!("{:.6}", k.kld_max)),
            ("99.9% KLD".into(), format!("{:.6}", k.kld_p99_9)),
            ("99.0% KLD".into(), format!("{:.6}", k.kld_p99)),
            ("95.0% KLD".into(), format!("{:.6}", k.kld_p95)),
            ("90.0% KLD".into(), format!("{:.6}", k.kld_p90)),
            ("Median KLD".into(), format!("{:.6}", k.kld_median)),
            ("Minimum KLD".into(), format!("{:.6}", k.kld_min)),
            (
                "Mean Δp".into(),
                format!("{} %", pm(k.delta_p_mean, 100.0, 3)),
            ),
            (
                "RMS Δp".into(),
                format!("{} %", pm(k.delta_p_rms, 100.0, 3)),
            ),
            (
                "Same top p".into(),
                format!("{} %", pm(k.same_top_p, 100.0, 3)),
            ),
        ]);
    }
    let pace = &r.this_invocation;
    rows.push((
        "this invocation".into(),
        format!(
            "{} chunks in {:.1} s ({:.1} tok/s), {} resumed",
            pace.chunks_evaluated, pace.secs, pace.tokens_per_sec, pace.chunks_resumed
        ),
    ));
    rows
}

/// Plain text for stdout.
pub fn summary(r: &PerplexityResult) -> String {
    rows(r)
        .into_iter()
        .map(|(label, value)| format!("{label:<32}: {value}\n"))
        .collect()
}

/// Writes `results.json` and `report.md` into `dir`.
pub fn write(dir: &Path, result: &PerplexityResult, metadata: Value) -> Result<()> {
    let mut md = String::from("# Perplexity (llama.cpp method)\n\n| | |\n|---|---|\n");
    for (label, value) in rows(result) {
        let _ = writeln!(md, "| {label} | {value} |");
    }
    if result.kld.is_some() {
        md.push_str("\nKL divergence is computed over the base model's saved top-k tokens plus one bucket for the rest of the vocabulary, which slightly underestimates it.\n");
    }
    let _ = write!(
        md,
        "\n## Run metadata\n\n```json\n{}\n```\n",
        serde_json::to_string_pretty(&metadata)?
    );
    let file = ResultsFile {
        result: result.clone(),
        metadata,
    };
    let json = serde_json::to_string_pretty(&file)? + "\n";
    for (name, text) in [("results.json", json), ("report.md", md)] {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
