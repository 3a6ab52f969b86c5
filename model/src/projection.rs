//! A linear projection whose weight is either float or packed, behind one `forward` (candle's
//! `QMatMul`). The float variant is Burn's `Linear`, at the same module path, so stores,
//! adapters and gradients see `….q_proj.weight` either way; the packed variant holds no
//! parameters and multiplies with the packed CPU kernels (inference only).
//!
//! Quantizing the model walks these projections by module path, with a predicate choosing
//! which ones (mlx's `nn.quantize(class_predicate)`); see [`crate::module_walk`].

use std::sync::Arc;

use anyhow::bail;
use burn::module::{
    Content, Devices, Module, ModuleDisplay, ModuleDisplayDefault, ModuleMapper, ModuleVisitor,
};
use burn::nn::Linear;
use burn::prelude::*;

use kernels::packed::{PackedFormat, PackedMatrix};

use crate::cpu_kernels::{packed_matmul::packed_matmul, threaded_matmul};
use crate::host;

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

/// The module path of projection `name` (from [`LAYER_PROJECTIONS`]) of decoder layer `layer`.
pub(crate) fn layer_path(layer: usize, name: &str) -> String {
    format!("layers.{layer}.{name}")
}
