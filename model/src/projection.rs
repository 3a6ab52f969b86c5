//! A linear projection whose weight is either float or packed, behind one `forward` (candle's
//! `QMatMul`). The float variant is Burn's `Linear`, at the same module path, so stores,
//! adapters and gradients see `….q_proj.weight` either way; the packed variant holds no
//! parameters and multiplies with the packed CPU kernels (inference only).
//!
//! Quantizing the model walks these projections by module path, with a predicate choosing
//! which ones (mlx's `nn.quantize(class_predicate)`); see [`Gemma3::map_projections`].

use std::sync::Arc;

use anyhow::{Context, bail};
use burn::module::{
    Content, Devices, Module, ModuleDisplay, ModuleDisplayDefault, ModuleMapper, ModuleVisitor,
};
use burn::nn::Linear;
use burn::prelude::*;

use crate::gemma3::Gemma3;
use crate::host;
use crate::packed::{PackedFormat, PackedMatrix};
use crate::threaded_matmul;
use crate::tied_embedding::TiedEmbedding;

/// The seven projections of a decoder layer, by their path inside the layer (the same in Burn
/// and HF): the one list every walk over the projections uses.
pub const LAYER_PROJECTIONS: [&str; 7] = [
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
];

/// The path the tied LM head goes by in a projection predicate.
pub const LM_HEAD: &str = "lm_head";

#[derive(Clone, Debug)]
pub enum Projection {
    /// Burn's `Linear` (weight `[in, out]`, no bias).
    Float(Linear),
    /// `[out, in]` packed blocks.
    Packed(Arc<PackedMatrix>),
}

impl Projection {
    /// `[b, t, in] -> [b, t, out]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        match self {
            // Gemma's projections have no bias; one with a bias goes to Burn's `Linear`.
            Self::Float(linear) => match &linear.bias {
                None => threaded_matmul::matmul(&x, &linear.weight.val())
                    .unwrap_or_else(|| linear.forward(x)),
                Some(_) => linear.forward(x),
            },
            Self::Packed(w) => packed_matmul(w, x),
        }
    }

    /// The float layer, or an error naming `path` for a packed one.
    pub fn float(&self, path: &str) -> anyhow::Result<&Linear> {
        match self {
            Self::Float(linear) => Ok(linear),
            Self::Packed(_) => bail!("{path} is packed; this needs the float weights"),
        }
    }

    /// `[in, out]` of the float weight, or `[cols, rows]` of the packed one.
    pub fn dims(&self) -> [usize; 2] {
        match self {
            Self::Float(linear) => linear.weight.dims(),
            Self::Packed(w) => [w.cols(), w.rows()],
        }
    }

    /// Packs the float weight in `format` (a packed one stays as it is).
    pub fn pack(&self, format: PackedFormat) -> anyhow::Result<Self> {
        let Self::Float(linear) = self else {
            return Ok(self.clone());
        };
        let w = linear.weight.val();
        let [inp, out] = w.dims();
        let values = host::to_vec(w.transpose())?;
        Ok(Self::Packed(Arc::new(PackedMatrix::quantize(
            &values, out, inp, format,
        )?)))
    }
}

/// `x · Wᵀ` on the host with the packed kernels: `[b, t, cols] -> [b, t, rows]`.
pub fn packed_matmul(w: &PackedMatrix, x: Tensor<3>) -> Tensor<3> {
    on_host(x, w.rows(), |x, n| {
        w.matmul(x, n)
            .expect("packed matmul shapes are checked when packing")
    })
}

/// `f(values, b · t)` on the host, for `[b, t, _] -> [b, t, cols]` with the packed kernels: `f`
/// returns `b · t · cols` values.
pub fn on_host(x: Tensor<3>, cols: usize, f: impl FnOnce(&[f32], usize) -> Vec<f32>) -> Tensor<3> {
    let [b, t, _] = x.dims();
    let (device, dtype) = (x.device(), x.dtype());
    // A failed device read is a broken device: no meaningful recovery inside a forward pass.
    let values = host::to_vec(x).expect("reading activations for the packed matmul");
    let out = f(&values, b * t);
    Tensor::from_data(TensorData::new(out, [b, t, cols]), (&device, dtype))
}

// By hand rather than derived: a derived enum puts the variant name into every parameter's
// path (`q_proj.Float.weight`), which would break stores and adapters.
impl Module for Projection {
    fn collect_devices(&self, devices: Devices) -> Devices {
        match self {
            Self::Float(l) => l.collect_devices(devices),
            Self::Packed(_) => devices,
        }
    }

    fn fork(self, device: &Device) -> Self {
        match self {
            Self::Float(l) => Self::Float(l.fork(device)),
            p => p,
        }
    }

    fn to_device(self, device: &Device) -> Self {
        match self {
            Self::Float(l) => Self::Float(l.to_device(device)),
            p => p,
        }
    }

    fn train(self) -> Self {
        match self {
            Self::Float(l) => Self::Float(l.train()),
            p => p,
        }
    }

    fn valid(&self) -> Self {
        match self {
            Self::Float(l) => Self::Float(l.valid()),
            p => p.clone(),
        }
    }

    fn materialize(self) -> Self {
        match self {
            Self::Float(l) => Self::Float(l.materialize()),
            p => p,
        }
    }

    fn visit<V: ModuleVisitor>(&self, visitor: &mut V) {
        if let Self::Float(l) = self {
            l.visit(visitor);
        }
    }

    fn map<M: ModuleMapper>(self, mapper: &mut M) -> Self {
        match self {
            Self::Float(l) => Self::Float(l.map(mapper)),
            p => p,
        }
    }
}

impl ModuleDisplayDefault for Projection {
    fn content(&self, content: Content) -> Option<Content> {
        match self {
            Self::Float(l) => l.content(content),
            Self::Packed(w) => content
                .add_formatted(&format!(
                    "Packed({:?}, {:?})",
                    w.format(),
                    [w.rows(), w.cols()]
                ))
                .optional(),
        }
    }
}

impl ModuleDisplay for Projection {}

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

/// The module path of projection `name` (from [`LAYER_PROJECTIONS`]) of decoder layer `layer`.
pub(crate) fn layer_path(layer: usize, name: &str) -> String {
    format!("layers.{layer}.{name}")
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
        crate::packed::Kernel::selected()?;
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
