//! Command-line options shared by every tool that loads the model (`gemma`, `eval`, …).

use anyhow::Context;
use burn::prelude::*;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use std::path::PathBuf;
use std::time::Instant;

use kernels::packed::{PackedFormat, Shipped};
use model::backend::BackendKind;
use model::dtype::ModelDtype;
use model::gemma3::Gemma3;
use model::tokenizer::GemmaTokenizer;
use model::weights::Packing;

use crate::paths;

#[derive(clap::Args, Clone, Debug)]
pub struct ModelArgs {
    /// Model file (.gguf) or HF checkpoint folder; default: $GEMMA_MODEL, then the fetch cache.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// tokenizer.json; default: beside the model, then the fetch cache.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Backend to run on (each is a cargo feature).
    #[arg(long, default_value_t = BackendKind::default_kind(), value_parser = one_of(BackendKind::ALL, BackendKind::name))]
    pub backend: BackendKind,
    /// Float type of weights and activations.
    #[arg(long, default_value_t = ModelDtype::F32, value_parser = one_of(ModelDtype::ALL, ModelDtype::name))]
    pub dtype: ModelDtype,
    /// Keep the projections and the LM head packed (int8 or int4 blocks of 32; gguf: the file's
    /// own blocks; q8_0, q4_0: ggml's formats, made as llama-quantize makes them) and multiply
    /// with the packed CPU kernels: faster decode, less memory, slightly different numbers.
    #[arg(long, value_enum)]
    pub packed: Option<PackedChoice>,
    /// A LoRA adapter folder (PEFT layout, as `train` writes it) merged into the model at load.
    #[arg(long)]
    pub adapter: Option<PathBuf>,
}

/// A clap parser that accepts the names of `all` (and lists them in `--help`).
fn one_of<T: Copy + Send + Sync + 'static, const N: usize>(
    all: [T; N],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(all.map(name)).map(move |s| {
        *all.iter()
            .find(|v| name(**v) == s)
            .expect("clap checked the name")
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PackedChoice {
    Int8,
    Int4,
    /// Each matrix in the GGUF's own blocks (Q4_K_M: Q8_0, Q5_0, Q4_K, Q6_K), as llama.cpp runs it.
    Gguf,
    /// ggml's Q8_0, made by its own quantizer (what `llama-quantize … Q8_0` stores).
    #[value(name = "q8_0")]
    Q8_0,
    /// ggml's Q4_0 projections and a Q8_0 embedding, made by ggml's quantizers: what
    /// `llama-quantize … Q4_0` stores for this model (its Q6_K output type falls back to Q8_0,
    /// as 640 columns are no multiple of 256).
    #[value(name = "q4_0")]
    Q4_0,
}

impl PackedChoice {
    pub fn packing(self) -> Packing {
        match self {
            Self::Int8 => Packing::Uniform(PackedFormat::Int8 { block: 32 }),
            Self::Int4 => Packing::Uniform(PackedFormat::Int4 { block: 32 }),
            Self::Gguf => Packing::AsShipped,
            Self::Q8_0 => Packing::Uniform(PackedFormat::Shipped(Shipped::Q8_0)),
            Self::Q4_0 => Packing::Split {
                projections: PackedFormat::Shipped(Shipped::Q4_0),
                embedding: PackedFormat::Shipped(Shipped::Q8_0),
            },
        }
    }
}

/// The files a run will read, found and checked (the tokenizer loaded) before any weight is read.
pub struct ModelFiles {
    pub model_path: PathBuf,
    pub tokenizer_path: PathBuf,
    pub tokenizer: GemmaTokenizer,
}

/// A model ready to run, with where it came from.
pub struct Loaded {
    pub model: Gemma3,
    pub tokenizer: GemmaTokenizer,
    pub model_path: PathBuf,
    pub tokenizer_path: PathBuf,
    pub backend: BackendKind,
    pub dtype: ModelDtype,
    pub device: Device,
    pub load_secs: f64,
}

impl ModelArgs {
    /// Checks the backend and dtype, finds the model file and loads the tokenizer, reading no
    /// weights: the cheap checks a command makes before its expensive work.
    pub fn resolve(&self) -> anyhow::Result<ModelFiles> {
        let device = self.backend.device()?;
        self.dtype.check(self.backend, &device)?;
        if self.packed == Some(PackedChoice::Gguf) && self.adapter.is_some() {
            anyhow::bail!(
                "--packed gguf runs the file's own blocks, which an adapter would change; use --packed int8 or int4 with --adapter"
            );
        }
        let model_path = paths::resolve_or_fetch_model(self.model.as_deref())?;
        let tokenizer_path = paths::resolve_tokenizer(&model_path, self.tokenizer.as_deref()).with_context(|| {
            format!("no tokenizer.json beside {} or in the cache; fetch it with `{}` or pass --tokenizer", model_path.display(), paths::FETCH_COMMAND)
        })?;
        let tokenizer = GemmaTokenizer::from_file(&tokenizer_path)?;
        Ok(ModelFiles {
            model_path,
            tokenizer_path,
            tokenizer,
        })
    }

    /// [`ModelArgs::load`], saying on stderr from where and how fast.
    pub fn load_and_report(&self) -> anyhow::Result<Loaded> {
        let loaded = self.load()?;
        eprintln!(
            "loaded {} on {} in {:.1}s",
            loaded.model_path.display(),
            loaded.backend,
            loaded.load_secs
        );
        Ok(loaded)
    }

    pub fn load(&self) -> anyhow::Result<Loaded> {
        let files = self.resolve()?;
        self.load_files(files)
    }

    /// Loads what [`ModelArgs::resolve`] found.
    pub fn load_files(&self, files: ModelFiles) -> anyhow::Result<Loaded> {
        let ModelFiles {
            model_path,
            tokenizer_path,
            tokenizer,
        } = files;
        let device = self.backend.device()?;
        let start = Instant::now();
        let (dtype, adapter) = (self.dtype.burn(), self.adapter.as_deref());
        let model = match (self.packed, adapter) {
            // Straight from the file's blocks: the float model is never resident.
            (Some(p), None) => {
                model::weights::load_packed(&model_path, &device, dtype, p.packing())?
            }
            (packed, _) => {
                let mut model = model::weights::load_model(&model_path, &device, dtype)?;
                if let Some(dir) = adapter {
                    model = model::weights::lora_adapter::load_adapter(model, dir)?;
                }
                match packed {
                    // As shipped with an adapter is refused in `ModelArgs::resolve`.
                    Some(p) => p.packing().apply(model)?,
                    None => model,
                }
            }
        };
        Ok(Loaded {
            model,
            tokenizer,
            model_path,
            tokenizer_path,
            backend: self.backend,
            dtype: self.dtype,
            device,
            load_secs: start.elapsed().as_secs_f64(),
        })
    }
}
