//! Perplexity and KL divergence exactly as llama.cpp's `llama-perplexity` computes them.
//!
//! The text is tokenized whole with `<bos>` first and cut into chunks of `n_ctx` tokens; each
//! chunk starts with `<bos>` (replacing its first token) and runs from an empty cache; only
//! its second half is scored: positions `n_ctx/2 .. n_ctx-2` predicting the next token (255
//! per chunk at 512). PPL = exp(mean NLL), its error `PPL × stderr(NLL)`.
//!
//! `save_logits` keeps a compact summary of the scored logits ([`top_logits`]); `kld_base`
//! evaluates the chunks stored in such a file and compares against it, as llama.cpp's
//! `--kl-divergence` does. With an output folder, every chunk's result is appended to
//! `chunks.jsonl` and a rerun continues after the last finished chunk.

pub mod chunk;
pub mod kld;
pub mod logits_file;
pub mod report;
pub mod stats;
pub mod tokens;
pub mod top_logits;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use model::{Gemma3, Gemma3Config, GemmaTokenizer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::progress;
use crate::provenance::sha256_file;
use crate::run_dir::{self, JsonlLog};
use crate::shard::{Part, Shard};
use chunk::ChunkRecord;
use engine::scoring::{LogSoftmax, map_position_logits};
use kld::{ChunkKld, PositionKld};
use logits_file::{Header, LogitsReader, LogitsWriter, scored_per_chunk};
use stats::{KldStats, PplStats};
use top_logits::TopLogits;

/// The task name in a sharded run's settings.
pub const TASK: &str = "perplexity";
/// The per-chunk log inside the output folder.
pub const CHUNKS_FILE: &str = "chunks.jsonl";
/// llama-perplexity's default context.
pub const DEFAULT_CTX: usize = 512;

#[derive(Clone, Debug)]
pub struct PerplexityConfig {
    /// The text to score; unused with `kld_base`, whose file holds its chunks' tokens.
    pub text_file: PathBuf,
    pub n_ctx: usize,
    /// Evaluate only the first chunks (all by default).
    pub max_chunks: Option<usize>,
    /// Save the scored logits here (see [`top_logits`]), keeping `top_k` per position.
    pub save_logits: Option<PathBuf>,
    pub top_k: usize,
    /// Compare against logits saved by an earlier `save_logits` run.
    pub kld_base: Option<PathBuf>,
    /// Where `chunks.jsonl` goes; a rerun with the same folder resumes. `None`: no resume.
    pub output_dir: Option<PathBuf>,
    /// What identifies the model run (model hash, backend, dtype, ...): resuming a folder
    /// started with another identity is refused.
    pub identity: Value,
    /// Which of the chunks this run scores (chunk `c` belongs to shard `c mod N`).
    pub shard: Shard,
}

impl PerplexityConfig {
    /// llama-perplexity's defaults on `text_file`: context 512, every chunk.
    pub fn new(text_file: PathBuf) -> Self {
        Self {
            text_file,
            n_ctx: DEFAULT_CTX,
            max_chunks: None,
            save_logits: None,
            top_k: top_logits::DEFAULT_TOP_K,
            kld_base: None,
            output_dir: None,
            identity: Value::Null,
            shard: Shard::WHOLE,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerplexityResult {
    pub n_ctx: usize,
    /// Tokens of the text, `<bos>` included (in a KL run: of the base file's chunks).
    pub n_tokens: usize,
    pub n_chunks: usize,
    /// Chunks the data holds.
    pub n_chunks_max: usize,
    #[serde(flatten)]
    pub ppl: PplStats,
    /// Present in a KL run.
    pub kld: Option<KldStats>,
    /// Logits per position the KL divergence was computed over.
    pub kld_top_k: Option<usize>,
    pub this_invocation: Pace,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pace {
    pub chunks_resumed: usize,
    pub chunks_evaluated: usize,
    pub secs: f64,
    /// Tokens run through the model per second.
    pub tokens_per_sec: f64,
}

/// The chunks to evaluate and where they came from.
struct Source {
    chunks: Vec<Vec<u32>>,
    n_tokens: usize,
    n_chunks_max: usize,
    base: Option<LogitsReader>,
    /// The data file's hash, for the resume check.
    identity: Value,
}

fn source(tokenizer: &GemmaTokenizer, cfg: &PerplexityConfig, vocab: usize) -> Result<Source> {
    let source = if let Some(path) = &cfg.kld_base {
        let reader = LogitsReader::open(path)?;
        let h = &reader.header;
        if h.n_ctx != cfg.n_ctx {
            bail!(
                "{}: saved with a context of {}; pass --ctx {}",
                path.display(),
                h.n_ctx,
                h.n_ctx
            );
        }
        if h.n_vocab != vocab {
            bail!(
                "{}: saved from a model with {} vocabulary entries; this model has {vocab}",
                path.display(),
                h.n_vocab
            );
        }
        let n = cfg.max_chunks.unwrap_or(usize::MAX).min(h.chunks.len());
        Source {
            chunks: h.chunks[..n].to_vec(),
            n_tokens: h.chunks.len() * h.n_ctx,
            n_chunks_max: h.chunks.len(),
            identity: json!({"kld_base_sha256": sha256_file(path)?}),
            base: Some(reader),
        }
    } else {
        let tokens = tokens::read_tokens(tokenizer, &cfg.text_file)?;
        Source {
            chunks: tokens::chunks(&tokens, cfg.n_ctx, cfg.max_chunks)
                .with_context(|| format!("{}", cfg.text_file.display()))?,
            n_tokens: tokens.len(),
            n_chunks_max: tokens::max_chunks(tokens.len(), cfg.n_ctx),
            identity: json!({"text_sha256": sha256_file(&cfg.text_file)?}),
            base: None,
        }
    };
    let origin = cfg.kld_base.as_ref().unwrap_or(&cfg.text_file);
    for (c, chunk) in source.chunks.iter().enumerate() {
        if let Some(p) = chunk.iter().position(|&t| t as usize >= vocab) {
            bail!(
                "{}: chunk {c}, position {p}: token id {} is outside the model's vocabulary of {vocab}",
                origin.display(),
                chunk[p]
            );
        }
    }
    Ok(source)
}

/// Scores `cfg`'s chunks with `model`, resuming from `cfg.output_dir` when it holds finished chunks.
pub fn run(
    model: &Gemma3,
    tokenizer: &GemmaTokenizer,
    cfg: &PerplexityConfig,
) -> Result<PerplexityResult> {
    prepare(tokenizer, &model.config, cfg)?.evaluate(model, cfg)
}

/// A run whose inputs are read and checked and whose output folder is open: the model is
/// needed only from here on.
pub struct Prepared {
    src: Source,
    /// The chunks this run scores, in order (all but in a shard).
    indices: Vec<usize>,
    log: Option<JsonlLog>,
    done: Vec<ChunkRecord>,
    writer: Option<LogitsWriter>,
}

/// Checks the options against the model's configuration, tokenizes the text (or reads the
/// saved logits' header), and opens the output folder, all before the model is loaded.
pub fn prepare(
    tokenizer: &GemmaTokenizer,
    model_config: &Gemma3Config,
    cfg: &PerplexityConfig,
) -> Result<Prepared> {
    if cfg.save_logits.is_some() && cfg.kld_base.is_some() {
        bail!(
            "--save-logits and --kl-divergence-base cannot be combined: one run either saves the base logits or compares against them"
        );
    }
    let max_ctx = model_config.max_position_embeddings;
    if cfg.n_ctx < 4 || cfg.n_ctx > max_ctx {
        bail!("--ctx {} is outside 4..={max_ctx}", cfg.n_ctx);
    }
    let vocab = model_config.vocab_size;
    if cfg.max_chunks == Some(0) || cfg.top_k == 0 || cfg.top_k > vocab {
        bail!("--chunks must be at least 1 and --save-top-k within 1..={vocab}");
    }
    if !cfg.shard.is_whole() {
        if cfg.save_logits.is_some() {
            bail!(
                "--save-logits cannot run sharded (one logits file holds every chunk): save the base logits in one run"
            );
        }
        if cfg.output_dir.is_none() {
            bail!("a sharded run needs --output-dir: `eval merge` joins the shards' folders");
        }
    }
    let src = source(tokenizer, cfg, vocab)?;
    let indices = cfg.shard.select(&(0..src.chunks.len()).collect::<Vec<_>>());
    let part = (!cfg.shard.is_whole()).then(|| Part {
        shard: cfg.shard,
        task: TASK.into(),
        work: json!({"chunks": src.chunks.len()}),
    });
    let settings = Part::settings(part.as_ref(), settings(cfg, &src.identity));
    let (log, done) = resume(cfg, &settings, &indices, src.base.is_some())?;
    let writer = match &cfg.save_logits {
        Some(path) => Some(LogitsWriter::open(
            path,
            Header {
                n_ctx: cfg.n_ctx,
                n_vocab: vocab,
                k: cfg.top_k,
                chunks: src.chunks.clone(),
            },
            done.len(),
        )?),
        None => None,
    };
    Ok(Prepared {
        src,
        indices,
        log,
        done,
        writer,
    })
}

impl Prepared {
    /// Scores the chunks not finished yet with `model`.
    pub fn evaluate(self, model: &Gemma3, cfg: &PerplexityConfig) -> Result<PerplexityResult> {
        let Prepared {
            mut src,
            indices,
            mut log,
            mut done,
            mut writer,
        } = self;
        let resumed = done.len();
        let bar = progress::bar(indices.len(), resumed, "chunks");
        let start = Instant::now();
        for (n, &i) in indices.iter().enumerate().skip(resumed) {
            let base = src.base.as_mut().map(|r| r.read_chunk(i)).transpose()?;
            let save_k = writer.as_ref().map(|_| cfg.top_k);
            let (record, saved) =
                evaluate_chunk(model, i, &src.chunks[i], base.as_deref(), save_k)?;
            if let Some(w) = &mut writer {
                w.write_chunk(&saved)?;
            }
            // The chunk's line goes last: a chunk counts as done only once everything is on disk.
            if let Some(log) = &mut log {
                log.append(&serde_json::to_string(&record)?)?;
            }
            done.push(record);
            bar.inc(1);
            bar.set_message(format!(
                "{:.1} tok/s",
                progress::per_sec((n + 1 - resumed) * cfg.n_ctx, start.elapsed().as_secs_f64())
            ));
        }
        bar.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        let evaluated = indices.len() - resumed;
        Ok(PerplexityResult {
            n_ctx: cfg.n_ctx,
            n_tokens: src.n_tokens,
            n_chunks: indices.len(),
            n_chunks_max: src.n_chunks_max,
            ppl: PplStats::new(&done),
            kld: KldStats::new(&done),
            kld_top_k: src.base.as_ref().map(|r| r.header.k),
            this_invocation: Pace {
                chunks_resumed: resumed,
                chunks_evaluated: evaluated,
                secs,
                tokens_per_sec: progress::per_sec(evaluated * cfg.n_ctx, secs),
            },
        })
    }
}

/// What `run.json` holds for an unsharded run.
fn settings(cfg: &PerplexityConfig, data: &Value) -> Value {
    json!({
        "identity": cfg.identity,
        "n_ctx": cfg.n_ctx,
        "data": data,
        "save_logits_top_k": cfg.save_logits.as_ref().map(|_| cfg.top_k),
    })
}

/// The chunk log and the chunks of `indices` an earlier run finished (in order).
fn resume(
    cfg: &PerplexityConfig,
    settings: &Value,
    indices: &[usize],
    compare: bool,
) -> Result<(Option<JsonlLog>, Vec<ChunkRecord>)> {
    let Some(dir) = &cfg.output_dir else {
        return Ok((None, Vec::new()));
    };
    run_dir::check_settings(dir, settings)?;
    let (log, records) = JsonlLog::open::<ChunkRecord>(&dir.join(CHUNKS_FILE))?;
    let scored = scored_per_chunk(cfg.n_ctx);
    let mut done = Vec::new();
    for (line, record) in records {
        // Lines past this run's chunks (a run with more --chunks) are kept but unused.
        let Some(&expected) = indices.get(done.len()) else {
            break;
        };
        if !record.fits(expected, scored, compare) {
            bail!(
                "{}:{line}: expected chunk {expected} with {scored} scored tokens; the file was not written by this run",
                log.path().display(),
            );
        }
        done.push(record);
    }
    Ok((Some(log), done))
}

/// One chunk's NLLs (and KL numbers against `base`), and its logits summary when `save_k` is set.
fn evaluate_chunk(
    model: &Gemma3,
    index: usize,
    tokens: &[u32],
    base: Option<&[TopLogits]>,
    save_k: Option<usize>,
) -> Result<(ChunkRecord, Vec<TopLogits>)> {
    let first = tokens.len() / 2;
    let positions = map_position_logits(model, tokens, first..tokens.len() - 1, |p, logits| {
        let target = tokens[p + 1];
        let softmax = LogSoftmax::new(logits);
        let nll = -softmax.log_prob(logits[target as usize]);
        let kld = base.map(|base| PositionKld::new(&base[p - first], logits, &softmax, nll));
        (
            nll,
            kld,
            save_k.map(|k| TopLogits::new(logits, softmax, target, k)),
        )
    })?;
    let mut record = ChunkRecord {
        chunk: index,
        nll: Vec::new(),
        kld: base.map(|_| ChunkKld::default()),
    };
    let mut saved = Vec::new();
    for (nll, kld, top) in positions {
        record.nll.push(nll);
        if let (Some(chunk_kld), Some(kld)) = (record.kld.as_mut(), kld) {
            chunk_kld.push(kld);
        }
        saved.extend(top);
    }
    Ok((record, saved))
}
