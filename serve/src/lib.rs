//! `gemma serve`: an OpenAI-compatible HTTP server on the generation engine.
//!
//! Every request becomes engine jobs (one per prompt) on one thread that owns the model and
//! batches all jobs in flight continuously. Endpoints: `POST /v1/completions` (text or token-id
//! prompts, prompt log-probabilities with `echo`), `POST /v1/chat/completions` (the Gemma chat
//! template), both streamed with `stream`; `GET /v1/models`, `GET /health`, `GET /metrics`;
//! and vLLM's `/tokenizer_info`, `/tokenize` and `/detokenize`, which lm-eval reads.

mod completions;
mod config;
mod connection_limit;
mod error;
mod metrics;
mod protocol;
mod state;
mod text_stream;
mod tokenize;
mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use model::{Gemma3, GemmaTokenizer};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use config::ServeConfig;
use connection_limit::CappedListener;
pub use error::ApiError;
use metrics::Metrics;
use state::AppState;
use worker::Worker;

/// A server with its engine started, ready to take a listener.
pub struct Server {
    state: Arc<AppState>,
}

impl Server {
    pub fn new(model: Gemma3, tokenizer: GemmaTokenizer, cfg: ServeConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(
            cfg.max_connections > 0,
            "max_connections must be at least 1"
        );
        let metrics = Arc::new(Metrics::new());
        let tokenizer = Arc::new(tokenizer);
        let (context, vocab) = (
            model.config.max_position_embeddings,
            model.config.vocab_size,
        );
        let worker = Worker::spawn(
            model,
            tokenizer.clone(),
            cfg.engine,
            cfg.max_waiting,
            metrics.clone(),
        )?;
        let key_hash = cfg
            .api_key
            .as_ref()
            .map(|k| Sha256::digest(k.as_bytes()).into());
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Self {
            state: Arc::new(AppState {
                cfg,
                tokenizer,
                worker,
                metrics,
                context,
                vocab,
                key_hash,
                created,
                shutting_down: AtomicBool::new(false),
            }),
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then stops accepting, lets running
    /// requests finish for the grace period, cancels what is left, and returns.
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state.clone();
        let listener = CappedListener::new(listener, state.cfg.max_connections);
        let on_shutdown = async move {
            shutdown.await;
            eprintln!(
                "shutting down: no new connections; running requests have {} s",
                state.cfg.shutdown_grace.as_secs()
            );
            state.shutting_down.store(true, Ordering::SeqCst);
            let grace = state.cfg.shutdown_grace;
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                state.worker.cancel_all("the server is shutting down");
            });
        };
        axum::serve(listener, router(self.state))
            .with_graceful_shutdown(on_shutdown)
            .await?;
        Ok(())
    }
}

fn router(state: Arc<AppState>) -> Router {
    let v1 = Router::new()
        .route("/v1/completions", post(completions::completions))
        .route("/v1/chat/completions", post(completions::chat))
        .route("/v1/models", get(models))
        .route("/tokenizer_info", get(tokenize::tokenizer_info))
        .route("/tokenize", post(tokenize::tokenize))
        .route("/detokenize", post(tokenize::detokenize))
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize));
    Router::new()
        .merge(v1)
        .route("/health", get(health))
        .route("/metrics", get(render_metrics))
        .fallback(|uri: Uri| async move { ApiError::not_found(uri.path()) })
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .with_state(state)
}

/// With a key set, `/v1` (and the tokenizer endpoints) need `Authorization: Bearer KEY`. The hashes are compared in constant
/// time, so neither the key's bytes nor its length leak through timing.
async fn authorize(State(s): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if let Some(expected) = &s.key_hash {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let digest = Sha256::digest(presented.as_bytes());
        if !bool::from(digest.as_slice().ct_eq(expected)) {
            return ApiError::unauthorized().into_response();
        }
    }
    next.run(request).await
}

/// Counts every response by endpoint and status.
async fn count(State(s): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let endpoint = match request.uri().path() {
        p
        @ ("/v1/completions" | "/v1/chat/completions" | "/v1/models" | "/health" | "/metrics") => {
            p.to_owned()
        }
        _ => "other".to_owned(),
    };
    let response = next.run(request).await;
    s.metrics
        .count_request(&endpoint, response.status().as_u16());
    response
}

async fn models(State(s): State<Arc<AppState>>) -> Response {
    axum::Json(json!({
        "object": "list",
        "data": [{
            "id": s.cfg.model_name,
            "object": "model",
            "created": s.created,
            "owned_by": "gemma-burn",
            "max_model_len": s.context,
        }],
    }))
    .into_response()
}

async fn health(State(s): State<Arc<AppState>>) -> Response {
    if s.shutting_down.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "shutting down"})),
        )
            .into_response();
    }
    axum::Json(json!({"status": "ok"})).into_response()
}

async fn render_metrics(State(s): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
        .into_response()
}

/// A runtime for the HTTP side (the engine has its own thread), and `listener` moved onto it.
fn runtime_for(
    listener: std::net::TcpListener,
) -> anyhow::Result<(tokio::runtime::Runtime, tokio::net::TcpListener)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    listener.set_nonblocking(true)?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    Ok((runtime, listener))
}

/// Serves on `listener` until SIGINT or SIGTERM, then shuts down gracefully.
pub fn serve_until_signal(server: Server, listener: std::net::TcpListener) -> anyhow::Result<()> {
    let (runtime, listener) = runtime_for(listener)?;
    let mut terminate = {
        let _guard = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?
    };
    runtime.block_on(server.run(listener, async move {
        let interrupt = tokio::signal::ctrl_c();
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }))
}

/// A server on its own thread and runtime, as tests and embedders use it.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    /// Serves on `listener` (bound by the caller, so a taken port fails before the model loads).
    pub fn start(server: Server, listener: std::net::TcpListener) -> anyhow::Result<Self> {
        let (runtime, listener) = runtime_for(listener)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn(move || {
            runtime.block_on(server.run(listener, async {
                let _ = stopped.await;
            }))
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Shuts down gracefully and waits for the server to return.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| anyhow::anyhow!("the server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl AppState {
    /// Seconds since the epoch, for a response's `created`.
    fn created_now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(self.created, |d| d.as_secs())
    }
}
