//! The server's settings.

use std::time::Duration;

use engine::EngineConfig;

#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The id `/v1/models` lists and requests must name (or leave out).
    pub model_name: String,
    pub engine: EngineConfig,
    /// Jobs that may wait for a row; past it a request gets 429.
    pub max_waiting: usize,
    pub max_connections: usize,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// After SIGINT/SIGTERM, how long running requests may go on before they are cancelled.
    pub shutdown_grace: Duration,
    pub api_key: Option<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            model_name: "gemma-3-270m".into(),
            engine: EngineConfig::default(),
            max_waiting: 256,
            max_connections: 256,
            max_body_bytes: 4 << 20,
            request_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(30),
            api_key: None,
        }
    }
}
