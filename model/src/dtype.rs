//! The float type the weights and activations run in (`--dtype`).

use burn::prelude::*;
use burn::tensor::DType;

use crate::backend::BackendKind;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelDtype {
    #[default]
    F32,
    Bf16,
    F16,
}

impl ModelDtype {
    pub const ALL: [ModelDtype; 3] = [Self::F32, Self::Bf16, Self::F16];

    pub fn burn(self) -> DType {
        match self {
            Self::F32 => DType::F32,
            Self::Bf16 => DType::BF16,
            Self::F16 => DType::F16,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::Bf16 => "bf16",
            Self::F16 => "f16",
        }
    }

    /// Refuses what cannot give correct numbers: f16 overflows Gemma 3's residual stream (it
    /// reaches |x| ≈ 1.04e5 at the BOS position; f16 tops out at 65 504, so the result would be
    /// NaN), and backends that lack the type (ndarray has no half types; lavapipe has no bf16 and
    /// silently returns garbage if asked).
    pub fn check(self, backend: BackendKind, device: &Device) -> anyhow::Result<()> {
        if self == Self::F16 {
            anyhow::bail!(
                "--dtype f16 is refused: Gemma 3's residual stream reaches |x| ≈ 1.04e5, beyond f16's 65504, which turns the logits into NaN; use --dtype bf16"
            );
        }
        if !device.supports_dtype(self.burn()) {
            anyhow::bail!(
                "backend {backend} does not support {}; use --dtype f32",
                self.name()
            );
        }
        Ok(())
    }
}

impl std::fmt::Display for ModelDtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ModelDtype {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| anyhow::anyhow!("unknown dtype {s:?}; expected one of f32, bf16, f16"))
    }
}
