//! `gemma generate`: a streamed continuation of one prompt, then its speed.

use std::io::Write;

use gemma::args::{Loaded, ModelArgs};
use model::chat_template::{self, Message};
use model::generate::{GenerationConfig, generate};
use model::sampling::SamplingConfig;
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

pub fn run(args: Args) -> anyhow::Result<()> {
    let loaded = super::load(&args.model)?;
    let text = if args.chat {
        chat_template::render(&[Message::new("user", &args.prompt)], true)?
    } else {
        args.prompt.clone()
    };
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
