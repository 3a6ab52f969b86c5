//! Instruction ids and their checkers (the reference's `INSTRUCTION_DICT`).

use serde_json::{Map, Value};

use super::checkers::{
    Checker, Context, FromContext, FromKwargs, count, custom, format, ratio, repeat, sentence,
    words,
};
use crate::ifeval::kwargs::{Kwargs, KwargsError};

type Build = fn(&Map<String, Value>, &mut Context<'_>) -> Result<Box<dyn Checker>, KwargsError>;

/// `build_description(**kwargs)` with named kwargs only.
fn build<C: Checker + FromKwargs + 'static>(
    kwargs: &Map<String, Value>,
    _: &mut Context<'_>,
) -> Result<Box<dyn Checker>, KwargsError> {
    let kwargs = Kwargs::new(kwargs, C::KWARGS)?;
    Ok(Box::new(C::from_kwargs(&kwargs)?))
}

/// A checker that also needs the [`Context`].
fn build_with<C: Checker + FromContext + 'static>(
    kwargs: &Map<String, Value>,
    context: &mut Context<'_>,
) -> Result<Box<dyn Checker>, KwargsError> {
    let kwargs = Kwargs::new(kwargs, C::KWARGS)?;
    Ok(Box::new(C::from_context(&kwargs, context)?))
}

/// `build_description(self, **kwargs)`: any kwargs, all ignored.
fn build_ignoring<C: Checker + FromKwargs + 'static>(
    _: &Map<String, Value>,
    context: &mut Context<'_>,
) -> Result<Box<dyn Checker>, KwargsError> {
    build::<C>(&Map::new(), context)
}

const REGISTRY: [(&str, Build); 58] = [
    ("count:word_count_range", build::<count::WordCountRange>),
    ("count:unique_word_count", build::<count::UniqueWordCount>),
    ("ratio:stop_words", build_with::<ratio::StopWords>),
    ("ratio:sentence_type", build::<ratio::SentenceType>),
    ("ratio:sentence_balance", build::<ratio::SentenceBalance>),
    ("count:conjunctions", build::<count::Conjunctions>),
    ("count:person_names", build::<count::PersonNames>),
    ("ratio:overlap", build::<ratio::Overlap>),
    ("count:numbers", build::<count::Numbers>),
    ("words:alphabet", build::<words::Alphabet>),
    ("words:vowel", build::<words::Vowel>),
    ("words:consonants", build::<words::Consonants>),
    (
        "sentence:alliteration_increment",
        build::<sentence::AlliterationIncrement>,
    ),
    ("words:palindrome", build::<words::Palindrome>),
    ("count:punctuation", build::<count::Punctuation>),
    ("format:parentheses", build::<format::Parentheses>),
    ("format:quotes", build::<format::Quotes>),
    ("words:prime_lengths", build::<words::PrimeLengths>),
    ("format:options", build::<format::Options>),
    ("format:newline", build::<format::Newline>),
    ("format:emoji", build::<format::Emoji>),
    ("ratio:sentence_words", build::<ratio::SentenceWords>),
    ("count:words_japanese", build::<count::WordsJapanese>),
    ("words:start_verb", build_with::<words::StartVerb>),
    ("words:repeats", build::<words::Repeats>),
    ("sentence:keyword", build::<sentence::Keyword>),
    ("count:pronouns", build::<count::Pronouns>),
    ("words:odd_even_syllables", build::<words::OddEvenSyllables>),
    ("words:last_first", build::<words::LastFirst>),
    (
        "words:paragraph_last_first",
        build::<words::ParagraphLastFirst>,
    ),
    ("sentence:increment", build::<sentence::Increment>),
    ("words:no_consecutive", build::<words::NoConsecutive>),
    ("format:line_indent", build::<format::LineIndent>),
    ("format:quote_unquote", build::<format::QuoteUnquote>),
    ("format:list", build::<format::List>),
    ("format:thesis", build::<format::Thesis>),
    ("format:sub-bullets", build::<format::SubBullets>),
    (
        "format:no_bullets_bullets",
        build::<format::NoBulletsBullets>,
    ),
    ("custom:multiples", build_ignoring::<custom::Multiples>),
    (
        "custom:mcq_count_length",
        build_ignoring::<custom::McqCountLength>,
    ),
    (
        "custom:reverse_newline",
        build_ignoring::<custom::ReverseNewline>,
    ),
    ("custom:word_reverse", build_ignoring::<custom::WordReverse>),
    (
        "custom:character_reverse",
        build_ignoring::<custom::CharacterReverse>,
    ),
    (
        "custom:sentence_alphabet",
        build_ignoring::<custom::SentenceAlphabet>,
    ),
    (
        "custom:european_capitals_sort",
        build_ignoring::<custom::EuropeanCapitalsSort>,
    ),
    ("custom:csv_city", build_ignoring::<custom::CsvCity>),
    (
        "custom:csv_special_character",
        build_ignoring::<custom::CsvSpecialCharacter>,
    ),
    ("custom:csv_quotes", build_ignoring::<custom::CsvQuotes>),
    (
        "custom:date_format_list",
        build_ignoring::<custom::DateFormatList>,
    ),
    ("count:keywords_multiple", build::<count::KeywordsMultiple>),
    (
        "words:keywords_specific_position",
        build::<words::KeywordsSpecificPosition>,
    ),
    ("words:words_position", build::<words::WordsPosition>),
    ("repeat:repeat_change", build::<repeat::RepeatChange>),
    ("repeat:repeat_simple", build::<repeat::RepeatSimple>),
    ("repeat:repeat_span", build_with::<repeat::RepeatSpan>),
    ("format:title_case", build::<format::TitleCase>),
    ("format:output_template", build::<format::OutputTemplate>),
    ("format:no_whitespace", build::<format::NoWhitespace>),
];

/// Why an instruction cannot be checked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstructionError {
    #[error("unknown instruction id; expected one of the {} IFBench ids ({})", REGISTRY.len(), instruction_ids().collect::<Vec<_>>().join(", "))]
    UnknownId,
    #[error("{0}")]
    Kwargs(KwargsError),
}

/// All supported instruction ids, in the reference's order.
pub fn instruction_ids() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(id, _)| *id)
}

/// The checker for `id` with `kwargs` applied. As the reference's strict
/// scoring does first, `null` kwargs are dropped (the test set lists every
/// kwarg name of every instruction, mostly as `null`).
pub fn checker(
    id: &str,
    kwargs: &Map<String, Value>,
    context: &mut Context<'_>,
) -> Result<Box<dyn Checker>, InstructionError> {
    let (_, build) = REGISTRY
        .iter()
        .find(|(known, _)| *known == id)
        .ok_or(InstructionError::UnknownId)?;
    let kwargs: Map<String, Value> = kwargs
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    build(&kwargs, context).map_err(InstructionError::Kwargs)
}
