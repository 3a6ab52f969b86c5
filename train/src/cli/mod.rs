//! The subcommands of the `train` binary.

pub mod bench;
pub mod export;
pub mod finetune;
pub mod gen_data;
