//! The `--save-logits` file: a header with the evaluated chunks' token ids, then one record
//! per chunk holding a [`TopLogits`] for each scored position. Like llama.cpp's logits file,
//! it carries its own tokens, so a comparison run needs nothing else.
//!
//! Layout (little-endian): `GEMLOGIT`, version u32, n_ctx u32, n_vocab u32, k u32,
//! n_chunks u32, n_chunks × n_ctx token ids u32, then the chunk records.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::top_logits::TopLogits;

const MAGIC: &[u8; 8] = b"GEMLOGIT";
const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub n_ctx: usize,
    pub n_vocab: usize,
    /// Logits kept per position.
    pub k: usize,
    /// The chunks as evaluated (first token already `<bos>`).
    pub chunks: Vec<Vec<u32>>,
}

impl Header {
    /// Scored positions per chunk: `n_ctx/2 .. n_ctx-2`.
    pub fn scored(&self) -> usize {
        scored_per_chunk(self.n_ctx)
    }

    fn chunk_bytes(&self) -> u64 {
        (self.scored() * TopLogits::size(self.k)) as u64
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for v in [
            VERSION as usize,
            self.n_ctx,
            self.n_vocab,
            self.k,
            self.chunks.len(),
        ] {
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
        self.chunks
            .iter()
            .flatten()
            .for_each(|t| out.extend_from_slice(&t.to_le_bytes()));
        out
    }

    fn read(file: &mut File, path: &Path) -> Result<Self> {
        let mut fixed = [0u8; 28];
        file.read_exact(&mut fixed)
            .with_context(|| format!("{}: too short for a logits file", path.display()))?;
        if &fixed[..8] != MAGIC {
            bail!(
                "{}: not a logits file written by `eval perplexity --save-logits`",
                path.display()
            );
        }
        let field = |i: usize| {
            u32::from_le_bytes(fixed[8 + 4 * i..12 + 4 * i].try_into().expect("4 bytes")) as usize
        };
        let (version, n_ctx, n_vocab, k, n_chunks) =
            (field(0), field(1), field(2), field(3), field(4));
        if version != VERSION as usize {
            bail!(
                "{}: logits file version {version}; this build reads version {VERSION}",
                path.display()
            );
        }
        if n_ctx < 3 || k == 0 || n_chunks == 0 || n_chunks > 1 << 24 || n_ctx > 1 << 24 {
            bail!(
                "{}: implausible header (n_ctx {n_ctx}, k {k}, {n_chunks} chunks)",
                path.display()
            );
        }
        let mut ids = vec![0u8; n_chunks * n_ctx * 4];
        file.read_exact(&mut ids)
            .with_context(|| format!("{}: the token ids are cut short", path.display()))?;
        let tokens: Vec<u32> = ids
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        Ok(Self {
            n_ctx,
            n_vocab,
            k,
            chunks: tokens.chunks_exact(n_ctx).map(<[u32]>::to_vec).collect(),
        })
    }
}

/// Scored positions per chunk of `n_ctx` tokens (255 at 512).
pub fn scored_per_chunk(n_ctx: usize) -> usize {
    n_ctx - 1 - n_ctx / 2
}

/// Appends chunk records to a logits file.
pub struct LogitsWriter {
    file: File,
    path: PathBuf,
    header: Header,
}

impl LogitsWriter {
    /// Starts `path` afresh when `done` is 0; otherwise resumes it: its header must equal
    /// `header`, and whatever follows the first `done` chunk records (a chunk whose result
    /// line was never written) is cut off.
    pub fn open(path: &Path, header: Header, done: usize) -> Result<Self> {
        let bytes = header.to_bytes();
        let mut file = if done == 0 {
            let mut file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            file.write_all(&bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            file
        } else {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .with_context(|| format!("cannot resume {}", path.display()))?;
            if Header::read(&mut file, path)? != header {
                bail!(
                    "{}: saved for other chunks or settings than this run; use another file or output folder",
                    path.display()
                );
            }
            let keep = bytes.len() as u64 + done as u64 * header.chunk_bytes();
            if file.metadata()?.len() < keep {
                bail!(
                    "{}: holds fewer than the {done} chunks this run already finished",
                    path.display()
                );
            }
            file.set_len(keep)?;
            file.seek(SeekFrom::End(0))?;
            file
        };
        file.flush()?;
        Ok(Self {
            file,
            path: path.to_owned(),
            header,
        })
    }

    pub fn write_chunk(&mut self, positions: &[TopLogits]) -> Result<()> {
        assert_eq!(
            positions.len(),
            self.header.scored(),
            "one record per scored position"
        );
        let mut bytes = Vec::with_capacity(self.header.chunk_bytes() as usize);
        positions.iter().for_each(|p| p.write_to(&mut bytes));
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.flush())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// Reads a finished logits file chunk by chunk.
pub struct LogitsReader {
    file: File,
    path: PathBuf,
    pub header: Header,
    data_start: u64,
}

impl LogitsReader {
    pub fn open(path: &Path) -> Result<Self> {
        let mut file =
            File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let header = Header::read(&mut file, path)?;
        let data_start = header.to_bytes().len() as u64;
        let expected = data_start + header.chunks.len() as u64 * header.chunk_bytes();
        let len = file.metadata()?.len();
        if len != expected {
            bail!(
                "{}: {len} bytes where {} chunks need {expected}; was the run that saved it interrupted?",
                path.display(),
                header.chunks.len()
            );
        }
        Ok(Self {
            file,
            path: path.to_owned(),
            header,
            data_start,
        })
    }

    pub fn read_chunk(&mut self, chunk: usize) -> Result<Vec<TopLogits>> {
        let size = self.header.chunk_bytes();
        let mut bytes = vec![0u8; size as usize];
        self.file
            .seek(SeekFrom::Start(self.data_start + chunk as u64 * size))
            .and_then(|_| self.file.read_exact(&mut bytes))
            .with_context(|| format!("{}: cannot read chunk {chunk}", self.path.display()))?;
        let k = self.header.k;
        let records: Vec<TopLogits> = bytes
            .chunks_exact(TopLogits::size(k))
            .map(|b| TopLogits::read_from(b, k))
            .collect();
        if let Some(bad) = records
            .iter()
            .position(|r| r.ids.iter().any(|&i| i as usize >= self.header.n_vocab))
        {
            bail!(
                "{}: chunk {chunk}, position {bad}: token id beyond the vocabulary of {}",
                self.path.display(),
                self.header.n_vocab
            );
        }
        Ok(records)
    }
}
