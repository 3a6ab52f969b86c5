use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct GenDataArgs {
    /// Output folder (train.jsonl, valid.jsonl, test.jsonl).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 400)]
    n_train: usize,
    #[arg(long, default_value_t = 40)]
    n_val: usize,
    #[arg(long, default_value_t = 100)]
    n_test: usize,
}

pub fn run(a: GenDataArgs) -> anyhow::Result<()> {
    eval::extraction::generate::write_splits(&a.out, a.seed, a.n_train, a.n_val, a.n_test)?;
    println!(
        "wrote {} train, {} valid, {} test examples to {}",
        a.n_train,
        a.n_val,
        a.n_test,
        a.out.display()
    );
    Ok(())
}
