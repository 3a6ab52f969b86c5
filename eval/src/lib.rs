//! Evaluation tools for the Gemma 3 research framework. For now: the IFEval
//! scorer ([`ifeval`]), agreeing verdict for verdict with Google's reference.

pub mod data_dir;
pub mod ifeval;
