//! `eval ifeval`: generate IFEval responses with the model, then score them.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use model::cli::ModelArgs;
use serde_json::Value;

use super::score::{input_data_path, print_headline};
use crate::data_dir::DATA_DIR_ENV;
use crate::ifeval::{InputExample, io::read_inputs};
use crate::ifeval_run::{
    self, ChatTemplate, DEFAULT_MAX_NEW_TOKENS, IfevalRunConfig, RESPONSES_FILE,
};

#[derive(Args)]
pub struct IfevalArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Only the first N prompts of the input data.
    #[arg(long)]
    limit: Option<usize>,
    /// Prompts generated together (left-padded).
    #[arg(long, default_value_t = 1)]
    batch_size: usize,
    /// Most tokens generated per response (lm-eval: 1280).
    #[arg(long, default_value_t = DEFAULT_MAX_NEW_TOKENS)]
    max_new_tokens: usize,
    /// `auto`: the Gemma chat template; `none`: the raw prompt. Either way one `<bos>`.
    #[arg(long, value_enum, default_value_t = ChatTemplate::Auto)]
    chat_template: ChatTemplate,
    /// Prompts in Google's input_data JSONL format
    /// [default: <data-dir>/data/ifeval/input_data.jsonl].
    #[arg(long)]
    input_data: Option<PathBuf>,
    /// Data directory [default: <workspace>/../shared].
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    /// Folder for responses.jsonl (resumed if present), eval_results_{strict,loose}.jsonl,
    /// report.json and report.md.
    #[arg(long)]
    output_dir: PathBuf,
}

pub fn run(args: IfevalArgs) -> Result<()> {
    // Everything that can be wrong is checked before the model loads: the input data (every
    // instruction id and kwarg), the backend, the model files and the output folder.
    let input_path = input_data_path(args.input_data, args.data_dir);
    let mut inputs: Vec<InputExample> = read_inputs(&input_path)?;
    inputs.truncate(args.limit.unwrap_or(usize::MAX));
    let files = args.model.resolve()?;
    let (identity, mut metadata) = super::describe("ifeval", &args.model, &files)?;
    metadata.insert("input_data".into(), input_path.display().to_string().into());
    metadata.insert("limit".into(), args.limit.map_or(Value::Null, Value::from));
    let cfg = IfevalRunConfig {
        output_dir: args.output_dir,
        batch_size: args.batch_size,
        max_new_tokens: args.max_new_tokens,
        chat_template: args.chat_template,
        identity,
    };
    let folder = cfg.open(&inputs)?;
    let loaded = args.model.load_files(files)?;
    metadata.insert("load_secs".into(), loaded.load_secs.into());
    let (report, summary) = ifeval_run::run(
        &loaded.model,
        &loaded.tokenizer,
        &inputs,
        &cfg,
        folder,
        metadata,
    )?;
    print_headline(&report);
    println!(
        "{} prompts ({} resumed); this run generated {} tokens at {:.1} tok/s",
        summary.records.len(),
        summary.resumed,
        summary.generated_tokens,
        summary.tokens_per_sec()
    );
    println!(
        "wrote {} and the reports in {}",
        RESPONSES_FILE,
        cfg.output_dir.display()
    );
    Ok(())
}
