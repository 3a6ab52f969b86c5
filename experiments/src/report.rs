//! The study's outputs: `results.json` (metadata and every variant), `results.csv` and
//! `report.md` (the table, with the run's metadata and the plots).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::record::{self, Status, VariantResult};

/// The machine, as far as the report needs it.
pub fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_string())
    });
    let utc = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok());
    json!({
        "cpu": cpu,
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "finished_utc": utc.map(|s| s.trim().to_string()),
    })
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or("–".into(), f)
}

fn markdown(
    results: &[VariantResult],
    metadata: &Value,
    plots: &std::result::Result<Vec<PathBuf>, String>,
) -> String {
    let mut md = String::from("# Quantization study: Gemma 3 270M\n\n");
    let _ = writeln!(
        md,
        "```json\n{}\n```\n",
        serde_json::to_string_pretty(metadata).unwrap_or_default()
    );
    md += "PPL and KLD on WikiText-2 (llama.cpp's method; KLD against the f32 reference's saved top-k logits); \
IFEval and IFBench on the first prompts (strict/loose, prompt/instruction level); speed at batch 1. \
Bits per weight are what the format stores over all weights (embedding included).\n\n";
    md += "| variant | execution | bits/weight | resident MiB | PPL | KLD mean | KLD p99 | same top | IFEval P-strict | I-strict | P-loose | I-loose | IFBench P-strict | I-strict | P-loose | I-loose | prefill tok/s | decode tok/s |\n";
    md += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    for r in results.iter().filter(|r| r.status == Status::Ok) {
        let m = &r.metrics;
        let ppl = match (m.ppl, m.ppl_stderr) {
            (Some(p), Some(e)) => format!("{p:.3} ± {e:.3}"),
            _ => "–".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {ppl} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.variant.name,
            r.execution,
            opt(m.bits_per_weight, |v| format!("{v:.2}")),
            m.resident_weight_bytes.map_or("–".into(), |b| format!(
                "{:.0}",
                b as f64 / (1 << 20) as f64
            )),
            opt(m.kld_mean, |v| format!("{v:.5}")),
            opt(m.kld_p99, |v| format!("{v:.4}")),
            opt(m.same_top_p, pct),
            opt(m.ifeval_prompt_strict, pct),
            opt(m.ifeval_inst_strict, pct),
            opt(m.ifeval_prompt_loose, pct),
            opt(m.ifeval_inst_loose, pct),
            opt(m.ifbench_prompt_strict, pct),
            opt(m.ifbench_inst_strict, pct),
            opt(m.ifbench_prompt_loose, pct),
            opt(m.ifbench_inst_loose, pct),
            opt(m.prefill_tok_s, |v| format!("{v:.1}")),
            opt(m.decode_tok_s, |v| format!("{v:.1}")),
        );
    }
    let skipped: Vec<_> = results.iter().filter(|r| r.status != Status::Ok).collect();
    if !skipped.is_empty() {
        md += "\nNot measured:\n\n";
        for r in skipped {
            let _ = writeln!(
                md,
                "- `{}` ({:?}): {}",
                r.variant.name,
                r.status,
                r.reason.as_deref().unwrap_or("")
            );
        }
    }
    md += "\n";
    match plots {
        Ok(files) => {
            for f in files
                .iter()
                .filter(|f| f.extension().is_some_and(|e| e == "png"))
            {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let _ = writeln!(md, "![{name}]({name})");
            }
        }
        Err(why) => {
            let _ = writeln!(md, "Plots not drawn: {why}");
        }
    }
    md
}

/// The variants of a `results.json` that [`write`] wrote.
pub fn read_results(path: &Path) -> Result<Vec<VariantResult>> {
    #[derive(serde::Deserialize)]
    struct Results {
        variants: Vec<VariantResult>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let results: Results = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a study's results.json", path.display()))?;
    Ok(results.variants)
}

/// Writes `results.json`, `results.csv`, the plots and `report.md` into `dir`.
pub fn write(dir: &Path, results: &[VariantResult], metadata: Value) -> Result<()> {
    let at = |name: &str| dir.join(name);
    let json = json!({"metadata": metadata, "variants": results});
    std::fs::write(
        at("results.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )
    .context("writing results.json")?;
    std::fs::write(at("results.csv"), record::csv(results)).context("writing results.csv")?;
    // A missing font must not lose the numbers: the report says why the plots are absent.
    let plots = crate::plots::write_all(results, dir).map_err(|e| format!("{e:#}"));
    if let Err(why) = &plots {
        eprintln!("plots skipped: {why}");
    }
    std::fs::write(at("report.md"), markdown(results, &metadata, &plots))
        .context("writing report.md")?;
    Ok(())
}
