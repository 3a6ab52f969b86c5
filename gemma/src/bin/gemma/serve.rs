//! `gemma serve`: the OpenAI-compatible server (see the `serve` crate).

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, ensure};
use engine::EngineConfig;
use gemma::args::ModelArgs;
use serve::{ServeConfig, Server};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    /// Address to bind; anything but loopback without `--api-key-file` is warned about.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Sequences decoded together (rows of the engine's cache).
    #[arg(long, default_value_t = 16)]
    max_seqs: usize,
    /// Prompt tokens fed per engine step.
    #[arg(long, default_value_t = 512)]
    prefill_chunk: usize,
    /// Jobs that may wait for a row; past it, 429 with Retry-After.
    #[arg(long, default_value_t = 256)]
    max_queue: usize,
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    #[arg(long, default_value_t = 4 << 20)]
    max_body_bytes: usize,
    /// Seconds a request may take, queueing included.
    #[arg(long, default_value_t = 600)]
    request_timeout: u64,
    /// Seconds running requests get after SIGINT/SIGTERM before they are cancelled.
    #[arg(long, default_value_t = 30)]
    shutdown_grace: u64,
    /// A file holding the API key (its first line); then every /v1 request needs
    /// `Authorization: Bearer KEY`.
    #[arg(long)]
    api_key_file: Option<PathBuf>,
    /// The model id clients name.
    #[arg(long, default_value = "gemma-3-270m")]
    served_model_name: String,
}

fn read_key(path: &PathBuf) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the API key file {}", path.display()))?;
    let key = text.lines().next().unwrap_or_default().trim().to_owned();
    ensure!(
        !key.is_empty(),
        "{}: the API key file is empty",
        path.display()
    );
    Ok(key)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // Everything that can fail cheaply fails before the weights are read.
    let api_key = args.api_key_file.as_ref().map(read_key).transpose()?;
    ensure!(args.max_seqs > 0, "--max-seqs must be at least 1");
    ensure!(args.prefill_chunk > 0, "--prefill-chunk must be at least 1");
    let addr = SocketAddr::new(args.host, args.port);
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    if !args.host.is_loopback() && api_key.is_none() {
        eprintln!(
            "warning: serving on {addr}, beyond this machine, with no API key: anyone who can reach it can use it (pass --api-key-file)"
        );
    }
    let files = args.model.resolve()?;
    let loaded = args.model.load_files(files)?;
    eprintln!(
        "loaded {} on {} in {:.1}s",
        loaded.model_path.display(),
        loaded.backend,
        loaded.load_secs
    );
    let cfg = ServeConfig {
        model_name: args.served_model_name,
        engine: EngineConfig {
            max_seqs: args.max_seqs,
            prefill_chunk: args.prefill_chunk,
        },
        max_waiting: args.max_queue,
        max_connections: args.max_connections,
        max_body_bytes: args.max_body_bytes,
        request_timeout: Duration::from_secs(args.request_timeout),
        shutdown_grace: Duration::from_secs(args.shutdown_grace),
        api_key,
    };
    let auth = if cfg.api_key.is_some() { "on" } else { "off" };
    let name = cfg.model_name.clone();
    let server = Server::new(loaded.model, loaded.tokenizer, cfg)?;
    eprintln!(
        "serving `{name}` on http://{} ({} sequences in flight, API key {auth}); Ctrl-C stops",
        listener.local_addr()?,
        args.max_seqs
    );
    serve::serve_until_signal(server, listener)?;
    eprintln!("stopped");
    Ok(())
}
