//! `eval ifeval`: generate IFEval responses with the model, then score them.
//!
//! Decoding follows lm-eval's `ifeval` task: greedy, no stop strings besides the model's stop
//! ids (`<eos>`, `<end_of_turn>`), at most 1280 new tokens, the chat template with one
//! `<bos>`. Responses are appended to `responses.jsonl` as each one finishes, so a rerun with
//! the same output folder resumes: what was written is kept, and only the rest is generated.

pub mod prompt;
pub mod record;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use engine::GenerationConfig;
use engine::{self, EngineConfig, Event, Request};
use model::{Gemma3, GemmaTokenizer};
use serde_json::{Map, Value, json};

use crate::benchmark::Benchmark;
use crate::ifeval::{InputExample, Report, io::python_json};
use crate::progress;
use crate::run_dir::{self, JsonlLog};
use crate::shard::Part;
pub use prompt::{ChatTemplate, prompt_ids};
pub use record::ResponseRecord;

/// The responses file inside the output folder (Google's `input_response_data` format plus
/// extra fields).
pub const RESPONSES_FILE: &str = "responses.jsonl";

/// lm-eval's `max_gen_toks` for IFEval.
pub const DEFAULT_MAX_NEW_TOKENS: usize = 1280;

#[derive(Clone, Debug)]
pub struct IfevalRunConfig {
    pub output_dir: PathBuf,
    /// Sequences in flight on the engine.
    pub max_seqs: usize,
    pub max_new_tokens: usize,
    pub chat_template: ChatTemplate,
    /// What identifies the model run (model hash, backend, dtype, ...): resuming a folder
    /// started with another identity is refused.
    pub identity: Value,
    /// Set when this run is one shard of a larger one (`inputs` are then the shard's prompts).
    pub part: Option<Part>,
}

/// The responses of a run, this invocation's share and its pace.
#[derive(Clone, Debug)]
pub struct GenerationSummary {
    /// One per input, in input order.
    pub records: Vec<ResponseRecord>,
    /// Prompts answered by an earlier invocation.
    pub resumed: usize,
    pub generated_prompts: usize,
    pub generated_tokens: usize,
    pub generation_secs: f64,
}

impl GenerationSummary {
    pub fn tokens_per_sec(&self) -> f64 {
        progress::per_sec(self.generated_tokens, self.generation_secs)
    }
}

impl IfevalRunConfig {
    /// What `run.json` holds; a shard's adds its [`Part`].
    pub fn settings(&self) -> Value {
        let whole = json!({
            "identity": self.identity,
            "decoding": "greedy",
            "max_new_tokens": self.max_new_tokens,
            "chat_template": self.chat_template,
        });
        Part::settings(self.part.as_ref(), whole)
    }
}

/// An output folder opened for a run: its settings checked, the finished responses read.
pub struct ResponsesFolder {
    log: JsonlLog,
    done: HashMap<i64, ResponseRecord>,
}

impl IfevalRunConfig {
    /// Checks the options and the folder's settings and reads what an earlier invocation
    /// finished: everything that can fail before the model is loaded.
    pub fn open(&self, inputs: &[InputExample]) -> Result<ResponsesFolder> {
        if self.max_seqs == 0 {
            bail!("--max-seqs must be at least 1");
        }
        run_dir::check_settings(&self.output_dir, &self.settings())?;
        let (log, done) = open_responses(self, inputs)?;
        Ok(ResponsesFolder { log, done })
    }
}

/// Generates a response for every input that the folder does not hold yet, `max_seqs` at a
/// time on the engine; each response is appended to the folder the moment it finishes.
pub fn generate_responses(
    model: &Gemma3,
    tokenizer: &GemmaTokenizer,
    inputs: &[InputExample],
    cfg: &IfevalRunConfig,
    folder: ResponsesFolder,
) -> Result<GenerationSummary> {
    let ResponsesFolder { mut log, mut done } = folder;
    let resumed = inputs.iter().filter(|i| done.contains_key(&i.key)).count();
    let pending: Vec<&InputExample> = inputs
        .iter()
        .filter(|i| !done.contains_key(&i.key))
        .collect();
    let prompts = pending
        .iter()
        .map(|i| prompt_ids(tokenizer, &i.prompt, cfg.chat_template))
        .collect::<Result<Vec<_>>>()?;
    let gen_cfg = GenerationConfig {
        max_new_tokens: cfg.max_new_tokens,
        ..Default::default()
    };
    let requests = prompts.iter().enumerate().map(|(i, ids)| Request {
        id: i as u64,
        prompt: ids.clone(),
        config: gen_cfg.clone(),
    });
    let engine_cfg = EngineConfig {
        max_seqs: cfg.max_seqs,
        ..EngineConfig::default()
    };

    let bar = progress::bar(inputs.len(), resumed, "prompts");
    let start = Instant::now();
    let (mut tokens, mut in_flight) = (0usize, 0usize);
    engine::run(model, None, engine_cfg, requests, |event| {
        match event {
            Event::Started { .. } => in_flight += 1,
            Event::Token { .. } => tokens += 1,
            Event::Finished { id, generation } => {
                in_flight -= 1;
                let (input, ids) = (pending[id as usize], &prompts[id as usize]);
                let record = ResponseRecord::new(
                    input.key,
                    &input.prompt,
                    ids.len(),
                    generation,
                    tokenizer,
                )?;
                log.append(&python_json(&record))?;
                done.insert(input.key, record);
                bar.inc(1);
            }
        }
        bar.set_message(format!(
            "{in_flight} in flight · {:.1} tok/s",
            progress::per_sec(tokens, start.elapsed().as_secs_f64())
        ));
        Ok(())
    })
    .context("generating IFEval responses")?;
    bar.finish_and_clear();
    Ok(GenerationSummary {
        records: inputs
            .iter()
            .map(|i| done.remove(&i.key).expect("every input was answered"))
            .collect(),
        resumed,
        generated_prompts: pending.len(),
        generated_tokens: tokens,
        generation_secs: start.elapsed().as_secs_f64(),
    })
}

/// The responses an earlier invocation finished, by key. A record whose key names another
/// prompt text than the inputs, or a key seen twice, means the folder belongs to other data;
/// records for keys beyond the inputs (a run with a larger `--limit`) are kept but unused.
fn open_responses(
    cfg: &IfevalRunConfig,
    inputs: &[InputExample],
) -> Result<(JsonlLog, HashMap<i64, ResponseRecord>)> {
    let mut prompts: HashMap<i64, &str> = HashMap::new();
    if let Some(twice) = inputs
        .iter()
        .find(|i| prompts.insert(i.key, &i.prompt).is_some())
    {
        bail!("the input data has prompt key {} twice", twice.key);
    }
    let (log, records) = JsonlLog::open::<ResponseRecord>(&cfg.output_dir.join(RESPONSES_FILE))?;
    let mut done = HashMap::new();
    for (line, record) in records {
        let at = || format!("{}:{line}", log.path().display());
        if prompts
            .get(&record.key)
            .is_some_and(|p| *p != record.prompt)
        {
            bail!(
                "{}: key {} has another prompt than the input data; use another output folder",
                at(),
                record.key
            );
        }
        if let Some(previous) = done.insert(record.key, record) {
            bail!("{}: key {} appears twice", at(), previous.key);
        }
    }
    Ok((log, done))
}

/// Generates what is missing, scores every input with `benchmark`'s checkers, and writes
/// Google's `eval_results_{strict,loose}.jsonl` plus `report.json` and `report.md` into the
/// output folder. `metadata` (model, backend, …) goes into the report with the generation
/// settings and this invocation's pace added.
pub fn run(
    model: &Gemma3,
    tokenizer: &GemmaTokenizer,
    benchmark: &Benchmark,
    inputs: &[InputExample],
    cfg: &IfevalRunConfig,
    folder: ResponsesFolder,
    mut metadata: Map<String, Value>,
) -> Result<(Report, GenerationSummary)> {
    let start = Instant::now();
    let summary = generate_responses(model, tokenizer, inputs, cfg, folder)?;
    let responses: Vec<_> = summary
        .records
        .iter()
        .map(ResponseRecord::response_example)
        .collect();
    let evaluation = benchmark.evaluate(inputs, &responses)?;
    metadata.insert("benchmark".into(), benchmark.name().into());
    metadata.insert(
        "generation".into(),
        json!({
            "decoding": "greedy",
            "max_new_tokens": cfg.max_new_tokens,
            "stop_ids": GenerationConfig::default().stop_ids,
            "stop_strings": [],
            "chat_template": cfg.chat_template,
            "max_seqs": cfg.max_seqs,
            "response": "generated ids before the stop id, decoded with skip_special_tokens=true (lm-eval)",
        }),
    );
    metadata.insert(
        "this_invocation".into(),
        json!({
            "prompts_resumed": summary.resumed,
            "prompts_generated": summary.generated_prompts,
            "generated_tokens": summary.generated_tokens,
            "generation_secs": summary.generation_secs,
            "tokens_per_sec": summary.tokens_per_sec(),
            "wall_secs": start.elapsed().as_secs_f64(),
        }),
    );
    metadata.insert(
        "generated_tokens_all_prompts".into(),
        summary
            .records
            .iter()
            .map(|r| r.generated_ids.len())
            .sum::<usize>()
            .into(),
    );
    let report = Report::new(&evaluation, Value::Object(metadata));
    benchmark
        .write_results(&cfg.output_dir, &evaluation, &report)
        .with_context(|| format!("writing results to {}", cfg.output_dir.display()))?;
    Ok((report, summary))
}
