//! Errors of the GGUF reader. Each message starts with the file's path, then says what is wrong;
//! none has a `source()`, so an error chain never says it twice.

use super::dequant::{DequantError, GgmlType};
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("{}: cannot read GGUF file: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },

    #[error("{}: not a GGUF file: bad magic {found:02x?}, expected \"GGUF\"", path.display())]
    BadMagic { path: PathBuf, found: [u8; 4] },

    #[error("{}: unsupported GGUF version {version}{hint}; this reader handles versions 2 and 3", path.display(),
        hint = if (2..=3).contains(&version.swap_bytes()) { " (a big-endian file?)" } else { "" })]
    UnsupportedVersion { path: PathBuf, version: u32 },

    /// Also raised for an absurd string length, which claims more bytes than the file has left.
    #[error("{}: file truncated or corrupt: {context} at byte {offset} needs {need} bytes, but only {available} remain",
        path.display())]
    Truncated {
        path: PathBuf,
        context: String,
        offset: u64,
        need: u64,
        available: u64,
    },

    /// A count (of entries, tensors, array elements) that the rest of the file cannot hold, caught
    /// before anything is allocated for it.
    #[error("{}: file truncated or corrupt: {context} at byte {offset} counts {count} items of at least {min_bytes} bytes, \
        but only {available} bytes remain", path.display())]
    TooMany {
        path: PathBuf,
        context: String,
        offset: u64,
        count: u64,
        min_bytes: u64,
        available: u64,
    },

    /// The decoded header would exceed [`super::MAX_HEADER_BYTES`] of memory.
    #[error("{}: {context} at byte {offset}: the decoded header would take {needed} bytes of memory, \
        over the limit of {cap}: corrupt, or not a model this reader is for", path.display())]
    TooLarge {
        path: PathBuf,
        context: String,
        offset: u64,
        needed: u64,
        cap: u64,
    },

    #[error("{}: malformed GGUF: {detail}", path.display())]
    Malformed { path: PathBuf, detail: String },

    #[error("{}: tensor '{tensor}' has unknown ggml type id {id}", path.display())]
    UnknownType {
        path: PathBuf,
        tensor: String,
        id: u32,
    },

    #[error("{}: tensor '{tensor}': row length {row} is not a multiple of the {ty} block size {block}", path.display())]
    NotBlockMultiple {
        path: PathBuf,
        tensor: String,
        ty: GgmlType,
        row: u64,
        block: usize,
    },

    #[error("{}: tensor '{tensor}' data (bytes {start}..{end}) runs past the end of the file ({file_len} bytes): \
        truncated or corrupt", path.display())]
    DataPastEnd {
        path: PathBuf,
        tensor: String,
        start: u64,
        end: u64,
        file_len: u64,
    },

    #[error("{}: cannot read tensor '{tensor}': {error}", path.display())]
    TensorRead {
        path: PathBuf,
        tensor: String,
        error: io::Error,
    },

    #[error("{}: no tensor named '{name}'", path.display())]
    TensorNotFound { path: PathBuf, name: String },

    #[error("{}: tensor '{tensor}': {error}", path.display())]
    Dequant {
        path: PathBuf,
        tensor: String,
        error: DequantError,
    },
}
