//! `gemma backends`: the compiled backends, each probed (device, dtypes, a checked matmul,
//! which of Burn's quantization schemes work).

use model::BackendKind;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let probes: Vec<_> = BackendKind::ALL
        .into_iter()
        .map(BackendKind::probe)
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&probes)?);
        return Ok(());
    }
    println!(
        "| backend | compiled | device | dtypes | matmul max |Δ| | Burn quantization | note |\n\
         |---|---|---|---|---|---|---|"
    );
    for p in probes {
        let quantization = if p.compiled && p.error.is_none() && p.quantization.is_empty() {
            "none".to_string()
        } else {
            p.quantization.join(", ")
        };
        println!(
            "| {} | {} | {} | {} | {} | {quantization} | {} |",
            p.backend,
            if p.compiled { "yes" } else { "no" },
            p.device.unwrap_or_default(),
            p.dtypes.join(", "),
            p.matmul_error
                .map(|e| format!("{e:.1e}"))
                .unwrap_or_default(),
            p.error.unwrap_or_default()
        );
    }
    Ok(())
}
