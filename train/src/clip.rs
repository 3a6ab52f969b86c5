//! Gradient clipping by the global norm (PyTorch's `clip_grad_norm_`). Burn's
//! `GradientClipping::Norm` clips each parameter tensor on its own, which turns the update
//! away from the gradient's direction; the global norm keeps the direction and only shortens it.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::DType;

/// The global L2 norm of `grads` over `module`'s parameters.
pub fn global_norm<M: Module>(module: &M, grads: &GradientsParams) -> anyhow::Result<f64> {
    struct SumSquares<'a> {
        grads: &'a GradientsParams,
        sum: Option<Tensor<1>>,
    }
    impl ModuleVisitor for SumSquares<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let sq = g.cast(DType::F32).square().sum();
                self.sum = Some(match self.sum.take() {
                    Some(acc) => acc + sq,
                    None => sq,
                });
            }
        }
    }
    let mut visitor = SumSquares { grads, sum: None };
    module.visit(&mut visitor);
    Ok(match visitor.sum {
        Some(sum) => (model::host::to_vec(sum)?[0] as f64).sqrt(),
        None => 0.0,
    })
}

/// Scales `grads` so their global norm is at most `max_norm`; returns them and the norm before.
pub fn clip_global_norm<M: Module>(
    module: &M,
    mut grads: GradientsParams,
    max_norm: f64,
) -> anyhow::Result<(GradientsParams, f64)> {
    struct Scale<'a> {
        grads: &'a mut GradientsParams,
        factor: f64,
    }
    impl ModuleVisitor for Scale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.remove::<D>(param.id) {
                self.grads.register(param.id, g.mul_scalar(self.factor));
            }
        }
    }
    let norm = global_norm(module, &grads)?;
    if norm > max_norm {
        // The small epsilon is PyTorch's, so a norm exactly at the bound is left alone.
        module.visit(&mut Scale {
            grads: &mut grads,
            factor: max_norm / (norm + 1e-6),
        });
    }
    Ok((grads, norm))
}
