//! Run-time backend selection. Each backend is a cargo feature of this crate; asking for one that
//! was not compiled in is an error that names the feature.

use burn::prelude::*;
use burn::tensor::DType;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Ndarray,
    Flex,
    Wgpu,
    Tch,
    Cuda,
}

impl BackendKind {
    pub const ALL: [BackendKind; 5] =
        [Self::Ndarray, Self::Flex, Self::Wgpu, Self::Tch, Self::Cuda];

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
        [Self::Flex, Self::Cuda, Self::Wgpu, Self::Tch, Self::Ndarray]
            .into_iter()
            .filter(|b| b.compiled())
            .collect()
    }

    pub fn default_kind() -> BackendKind {
        Self::available().first().copied().unwrap_or(Self::Flex)
    }

    /// The device, or an error naming the cargo feature to enable.
    pub fn device(self) -> anyhow::Result<Device> {
        self.device_at(0)
    }

    /// The device at `index`. Only cuda counts its devices; the others have one, which several
    /// data-parallel replicas may share.
    #[allow(deprecated, unreachable_code)] // ndarray and tch are deprecated upstream but requested by users
    pub fn device_at(self, index: usize) -> anyhow::Result<Device> {
        if index > 0 && self != Self::Cuda {
            anyhow::bail!(
                "device {self}:{index}: backend {self} has one device ({self}:0); replicas may share it, as in `--devices {self},{self}`"
            );
        }
        if !self.compiled() {
            anyhow::bail!(
                "backend {self} is not compiled into this binary; rebuild with `--features {self}` (compiled: {})",
                Self::available()
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(match self {
            #[cfg(feature = "ndarray")]
            Self::Ndarray => Device::ndarray(),
            #[cfg(feature = "flex")]
            Self::Flex => Device::flex(),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => {
                native_graphics_api()?;
                Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)
            }
            #[cfg(feature = "tch")]
            Self::Tch => Device::libtorch(),
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::cuda(index),
            #[allow(unreachable_patterns)]
            _ => unreachable!("compiled() checked the feature"),
        })
    }
}

/// Fails fast unless wgpu has an adapter on Vulkan, Metal or DX12. Without one, Burn's wgpu
/// falls back to OpenGL, which on Mesa's llvmpipe deadlocks ("Could not lock adapter context").
/// Asked once per process, before any Burn device exists: the Vulkan loader crashes when
/// instances are created on several threads at once.
#[cfg(feature = "wgpu")]
fn native_graphics_api() -> anyhow::Result<()> {
    static FOUND: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let backends = wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
            let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
                backends,
                ..wgpu::InstanceDescriptor::new_without_display_handle()
            });
            let adapters = futures_lite::future::block_on(instance.enumerate_adapters(backends));
            if adapters.is_empty() {
                Err("backend wgpu: no Vulkan adapter (nor Metal or DX12); install Mesa's Vulkan driver \
                     (`apt-get install mesa-vulkan-drivers libvulkan1`) or a GPU driver, or use --backend flex"
                    .to_string())
            } else {
                Ok(())
            }
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// The adapter's name on cubecl backends (`Device::identity` exists only there), else the backend's.
fn device_name(kind: BackendKind, device: &Device) -> String {
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    if let Some(id) = device.identity() {
        return id.name;
    }
    let _ = device;
    kind.name().to_string()
}

/// What `gemma backends` prints for one backend.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BackendProbe {
    pub backend: BackendKind,
    pub compiled: bool,
    pub device: Option<String>,
    pub dtypes: Vec<&'static str>,
    /// Max |Δ| of a small matmul against a host f64 reference: proof that it computes.
    pub matmul_error: Option<f64>,
    /// Burn quantization schemes that round-trip a small tensor on this device.
    pub quantization: Vec<&'static str>,
    pub error: Option<String>,
}

/// Which of Burn's quantization schemes work on `device`: quantize a small tensor, dequantize,
/// and compare. Backends without a scheme panic (`unimplemented!`), so each try is caught, with
/// the panic message silenced. cubecl backends get the packed u32 store: their native store
/// fails on lavapipe and leaves the device unusable.
fn probe_quantization(kind: BackendKind, device: &Device) -> Vec<&'static str> {
    use burn::tensor::quantization::{QuantScheme, QuantStore, QuantValue, ScaleDtype};
    let store = if matches!(kind, BackendKind::Wgpu | BackendKind::Cuda) {
        QuantStore::PackedU32(0)
    } else {
        QuantStore::Native
    };
    let base = QuantScheme::default().with_store(store);
    let schemes = [
        (
            "int8 per tensor",
            base.with_value(QuantValue::Q8S).per_tensor(ScaleDtype::F32),
            0.02,
        ),
        (
            "int8 block 32",
            base.with_value(QuantValue::Q8S)
                .per_block([32], ScaleDtype::F32),
            0.02,
        ),
        (
            "int4 block 32",
            base.with_value(QuantValue::Q4S)
                .per_block([32], ScaleDtype::F32),
            0.2,
        ),
    ];
    let values: Vec<f32> = (0..128)
        .map(|i| ((i * 37 % 64) as f32 - 32.0) / 32.0)
        .collect();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let works: Vec<&'static str> = schemes
        .into_iter()
        .filter(|(_, scheme, tolerance)| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let t = Tensor::<2>::from_data(TensorData::new(values.clone(), [2, 64]), device);
                let back = crate::host::to_vec(t.quantize_dynamic(scheme).dequantize()).ok()?;
                Some(
                    values
                        .iter()
                        .zip(&back)
                        .all(|(a, b)| (a - b).abs() <= *tolerance),
                )
            }))
            .ok()
            .flatten()
            .unwrap_or(false)
        })
        .map(|(name, _, _)| name)
        .collect();
    std::panic::set_hook(hook);
    works
}

impl BackendKind {
    /// Opens the device and runs a small matmul, reporting instead of failing.
    pub fn probe(self) -> BackendProbe {
        let mut p = BackendProbe {
            backend: self,
            compiled: self.compiled(),
            device: None,
            dtypes: vec![],
            matmul_error: None,
            quantization: vec![],
            error: None,
        };
        let device = match self.device() {
            Ok(d) => d,
            Err(e) => {
                p.error = Some(e.to_string());
                return p;
            }
        };
        p.device = Some(device_name(self, &device));
        p.dtypes = [
            (DType::F32, "f32"),
            (DType::BF16, "bf16"),
            (DType::F16, "f16"),
        ]
        .into_iter()
        .filter(|(d, _)| device.supports_dtype(*d))
        .map(|(_, n)| n)
        .collect();
        let (n, k, m) = (8, 64, 16);
        let a: Vec<f32> = (0..n * k)
            .map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0)
            .collect();
        let b: Vec<f32> = (0..k * m)
            .map(|i| ((i * 5 % 11) as f32 - 5.0) / 8.0)
            .collect();
        let out = Tensor::<2>::from_data(TensorData::new(a.clone(), [n, k]), &device).matmul(
            Tensor::from_data(TensorData::new(b.clone(), [k, m]), &device),
        );
        match crate::host::to_vec(out) {
            Ok(got) => {
                let err = (0..n * m)
                    .map(|i| {
                        let want: f64 = (0..k)
                            .map(|j| a[i / m * k + j] as f64 * b[j * m + i % m] as f64)
                            .sum();
                        (got[i] as f64 - want).abs()
                    })
                    .fold(0.0, f64::max);
                p.matmul_error = Some(err);
            }
            Err(e) => p.error = Some(e.to_string()),
        }
        p.quantization = probe_quantization(self, &device);
        p
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
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown backend {s:?}; expected one of ndarray, flex, wgpu, tch, cuda"
                )
            })
    }
}

/// One device as `--devices` names it: `backend[:index]`, e.g. `flex`, `cuda:1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceSpec {
    pub backend: BackendKind,
    pub index: usize,
}

impl DeviceSpec {
    pub fn device(self) -> anyhow::Result<Device> {
        self.backend.device_at(self.index)
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.backend, self.index)
    }
}

impl FromStr for DeviceSpec {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        let (backend, index) = s.split_once(':').unwrap_or((s, "0"));
        let index = index.parse().map_err(|_| {
            anyhow::anyhow!("device {s:?}: the index after ':' must be a number, as in cuda:1")
        })?;
        Ok(Self {
            backend: backend.parse()?,
            index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_specs_parse_with_and_without_an_index() {
        let spec: DeviceSpec = "cuda:3".parse().unwrap();
        assert_eq!((spec.backend, spec.index), (BackendKind::Cuda, 3));
        let spec: DeviceSpec = "flex".parse().unwrap();
        assert_eq!((spec.backend, spec.index), (BackendKind::Flex, 0));
        assert!("cuda:x".parse::<DeviceSpec>().is_err());
        assert!("tpu:0".parse::<DeviceSpec>().is_err());
        let err = BackendKind::Flex.device_at(1).unwrap_err().to_string();
        assert!(err.contains("--devices flex,flex"), "{err}");
    }
}
