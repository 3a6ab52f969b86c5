//! HF-layout checkpoints (`config.json` + one or more `.safetensors` files) as a [`WeightSource`].

use anyhow::{Context, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::safetensors_file::SafetensorsFile;
use super::source::WeightSource;
use crate::config::Gemma3Config;

pub struct SafetensorsSource {
    dir: PathBuf,
    config: Gemma3Config,
    files: Vec<SafetensorsFile>,
    /// Tensor name -> index into `files`.
    index: HashMap<String, usize>,
}

impl SafetensorsSource {
    /// `path` is a checkpoint folder, or one `.safetensors` file with `config.json` beside it.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let (dir, names) = if path.is_dir() {
            let mut names: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
                .collect();
            names.sort();
            (path.to_path_buf(), names)
        } else {
            (
                path.parent().unwrap_or(Path::new(".")).to_path_buf(),
                vec![path.to_path_buf()],
            )
        };
        if names.is_empty() {
            bail!("{}: no .safetensors files found", path.display());
        }
        let config = Gemma3Config::from_hf_json(&dir.join("config.json"))?;
        let mut files = Vec::new();
        let mut index = HashMap::new();
        for name in names {
            let file = SafetensorsFile::open(&name)?;
            for tensor in file.names() {
                index.insert(tensor, files.len());
            }
            files.push(file);
        }
        Ok(Self {
            dir,
            config,
            files,
            index,
        })
    }

    fn find(&self, hf_name: &str) -> Option<(&str, usize)> {
        // Multimodal Gemma 3 checkpoints nest the text model under `language_model.`.
        [hf_name.to_string(), format!("language_model.{hf_name}")]
            .into_iter()
            .find_map(|n| self.index.get_key_value(&n).map(|(k, &i)| (k.as_str(), i)))
    }
}

impl WeightSource for SafetensorsSource {
    fn path(&self) -> &Path {
        &self.dir
    }

    fn config(&self) -> &Gemma3Config {
        &self.config
    }

    fn load(&self, hf_name: &str) -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
        let (name, i) = self
            .find(hf_name)
            .with_context(|| format!("{}: tensor {hf_name} is missing", self.dir.display()))?;
        self.files[i].read_f32(name)
    }

    fn stored_bytes(&self) -> u64 {
        self.files.iter().map(SafetensorsFile::data_len).sum()
    }
}
