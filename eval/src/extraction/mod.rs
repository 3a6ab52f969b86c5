//! The demo task (contact extraction to JSON): generator, scorer, evaluation.

pub mod command;
pub mod evaluate;
pub mod generate;
pub mod score;
mod words;
