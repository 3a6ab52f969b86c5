//! The module walk over the projections by path, and packing by a predicate on it (mlx's
//! `nn.quantize(class_predicate)`): above [`Gemma3`], which knows nothing of it.

use anyhow::Context;
use kernels::packed::{Kernel, PackedFormat, PackedMatrix};

use crate::gemma3::Gemma3;
use crate::projection::{LAYER_PROJECTIONS, LM_HEAD, Projection, layer_path};
use crate::tied_embedding::TiedEmbedding;

/// The projections of decoder layer `$l` in [`LAYER_PROJECTIONS`] order, borrowed with `$r`
/// (`&` or `&mut`).
macro_rules! layer_projections {
    ($l:expr, $($r:tt)+) => {
        [
            $($r)+ $l.self_attn.q_proj,
            $($r)+ $l.self_attn.k_proj,
            $($r)+ $l.self_attn.v_proj,
            $($r)+ $l.self_attn.o_proj,
            $($r)+ $l.mlp.gate_proj,
            $($r)+ $l.mlp.up_proj,
            $($r)+ $l.mlp.down_proj,
        ]
    };
}

impl Gemma3 {
    /// Every layer projection with its module path (`layers.N.self_attn.q_proj`, …), layer by
    /// layer.
    pub fn projections(&self) -> impl Iterator<Item = (String, &Projection)> {
        self.layers.iter().enumerate().flat_map(|(i, l)| {
            let all = layer_projections!(l, &);
            LAYER_PROJECTIONS
                .into_iter()
                .zip(all)
                .map(move |(n, p)| (layer_path(i, n), p))
        })
    }

    /// [`Gemma3::projections`], mutable.
    pub fn projections_mut(&mut self) -> impl Iterator<Item = (String, &mut Projection)> {
        self.layers.iter_mut().enumerate().flat_map(|(i, l)| {
            let all = layer_projections!(l, &mut);
            LAYER_PROJECTIONS
                .into_iter()
                .zip(all)
                .map(move |(n, p)| (layer_path(i, n), p))
        })
    }

    /// Replaces each projection whose path `select` accepts with `f(path, projection)`.
    pub fn map_projections(
        &mut self,
        select: impl Fn(&str) -> bool,
        mut f: impl FnMut(&str, &Projection) -> anyhow::Result<Projection>,
    ) -> anyhow::Result<()> {
        for (path, p) in self.projections_mut() {
            if select(&path) {
                *p = f(&path, p).with_context(|| format!("quantizing {path}"))?;
            }
        }
        Ok(())
    }

    /// Packs every projection whose path `select` accepts, and the tied embedding if it accepts
    /// [`LM_HEAD`] (the LM head and the token lookup then both read the packed table, and the
    /// float one is dropped).
    pub fn into_packed(
        mut self,
        format: PackedFormat,
        select: impl Fn(&str) -> bool,
    ) -> anyhow::Result<Gemma3> {
        // A GEMMA_KERNEL this CPU cannot run is refused before any work.
        Kernel::selected()?;
        self.map_projections(&select, |_, p| p.pack(format))?;
        if select(LM_HEAD) {
            let table = self.embed_tokens.to_host()?;
            let (vocab, d) = (self.config.vocab_size, self.config.hidden_size);
            let head = PackedMatrix::quantize(&table, vocab, d, format)
                .with_context(|| format!("quantizing {LM_HEAD}"))?;
            self.embed_tokens = TiedEmbedding::from_packed(head);
        }
        Ok(self)
    }

    /// Whether any weight is packed (such a model cannot be exported or trained).
    pub fn is_packed(&self) -> bool {
        self.embed_tokens.packed.is_some()
            || self
                .projections()
                .any(|(_, p)| matches!(p, Projection::Packed(_)))
    }

    /// Bytes held by packed weights.
    pub fn packed_bytes(&self) -> usize {
        let head = self.embed_tokens.packed.as_ref().map_or(0, |h| h.bytes());
        head + self
            .projections()
            .map(|(_, p)| match p {
                Projection::Packed(w) => w.bytes(),
                Projection::Float(_) => 0,
            })
            .sum::<usize>()
    }
}
