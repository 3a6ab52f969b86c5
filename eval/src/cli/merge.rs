//! `eval merge`: joins the shards of `eval ifeval`, `eval ifbench` or `eval perplexity` into
//! the folder a single run writes.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::score::print_headline;
use crate::benchmark::{Benchmark, BenchmarkKind};
use crate::data_dir::{self, DATA_DIR_ENV};
use crate::merge::{self, ShardSet};
use crate::perplexity;

#[derive(Args)]
pub struct MergeArgs {
    /// Shard folders (shard-I-of-N), or the folders holding them.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where the merged run goes [default: the folder the shards sit in].
    #[arg(long)]
    output_dir: Option<PathBuf>,
    /// The prompts, if they moved since the shards ran [default: the path the shards
    /// recorded]; they must hash the same.
    #[arg(long)]
    input_data: Option<PathBuf>,
    /// Data directory, for IFBench's NLTK data [default: <workspace>/../shared].
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
}

pub fn run(args: MergeArgs) -> Result<()> {
    let set = ShardSet::open(&args.dirs)?;
    let out = set.output_dir(args.output_dir)?;
    set.check_output(&out)?;
    let data_dir = args.data_dir.unwrap_or_else(data_dir::data_dir);
    let kind = match set.task.as_str() {
        "ifeval" => Some(BenchmarkKind::Ifeval),
        "ifbench" => Some(BenchmarkKind::Ifbench),
        perplexity::TASK => None,
        other => bail!("shards of `{other}` are merged by `experiments merge`, not `eval merge`"),
    };
    match kind {
        Some(kind) => {
            let benchmark = Benchmark::open(kind, &data_dir)?;
            let report = merge::ifeval::merge(&set, &benchmark, args.input_data.as_deref(), &out)?;
            print_headline(&report);
            println!("{} prompts", report.prompts_scored);
        }
        None => print!(
            "{}",
            perplexity::report::summary(&merge::perplexity::merge(&set, &out)?)
        ),
    }
    println!("merged {} shards into {}", set.shards.len(), out.display());
    Ok(())
}
