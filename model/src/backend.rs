//! Run-time backend selection. Each backend is a cargo feature of this crate; asking for one that
//! was not compiled in is an error that names the feature.

use burn::prelude::*;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Ndarray,
    Flex,
    Wgpu,
    Tch,
    Cuda,
}

impl BackendKind {
    pub const ALL: [BackendKind; 5] = [Self::Ndarray, Self::Flex, Self::Wgpu, Self::Tch, Self::Cuda];

    pub fn name(self) -> &'static str {
        match self {
            Self::Ndarray => "ndarray",
            Self::Flex => "flex",
            Self::Wgpu => "wgpu",
            Self::Tch => "tch",
            Self::Cuda => "cuda",
        }
    }

    /// Whether this binary was built with the backend's feature.
    pub fn compiled(self) -> bool {
        match self {
            Self::Ndarray => cfg!(feature = "ndarray"),
            Self::Flex => cfg!(feature = "flex"),
            Self::Wgpu => cfg!(feature = "wgpu"),
            Self::Tch => cfg!(feature = "tch"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The compiled backends, fastest CPU one first: the default is the first.
    pub fn available() -> Vec<BackendKind> {
        [Self::Flex, Self::Cuda, Self::Wgpu, Self::Tch, Self::Ndarray].into_iter().filter(|b| b.compiled()).collect()
    }

    pub fn default_kind() -> BackendKind {
        Self::available().first().copied().unwrap_or(Self::Flex)
    }

    /// The device, or an error naming the cargo feature to enable.
    #[allow(deprecated, unreachable_code)] // ndarray and tch are deprecated upstream but requested by users
    pub fn device(self) -> anyhow::Result<Device> {
        if !self.compiled() {
            anyhow::bail!(
                "backend {self} is not compiled into this binary; rebuild with `--features {self}` (compiled: {})",
                Self::available().iter().map(|b| b.name()).collect::<Vec<_>>().join(", ")
            );
        }
        Ok(match self {
            #[cfg(feature = "ndarray")]
            Self::Ndarray => Device::ndarray(),
            #[cfg(feature = "flex")]
            Self::Flex => Device::flex(),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "tch")]
            Self::Tch => Device::libtorch(),
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::cuda(0),
            #[allow(unreachable_patterns)]
            _ => unreachable!("compiled() checked the feature"),
        })
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| anyhow::anyhow!("unknown backend {s:?}; expected one of ndarray, flex, wgpu, tch, cuda"))
    }
}
