//! Records to token ids with a loss mask.
//!
//! Each record becomes segments, each tokenized on its own: what the model reads (prompt, user
//! turns, template markup) and what it must write (completion + `<eos>`, or a model turn +
//! `<end_of_turn>`). Tokenizing the prompt alone is exactly what generation does later, so the
//! model trains on the token boundary it will see at inference.

use anyhow::ensure;
use model::chat_template::{self, Message};
use model::tokenizer::{BOS_ID, EOS_ID, GemmaTokenizer};

use eval::records::{Record, is_model};

/// One training sequence: `targets[i]` says whether `ids[i]` is predicted with loss.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub ids: Vec<u32>,
    pub targets: Vec<bool>,
}

impl Example {
    /// From `(text-ids, trained)` segments, after a `<bos>`.
    pub fn from_segments(segments: impl IntoIterator<Item = (Vec<u32>, bool)>) -> Self {
        let (mut ids, mut targets) = (vec![BOS_ID], vec![false]);
        for (seg, trained) in segments {
            targets.extend(std::iter::repeat_n(trained, seg.len()));
            ids.extend(seg);
        }
        Self { ids, targets }
    }

    /// Tokens predicted with loss (the first token is never predicted).
    pub fn num_targets(&self) -> usize {
        self.targets.iter().skip(1).filter(|&&t| t).count()
    }
}

/// Tokenizes one record.
pub fn encode(record: &Record, tok: &GemmaTokenizer) -> anyhow::Result<Example> {
    let segments = match record {
        Record::Completion { prompt, completion } => {
            let mut answer = tok.encode(completion, false)?;
            answer.push(EOS_ID);
            vec![(tok.encode(prompt, false)?, false), (answer, true)]
        }
        Record::Chat(messages) => chat_segments(messages)?
            .into_iter()
            .map(|(text, trained)| Ok((tok.encode(&text, false)?, trained)))
            .collect::<anyhow::Result<_>>()?,
    };
    Ok(Example::from_segments(segments))
}

/// The rendered conversation cut into read and written texts. Each model turn's text is what the
/// template adds between "…<start_of_turn>model\n" and the "\n" after its `<end_of_turn>`.
fn chat_segments(messages: &[Message]) -> anyhow::Result<Vec<(String, bool)>> {
    let mut segments = Vec::new();
    let mut done = 0; // bytes of the rendering already in segments
    for (i, _) in messages
        .iter()
        .enumerate()
        .filter(|(_, m)| is_model(&m.role))
    {
        let prompt = chat_template::render(&messages[..i], true)?;
        let full = chat_template::render(&messages[..=i], false)?;
        ensure!(
            full.starts_with(&prompt) && full.ends_with("<end_of_turn>\n"),
            "unexpected chat template rendering at message {i}"
        );
        let turn_end = full.len() - 1; // keep the trailing "\n" for the next prompt segment
        segments.push((prompt[done..].to_string(), false));
        segments.push((full[prompt.len()..turn_end].to_string(), true));
        done = turn_end;
    }
    Ok(segments)
}

/// Tokenizes every record and drops those longer than `max_len` tokens (cutting them would cut
/// the answer, or its end-of-answer token). Returns the examples and how many were dropped.
pub fn encode_all(
    records: &[Record],
    tok: &GemmaTokenizer,
    max_len: usize,
) -> anyhow::Result<(Vec<Example>, usize)> {
    let mut kept = Vec::with_capacity(records.len());
    for r in records {
        let ex = encode(r, tok)?;
        if ex.ids.len() <= max_len {
            kept.push(ex);
        }
    }
    let dropped = records.len() - kept.len();
    Ok((kept, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_segments_cover_the_rendering_and_train_only_model_turns() {
        let msgs = [
            Message::new("system", "Be brief."),
            Message::new("user", "Hi"),
            Message::new("assistant", " Hello "),
            Message::new("user", "Bye"),
            Message::new("model", "Ciao"),
        ];
        let segs = chat_segments(&msgs).unwrap();
        let joined: String = segs.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            format!("{joined}\n"),
            chat_template::render(&msgs, false).unwrap()
        );
        let trained: Vec<&str> = segs
            .iter()
            .filter(|(_, t)| *t)
            .map(|(s, _)| s.as_str())
            .collect();
        assert_eq!(trained, ["Hello<end_of_turn>", "Ciao<end_of_turn>"]);
        assert!(
            segs[0]
                .0
                .starts_with("<start_of_turn>user\nBe brief.\n\nHi")
        );
    }

    #[test]
    fn segments_mark_targets_after_bos() {
        let ex = Example::from_segments([(vec![10, 11], false), (vec![12, 1], true)]);
        assert_eq!(ex.ids, [BOS_ID, 10, 11, 12, 1]);
        assert_eq!(ex.targets, [false, false, false, true, true]);
    }
}
