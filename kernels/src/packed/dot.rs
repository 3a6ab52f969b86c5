//! Dot products of packed weight rows with quantized activation rows, and the choice of kernel.
//!
//! Every kernel computes each block's Σ w·x exactly, as an i32 (`dot_b`). They differ only in
//! how the f32 sum over blocks is rounded:
//! - `Scalar` (the reference) and `Avx2`: `dot_b · (w_scale_b · x_scale_b)` (`reference::term`) is added
//!   to lane `b mod LANES` of `reference::LANES` f32 sums, added up in a fixed order.
//!   The AVX2 kernel evaluates exactly these operations, so the two are bit-identical.
//! - `Avx512`: Int8 as the reference, bit for bit: from [`token_lanes::MIN_ROWS`] activation
//!   rows on as a GEMM with one token per lane (`token_lanes`), below that on AVX2. Int4: the
//!   integer sums of each group of four values (exact i32) are scaled by their block's `w_scale
//!   · x_scale` and fused-multiply-added into 16 f32 lanes (lane = group mod 16), then added up
//!   by a fixed tree. Same integers, other rounding: outputs differ from the reference by f32
//!   rounding only (a few ulp of Σ |term|), and are equal whenever every product and partial
//!   sum is exact (power-of-two scales; tested).
//!
//! Every kernel computes an output the same way whatever the batch, so a row gives the same bits
//! alone as in a batch (tested).

use anyhow::{Result, bail};
use half::f16;
use rayon::prelude::*;
use std::sync::OnceLock;

use super::act_row::ActRow;
use super::format::{GROUP, PackedFormat, Shipped};
use super::quantize::{self, ActFormat, Activations, TokenLanes};
#[cfg(target_arch = "x86_64")]
use super::{avx2::Avx2, avx512::Avx512, token_lanes};
use super::{reference, shipped};

/// Activation values per quantization task: a decode step's rows stay one task.
const QUANTIZE_VALUES: usize = 16 * 1024;

/// The environment variable that forces a kernel: `scalar`, `avx2`, `avx512` or `auto`.
pub const KERNEL_ENV: &str = "GEMMA_KERNEL";

/// A packed matmul implementation. The SIMD variants hold proof that the CPU runs them.
#[derive(Clone, Copy, Debug)]
pub enum Kernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
}

impl Kernel {
    /// Every kernel this CPU runs, the reference first and the fastest last.
    pub fn available() -> Vec<Self> {
        let mut all = vec![Self::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            all.extend(Avx2::detect().map(Self::Avx2));
            all.extend(Avx512::detect().map(Self::Avx512));
        }
        all
    }

    /// The kernel named `name` (`auto`: the fastest), or an error if this CPU lacks it.
    pub fn by_name(name: &str) -> Result<Self> {
        let all = Self::available();
        if name == "auto" {
            return Ok(*all.last().expect("the scalar kernel always exists"));
        }
        const NAMES: [&str; 3] = ["scalar", "avx2", "avx512"];
        if !NAMES.contains(&name) {
            bail!(
                "{KERNEL_ENV}={name:?}: expected one of auto, {}",
                NAMES.join(", ")
            );
        }
        match all.into_iter().find(|k| k.name() == name) {
            Some(k) => Ok(k),
            None => bail!(
                "{KERNEL_ENV}={name}: this CPU lacks the features it needs ({})",
                match name {
                    "avx2" => "avx2, f16c",
                    _ => "avx512f, avx512bw, avx512vnni, avx2, f16c",
                }
            ),
        }
    }

    /// The kernel every packed matmul uses: [`KERNEL_ENV`] if set, else the fastest this CPU
    /// runs. Read once per process.
    pub fn selected() -> Result<Self> {
        static SELECTED: OnceLock<Result<Kernel, String>> = OnceLock::new();
        SELECTED
            .get_or_init(|| {
                let name = std::env::var(KERNEL_ENV).unwrap_or_else(|_| "auto".into());
                Self::by_name(name.trim()).map_err(|e| e.to_string())
            })
            .clone()
            .map_err(anyhow::Error::msg)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Scalar => "scalar",
            #[cfg(target_arch = "x86_64")]
            Self::Avx2(_) => "avx2",
            #[cfg(target_arch = "x86_64")]
            Self::Avx512(_) => "avx512",
        }
    }

    /// Quantizes activation rows `[n, cols]` per block (the same values on every kernel and
    /// thread count: each block is its own), in groups of rows on rayon's pool.
    /// With `lanes`, also interleaved for the AVX-512 GEMM ([`Kernel::wants_lanes`]).
    pub(super) fn quantize(
        self,
        x: &[f32],
        cols: usize,
        format: ActFormat,
        lanes: bool,
    ) -> Activations {
        let mut out = Activations::zeroed(x.len(), cols, format);
        let rows = (QUANTIZE_VALUES / cols).max(1);
        out.row_groups(x, rows)
            .for_each(|(x, q, scales, sums)| match self {
                Kernel::Scalar => quantize::quantize_blocks(x, format, q, scales, sums),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx2(t) => t.quantize_blocks(x, format, q, scales, sums),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx512(t) => t.quantize_blocks(x, format, q, scales, sums),
            });
        #[cfg(target_arch = "x86_64")]
        if lanes {
            out.interleave();
        }
        out
    }

    /// Whether this kernel's `tile` runs n activation rows against `format` as the AVX-512
    /// GEMM, which takes them interleaved (`token_lanes`).
    pub(super) fn wants_lanes(self, format: PackedFormat, n: usize) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Kernel::Avx512(_) = self {
            return n >= token_lanes::MIN_ROWS
                && matches!(
                    format,
                    PackedFormat::Int8 { .. }
                        | PackedFormat::Shipped(Shipped::Q8_0 | Shipped::Q5_0)
                );
        }
        let _ = (format, n);
        false
    }

    /// `outs[i][r]` = Σ w_r·x_i for the weight rows of a tile (`w`: their quantized bytes,
    /// `w_scales`: their block scales) and every activation row `x[i]`, also interleaved in
    /// `lanes` where [`Kernel::wants_lanes`] asked for it.
    pub(super) fn tile(
        self,
        format: PackedFormat,
        w: &[u8],
        w_scales: &[f16],
        x: &[ActRow],
        lanes: Option<&TokenLanes>,
        outs: &mut [&mut [f32]],
    ) {
        if let PackedFormat::Shipped(s) = format {
            return shipped_tile(self, s, w, w_scales, x, lanes, outs);
        }
        // Monomorphize per runs of 32 per block so the per-block loops have constant trip counts.
        fn run<const R: usize>(
            kernel: Kernel,
            format: PackedFormat,
            w: &[u8],
            w_scales: &[f16],
            x: &[ActRow],
            lanes: Option<&TokenLanes>,
            outs: &mut [&mut [f32]],
        ) {
            match kernel {
                Kernel::Scalar => {
                    reference::for_each_dot(format, w, w_scales, x, outs, |w, ws, x| {
                        reference::scalar::<R>(format, w, ws, x)
                    })
                }
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx2(t) => t.tile::<R>(format, w, w_scales, x, outs),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx512(t) => t.tile::<R>(format, w, w_scales, x, lanes, outs),
            }
        }
        match format.block() / GROUP {
            1 => run::<1>(self, format, w, w_scales, x, lanes, outs),
            2 => run::<2>(self, format, w, w_scales, x, lanes, outs),
            _ => run::<4>(self, format, w, w_scales, x, lanes, outs),
        }
    }
}

impl Kernel {
    /// [`shipped::k_tile`] on this kernel's integer block sums.
    pub(super) fn k_tile(self, s: Shipped, w: &[u8], x: &[ActRow], outs: &mut [&mut [f32]]) {
        match self {
            Kernel::Scalar => shipped::k_tile(s, w, x, outs, shipped::Scalar),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(t) => t.k_tile(s, w, x, outs),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512(t) => t.k_tile(s, w, x, outs),
        }
    }
}

/// `outs[i][r]` = Σ w_r·x_i for a tile of weight rows in `shipped` blocks (`w_scales`: the
/// separate scales of Q8_0, Q5_0 and Q4_0, empty otherwise).
fn shipped_tile(
    kernel: Kernel,
    shipped: Shipped,
    w: &[u8],
    w_scales: &[f16],
    x: &[ActRow],
    lanes: Option<&TokenLanes>,
    outs: &mut [&mut [f32]],
) {
    match shipped {
        Shipped::Q8_0 | Shipped::Q5_0 => kernel.tile(
            PackedFormat::Int8 { block: GROUP },
            w,
            w_scales,
            x,
            lanes,
            outs,
        ),
        Shipped::Q4_0 => kernel.tile(
            PackedFormat::Int4 { block: GROUP },
            w,
            w_scales,
            x,
            lanes,
            outs,
        ),
        Shipped::Q4_K | Shipped::Q6_K => kernel.k_tile(shipped, w, x, outs),
    }
}
