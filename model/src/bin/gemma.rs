//! `gemma`: run Gemma 3 from the command line (generate, chat, logits, inspect).

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::PathBuf;

use model::chat_template::{self, Message};
use model::cli::{Loaded, ModelArgs};
use model::generate::{GenerationConfig, generate};
use model::gguf::GgufFile;
use model::sampling::SamplingConfig;
use model::tokenizer::GemmaTokenizer;

#[derive(Parser)]
#[command(name = "gemma", about = "Gemma 3 in Burn: generate, chat, inspect")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a continuation, streamed, then print prefill and decode speed.
    Generate {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, default_value = "The capital of France is")]
        prompt: String,
        /// Wrap the prompt in the Gemma chat template.
        #[arg(long)]
        chat: bool,
        #[command(flatten)]
        opts: GenArgs,
    },
    /// Chat interactively (one line per user turn; an empty line or EOF ends).
    Chat {
        #[command(flatten)]
        model: ModelArgs,
        /// A system text, merged into the first user turn.
        #[arg(long)]
        system: Option<String>,
        #[command(flatten)]
        opts: GenArgs,
    },
    /// Print the input ids and the top-k logits at the last position.
    Logits {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        text: String,
        #[arg(long)]
        chat: bool,
        #[arg(long, default_value_t = 10)]
        top_k: usize,
        #[arg(long)]
        json: bool,
    },
    /// List the compiled backends and probe each (device, dtypes, a test matmul).
    Backends {
        #[arg(long)]
        json: bool,
    },
    /// Convert a model (GGUF or HF checkpoint) to HF-layout safetensors or Burn's burnpack.
    Convert {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, value_enum)]
        to: ConvertTarget,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure prefill, decode, batched decode, time to first token and memory on fixed prompts.
    Bench {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, default_value_t = 512)]
        prefill_tokens: usize,
        #[arg(long, default_value_t = 64)]
        decode_tokens: usize,
        #[arg(long, value_delimiter = ',', default_value = "8")]
        batch_sizes: Vec<usize>,
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Threads for the CPU backends and kernels (rayon's pool) [default: every core].
        #[arg(long)]
        threads: Option<usize>,
        /// Also run llama.cpp (llama-cpp-python, scripts/install-llama-cpp.sh) on the same GGUF,
        /// token ids and thread count, and print the ratios.
        #[arg(long)]
        vs_llama_cpp: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print a GGUF file's metadata and tensor table.
    Inspect {
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ConvertTarget {
    /// `config.json` + `model.safetensors`, HF names and layout (transformers can load it).
    Safetensors,
    /// `config.json` + `model.bpk`, Burn's own format (fastest to load).
    Burnpack,
}

#[derive(Args)]
struct GenArgs {
    #[arg(long, default_value_t = 64)]
    max_new_tokens: usize,
    /// 0 = greedy.
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    #[arg(long, default_value_t = 0.0)]
    min_p: f32,
    #[arg(long, default_value_t = 1.0)]
    repetition_penalty: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop when this text appears (repeatable).
    #[arg(long = "stop")]
    stop_strings: Vec<String>,
}

impl GenArgs {
    fn config(&self) -> GenerationConfig {
        GenerationConfig {
            max_new_tokens: self.max_new_tokens,
            sampling: SamplingConfig {
                temperature: self.temperature,
                top_k: self.top_k,
                top_p: self.top_p,
                min_p: self.min_p,
                repetition_penalty: self.repetition_penalty,
                seed: self.seed,
            },
            stop_strings: self.stop_strings.clone(),
            ..Default::default()
        }
    }
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Generate {
            model,
            prompt,
            chat,
            opts,
        } => {
            let loaded = load(&model)?;
            let text = if chat {
                chat_template::render(&[Message::new("user", &prompt)], true)?
            } else {
                prompt.clone()
            };
            print!("{prompt}");
            stream(&loaded, &text, &opts.config(), true)?;
        }
        Cmd::Chat {
            model,
            system,
            opts,
        } => {
            let loaded = load(&model)?;
            let mut messages: Vec<Message> =
                system.iter().map(|s| Message::new("system", s)).collect();
            let stdin = std::io::stdin();
            loop {
                print!("> ");
                std::io::stdout().flush()?;
                let mut line = String::new();
                if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
                    break;
                }
                messages.push(Message::new("user", line.trim_end()));
                let reply = stream(
                    &loaded,
                    &chat_template::render(&messages, true)?,
                    &opts.config(),
                    false,
                )?;
                messages.push(Message::new("assistant", &reply));
            }
        }
        Cmd::Logits {
            model,
            text,
            chat,
            top_k,
            json,
        } => {
            let loaded = load(&model)?;
            let text = if chat {
                chat_template::render(&[Message::new("user", &text)], true)?
            } else {
                text
            };
            let ids = loaded.tokenizer.encode_prompt(&text)?;
            let logits = last_logits(&loaded, &ids)?;
            let mut order: Vec<usize> = (0..logits.len()).collect();
            order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
            let top: Vec<serde_json::Value> = order[..top_k.min(order.len())]
                .iter()
                .map(|&i| serde_json::json!({"id": i, "logit": logits[i]}))
                .collect();
            if json {
                println!("{}", serde_json::json!({"input_ids": ids, "top_k": top}));
            } else {
                println!("input_ids: {ids:?}");
                for &i in &order[..top_k.min(order.len())] {
                    println!(
                        "{i:>8} {:>12.5} {:?}",
                        logits[i],
                        loaded.tokenizer.decode(&[i as u32], false)?
                    );
                }
            }
        }
        Cmd::Backends { json } => {
            let probes: Vec<_> = model::BackendKind::ALL
                .into_iter()
                .map(model::BackendKind::probe)
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&probes)?);
            } else {
                println!(
                    "| backend | compiled | device | dtypes | matmul max |Δ| | Burn quantization | note |\n|---|---|---|---|---|---|---|"
                );
                for p in probes {
                    println!(
                        "| {} | {} | {} | {} | {} | {} | {} |",
                        p.backend,
                        if p.compiled { "yes" } else { "no" },
                        p.device.unwrap_or_default(),
                        p.dtypes.join(", "),
                        p.matmul_error
                            .map(|e| format!("{e:.1e}"))
                            .unwrap_or_default(),
                        if p.compiled && p.quantization.is_empty() {
                            "none".to_string()
                        } else {
                            p.quantization.join(", ")
                        },
                        p.error.unwrap_or_default()
                    );
                }
            }
        }
        Cmd::Convert { model, to, out } => {
            let loaded = load(&model)?;
            let start = std::time::Instant::now();
            match to {
                ConvertTarget::Safetensors => model::weights::hf_export::save(&loaded.model, &out)?,
                ConvertTarget::Burnpack => model::weights::burnpack::save(&loaded.model, &out)?,
            }
            // The folder is self-contained: the tokenizer travels with the weights.
            std::fs::copy(
                &loaded.tokenizer_path,
                out.join(model::paths::TOKENIZER_FILE),
            )?;
            eprintln!(
                "wrote {} in {:.1}s",
                out.display(),
                start.elapsed().as_secs_f64()
            );
        }
        Cmd::Bench {
            model,
            prefill_tokens,
            decode_tokens,
            batch_sizes,
            repeats,
            threads,
            vs_llama_cpp,
            json,
        } => {
            if let Some(n) = threads {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build_global()?;
            }
            let loaded = load(&model)?;
            let cfg = model::bench::BenchConfig {
                prefill_tokens,
                decode_tokens,
                batch_sizes,
                repeats,
            };
            let report = model::bench::run(&loaded.model, &loaded.tokenizer, &cfg)?;
            let llama = if vs_llama_cpp {
                let tok = &loaded.tokenizer;
                let (long, short) = (
                    model::bench::fixed_prompt(tok, prefill_tokens)?,
                    model::bench::fixed_prompt(tok, 16)?,
                );
                model::llama_cpp::run(
                    &loaded.model_path,
                    report.threads,
                    &long,
                    &short,
                    decode_tokens,
                    repeats,
                )?
            } else {
                Err("not requested (--vs-llama-cpp)".to_string())
            };
            if json {
                let llama = llama.as_ref().map_or_else(
                    |why| serde_json::json!({"skipped": why}),
                    |r| serde_json::json!(r),
                );
                println!(
                    "{}",
                    serde_json::json!({"backend": loaded.backend, "dtype": loaded.dtype, "packed": model.packed.map(|p| format!("{p:?}")), "config": cfg, "report": report, "llama_cpp": llama})
                );
            } else {
                print_bench(&loaded, &report, prefill_tokens, &llama, vs_llama_cpp);
            }
        }
        Cmd::Inspect { model } => {
            inspect(&model::paths::resolve_or_fetch_model(model.as_deref())?)?
        }
    }
    Ok(())
}

fn print_bench(
    loaded: &Loaded,
    r: &model::bench::BenchReport,
    prefill_tokens: usize,
    llama: &Result<model::llama_cpp::LlamaCppReport, String>,
    asked: bool,
) {
    let mib = |b: usize| format!("{:.0} MiB", b as f64 / (1 << 20) as f64);
    println!(
        "backend {} ({}), {} threads",
        loaded.backend, loaded.dtype, r.threads
    );
    println!(
        "| | prefill {prefill_tokens} tok/s | TTFT (16-token prompt) | decode tok/s | batched decode tok/s | weights | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|");
    let batched: Vec<String> = r
        .batched_decode_tok_s
        .iter()
        .map(|(b, t)| format!("b{b}: {t:.1}"))
        .collect();
    let rss = r.peak_rss_bytes.map(mib).unwrap_or_default();
    println!(
        "| this project | {:.1} | {:.0} ms | {:.1} | {} | {} | {rss} |",
        r.prefill_tok_s,
        r.ttft_ms,
        r.decode_tok_s,
        batched.join(", "),
        mib(r.weight_bytes)
    );
    match llama {
        Ok(l) => {
            println!(
                "| llama.cpp {} | {:.1} | {:.0} ms | {:.1} | | | {} |",
                l.llama_cpp_python,
                l.prefill_tok_s,
                l.ttft_ms,
                l.decode_tok_s,
                mib(l.peak_rss_bytes)
            );
            let ratio_rss = r
                .peak_rss_bytes
                .map(|b| format!("{:.2}x", b as f64 / l.peak_rss_bytes as f64))
                .unwrap_or_default();
            println!(
                "| ratio (this / llama.cpp) | {:.2}x | {:.2}x | {:.2}x | | | {ratio_rss} |",
                r.prefill_tok_s / l.prefill_tok_s,
                r.ttft_ms / l.ttft_ms,
                r.decode_tok_s / l.decode_tok_s
            );
        }
        Err(why) if asked => println!("llama.cpp skipped: {why}"),
        Err(_) => {}
    }
}

fn load(args: &ModelArgs) -> anyhow::Result<Loaded> {
    let loaded = args.load()?;
    eprintln!(
        "loaded {} on {} in {:.1}s",
        loaded.model_path.display(),
        loaded.backend,
        loaded.load_secs
    );
    Ok(loaded)
}

/// Generates from `text`, printing the decoded continuation as it grows; returns it.
fn stream(
    loaded: &Loaded,
    text: &str,
    cfg: &GenerationConfig,
    stats: bool,
) -> anyhow::Result<String> {
    let tok: &GemmaTokenizer = &loaded.tokenizer;
    let ids = tok.encode_prompt(text)?;
    let mut tokens = Vec::new();
    let mut shown = 0;
    let (out, st) = generate(&loaded.model, Some(tok), &ids, cfg, |id| {
        if model::tokenizer::STOP_IDS.contains(&id) {
            return;
        }
        tokens.push(id);
        // Print only complete characters: a byte-fallback piece may end mid-UTF-8.
        if let Ok(s) = tok.decode(&tokens, false) {
            if !s.ends_with('\u{FFFD}') && s.len() > shown {
                print!("{}", &s[shown..]);
                let _ = std::io::stdout().flush();
                shown = s.len();
            }
        }
    })?;
    println!();
    if stats {
        eprintln!(
            "prompt {} tokens, prefill {:.1} tok/s; generated {} tokens ({:?}), decode {:.1} tok/s",
            st.prompt_tokens,
            st.prefill_tok_s(),
            out.tokens.len(),
            out.stop_reason,
            st.decode_tok_s()
        );
    }
    let body: Vec<u32> = out
        .tokens
        .into_iter()
        .filter(|t| !model::tokenizer::STOP_IDS.contains(t))
        .collect();
    tok.decode(&body, false)
}

fn last_logits(loaded: &Loaded, ids: &[u32]) -> anyhow::Result<Vec<f32>> {
    let mut cache = loaded.model.new_cache(vec![0]);
    let hidden = loaded
        .model
        .forward(model::host::tokens(ids, 1, &loaded.device), &mut cache);
    model::host::to_vec(loaded.model.last_logits(hidden))
}

fn inspect(path: &std::path::Path) -> anyhow::Result<()> {
    let file = GgufFile::open(path)
        .with_context(|| format!("inspect needs a GGUF file: {}", path.display()))?;
    println!("{} (GGUF v{})", path.display(), file.version());
    for (key, value) in file.metadata() {
        let shown = match value.as_array() {
            Some(items) => format!("[{} items]", items.len()),
            None => format!("{value:?}"),
        };
        println!("  {key} = {shown}");
    }
    println!("{} tensors:", file.tensors().len());
    for t in file.tensors() {
        println!(
            "  {:<32} {:<6} {:?} @ {} ({} bytes)",
            t.name,
            t.ggml_type.name(),
            t.shape(),
            t.offset,
            t.n_bytes
        );
    }
    Ok(())
}
