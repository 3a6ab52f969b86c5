//! Weight matrices kept packed as int8 or int4 blocks, multiplied on the CPU with integer dot
//! products the way llama.cpp does: each activation row is quantized per block to int8, every
//! block's Σ w·x is an exact i32, then scaled by `w_scale · x_scale` into f32. Decode is bound by
//! memory bandwidth, so reading 8.5 (Int8) or 4.5 (Int4) bits per weight instead of 32 is the
//! speed-up; the integer arithmetic keeps up with it.
//!
//! A GGUF's own ggml blocks (Q8_0, Q5_0, Q4_0, Q4_K, Q6_K) can also be kept as shipped and
//! multiplied on their own integers against activations quantized the way ggml does
//! ([`Shipped`]); Q8_0 and Q4_0 can be made from f32 values by ggml's own rules, as
//! `llama-quantize` makes them.
//!
//! Files, from the top down (each imports only those below it): `matmul` (threads and tiling)
//! and `matrix` (the packed type); `dot` (the choice of kernel and its dispatch); the x86 SIMD
//! kernels `avx512`, `avx2` and `token_lanes`; then the shared math: `shipped` (ggml's block
//! types), `reference` (the scalar kernel and its float order), `quantize` (weights and
//! activations), `act_row` and `format` (formats, scales, nibble order).

mod act_row;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod dot;
mod format;
mod matmul;
mod matrix;
mod quantize;
mod reference;
mod shipped;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod token_lanes;

pub use dot::{KERNEL_ENV, Kernel};
pub use format::{PackedFormat, Shipped};
pub use matrix::{PackedMatrix, RowChunk};
