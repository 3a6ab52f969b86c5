//! The packed matrix: a weight matrix's quantized blocks and scales, made from f32 values or a
//! GGUF's own blocks, and read back as f32.

use super::format::{GROUP, PackedFormat, Shipped};
use anyhow::{Result, bail, ensure};
use half::f16;
use rayon::prelude::*;
use std::ops::Range;

use super::quantize;

/// Rows of a matrix to pack (see [`PackedMatrix::from_row_chunks`]).
pub enum RowChunk {
    /// Row-major f32 values, quantized with a symmetric per-block scale.
    Values(Vec<f32>),
    /// GGUF Q8_0 blocks (f16 scale, 32 i8) taken as they are: into `Int8 { block: 32 }` or
    /// `Shipped(Q8_0)`.
    Q8_0(Vec<u8>),
    /// GGUF blocks of the matrix's own shipped type (Q5_0, Q4_K or Q6_K): Q5_0 levels and scales
    /// are taken apart, K-quant blocks kept as they are.
    Blocks(Vec<u8>),
}

/// A `[rows, cols]` weight matrix (rows = output features, cols = input features) in one of the
/// [`PackedFormat`]s: quantized values row-major, blocks running along each row, and one f16
/// scale per block (`[rows, cols / block]`) in a separate array (none for the shipped types that
/// keep their scales inside their blocks).
#[derive(Clone, Debug, PartialEq)]
pub struct PackedMatrix {
    pub(super) format: PackedFormat,
    pub(super) rows: usize,
    pub(super) cols: usize,
    /// `rows · format.row_bytes(cols)` bytes: i8 values, Int4 nibble pairs, or ggml blocks.
    pub(super) quants: Vec<u8>,
    /// `[rows, format.row_scales(cols)]`, all finite.
    pub(super) scales: Vec<f16>,
}

/// Bytes of one GGUF Q8_0 block: f16 scale, then 32 i8.
const Q8_0_BYTES: usize = 2 + GROUP;

impl PackedMatrix {
    /// Quantizes row-major `[rows, cols]` values with a symmetric per-block scale. Errors if the
    /// length does not match, `cols` is not a multiple of the block, or a value is not finite.
    pub fn quantize(
        values: &[f32],
        rows: usize,
        cols: usize,
        format: PackedFormat,
    ) -> Result<Self> {
        let mut m = Self::empty(rows, cols, format)?;
        m.fill_values(0..rows, values)?;
        Ok(m)
    }

    /// Takes GGUF Q8_0 data (per block of 32: f16 scale, 32 i8) as is: the result is
    /// `Int8 { block: 32 }` and dequantizes exactly as ggml does.
    pub fn from_gguf_q8_0(raw: &[u8], rows: usize, cols: usize) -> Result<Self> {
        let mut m = Self::empty(rows, cols, PackedFormat::Int8 { block: GROUP })?;
        m.fill_q8_0(0..rows, raw)?;
        Ok(m)
    }

    /// Packs a matrix `chunk_rows` rows at a time, so that only one chunk's values (or raw
    /// blocks) are held besides the result: `chunk(rows)` returns those rows.
    pub fn from_row_chunks(
        rows: usize,
        cols: usize,
        format: PackedFormat,
        chunk_rows: usize,
        mut chunk: impl FnMut(Range<usize>) -> Result<RowChunk>,
    ) -> Result<Self> {
        let mut m = Self::empty(rows, cols, format)?;
        for start in (0..rows).step_by(chunk_rows.max(1)) {
            let range = start..(start + chunk_rows.max(1)).min(rows);
            match chunk(range.clone())? {
                RowChunk::Values(values) => m.fill_values(range, &values)?,
                RowChunk::Q8_0(raw) => m.fill_q8_0(range, &raw)?,
                RowChunk::Blocks(raw) => m.fill_blocks(range, &raw)?,
            }
        }
        Ok(m)
    }

    /// Quantizes `values` (row-major, those rows) into `rows`.
    fn fill_values(&mut self, rows: Range<usize>, values: &[f32]) -> Result<()> {
        if let PackedFormat::Shipped(s) = self.format
            && !s.quantizable()
        {
            bail!(
                "{} blocks are taken from a GGUF as they are, not quantized from f32 values",
                s.name()
            );
        }
        let cols = self.cols;
        ensure!(
            rows.len().checked_mul(cols) == Some(values.len()),
            "{} values for a [{}, {cols}] matrix",
            values.len(),
            rows.len()
        );
        let (row_bytes, blocks) = (self.format.row_bytes(cols), cols / self.format.block());
        let format = self.format;
        values
            .par_chunks(cols)
            .zip(
                self.quants[rows.start * row_bytes..rows.end * row_bytes].par_chunks_mut(row_bytes),
            )
            .zip(self.scales[rows.start * blocks..rows.end * blocks].par_chunks_mut(blocks))
            .try_for_each(|((x, q), s)| quantize::quantize_row(format, x, q, s))
    }

    /// Copies Q8_0 blocks of those rows in.
    fn fill_q8_0(&mut self, rows: Range<usize>, raw: &[u8]) -> Result<()> {
        ensure!(
            matches!(
                self.format,
                PackedFormat::Int8 { block: GROUP } | PackedFormat::Shipped(Shipped::Q8_0)
            ),
            "Q8_0 blocks can only be taken as Int8 {{ block: 32 }} or Shipped(Q8_0), not {:?}",
            self.format
        );
        let blocks = rows.len() * self.cols / GROUP;
        ensure!(
            raw.len() == blocks * Q8_0_BYTES,
            "Q8_0 [{}, {}] needs {} bytes, got {}",
            rows.len(),
            self.cols,
            blocks * Q8_0_BYTES,
            raw.len()
        );
        let first = rows.start * self.cols / GROUP;
        for ((b, s), q) in raw
            .as_chunks::<Q8_0_BYTES>()
            .0
            .iter()
            .zip(&mut self.scales[first..first + blocks])
            .zip(&mut self.quants.as_chunks_mut::<GROUP>().0[first..first + blocks])
        {
            *s = f16::from_le_bytes([b[0], b[1]]);
            // Only a corrupt file has one, and it would turn whole rows of outputs into NaN.
            ensure!(s.is_finite(), "Q8_0 block with a non-finite scale {s}");
            q.copy_from_slice(&b[2..]);
        }
        Ok(())
    }

    /// Takes Q5_0, Q4_0, Q4_K or Q6_K blocks of those rows in, checking that their scales are
    /// finite.
    fn fill_blocks(&mut self, rows: Range<usize>, raw: &[u8]) -> Result<()> {
        let PackedFormat::Shipped(
            s @ (Shipped::Q5_0 | Shipped::Q4_0 | Shipped::Q4_K | Shipped::Q6_K),
        ) = self.format
        else {
            bail!(
                "whole ggml blocks are taken only by Shipped(Q5_0 | Q4_0 | Q4_K | Q6_K), not {:?}",
                self.format
            );
        };
        let blocks = rows.len() * self.cols / self.format.block();
        ensure!(
            raw.len() == blocks * s.block_bytes(),
            "{} [{}, {}] needs {} bytes, got {}",
            s.name(),
            rows.len(),
            self.cols,
            blocks * s.block_bytes(),
            raw.len()
        );
        for b in raw.chunks_exact(s.block_bytes()) {
            for &i in s.scale_offsets() {
                let d = f16::from_le_bytes([b[i], b[i + 1]]);
                // Only a corrupt file has one, and it would turn whole rows of outputs into NaN.
                ensure!(
                    d.is_finite(),
                    "{} block with a non-finite scale {d}",
                    s.name()
                );
            }
        }
        let row_bytes = self.format.row_bytes(self.cols);
        let quants = &mut self.quants[rows.start * row_bytes..rows.end * row_bytes];
        let first = rows.start * self.cols / GROUP;
        let scales = &mut self.scales[first..];
        match s {
            Shipped::Q5_0 => {
                let blocks = raw.as_chunks::<22>().0.iter();
                let outs = quants.as_chunks_mut::<GROUP>().0.iter_mut();
                for ((b, q), scale) in blocks.zip(outs).zip(scales) {
                    *scale = f16::from_le_bytes([b[0], b[1]]);
                    *q = gguf::q5_0_levels(b).map(|l| l as u8);
                }
            }
            // Int4's nibble order is Q4_0's: the 16 bytes after the scale are taken as they are.
            Shipped::Q4_0 => {
                let blocks = raw.as_chunks::<18>().0.iter();
                let outs = quants.as_chunks_mut::<{ GROUP / 2 }>().0.iter_mut();
                for ((b, q), scale) in blocks.zip(outs).zip(scales) {
                    *scale = f16::from_le_bytes([b[0], b[1]]);
                    q.copy_from_slice(&b[2..]);
                }
            }
            _ => quants.copy_from_slice(raw),
        }
        Ok(())
    }

    /// A zero matrix of the right size, after checking the shape.
    fn empty(rows: usize, cols: usize, format: PackedFormat) -> Result<Self> {
        format.check(cols)?;
        ensure!(rows > 0 && cols > 0, "empty [{rows}, {cols}] matrix");
        let quants = rows.checked_mul(format.row_bytes(cols));
        let quants =
            quants.ok_or_else(|| anyhow::anyhow!("[{rows}, {cols}] matrix is too large"))?;
        Ok(Self {
            format,
            rows,
            cols,
            quants: vec![0; quants],
            scales: vec![f16::ZERO; rows * format.row_scales(cols)],
        })
    }

    /// Row-major `[rows, cols]` values, each `q · scale` in f32.
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0.0f32; self.rows * self.cols];
        for (r, out) in out.chunks_exact_mut(self.cols).enumerate() {
            self.dequantize_row(r, out);
        }
        out
    }

    /// The rows `ids`, dequantized, row-major `[ids.len(), cols]` (an embedding lookup that
    /// holds no float table). Errors on a row past the end.
    pub fn dequantize_rows(&self, ids: &[usize]) -> Result<Vec<f32>> {
        let mut out = vec![0.0f32; ids.len() * self.cols];
        for (&r, out) in ids.iter().zip(out.chunks_exact_mut(self.cols)) {
            ensure!(r < self.rows, "row {r} of a matrix with {} rows", self.rows);
            self.dequantize_row(r, out);
        }
        Ok(out)
    }

    fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        if let PackedFormat::Shipped(s @ (Shipped::Q4_K | Shipped::Q6_K)) = self.format {
            let values = gguf::dequantize_bytes(s.ggml_type(), self.row(r).0, self.cols)
                .expect("blocks were sized when packing");
            out.copy_from_slice(&values);
            return;
        }
        let (run_bytes, runs_per_block) =
            (self.format.row_bytes(GROUP), self.format.block() / GROUP);
        let (q, scales) = self.row(r);
        for (g, (y, q)) in out
            .as_chunks_mut::<GROUP>()
            .0
            .iter_mut()
            .zip(q.chunks_exact(run_bytes))
            .enumerate()
        {
            let d = scales[g / runs_per_block].to_f32();
            for (y, level) in y.iter_mut().zip(self.format.levels(q)) {
                *y = level as f32 * d;
            }
        }
    }

    /// Row `r`'s quantized bytes and block scales.
    fn row(&self, r: usize) -> (&[u8], &[f16]) {
        let (row_bytes, blocks) = (
            self.format.row_bytes(self.cols),
            self.format.row_scales(self.cols),
        );
        (
            &self.quants[r * row_bytes..][..row_bytes],
            &self.scales[r * blocks..][..blocks],
        )
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn format(&self) -> PackedFormat {
        self.format
    }

    /// Resident bytes: quantized values plus scales.
    pub fn bytes(&self) -> usize {
        self.quants.len() + self.scales.len() * size_of::<f16>()
    }

    pub fn bits_per_weight(&self) -> f64 {
        (self.bytes() * 8) as f64 / (self.rows * self.cols) as f64
    }
}
