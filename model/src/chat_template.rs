//! The Gemma 3 chat template, as its Jinja source renders it (without the leading `<bos>`,
//! which the tokenizer adds once).

use anyhow::bail;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn new(role: &str, content: &str) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// Renders `<start_of_turn>user\n…<end_of_turn>\n…` and, with `add_generation_prompt`, the
/// opening `<start_of_turn>model\n`. A leading system message is merged into the first user turn.
pub fn render(messages: &[Message], add_generation_prompt: bool) -> anyhow::Result<String> {
    let (prefix, turns) = match messages.first() {
        Some(m) if m.role == "system" => (format!("{}\n\n", m.content), &messages[1..]),
        _ => (String::new(), messages),
    };
    let mut out = String::new();
    for (i, m) in turns.iter().enumerate() {
        if (m.role == "user") != (i % 2 == 0) {
            bail!(
                "conversation roles must alternate user/assistant/user/…; message {i} is {:?}",
                m.role
            );
        }
        let role = if m.role == "assistant" {
            "model"
        } else {
            m.role.as_str()
        };
        let first = if i == 0 { prefix.as_str() } else { "" };
        out.push_str(&format!(
            "<start_of_turn>{role}\n{first}{}<end_of_turn>\n",
            jinja_trim(&m.content)
        ));
    }
    if add_generation_prompt {
        out.push_str("<start_of_turn>model\n");
    }
    Ok(out)
}

/// Jinja's `trim` is Python's `str.strip()`, whose whitespace includes \x1c-\x1f.
fn jinja_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_text_joins_the_first_user_turn() {
        let msgs = [
            Message::new("system", "Be brief."),
            Message::new("user", " Hi "),
            Message::new("assistant", "Hello"),
            Message::new("user", "Bye"),
        ];
        assert_eq!(
            render(&msgs, true).unwrap(),
            "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"
        );
    }

    #[test]
    fn roles_must_alternate() {
        assert!(render(&[Message::new("assistant", "x")], true).is_err());
    }
}
