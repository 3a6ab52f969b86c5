//! A malformed line of an examples JSONL (training data, the extraction test set) is reported
//! with its file and line number.

mod common;

#[test]
fn bad_line_names_file_and_line() {
    let dir = common::scratch_dir("bad_records");
    let path = dir.join("train.jsonl");
    let good = r#"{"prompt": "2+2=", "completion": " 4"}"#;
    let chat = r#"{"messages": [{"role": "user", "content": "hi"}, {"role": "model", "content": "hello"}]}"#;
    std::fs::write(
        &path,
        format!("{good}\n{chat}\n\n{{\"prompt\": \"x\", \"completion\": \n"),
    )
    .unwrap();
    let err = eval::records::read(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:4: not valid JSON", path.display())),
        "{err}"
    );

    std::fs::write(
        &path,
        format!("{good}\n{{\"messages\": [{{\"role\": \"user\", \"content\": 5}}]}}\n"),
    )
    .unwrap();
    let err = eval::records::read(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}:2: message 0: \"content\" must be a string",
            path.display()
        )),
        "{err}"
    );
}
