//! Bad input fails before the expensive work: every instruction id and kwarg of the input data
//! is checked before the model is looked for, let alone loaded.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::scratch_dir;

/// A line of `input_data.jsonl` with one instruction.
fn line(key: i64, id: &str, kwargs: &str) -> String {
    format!(
        r#"{{"key": {key}, "prompt": "prompt {key}", "instruction_id_list": ["punctuation:no_comma", "{id}"], "kwargs": [{{}}, {kwargs}]}}"#
    )
}

fn eval(args: &[&str], input: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eval"))
        .args(args)
        .arg("--input-data")
        .arg(input)
        .arg("--output-dir")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn unknown_ids_and_wrong_kwarg_types_fail_before_the_model_is_opened() {
    let dir = scratch_dir("fail_fast");
    let good = line(1, "keywords:existence", r#"{"keywords": ["a"]}"#);
    // (instruction, kwargs, what the message must name)
    let cases = [
        ("punctuation:no_commaX", "{}", "unknown instruction id"),
        (
            "length_constraints:number_words",
            r#"{"num_words": "300", "relation": "at least"}"#,
            "num_words",
        ),
        (
            "length_constraints:number_words",
            r#"{"num_words": 300, "relation": 1}"#,
            "relation",
        ),
        ("keywords:existence", r#"{"keywords": "a"}"#, "keywords"),
        (
            "keywords:frequency",
            r#"{"keyword": "a", "frequency": 2.5, "relation": "less than"}"#,
            "frequency",
        ),
        (
            "detectable_format:number_bullet_lists",
            r#"{"num_bullets": [3]}"#,
            "num_bullets",
        ),
        ("startend:end_checker", r#"{"end_phrase": 7}"#, "end_phrase"),
        ("punctuation:no_comma", r#"{"spurious": 1}"#, "spurious"),
    ];
    let missing_model = dir.join("no-such-model.gguf");
    for (i, (id, kwargs, named)) in cases.iter().enumerate() {
        let input = dir.join(format!("input{i}.jsonl"));
        std::fs::write(&input, format!("{good}\n\n{}\n", line(7, id, kwargs))).unwrap();
        let out = dir.join(format!("out{i}"));
        let ifeval = [
            "ifeval",
            "--backend",
            "flex",
            "--model",
            missing_model.to_str().unwrap(),
        ];
        for (command, args) in [
            ("ifeval", &ifeval[..]),
            ("score", &["score", "--responses", "nope.jsonl"][..]),
        ] {
            let run = eval(args, &input, &out);
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert!(!run.status.success(), "{command} {id} {kwargs}: succeeded");
            // File and line, prompt key, the list entry, and the kwarg or the id.
            let at = format!(
                "{}:3: prompt key 7, instruction_id_list[1] \"{id}\"",
                input.display()
            );
            assert!(stderr.contains(&at), "{command} {id} {kwargs}: {stderr}");
            assert!(stderr.contains(named), "{command} {id} {kwargs}: {stderr}");
            assert!(
                !stderr.contains("model") && !stderr.contains("nope.jsonl"),
                "{command}: {stderr}"
            );
            // Said once: an error chain that repeats its cause reads "x: x".
            assert_eq!(stderr.matches(&at).count(), 1, "{command}: {stderr}");
            let parts: Vec<&str> = stderr.trim().split(": ").collect();
            assert!(
                parts.windows(2).all(|w| w[0] != w[1]),
                "{command}: {stderr}"
            );
            assert!(
                !out.exists(),
                "{command}: the output folder was created before the check"
            );
        }
    }
}

#[test]
fn a_malformed_line_names_the_file_and_line() {
    let dir = scratch_dir("fail_fast_json");
    let input = dir.join("input.jsonl");
    std::fs::write(
        &input,
        format!(
            "{}\n{{\"key\": 2, \n",
            line(1, "punctuation:no_comma", "{}")
        ),
    )
    .unwrap();
    let run = eval(
        &["ifeval", "--model", "/no/such/model.gguf"],
        &input,
        &dir.join("out"),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains(&format!("{}:2:", input.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("model"), "{stderr}");
}
