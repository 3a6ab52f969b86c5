//! Text processing with the semantics of what the IFBench reference calls,
//! beyond the IFEval port it shares ([`crate::ifeval::text`]: Python `str`
//! and `re`, Punkt, `word_tokenize`, the `\w+` word count).

pub mod csv;
pub mod nltk;
pub mod random;
pub mod sentences;
pub mod strings;
pub mod syllables;
mod tables;
