//! The Gemma 3 tokenizer: the official `tokenizer.json` through the `tokenizers` crate.

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use std::path::Path;
use tokenizers::models::bpe::BPE;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PaddingParams,
    PostProcessorWrapper, PreTokenizerWrapper, Tokenizer, TokenizerBuilder, TruncationParams,
};

pub const PAD_ID: u32 = 0;
pub const EOS_ID: u32 = 1;
pub const BOS_ID: u32 = 2;
pub const START_OF_TURN_ID: u32 = 105;
pub const END_OF_TURN_ID: u32 = 106;
/// Generation stops on these: `<eos>` and `<end_of_turn>`.
pub const STOP_IDS: [u32; 2] = [EOS_ID, END_OF_TURN_ID];

pub struct GemmaTokenizer {
    inner: Tokenizer,
}

impl GemmaTokenizer {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let inner =
            load_bpe(path).with_context(|| format!("{}: cannot load tokenizer", path.display()))?;
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

    /// The `tokenizers` tokenizer underneath, for what this wrapper does not cover (offsets,
    /// the vocabulary).
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.inner
    }
}

/// `tokenizer.json` as [`Tokenizer::from_file`] reads it, but with the model read straight into
/// a [`BPE`]. The crate's own reader buffers the model through an untagged enum and a flattened
/// `serde_json::Value` (three copies of 262k tokens and 515k merges): a 460 MiB peak for a
/// 33 MB file, the largest allocation of a packed run.
#[derive(Deserialize)]
struct TokenizerFile {
    version: String,
    truncation: Option<TruncationParams>,
    padding: Option<PaddingParams>,
    added_tokens: Vec<AddedTokenWithId>,
    normalizer: Option<NormalizerWrapper>,
    pre_tokenizer: Option<PreTokenizerWrapper>,
    post_processor: Option<PostProcessorWrapper>,
    decoder: Option<DecoderWrapper>,
    model: BPE,
}

#[derive(Deserialize)]
struct AddedTokenWithId {
    id: u32,
    #[serde(flatten)]
    token: AddedToken,
}

/// Builds the tokenizer as the crate's reader does (the same builder, then the added tokens), but
/// refuses an added token whose recorded id it would not get, where the crate only warns.
fn load_bpe(path: &Path) -> anyhow::Result<Tokenizer> {
    let bytes = std::fs::read(path)?;
    let file: TokenizerFile = serde_json::from_slice(&bytes).context("not a BPE tokenizer.json")?;
    drop(bytes);
    if file.version != "1.0" {
        bail!(
            "unknown tokenizer version {:?}, expected \"1.0\"",
            file.version
        );
    }
    let mut tokenizer: Tokenizer = TokenizerBuilder::new()
        .with_model(ModelWrapper::BPE(file.model))
        .with_truncation(file.truncation)
        .with_padding(file.padding)
        .with_normalizer(file.normalizer)
        .with_pre_tokenizer(file.pre_tokenizer)
        .with_post_processor(file.post_processor)
        .with_decoder(file.decoder)
        .build()
        .map_err(|e| anyhow!("{e}"))?
        .into();
    let tokens: Vec<AddedToken> = file.added_tokens.iter().map(|t| t.token.clone()).collect();
    tokenizer.add_tokens(&tokens);
    for AddedTokenWithId { id, token } in &file.added_tokens {
        let got = tokenizer.token_to_id(&token.content);
        if got != Some(*id) {
            bail!(
                "added token {:?} is recorded as id {id} but gets {got:?}",
                token.content
            );
        }
    }
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small BPE `tokenizer.json` in Gemma's layout; `pad_id` is the id recorded for `<pad>`.
    fn tokenizer_json(version: &str, pad_id: u32) -> String {
        let added = ["<pad>", "<eos>", "<bos>", "<extra>"]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // `<extra>` is not in the vocabulary: it gets the first id after it.
                let id = [pad_id, 1, 2, 7][i];
                format!(
                    r#"{{"id":{id},"content":"{t}","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        format!(
            r#"{{"version":"{version}","truncation":null,"padding":null,"added_tokens":[{added}],
            "normalizer":{{"type":"Replace","pattern":{{"String":" "}},"content":"▁"}},
            "pre_tokenizer":{{"type":"Split","pattern":{{"String":" "}},"behavior":"MergedWithPrevious","invert":false}},
            "post_processor":null,"decoder":{{"type":"Replace","pattern":{{"String":"▁"}},"content":" "}},
            "model":{{"type":"BPE","dropout":null,"unk_token":"<pad>","continuing_subword_prefix":null,
            "end_of_word_suffix":null,"fuse_unk":true,"byte_fallback":false,"ignore_merges":false,
            "vocab":{{"<pad>":0,"<eos>":1,"<bos>":2,"a":3,"b":4,"ab":5,"▁":6}},"merges":[["a","b"]]}}}}"#
        )
    }

    fn load(json: &str) -> anyhow::Result<Tokenizer> {
        // Tests run in parallel: one file per call.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("tokenizer-{}-{n}.json", std::process::id()));
        std::fs::write(&path, json)?;
        let tok = load_bpe(&path);
        std::fs::remove_file(&path)?;
        tok
    }

    #[test]
    fn lean_reader_builds_what_the_crates_reader_builds() {
        let json = tokenizer_json("1.0", 0);
        let ours = load(&json).unwrap();
        let theirs: Tokenizer = json.parse().unwrap();
        assert_eq!(
            ours.to_string(false).unwrap(),
            theirs.to_string(false).unwrap()
        );
        let ids = ours.encode("ab a<bos>", false).unwrap().get_ids().to_vec();
        assert_eq!(ids, theirs.encode("ab a<bos>", false).unwrap().get_ids());
        assert_eq!(ours.token_to_id("<extra>"), Some(7));
    }

    #[test]
    fn lean_reader_refuses_what_the_crates_reader_would_misread() {
        let err = format!("{:#}", load(&tokenizer_json("1.0", 9)).unwrap_err());
        assert!(
            err.contains(r#"added token "<pad>" is recorded as id 9 but gets Some(0)"#),
            "{err}"
        );
        let err = format!("{:#}", load(&tokenizer_json("2.0", 0)).unwrap_err());
        assert!(err.contains(r#"unknown tokenizer version "2.0""#), "{err}");
        let json = tokenizer_json("1.0", 0).replace(r#""type":"BPE""#, r#""type":"Unigram""#);
        let err = format!("{:#}", load(&json).unwrap_err());
        assert!(err.contains("not a BPE tokenizer.json"), "{err}");
    }
}
