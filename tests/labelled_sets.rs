//! The labelled data follows the labelling policy (design §2) and the
//! evaluation stays independent: real-test shares no public source with the
//! knowledge base's examples or with the real dev sets, the second dev set
//! (written after the first was tuned on) shares none with the examples or
//! the first, the sets are mixed like a
//! real intake queue, and the obfuscated variant is what the committed
//! script makes.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

fn load(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

fn examples() -> Vec<Value> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("knowledge-base/examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for f in files {
        out.extend(load(&f));
    }
    out
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

fn top(v: &Value) -> &str {
    v["top_scheme"]
        .as_str()
        .or_else(|| v["schemes"][0].as_str())
        .unwrap_or_default()
}

/// Scheme, role and grade agree with the policy: `legitimate` ⇔ `none`, no
/// positive green, no `none` red.
fn check_policy(items: &[Value], what: &str) {
    for v in items {
        let (scheme, role, grade) = (top(v), s(v, "role"), s(v, "grade"));
        assert!(
            ["legitimate", "victim", "participant", "intermediary"].contains(&role),
            "{what} {}: role {role:?}",
            s(v, "id")
        );
        assert_eq!(
            role == "legitimate",
            scheme == "none",
            "{what} {}: role {role} with scheme {scheme}",
            s(v, "id")
        );
        if scheme == "none" {
            assert_ne!(
                grade,
                "red",
                "{what} {}: a none item graded red",
                s(v, "id")
            );
        } else {
            assert_ne!(
                grade,
                "green",
                "{what} {}: a positive graded green",
                s(v, "id")
            );
        }
    }
}

#[test]
fn examples_are_many_broad_and_labelled_by_the_policy() {
    let ex = examples();
    check_policy(&ex, "example");
    let mut per: HashMap<&str, usize> = HashMap::new();
    for v in &ex {
        *per.entry(top(v)).or_default() += 1;
    }
    assert!(ex.len() >= 600, "{} examples", ex.len());
    for (scheme, n) in &per {
        let want = if *scheme == "none" { 200 } else { 60 };
        assert!(*n >= want, "{scheme}: {n} examples, want {want}: {per:?}");
    }
    let none: Vec<&Value> = ex.iter().filter(|v| top(v) == "none").collect();
    let hard = none.iter().filter(|v| v["hard_negative"] == true).count();
    assert!(
        hard * 10 >= none.len() * 6,
        "{hard} of {} none are hard",
        none.len()
    );
    // Victims for every scheme.
    for scheme in per.keys().filter(|s| **s != "none") {
        assert!(
            ex.iter()
                .any(|v| top(v) == *scheme && s(v, "role") == "victim"),
            "{scheme} has no victim example"
        );
    }
}

#[test]
fn real_sets_are_mixed_like_intake_and_apart_by_source() {
    let sets: Vec<(&str, Vec<Value>, usize)> = [
        ("real-test", 150),
        ("real-dev", 80),
        ("real-dev2", 80),
        ("real-dev3", 200),
    ]
    .into_iter()
    .map(|(name, min)| (name, load(Path::new(&format!("eval/{name}.jsonl"))), min))
    .collect();
    for (name, set, min) in &sets {
        let n = set.len();
        assert!(n >= *min, "{name}: {n} items, want {min}");
        check_policy(set, name);
        let none: Vec<&Value> = set.iter().filter(|v| top(v) == "none").collect();
        let hard = none.iter().filter(|v| v["hard_negative"] == true).count();
        let apps = set
            .iter()
            .filter(|v| s(v, "channel") == "application")
            .count();
        assert!(
            none.len() * 100 >= n * 30 && none.len() * 100 <= n * 45,
            "{name}: {} none of {n}",
            none.len()
        );
        assert!(hard * 10 >= none.len() * 6, "{name}: {hard} hard negatives");
        assert!(apps * 10 >= n * 3, "{name}: {apps} applications of {n}");
        for v in set.iter() {
            assert!(
                !s(v, "source").trim().is_empty(),
                "{name} {}: no source",
                s(v, "id")
            );
        }
        let roles: HashSet<&str> = set.iter().map(|v| s(v, "role")).collect();
        assert_eq!(roles.len(), 4, "{name}: roles {roles:?}");
    }
    // Each real set is apart by source from every other one and from the
    // knowledge base's examples.
    let examples = examples();
    for (i, (name, set, _)) in sets.iter().enumerate() {
        let sources: HashSet<&str> = set.iter().map(|v| s(v, "source").trim()).collect();
        let others = sets
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, (_, other, _))| other.iter());
        for v in others.chain(examples.iter()) {
            let src = s(v, "source").trim();
            assert!(
                src.is_empty() || !sources.contains(src),
                "{} shares its source with {name}: {src}",
                s(v, "id")
            );
        }
    }
}

#[test]
fn the_obfuscated_variant_is_what_the_script_makes() {
    let out = std::env::temp_dir().join(format!("cg-obf-{}.jsonl", std::process::id()));
    let status = std::process::Command::new("python3")
        .args([
            "scripts/obfuscate.py",
            "eval/real-test.jsonl",
            out.to_str().unwrap(),
        ])
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            eprintln!(
                "SKIPPED the_obfuscated_variant_is_what_the_script_makes: python3 unavailable ({other:?})"
            );
            return;
        }
    }
    let made = std::fs::read_to_string(&out).unwrap();
    let committed = std::fs::read_to_string("eval/real-test-obfuscated.jsonl").unwrap();
    assert!(
        made == committed,
        "eval/real-test-obfuscated.jsonl is stale: rerun scripts/obfuscate.py"
    );
    let clean = load(Path::new("eval/real-test.jsonl"));
    let obf = load(Path::new("eval/real-test-obfuscated.jsonl"));
    let changed = clean
        .iter()
        .zip(&obf)
        .filter(|(a, b)| s(a, "id") == s(b, "id") && s(a, "text") != s(b, "text"))
        .count();
    assert!(
        changed * 10 >= clean.len() * 9,
        "only {changed} variants differ"
    );
    let _ = std::fs::remove_file(out);
}
