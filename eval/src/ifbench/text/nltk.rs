//! The NLTK resources the reference reads from `nltk_data`: the English stop
//! words and the averaged-perceptron POS tagger (`nltk.pos_tag`, nltk 3.10),
//! loaded from `<data-dir>/data/ifbench/nltk_data`.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::strings::{is_digit, is_digit_char, last_chars};

/// A resource file that is missing or unreadable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot load NLTK data {path}: {reason}")]
pub struct NltkError {
    pub path: PathBuf,
    pub reason: String,
}

/// The stop words and the tagger.
pub struct Nltk {
    stopwords: HashSet<String>,
    tagger: Tagger,
}

const STOPWORDS: &str = "corpora/stopwords/english";
const TAGGER: &str = "taggers/averaged_perceptron_tagger_eng/averaged_perceptron_tagger_eng";

fn read(path: PathBuf) -> Result<String, NltkError> {
    fs::read_to_string(&path).map_err(|e| NltkError {
        reason: e.to_string(),
        path,
    })
}

fn read_json<T: DeserializeOwned>(path: PathBuf) -> Result<T, NltkError> {
    serde_json::from_str(&read(path.clone())?).map_err(|e| NltkError {
        reason: e.to_string(),
        path,
    })
}

impl Nltk {
    /// Loads the resources from an `nltk_data` folder.
    pub fn load(nltk_data: &Path) -> Result<Self, NltkError> {
        let tagger = |suffix: &str| nltk_data.join(format!("{TAGGER}.{suffix}.json"));
        // `stopwords.words('english')`: the non-blank lines.
        let stopwords = read(nltk_data.join(STOPWORDS))?
            .lines()
            .filter(|l| !l.trim_end().is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Nltk {
            stopwords,
            tagger: Tagger {
                weights: read_json(tagger("weights"))?,
                tagdict: read_json(tagger("tagdict"))?,
                classes: read_json(tagger("classes"))?,
            },
        })
    }

    /// `t.lower() in stopwords.words('english')` for a token already lowercased.
    pub fn is_stopword(&self, lowercase: &str) -> bool {
        self.stopwords.contains(lowercase)
    }

    /// `nltk.pos_tag(tokens)`: one Penn Treebank tag per token.
    pub fn pos_tag(&self, tokens: &[String]) -> Vec<&str> {
        self.tagger.tag(tokens)
    }
}

/// `PerceptronTagger` with its trained model.
struct Tagger {
    /// Feature to its weight per tag.
    weights: HashMap<String, HashMap<String, f64>>,
    /// Frequent unambiguous words and their tag, used without the model.
    tagdict: HashMap<String, String>,
    classes: Vec<String>,
}

const START: [&str; 2] = ["-START-", "-START2-"];
const END: [&str; 2] = ["-END-", "-END2-"];

/// `PerceptronTagger.normalize`.
fn normalize(word: &str) -> String {
    if word.contains('-') && !word.starts_with('-') {
        "!HYPHEN".into()
    } else if is_digit(word) && word.chars().count() == 4 {
        "!YEAR".into()
    } else if word.chars().next().is_some_and(is_digit_char) {
        "!DIGITS".into()
    } else {
        word.to_lowercase()
    }
}

impl Tagger {
    /// `PerceptronTagger.tag(tokens)`.
    fn tag(&self, tokens: &[String]) -> Vec<&str> {
        let mut context: Vec<String> = START.iter().map(|s| s.to_string()).collect();
        context.extend(tokens.iter().map(|t| normalize(t)));
        context.extend(END.iter().map(|s| s.to_string()));
        let (mut prev, mut prev2) = (START[0], START[1]);
        let mut tags = Vec::with_capacity(tokens.len());
        for (i, word) in tokens.iter().enumerate() {
            let tag = match self.tagdict.get(word) {
                Some(tag) => tag.as_str(),
                None => self.predict(&features(i + 2, word, &context, prev, prev2)),
            };
            tags.push(tag);
            prev2 = prev;
            prev = tag;
        }
        tags
    }

    /// `AveragedPerceptron.predict`: the class with the highest score, ties
    /// going to the greater tag name. Scores add up in feature order, as in
    /// Python, so float rounding agrees.
    fn predict(&self, features: &[(String, u32)]) -> &str {
        let mut scores: HashMap<&str, f64> = HashMap::new();
        for (feature, count) in features {
            if let Some(weights) = self.weights.get(feature) {
                for (label, weight) in weights {
                    *scores.entry(label).or_default() += f64::from(*count) * weight;
                }
            }
        }
        let score = |label: &str| scores.get(label).copied().unwrap_or(0.0);
        self.classes
            .iter()
            .map(String::as_str)
            .max_by(|a, b| {
                (score(a), a)
                    .partial_cmp(&(score(b), b))
                    .expect("finite scores")
            })
            .expect("the model has classes")
    }
}

/// `PerceptronTagger._get_features` for the token at `context[i]`, in
/// insertion order with repeats counted.
fn features(
    i: usize,
    word: &str,
    context: &[String],
    prev: &str,
    prev2: &str,
) -> Vec<(String, u32)> {
    let first = word.chars().next().map(String::from).unwrap_or_default();
    let all = [
        "bias".to_owned(),
        format!("i suffix {}", last_chars(word, 3)),
        format!("i pref1 {first}"),
        format!("i-1 tag {prev}"),
        format!("i-2 tag {prev2}"),
        format!("i tag+i-2 tag {prev} {prev2}"),
        format!("i word {}", context[i]),
        format!("i-1 tag+i word {prev} {}", context[i]),
        format!("i-1 word {}", context[i - 1]),
        format!("i-1 suffix {}", last_chars(&context[i - 1], 3)),
        format!("i-2 word {}", context[i - 2]),
        format!("i+1 word {}", context[i + 1]),
        format!("i+1 suffix {}", last_chars(&context[i + 1], 3)),
        format!("i+2 word {}", context[i + 2]),
    ];
    let mut features: Vec<(String, u32)> = Vec::with_capacity(all.len());
    for feature in all {
        match features.iter_mut().find(|(f, _)| *f == feature) {
            Some((_, count)) => *count += 1,
            None => features.push((feature, 1)),
        }
    }
    features
}
