//! Scoring an extraction: is the output valid JSON, and which fields match the reference exactly.
//!
//! The output's JSON is its first balanced `{…}` block (text around it is ignored, which is
//! lenient towards a base model that rambles on), and it must parse as an object. A field
//! matches when its value equals the reference's (`null` included); a missing key or an
//! output without valid JSON counts as a miss on every field.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How one output fared against its reference object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scored {
    pub valid_json: bool,
    /// Per reference key (sorted by key).
    pub fields: Vec<(String, bool)>,
}

impl Scored {
    pub fn all_correct(&self) -> bool {
        self.fields.iter().all(|(_, ok)| *ok)
    }
}

/// Scores `output` against the `expected` object.
pub fn score(expected: &Map<String, Value>, output: &str) -> Scored {
    let got = first_json_object(output);
    let fields = expected
        .iter()
        .map(|(k, v)| (k.clone(), got.as_ref().is_some_and(|g| g.get(k) == Some(v))))
        .collect();
    Scored {
        valid_json: got.is_some(),
        fields,
    }
}

/// The first balanced `{…}` block of `text` that parses as a JSON object.
pub fn first_json_object(text: &str) -> Option<Map<String, Value>> {
    let start = text.find('{')?;
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, ch) in text[start..].char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return serde_json::from_str::<Value>(&text[start..start + i + 1])
                        .ok()
                        .and_then(|v| match v {
                            Value::Object(m) => Some(m),
                            _ => None,
                        });
                }
            }
            _ => {}
        }
    }
    None
}

/// Scores over a test set.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub examples: usize,
    /// Share of outputs holding a valid JSON object.
    pub valid_json: f64,
    /// Share of (example, field) pairs that match exactly.
    pub field_exact_match: f64,
    /// Share of examples with every field right.
    pub record_exact_match: f64,
    pub per_field: BTreeMap<String, f64>,
}

impl Report {
    pub fn new(scores: &[Scored]) -> Self {
        let n = scores.len().max(1) as f64;
        let share = |count: usize, of: f64| count as f64 / of.max(1.0);
        let mut per_field: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (k, ok) in scores.iter().flat_map(|s| &s.fields) {
            let e = per_field.entry(k.clone()).or_default();
            e.0 += *ok as usize;
            e.1 += 1;
        }
        let (hits, pairs) = per_field
            .values()
            .fold((0, 0), |(h, p), &(hk, pk)| (h + hk, p + pk));
        Report {
            examples: scores.len(),
            valid_json: share(scores.iter().filter(|s| s.valid_json).count(), n),
            field_exact_match: share(hits, pairs as f64),
            record_exact_match: share(scores.iter().filter(|s| s.all_correct()).count(), n),
            per_field: per_field
                .into_iter()
                .map(|(k, (h, p))| (k, share(h, p as f64)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Map<String, Value> {
        match serde_json::json!({"name": "Ann Lee", "phone": null, "city": "Oslo"}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn fields_match_exactly_and_null_counts() {
        let s = score(
            &expected(),
            r#" {"name": "Ann Lee", "phone": null, "city": "oslo"}"#,
        );
        assert!(s.valid_json);
        // Field order follows the JSON map's, which depends on serde_json's `preserve_order`.
        let mut fields = s.fields.clone();
        fields.sort();
        assert_eq!(
            fields,
            [
                ("city".into(), false),
                ("name".into(), true),
                ("phone".into(), true)
            ]
        );
        let missing = score(&expected(), r#"{"name": "Ann Lee"}"#);
        assert_eq!(
            missing.fields.iter().filter(|f| f.1).count(),
            1,
            "absent keys are misses, even for null"
        );
    }

    #[test]
    fn json_is_found_inside_text_and_braces_in_strings_are_skipped() {
        let m = first_json_object("Sure! {\"a\": \"}{\", \"b\": {\"c\": 1}} and more {").unwrap();
        assert_eq!(m["a"], "}{");
        assert!(first_json_object("no json here").is_none());
        assert!(first_json_object("{\"a\": 1").is_none(), "unbalanced");
        assert!(first_json_object("{not json}").is_none());
    }

    #[test]
    fn report_aggregates_shares() {
        let good = score(
            &expected(),
            r#"{"name": "Ann Lee", "phone": null, "city": "Oslo"}"#,
        );
        let bad = score(&expected(), "nothing");
        let r = Report::new(&[good, bad]);
        assert_eq!(
            (r.valid_json, r.field_exact_match, r.record_exact_match),
            (0.5, 0.5, 0.5)
        );
        assert_eq!(r.per_field["city"], 0.5);
    }
}
