//! The bytes of an untrusted model file, read by position (`pread`) instead of memory-mapped.
//!
//! A map of a file that someone truncates while it is open faults (SIGBUS) on the first access
//! past the new end and takes the process down; a positional read returns a short count, which
//! becomes an error naming the file and what was being read. Reads are bounded by the length the
//! file had when it was opened, so no declared size can make a reader allocate more than the file.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A file opened for positional reads, or bytes already in memory (tests, fuzzing).
#[derive(Debug)]
pub enum ByteSource {
    File { file: File, len: u64 },
    Memory(Vec<u8>),
}

impl ByteSource {
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Self::File { file, len })
    }

    /// The length when opened (a file may shrink later; its reads then fail).
    pub fn len(&self) -> u64 {
        match self {
            Self::File { len, .. } => *len,
            Self::Memory(bytes) => bytes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` bytes from `offset`. Past the opening length this is `InvalidInput`; a file that
    /// has shrunk since gives `UnexpectedEof`.
    pub fn read_at(&self, offset: u64, n: u64) -> io::Result<Vec<u8>> {
        let end = offset.checked_add(n).filter(|&end| end <= self.len());
        let (Some(end), Ok(len)) = (end, usize::try_from(n)) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "bytes {offset}+{n} lie past the end of the file ({} bytes)",
                    self.len()
                ),
            ));
        };
        match self {
            Self::Memory(bytes) => Ok(bytes[offset as usize..end as usize].to_vec()),
            Self::File { file, .. } => {
                let mut buf = vec![0; len];
                file.read_exact_at(&mut buf, offset).map_err(|e| {
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        io::Error::new(
                            e.kind(),
                            format!("the file shrank while open: bytes {offset}..{end} are gone"),
                        )
                    } else {
                        e
                    }
                })?;
                Ok(buf)
            }
        }
    }
}
