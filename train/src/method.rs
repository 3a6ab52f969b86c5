//! What a run trains: every weight (optionally not the embedding) or LoRA adapters.

use burn::module::{Module, ParamGroup};
use model::Gemma3;
use serde::{Deserialize, Serialize};

use crate::lora::{self, LoraConfig};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Method {
    /// Full fine-tuning. The tied embedding (62% of the 270M weights, and the LM head too) can
    /// stay frozen.
    Full { freeze_embedding: bool },
    /// LoRA adapters on a frozen base.
    Lora(LoraConfig),
}

impl Method {
    /// Makes `model` (on an autodiff device) trainable this method's way.
    pub fn prepare(&self, model: Gemma3) -> Gemma3 {
        match self {
            Method::Full {
                freeze_embedding: true,
            } => model.freeze_group(embedding_group()),
            Method::Full {
                freeze_embedding: false,
            } => model,
            Method::Lora(cfg) => cfg.apply(model),
        }
    }

    /// Whether a forward draws random numbers (LoRA dropout), so that its result depends on
    /// the seed and on how the batch is split over replicas.
    pub fn draws_random(&self) -> bool {
        matches!(self, Method::Lora(cfg) if cfg.dropout > 0.0)
    }

    /// The parameters this method trains, which is what a checkpoint holds.
    pub fn trainable(&self) -> ParamGroup {
        match self {
            Method::Full {
                freeze_embedding: true,
            } => ParamGroup::all().exclude(embedding_group()),
            Method::Full {
                freeze_embedding: false,
            } => ParamGroup::all(),
            Method::Lora(_) => lora::factor_group(),
        }
    }
}

fn embedding_group() -> ParamGroup {
    ParamGroup::from_regex(r"^embed_tokens\.").expect("embedding regex is valid")
}
