//! `language:response_language`: the whole response is detected as one language.

use super::{Checker, FromKwargs};
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::lang;

/// The reference's `LANGUAGE_CODES`; it looks the code up there (a `KeyError`
/// for any other code) to phrase the instruction.
const LANGUAGE_CODES: [&str; 30] = [
    "en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it", "bn", "uk", "th", "ur", "ta", "te",
    "bg", "ko", "pl", "he", "fa", "vi", "ne", "sw", "kn", "mr", "gu", "pa", "ml", "fi",
];

pub struct ResponseLanguage {
    language: String,
}

impl FromKwargs for ResponseLanguage {
    const KWARGS: &'static [&'static str] = &["language"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        let language = kwargs.string("language")?;
        if !LANGUAGE_CODES.contains(&language) {
            return Err(KwargsError::Invalid {
                name: "language",
                reason: format!("{language:?} is not one of the reference's language codes"),
            });
        }
        Ok(Self {
            language: language.to_owned(),
        })
    }
}

impl Checker for ResponseLanguage {
    /// A failed detection counts as followed.
    fn check(&self, response: &str) -> bool {
        lang::detect(response).is_none_or(|code| code == self.language)
    }
}
