//! The token stream and the chunks that llama.cpp's `llama-perplexity` evaluates.

use std::path::Path;

use anyhow::{Context, Result, bail};
use model::GemmaTokenizer;
use model::tokenizer::BOS_ID;

/// The file as llama.cpp reads it with `-f` (UTF-8, one trailing newline removed), tokenized
/// with `add_special = true`: `<bos>` first.
pub fn read_tokens(tokenizer: &GemmaTokenizer, path: &Path) -> Result<Vec<u32>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    tokenizer
        .encode(text, true)
        .with_context(|| format!("tokenizing {}", path.display()))
}

/// Chunks that fit in `tokens`: llama.cpp's `n_chunk_max`.
pub fn max_chunks(n_tokens: usize, n_ctx: usize) -> usize {
    n_tokens / n_ctx
}

/// Chunk `i` is `tokens[i n_ctx .. (i+1) n_ctx]` with its first token replaced by `<bos>`, for
/// the first `limit` chunks (all by default). Like llama.cpp, at least `2 n_ctx` tokens are
/// required.
pub fn chunks(tokens: &[u32], n_ctx: usize, limit: Option<usize>) -> Result<Vec<Vec<u32>>> {
    if tokens.len() < 2 * n_ctx {
        bail!(
            "the text has {} tokens; a context of {n_ctx} needs at least {}",
            tokens.len(),
            2 * n_ctx
        );
    }
    Ok(tokens
        .chunks_exact(n_ctx)
        .take(limit.unwrap_or(usize::MAX))
        .map(|c| {
            let mut chunk = c.to_vec();
            chunk[0] = BOS_ID;
            chunk
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_start_with_bos_and_drop_the_remainder() {
        let tokens: Vec<u32> = (10..19).collect();
        assert_eq!(
            chunks(&tokens, 4, None).unwrap(),
            [vec![BOS_ID, 11, 12, 13], vec![BOS_ID, 15, 16, 17]]
        );
        assert_eq!(chunks(&tokens, 4, Some(1)).unwrap().len(), 1);
        assert!(chunks(&tokens, 5, None).is_err());
    }
}
