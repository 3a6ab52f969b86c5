//! `custom:*`: single-task prompts with a fixed expected shape (the
//! reference's `build_description(**kwargs)` takes and ignores any kwargs).

use super::Checker;
use crate::ifbench::text::csv;
use crate::ifbench::text::sentences::split_into_sentences;
use crate::ifbench::text::strings::{
    decimal_int, nfkd_ascii, remove_punctuation, strip_punctuation,
};
use crate::ifeval::checkers::no_kwargs;
use crate::ifeval::text::pyre::{Flags, py_regex};
use crate::ifeval::text::pystr;

/// `multiples`: the numbers are exactly 14, 21, ..., 49.
pub struct Multiples;

/// `mcq_count_length`: nothing before the first "Question", 4 questions of 5
/// options each, question texts getting longer.
pub struct McqCountLength;

/// `reverse_newline`: from the line with "Zimbabwe", at least 52 lines in
/// reverse alphabetical order (accents dropped).
pub struct ReverseNewline;

/// `word_reverse`: the response, words reversed, mentions "bald eagle" and is
/// one sentence.
pub struct WordReverse;

/// `character_reverse`: "elgae dlab" somewhere (not in the test set).
pub struct CharacterReverse;

/// `sentence_alphabet`: 26 sentences whose first word starts with a, b, ..., z.
pub struct SentenceAlphabet;

/// `european_capitals_sort`: exactly the 27 capitals north of 45°, by latitude,
/// comma-separated.
pub struct EuropeanCapitalsSort;

/// `csv_city`: CSV with the fixed header and 7 rows of 5 fields.
///
/// Crash: text the `csv` module rejects (a `\r` inside an unquoted field).
pub struct CsvCity;

/// `csv_special_character`: CSV with the fixed header and 14 rows of 5
/// fields, one field quoted with a special character in it.
///
/// Crash: as for [`CsvCity`].
pub struct CsvSpecialCharacter;

/// `csv_quotes`: tab-separated, fixed header, 3 rows, every field quoted.
///
/// Crash: as for [`CsvCity`], and an empty or blank field (`strip()[0]`
/// raises `IndexError`) where no earlier field failed.
pub struct CsvQuotes;

/// `date_format_list`: comma-separated `YYYY-MM-DD` dates of 1769–1821 with
/// plausible months and days.
pub struct DateFormatList;

no_kwargs!(
    Multiples,
    McqCountLength,
    ReverseNewline,
    WordReverse,
    CharacterReverse,
    SentenceAlphabet,
    EuropeanCapitalsSort,
    CsvCity,
    CsvSpecialCharacter,
    CsvQuotes,
    DateFormatList,
);

impl Checker for Multiples {
    fn check(&self, response: &str) -> bool {
        let text = response.replace(',', ", ");
        py_regex!(r"\d+", Flags::NONE).find_all(&text) == ["14", "21", "28", "35", "42", "49"]
    }
}

impl Checker for McqCountLength {
    fn check(&self, response: &str) -> bool {
        // `value[value.find('Question'):] != value`: text before the first
        // "Question", or none at all (then the slice is the last character).
        match response.find("Question") {
            Some(0) => {}
            None if response.chars().count() == 1 => {}
            _ => return false,
        }
        let mut questions =
            py_regex!(r"\n*(?:Question \d+[\.|\):;]?\s*)", Flags::NONE).split(response);
        if questions.first() == Some(&"") {
            questions.remove(0);
        }
        let questions: Vec<&str> = questions
            .into_iter()
            .map(pystr::strip)
            .filter(|q| !q.is_empty())
            .collect();
        if questions.len() != 4 {
            return false;
        }
        let mut lengths = Vec::with_capacity(4);
        for question in questions {
            let mut text = String::new();
            let mut options = 0;
            for line in question.split('\n') {
                let line = pystr::strip(line);
                if py_regex!(r"^[A-Ea-e][\.|\)]\s*\w+", Flags::NONE).is_match(line) {
                    options += 1;
                } else if options == 0 {
                    text.push(' ');
                    text.push_str(line);
                }
            }
            if options != 5 {
                return false;
            }
            lengths.push(pystr::strip(&text).chars().count());
        }
        lengths.windows(2).all(|w| w[0] < w[1])
    }
}

impl Checker for ReverseNewline {
    fn check(&self, response: &str) -> bool {
        let lines: Vec<&str> = response
            .split('\n')
            .map(strip_punctuation)
            .filter(|l| !l.is_empty())
            .collect();
        let Some(start) = lines.iter().position(|l| l.contains("Zimbabwe")) else {
            return false;
        };
        let target: Vec<String> = lines[start..].iter().map(|l| nfkd_ascii(l)).collect();
        // Python compares strings by code point, as Rust does.
        target.len() >= 52 && target.windows(2).all(|w| w[0] >= w[1])
    }
}

impl Checker for WordReverse {
    fn check(&self, response: &str) -> bool {
        let text = remove_punctuation(pystr::strip(&pystr::lower(response)));
        let mut words: Vec<&str> = pystr::split(&text).collect();
        words.reverse();
        let reversed = words.join(" ");
        reversed.contains("bald eagle") && split_into_sentences(&reversed).contains(&reversed)
    }
}

impl Checker for CharacterReverse {
    fn check(&self, response: &str) -> bool {
        pystr::lower(response).contains("elgae dlab")
    }
}

impl Checker for SentenceAlphabet {
    fn check(&self, response: &str) -> bool {
        let sentences = split_into_sentences(response);
        sentences.len() == 26
            && sentences.iter().zip('a'..='z').all(|(sentence, letter)| {
                pystr::split(sentence)
                    .next()
                    .and_then(|word| pystr::lower(word).chars().next())
                    == Some(letter)
            })
    }
}

const CAPITALS: [&str; 27] = [
    "Reykjavik",
    "Helsinki",
    "Oslo",
    "Tallinn",
    "Stockholm",
    "Riga",
    "Moscow",
    "Copenhagen",
    "Vilnius",
    "Minsk",
    "Dublin",
    "Berlin",
    "Amsterdam",
    "Warsaw",
    "London",
    "Brussels",
    "Prague",
    "Luxembourg",
    "Paris",
    "Vienna",
    "Bratislava",
    "Budapest",
    "Vaduz",
    "Chisinau",
    "Bern",
    "Ljubljana",
    "Zagreb",
];

impl Checker for EuropeanCapitalsSort {
    fn check(&self, response: &str) -> bool {
        let text = nfkd_ascii(response);
        let capitals: Vec<&str> = text
            .split(',')
            .map(pystr::strip)
            .filter(|c| !c.is_empty())
            .collect();
        capitals == CAPITALS
    }
}

impl Checker for CsvCity {
    fn check(&self, response: &str) -> bool {
        let Some(rows) = csv::read(response, ',') else {
            return false;
        };
        rows.len() == 8
            && rows[0] == ["ID", "Country", "City", "Year", "Count"]
            && rows[1..].iter().all(|row| row.len() == 5)
    }
}

/// The first line, stripped.
fn header(response: &str) -> &str {
    pystr::strip(response.split('\n').next().unwrap_or(""))
}

impl Checker for CsvSpecialCharacter {
    fn check(&self, response: &str) -> bool {
        let header_ok = py_regex!(
            r#"^(ProductID|"ProductID"),[ \t]*(Category|"Category"),[ \t]*(Brand|"Brand"),[ \t]*(Price|"Price"),[ \t]*(Stock|"Stock")$"#,
            Flags::NONE
        );
        if !header_ok.is_match(header(response)) {
            return false;
        }
        let Some(rows) = csv::read(&response.replace('"', "\"\"\""), ',') else {
            return false;
        };
        if rows.len() != 15 {
            return false;
        }
        // The first row of 5 fields with a quoted special character decides;
        // a row of another length before it fails.
        for row in &rows[1..] {
            if row.len() != 5 {
                return false;
            }
            let special = py_regex!(r#"^".*[^\d\w\s].*""#, Flags::NONE);
            if row.iter().any(|field| special.is_match(field)) {
                return true;
            }
        }
        false
    }
}

impl Checker for CsvQuotes {
    fn check(&self, response: &str) -> bool {
        let header_ok = py_regex!(
            r#"^(StudentID|"StudentID")\t *(Subject|"Subject")\t *(Grade|"Grade")\t *(Semester|"Semester")\t *(Score|"Score")$"#,
            Flags::NONE
        );
        if !header_ok.is_match(header(response)) {
            return false;
        }
        let Some(rows) = csv::read(&response.replace('"', "\"\"\""), '\t') else {
            return false;
        };
        rows.len() == 4
            && rows.iter().all(|row| {
                row.len() == 5
                    && row.iter().all(|field| {
                        let field = pystr::strip(field);
                        field.starts_with('"') && field.ends_with('"')
                    })
            })
    }
}

impl Checker for DateFormatList {
    fn check(&self, response: &str) -> bool {
        pystr::strip(response).split(',').all(|date| {
            let date = pystr::strip(date);
            if !py_regex!(r"^\d{4}-\d{2}-\d{2}$", Flags::NONE).is_match(date) {
                return false;
            }
            let parts: Vec<Option<u64>> = date.split('-').map(decimal_int).collect();
            let &[Some(year), Some(month), Some(day)] = parts.as_slice() else {
                return false;
            };
            let max_day = match month {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 => 29,
                // Month 0 passes with any day, as in the reference.
                _ => u64::MAX,
            };
            (1769..=1821).contains(&year) && month <= 12 && day <= max_day
        })
    }
}
