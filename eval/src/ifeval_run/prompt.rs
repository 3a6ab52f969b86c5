//! IFEval prompts as model input: lm-eval's `--apply_chat_template` for Gemma, with exactly
//! one `<bos>` (lm-eval's rendered template already starts with it and is tokenized without
//! adding another).

use anyhow::Result;
use model::GemmaTokenizer;
use model::chat_template::{self, Message};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatTemplate {
    /// One user turn in the Gemma chat template, then the opening model turn.
    Auto,
    /// The raw prompt text.
    None,
}

/// Token ids of `prompt`, starting with a single `<bos>`.
pub fn prompt_ids(
    tokenizer: &GemmaTokenizer,
    prompt: &str,
    template: ChatTemplate,
) -> Result<Vec<u32>> {
    match template {
        ChatTemplate::Auto => tokenizer.encode_prompt(&chat_template::render(
            &[Message::new("user", prompt)],
            true,
        )?),
        ChatTemplate::None => tokenizer.encode_prompt(prompt),
    }
}
