//! The CPU kernels, over plain slices and without Burn: the packed weight formats and their
//! quantizers, the kernel dispatch (scalar, AVX2, AVX-512 VNNI, chosen at run time), the packed
//! GEMM and GEMV, the threaded f32 matmul and the fused decode-attention core. Each documents its
//! float order, which every kernel path follows bit for bit.

pub mod attention;
pub mod matmul;
pub mod packed;
pub mod threads;
