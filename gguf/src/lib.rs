//! GGUF reader: parses the header, metadata and tensor directory of a memory-mapped GGUF v2/v3 file
//! and hands out each tensor's stored bytes or its values dequantized to f32.
//!
//! Layout (little-endian): magic "GGUF", version u32, tensor count u64, metadata count u64, the
//! metadata key/value pairs, one info per tensor (name, dims, type, offset), padding to
//! `general.alignment`, then the tensor data, whose offsets are relative to its start.
//!
//! The file is untrusted. Every count and length read from it is checked against the bytes left
//! before anything is allocated for it; the decoded header may take at most
//! [`MAX_HEADER_BYTES`] of memory and declare at most [`MAX_TENSORS`] tensors; every tensor must
//! lie inside the file, apart from the others, so what a file can make the reader allocate is
//! bounded by its size. The file is read by position, not mapped ([`ByteSource`]): one truncated
//! while open gives an error. A bad file is a [`GgufError`], never a panic.

pub mod byte_source;
mod dequant;
mod error;
pub mod writer;

pub use dequant::{DequantError, GgmlType, dequantize_bytes};
pub use dequant::{q4_k_levels, q5_0_levels, q6_k_levels, scale_min};
pub use error::GgufError;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use byte_source::ByteSource;

const MAGIC: &[u8; 4] = b"GGUF";
const ALIGNMENT_KEY: &str = "general.alignment";
const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml tensors have at most 4 dimensions.
const MAX_DIMS: u32 = 4;
/// gguf-py allows arrays of arrays; a bound keeps a hostile file from exhausting the stack.
const MAX_ARRAY_DEPTH: usize = 8;
/// Smallest encodings, used to bound counts before allocating: a metadata entry (empty key, type,
/// one byte), a tensor info (empty name, n_dims, type, offset), a string, an array header.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;
const MIN_STRING_BYTES: u64 = 8;
const MIN_ARRAY_BYTES: u64 = 4 + 8;
/// The memory the decoded metadata and tensor names may take. Gemma 3's header (a 262144-token
/// vocabulary) decodes to about 30 MB; without a cap, a file of one-byte array elements would
/// decode to 32 times its size.
pub const MAX_HEADER_BYTES: u64 = 256 << 20;
/// Large models have a few thousand tensors; Gemma 3 270M has 236.
pub const MAX_TENSORS: u64 = 1 << 16;
/// Header bytes read from the file at a time.
const READ_AHEAD: u64 = 1 << 20;
/// What one decoded value or map entry costs besides its heap bytes.
const VALUE_BYTES: u64 = size_of::<MetaValue>() as u64;
const ENTRY_BYTES: u64 = (size_of::<String>() + size_of::<MetaValue>()) as u64;

// Metadata value type ids.
const T_U8: u32 = 0;
const T_I8: u32 = 1;
const T_U16: u32 = 2;
const T_I16: u32 = 3;
const T_U32: u32 = 4;
const T_I32: u32 = 5;
const T_F32: u32 = 6;
const T_BOOL: u32 = 7;
const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;
const T_U64: u32 = 10;
const T_I64: u32 = 11;
const T_F64: u32 = 12;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    U64(u64),
    I64(i64),
    F64(f64),
    Array(Vec<MetaValue>),
}

impl MetaValue {
    /// Any integer that is not negative, or a float holding such a whole number.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::U8(v) => Some(v.into()),
            Self::U16(v) => Some(v.into()),
            Self::U32(v) => Some(v.into()),
            Self::U64(v) => Some(v),
            Self::I8(v) => v.try_into().ok(),
            Self::I16(v) => v.try_into().ok(),
            Self::I32(v) => v.try_into().ok(),
            Self::I64(v) => v.try_into().ok(),
            Self::F32(v) => whole_u64(v.into()),
            Self::F64(v) => whole_u64(v),
            Self::Bool(_) | Self::Str(_) | Self::Array(_) => None,
        }
    }

    /// Any number (64-bit integers beyond 2^53 round).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::U8(v) => Some(v.into()),
            Self::I8(v) => Some(v.into()),
            Self::U16(v) => Some(v.into()),
            Self::I16(v) => Some(v.into()),
            Self::U32(v) => Some(v.into()),
            Self::I32(v) => Some(v.into()),
            Self::U64(v) => Some(v as f64),
            Self::I64(v) => Some(v as f64),
            Self::F32(v) => Some(v.into()),
            Self::F64(v) => Some(v),
            Self::Bool(_) | Self::Str(_) | Self::Array(_) => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[MetaValue]> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }
}

fn whole_u64(v: f64) -> Option<u64> {
    // `u64::MAX as f64` rounds up to 2^64, which does not fit, hence the strict bound.
    (v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64).then_some(v as u64)
}

/// Where a tensor is stored and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub ggml_type: GgmlType,
    /// Dimensions in ggml order: `ne[0]` is the contiguous one.
    pub ne: Vec<u64>,
    /// Absolute offset of the data in the file.
    pub offset: u64,
    pub n_bytes: u64,
}

impl TensorInfo {
    /// Row-major (numpy) shape: `ne` reversed.
    pub fn shape(&self) -> Vec<usize> {
        self.ne.iter().rev().map(|&d| d as usize).collect()
    }

    pub fn n_elements(&self) -> usize {
        self.ne.iter().map(|&d| d as usize).product()
    }
}

/// An open GGUF file; tensor data stays in the memory map until asked for.
pub struct GgufFile {
    path: PathBuf,
    bytes: ByteSource,
    version: u32,
    metadata: BTreeMap<String, MetaValue>,
    tensors: Vec<TensorInfo>,
    by_name: HashMap<String, usize>,
    data_start: u64,
}

impl GgufFile {
    /// Opens and parses the file, checking that every tensor lies inside it.
    pub fn open(path: impl AsRef<Path>) -> Result<GgufFile, GgufError> {
        let path = path.as_ref().to_path_buf();
        match ByteSource::open(&path) {
            Ok(bytes) => parse(path, bytes),
            Err(error) => Err(GgufError::Io { path, error }),
        }
    }

    /// Parses a GGUF file held in memory; `name` stands for its path in errors.
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<GgufFile, GgufError> {
        parse(name.into(), ByteSource::Memory(bytes))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn metadata(&self) -> &BTreeMap<String, MetaValue> {
        &self.metadata
    }

    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.get(key)
    }

    /// Tensor infos in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// Absolute offset where the tensor data section starts.
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// The stored bytes of a tensor of this file (an error if the file has shrunk since it was
    /// opened, or if `t` is not this file's).
    pub fn read_bytes(&self, t: &TensorInfo) -> Result<Vec<u8>, GgufError> {
        self.bytes
            .read_at(t.offset, t.n_bytes)
            .map_err(|error| GgufError::TensorRead {
                path: self.path.clone(),
                tensor: t.name.clone(),
                error,
            })
    }

    /// The stored bytes of rows `rows` of a tensor of this file, a row being `ne[0]` values
    /// (whole blocks, in every ggml type).
    pub fn read_rows(&self, t: &TensorInfo, rows: Range<usize>) -> Result<Vec<u8>, GgufError> {
        let error = |msg: String| GgufError::TensorRead {
            path: self.path.clone(),
            tensor: t.name.clone(),
            error: std::io::Error::new(std::io::ErrorKind::InvalidInput, msg),
        };
        let ty = t.ggml_type;
        let (Some(block), Some(size)) = (ty.block_size(), ty.type_size()) else {
            return Err(error(format!("type {} has no known block size", ty.name())));
        };
        let ne0 = t.ne.first().map_or(1, |&n| n as usize);
        let n_rows = t.n_elements() / ne0.max(1);
        if !ne0.is_multiple_of(block) || rows.start > rows.end || rows.end > n_rows {
            return Err(error(format!(
                "rows {rows:?} of {n_rows} rows of {ne0} {} values",
                ty.name()
            )));
        }
        let row_bytes = (ne0 / block * size) as u64;
        self.bytes
            .read_at(
                t.offset + rows.start as u64 * row_bytes,
                rows.len() as u64 * row_bytes,
            )
            .map_err(|error| GgufError::TensorRead {
                path: self.path.clone(),
                tensor: t.name.clone(),
                error,
            })
    }

    /// The tensor's values as f32, flat in row-major order of [`TensorInfo::shape`].
    pub fn dequantize(&self, name: &str) -> Result<Vec<f32>, GgufError> {
        let t = self.tensor(name).ok_or_else(|| GgufError::TensorNotFound {
            path: self.path.clone(),
            name: name.into(),
        })?;
        dequantize_bytes(t.ggml_type, &self.read_bytes(t)?, t.n_elements()).map_err(|error| {
            GgufError::Dequant {
                path: self.path.clone(),
                tensor: t.name.clone(),
                error,
            }
        })
    }
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("metadata_entries", &self.metadata.len())
            .field("tensors", &self.tensors.len())
            .field("data_start", &self.data_start)
            .finish()
    }
}

fn parse(path_buf: PathBuf, bytes: ByteSource) -> Result<GgufFile, GgufError> {
    let path = path_buf.as_path();
    let mut r = Reader {
        path,
        src: &bytes,
        pos: 0,
        window: Vec::new(),
        window_start: 0,
        decoded: 0,
        context: "header".into(),
    };
    let magic = r.array::<4>()?;
    if &magic != MAGIC {
        return Err(GgufError::BadMagic {
            path: path.into(),
            found: magic,
        });
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::UnsupportedVersion {
            path: path.into(),
            version,
        });
    }
    let n_tensors = r.u64()?;
    if n_tensors > MAX_TENSORS {
        return Err(r.malformed(format!(
            "tensor count {n_tensors} exceeds the limit of {MAX_TENSORS}"
        )));
    }
    let n_kv = r.u64()?;

    r.context = "metadata entries".into();
    r.ensure(n_kv, MIN_KV_BYTES)?;
    let mut metadata = BTreeMap::new();
    for i in 0..n_kv {
        r.context = format!("key of metadata entry #{i}");
        let key = r.string()?;
        r.context = format!("metadata value '{key}'");
        let ty = r.u32()?;
        let value = read_value(&mut r, ty, 0)?;
        r.budget(ENTRY_BYTES)?;
        match metadata.entry(key) {
            Entry::Vacant(e) => {
                e.insert(value);
            }
            Entry::Occupied(e) => {
                return Err(r.malformed(format!("duplicate metadata key '{}'", e.key())));
            }
        }
    }
    let alignment = match metadata.get(ALIGNMENT_KEY) {
        None => DEFAULT_ALIGNMENT,
        Some(v) => {
            v.as_u64()
                .filter(|a| a.is_power_of_two())
                .ok_or_else(|| GgufError::Malformed {
                    path: path.into(),
                    detail: format!("{ALIGNMENT_KEY} must be a power of two, got {v:?}"),
                })?
        }
    };

    r.context = "tensor infos".into();
    r.ensure(n_tensors, MIN_TENSOR_INFO_BYTES)?;
    let mut infos = Vec::with_capacity(n_tensors as usize);
    for i in 0..n_tensors {
        r.context = format!("name of tensor info #{i}");
        let name = r.string()?;
        r.context = format!("tensor info '{name}'");
        let n_dims = r.u32()?;
        if n_dims > MAX_DIMS {
            return Err(r.malformed(format!(
                "{n_dims} dimensions, ggml allows at most {MAX_DIMS}"
            )));
        }
        let ne = (0..n_dims)
            .map(|_| r.u64())
            .collect::<Result<Vec<_>, _>>()?;
        let type_id = r.u32()?;
        let offset = r.u64()?;
        infos.push((name, ne, type_id, offset));
    }

    let section = DataSection {
        path,
        start: r.pos.next_multiple_of(alignment),
        alignment,
        file_len: bytes.len(),
    };
    let mut tensors = Vec::with_capacity(infos.len());
    let mut by_name = HashMap::with_capacity(infos.len());
    for (name, ne, type_id, rel_offset) in infos {
        if by_name.insert(name.clone(), tensors.len()).is_some() {
            return Err(GgufError::Malformed {
                path: path.into(),
                detail: format!("duplicate tensor name '{name}'"),
            });
        }
        tensors.push(section.locate(name, ne, type_id, rel_offset)?);
    }
    check_disjoint(path, &tensors)?;
    let data_start = section.start;
    Ok(GgufFile {
        path: path_buf,
        bytes,
        version,
        metadata,
        tensors,
        by_name,
        data_start,
    })
}

/// Fails if two tensors share bytes: each byte of the file belongs to at most one tensor (as in
/// llama.cpp, which requires them back to back), so the tensors' sizes sum to at most the file's.
fn check_disjoint(path: &Path, tensors: &[TensorInfo]) -> Result<(), GgufError> {
    let mut by_offset: Vec<&TensorInfo> = tensors.iter().filter(|t| t.n_bytes > 0).collect();
    by_offset.sort_by_key(|t| t.offset);
    match by_offset
        .windows(2)
        .find(|w| w[0].offset + w[0].n_bytes > w[1].offset)
    {
        None => Ok(()),
        Some(w) => Err(GgufError::Malformed {
            path: path.into(),
            detail: format!(
                "tensors '{}' (bytes {}..{}) and '{}' (from byte {}) overlap",
                w[0].name,
                w[0].offset,
                w[0].offset + w[0].n_bytes,
                w[1].name,
                w[1].offset
            ),
        }),
    }
}

/// The tensor data section, against which each tensor info is checked.
struct DataSection<'a> {
    path: &'a Path,
    start: u64,
    alignment: u64,
    file_len: u64,
}

impl DataSection<'_> {
    /// Checks one tensor's type, size and placement, and turns its relative offset into an absolute one.
    fn locate(
        &self,
        name: String,
        ne: Vec<u64>,
        type_id: u32,
        rel_offset: u64,
    ) -> Result<TensorInfo, GgufError> {
        let path = || self.path.to_path_buf();
        let ggml_type = GgmlType::from_id(type_id);
        let (Some(block), Some(type_size)) = (ggml_type.block_size(), ggml_type.type_size()) else {
            return Err(GgufError::UnknownType {
                path: path(),
                tensor: name,
                id: type_id,
            });
        };
        // Blocks never straddle rows, so ggml requires the row length (not just the count) to be whole blocks.
        let row = ne.first().copied().unwrap_or(1);
        if !row.is_multiple_of(block as u64) {
            return Err(GgufError::NotBlockMultiple {
                path: path(),
                tensor: name,
                ty: ggml_type,
                row,
                block,
            });
        }
        let n_elements = ne
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .filter(|&n| usize::try_from(n).is_ok());
        let Some(n_elements) = n_elements else {
            return Err(GgufError::Malformed {
                path: path(),
                detail: format!("tensor '{name}': element count of {ne:?} overflows"),
            });
        };
        if !rel_offset.is_multiple_of(self.alignment) {
            let detail = format!(
                "tensor '{name}': data offset {rel_offset} is not a multiple of the alignment {}",
                self.alignment
            );
            return Err(GgufError::Malformed {
                path: path(),
                detail,
            });
        }
        let Some(n_bytes) = (n_elements / block as u64).checked_mul(type_size as u64) else {
            return Err(GgufError::Malformed {
                path: path(),
                detail: format!("tensor '{name}': byte size of {ne:?} {ggml_type} overflows"),
            });
        };
        let offset = self.start.saturating_add(rel_offset);
        let end = offset.saturating_add(n_bytes);
        if end > self.file_len {
            return Err(GgufError::DataPastEnd {
                path: path(),
                tensor: name,
                start: offset,
                end,
                file_len: self.file_len,
            });
        }
        Ok(TensorInfo {
            name,
            ggml_type,
            ne,
            offset,
            n_bytes,
        })
    }
}

/// Reads one value of type `ty`.
fn read_value(r: &mut Reader, ty: u32, depth: usize) -> Result<MetaValue, GgufError> {
    match ty {
        T_STRING => Ok(MetaValue::Str(r.string()?)),
        T_ARRAY => read_array(r, depth),
        _ => read_scalars(r, ty, 1)?
            .and_then(|v| v.into_iter().next())
            .ok_or_else(|| r.malformed(format!("unknown metadata value type {ty}"))),
    }
}

fn read_array(r: &mut Reader, depth: usize) -> Result<MetaValue, GgufError> {
    if depth >= MAX_ARRAY_DEPTH {
        return Err(r.malformed(format!("arrays nested more than {MAX_ARRAY_DEPTH} deep")));
    }
    let elem = r.u32()?;
    let count = r.u64()?;
    if let Some(items) = read_scalars(r, elem, count)? {
        return Ok(MetaValue::Array(items));
    }
    let min = match elem {
        T_STRING => MIN_STRING_BYTES,
        T_ARRAY => MIN_ARRAY_BYTES,
        _ => return Err(r.malformed(format!("unknown array element type {elem}"))),
    };
    r.ensure(count, min)?;
    r.budget(count.saturating_mul(VALUE_BYTES))?;
    let mut items = Vec::with_capacity(count as usize);
    for _ in 0..count {
        items.push(if elem == T_STRING {
            MetaValue::Str(r.string()?)
        } else {
            read_array(r, depth + 1)?
        });
    }
    Ok(MetaValue::Array(items))
}

/// Reads `count` fixed-size values of type `ty` in one bounds-checked slice (fast for the
/// tokenizer's 262144-entry score and type arrays); `None` if `ty` is not a fixed-size type.
fn read_scalars(r: &mut Reader, ty: u32, count: u64) -> Result<Option<Vec<MetaValue>>, GgufError> {
    fn each<const N: usize>(
        r: &mut Reader,
        count: u64,
        f: fn([u8; N]) -> MetaValue,
    ) -> Result<Vec<MetaValue>, GgufError> {
        r.ensure(count, N as u64)?;
        r.budget(count.saturating_mul(VALUE_BYTES))?;
        let bytes = r.take(count * N as u64)?;
        Ok(bytes.as_chunks::<N>().0.iter().map(|&c| f(c)).collect())
    }
    Ok(Some(match ty {
        T_U8 => each(r, count, |[b]| MetaValue::U8(b))?,
        T_I8 => each(r, count, |b| MetaValue::I8(i8::from_le_bytes(b)))?,
        T_U16 => each(r, count, |b| MetaValue::U16(u16::from_le_bytes(b)))?,
        T_I16 => each(r, count, |b| MetaValue::I16(i16::from_le_bytes(b)))?,
        T_U32 => each(r, count, |b| MetaValue::U32(u32::from_le_bytes(b)))?,
        T_I32 => each(r, count, |b| MetaValue::I32(i32::from_le_bytes(b)))?,
        T_F32 => each(r, count, |b| MetaValue::F32(f32::from_le_bytes(b)))?,
        T_BOOL => each(r, count, |[b]| MetaValue::Bool(b != 0))?,
        T_U64 => each(r, count, |b| MetaValue::U64(u64::from_le_bytes(b)))?,
        T_I64 => each(r, count, |b| MetaValue::I64(i64::from_le_bytes(b)))?,
        T_F64 => each(r, count, |b| MetaValue::F64(f64::from_le_bytes(b)))?,
        _ => return Ok(None),
    }))
}

/// A cursor over the file that turns every short read into an error naming what was being read,
/// and counts the memory the decoded header takes.
struct Reader<'a> {
    path: &'a Path,
    src: &'a ByteSource,
    pos: u64,
    /// File bytes from `window_start` on, read ahead in chunks of [`READ_AHEAD`].
    window: Vec<u8>,
    window_start: u64,
    /// Bytes of memory decoded so far, against [`MAX_HEADER_BYTES`].
    decoded: u64,
    /// What is being parsed (a metadata key, a tensor name), for error messages.
    context: String,
}

impl Reader<'_> {
    fn remaining(&self) -> u64 {
        self.src.len() - self.pos
    }

    fn truncated(&self, need: u64) -> GgufError {
        GgufError::Truncated {
            path: self.path.into(),
            context: self.context.clone(),
            offset: self.pos,
            need,
            available: self.remaining(),
        }
    }

    fn malformed(&self, detail: String) -> GgufError {
        GgufError::Malformed {
            path: self.path.into(),
            detail: format!("{} at byte {}: {detail}", self.context, self.pos),
        }
    }

    /// Fails unless `count` items of at least `min_bytes` each can fit in the rest of the file, so
    /// that a corrupt count is caught before anything is allocated for it.
    fn ensure(&self, count: u64, min_bytes: u64) -> Result<(), GgufError> {
        if count
            .checked_mul(min_bytes)
            .is_some_and(|need| need <= self.remaining())
        {
            return Ok(());
        }
        Err(GgufError::TooMany {
            path: self.path.into(),
            context: self.context.clone(),
            offset: self.pos,
            count,
            min_bytes,
            available: self.remaining(),
        })
    }

    /// Counts `bytes` of decoded header against [`MAX_HEADER_BYTES`], before they are allocated.
    fn budget(&mut self, bytes: u64) -> Result<(), GgufError> {
        self.decoded = self.decoded.saturating_add(bytes);
        if self.decoded <= MAX_HEADER_BYTES {
            return Ok(());
        }
        Err(GgufError::TooLarge {
            path: self.path.into(),
            context: self.context.clone(),
            offset: self.pos,
            needed: self.decoded,
            cap: MAX_HEADER_BYTES,
        })
    }

    fn take(&mut self, n: u64) -> Result<&[u8], GgufError> {
        if n > self.remaining() {
            return Err(self.truncated(n));
        }
        if self.pos + n > self.window_start + self.window.len() as u64 {
            let len = n.max(READ_AHEAD).min(self.remaining());
            self.window = self
                .src
                .read_at(self.pos, len)
                .map_err(|error| GgufError::Io {
                    path: self.path.into(),
                    error,
                })?;
            self.window_start = self.pos;
        }
        let start = (self.pos - self.window_start) as usize;
        self.pos += n;
        Ok(&self.window[start..start + n as usize])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], GgufError> {
        let mut bytes = [0; N];
        bytes.copy_from_slice(self.take(N as u64)?);
        Ok(bytes)
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        self.array().map(u64::from_le_bytes)
    }

    fn string(&mut self) -> Result<String, GgufError> {
        let len = self.u64()?;
        if len > self.remaining() {
            return Err(self.truncated(len));
        }
        self.budget(len)?;
        let text = std::str::from_utf8(self.take(len)?)
            .map(str::to_owned)
            .map_err(|e| e.to_string());
        text.map_err(|e| self.malformed(format!("string is not valid UTF-8 ({e})")))
    }
}
