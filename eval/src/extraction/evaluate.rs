//! Running a model on an extraction test set (greedy) and scoring it.

use anyhow::anyhow;
use engine::GenerationConfig;
use engine::{self, EngineConfig, Event, Request};
use model::Gemma3;
use model::chat_template;
use model::tokenizer::GemmaTokenizer;
use serde::Serialize;
use serde_json::{Map, Value};

use super::score::{Report, Scored, first_json_object, score};
use crate::records::{Record, is_model};

/// A test question: the prompt's ids and the reference object.
pub struct Item {
    pub prompt_ids: Vec<u32>,
    pub expected: Map<String, Value>,
}

/// Test items from records: the prompt is everything before the final answer.
pub fn items(records: &[Record], tok: &GemmaTokenizer) -> anyhow::Result<Vec<Item>> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let prompt = match r {
                Record::Completion { prompt, .. } => prompt.clone(),
                Record::Chat(msgs) => {
                    let last = msgs
                        .iter()
                        .rposition(|m| is_model(&m.role))
                        .expect("parsed chats have a model turn");
                    chat_template::render(&msgs[..last], true)?
                }
            };
            let expected = first_json_object(r.final_answer()).ok_or_else(|| {
                anyhow!(
                    "record {}: the reference answer is not a JSON object",
                    i + 1
                )
            })?;
            Ok(Item {
                prompt_ids: tok.encode_prompt(&prompt)?,
                expected,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct Output {
    pub text: String,
    pub scored: Scored,
}

#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    pub report: Report,
    pub outputs: Vec<Output>,
    pub secs: f64,
}

/// Generates an answer for every item on the engine, `max_seqs` in flight, and scores them.
pub fn evaluate(
    model: &Gemma3,
    tok: &GemmaTokenizer,
    items: &[Item],
    max_seqs: usize,
    max_new_tokens: usize,
) -> anyhow::Result<Evaluation> {
    let start = std::time::Instant::now();
    // The answers are flat objects, so the first "}" ends one: stopping there spares the time a
    // base model would spend rambling on, and changes no score.
    let cfg = GenerationConfig {
        max_new_tokens,
        stop_strings: vec!["}".into()],
        ..GenerationConfig::default()
    };
    let requests = items.iter().enumerate().map(|(i, item)| Request {
        id: i as u64,
        prompt: item.prompt_ids.clone(),
        config: cfg.clone(),
    });
    let engine_cfg = EngineConfig {
        max_seqs,
        ..EngineConfig::default()
    };
    let mut outputs: Vec<Option<Output>> = vec![None; items.len()];
    let mut answered = 0;
    engine::run(model, Some(tok), engine_cfg, requests, |event| {
        if let Event::Finished { id, generation } = event {
            let text = tok.decode(&generation.tokens, true)?;
            outputs[id as usize] = Some(Output {
                scored: score(&items[id as usize].expected, &text),
                text,
            });
            answered += 1;
            eprint!("\r  {answered}/{} answered", items.len());
        }
        Ok(())
    })?;
    eprintln!();
    let outputs: Vec<Output> = outputs
        .into_iter()
        .map(|o| o.expect("every item is answered"))
        .collect();
    let scores: Vec<Scored> = outputs.iter().map(|o| o.scored.clone()).collect();
    Ok(Evaluation {
        report: Report::new(&scores),
        outputs,
        secs: start.elapsed().as_secs_f64(),
    })
}

/// A side-by-side table of reports (one column per model).
pub fn table(columns: &[(&str, &Report)]) -> String {
    let mut rows: Vec<(String, Vec<f64>)> = vec![
        (
            "valid JSON".into(),
            columns.iter().map(|c| c.1.valid_json).collect(),
        ),
        (
            "field exact match".into(),
            columns.iter().map(|c| c.1.field_exact_match).collect(),
        ),
        (
            "record exact match".into(),
            columns.iter().map(|c| c.1.record_exact_match).collect(),
        ),
    ];
    if let Some((_, first)) = columns.first() {
        for field in first.per_field.keys() {
            rows.push((
                format!("  {field}"),
                columns
                    .iter()
                    .map(|c| c.1.per_field.get(field).copied().unwrap_or(0.0))
                    .collect(),
            ));
        }
    }
    let mut out = format!(
        "{:<20}",
        format!("n = {}", columns.first().map_or(0, |c| c.1.examples))
    );
    for (name, _) in columns {
        out.push_str(&format!("{name:>10}"));
    }
    for (label, values) in rows {
        out.push_str(&format!("\n{label:<20}"));
        for v in values {
            out.push_str(&format!("{:>9.1}%", 100.0 * v));
        }
    }
    out
}
