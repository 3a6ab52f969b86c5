//! Where Burn meets the `kernels` crate: the one place that hands a tensor's storage to the CPU
//! kernels, reading flex's storage in place through Burn's extension API where it can, and
//! returns `None` (Burn's ops run instead) where it cannot. The kernels themselves know nothing
//! of Burn.

pub mod decode_attention;
pub mod packed_matmul;
pub mod threaded_matmul;
