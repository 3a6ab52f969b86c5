//! `gemma generate`: a streamed continuation of one prompt, then its speed; or, with
//! `--prompts-file`, many prompts on the engine, one JSON line per finished completion.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use engine::sampling::SamplingConfig;
use engine::{self, EngineConfig, Event, Request};
use engine::{GenerationConfig, generate};
use gemma::args::{Loaded, ModelArgs};
use model::chat_template::{self, Message};
use model::tokenizer::STOP_IDS;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long, default_value = "The capital of France is")]
    prompt: String,
    /// Wrap the prompt in the Gemma chat template.
    #[arg(long)]
    chat: bool,
    /// Prompts, one JSON string per line, run together on the engine (instead of `--prompt`);
    /// prints one JSON object per completion as it finishes, with its line's index.
    #[arg(long)]
    prompts_file: Option<PathBuf>,
    /// Sequences in flight together with `--prompts-file`.
    #[arg(long, alias = "batch-size", default_value_t = 16)]
    max_seqs: usize,
    #[command(flatten)]
    opts: SamplingArgs,
}

/// Decoding options, shared with `gemma chat`.
#[derive(clap::Args)]
pub struct SamplingArgs {
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

impl SamplingArgs {
    pub fn config(&self) -> GenerationConfig {
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

/// The prompt as the model sees it: in the chat template with `chat`.
fn prompt_text(prompt: &str, chat: bool) -> anyhow::Result<String> {
    if chat {
        chat_template::render(&[Message::new("user", prompt)], true)
    } else {
        Ok(prompt.to_owned())
    }
}

/// Every line of `path` as a JSON string, checked before the model loads.
fn read_prompts(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let prompts = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<String>(line)
                .with_context(|| format!("{}:{}: expected one JSON string", path.display(), i + 1))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!prompts.is_empty(), "{}: no prompts", path.display());
    Ok(prompts)
}

fn run_many(args: &Args, path: &Path) -> anyhow::Result<()> {
    let prompts = read_prompts(path)?;
    anyhow::ensure!(args.max_seqs > 0, "--max-seqs must be at least 1");
    let files = args.model.resolve()?;
    let tok = &files.tokenizer;
    let cfg = args.opts.config();
    let requests = prompts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(Request {
                id: i as u64,
                prompt: tok.encode_prompt(&prompt_text(p, args.chat)?)?,
                config: GenerationConfig {
                    sampling: SamplingConfig {
                        seed: cfg.sampling.seed.wrapping_add(i as u64),
                        ..cfg.sampling.clone()
                    },
                    ..cfg.clone()
                },
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let loaded = args.model.load_files(files)?;
    let engine_cfg = EngineConfig {
        max_seqs: args.max_seqs,
        ..EngineConfig::default()
    };
    let tok = &loaded.tokenizer;
    let stats = engine::run(&loaded.model, Some(tok), engine_cfg, requests, |event| {
        if let Event::Finished { id, generation } = event {
            let body: Vec<u32> = generation
                .tokens
                .iter()
                .copied()
                .filter(|t| !STOP_IDS.contains(t))
                .collect();
            let line = serde_json::json!({
                "index": id,
                "prompt": prompts[id as usize],
                "completion": tok.decode(&body, false)?,
                "generated_ids": generation.tokens,
                "stop_reason": generation.stop_reason,
            });
            println!("{line}");
        }
        Ok(())
    })?;
    eprintln!(
        "{} prompts ({} tokens), {} generated tokens, {:.1} tok/s with {} in flight",
        stats.requests,
        stats.prompt_tokens,
        stats.generated_tokens,
        stats.tokens_per_sec(),
        args.max_seqs
    );
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(path) = &args.prompts_file {
        return run_many(&args, path);
    }
    let loaded = args.model.load_and_report()?;
    let text = prompt_text(&args.prompt, args.chat)?;
    print!("{}", args.prompt);
    stream(&loaded, &text, &args.opts.config(), true)?;
    Ok(())
}

/// Generates from `text`, printing the decoded continuation as it grows; returns it.
pub fn stream(
    loaded: &Loaded,
    text: &str,
    cfg: &GenerationConfig,
    stats: bool,
) -> anyhow::Result<String> {
    let tok = &loaded.tokenizer;
    let ids = tok.encode_prompt(text)?;
    let mut tokens = Vec::new();
    let mut shown = 0;
    let (out, st) = generate(&loaded.model, Some(tok), &ids, cfg, |id| {
        if STOP_IDS.contains(&id) {
            return;
        }
        tokens.push(id);
        // Print only complete characters: a byte-fallback piece may end mid-UTF-8.
        if let Ok(s) = tok.decode(&tokens, false)
            && !s.ends_with('\u{FFFD}')
            && s.len() > shown
        {
            print!("{}", &s[shown..]);
            let _ = std::io::stdout().flush();
            shown = s.len();
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
        .filter(|t| !STOP_IDS.contains(t))
        .collect();
    tok.decode(&body, false)
}
