//! LoRA through Burn's own support. Burn's [`Lora`] reparameterizer chooses the target weights,
//! freezes every base parameter and initialises the factors (A random, B zero); the model code
//! stays untouched because a reparameterized `Param` composes `base + scale · A·B` on read.
//!
//! Burn's `LoraAdapter` has no dropout, so [`DropoutLora`] takes over its factors and adds it.
//! Because Burn composes the *weight* rather than the activations, the dropout mask falls on A's
//! input rows (the input features of the adapter path) and is shared by all tokens of a forward
//! pass, instead of PEFT's per-token mask on the activations; in expectation both leave the
//! adapter unchanged.

use burn::module::{
    Flag, Lora, LoraAdapter, Module, Param, ParamGroup, Reparameterization, Reparameterizer,
};
use burn::prelude::*;
use burn::tensor::Distribution;
use model::Gemma3;
use serde::{Deserialize, Serialize};

/// A projection that can carry an adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Q,
    K,
    V,
    O,
    Gate,
    Up,
    Down,
}

impl Target {
    /// The module's HF (and PEFT) name.
    pub fn hf_name(self) -> &'static str {
        match self {
            Target::Q => "q_proj",
            Target::K => "k_proj",
            Target::V => "v_proj",
            Target::O => "o_proj",
            Target::Gate => "gate_proj",
            Target::Up => "up_proj",
            Target::Down => "down_proj",
        }
    }

    /// The module's path inside a decoder layer (the same in Burn and HF).
    pub fn layer_path(self) -> String {
        let parent = if matches!(self, Target::Gate | Target::Up | Target::Down) {
            "mlp"
        } else {
            "self_attn"
        };
        format!("{parent}.{}", self.hf_name())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    pub rank: usize,
    pub alpha: f64,
    /// Probability of dropping an input feature of the adapter path during training.
    pub dropout: f64,
    pub targets: Vec<Target>,
}

impl LoraConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.rank > 0, "the LoRA rank must be positive");
        anyhow::ensure!(
            (0.0..1.0).contains(&self.dropout),
            "the LoRA dropout must be in [0, 1), got {}",
            self.dropout
        );
        anyhow::ensure!(
            !self.targets.is_empty(),
            "LoRA needs at least one target module"
        );
        Ok(())
    }

    /// The base weights that get adapters: `layers.N.<target>.weight`.
    pub fn target_group(&self) -> ParamGroup {
        let alternatives: Vec<String> = self
            .targets
            .iter()
            .map(|t| regex_escape(&t.layer_path()))
            .collect();
        ParamGroup::from_regex(format!(
            r"^layers\.\d+\.({})\.weight$",
            alternatives.join("|")
        ))
        .expect("target regex is valid")
    }

    /// Freezes `model` and attaches trainable adapters to the target weights.
    pub fn apply(&self, model: Gemma3) -> Gemma3 {
        let lora = Lora::new(self.rank, self.alpha).set_param_group(self.target_group());
        model.apply_reparameterization(WithDropout {
            lora,
            dropout: self.dropout,
        })
    }
}

/// Every adapter factor (`….weight.lora.a` / `.b`): what a LoRA run trains and saves.
pub fn factor_group() -> ParamGroup {
    ParamGroup::from_regex(r"\.lora\.[ab]$").expect("factor regex is valid")
}

fn regex_escape(s: &str) -> String {
    s.replace('.', r"\.")
}

/// Burn's LoRA factors plus dropout on the adapter path (see the module docs).
#[derive(Module, Debug)]
pub struct DropoutLora {
    /// `[d_in, rank]`.
    pub a: Param<Tensor<2>>,
    /// `[rank, d_out]`.
    pub b: Param<Tensor<2>>,
    pub scale: f64,
    pub dropout: f64,
    /// Cleared by `valid()`/`freeze()`, like `nn::Dropout`'s.
    pub training: Param<Flag>,
}

impl Reparameterization for DropoutLora {
    // The same name as Burn's adapter, so the factors live at `….weight.lora.{a,b}` either way.
    const NAME: &'static str = "lora";

    fn apply<const D: usize>(&self, base: Tensor<D>) -> Tensor<D> {
        let mut a = self.a.val();
        if self.dropout > 0.0 && self.training.is_enabled() && a.device().is_autodiff() {
            let keep = 1.0 - self.dropout;
            let mask =
                Tensor::<2>::random([a.dims()[0], 1], Distribution::Bernoulli(keep), &a.device())
                    .cast(a.dtype());
            a = a * mask.div_scalar(keep);
        }
        let delta = a.matmul(self.b.val()).mul_scalar(self.scale);
        base.clone() + delta.reshape(base.shape())
    }
}

/// Runs Burn's [`Lora`] and hands its factors to [`DropoutLora`].
struct WithDropout {
    lora: Lora,
    dropout: f64,
}

impl Reparameterizer for WithDropout {
    type Reparam = DropoutLora;

    fn reparameterize<const D: usize>(
        &mut self,
        path: &str,
        param: Param<Tensor<D>>,
    ) -> (Param<Tensor<D>>, Option<DropoutLora>) {
        let (base, adapter) = self.lora.reparameterize(path, param);
        let adapter = adapter.map(|LoraAdapter { a, b, scale }| DropoutLora {
            a,
            b,
            scale,
            dropout: self.dropout,
            training: Param::from_bool(true),
        });
        (base, adapter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::ParamId;

    #[test]
    fn target_group_matches_only_the_chosen_projections() {
        let cfg = LoraConfig {
            rank: 2,
            alpha: 4.0,
            dropout: 0.0,
            targets: vec![Target::Q, Target::Gate],
        };
        let g = cfg.target_group();
        let id = ParamId::new();
        assert!(g.matches(&id, Some("layers.3.self_attn.q_proj.weight")));
        assert!(g.matches(&id, Some("layers.17.mlp.gate_proj.weight")));
        assert!(!g.matches(&id, Some("layers.3.self_attn.k_proj.weight")));
        assert!(!g.matches(&id, Some("layers.3.self_attn.q_norm.weight")));
        assert!(factor_group().matches(&id, Some("layers.3.self_attn.q_proj.weight.lora.b")));
        assert!(!factor_group().matches(&id, Some("layers.3.self_attn.q_proj.weight")));
    }

    #[test]
    fn dropout_masks_input_rows_in_training_only() {
        let device = model::BackendKind::Flex.device().unwrap().autodiff();
        let lora = DropoutLora {
            a: Param::from_tensor(Tensor::ones([64, 2], &device)),
            b: Param::from_tensor(Tensor::ones([2, 3], &device)),
            scale: 1.0,
            dropout: 0.5,
            training: Param::from_bool(true),
        };
        let rows = |t: Tensor<2>| {
            model::host::to_vec(t)
                .unwrap()
                .chunks(3)
                .map(|r| r[0])
                .collect::<Vec<f32>>()
        };
        // Each row of A·B is 2: dropped rows give 0, kept ones 2 / 0.5.
        let trained = rows(lora.apply(Tensor::<2>::zeros([64, 3], &device)));
        assert!(
            trained.iter().all(|&v| v == 0.0 || v == 4.0)
                && trained.contains(&0.0)
                && trained.contains(&4.0),
            "{trained:?}"
        );
        let plain = device.clone().without_autodiff();
        assert!(
            rows(lora.valid().apply(Tensor::<2>::zeros([64, 3], &plain)))
                .iter()
                .all(|&v| v == 2.0)
        );
    }
}
