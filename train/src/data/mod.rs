//! From JSONL files to padded batches: records, tokenized examples, splits, batches.

pub mod batch;
pub mod encode;
pub mod order;
pub mod split;

pub use batch::Batch;
pub use encode::Example;
pub use eval::records::Record;
