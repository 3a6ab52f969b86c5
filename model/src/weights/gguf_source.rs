//! llama.cpp GGUF files as a [`WeightSource`]: llama.cpp names, dequantized to f32, or packed
//! straight from their blocks (re-quantized, or kept as shipped).

use anyhow::{Context, ensure};
use std::path::Path;

use super::packing::Packing;
use super::source::{EMBEDDING, WeightSource};
use crate::config::Gemma3Config;
use gguf::{GgmlType, GgufFile, TensorInfo, dequantize_bytes};
use kernels::packed::{PackedFormat, PackedMatrix, RowChunk, Shipped};

/// f32 bytes dequantized at a time when packing: small beside the 671 MB f32 embedding table.
const PACK_CHUNK_BYTES: usize = 8 << 20;

pub struct GgufSource {
    file: GgufFile,
    config: Gemma3Config,
}

impl GgufSource {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = GgufFile::open(path)?;
        let config = Gemma3Config::from_gguf(&file)?;
        Ok(Self { file, config })
    }
}

/// The llama.cpp name of an HF tensor, and whether it is an RMSNorm weight (stored as `1 + w`).
pub fn gguf_name(hf_name: &str) -> Option<(String, bool)> {
    let name = hf_name.strip_suffix(".weight")?;
    if name == "model.embed_tokens" {
        return Some(("token_embd.weight".into(), false));
    }
    if name == "model.norm" {
        return Some(("output_norm.weight".into(), true));
    }
    let rest = name.strip_prefix("model.layers.")?;
    let (layer, part) = rest.split_once('.')?;
    let (short, is_norm) = match part {
        "input_layernorm" => ("attn_norm", true),
        "post_attention_layernorm" => ("post_attention_norm", true),
        "pre_feedforward_layernorm" => ("ffn_norm", true),
        "post_feedforward_layernorm" => ("post_ffw_norm", true),
        "self_attn.q_proj" => ("attn_q", false),
        "self_attn.k_proj" => ("attn_k", false),
        "self_attn.v_proj" => ("attn_v", false),
        "self_attn.o_proj" => ("attn_output", false),
        "self_attn.q_norm" => ("attn_q_norm", true),
        "self_attn.k_norm" => ("attn_k_norm", true),
        "mlp.gate_proj" => ("ffn_gate", false),
        "mlp.up_proj" => ("ffn_up", false),
        "mlp.down_proj" => ("ffn_down", false),
        _ => return None,
    };
    Some((format!("blk.{layer}.{short}.weight"), is_norm))
}

impl GgufSource {
    /// The stored tensor behind an HF name.
    fn info(&self, hf_name: &str) -> anyhow::Result<(&TensorInfo, bool)> {
        let (name, is_norm) =
            gguf_name(hf_name).with_context(|| format!("no GGUF name for tensor {hf_name}"))?;
        let info = self.file.tensor(&name).with_context(|| {
            format!(
                "{}: tensor {name} (for {hf_name}) is missing",
                self.path().display()
            )
        })?;
        Ok((info, is_norm))
    }

    /// The format `packing` gives tensor `hf_name`: the file's own type when as shipped (an
    /// error naming the tensor if these kernels do not run that type).
    pub fn format(&self, hf_name: &str, packing: Packing) -> anyhow::Result<PackedFormat> {
        match packing.format(hf_name == EMBEDDING) {
            Some(format) => Ok(format),
            None => {
                let (info, _) = self.info(hf_name)?;
                let shipped = Shipped::from_ggml(info.ggml_type).with_context(|| {
                    format!(
                        "{}: tensor {} is {}; as shipped (--packed gguf) runs Q8_0, Q5_0, Q4_0, Q4_K and Q6_K blocks (--packed int8 re-quantizes any type)",
                        self.path().display(),
                        info.name,
                        info.ggml_type
                    )
                })?;
                Ok(PackedFormat::Shipped(shipped))
            }
        }
    }

    /// The `[rows, cols]` matrix `hf_name` packed in `format` without a float copy of it: Q8_0
    /// blocks become `Int8 { block: 32 }` (or `Shipped(Q8_0)`) byte for byte (same values, same
    /// scales), a shipped format of the tensor's own type keeps the file's blocks, and every
    /// other case is dequantized and re-quantized a few MiB of rows at a time.
    pub fn pack(
        &self,
        hf_name: &str,
        [rows, cols]: [usize; 2],
        format: PackedFormat,
    ) -> anyhow::Result<PackedMatrix> {
        let (info, _) = self.info(hf_name)?;
        ensure!(
            info.shape() == [rows, cols],
            "{}: tensor {} has shape {:?}, expected {:?}",
            self.path().display(),
            info.name,
            info.shape(),
            [rows, cols]
        );
        let q8_0 = info.ggml_type == GgmlType::Q8_0
            && matches!(
                format,
                PackedFormat::Int8 { block: 32 } | PackedFormat::Shipped(Shipped::Q8_0)
            );
        // The file's own blocks as they are; ggml's quantizable types may also be made from
        // another type, through f32 rows.
        let same_blocks =
            matches!(format, PackedFormat::Shipped(s) if s.ggml_type() == info.ggml_type);
        if let PackedFormat::Shipped(s) = format
            && !s.quantizable()
        {
            ensure!(
                same_blocks,
                "{}: tensor {} is {}, not {}",
                self.path().display(),
                info.name,
                info.ggml_type,
                s.name()
            );
        }
        let chunk_rows = (PACK_CHUNK_BYTES / (cols * 4)).max(1);
        PackedMatrix::from_row_chunks(rows, cols, format, chunk_rows, |range| {
            let raw = self.file.read_rows(info, range.clone())?;
            if q8_0 {
                return Ok(RowChunk::Q8_0(raw));
            }
            if same_blocks {
                return Ok(RowChunk::Blocks(raw));
            }
            let values = dequantize_bytes(info.ggml_type, &raw, range.len() * cols)
                .with_context(|| format!("{}: tensor {}", self.path().display(), info.name))?;
            Ok(RowChunk::Values(values))
        })
        .with_context(|| format!("packing {} as {format:?}", info.name))
    }
}

impl WeightSource for GgufSource {
    fn path(&self) -> &Path {
        self.file.path()
    }

    fn config(&self) -> &Gemma3Config {
        &self.config
    }

    fn load(&self, hf_name: &str) -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
        let (info, is_norm) = self.info(hf_name)?;
        let shape = info.shape();
        let mut values = self.file.dequantize(&info.name)?;
        if is_norm {
            // llama.cpp baked Gemma's `1 +` into the stored norm weights.
            values.iter_mut().for_each(|v| *v -= 1.0);
        }
        Ok((shape, values))
    }

    fn stored_bytes(&self) -> u64 {
        self.file.tensors().iter().map(|t| t.n_bytes).sum()
    }
}
