//! The evidence chain of one assessment: facts found in the text, and
//! doubts (疑点) — each raised by a signal, tied to the facts in the same
//! sentence and to the knowledge-base chunks (pattern cards, cases,
//! regulations) that explain why it matters. Quoted text is masked.

use serde::{Deserialize, Serialize};

use super::facts::{Fact, extract_facts, mask_pii};
use crate::assess::pipeline::Citation;
use crate::assess::signals::{Signal, SignalKind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Doubt {
    /// "D1", "D2"…
    pub id: String,
    /// What is doubtful and why, in one or two sentences.
    pub statement: String,
    pub signal: SignalKind,
    /// The quoted words (masked), when the doubt comes from the text.
    pub quote: Option<String>,
    /// Byte range of the quote in the original text.
    pub span: Option<(usize, usize)>,
    /// Facts (ids) in the same sentence.
    pub fact_ids: Vec<String>,
    /// Knowledge-base citations (ids) that support the doubt.
    pub citation_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    pub facts: Vec<Fact>,
    pub doubts: Vec<Doubt>,
}

/// Byte range of the sentence around `[start, end)`.
fn sentence_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let is_end = |c: char| matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n');
    let from = text[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| is_end(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let to = text[end..]
        .char_indices()
        .find(|(_, c)| is_end(*c))
        .map_or(text.len(), |(i, _)| end + i);
    (from, to)
}

/// Build the chain: facts, then one doubt per fraud cue (strongest first),
/// linked to facts and citations. `top_scheme` orders the citations: the
/// top scheme's own card and cases come first.
pub fn build(text: &str, signals: &[Signal], citations: &[Citation], top_scheme: &str) -> Evidence {
    let facts = extract_facts(text);
    let mut cues: Vec<&Signal> = signals.iter().filter(|s| s.is_fraud_cue()).collect();
    cues.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let doubts = cues
        .iter()
        .take(12)
        .enumerate()
        .map(|(i, s)| {
            let (quote, span, fact_ids) = match &s.span {
                Some(sp) => {
                    let (from, to) = sentence_around(text, sp.start, sp.end);
                    let ids = facts
                        .iter()
                        .filter(|f| f.span.start < to && f.span.end > from)
                        .map(|f| f.id.clone())
                        .collect();
                    (Some(mask_pii(&sp.text)), Some((sp.start, sp.end)), ids)
                }
                None => (None, None, Vec::new()),
            };
            let mut support: Vec<&Citation> = citations
                .iter()
                .filter(|c| c.schemes.iter().any(|x| s.schemes.contains(x)))
                .collect();
            support.sort_by_key(|c| {
                (
                    !c.schemes.iter().any(|x| x == top_scheme),
                    match c.kind.as_str() {
                        "pattern" => 0,
                        "case" => 1,
                        "regulation" => 2,
                        _ => 3,
                    },
                )
            });
            let statement = match &quote {
                Some(q) => format!("{}：“{}”。{}", s.label, q, s.explanation),
                None => format!("{}。{}", s.label, s.explanation),
            };
            Doubt {
                id: format!("D{}", i + 1),
                statement,
                signal: s.kind,
                quote,
                span,
                fact_ids,
                citation_ids: support.iter().take(3).map(|c| c.id.clone()).collect(),
            }
        })
        .collect();
    Evidence { facts, doubts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_bounds() {
        let t = "第一句。第二句有电话！第三句";
        let start = t.find("电话").unwrap();
        let (a, b) = sentence_around(t, start, start + "电话".len());
        assert_eq!(&t[a..b], "第二句有电话");
        let (a, b) = sentence_around(t, 0, 3);
        assert_eq!(&t[a..b], "第一句");
    }
}
