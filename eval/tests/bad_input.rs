//! Malformed files and unusable instructions give errors that say where,
//! responses that cannot be paired are reported, and nothing panics.

mod common;

use common::scratch_dir;
use eval::ifeval::io::{ReadError, read_jsonl};
use eval::ifeval::kwargs::KwargsError;
use eval::ifeval::registry::InstructionError;
use eval::ifeval::{InputExample, Report, ResponseExample, ScoreError, evaluate};
use serde_json::{Value, json};

fn input(key: i64, prompt: &str, id: &str, kwargs: Value) -> InputExample {
    InputExample {
        key,
        prompt: prompt.into(),
        instruction_id_list: vec![id.into()],
        kwargs: vec![kwargs.as_object().unwrap().clone()],
    }
}

fn response(prompt: &str, response: &str) -> ResponseExample {
    ResponseExample {
        prompt: prompt.into(),
        response: response.into(),
    }
}

#[test]
fn malformed_jsonl_line_is_reported_with_its_number() {
    let path = scratch_dir("malformed_jsonl").join("responses.jsonl");
    std::fs::write(
        &path,
        "{\"prompt\": \"a\", \"response\": \"b\"}\n\n{\"prompt\": \"c\", \"respo\n",
    )
    .unwrap();
    let err = read_jsonl::<ResponseExample>(&path).unwrap_err();
    assert!(matches!(err, ReadError::Line { line: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("responses.jsonl:3:"), "{err}");

    // A well-formed line with a missing field is also located.
    std::fs::write(&path, "{\"prompt\": \"a\"}\n").unwrap();
    let err = read_jsonl::<ResponseExample>(&path).unwrap_err();
    assert!(
        err.to_string().contains(":1:") && err.to_string().contains("response"),
        "{err}"
    );
}

#[test]
fn missing_file_is_an_error() {
    let err =
        read_jsonl::<InputExample>(&scratch_dir("missing_file").join("nope.jsonl")).unwrap_err();
    assert!(
        matches!(err, ReadError::Io { .. }) && err.to_string().contains("nope.jsonl"),
        "{err}"
    );
}

#[test]
fn unknown_instruction_names_key_and_instruction() {
    let inputs = [input(7, "p", "keywords:no_such_check", json!({}))];
    let err = evaluate(&inputs, &[response("p", "r")]).unwrap_err();
    assert_eq!(
        err,
        ScoreError::Instruction {
            key: 7,
            index: 0,
            instruction: "keywords:no_such_check".into(),
            error: InstructionError::UnknownId
        }
    );
    let message = err.to_string();
    assert!(
        message.contains('7') && message.contains("keywords:no_such_check"),
        "{message}"
    );
}

#[test]
fn kwargs_of_the_wrong_type_name_key_instruction_and_kwarg() {
    let cases = [
        (
            "length_constraints:number_words",
            json!({"num_words": "100", "relation": "at least"}),
            "num_words",
        ),
        ("keywords:existence", json!({"keywords": "cat"}), "keywords"),
        (
            "keywords:existence",
            json!({"keywords": ["cat", 3]}),
            "keywords",
        ),
        (
            "detectable_format:title",
            json!({"num_highlights": 2}),
            "num_highlights",
        ),
        (
            "keywords:frequency",
            json!({"keyword": "war", "frequency": 2, "relation": "at most"}),
            "relation",
        ),
        (
            "keywords:letter_frequency",
            json!({"letter": "ab", "let_frequency": 2, "let_relation": "at least"}),
            "letter",
        ),
        (
            "detectable_content:number_placeholders",
            json!({"num_placeholders": null}),
            "num_placeholders",
        ),
        (
            "detectable_content:number_placeholders",
            json!({"num_placeholders": 2.5}),
            "num_placeholders",
        ),
        (
            "language:response_language",
            json!({"language": "xx"}),
            "language",
        ),
        (
            "keywords:existence",
            json!({"keywords": ["(unclosed"]}),
            "keywords",
        ),
    ];
    for (id, kwargs, kwarg) in cases {
        let err =
            evaluate(&[input(42, "p", id, kwargs.clone())], &[response("p", "r")]).unwrap_err();
        let ScoreError::Instruction {
            key: 42,
            ref instruction,
            error: InstructionError::Kwargs(ref source),
            ..
        } = err
        else {
            panic!("{id} {kwargs}: unexpected {err:?}");
        };
        assert_eq!(instruction, id);
        let message = err.to_string();
        assert!(
            message.contains("42") && message.contains(id) && message.contains(kwarg),
            "{message}"
        );
        if kwarg == "num_highlights" {
            assert_eq!(source, &KwargsError::Unknown(kwarg.into()));
        }
    }
}

#[test]
fn kwargs_list_must_match_instructions() {
    let mut bad = input(3, "p", "punctuation:no_comma", json!({}));
    bad.kwargs.clear();
    let err = evaluate(&[bad], &[response("p", "r")]).unwrap_err();
    assert_eq!(
        err,
        ScoreError::KwargsCount {
            key: 3,
            instructions: 1,
            kwargs: 0
        }
    );
}

#[test]
fn unpaired_prompts_and_responses_are_reported() {
    let inputs = [
        input(1, "first", "punctuation:no_comma", json!({})),
        input(2, "second", "punctuation:no_comma", json!({})),
    ];
    let responses = [
        response("first", "no commas"),
        response("a prompt nobody asked", "hello"),
    ];
    let evaluation = evaluate(&inputs, &responses).unwrap();
    assert_eq!(evaluation.results.len(), 1);
    assert_eq!(evaluation.unanswered, [2]);
    assert_eq!(evaluation.unmatched.len(), 1);
    assert_eq!(evaluation.unmatched[0].index, 2);
    assert_eq!(
        evaluation.unmatched[0].prompt_start,
        "a prompt nobody asked"
    );

    let report = Report::new(&evaluation, Value::Null);
    assert_eq!(
        (report.prompts_scored, report.unanswered_prompts.as_slice()),
        (1, [2].as_slice())
    );
    let md = report.to_markdown();
    assert!(
        md.contains("a prompt nobody asked") && md.contains("by key: 2"),
        "{md}"
    );
}

#[test]
fn odd_responses_do_not_panic() {
    // One prompt per instruction type, with the kwargs the IFEval data uses.
    let data: Vec<InputExample> = read_jsonl(&common::ifeval_file("input_data.jsonl")).unwrap();
    let inputs: Vec<InputExample> = eval::ifeval::registry::instruction_ids()
        .map(|id| {
            let (source, i) = data
                .iter()
                .find_map(|d| {
                    d.instruction_id_list
                        .iter()
                        .position(|x| x == id)
                        .map(|i| (d, i))
                })
                .unwrap();
            input(source.key, id, id, Value::Object(source.kwargs[i].clone()))
        })
        .collect();
    let deep = "[".repeat(100_000);
    let odd = [
        "", " ", "\n", "***", "******", "```", "\"", "İ.", "\u{1c}", "...!?", "P.S.", &deep,
    ];
    for text in odd {
        let responses: Vec<_> = inputs.iter().map(|i| response(&i.prompt, text)).collect();
        let evaluation = evaluate(&inputs, &responses).unwrap();
        assert_eq!(evaluation.results.len(), 25);
    }
}
