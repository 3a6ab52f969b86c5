//! One variant's measured numbers: a line of `results.jsonl`, a row of `results.csv`.

use serde::{Deserialize, Serialize};

use crate::variant::Variant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// The backend or the model cannot run this variant (a rerun skips it too).
    Unsupported,
    /// An error or a panic while measuring (a rerun tries again).
    Failed,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Nominal bits per weight over the whole model, as the format stores it.
    pub bits_per_weight: Option<f64>,
    /// Bytes the parameters (and packed copies) actually held in this run.
    pub resident_weight_bytes: Option<usize>,
    pub ppl: Option<f64>,
    pub ppl_stderr: Option<f64>,
    pub kld_mean: Option<f64>,
    pub kld_median: Option<f64>,
    pub kld_p99: Option<f64>,
    pub kld_p99_9: Option<f64>,
    pub kld_max: Option<f64>,
    /// Share of scored positions whose top token equals the reference's.
    pub same_top_p: Option<f64>,
    pub delta_p_rms: Option<f64>,
    pub ln_ppl_ratio: Option<f64>,
    pub ifeval_prompt_strict: Option<f64>,
    pub ifeval_inst_strict: Option<f64>,
    pub ifeval_prompt_loose: Option<f64>,
    pub ifeval_inst_loose: Option<f64>,
    pub ifbench_prompt_strict: Option<f64>,
    pub ifbench_inst_strict: Option<f64>,
    pub ifbench_prompt_loose: Option<f64>,
    pub ifbench_inst_loose: Option<f64>,
    pub prefill_tok_s: Option<f64>,
    pub decode_tok_s: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    pub variant: Variant,
    /// What ran: float, simulated or packed, and whether the embedding was quantized.
    pub execution: String,
    pub status: Status,
    /// Why a variant is unsupported or failed.
    pub reason: Option<String>,
    #[serde(flatten)]
    pub metrics: Metrics,
    pub secs: f64,
}

impl VariantResult {
    pub fn not_run(variant: &Variant, status: Status, reason: String, secs: f64) -> Self {
        Self {
            variant: variant.clone(),
            execution: variant.describe(),
            status,
            reason: Some(reason),
            metrics: Metrics::default(),
            secs,
        }
    }
}

/// The CSV header and one row per result (empty cells for what was not measured).
pub fn csv(results: &[VariantResult]) -> String {
    let header = [
        "variant",
        "execution",
        "status",
        "bits_per_weight",
        "resident_weight_bytes",
        "ppl",
        "ppl_stderr",
        "kld_mean",
        "kld_median",
        "kld_p99",
        "kld_p99_9",
        "kld_max",
        "same_top_p",
        "delta_p_rms",
        "ln_ppl_ratio",
        "ifeval_prompt_strict",
        "ifeval_inst_strict",
        "ifeval_prompt_loose",
        "ifeval_inst_loose",
        "ifbench_prompt_strict",
        "ifbench_inst_strict",
        "ifbench_prompt_loose",
        "ifbench_inst_loose",
        "prefill_tok_s",
        "decode_tok_s",
        "secs",
        "reason",
    ];
    let mut out = header.join(",") + "\n";
    for r in results {
        let m = &r.metrics;
        let f = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let row = [
            r.variant.name.clone(),
            quote(&r.execution),
            serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            f(m.bits_per_weight),
            m.resident_weight_bytes
                .map_or(String::new(), |b| b.to_string()),
            f(m.ppl),
            f(m.ppl_stderr),
            f(m.kld_mean),
            f(m.kld_median),
            f(m.kld_p99),
            f(m.kld_p99_9),
            f(m.kld_max),
            f(m.same_top_p),
            f(m.delta_p_rms),
            f(m.ln_ppl_ratio),
            f(m.ifeval_prompt_strict),
            f(m.ifeval_inst_strict),
            f(m.ifeval_prompt_loose),
            f(m.ifeval_inst_loose),
            f(m.ifbench_prompt_strict),
            f(m.ifbench_inst_strict),
            f(m.ifbench_prompt_loose),
            f(m.ifbench_inst_loose),
            f(m.prefill_tok_s),
            f(m.decode_tok_s),
            format!("{:.1}", r.secs),
            r.reason.as_deref().map(quote).unwrap_or_default(),
        ];
        out += &(row.join(",") + "\n");
    }
    out
}
