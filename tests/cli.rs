//! The command line as a user drives it: output shapes, streaming, and clear
//! errors with a non-zero exit for a missing model, empty input and an
//! unreadable file.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn caseguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .args(args)
        .output()
        .unwrap()
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn embed_prints_one_json_object_per_text() {
    let o = caseguard(&["embed", "征信修复", "an English sentence"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["text"], "征信修复");
    assert_eq!(lines[0]["embedding"].as_array().unwrap().len(), 384);
}

#[test]
fn embed_reads_stdin_lines_and_query_changes_the_vector() {
    let passage = with_stdin(&["embed"], "征信修复\n\n上岸\n".as_bytes());
    assert!(passage.status.success(), "{}", stderr(&passage));
    let out = String::from_utf8(passage.stdout).unwrap();
    assert_eq!(out.lines().count(), 2, "blank lines are skipped");
    let query = caseguard(&["embed", "--query", "征信修复"]);
    let p: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let q: serde_json::Value = serde_json::from_slice(&query.stdout).unwrap();
    assert_ne!(p["embedding"], q["embedding"]);
}

#[test]
fn empty_input_is_refused_with_a_message() {
    let o = with_stdin(&["embed"], b"\n  \n");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no input"), "{}", stderr(&o));
    let o = caseguard(&["embed", "ok", "  "]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("text 2 is empty"), "{}", stderr(&o));
    let o = caseguard(&["generate", ""]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("prompt is empty"), "{}", stderr(&o));
}

#[test]
fn invalid_utf8_on_stdin_is_reported() {
    let o = with_stdin(&["embed"], &[0xff, 0xfe, b'\n']);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("UTF-8"), "{}", stderr(&o));
}

#[test]
fn a_missing_model_says_how_to_get_it() {
    let o = caseguard(&["generate", "--model", "/nonexistent/model.gguf", "hello"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("/nonexistent/model.gguf") && e.contains("make models"),
        "{e}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .args(["embed", "x"])
        .env("CASEGUARD_EMBED_MODEL", "/nonexistent/e5.bin")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("/nonexistent/e5.bin"));
}

#[test]
fn an_unreadable_model_file_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("cg-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.gguf");
    std::fs::write(&junk, b"this is not a model").unwrap();
    let o = caseguard(&["generate", "--model", junk.to_str().unwrap(), "hello"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a GGUF file"), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .args(["embed", "x"])
        .env("CASEGUARD_EMBED_MODEL", &junk)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not an E5S1 file"), "{}", stderr(&o));
}

#[test]
fn generate_streams_only_the_continuation() {
    let o = caseguard(&["generate", "--max-tokens", "8", "The capital of France is"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        !text.contains("capital of France is"),
        "prompt echoed: {text:?}"
    );
    assert!(!text.trim().is_empty(), "no continuation printed");
}

#[test]
fn generate_runs_the_llama_architecture_too() {
    let o = caseguard(&[
        "generate",
        "--max-tokens",
        "8",
        "--model",
        "models/SmolLM2-135M-Instruct.Q4_1.gguf",
        "The capital of France is",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8(o.stdout).unwrap().contains("Paris"));
}

#[test]
fn models_info_lists_files_with_checksums_and_shapes() {
    let o = caseguard(&["models", "info", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files = v.as_array().unwrap();
    let embed = &files[0];
    assert_eq!(embed["role"], "embedding");
    assert_eq!(embed["size"], 71_622_400);
    assert_eq!(embed["matches_manifest"], true);
    assert_eq!(embed["details"]["dim"], 384);
    assert_eq!(embed["details"]["vocab_size"], 250_002);
    let llm = &files[1];
    assert_eq!(llm["details"]["architecture"], "gemma3");
    assert_eq!(llm["details"]["vocab_size"], 262_144);
    assert_eq!(
        llm["sha256"],
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    );
}
