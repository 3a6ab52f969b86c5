//! The precisions the study compares, named on the command line as
//! `<format>[-packed][+emb]`:
//!
//! - `f32` (the reference: the GGUF as shipped, dequantized), `bf16`, `f16`;
//! - `int8-tensor`, `int8-b32`, `int4-b32`, `int4-b64`, `int4-b128`, `int2-b32`: integer
//!   weights, one scale per tensor or per block of N values along the input dimension;
//! - `-packed`: the matmul really runs on the packed integers (the project's CPU kernels, int8
//!   and int4 at blocks of 32/64/128); without it the weights are quantized and dequantized at
//!   load ("simulated", with Burn's own quantization) and the matmul runs in f32;
//! - `+emb`: the 262k × 640 tied embedding / LM head (62 % of the weights) is quantized too;
//!   otherwise it stays f32;
//! - `gguf-packed`: the GGUF's own blocks as shipped (Q4_K_M: a Q8_0 embedding, Q5_0, Q8_0,
//!   Q4_K and Q6_K projections) on the packed kernels, with ggml's activation quantization:
//!   the numerics llama.cpp runs the file with;
//! - `q8_0-packed`, `q4_0-packed`: ggml's Q8_0 and Q4_0, made from the f32 model by ggml's own
//!   quantizers, on the packed kernels with ggml's activation quantization; with `+emb` the
//!   embedding is Q8_0 in both, as `llama-quantize` stores it for this model. These are the
//!   files of llama.cpp's Q8_0/Q4_0 anchors (`shared/docs/anchors.md`), value for value.
//!
//! Norm weights always stay f32 (0.03 % of the weights).

use anyhow::{Result, bail};
use kernels::packed::{PackedFormat, Shipped};
use serde::{Deserialize, Serialize};

/// How the weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    F32,
    Bf16,
    F16,
    /// Symmetric integers of `bits` bits with an f32 scale per tensor.
    IntTensor {
        bits: u32,
    },
    /// Symmetric integers of `bits` bits with a scale per `block` values.
    IntBlock {
        bits: u32,
        block: usize,
    },
    /// Each matrix in the GGUF's own ggml block type, as shipped.
    Gguf,
    /// A ggml block type made by ggml's own quantizer (Q8_0 or Q4_0).
    Ggml {
        block: Shipped,
    },
}

/// Where the arithmetic happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Execution {
    /// A float model in its own dtype.
    Float,
    /// Burn quantizes the weights and dequantizes them back to f32 at load.
    Simulated,
    /// The packed integer kernels multiply the quantized weights directly.
    Packed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    pub format: Format,
    pub execution: Execution,
    /// The embedding / LM head is quantized too.
    pub embedding: bool,
}

/// The reference every KL divergence is measured against.
pub const REFERENCE: &str = "f32";

/// The full study's variants.
pub const DEFAULT_VARIANTS: &[&str] = &[
    "f32",
    "bf16",
    "f16",
    "int8-tensor",
    "int8-b32",
    "int4-b32",
    "int4-b64",
    "int4-b128",
    "int2-b32",
    "int8-b32+emb",
    "int4-b32+emb",
    "int8-b32-packed",
    "int4-b32-packed",
    "int8-b32-packed+emb",
    "int4-b32-packed+emb",
    "q8_0-packed+emb",
    "q4_0-packed+emb",
    "gguf-packed",
];

impl Variant {
    pub fn parse(name: &str) -> Result<Self> {
        let usage = "expected <f32|bf16|f16|int8-tensor|int{8,4,2}-b{32,64,128}>[-packed][+emb], <q8_0|q4_0>-packed[+emb], or gguf-packed";
        let (base, embedding) = match name.strip_suffix("+emb") {
            Some(b) => (b, true),
            None => (name, false),
        };
        let (base, packed) = match base.strip_suffix("-packed") {
            Some(b) => (b, true),
            None => (base, false),
        };
        let format = match base {
            "f32" => Format::F32,
            "bf16" => Format::Bf16,
            "f16" => Format::F16,
            "gguf" if packed && !embedding => Format::Gguf,
            "gguf" => bail!(
                "variant {name:?}: the file's own blocks run on the packed kernels, embedding included: gguf-packed"
            ),
            "q8_0" | "q4_0" if packed => Format::Ggml {
                block: if base == "q8_0" {
                    Shipped::Q8_0
                } else {
                    Shipped::Q4_0
                },
            },
            "q8_0" | "q4_0" => bail!(
                "variant {name:?}: ggml's formats run on the packed kernels only: {base}-packed"
            ),
            _ => {
                let Some((int, scale)) = base.split_once('-') else {
                    bail!("variant {name:?}: {usage}")
                };
                let bits = match int {
                    "int8" => 8,
                    "int4" => 4,
                    "int2" => 2,
                    _ => bail!("variant {name:?}: {usage}"),
                };
                match (
                    scale,
                    scale
                        .strip_prefix('b')
                        .and_then(|b| b.parse::<usize>().ok()),
                ) {
                    ("tensor", _) => Format::IntTensor { bits },
                    (_, Some(block @ (32 | 64 | 128))) => Format::IntBlock { bits, block },
                    _ => bail!("variant {name:?}: block size must be 32, 64 or 128 ({usage})"),
                }
            }
        };
        let float = matches!(format, Format::F32 | Format::Bf16 | Format::F16);
        if float && (packed || embedding) {
            bail!("variant {name:?}: -packed and +emb apply to integer formats only");
        }
        let execution = match (float, packed) {
            (true, _) => Execution::Float,
            (false, false) => Execution::Simulated,
            (false, true) => Execution::Packed,
        };
        if packed
            && !matches!(
                format,
                Format::IntBlock { bits: 8 | 4, .. } | Format::Gguf | Format::Ggml { .. }
            )
        {
            bail!(
                "variant {name:?}: the packed kernels do int8 and int4 in blocks of 32, 64 or 128"
            );
        }
        Ok(Self {
            name: name.to_string(),
            format,
            execution,
            // The file ships its embedding quantized.
            embedding: embedding || format == Format::Gguf,
        })
    }

    /// The packed kernels' format, for `-packed` variants.
    pub fn packed_format(&self) -> Option<PackedFormat> {
        match (self.execution, self.format) {
            (Execution::Packed, Format::IntBlock { bits: 8, block }) => {
                Some(PackedFormat::Int8 { block })
            }
            (Execution::Packed, Format::IntBlock { bits: 4, block }) => {
                Some(PackedFormat::Int4 { block })
            }
            (Execution::Packed, Format::Ggml { block }) => Some(PackedFormat::Shipped(block)),
            _ => None,
        }
    }

    /// The packed format of the embedding, for `-packed+emb` variants: the projections' own,
    /// except for ggml's types, whose files keep it in Q8_0.
    pub fn packed_embedding(&self) -> Option<PackedFormat> {
        match self.format {
            _ if !self.embedding => None,
            Format::Ggml { .. } => Some(PackedFormat::Shipped(Shipped::Q8_0)),
            _ => self.packed_format(),
        }
    }

    /// Bits per weight of the quantized tensors as stored: the values plus their scales (f32
    /// scales for Burn's schemes, f16 for the packed kernels, as in GGUF); `None` for `gguf`,
    /// a mix of types.
    pub fn quantized_bits(&self) -> Option<f64> {
        let scale_bits = if self.execution == Execution::Packed {
            16.0
        } else {
            32.0
        };
        Some(match self.format {
            Format::F32 => 32.0,
            Format::Bf16 | Format::F16 => 16.0,
            Format::IntTensor { bits } => bits as f64,
            Format::IntBlock { bits, block } => bits as f64 + scale_bits / block as f64,
            Format::Ggml { block } => ggml_bits(block),
            Format::Gguf => return None,
        })
    }

    /// Bits per weight of the embedding as stored.
    fn embedding_bits(&self) -> Option<f64> {
        match self.format {
            Format::Bf16 | Format::F16 => Some(16.0),
            _ if !self.embedding => Some(32.0),
            Format::Ggml { .. } => Some(ggml_bits(Shipped::Q8_0)),
            _ => self.quantized_bits(),
        }
    }

    /// Bits per weight over the whole model, given how many weights are in the embedding, in
    /// the projections and elsewhere (norms): what the format would store (`None` for `gguf`:
    /// measure the loaded model).
    pub fn bits_per_weight(&self, counts: &WeightCounts) -> Option<f64> {
        let q = self.quantized_bits()?;
        let float = match self.format {
            Format::Bf16 | Format::F16 => 16.0,
            _ => 32.0,
        };
        let bits = self.embedding_bits()? * counts.embedding as f64
            + q * counts.projections as f64
            + float * counts.other as f64;
        Some(bits / counts.total() as f64)
    }

    /// In words, for the report.
    pub fn describe(&self) -> String {
        let what = match self.execution {
            Execution::Float => "float weights and matmul".to_string(),
            Execution::Simulated => {
                "Burn quantize→dequantize at load (flex), f32 matmul".to_string()
            }
            Execution::Packed if self.format == Format::Gguf => {
                return "the GGUF's own blocks (Q8_0/Q5_0/Q4_K/Q6_K) on the packed kernels, ggml's activation quantization, CPU; embedding/LM head as shipped".to_string();
            }
            Execution::Packed if matches!(self.format, Format::Ggml { .. }) => {
                let emb = if self.embedding {
                    "; embedding/LM head Q8_0, as llama-quantize stores it"
                } else {
                    "; embedding/LM head f32"
                };
                return format!(
                    "ggml's own quantizer, on the packed kernels with ggml's Q8_0 activations, CPU{emb}"
                );
            }
            Execution::Packed => {
                "packed integer kernels (int8 activations per block), CPU".to_string()
            }
        };
        let emb = match (self.execution, self.embedding) {
            (Execution::Float, _) => "",
            (_, true) => "; embedding/LM head quantized",
            (_, false) => "; embedding/LM head f32",
        };
        format!("{what}{emb}")
    }
}

/// Bits per weight of a ggml block type: its block's bytes over its values.
fn ggml_bits(block: Shipped) -> f64 {
    let format = PackedFormat::Shipped(block);
    8.0 * block.ggml_type().type_size().unwrap_or_default() as f64 / format.block() as f64
}

/// Weights by role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightCounts {
    pub embedding: usize,
    pub projections: usize,
    pub other: usize,
}

impl WeightCounts {
    pub fn total(&self) -> usize {
        self.embedding + self.projections + self.other
    }
}

/// Parses a comma-separated list, with the reference first (every KLD needs it).
pub fn parse_list(names: &[String]) -> Result<Vec<Variant>> {
    let mut out: Vec<Variant> = Vec::new();
    for name in names {
        let v = Variant::parse(name.trim())?;
        if out.iter().any(|o| o.name == v.name) {
            bail!("variant {} is listed twice", v.name);
        }
        out.push(v);
    }
    if let Some(i) = out.iter().position(|v| v.name == REFERENCE) {
        let r = out.remove(i);
        out.insert(0, r);
    } else {
        out.insert(0, Variant::parse(REFERENCE)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let v = Variant::parse("int4-b64-packed+emb").unwrap();
        assert_eq!(v.format, Format::IntBlock { bits: 4, block: 64 });
        assert_eq!(v.execution, Execution::Packed);
        assert!(v.embedding);
        assert_eq!(v.packed_format(), Some(PackedFormat::Int4 { block: 64 }));
        assert_eq!(
            Variant::parse("int8-tensor").unwrap().format,
            Format::IntTensor { bits: 8 }
        );
        for bad in [
            "int3-b32",
            "int4-b48",
            "f32+emb",
            "int2-b32-packed",
            "int8-tensor-packed",
            "q4",
        ] {
            assert!(Variant::parse(bad).is_err(), "{bad}");
        }
        for name in DEFAULT_VARIANTS {
            Variant::parse(name).unwrap();
        }
        let shipped = Variant::parse("gguf-packed").unwrap();
        assert_eq!(
            (shipped.format, shipped.execution, shipped.embedding),
            (Format::Gguf, Execution::Packed, true)
        );
        assert_eq!(shipped.packed_format(), None);
        for bad in ["gguf", "gguf-packed+emb"] {
            let err = Variant::parse(bad).unwrap_err().to_string();
            assert!(err.contains("gguf-packed"), "{err}");
        }
        // ggml's types: the embedding of `+emb` is Q8_0, as llama-quantize stores it.
        let q4_0 = Variant::parse("q4_0-packed+emb").unwrap();
        let shipped = |s| Some(PackedFormat::Shipped(s));
        assert_eq!(
            (q4_0.packed_format(), q4_0.packed_embedding()),
            (shipped(Shipped::Q4_0), shipped(Shipped::Q8_0))
        );
        let q8_0 = Variant::parse("q8_0-packed").unwrap();
        assert_eq!(
            (q8_0.packed_format(), q8_0.packed_embedding()),
            (shipped(Shipped::Q8_0), None)
        );
        let err = Variant::parse("q4_0").unwrap_err().to_string();
        assert!(err.contains("q4_0-packed"), "{err}");
    }

    #[test]
    fn bits_per_weight() {
        let counts = WeightCounts {
            embedding: 60,
            projections: 40,
            other: 0,
        };
        assert_eq!(
            Variant::parse("f32").unwrap().bits_per_weight(&counts),
            Some(32.0)
        );
        assert_eq!(
            Variant::parse("bf16").unwrap().bits_per_weight(&counts),
            Some(16.0)
        );
        // 4 bits + a 32-bit scale per 32 values = 5; the embedding stays at 32.
        assert_eq!(
            Variant::parse("int4-b32").unwrap().bits_per_weight(&counts),
            Some((60.0 * 32.0 + 40.0 * 5.0) / 100.0)
        );
        // Packed: f16 scales, as GGUF's Q4_0 (4.5 bits).
        assert_eq!(
            Variant::parse("int4-b32-packed+emb")
                .unwrap()
                .bits_per_weight(&counts),
            Some(4.5)
        );
        let shipped = Variant::parse("gguf-packed").unwrap();
        assert_eq!(shipped.bits_per_weight(&counts), None);
        // Q4_0 projections (18 bytes per 32 values) and a Q8_0 embedding (34 per 32).
        assert_eq!(
            Variant::parse("q4_0-packed+emb")
                .unwrap()
                .bits_per_weight(&counts),
            Some((60.0 * 8.5 + 40.0 * 4.5) / 100.0)
        );
    }

    #[test]
    fn reference_comes_first() {
        let list = parse_list(&["int4-b32".into(), "f32".into()]).unwrap();
        assert_eq!(list[0].name, REFERENCE);
        let list = parse_list(&["int4-b32".into()]).unwrap();
        assert_eq!(
            list.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["f32", "int4-b32"]
        );
        assert!(parse_list(&["bf16".into(), "bf16".into()]).is_err());
    }
}
