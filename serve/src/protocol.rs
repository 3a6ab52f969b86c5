//! The request bodies of `/v1/completions` and `/v1/chat/completions`, as the OpenAI API
//! defines them. Unknown fields are refused, naming the field, so a misspelt option never passes
//! silently; known options this server does not implement are refused when set.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// A string or a list of strings (`stop`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

/// `prompt`: text or token ids, one or a batch.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    Text(String),
    Texts(Vec<String>),
    Ids(Vec<u32>),
    IdLists(Vec<Vec<u32>>),
}

/// One prompt of a request.
pub enum PromptInput {
    Text(String),
    Ids(Vec<u32>),
}

impl Prompt {
    pub fn into_inputs(self) -> Vec<PromptInput> {
        match self {
            Self::Text(s) => vec![PromptInput::Text(s)],
            Self::Texts(v) => v.into_iter().map(PromptInput::Text).collect(),
            Self::Ids(v) => vec![PromptInput::Ids(v)],
            Self::IdLists(v) => v.into_iter().map(PromptInput::Ids).collect(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// The sampling fields both endpoints share.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Sampling {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<i64>,
    pub min_p: Option<f32>,
    pub repetition_penalty: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Option<OneOrMany>,
    pub n: Option<usize>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub logit_bias: Option<serde_json::Map<String, Value>>,
}

/// The fields of [`Sampling`], plus `user`, which is accepted and ignored as OpenAI's own
/// bookkeeping.
pub const SAMPLING_FIELDS: &[&str] = &[
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repetition_penalty",
    "seed",
    "stop",
    "n",
    "stream",
    "stream_options",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "user",
];

/// A request body: JSON of the type's shape, with no field outside the lists of `fields`.
/// (serde's `deny_unknown_fields` does not work with `flatten`.)
pub fn parse<T: DeserializeOwned>(body: &[u8], fields: &[&[&str]]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_body(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(map) = &value else {
        return Err(ApiError::bad_body("the body must be a JSON object"));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !fields.iter().any(|f| f.contains(&k.as_str())))
    {
        return Err(ApiError::invalid(key, format!("unknown field `{key}`")));
    }
    serde_json::from_value(value).map_err(|e| ApiError::bad_body(format!("invalid request: {e}")))
}

#[derive(Clone, Debug, Deserialize)]
pub struct CompletionRequest {
    pub model: Option<String>,
    pub prompt: Prompt,
    pub max_tokens: Option<usize>,
    pub logprobs: Option<usize>,
    #[serde(default)]
    pub echo: bool,
    pub best_of: Option<usize>,
    pub suffix: Option<String>,
    #[serde(flatten)]
    pub sampling: Sampling,
}

impl CompletionRequest {
    pub const FIELDS: &[&str] = &[
        "model",
        "prompt",
        "max_tokens",
        "logprobs",
        "echo",
        "best_of",
        "suffix",
    ];
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChatRequest {
    pub model: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: Option<usize>,
    pub max_completion_tokens: Option<usize>,
    #[serde(default)]
    pub logprobs: bool,
    pub top_logprobs: Option<usize>,
    #[serde(flatten)]
    pub sampling: Sampling,
}

/// vLLM's `/tokenize` body.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenizeRequest {
    pub model: Option<String>,
    pub prompt: String,
    #[serde(default = "yes")]
    pub add_special_tokens: bool,
}

impl TokenizeRequest {
    pub const FIELDS: &[&str] = &["model", "prompt", "add_special_tokens"];
}

fn yes() -> bool {
    true
}

/// vLLM's `/detokenize` body.
#[derive(Clone, Debug, Deserialize)]
pub struct DetokenizeRequest {
    pub model: Option<String>,
    pub tokens: Vec<u32>,
}

impl DetokenizeRequest {
    pub const FIELDS: &[&str] = &["model", "tokens"];
}

impl ChatRequest {
    pub const FIELDS: &[&str] = &[
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "logprobs",
        "top_logprobs",
    ];
}

/// A chat message (`name` is accepted and not used).
#[derive(Clone, Debug, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: Content,
}

/// Message content: a string, or parts of which only text is supported.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
}

impl Content {
    pub fn text(self, index: usize) -> Result<String, ApiError> {
        match self {
            Self::Text(s) => Ok(s),
            Self::Parts(parts) => parts
                .into_iter()
                .map(|p| match (p.kind.as_str(), p.text) {
                    ("text", Some(t)) => Ok(t),
                    (kind, _) => Err(ApiError::invalid(
                        &format!("messages[{index}].content"),
                        format!("only text content parts are supported, not `{kind}`"),
                    )),
                })
                .collect(),
        }
    }
}

impl Sampling {
    /// Refuses options that are set to something this server does not do.
    pub fn check_supported(&self) -> Result<(), ApiError> {
        if self.n.is_some_and(|n| n != 1) {
            return Err(ApiError::invalid("n", "only n=1 is supported"));
        }
        for (name, v) in [
            ("presence_penalty", self.presence_penalty),
            ("frequency_penalty", self.frequency_penalty),
        ] {
            if v.is_some_and(|v| v != 0.0) {
                return Err(ApiError::invalid(
                    name,
                    format!("{name} is not supported; use repetition_penalty"),
                ));
            }
        }
        if self.logit_bias.as_ref().is_some_and(|m| !m.is_empty()) {
            return Err(ApiError::invalid(
                "logit_bias",
                "logit_bias is not supported",
            ));
        }
        Ok(())
    }
}
