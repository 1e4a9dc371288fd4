//! The seed knowledge base parses, and holds what the taxonomy needs.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use caseguard::kb::chunk::{ChunkParams, chunk};
use caseguard::kb::parse::parse_file;

const SCHEMES: &[&str] = &[
    "illegal_proxy_rights_defense",
    "professional_debt_bearing",
    "credit_repair_scam",
    "proxy_insurance_surrender",
    "deepfake_impersonation",
    "none",
];

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "jsonl"))
            && p.file_name().unwrap() != "README.md"
        {
            out.push(p);
        }
    }
}

#[test]
fn every_seed_file_parses_with_unique_ids_and_known_schemes() {
    let mut paths = Vec::new();
    files(Path::new("knowledge-base"), &mut paths);
    let mut ids = HashSet::new();
    let mut by_kind: HashMap<String, usize> = HashMap::new();
    let mut examples: HashMap<String, usize> = HashMap::new();
    for p in &paths {
        let docs = parse_file(p).unwrap_or_else(|e| panic!("{e}"));
        for d in docs {
            assert!(ids.insert(d.id.clone()), "duplicate id {}", d.id);
            for s in &d.schemes {
                assert!(
                    SCHEMES.contains(&s.as_str()),
                    "{}: unknown scheme {s}",
                    d.id
                );
            }
            assert!(
                !chunk(&d.text, ChunkParams::default()).is_empty(),
                "{} has no chunks",
                d.id
            );
            *by_kind.entry(d.kind.clone()).or_default() += 1;
            if d.kind == "example" {
                *examples.entry(d.schemes[0].clone()).or_default() += 1;
            }
        }
    }
    assert_eq!(by_kind["pattern"], 6);
    assert!(by_kind["case"] >= 10, "{by_kind:?}");
    assert!(by_kind["regulation"] >= 12, "{by_kind:?}");
    for s in SCHEMES {
        let want = if *s == "none" { 40 } else { 15 };
        assert!(
            examples.get(*s).copied().unwrap_or(0) >= want,
            "{s}: {examples:?}"
        );
    }
}

#[test]
fn the_lexicon_is_valid_toml_with_enough_terms() {
    let text = std::fs::read_to_string("knowledge-base/lexicon.toml").unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    let terms = v["term"].as_array().unwrap();
    assert!(terms.len() >= 60);
    for t in terms {
        assert!(t["canonical"].as_str().is_some_and(|c| !c.is_empty()));
        for s in t["schemes"].as_array().unwrap() {
            assert!(SCHEMES.contains(&s.as_str().unwrap()));
        }
    }
}
