//! The 25 IFEval instruction checkers, grouped by family as in the
//! instruction ids (`family:name`). Each follows the reference's
//! `build_description` (kwargs) and `check_following` (verdict) exactly; the
//! Python-specific text semantics live in [`crate::ifeval::text`].

pub mod change_case;
pub mod combination;
pub mod detectable_content;
pub mod detectable_format;
pub mod keywords;
pub mod language;
pub mod length_constraints;
pub mod punctuation;
pub mod startend;

use super::kwargs::{Kwargs, KwargsError};
use super::text::pyre::PatternError;

/// One instruction with its kwargs applied.
pub trait Checker: Send + Sync {
    /// `check_following(response)`. Empty responses are handled by the
    /// caller, as in `evaluation_lib`.
    fn check(&self, response: &str) -> bool;
}

/// Construction from kwargs, as `build_description(**kwargs)`.
pub trait FromKwargs: Sized {
    /// The kwarg names `build_description` accepts.
    const KWARGS: &'static [&'static str];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError>;
}

/// A kwarg that becomes (part of) a regular expression which does not compile.
fn bad_pattern(name: &'static str, err: PatternError) -> KwargsError {
    KwargsError::Invalid {
        name,
        reason: err.to_string(),
    }
}

/// Checkers without kwargs.
macro_rules! no_kwargs {
    ($($checker:ident),* $(,)?) => {$(
        impl $crate::ifeval::checkers::FromKwargs for $checker {
            const KWARGS: &'static [&'static str] = &[];

            fn from_kwargs(
                _: &$crate::ifeval::kwargs::Kwargs<'_>,
            ) -> Result<Self, $crate::ifeval::kwargs::KwargsError> {
                Ok($checker)
            }
        }
    )*};
}
pub(crate) use no_kwargs;
