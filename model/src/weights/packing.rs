//! How a packed load packs each matrix.

use anyhow::bail;
use kernels::packed::PackedFormat;

use crate::gemma3::Gemma3;
use crate::projection::LM_HEAD;

/// What [`super::load_packed`] packs each matrix in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    /// Every projection and the tied embedding in one format.
    Uniform(PackedFormat),
    /// The projections in one format and the tied embedding in another.
    Split {
        projections: PackedFormat,
        embedding: PackedFormat,
    },
    /// Every matrix in the GGUF's own block type ([`kernels::packed::Shipped`]), so a Q4_K_M file
    /// runs on the integers it ships with, as llama.cpp runs it. GGUF files only.
    AsShipped,
}

impl Packing {
    /// The format of the tied embedding (`embedding`) or of a projection; `None` as shipped,
    /// where each tensor's type in the file decides.
    pub fn format(self, embedding: bool) -> Option<PackedFormat> {
        match self {
            Self::Uniform(format) => Some(format),
            Self::Split {
                projections,
                embedding: table,
            } => Some(if embedding { table } else { projections }),
            Self::AsShipped => None,
        }
    }

    /// Packs a float model's projections and tied embedding.
    pub fn apply(self, model: Gemma3) -> anyhow::Result<Gemma3> {
        let (Some(projections), Some(table)) = (self.format(false), self.format(true)) else {
            bail!("as shipped (--packed gguf) runs a GGUF file's own blocks, not a float model");
        };
        model
            .into_packed(projections, |path| path != LM_HEAD)?
            .into_packed(table, |path| path == LM_HEAD)
    }
}
