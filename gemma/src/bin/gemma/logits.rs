//! `gemma logits`: the input ids and the top-k logits at the last position.

use gemma::args::{Loaded, ModelArgs};
use model::chat_template::{self, Message};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long)]
    text: String,
    /// Wrap the text in the Gemma chat template.
    #[arg(long)]
    chat: bool,
    #[arg(long, default_value_t = 10)]
    top_k: usize,
    /// `{"input_ids": [...], "top_k": [{"id", "logit"}, ...]}` on one line.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let loaded = args.model.load_and_report()?;
    let text = if args.chat {
        chat_template::render(&[Message::new("user", &args.text)], true)?
    } else {
        args.text
    };
    let ids = loaded.tokenizer.encode_prompt(&text)?;
    let logits = last_logits(&loaded, &ids)?;
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    let top = &order[..args.top_k.min(order.len())];
    if args.json {
        let top: Vec<serde_json::Value> = top
            .iter()
            .map(|&i| serde_json::json!({"id": i, "logit": logits[i]}))
            .collect();
        println!("{}", serde_json::json!({"input_ids": ids, "top_k": top}));
    } else {
        println!("input_ids: {ids:?}");
        for &i in top {
            let piece = loaded.tokenizer.decode(&[i as u32], false)?;
            println!("{i:>8} {:>12.5} {piece:?}", logits[i]);
        }
    }
    Ok(())
}

fn last_logits(loaded: &Loaded, ids: &[u32]) -> anyhow::Result<Vec<f32>> {
    let mut cache = loaded.model.new_cache(1);
    let tokens = model::host::tokens(ids, 1, &loaded.device);
    let hidden = loaded.model.forward(tokens, &mut cache);
    model::host::to_vec(loaded.model.last_logits(hidden))
}
