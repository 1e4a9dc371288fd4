//! The worst errors, pinned with the real models and the shipped knowledge
//! base: a customer who mentions an agency and says they refused it must
//! come out `none`, `legitimate`, green; a victim of a scheme must get the
//! scheme and the role `victim`, never green.
//!
//! Runs `caseguard eval --predictions` once over
//! `tests/fixtures/worst-errors.jsonl` (texts written for this test, not
//! taken from any evaluation set) with a fresh data directory, so the
//! knowledge base is indexed and the classifier trained as on a new machine.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[test]
fn refused_agencies_stay_green_and_victims_get_their_scheme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::temp_dir().join(format!("cg-regressions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let out = Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .current_dir(root)
        .env("CASEGUARD_DATA_DIR", &data)
        .args([
            "eval",
            "--set",
            "tests/fixtures/worst-errors.jsonl",
            "--predictions",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let preds: HashMap<String, Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["id"].as_str().unwrap().to_string(), v))
        .collect();
    assert_eq!(preds.len(), 7, "{stdout}");
    for (id, p) in &preds {
        let (top, grade, role) = (
            p["predicted_top"].as_str().unwrap(),
            p["predicted_grade"].as_str().unwrap(),
            p["predicted_role"].as_str().unwrap(),
        );
        if id.starts_with("refused-agency") {
            assert_eq!(
                (top, grade, role),
                ("none", "green", "legitimate"),
                "{id}: a customer who refused an agency was flagged"
            );
        } else {
            assert_eq!(
                top,
                p["true_top"].as_str().unwrap(),
                "{id}: the victim's scheme was missed"
            );
            assert_eq!(role, "victim", "{id}");
            assert_ne!(grade, "green", "{id}: a victim was graded green");
        }
    }
    // The classifier reports what it learned from.
    assert!(stdout.contains("classifier: trained on"), "{stdout}");
    let _ = std::fs::remove_dir_all(&data);
}
