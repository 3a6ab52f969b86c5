//! Instruction ids and their checkers (the reference's `INSTRUCTION_DICT`).

use serde_json::{Map, Value};

use super::checkers::{
    Checker, FromKwargs, change_case, combination, detectable_content, detectable_format, keywords,
    language, length_constraints, punctuation, startend,
};
use super::kwargs::{Kwargs, KwargsError};

type Build = fn(&Map<String, Value>) -> Result<Box<dyn Checker>, KwargsError>;

fn build<C: Checker + FromKwargs + 'static>(
    kwargs: &Map<String, Value>,
) -> Result<Box<dyn Checker>, KwargsError> {
    let kwargs = Kwargs::new(kwargs, C::KWARGS)?;
    Ok(Box::new(C::from_kwargs(&kwargs)?))
}

const REGISTRY: [(&str, Build); 25] = [
    (
        "change_case:capital_word_frequency",
        build::<change_case::CapitalWordFrequency>,
    ),
    (
        "change_case:english_capital",
        build::<change_case::EnglishCapital>,
    ),
    (
        "change_case:english_lowercase",
        build::<change_case::EnglishLowercase>,
    ),
    (
        "combination:repeat_prompt",
        build::<combination::RepeatPrompt>,
    ),
    (
        "combination:two_responses",
        build::<combination::TwoResponses>,
    ),
    (
        "detectable_content:number_placeholders",
        build::<detectable_content::NumberPlaceholders>,
    ),
    (
        "detectable_content:postscript",
        build::<detectable_content::Postscript>,
    ),
    (
        "detectable_format:constrained_response",
        build::<detectable_format::ConstrainedResponse>,
    ),
    (
        "detectable_format:json_format",
        build::<detectable_format::JsonFormat>,
    ),
    (
        "detectable_format:multiple_sections",
        build::<detectable_format::MultipleSections>,
    ),
    (
        "detectable_format:number_bullet_lists",
        build::<detectable_format::NumberBulletLists>,
    ),
    (
        "detectable_format:number_highlighted_sections",
        build::<detectable_format::NumberHighlightedSections>,
    ),
    ("detectable_format:title", build::<detectable_format::Title>),
    ("keywords:existence", build::<keywords::Existence>),
    (
        "keywords:forbidden_words",
        build::<keywords::ForbiddenWords>,
    ),
    ("keywords:frequency", build::<keywords::Frequency>),
    (
        "keywords:letter_frequency",
        build::<keywords::LetterFrequency>,
    ),
    (
        "language:response_language",
        build::<language::ResponseLanguage>,
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        build::<length_constraints::NthParagraphFirstWord>,
    ),
    (
        "length_constraints:number_paragraphs",
        build::<length_constraints::NumberParagraphs>,
    ),
    (
        "length_constraints:number_sentences",
        build::<length_constraints::NumberSentences>,
    ),
    (
        "length_constraints:number_words",
        build::<length_constraints::NumberWords>,
    ),
    ("punctuation:no_comma", build::<punctuation::NoComma>),
    ("startend:end_checker", build::<startend::EndChecker>),
    ("startend:quotation", build::<startend::Quotation>),
];

/// Why an instruction cannot be checked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstructionError {
    #[error("unknown instruction id; expected one of the {} IFEval ids ({})", REGISTRY.len(), instruction_ids().collect::<Vec<_>>().join(", "))]
    UnknownId,
    #[error("{0}")]
    Kwargs(KwargsError),
}

/// All supported instruction ids, in registry order.
pub fn instruction_ids() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(id, _)| *id)
}

/// The checker for `id` with `kwargs` applied.
pub fn checker(
    id: &str,
    kwargs: &Map<String, Value>,
) -> Result<Box<dyn Checker>, InstructionError> {
    let (_, build) = REGISTRY
        .iter()
        .find(|(known, _)| *known == id)
        .ok_or(InstructionError::UnknownId)?;
    build(kwargs).map_err(InstructionError::Kwargs)
}
