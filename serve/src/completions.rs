//! `POST /v1/completions` and `POST /v1/chat/completions`: a request is checked and turned into
//! engine jobs before anything runs, then answered whole or streamed as server-sent events.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use engine::sampling::SamplingConfig;
use engine::{GenerationConfig, StopReason};
use model::chat_template::{self, Message};
use model::tokenizer::{BOS_ID, STOP_IDS};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::Instant;

use crate::error::ApiError;
use crate::protocol::{
    ChatRequest, CompletionRequest, PromptInput, SAMPLING_FIELDS, Sampling, parse,
};
use crate::state::AppState;
use crate::text_stream::TextStream;
use crate::worker::{Job, Scored, Update};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Completion,
    Chat,
}

/// A checked request: its jobs, and how to answer.
struct Plan {
    kind: Kind,
    jobs: Vec<Job>,
    /// What `echo` puts before each completion.
    echo_texts: Vec<String>,
    stops: Vec<String>,
    logprobs: Option<usize>,
    stream: bool,
    include_usage: bool,
}

pub async fn completions(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let plan = async {
        let body = read_body(&s, &headers, body).await?;
        plan_completion(
            &s,
            parse(&body, &[CompletionRequest::FIELDS, SAMPLING_FIELDS])?,
        )
    };
    match plan.await {
        Ok(plan) => answer(s, plan).await,
        Err(e) => e.into_response(),
    }
}

pub async fn chat(State(s): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let plan = async {
        let body = read_body(&s, &headers, body).await?;
        plan_chat(&s, parse(&body, &[ChatRequest::FIELDS, SAMPLING_FIELDS])?)
    };
    match plan.await {
        Ok(plan) => answer(s, plan).await,
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn read_body(
    s: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, ApiError> {
    let limit = s.cfg.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

pub(crate) fn check_model(s: &AppState, model: Option<&str>) -> Result<(), ApiError> {
    match model {
        Some(m) if m != s.cfg.model_name => Err(ApiError::unknown_model(m, &s.cfg.model_name)),
        _ => Ok(()),
    }
}

fn check_common(s: &AppState, sampling: &Sampling) -> Result<(), ApiError> {
    if s.shutting_down.load(Ordering::SeqCst) {
        return Err(ApiError::unavailable("the server is shutting down"));
    }
    sampling.check_supported()
}

fn plan_completion(s: &AppState, r: CompletionRequest) -> Result<Plan, ApiError> {
    check_model(s, r.model.as_deref())?;
    check_common(s, &r.sampling)?;
    if r.best_of.is_some_and(|b| b != 1) {
        return Err(ApiError::invalid("best_of", "only best_of=1 is supported"));
    }
    if r.suffix.is_some() {
        return Err(ApiError::invalid("suffix", "suffix is not supported"));
    }
    if r.logprobs.is_some_and(|k| k > 20) {
        return Err(ApiError::invalid("logprobs", "logprobs must be at most 20"));
    }
    let inputs = r.prompt.clone().into_inputs();
    if inputs.is_empty() {
        return Err(ApiError::invalid("prompt", "the prompt list is empty"));
    }
    let mut prompts = Vec::with_capacity(inputs.len());
    let mut echo_texts = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (ids, text) = match input {
            PromptInput::Text(t) => (encode(s, &t, "prompt")?, t),
            PromptInput::Ids(ids) => {
                check_ids(s, &ids, "prompt")?;
                let text = s
                    .tokenizer
                    .decode(&ids, false)
                    .map_err(|e| ApiError::invalid("prompt", format!("{e:#}")))?;
                (ids, text)
            }
        };
        prompts.push(ids);
        echo_texts.push(if r.echo { text } else { String::new() });
    }
    let stops = stops(&r.sampling)?;
    let jobs = jobs(
        s,
        &r.sampling,
        prompts,
        r.max_tokens,
        "prompt",
        |_| 16,
        &stops,
        r.logprobs,
        r.echo,
    )?;
    Ok(Plan {
        kind: Kind::Completion,
        jobs,
        echo_texts,
        stops,
        logprobs: r.logprobs,
        stream: r.sampling.stream,
        include_usage: include_usage(&r.sampling),
    })
}

fn plan_chat(s: &AppState, r: ChatRequest) -> Result<Plan, ApiError> {
    check_model(s, r.model.as_deref())?;
    check_common(s, &r.sampling)?;
    if r.messages.is_empty() {
        return Err(ApiError::invalid("messages", "there are no messages"));
    }
    if r.top_logprobs.is_some_and(|k| k > 20) {
        return Err(ApiError::invalid(
            "top_logprobs",
            "top_logprobs must be at most 20",
        ));
    }
    let messages = r
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            if !matches!(m.role.as_str(), "system" | "user" | "assistant") {
                return Err(ApiError::invalid(
                    &format!("messages[{i}].role"),
                    format!(
                        "unknown role `{}`: expected system, user or assistant",
                        m.role
                    ),
                ));
            }
            Ok(Message::new(&m.role, &m.content.text(i)?))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let text = chat_template::render(&messages, true)
        .map_err(|e| ApiError::invalid("messages", format!("{e:#}")))?;
    let prompt = encode(s, &text, "messages")?;
    let logprobs = r.logprobs.then(|| r.top_logprobs.unwrap_or(0));
    let stops = stops(&r.sampling)?;
    let max_tokens = r.max_completion_tokens.or(r.max_tokens);
    let room = |len: usize| s.context - len;
    let jobs = jobs(
        s,
        &r.sampling,
        vec![prompt],
        max_tokens,
        "messages",
        room,
        &stops,
        logprobs,
        false,
    )?;
    Ok(Plan {
        kind: Kind::Chat,
        jobs,
        echo_texts: vec![String::new()],
        stops,
        logprobs,
        stream: r.sampling.stream,
        include_usage: include_usage(&r.sampling),
    })
}

/// Every id must have a row in the model's embedding.
pub(crate) fn check_ids(s: &AppState, ids: &[u32], param: &str) -> Result<(), ApiError> {
    match ids.iter().find(|&&id| id as usize >= s.vocab) {
        Some(bad) => Err(ApiError::invalid(
            param,
            format!(
                "token id {bad} is outside the model's vocabulary of {}",
                s.vocab
            ),
        )),
        None => Ok(()),
    }
}

fn encode(s: &AppState, text: &str, param: &str) -> Result<Vec<u32>, ApiError> {
    s.tokenizer
        .encode_prompt(text)
        .map_err(|e| ApiError::invalid(param, format!("{e:#}")))
}

fn include_usage(sampling: &Sampling) -> bool {
    sampling
        .stream_options
        .as_ref()
        .is_some_and(|o| o.include_usage)
}

fn stops(sampling: &Sampling) -> Result<Vec<String>, ApiError> {
    let stops = sampling
        .stop
        .clone()
        .map(|s| s.into_vec())
        .unwrap_or_default();
    if stops.iter().any(String::is_empty) {
        return Err(ApiError::invalid("stop", "a stop string is empty"));
    }
    if stops.len() > 16 {
        return Err(ApiError::invalid("stop", "at most 16 stop strings"));
    }
    Ok(stops)
}

/// Where unseeded sampling gets its seeds.
static SEEDS: AtomicU64 = AtomicU64::new(0);

fn sampling_config(r: &Sampling) -> Result<SamplingConfig, ApiError> {
    let temperature = r.temperature.unwrap_or(1.0);
    if !temperature.is_finite() || temperature < 0.0 {
        return Err(ApiError::invalid(
            "temperature",
            "temperature must be at least 0",
        ));
    }
    let top_p = r.top_p.unwrap_or(1.0);
    if !(top_p > 0.0 && top_p <= 1.0) {
        return Err(ApiError::invalid("top_p", "top_p must be in (0, 1]"));
    }
    let min_p = r.min_p.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&min_p) {
        return Err(ApiError::invalid("min_p", "min_p must be in [0, 1]"));
    }
    let repetition_penalty = r.repetition_penalty.unwrap_or(1.0);
    if !(repetition_penalty.is_finite() && repetition_penalty > 0.0) {
        return Err(ApiError::invalid(
            "repetition_penalty",
            "repetition_penalty must be above 0",
        ));
    }
    let top_k = match r.top_k.unwrap_or(0) {
        -1 | 0 => 0,
        k if k > 0 => k as usize,
        _ => {
            return Err(ApiError::invalid(
                "top_k",
                "top_k must be -1, 0 (off) or positive",
            ));
        }
    };
    let seed = r.seed.unwrap_or_else(|| {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        now ^ SEEDS.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
    });
    Ok(SamplingConfig {
        temperature,
        top_k,
        top_p,
        min_p,
        repetition_penalty,
        seed,
    })
}

/// One job per prompt, each checked against the context: the prompt must leave room, and so
/// must `max_tokens` (by default `default_max(prompt length)`).
#[allow(clippy::too_many_arguments)]
fn jobs(
    s: &AppState,
    sampling: &Sampling,
    prompts: Vec<Vec<u32>>,
    max_tokens: Option<usize>,
    prompt_param: &str,
    default_max: impl Fn(usize) -> usize,
    stops: &[String],
    logprobs: Option<usize>,
    echo: bool,
) -> Result<Vec<Job>, ApiError> {
    let base = sampling_config(sampling)?;
    prompts
        .into_iter()
        .enumerate()
        .map(|(i, prompt)| {
            let len = prompt.len();
            if len == 0 {
                return Err(ApiError::invalid(prompt_param, "the prompt has no tokens"));
            }
            // Text can name a special token outside the model's table (`<image_soft_token>`).
            check_ids(s, &prompt, prompt_param)?;
            if len >= s.context {
                return Err(ApiError::invalid(
                    prompt_param,
                    format!(
                        "the prompt has {len} tokens; the context is {} tokens",
                        s.context
                    ),
                ));
            }
            let max_new = max_tokens.unwrap_or_else(|| default_max(len));
            if len + max_new > s.context {
                return Err(ApiError::invalid(
                    "max_tokens",
                    format!(
                        "max_tokens {max_new} plus the prompt's {len} tokens exceeds the context of {} tokens",
                        s.context
                    ),
                ));
            }
            Ok(Job {
                prompt,
                config: GenerationConfig {
                    max_new_tokens: max_new,
                    sampling: SamplingConfig {
                        seed: base.seed.wrapping_add(i as u64),
                        ..base.clone()
                    },
                    stop_ids: STOP_IDS.to_vec(),
                    stop_strings: stops.to_vec(),
                },
                logprobs,
                echo,
            })
        })
        .collect()
}

/// One choice being built.
struct Choice {
    text: TextStream,
    out: String,
    prompt: Vec<Scored>,
    tokens: Vec<Scored>,
    /// Characters of the text that logprobs' offsets have passed.
    offset: usize,
    finish: Option<StopReason>,
}

impl Choice {
    fn new(stops: Vec<String>) -> Self {
        Self {
            text: TextStream::new(stops),
            out: String::new(),
            prompt: vec![],
            tokens: vec![],
            offset: 0,
            finish: None,
        }
    }
}

struct Run {
    state: Arc<AppState>,
    id: String,
    kind: Kind,
    choices: Vec<Choice>,
    prompt_tokens: usize,
    logprobs: Option<usize>,
    updates: UnboundedReceiver<(usize, Update)>,
    deadline: Instant,
}

async fn answer(s: Arc<AppState>, plan: Plan) -> Response {
    let (tx, updates) = unbounded_channel();
    let prompt_tokens: usize = plan.jobs.iter().map(|j| j.prompt.len()).sum();
    let n = plan.jobs.len();
    let tickets = match s.worker.submit(plan.jobs, tx) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    s.metrics.prompt_tokens.inc_by(prompt_tokens as u64);
    let prefix = match plan.kind {
        Kind::Completion => "cmpl",
        Kind::Chat => "chatcmpl",
    };
    let mut run = Run {
        id: format!("{prefix}-{}", tickets.first_id()),
        kind: plan.kind,
        choices: (0..n).map(|_| Choice::new(plan.stops.clone())).collect(),
        prompt_tokens,
        logprobs: plan.logprobs,
        updates,
        deadline: Instant::now() + s.cfg.request_timeout,
        state: s,
    };
    for (c, echo) in run.choices.iter_mut().zip(plan.echo_texts) {
        c.out = echo;
    }
    if !plan.stream {
        let result = run.collect().await;
        drop(tickets);
        return match result {
            Ok(()) => axum::Json(run.whole()).into_response(),
            Err(e) => e.into_response(),
        };
    }
    let (events, rx) = tokio::sync::mpsc::channel::<Event>(64);
    let include_usage = plan.include_usage;
    tokio::spawn(async move {
        // Holding the tickets here: when the client goes, this task ends and they cancel.
        let _tickets = tickets;
        tokio::select! {
            _ = events.closed() => {}
            _ = run.stream(&events, include_usage) => {}
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

impl Run {
    async fn next(&mut self) -> Result<(usize, Update), ApiError> {
        match tokio::time::timeout_at(self.deadline, self.updates.recv()).await {
            Ok(Some(u)) => Ok(u),
            Ok(None) => Err(ApiError::internal("the engine stopped")),
            Err(_) => Err(ApiError::timeout(self.state.cfg.request_timeout.as_secs())),
        }
    }

    /// Applies one update; returns the choice it touched and the text it released.
    fn apply(&mut self, index: usize, update: Update) -> Result<String, ApiError> {
        let tok = &self.state.tokenizer;
        let c = &mut self.choices[index];
        match update {
            Update::Prompt(p) => {
                c.prompt = p;
                Ok(String::new())
            }
            Update::Token(t) => {
                let delta = c
                    .text
                    .push(tok, t.token)
                    .map_err(|e| ApiError::internal(format!("{e:#}")))?;
                c.tokens.push(t);
                Ok(delta)
            }
            Update::Done(Ok(reason)) => {
                c.finish = Some(reason);
                c.text
                    .finish(tok)
                    .map_err(|e| ApiError::internal(format!("{e:#}")))
            }
            Update::Done(Err(e)) => Err(ApiError::unavailable(e)),
        }
    }

    fn done(&self) -> bool {
        self.choices.iter().all(|c| c.finish.is_some())
    }

    async fn collect(&mut self) -> Result<(), ApiError> {
        while !self.done() {
            let (i, u) = self.next().await?;
            let delta = self.apply(i, u)?;
            self.choices[i].out.push_str(&delta);
        }
        Ok(())
    }

    fn completion_tokens(&self) -> usize {
        self.choices.iter().map(|c| c.tokens.len()).sum()
    }

    fn usage(&self) -> Value {
        let completion = self.completion_tokens();
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        })
    }

    fn envelope(&self, choices: Vec<Value>, chunk: bool) -> Value {
        let object = match (self.kind, chunk) {
            (Kind::Completion, _) => "text_completion",
            (Kind::Chat, false) => "chat.completion",
            (Kind::Chat, true) => "chat.completion.chunk",
        };
        json!({
            "id": self.id,
            "object": object,
            "created": self.state.created_now(),
            "model": self.state.cfg.model_name,
            "choices": choices,
        })
    }

    /// The whole answer, once every choice has finished.
    fn whole(&mut self) -> Value {
        let mut choices = Vec::new();
        for i in 0..self.choices.len() {
            let scored: Vec<Scored> = {
                let c = &self.choices[i];
                c.prompt.iter().chain(&c.tokens).cloned().collect()
            };
            let logprobs = self.logprobs.map(|_| self.logprobs_json(i, &scored));
            let c = &self.choices[i];
            let finish = finish_reason(c.finish);
            choices.push(match self.kind {
                Kind::Completion => json!({
                    "index": i, "text": c.out, "logprobs": logprobs, "finish_reason": finish,
                }),
                Kind::Chat => json!({
                    "index": i,
                    "message": {"role": "assistant", "content": c.out},
                    "logprobs": logprobs,
                    "finish_reason": finish,
                }),
            });
        }
        let mut v = self.envelope(choices, false);
        v["usage"] = self.usage();
        v
    }

    /// Log-probabilities in the endpoint's format for `scored`, stop ids included (lm-eval
    /// drops the last generated entry); offsets continue from the choice's last.
    fn logprobs_json(&mut self, index: usize, scored: &[Scored]) -> Value {
        let tok = &self.state.tokenizer;
        let piece = |id: u32| tok.decode(&[id], false).unwrap_or_default();
        let shown: Vec<&Scored> = scored.iter().collect();
        match self.kind {
            Kind::Completion => {
                let c = &mut self.choices[index];
                let mut offsets = Vec::with_capacity(shown.len());
                for t in &shown {
                    offsets.push(c.offset);
                    if t.token != BOS_ID && !STOP_IDS.contains(&t.token) {
                        c.offset += piece(t.token).chars().count();
                    }
                }
                json!({
                    "tokens": shown.iter().map(|t| piece(t.token)).collect::<Vec<_>>(),
                    "token_logprobs": shown.iter().map(|t| t.logprob).collect::<Vec<_>>(),
                    "top_logprobs": shown.iter().map(|t| {
                        t.logprob.map(|_| t.top.iter().map(|&(id, lp)| (piece(id), json!(lp)))
                            .collect::<serde_json::Map<_, _>>())
                    }).collect::<Vec<_>>(),
                    "text_offset": offsets,
                })
            }
            Kind::Chat => {
                let entry = |id: u32, lp: f32| {
                    let p = piece(id);
                    json!({"token": p, "logprob": lp, "bytes": p.as_bytes()})
                };
                json!({"content": shown.iter().map(|t| {
                    let mut e = entry(t.token, t.logprob.unwrap_or(0.0));
                    e["top_logprobs"] = t.top.iter().map(|&(id, lp)| entry(id, lp)).collect();
                    e
                }).collect::<Vec<_>>()})
            }
        }
    }

    /// Streams chunks until every choice has finished, then `[DONE]`.
    async fn stream(&mut self, events: &tokio::sync::mpsc::Sender<Event>, include_usage: bool) {
        let send = |v: Value| events.send(Event::default().data(v.to_string()));
        if self.kind == Kind::Chat {
            let first = self.chunk(0, json!({"role": "assistant", "content": ""}), None, None);
            if send(first).await.is_err() {
                return;
            }
        }
        // The echoed prompts go first.
        for i in 0..self.choices.len() {
            if self.choices[i].out.is_empty() {
                continue;
            }
            let text = std::mem::take(&mut self.choices[i].out);
            if send(self.chunk(i, json!(text), None, None)).await.is_err() {
                return;
            }
        }
        while !self.done() {
            let (i, update) = match self.next().await {
                Ok(u) => u,
                Err(e) => {
                    let _ = send(e.body()).await;
                    return;
                }
            };
            let is_prompt = matches!(update, Update::Prompt(_));
            let token = match &update {
                Update::Token(t) => Some(t.clone()),
                _ => None,
            };
            let delta = match self.apply(i, update) {
                Ok(d) => d,
                Err(e) => {
                    let _ = send(e.body()).await;
                    return;
                }
            };
            let scored: Vec<Scored> = if is_prompt {
                self.choices[i].prompt.clone()
            } else {
                token.into_iter().collect()
            };
            let logprobs = self
                .logprobs
                .filter(|_| !scored.is_empty())
                .map(|_| self.logprobs_json(i, &scored));
            let finish = self.choices[i].finish;
            if delta.is_empty() && logprobs.is_none() && finish.is_none() {
                continue;
            }
            let text = match self.kind {
                Kind::Completion => json!(delta),
                Kind::Chat if delta.is_empty() => json!({}),
                Kind::Chat => json!({"content": delta}),
            };
            if send(self.chunk(i, text, logprobs, finish)).await.is_err() {
                return;
            }
        }
        if include_usage {
            let mut v = self.envelope(vec![], true);
            v["usage"] = self.usage();
            if send(v).await.is_err() {
                return;
            }
        }
        let _ = events.send(Event::default().data("[DONE]")).await;
    }

    /// One streamed chunk: `text` is the completion's text, or the chat delta.
    fn chunk(
        &self,
        index: usize,
        text: Value,
        logprobs: Option<Value>,
        finish: Option<StopReason>,
    ) -> Value {
        let finish = finish.map(|r| finish_reason(Some(r)));
        let choice = match self.kind {
            Kind::Completion => json!({
                "index": index, "text": text, "logprobs": logprobs, "finish_reason": finish,
            }),
            Kind::Chat => json!({
                "index": index, "delta": text, "logprobs": logprobs, "finish_reason": finish,
            }),
        };
        self.envelope(vec![choice], true)
    }
}

fn finish_reason(reason: Option<StopReason>) -> &'static str {
    match reason {
        Some(StopReason::MaxNewTokens) => "length",
        _ => "stop",
    }
}
