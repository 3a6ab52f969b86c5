//! `gemma bench`: prefill, decode, batched decode, time to first token and memory on fixed
//! prompts; with `--vs-llama-cpp`, llama.cpp on the same GGUF, ids and threads, and the ratios.

use gemma::args::{Loaded, ModelArgs};
use gemma::bench::{BenchConfig, BenchReport, fixed_prompt};
use gemma::llama_cpp::{self, LlamaCppReport};

#[derive(clap::Args)]
pub struct Args {
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
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    let loaded = super::load(&args.model)?;
    let cfg = BenchConfig {
        prefill_tokens: args.prefill_tokens,
        decode_tokens: args.decode_tokens,
        batch_sizes: args.batch_sizes.clone(),
        repeats: args.repeats,
    };
    let report = gemma::bench::run(&loaded.model, &loaded.tokenizer, &cfg)?;
    let llama = if args.vs_llama_cpp {
        let tok = &loaded.tokenizer;
        let (long, short) = (
            fixed_prompt(tok, args.prefill_tokens)?,
            fixed_prompt(tok, 16)?,
        );
        let threads = report.threads;
        llama_cpp::run(
            &loaded.model_path,
            threads,
            &long,
            &short,
            cfg.decode_tokens,
            cfg.repeats,
        )?
    } else {
        Err("not requested (--vs-llama-cpp)".to_string())
    };
    if args.json {
        let llama = llama.as_ref().map_or_else(
            |why| serde_json::json!({"skipped": why}),
            |r| serde_json::json!(r),
        );
        let packed = args.model.packed.map(|p| format!("{p:?}"));
        println!(
            "{}",
            serde_json::json!({"backend": loaded.backend, "dtype": loaded.dtype, "packed": packed, "config": cfg, "report": report, "llama_cpp": llama})
        );
    } else {
        print_table(
            &loaded,
            &report,
            args.prefill_tokens,
            &llama,
            args.vs_llama_cpp,
        );
    }
    Ok(())
}

fn print_table(
    loaded: &Loaded,
    r: &BenchReport,
    prefill_tokens: usize,
    llama: &Result<LlamaCppReport, String>,
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
