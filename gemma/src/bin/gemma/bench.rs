//! `gemma bench`: prefill, decode, batched decode, time to first token and memory on fixed
//! prompts; with `--vs-llama-cpp`, llama.cpp on the same GGUF, ids and threads, and the ratios.

use gemma::args::{Loaded, ModelArgs};
use gemma::bench::{BenchConfig, BenchReport, fixed_prompt};
use gemma::engine_bench;
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
    /// Also run llama.cpp (llama-cpp-python, scripts/install-llama-cpp-tools.sh) on the same GGUF,
    /// token ids and thread count, and print the ratios.
    #[arg(long)]
    vs_llama_cpp: bool,
    #[arg(long)]
    json: bool,
    /// Instead: the generation engine on a fixed workload (the first IFEval prompts, chat
    /// template, stop ids honoured) at each `--max-seqs`, and `llama-batched-bench` beside it
    /// when installed (scripts/install-llama-cpp-tools.sh).
    #[arg(long)]
    engine: bool,
    #[arg(long, value_delimiter = ',', default_value = "1,8,16,32,64")]
    max_seqs: Vec<usize>,
    /// IFEval prompts in the engine workload.
    #[arg(long, default_value_t = 64)]
    engine_prompts: usize,
    /// New tokens per prompt in the engine workload.
    #[arg(long, default_value_t = 256)]
    engine_new_tokens: usize,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // Its own pool, of --threads: the CPU backends and the packed kernels run on it.
    kernels::threads::install(args.threads, || run_in_pool(args))
}

fn run_in_pool(args: Args) -> anyhow::Result<()> {
    if args.engine {
        return run_engine(&args);
    }
    let loaded = args.model.load_and_report()?;
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

fn run_engine(args: &Args) -> anyhow::Result<()> {
    let files = args.model.resolve()?;
    let prompts = engine_bench::ifeval_prompts(
        &gemma::paths::data_dir(),
        &files.tokenizer,
        args.engine_prompts,
    )?;
    let llama = engine_bench::llama_batched_bench_binary();
    let loaded = args.model.load_files(files)?;
    let threads = rayon::current_num_threads();
    let rows = engine_bench::run(
        &loaded.model,
        &prompts,
        args.engine_new_tokens,
        &args.max_seqs,
    )?;
    let mean_prompt = prompts.iter().map(Vec::len).sum::<usize>() / prompts.len();
    let llama_rows = match &llama {
        Some(bin) if loaded.model_path.extension().is_some_and(|e| e == "gguf") => {
            Ok(engine_bench::llama_batched_bench(
                bin,
                &loaded.model_path,
                threads,
                mean_prompt,
                args.engine_new_tokens,
                &args.max_seqs,
            )?)
        }
        Some(_) => Err("the model is not a GGUF file".to_string()),
        None => Err("llama-batched-bench not found (scripts/install-llama-cpp-tools.sh)".into()),
    };
    if args.json {
        let llama = llama_rows.as_ref().map_or_else(
            |why| serde_json::json!({"skipped": why}),
            |r| serde_json::json!(r),
        );
        println!(
            "{}",
            serde_json::json!({"backend": loaded.backend, "dtype": loaded.dtype, "packed": args.model.packed.map(|p| format!("{p:?}")), "threads": threads, "prompts": prompts.len(), "new_tokens": args.engine_new_tokens, "engine": rows, "llama_batched_bench": llama})
        );
        return Ok(());
    }
    println!(
        "engine: {} IFEval prompts (mean {mean_prompt} tokens), up to {} new tokens, stop ids honoured; backend {} ({}{}), {threads} threads",
        prompts.len(),
        args.engine_new_tokens,
        loaded.backend,
        loaded.dtype,
        args.model
            .packed
            .map(|p| format!(", packed {p:?}"))
            .unwrap_or_default()
    );
    println!(
        "| max_seqs | tokens | wall s | tok/s | peak cache | llama.cpp tok/s (B seqs × {mean_prompt}+{}) | ratio |",
        args.engine_new_tokens
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let l = llama_rows
            .as_ref()
            .ok()
            .and_then(|ls| ls.iter().find(|l| l.parallel == r.max_seqs));
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.0} MiB | {} | {} |",
            r.max_seqs,
            r.generated_tokens,
            r.wall_secs,
            r.tok_s,
            r.peak_cache_bytes as f64 / (1 << 20) as f64,
            l.map(|l| format!("{:.1}", l.tok_s)).unwrap_or_default(),
            l.map(|l| format!("{:.2}x", r.tok_s / l.tok_s))
                .unwrap_or_default(),
        );
    }
    if let Err(why) = &llama_rows {
        println!("llama.cpp skipped: {why}");
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
    let kernel = r
        .packed_kernel
        .map(|k| format!(", packed kernel {k}"))
        .unwrap_or_default();
    println!(
        "backend {} ({}), {} threads{kernel}",
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
