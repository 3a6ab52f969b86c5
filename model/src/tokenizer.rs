//! The Gemma 3 tokenizer: the official `tokenizer.json` through the `tokenizers` crate.

use anyhow::{Context, anyhow};
use std::path::Path;

pub const PAD_ID: u32 = 0;
pub const EOS_ID: u32 = 1;
pub const BOS_ID: u32 = 2;
pub const START_OF_TURN_ID: u32 = 105;
pub const END_OF_TURN_ID: u32 = 106;
/// Generation stops on these: `<eos>` and `<end_of_turn>`.
pub const STOP_IDS: [u32; 2] = [EOS_ID, END_OF_TURN_ID];

pub struct GemmaTokenizer {
    inner: tokenizers::Tokenizer,
}

impl GemmaTokenizer {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| anyhow!("{}: cannot load tokenizer: {e}", path.display()))?;
        let tok = Self { inner };
        for (text, id) in [
            ("<bos>", BOS_ID),
            ("<eos>", EOS_ID),
            ("<end_of_turn>", END_OF_TURN_ID),
        ] {
            if tok.inner.token_to_id(text) != Some(id) {
                anyhow::bail!(
                    "{}: {text} is not id {id}; this is not a Gemma 3 tokenizer",
                    path.display()
                );
            }
        }
        Ok(tok)
    }

    /// Token ids of `text`, exactly as the official tokenizer gives them (`add_special_tokens`
    /// = `add_bos`): a text that starts with a literal `<bos>` then has two.
    pub fn encode(&self, text: &str, add_bos: bool) -> anyhow::Result<Vec<u32>> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| anyhow!("tokenizing failed: {e}"))
            .context("encode")?;
        let mut ids = enc.get_ids().to_vec();
        if add_bos {
            ids.insert(0, BOS_ID);
        }
        Ok(ids)
    }

    /// Ids of a prompt for the model: exactly one leading `<bos>`, whether or not the text
    /// (say, a rendered template) already starts with one.
    pub fn encode_prompt(&self, text: &str) -> anyhow::Result<Vec<u32>> {
        let mut ids = self.encode(text, false)?;
        if ids.first() != Some(&BOS_ID) {
            ids.insert(0, BOS_ID);
        }
        Ok(ids)
    }

    pub fn decode(&self, ids: &[u32], skip_special: bool) -> anyhow::Result<String> {
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| anyhow!("decoding failed: {e}"))
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }
}
