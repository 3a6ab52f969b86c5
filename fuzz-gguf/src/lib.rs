//! Fuzz targets of the formats crate alone (no Burn in their tree): the GGUF reader and ggml's
//! dequantizers, on arbitrary bytes. A target may reject its input with an error; it must never
//! panic, hang, or allocate above [`alloc_guard::ALLOC_CAP`]. It returns whether the reader
//! accepted the input. `src/bin/<target>.rs` wraps each for AFL++ (`--features afl`); the `fuzz`
//! crate lists them with the rest and replays their seeds and past crashes in the suite.

pub mod alloc_guard;

use gguf::{GgufFile, dequantize_bytes};

/// A GGUF file, then every tensor dequantized (the `fuzz` crate's `gguf_model` reads its config
/// and packs it).
pub fn gguf(data: &[u8]) -> bool {
    let Ok(file) = GgufFile::from_bytes("input.gguf", data.to_vec()) else {
        return false;
    };
    for t in file.tensors() {
        if let Ok(values) = file.dequantize(&t.name) {
            assert_eq!(values.len(), t.n_elements(), "tensor '{}'", t.name);
        }
    }
    true
}

/// One block type's decoder on arbitrary bytes: byte 0 picks the type id, bytes 1..5 a declared
/// value count, which is honest (whole blocks of the rest) three times in four.
pub fn dequantize(data: &[u8]) -> bool {
    let Some((head, bytes)) = data.split_first_chunk::<5>() else {
        return false;
    };
    let ty = gguf::GgmlType::from_id(u32::from(head[0]) % 48);
    let declared = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let n = match (ty.block_size(), ty.type_size()) {
        (Some(block), Some(size)) if head[1] % 4 != 0 => bytes.len() / size * block,
        _ => declared,
    };
    let Ok(values) = dequantize_bytes(ty, bytes, n) else {
        return false;
    };
    assert_eq!(values.len(), n);
    true
}

/// The `main` of an AFL++ binary for `target` (a `fn(&[u8]) -> bool`), under
/// [`alloc_guard::AllocGuard`], after `warm_up` (what the target loads once, before forking).
#[cfg(feature = "afl")]
#[macro_export]
macro_rules! afl_main {
    ($target:path $(, $warm_up:expr)?) => {
        #[global_allocator]
        static ALLOC: $crate::alloc_guard::AllocGuard = $crate::alloc_guard::AllocGuard;

        fn main() {
            $($warm_up;)?
            ::afl::fuzz!(|data: &[u8]| {
                $target(data);
            });
        }
    };
}
