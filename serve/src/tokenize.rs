//! vLLM's tokenizer endpoints (`/tokenizer_info`, `/tokenize`, `/detokenize`): lm-eval's
//! `tokenizer_backend=remote` reads them, so it needs no local copy of the tokenizer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::completions::{check_ids, check_model, read_body};
use crate::error::ApiError;
use crate::protocol::{DetokenizeRequest, TokenizeRequest, parse};
use crate::state::AppState;

pub async fn tokenizer_info(State(s): State<Arc<AppState>>) -> Response {
    axum::Json(json!({
        "tokenizer_class": "GemmaTokenizerFast",
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "model_max_length": s.context,
    }))
    .into_response()
}

pub async fn tokenize(State(s): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let answer = async {
        let r: TokenizeRequest = parse(
            &read_body(&s, &headers, body).await?,
            &[TokenizeRequest::FIELDS],
        )?;
        check_model(&s, r.model.as_deref())?;
        let tokens = s
            .tokenizer
            .encode(&r.prompt, r.add_special_tokens)
            .map_err(|e| ApiError::invalid("prompt", format!("{e:#}")))?;
        Ok::<_, ApiError>(json!({
            "count": tokens.len(),
            "max_model_len": s.context,
            "tokens": tokens,
        }))
    };
    match answer.await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn detokenize(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let r: DetokenizeRequest = parse(
            &read_body(&s, &headers, body).await?,
            &[DetokenizeRequest::FIELDS],
        )?;
        check_model(&s, r.model.as_deref())?;
        check_ids(&s, &r.tokens, "tokens")?;
        let prompt = s
            .tokenizer
            .decode(&r.tokens, false)
            .map_err(|e| ApiError::invalid("tokens", format!("{e:#}")))?;
        Ok::<_, ApiError>(json!({"prompt": prompt}))
    };
    match answer.await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
