//! HF-layout checkpoints (`config.json` + one or more `.safetensors` files) as a [`WeightSource`].

use anyhow::{Context, bail};
use memmap2::Mmap;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::WeightSource;
use crate::config::Gemma3Config;

pub struct SafetensorsSource {
    dir: PathBuf,
    config: Gemma3Config,
    files: Vec<(PathBuf, Mmap)>,
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
            let file = File::open(&name).with_context(|| format!("opening {}", name.display()))?;
            // SAFETY: read-only mapping of a file we do not modify while it is mapped.
            let mmap = unsafe { Mmap::map(&file) }
                .with_context(|| format!("mapping {}", name.display()))?;
            let st = SafeTensors::deserialize(&mmap)
                .with_context(|| format!("{}: not a valid safetensors file", name.display()))?;
            for tensor in st.names() {
                index.insert(tensor.to_string(), files.len());
            }
            files.push((name, mmap));
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
        let (file, mmap) = &self.files[i];
        let st = SafeTensors::deserialize(mmap)?;
        let view = st.tensor(name)?;
        Ok((view.shape().to_vec(), to_f32(&view, file, name)?))
    }
}

/// A tensor's values as f32, from an F32, BF16 or F16 safetensors view.
pub(crate) fn to_f32(view: &TensorView, file: &Path, name: &str) -> anyhow::Result<Vec<f32>> {
    let bytes = view.data();
    Ok(match view.dtype() {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        other => bail!(
            "{}: tensor {name} has dtype {other:?}; expected F32, BF16 or F16",
            file.display()
        ),
    })
}
