//! `gemma chat`: an interactive chat with the Gemma template.

use std::io::{BufRead, Write};

use gemma::args::ModelArgs;
use model::chat_template::{self, Message};

use super::generate::{SamplingArgs, stream};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    /// A system text, merged into the first user turn.
    #[arg(long)]
    system: Option<String>,
    #[command(flatten)]
    opts: SamplingArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let loaded = args.model.load_and_report()?;
    let mut messages: Vec<Message> = args
        .system
        .iter()
        .map(|s| Message::new("system", s))
        .collect();
    let stdin = std::io::stdin();
    loop {
        print!("> ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
            return Ok(());
        }
        messages.push(Message::new("user", line.trim_end()));
        let prompt = chat_template::render(&messages, true)?;
        let reply = stream(&loaded, &prompt, &args.opts.config(), false)?;
        messages.push(Message::new("assistant", &reply));
    }
}
