//! The 58 IFBench instruction checkers of the reference's `INSTRUCTION_DICT`
//! (57 of them in the test set), grouped by family as in the instruction ids
//! (`family:name`). Each follows the reference's `build_description` (kwargs)
//! and `check_following` (verdict). Where `check_following` raises for some
//! response, the checker says "not followed" and its doc comment names the
//! case.

pub mod count;
pub mod custom;
pub mod format;
pub mod ratio;
pub mod repeat;
pub mod sentence;
pub mod words;

use std::sync::Arc;

use super::text::nltk::Nltk;
use super::text::random::PyRandom;
use crate::ifeval::kwargs::{Kwargs, KwargsError};

pub use crate::ifeval::checkers::{Checker, FromKwargs};

/// What a few checkers need besides their kwargs.
pub struct Context<'a> {
    pub nltk: &'a Arc<Nltk>,
    /// The prompt's random draws, taken in instruction order.
    pub random: &'a mut PyRandom,
}

/// Construction from kwargs and the [`Context`].
pub trait FromContext: Sized {
    /// The kwarg names `build_description` accepts.
    const KWARGS: &'static [&'static str];

    fn from_context(kwargs: &Kwargs<'_>, context: &mut Context<'_>) -> Result<Self, KwargsError>;
}

/// A number kwarg that the reference draws at random when it is `None` or
/// negative. It compares it as it is, so `13.0` (the test set's usual form)
/// and `13` are the same.
fn non_negative(kwargs: &Kwargs<'_>, name: &'static str) -> Result<f64, KwargsError> {
    let n = kwargs.number(name)?;
    if n < 0.0 {
        return Err(KwargsError::Invalid {
            name,
            reason: format!("{n} is negative (the reference would draw a random value)"),
        });
    }
    Ok(n)
}

/// A string kwarg that the reference replaces (or rejects) when it is empty.
fn non_empty(kwargs: &Kwargs<'_>, name: &'static str) -> Result<String, KwargsError> {
    kwargs.non_empty_string(name).map(str::to_owned)
}

/// A kwarg without which the reference fails (raises, or crashes when
/// checking) instead of drawing a value: says so when it is missing.
fn required<T>(kwarg: Result<T, KwargsError>) -> Result<T, KwargsError> {
    kwarg.map_err(|e| match e {
        KwargsError::Missing(name) => KwargsError::Invalid {
            name,
            reason: "is missing or null (the reference fails without it)".into(),
        },
        e => e,
    })
}
