//! IFBench prompts files and instructions that cannot be used give errors
//! naming the file, line and field; responses the reference crashes on are
//! "not followed"; nothing panics.

mod common;

use common::{ifbench_scorer, scratch_dir};
use eval::ifbench::io::{ReadError, read_inputs};
use eval::ifbench::registry::InstructionError;
use eval::ifbench::{ScoreError, Scorer};
use eval::ifeval::InputExample;
use eval::ifeval::kwargs::KwargsError;
use serde_json::{Value, json};

/// A prompts file of the given lines; returns the error of reading it.
fn read_error(test: &str, lines: &[Value]) -> ReadError {
    let path = scratch_dir(test).join("prompts.jsonl");
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    read_inputs(&path, &ifbench_scorer()).unwrap_err()
}

fn line(key: Value, id: &str, kwargs: Value) -> Value {
    json!({"key": key, "prompt": "p", "instruction_id_list": [id], "kwargs": [kwargs]})
}

#[test]
fn malformed_line_names_file_and_line() {
    let path = scratch_dir("ifbench_malformed").join("prompts.jsonl");
    std::fs::write(
        &path,
        format!(
            "{}\n\n{{\"key\": \"2\", \"prompt\n",
            line(json!("1"), "format:emoji", json!({}))
        ),
    )
    .unwrap();
    let err = read_inputs(&path, &ifbench_scorer()).unwrap_err();
    assert!(err.to_string().contains("prompts.jsonl:3:"), "{err}");
}

#[test]
fn key_must_be_an_integer_or_a_string_of_one() {
    let err = read_error(
        "ifbench_bad_key",
        &[
            line(json!("7"), "format:emoji", json!({})),
            line(json!("seven"), "format:emoji", json!({})),
        ],
    );
    let message = err.to_string();
    assert!(
        message.contains("prompts.jsonl:2:") && message.contains("field `key`"),
        "{message}"
    );
}

#[test]
fn unknown_instruction_names_line_key_and_id() {
    let err = read_error(
        "ifbench_unknown_id",
        &[line(json!("12"), "format:no_such", json!({}))],
    );
    let ReadError::Input { line, error, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*line, 1);
    assert_eq!(
        **error,
        ScoreError::Instruction {
            key: 12,
            index: 0,
            instruction: "format:no_such".into(),
            error: InstructionError::UnknownId
        }
    );
    assert!(err.to_string().contains("58 IFBench ids"), "{err}");
}

#[test]
fn kwargs_of_the_wrong_type_name_the_kwarg() {
    for (id, kwargs, name, expected) in [
        ("count:numbers", json!({"N": "five"}), "N", "a number"),
        (
            "sentence:keyword",
            json!({"N": 2.0, "word": 3}),
            "word",
            "a string",
        ),
        (
            "repeat:repeat_span",
            json!({"prompt_to_repeat": "a b c", "n_start": 1.0, "n_end": 2}),
            "n_start",
            "an integer",
        ),
        (
            "words:keywords_specific_position",
            json!({"keyword": "x", "n": true, "m": 2}),
            "n",
            "an integer",
        ),
    ] {
        let err = read_error("ifbench_wrong_type", &[line(json!("3"), id, kwargs)]);
        let ReadError::Input { error, .. } = &err else {
            panic!("{err:?}");
        };
        let ScoreError::Instruction {
            error: InstructionError::Kwargs(k),
            ..
        } = error.as_ref()
        else {
            panic!("{err:?}");
        };
        assert!(
            matches!(k, KwargsError::WrongType { name: n, expected: e, .. } if *n == name && *e == expected),
            "{id}: {k:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("prompts.jsonl:1:") && message.contains(&format!("`{name}`")),
            "{message}"
        );
    }
}

#[test]
fn unknown_missing_and_random_kwargs_are_errors() {
    let scorer = ifbench_scorer();
    let check = |id: &str, kwargs: Value| {
        let input = InputExample {
            key: 1,
            prompt: "p".into(),
            instruction_id_list: vec![id.into()],
            kwargs: vec![kwargs.as_object().unwrap().clone()],
        };
        scorer.checkers(&input).map(|_| ())
    };
    let kwargs_error = |r: Result<(), ScoreError>| match r {
        Err(ScoreError::Instruction {
            error: InstructionError::Kwargs(k),
            ..
        }) => k,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        kwargs_error(check("format:emoji", json!({"N": 3}))),
        KwargsError::Unknown("N".into())
    );
    assert_eq!(
        kwargs_error(check("count:numbers", json!({"N": null}))),
        KwargsError::Missing("N")
    );
    assert!(matches!(
        kwargs_error(check("count:numbers", json!({"N": -1.0}))),
        KwargsError::Invalid { name: "N", .. }
    ));
    assert!(matches!(
        kwargs_error(check(
            "repeat:repeat_change",
            json!({"prompt_to_repeat": ""})
        )),
        KwargsError::Invalid { .. }
    ));
    assert!(matches!(
        kwargs_error(check("ratio:overlap", json!({"percentage": 5.0}))),
        KwargsError::Invalid {
            name: "reference_text",
            ..
        }
    ));
    // A one-word prompt leaves randint(0, -1) empty: Python's ValueError.
    assert!(matches!(
        kwargs_error(check(
            "repeat:repeat_span",
            json!({"prompt_to_repeat": "one", "n_end": 1})
        )),
        KwargsError::Invalid {
            name: "n_start",
            ..
        }
    ));
    // Nulls are dropped first, and custom checkers take any kwargs.
    assert!(check("format:emoji", json!({"N": null, "keyword": null})).is_ok());
    assert!(check("custom:multiples", json!({"anything": 1})).is_ok());
    let count = InputExample {
        key: 5,
        prompt: "p".into(),
        instruction_id_list: vec!["format:emoji".into()],
        kwargs: vec![],
    };
    assert!(matches!(
        scorer.checkers(&count),
        Err(ScoreError::KwargsCount { key: 5, .. })
    ));
}

#[test]
fn missing_nltk_data_names_the_file() {
    let dir = scratch_dir("ifbench_no_nltk");
    let err = Scorer::new(&dir).err().expect("no NLTK data there");
    assert!(err.to_string().contains("stopwords"), "{err}");
}

/// Each of these makes the reference's `check_following` raise (checked with
/// the reference); the verdict here is "not followed", strict and loose.
#[test]
fn reference_crashes_are_not_followed() {
    let scorer = ifbench_scorer();
    for (id, kwargs, response) in [
        ("ratio:stop_words", json!({"percentage": 50.0}), "!!! ???"),
        (
            "ratio:overlap",
            json!({"percentage": 50.0, "reference_text": "abc"}),
            "ab",
        ),
        ("words:last_first", json!({}), "Hello there. ! there we go."),
        ("format:quote_unquote", json!({}), "123 ..."),
        ("count:words_japanese", json!({"N": 0.0}), "日本 語"),
        ("custom:csv_city", json!({}), "ID,Country\rCity"),
        (
            "custom:csv_quotes",
            json!({}),
            "\"StudentID\"\t\"Subject\"\t\"Grade\"\t\"Semester\"\t\"Score\"\n\"1\"\t\"Math\"\t\"A\"\t\"Fall\"\t\"90\"\n\"2\"\t\"Art\"\t\"B\"\t\"Fall\"\t\"80\"\n\"3\"\t\"Bio\"\t\"C\"\t\"Fall\"\t",
        ),
    ] {
        let input = InputExample {
            key: 1,
            prompt: "p".into(),
            instruction_id_list: vec![id.into()],
            kwargs: vec![kwargs.as_object().unwrap().clone()],
        };
        let result = scorer.score_prompt(&input, response).unwrap();
        assert_eq!(
            (result.strict[0], result.loose[0]),
            (false, false),
            "{id} on {response:?}"
        );
    }
}
