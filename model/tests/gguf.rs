//! GGUF reader tests: small synthetic files written here (always run), then the real Gemma 3 270M
//! file against gguf-py's dequantization reference (skipped, loudly, when the model is absent).

use gguf::writer::{GgufTensor as Tensor, GgufWriter as Gguf};
use gguf::{GgmlType, GgufFile, MetaValue, dequantize_bytes};
use half::f16;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn tensor(name: &str, ne: &[u64], ty: GgmlType, data: Vec<u8>) -> Tensor {
    Tensor::new(name, ne, ty, data)
}

trait WriteFile {
    fn write(&self, name: &str) -> PathBuf;
}

impl WriteFile for Gguf {
    fn write(&self, name: &str) -> PathBuf {
        write_file(name, &self.bytes())
    }
}

fn write_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gguf-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.gguf"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Replaces the single occurrence of `from` in `bytes` by `to` (same length).
fn patch(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let hits: Vec<usize> = (0..=bytes.len() - from.len())
        .filter(|&i| &bytes[i..i + from.len()] == from)
        .collect();
    assert_eq!(hits.len(), 1, "patch pattern must occur exactly once");
    bytes[hits[0]..hits[0] + to.len()].copy_from_slice(to);
    bytes
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Opening `path` must fail with a message naming the file and containing every keyword.
fn assert_open_fails(path: &Path, keywords: &[&str]) -> String {
    let msg = GgufFile::open(path)
        .expect_err("opening a bad file must fail")
        .to_string();
    assert_mentions(&msg, path, keywords);
    msg
}

fn assert_mentions(msg: &str, path: &Path, keywords: &[&str]) {
    let file = path.file_name().unwrap().to_str().unwrap();
    assert!(
        msg.contains(file),
        "message does not name the file {file}: {msg}"
    );
    for k in keywords {
        assert!(
            msg.to_lowercase().contains(&k.to_lowercase()),
            "message lacks {k:?}: {msg}"
        );
    }
}

fn f16_bytes(v: f32) -> [u8; 2] {
    f16::from_f32(v).to_bits().to_le_bytes()
}

fn f32_data(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Deterministic pseudo-random bytes (xorshift64*).
struct Rng(u64);

impl Rng {
    fn byte(&mut self) -> u8 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    /// A modest f16 scale, so products stay finite and comparisons stay exact.
    fn scale(&mut self) -> [u8; 2] {
        f16_bytes((self.byte() as f32 - 127.5) / 2048.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic files: metadata and plain tensors.

#[test]
fn metadata_round_trips_in_v2_and_v3() {
    use MetaValue::*;
    let values = vec![
        ("u8", U8(200)),
        ("i8", I8(-7)),
        ("u16", U16(65535)),
        ("i16", I16(-32768)),
        ("u32", U32(4_000_000_000)),
        ("i32", I32(-5)),
        ("f32", F32(1e-6)),
        ("bool", Bool(true)),
        ("str", Str("héllo ▁wörld 🙂".into())),
        ("empty", Str(String::new())),
        ("u64", U64(u64::MAX)),
        ("i64", I64(i64::MIN)),
        ("f64", F64(-2.5)),
        (
            "strings",
            Array(vec![
                Str("<pad>".into()),
                Str("".into()),
                Str("▁the".into()),
            ]),
        ),
        (
            "scores",
            Array((0..1000).map(|i| F32(i as f32 * -0.5)).collect()),
        ),
        ("types", Array((0..1000).map(I32).collect())),
        (
            "nested",
            Array(vec![Array(vec![U8(1), U8(2)]), Array(vec![U8(3)])]),
        ),
        ("general.alignment", U32(64)),
    ];
    for version in [2, 3] {
        let mut g =
            Gguf::new().tensor(tensor("t", &[3], GgmlType::F32, f32_data(&[1.0, 2.0, 3.0])));
        g.version = version;
        for (k, v) in &values {
            g = g.kv(k, v.clone());
        }
        let path = g.write(&format!("metadata_v{version}"));
        let f = GgufFile::open(&path).unwrap();
        assert_eq!(f.version(), version);
        assert_eq!(f.path(), path);
        assert_eq!(f.metadata().len(), values.len() + 1);
        for (k, v) in &values {
            assert_eq!(f.get(k), Some(v), "{k}");
        }
        assert_eq!(
            f.get("general.architecture").and_then(MetaValue::as_str),
            Some("test")
        );
        assert_eq!(f.get("missing"), None);
        // The data section starts at the declared alignment.
        assert_eq!(f.data_start() % 64, 0);
        assert_eq!(f.tensor("t").unwrap().offset, f.data_start());
        assert_eq!(f.dequantize("t").unwrap(), [1.0, 2.0, 3.0]);
    }
}

#[test]
fn meta_value_conversions() {
    use MetaValue::*;
    assert_eq!(U8(7).as_u64(), Some(7));
    assert_eq!(I32(7).as_u64(), Some(7));
    assert_eq!(I64(-1).as_u64(), None);
    assert_eq!(F32(32.0).as_u64(), Some(32));
    assert_eq!(F64(1.5).as_u64(), None);
    assert_eq!(F64(-1.0).as_u64(), None);
    assert_eq!(U64(u64::MAX).as_u64(), Some(u64::MAX));
    assert_eq!(I16(-3).as_f64(), Some(-3.0));
    assert_eq!(F32(0.25).as_f64(), Some(0.25));
    assert_eq!(Bool(true).as_u64(), None);
    assert_eq!(Str("x".into()).as_f64(), None);
    assert_eq!(Str("x".into()).as_str(), Some("x"));
    assert_eq!(U8(1).as_str(), None);
    assert_eq!(Array(vec![U8(1)]).as_array(), Some(&[U8(1)][..]));
    assert_eq!(U8(1).as_array(), None);
}

#[test]
fn float_tensors_round_trip_with_row_major_shape() {
    let f32s: Vec<f32> = (0..24).map(|i| i as f32 * 0.37 - 3.0).collect();
    // Values exactly representable in the stored type, so the round trip is exact.
    let f16s = [
        1.5f32,
        -2.0,
        65504.0,
        2f32.powi(-24),
        0.0,
        -0.0,
        1365.0 / 4096.0,
        -1024.0,
    ];
    let bf16s = [1.0f32, -3.140625, 2f32.powi(100), -0.0];
    let g = Gguf::new()
        .tensor(tensor("a.f32", &[4, 3, 2], GgmlType::F32, f32_data(&f32s)))
        .tensor(tensor(
            "b.f16",
            &[8],
            GgmlType::F16,
            f16s.iter().flat_map(|&v| f16_bytes(v)).collect(),
        ))
        .tensor(tensor(
            "c.bf16",
            &[2, 2],
            GgmlType::BF16,
            bf16s
                .iter()
                .flat_map(|v| ((v.to_bits() >> 16) as u16).to_le_bytes())
                .collect(),
        ));
    let path = g.write("float_tensors");
    let f = GgufFile::open(&path).unwrap();

    let names: Vec<&str> = f.tensors().iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a.f32", "b.f16", "c.bf16"]);
    let a = f.tensor("a.f32").unwrap();
    assert_eq!(
        (
            a.ggml_type,
            a.ne.as_slice(),
            a.shape(),
            a.n_elements(),
            a.n_bytes
        ),
        (GgmlType::F32, &[4, 3, 2][..], vec![2, 3, 4], 24, 96)
    );
    assert_eq!(f.read_bytes(a).unwrap(), f32_data(&f32s));
    assert_eq!(bits(&f.dequantize("a.f32").unwrap()), bits(&f32s));
    assert_eq!(bits(&f.dequantize("b.f16").unwrap()), bits(&f16s));
    assert_eq!(bits(&f.dequantize("c.bf16").unwrap()), bits(&bf16s));
    for t in f.tensors() {
        assert_eq!(t.offset % 32, 0, "{}", t.name);
        assert_eq!(f.read_bytes(t).unwrap().len() as u64, t.n_bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Block formats.

#[test]
fn q8_0_and_q4_0_hand_computed_blocks() {
    // Q8_0: d = 0.5, q = i - 16.
    let mut q8 = f16_bytes(0.5).to_vec();
    q8.extend((0..32).map(|i| (i as i8 - 16) as u8));
    let expect8: Vec<f32> = (0..32).map(|i| (i as f32 - 16.0) * 0.5).collect();
    // Q4_0: d = 2; byte j holds value j in its low nibble and value j+16 in its high nibble, offset by 8.
    let mut q4 = f16_bytes(2.0).to_vec();
    q4.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
    let expect4: Vec<f32> = (0..16)
        .map(|j| (j as f32 - 8.0) * 2.0)
        .chain((0..16).map(|j| ((15 - j) as f32 - 8.0) * 2.0))
        .collect();
    assert_eq!(expect4[..3], [-16.0, -14.0, -12.0]);
    assert_eq!(expect4[16..19], [14.0, 12.0, 10.0]);

    let path = Gguf::new()
        .tensor(tensor("q8", &[32], GgmlType::Q8_0, q8.repeat(2)))
        .tensor(tensor("q4", &[32, 2], GgmlType::Q4_0, q4.repeat(2)))
        .write("q8_q4");
    let f = GgufFile::open(&path).unwrap();
    assert_eq!(f.tensor("q4").unwrap().n_bytes, 36);
    assert_eq!(f.dequantize("q8").unwrap(), expect8);
    assert_eq!(f.dequantize("q4").unwrap(), expect4.repeat(2));
}

/// `read_rows` returns exactly those rows' stored bytes (Q8_0 rows of 2 blocks, f32 rows), and
/// refuses rows past the end; packing a Q8_0 tensor in row chunks takes the blocks as they are.
#[test]
fn rows_of_a_tensor_are_read_alone() {
    let mut rng = Rng(11);
    let mut q8 = Vec::new();
    for _ in 0..5 * 2 {
        q8.extend(rng.scale());
        q8.extend(rng.bytes(32));
    }
    let f32s: Vec<f32> = (0..15).map(|i| i as f32 * 0.25).collect();
    let path = Gguf::new()
        .tensor(tensor("q8", &[64, 5], GgmlType::Q8_0, q8.clone()))
        .tensor(tensor("f", &[3, 5], GgmlType::F32, f32_data(&f32s)))
        .write("rows");
    let f = GgufFile::open(&path).unwrap();
    let (q, t) = (f.tensor("q8").unwrap(), f.tensor("f").unwrap());
    assert_eq!(f.read_rows(q, 1..3).unwrap(), q8[2 * 34..6 * 34]);
    assert_eq!(f.read_rows(q, 0..5).unwrap(), f.read_bytes(q).unwrap());
    assert_eq!(f.read_rows(t, 4..5).unwrap(), f32_data(&f32s[12..]));
    assert!(f.read_rows(q, 4..4).unwrap().is_empty());
    for bad in [4..6, 6..6] {
        let err = f.read_rows(q, bad.clone()).unwrap_err().to_string();
        assert!(err.contains("q8") && err.contains("rows"), "{bad:?}: {err}");
    }

    use kernels::packed::{PackedMatrix, RowChunk};
    let whole = PackedMatrix::from_gguf_q8_0(&q8, 5, 64).unwrap();
    let chunked = PackedMatrix::from_row_chunks(5, 64, whole.format(), 2, |r| {
        Ok(RowChunk::Q8_0(f.read_rows(q, r)?))
    })
    .unwrap();
    assert!(chunked == whole);
    assert_eq!(chunked.dequantize(), f.dequantize("q8").unwrap());
}

#[test]
fn q5_0_and_q4_1_hand_computed_blocks() {
    // Q5_0: d = 0.25, nibbles all 15, fifth bit set for even values: q = 31 or 15, minus 16.
    let mut q5 = f16_bytes(0.25).to_vec();
    q5.extend(0x5555_5555u32.to_le_bytes());
    q5.extend([0xFF; 16]);
    let expect5: Vec<f32> = (0..32)
        .map(|i| if i % 2 == 0 { 15.0 * 0.25 } else { -0.25 })
        .collect();
    // Q4_1: d = 1, m = -8: value = nibble - 8, like Q4_0 with d = 1.
    let mut q41 = f16_bytes(1.0).to_vec();
    q41.extend(f16_bytes(-8.0));
    q41.extend((0..16u8).map(|j| j | (j << 4)));
    let expect41: Vec<f32> = (0..32).map(|i| (i % 16) as f32 - 8.0).collect();
    assert_eq!(dequantize_bytes(GgmlType::Q5_0, &q5, 32).unwrap(), expect5);
    assert_eq!(
        dequantize_bytes(GgmlType::Q4_1, &q41, 32).unwrap(),
        expect41
    );
}

/// The 6-bit scale and min of sub-block `s` of a K-quant block, written the way gguf-py unpacks
/// them (three rows of four bytes) rather than ggml's way the reader follows.
fn k_scale_min(scales: &[u8], s: usize) -> (f32, f32) {
    let (d, m, md) = (&scales[0..4], &scales[4..8], &scales[8..12]);
    if s < 4 {
        ((d[s] & 0x3F) as f32, (m[s] & 0x3F) as f32)
    } else {
        let k = s - 4;
        (
            ((md[k] & 0x0F) | ((d[k] >> 2) & 0x30)) as f32,
            ((md[k] >> 4) | ((m[k] >> 2) & 0x30)) as f32,
        )
    }
}

fn half_at(b: &[u8], i: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[i], b[i + 1]])).to_f32()
}

/// Value `i` of one block, computed element by element from the format's description.
fn reference_value(ty: GgmlType, b: &[u8], i: usize) -> f32 {
    let nibble = |qs: &[u8], i: usize| if i < 16 { qs[i] & 0xF } else { qs[i - 16] >> 4 };
    let bit = |bytes: &[u8], k: usize| (bytes[k / 8] >> (k % 8)) & 1;
    match ty {
        GgmlType::Q4_0 => half_at(b, 0) * (nibble(&b[2..], i) as f32 - 8.0),
        GgmlType::Q4_1 => nibble(&b[4..], i) as f32 * half_at(b, 0) + half_at(b, 2),
        GgmlType::Q5_0 => {
            half_at(b, 0) * ((nibble(&b[6..], i) | (bit(&b[2..6], i) << 4)) as f32 - 16.0)
        }
        GgmlType::Q5_1 => {
            (nibble(&b[8..], i) | (bit(&b[4..8], i) << 4)) as f32 * half_at(b, 0) + half_at(b, 2)
        }
        GgmlType::Q8_0 => half_at(b, 0) * (b[2 + i] as i8) as f32,
        GgmlType::Q4_K | GgmlType::Q5_K => {
            let (s, l) = (i / 32, i % 32);
            let (sc, m) = k_scale_min(&b[4..16], s);
            let qs = if ty == GgmlType::Q4_K {
                &b[16..144]
            } else {
                &b[48..176]
            };
            let byte = qs[32 * (s / 2) + l];
            let mut q = if s % 2 == 0 { byte & 0xF } else { byte >> 4 };
            if ty == GgmlType::Q5_K {
                q |= ((b[16 + l] >> s) & 1) << 4;
            }
            half_at(b, 0) * sc * q as f32 - half_at(b, 2) * m
        }
        GgmlType::Q6_K => {
            let (h, g, l) = (i / 128, i % 128 / 32, i % 32);
            let byte = b[64 * h + 32 * (g % 2) + l];
            let low = if g < 2 { byte & 0xF } else { byte >> 4 };
            let high = (b[128 + 32 * h + l] >> (2 * g)) & 3;
            let scale = (b[192 + i / 16] as i8) as f32;
            half_at(b, 208) * scale * ((low | (high << 4)) as f32 - 32.0)
        }
        _ => unreachable!("no reference for {ty}"),
    }
}

#[test]
fn block_formats_match_reference_formulas() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let quantized = GgmlType::DEQUANTIZABLE
        .into_iter()
        .filter(|t| t.block_size() > Some(1));
    for ty in quantized {
        let (block, size) = (ty.block_size().unwrap(), ty.type_size().unwrap());
        let n_blocks = 64;
        let mut bytes = Vec::new();
        for _ in 0..n_blocks {
            let mut b = rng.bytes(size);
            // Scales are f16: make them finite and modest (Q6_K keeps its d at the end).
            let scale_at: &[usize] = match ty {
                GgmlType::Q6_K => &[208],
                GgmlType::Q4_0 | GgmlType::Q5_0 | GgmlType::Q8_0 => &[0],
                _ => &[0, 2],
            };
            for &at in scale_at {
                b[at..at + 2].copy_from_slice(&rng.scale());
            }
            bytes.extend(b);
        }
        let got = dequantize_bytes(ty, &bytes, n_blocks * block).unwrap();
        let want: Vec<f32> = bytes
            .chunks(size)
            .flat_map(|b| {
                (0..block)
                    .map(|i| reference_value(ty, b, i))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(bits(&got), bits(&want), "{ty}");
        assert!(got.iter().any(|&v| v != 0.0), "{ty}");
    }
}

#[test]
fn dequantize_bytes_rejects_bad_input() {
    let err = dequantize_bytes(GgmlType::Q8_0, &[0; 34], 33)
        .unwrap_err()
        .to_string();
    assert!(err.contains("multiple") && err.contains("Q8_0"), "{err}");
    let err = dequantize_bytes(GgmlType::Q8_0, &[0; 33], 32)
        .unwrap_err()
        .to_string();
    assert!(err.contains("34") && err.contains("33"), "{err}");
    let err = dequantize_bytes(GgmlType::Other(10), &[0; 84], 256)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Q2_K") && err.contains("10") && err.contains("unsupported"),
        "{err}"
    );
    let err = dequantize_bytes(GgmlType::Other(77), &[], 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("77"), "{err}");
}

#[test]
fn ggml_type_ids_names_and_sizes() {
    for (id, name, block, size) in [
        (0, "F32", 1, 4),
        (1, "F16", 1, 2),
        (30, "BF16", 1, 2),
        (8, "Q8_0", 32, 34),
        (12, "Q4_K", 256, 144),
        (14, "Q6_K", 256, 210),
    ] {
        let ty = GgmlType::from_id(id);
        assert!(!matches!(ty, GgmlType::Other(_)));
        assert_eq!(
            (ty.id(), ty.name(), ty.block_size(), ty.type_size()),
            (id, name, Some(block), Some(size))
        );
    }
    assert_eq!(GgmlType::from_id(10), GgmlType::Other(10));
    assert_eq!(
        (GgmlType::Other(10).name(), GgmlType::Other(10).type_size()),
        ("Q2_K", Some(84))
    );
    assert_eq!(
        (GgmlType::Other(99).name(), GgmlType::Other(99).block_size()),
        ("unknown", None)
    );
    assert_eq!(
        (GgmlType::Q5_K.to_string(), GgmlType::Other(99).to_string()),
        ("Q5_K".into(), "unknown".into())
    );
}

// ---------------------------------------------------------------------------------------------
// Bad files: every one must give an error naming the file and the problem.

fn small_valid_file() -> Gguf {
    Gguf::new()
        .kv(
            "tokens",
            MetaValue::Array(vec![
                MetaValue::Str("a".into()),
                MetaValue::Str("bc".into()),
            ]),
        )
        .kv("scores", MetaValue::Array(vec![MetaValue::F32(0.5); 3]))
        .tensor(tensor("w", &[32, 2], GgmlType::Q8_0, vec![0; 68]))
        .tensor(tensor("n", &[4], GgmlType::F32, f32_data(&[1.0; 4])))
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = small_valid_file().bytes();
    GgufFile::open(write_file("truncated_full", &bytes)).expect("the untruncated file opens");
    for cut in 0..bytes.len() {
        let path = write_file("truncated", &bytes[..cut]);
        let msg = assert_open_fails(&path, &["truncated"]);
        if cut < 24 {
            assert!(msg.contains("header"), "cut {cut}: {msg}");
        }
    }
}

#[test]
fn wrong_magic_is_an_error() {
    let bytes = patch(small_valid_file().bytes(), b"GGUF", b"GGML");
    assert_open_fails(&write_file("wrong_magic", &bytes), &["magic", "GGUF"]);
}

#[test]
fn unsupported_versions_are_errors() {
    for (name, version) in [("v1", 1u32), ("v4", 4), ("big_endian", 3u32.swap_bytes())] {
        let mut g = small_valid_file();
        g.version = version;
        let msg = assert_open_fails(
            &g.write(&format!("version_{name}")),
            &["unsupported", "version"],
        );
        assert_eq!(msg.contains("big-endian"), name == "big_endian", "{msg}");
    }
}

#[test]
fn unknown_tensor_types_are_errors() {
    // An id ggml does not define: its size is unknown, so the file cannot be laid out.
    let mut t = tensor("blk.0.mystery", &[32], GgmlType::F32, vec![0; 128]);
    t.type_id = 99;
    assert_open_fails(
        &Gguf::new().tensor(t).write("unknown_type"),
        &["blk.0.mystery", "unknown", "99"],
    );

    // A type ggml defines but this reader does not decode: the file opens, dequantize fails.
    let path = Gguf::new()
        .tensor(tensor(
            "blk.0.q2k",
            &[256],
            GgmlType::Other(10),
            vec![0; 84],
        ))
        .write("unsupported_type");
    let f = GgufFile::open(&path).unwrap();
    let t = f.tensor("blk.0.q2k").unwrap();
    assert_eq!(
        (t.ggml_type, t.n_bytes, f.read_bytes(t).unwrap().len()),
        (GgmlType::Other(10), 84, 84)
    );
    let msg = f.dequantize("blk.0.q2k").unwrap_err().to_string();
    assert_mentions(&msg, &path, &["blk.0.q2k", "Q2_K", "10", "unsupported"]);
}

#[test]
fn tensor_data_past_the_end_is_an_error() {
    let mut g = small_valid_file();
    g.tensors[1].offset = Some(1 << 20);
    assert_open_fails(&g.write("data_past_end"), &["'n'", "past the end"]);
    let mut g = small_valid_file();
    g.tensors[1].offset = Some(u64::MAX - 31);
    assert_open_fails(&g.write("data_offset_overflow"), &["'n'", "past the end"]);
}

#[test]
fn rows_must_be_whole_blocks() {
    let path = Gguf::new()
        .tensor(tensor("odd", &[33], GgmlType::Q8_0, vec![0; 34]))
        .write("not_block_multiple");
    assert_open_fails(&path, &["'odd'", "multiple", "block size 32"]);
}

#[test]
fn absurd_lengths_and_counts_are_errors() {
    let huge = (1u64 << 62).to_le_bytes();
    let bytes = small_valid_file().bytes();
    // The metadata entry count (header bytes 16..24).
    let cases = [
        (
            "absurd_n_kv",
            cat(&[&bytes[..16], &huge, &bytes[24..]]),
            "metadata entries",
        ),
        // A string length, an array of strings, an array of f32.
        (
            "absurd_string",
            patch(
                bytes.clone(),
                &cat(&[&2u64.to_le_bytes(), b"bc"]),
                &cat(&[&huge, b"bc"]),
            ),
            "'tokens'",
        ),
        (
            "absurd_str_array",
            patch(
                bytes.clone(),
                &cat(&[&8u32.to_le_bytes(), &2u64.to_le_bytes()]),
                &cat(&[&8u32.to_le_bytes(), &huge]),
            ),
            "'tokens'",
        ),
        (
            "absurd_f32_array",
            patch(
                bytes.clone(),
                &cat(&[&6u32.to_le_bytes(), &3u64.to_le_bytes()]),
                &cat(&[&6u32.to_le_bytes(), &huge]),
            ),
            "'scores'",
        ),
    ];
    for (name, bad, context) in cases {
        assert_open_fails(&write_file(name, &bad), &["truncated or corrupt", context]);
    }
    // A tensor count over the cap fails before the metadata is read.
    let n_tensors = cat(&[&bytes[..8], &huge, &bytes[16..]]);
    assert_open_fails(
        &write_file("absurd_n_tensors", &n_tensors),
        &["tensor count 4611686018427387904", "exceeds the limit"],
    );
    let mut g = small_valid_file();
    g.tensors[0].ne = vec![32, 1 << 62, 1 << 62];
    assert_open_fails(&g.write("absurd_dims"), &["'w'", "overflows"]);
}

#[test]
fn malformed_structures_are_errors() {
    let cases = [
        (
            "duplicate_key",
            small_valid_file().kv("scores", MetaValue::U8(1)).bytes(),
            vec!["duplicate", "scores"],
        ),
        (
            "duplicate_tensor",
            small_valid_file()
                .tensor(tensor("n", &[1], GgmlType::F32, vec![0; 4]))
                .bytes(),
            vec!["duplicate", "'n'"],
        ),
        (
            "bad_alignment",
            small_valid_file()
                .kv("general.alignment", MetaValue::U32(48))
                .bytes(),
            vec!["general.alignment", "power of two"],
        ),
        (
            "too_many_dims",
            Gguf::new()
                .tensor(tensor("five", &[1, 1, 1, 1, 1], GgmlType::F32, vec![0; 4]))
                .bytes(),
            vec!["five", "dimensions"],
        ),
        (
            "unknown_value_type",
            patch(
                small_valid_file().bytes(),
                &cat(&[b"scores", &9u32.to_le_bytes()]),
                &cat(&[b"scores", &99u32.to_le_bytes()]),
            ),
            vec!["scores", "unknown", "type 99"],
        ),
        (
            "unknown_element_type",
            patch(
                small_valid_file().bytes(),
                &cat(&[&9u32.to_le_bytes(), &6u32.to_le_bytes()]),
                &cat(&[&9u32.to_le_bytes(), &99u32.to_le_bytes()]),
            ),
            vec!["scores", "unknown", "type 99"],
        ),
        (
            "invalid_utf8",
            patch(small_valid_file().bytes(), b"bc", &[b'b', 0xFF]),
            vec!["tokens", "UTF-8"],
        ),
    ];
    for (name, bytes, keywords) in cases {
        assert_open_fails(&write_file(name, &bytes), &keywords);
    }
    let mut g = small_valid_file();
    g.tensors[1].offset = Some(100);
    assert_open_fails(&g.write("misaligned_offset"), &["'n'", "alignment"]);

    let mut deep = MetaValue::U8(0);
    for _ in 0..20 {
        deep = MetaValue::Array(vec![deep]);
    }
    assert_open_fails(
        &small_valid_file().kv("deep", deep).write("deep_arrays"),
        &["deep", "nested"],
    );
}

#[test]
fn missing_file_and_missing_tensor_are_errors() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gguf-tests/does-not-exist.gguf");
    assert_open_fails(&path, &["cannot read"]);
    let path = small_valid_file().write("missing_tensor");
    let msg = GgufFile::open(&path)
        .unwrap()
        .dequantize("blk.9.nope")
        .unwrap_err()
        .to_string();
    assert_mentions(&msg, &path, &["no tensor named", "blk.9.nope"]);
}

// ---------------------------------------------------------------------------------------------
// The real model.

#[test]
fn real_file_metadata() {
    let Some(path) = gemma::paths::real_model_for_tests() else {
        return;
    };
    let start = Instant::now();
    let f = GgufFile::open(&path).unwrap();
    eprintln!("opened {} in {:?}", path.display(), start.elapsed());
    let u = |k: &str| {
        f.get(k)
            .and_then(MetaValue::as_u64)
            .unwrap_or_else(|| panic!("{k}"))
    };
    let arr = |k: &str| {
        f.get(k)
            .and_then(MetaValue::as_array)
            .unwrap_or_else(|| panic!("{k}"))
    };
    assert_eq!(f.version(), 3);
    assert_eq!(
        f.get("general.architecture").and_then(MetaValue::as_str),
        Some("gemma3")
    );
    assert_eq!(u("gemma3.block_count"), 18);
    assert_eq!(u("gemma3.embedding_length"), 640);
    assert_eq!(u("gemma3.feed_forward_length"), 2048);
    assert_eq!(u("gemma3.attention.head_count"), 4);
    assert_eq!(u("gemma3.attention.head_count_kv"), 1);
    assert_eq!(u("gemma3.attention.key_length"), 256);
    assert_eq!(u("gemma3.attention.sliding_window"), 512);
    assert_eq!(u("gemma3.context_length"), 32768);
    assert_eq!(
        f.get("gemma3.rope.freq_base").and_then(MetaValue::as_f64),
        Some(1e6)
    );
    assert_eq!(
        f.get("gemma3.attention.layer_norm_rms_epsilon"),
        Some(&MetaValue::F32(1e-6))
    );
    assert_eq!(
        (
            u("tokenizer.ggml.bos_token_id"),
            u("tokenizer.ggml.eos_token_id")
        ),
        (2, 1)
    );
    let tokens = arr("tokenizer.ggml.tokens");
    assert_eq!(tokens.len(), 262144);
    assert_eq!(
        tokens[..3]
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect::<Vec<_>>(),
        ["<pad>", "<eos>", "<bos>"]
    );
    assert_eq!(tokens[105].as_str(), Some("<start_of_turn>"));
    assert_eq!(arr("tokenizer.ggml.scores").len(), 262144);
    assert!(matches!(arr("tokenizer.ggml.scores")[0], MetaValue::F32(_)));
    assert_eq!(arr("tokenizer.ggml.token_type").len(), 262144);
    assert!(matches!(
        arr("tokenizer.ggml.token_type")[0],
        MetaValue::I32(_)
    ));
    assert_eq!(f.tensors().len(), 236);
    assert_eq!(f.data_start() % 32, 0);
}

/// Sums in f64 of x, |x| and x², as the reference computes them.
fn sums(v: &[f32]) -> [f64; 3] {
    v.iter().fold([0.0; 3], |[s, a, q], &x| {
        let x = x as f64;
        [s + x, a + x.abs(), q + x * x]
    })
}

#[test]
fn real_file_matches_dequant_reference() {
    let Some(path) = gemma::paths::real_model_for_tests() else {
        return;
    };
    let reference_path =
        gemma::paths::data_dir().join("fixtures/gemma3-270m/dequant_reference.json");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(&reference_path).unwrap()).unwrap();
    let expected = reference["tensors"].as_array().unwrap();
    let start = Instant::now();
    let f = GgufFile::open(&path).unwrap();
    assert_eq!(f.tensors().len(), expected.len());
    let u64s = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let f32s = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect::<Vec<_>>()
    };
    for (t, want) in f.tensors().iter().zip(expected) {
        let name = want["name"].as_str().unwrap();
        assert_eq!(t.name, name, "tensors are in file order");
        assert_eq!(
            t.ggml_type.name(),
            want["ggml_type"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            t.ggml_type.id() as u64,
            want["ggml_type_id"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(t.ne, u64s(&want["ne"]), "{name}");
        assert_eq!(
            t.shape().iter().map(|&d| d as u64).collect::<Vec<_>>(),
            u64s(&want["shape"]),
            "{name}"
        );
        assert_eq!(
            t.n_elements() as u64,
            want["n_elements"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            t.offset,
            want["data_offset_in_file"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(t.n_bytes, want["n_bytes"].as_u64().unwrap(), "{name}");
        let sha: String = Sha256::digest(f.read_bytes(t).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sha, want["raw_sha256"].as_str().unwrap(), "{name}");

        let values = f.dequantize(name).unwrap();
        assert_eq!(values.len(), t.n_elements());
        assert_eq!(
            bits(&values[..64]),
            bits(&f32s(&want["first64"])),
            "{name} first64"
        );
        assert_eq!(
            bits(&values[values.len() - 64..]),
            bits(&f32s(&want["last64"])),
            "{name} last64"
        );
        let [sum, sum_abs, sum_sq] = sums(&values);
        let close = |got: f64, key: &str, scale: f64| {
            let want = want[key].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * scale,
                "{name} {key}: {got} vs {want}"
            );
        };
        // The signed sum can cancel, so its tolerance is relative to the sum of magnitudes.
        close(sum, "sum", sum_abs);
        close(sum_abs, "sum_abs", sum_abs);
        close(sum_sq, "sum_sq", sum_sq);
    }
    eprintln!(
        "checked {} tensors against {} in {:?}",
        expected.len(),
        reference_path.display(),
        start.elapsed()
    );
}
