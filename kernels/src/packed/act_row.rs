//! One row of quantized activations, as every kernel reads it.

/// One row of quantized activations (`quantize::Activations`): levels, one scale per block and
/// one sum per run of levels.
#[derive(Clone, Copy)]
pub(super) struct ActRow<'a> {
    pub q: &'a [i8],
    pub scales: &'a [f32],
    pub sums: &'a [i32],
}
