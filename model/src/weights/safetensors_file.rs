//! One `.safetensors` file: an 8-byte header length, a JSON header (dtype, shape and byte range
//! of each tensor), then the tensor data.
//!
//! The header is checked by the safetensors crate's own [`Metadata`] (every range in order,
//! back to back, and exactly the size its shape and dtype need) and the file must end where the
//! last tensor does, so every read lies inside the file. The header may be at most
//! [`MAX_HEADER_BYTES`]. Tensors are read by position ([`ByteSource`]), never mapped, so a file
//! truncated while open gives an error, not a crash.

use anyhow::{Context, bail};
use safetensors::Dtype;
use safetensors::tensor::{Metadata, TensorInfo};
use std::path::{Path, PathBuf};

use gguf::byte_source::ByteSource;

/// Real checkpoints have headers of tens of kilobytes (safetensors itself allows 100 MB).
pub const MAX_HEADER_BYTES: u64 = 16 << 20;

pub struct SafetensorsFile {
    path: PathBuf,
    bytes: ByteSource,
    metadata: Metadata,
    /// Where the data section starts: the tensors' offsets are relative to it.
    data_start: u64,
}

impl SafetensorsFile {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let bytes =
            ByteSource::open(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(path.to_path_buf(), bytes)
    }

    /// A file held in memory; `name` stands for its path in errors.
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> anyhow::Result<Self> {
        Self::parse(name.into(), ByteSource::Memory(bytes))
    }

    fn parse(path: PathBuf, bytes: ByteSource) -> anyhow::Result<Self> {
        let file_len = bytes.len();
        let read = |offset, n| {
            bytes
                .read_at(offset, n)
                .with_context(|| format!("{}: reading the header", path.display()))
        };
        if file_len < 8 {
            bail!(
                "{}: not a safetensors file: {file_len} bytes, shorter than the 8-byte header length",
                path.display()
            );
        }
        let n = u64::from_le_bytes(read(0, 8)?.try_into().expect("8 bytes"));
        if n > MAX_HEADER_BYTES || n > file_len - 8 {
            bail!(
                "{}: the header length {n} is over the limit of {MAX_HEADER_BYTES} or past the end \
                 of the file ({file_len} bytes): not a safetensors file, or corrupt",
                path.display()
            );
        }
        let metadata: Metadata = serde_json::from_slice(&read(8, n)?)
            .with_context(|| format!("{}: not a valid safetensors header", path.display()))?;
        let data_start = 8 + n;
        let expected = data_start + metadata.data_len() as u64;
        if expected != file_len {
            bail!(
                "{}: the header describes {expected} bytes, but the file has {file_len}: truncated or corrupt",
                path.display()
            );
        }
        Ok(Self {
            path,
            bytes,
            metadata,
            data_start,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Tensor names in file order.
    pub fn names(&self) -> Vec<String> {
        self.metadata.offset_keys()
    }

    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.metadata.info(name)
    }

    /// Bytes of tensor data.
    pub fn data_len(&self) -> u64 {
        self.metadata.data_len() as u64
    }

    /// `(shape, row-major values)` of an F32, BF16 or F16 tensor.
    pub fn read_f32(&self, name: &str) -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
        let file = self.path.display();
        let info = self
            .info(name)
            .with_context(|| format!("{file}: tensor {name} is missing"))?;
        let (start, end) = info.data_offsets;
        let convert: fn(&[u8]) -> f32 = match info.dtype {
            Dtype::F32 => |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Dtype::BF16 => |b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32(),
            Dtype::F16 => |b| half::f16::from_le_bytes([b[0], b[1]]).to_f32(),
            other => bail!("{file}: tensor {name} has dtype {other:?}; expected F32, BF16 or F16"),
        };
        let bytes = self
            .bytes
            .read_at(self.data_start + start as u64, (end - start) as u64)
            .with_context(|| format!("{file}: reading tensor {name}"))?;
        let width = info.dtype.bitsize() / 8;
        let values = bytes.chunks_exact(width).map(convert).collect();
        Ok((info.shape.clone(), values))
    }
}
