//! What `/metrics` reports, in Prometheus' text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

pub struct Metrics {
    registry: Registry,
    /// By endpoint and status code.
    pub requests: Family<Labels, Counter>,
    pub prompt_tokens: Counter,
    pub generation_tokens: Counter,
    /// Jobs whose client went away before they finished.
    pub cancelled: Counter,
    pub queue_depth: Gauge,
    pub in_flight: Gauge,
    pub time_to_first_token: Histogram,
    /// Decode speed of each finished job, after its first token.
    pub tokens_per_second: Histogram,
}

impl Metrics {
    pub fn new() -> Self {
        let m = Self {
            registry: Registry::with_prefix("gemma"),
            requests: Family::default(),
            prompt_tokens: Counter::default(),
            generation_tokens: Counter::default(),
            cancelled: Counter::default(),
            queue_depth: Gauge::default(),
            in_flight: Gauge::default(),
            time_to_first_token: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            tokens_per_second: Histogram::new(exponential_buckets(0.5, 2.0, 12)),
        };
        let mut registry = Registry::with_prefix("gemma");
        registry.register(
            "requests",
            "HTTP requests by endpoint and status",
            m.requests.clone(),
        );
        registry.register(
            "prompt_tokens",
            "Prompt tokens received",
            m.prompt_tokens.clone(),
        );
        registry.register(
            "generation_tokens",
            "Tokens generated",
            m.generation_tokens.clone(),
        );
        registry.register(
            "cancelled",
            "Jobs cancelled because their client disconnected",
            m.cancelled.clone(),
        );
        registry.register(
            "queue_depth",
            "Jobs waiting for a sequence row",
            m.queue_depth.clone(),
        );
        registry.register(
            "sequences_in_flight",
            "Sequences holding a row, or being prefilled",
            m.in_flight.clone(),
        );
        registry.register(
            "time_to_first_token_seconds",
            "From submission to the first generated token",
            m.time_to_first_token.clone(),
        );
        registry.register(
            "decode_tokens_per_second",
            "Each finished job's decode speed after its first token",
            m.tokens_per_second.clone(),
        );
        Self { registry, ..m }
    }

    pub fn count_request(&self, endpoint: &str, status: u16) {
        self.requests
            .get_or_create(&vec![
                ("endpoint".into(), endpoint.into()),
                ("status".into(), status.to_string()),
            ])
            .inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
