//! Examples for training and for task evaluation, one JSON object per line, in either of two shapes:
//! chat `{"messages": [{"role": "system"|"user"|"model"|"assistant", "content": "…"}, …]}` or
//! `{"prompt": "…", "completion": "…"}`. Every error names the file and the line.

use anyhow::{Context, anyhow, bail};
use model::chat_template::{self, Message};
use serde_json::Value;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// A conversation; the loss falls on the model's turns.
    Chat(Vec<Message>),
    /// Plain text; the loss falls on the completion (and the `<eos>` after it).
    Completion { prompt: String, completion: String },
}

impl Record {
    /// The text the model should produce last (the completion or the last model turn).
    pub fn final_answer(&self) -> &str {
        match self {
            Record::Completion { completion, .. } => completion,
            Record::Chat(messages) => messages
                .iter()
                .rev()
                .find(|m| is_model(&m.role))
                .map_or("", |m| m.content.as_str()),
        }
    }
}

pub fn is_model(role: &str) -> bool {
    role == "model" || role == "assistant"
}

/// Reads every record of a JSONL file (blank lines are skipped).
pub fn read(path: &Path) -> anyhow::Result<Vec<Record>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text, path)
}

/// Parses JSONL `text`; `source` only names the file in errors.
pub fn parse(text: &str, source: &Path) -> anyhow::Result<Vec<Record>> {
    let records: Vec<Record> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            parse_line(line).map_err(|e| anyhow!("{}:{}: {e}", source.display(), i + 1))
        })
        .collect::<anyhow::Result<_>>()?;
    if records.is_empty() {
        bail!("{}: no records", source.display());
    }
    Ok(records)
}

fn parse_line(line: &str) -> anyhow::Result<Record> {
    let value: Value = serde_json::from_str(line).map_err(|e| anyhow!("not valid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| anyhow!("expected a JSON object"))?;
    if let Some(messages) = obj.get("messages") {
        return parse_chat(messages);
    }
    match (obj.get("prompt"), obj.get("completion")) {
        (Some(Value::String(p)), Some(Value::String(c))) if !c.is_empty() => {
            Ok(Record::Completion {
                prompt: p.clone(),
                completion: c.clone(),
            })
        }
        (Some(_), Some(Value::String(c))) if c.is_empty() => {
            bail!("\"completion\" is empty: there is nothing to learn")
        }
        (Some(_), Some(_)) => bail!("\"prompt\" and \"completion\" must be strings"),
        _ => bail!("expected {{\"messages\": [...]}} or {{\"prompt\": ..., \"completion\": ...}}"),
    }
}

fn parse_chat(messages: &Value) -> anyhow::Result<Record> {
    let list = messages
        .as_array()
        .ok_or_else(|| anyhow!("\"messages\" must be an array"))?;
    let messages = list
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let field = |name: &str| {
                m.get(name)
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow!("message {i}: \"{name}\" must be a string"))
            };
            let role = field("role")?;
            if !matches!(role, "system" | "user" | "model" | "assistant") {
                bail!(
                    "message {i}: unknown role {role:?} (expected system, user, model or assistant)"
                );
            }
            if role == "system" && i != 0 {
                bail!("message {i}: a system message may only come first");
            }
            Ok(Message::new(role, field("content")?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !messages.iter().any(|m| is_model(&m.role)) {
        bail!("the conversation has no model/assistant turn: there is nothing to learn");
    }
    // The template is the judge of what it can render (user/model alternation).
    chat_template::render(&messages, false)?;
    Ok(Record::Chat(messages))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> anyhow::Result<Vec<Record>> {
        parse(text, Path::new("data.jsonl"))
    }

    #[test]
    fn both_shapes_parse_and_blank_lines_are_skipped() {
        let text = "{\"prompt\": \"a\", \"completion\": \"b\"}\n\n{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n";
        let records = parse_str(text).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].final_answer(), "yo");
    }

    #[test]
    fn errors_name_file_and_line() {
        for (text, needle) in [
            (
                "{\"prompt\": \"a\", \"completion\": \"b\"}\n{oops\n",
                "data.jsonl:2: not valid JSON",
            ),
            (
                "\n{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "data.jsonl:2: the conversation has no model",
            ),
            (
                "{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}",
                "data.jsonl:1: message 0: unknown role",
            ),
            (
                "{\"messages\": [{\"role\": \"model\", \"content\": \"x\"}]}",
                "data.jsonl:1: conversation roles must alternate",
            ),
            ("{\"text\": \"x\"}", "data.jsonl:1: expected"),
            (
                "{\"prompt\": \"a\", \"completion\": 3}",
                "data.jsonl:1: \"prompt\" and \"completion\" must be strings",
            ),
        ] {
            let err = parse_str(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} lacks {needle:?}");
        }
    }
}
