//! Chinese-aware chunking.
//!
//! Text is cut at sentence ends (。！？；!?; and line breaks), never inside a
//! character; sentences are packed into chunks of about `target` characters
//! and consecutive chunks share their last sentences up to `overlap`
//! characters, so a fact that straddles a boundary is still found whole.
//! A sentence longer than `max` is split by characters. Markdown headings
//! are not chunk text: each chunk carries the heading it falls under.

#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub index: u32,
    pub heading: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, Copy)]
pub struct ChunkParams {
    /// Aim for chunks of about this many characters.
    pub target: usize,
    /// Characters of trailing context repeated at the start of the next chunk.
    pub overlap: usize,
    /// Hard limit for one piece of a sentence.
    pub max: usize,
}

impl Default for ChunkParams {
    fn default() -> Self {
        Self {
            target: 300,
            overlap: 60,
            max: 450,
        }
    }
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n')
}

/// Sentences of a paragraph, each keeping its closing punctuation.
fn sentences(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut n = 0;
    for c in text.chars() {
        if c == '\n' {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
            n = 0;
            continue;
        }
        cur.push(c);
        n += 1;
        // closing quotes and brackets stay with their sentence
        if is_sentence_end(c) || n >= max {
            out.push(cur.trim().to_string());
            cur.clear();
            n = 0;
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    // attach closing quotes that ended up alone at the start of a sentence
    let mut merged: Vec<String> = Vec::with_capacity(out.len());
    for s in out.into_iter().filter(|s| !s.is_empty()) {
        let lead: String = s
            .chars()
            .take_while(|c| matches!(c, '”' | '」' | '』' | '）' | ')' | '"'))
            .collect();
        if !lead.is_empty() && !merged.is_empty() {
            merged.last_mut().expect("checked").push_str(&lead);
            let rest = s[lead.len()..].trim().to_string();
            if !rest.is_empty() {
                merged.push(rest);
            }
        } else {
            merged.push(s);
        }
    }
    merged
}

fn heading_of(line: &str) -> Option<String> {
    let t = line.trim_start();
    let hashes = t.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
        Some(t[hashes..].trim().to_string())
    } else {
        None
    }
}

/// Cut `text` into chunks (see the module comment).
pub fn chunk(text: &str, params: ChunkParams) -> Vec<Chunk> {
    // sections: (heading, body)
    let mut sections: Vec<(Option<String>, String)> = vec![(None, String::new())];
    for line in text.lines() {
        if let Some(h) = heading_of(line) {
            sections.push((Some(h), String::new()));
        } else {
            let body = &mut sections.last_mut().expect("one section").1;
            body.push_str(line);
            body.push('\n');
        }
    }
    let mut chunks = Vec::new();
    for (heading, body) in sections {
        let sents = sentences(&body, params.max);
        let mut cur: Vec<String> = Vec::new();
        let mut cur_len = 0;
        let mut fresh = 0; // sentences in `cur` not yet emitted in an earlier chunk
        for s in sents {
            let len = s.chars().count();
            if cur_len + len > params.target && fresh > 0 {
                chunks.push(Chunk {
                    index: chunks.len() as u32,
                    heading: heading.clone(),
                    text: cur.concat(),
                });
                // keep the tail as overlap
                let mut keep = Vec::new();
                let mut kept = 0;
                for prev in cur.iter().rev() {
                    let l = prev.chars().count();
                    if kept + l > params.overlap {
                        break;
                    }
                    kept += l;
                    keep.push(prev.clone());
                }
                keep.reverse();
                cur = keep;
                cur_len = kept;
                fresh = 0;
            }
            cur.push(s);
            cur_len += len;
            fresh += 1;
        }
        if fresh > 0 {
            chunks.push(Chunk {
                index: chunks.len() as u32,
                heading: heading.clone(),
                text: cur.concat(),
            });
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_chinese_sentence_ends_with_overlap() {
        let s = "第一句话说明背景。第二句话描述经过！第三句话提出诉求？第四句话是补充；第五句。";
        let c = chunk(
            s,
            ChunkParams {
                target: 20,
                overlap: 10,
                max: 50,
            },
        );
        assert!(c.len() >= 2, "{c:?}");
        for ch in &c {
            assert!(ch.text.ends_with(['。', '！', '？', '；']), "{:?}", ch.text);
        }
        // 9+9 characters fill the first chunk; the second repeats the last
        // sentence that fits in the 10-character overlap
        assert_eq!(c[0].text, "第一句话说明背景。第二句话描述经过！");
        assert!(
            c[1].text.starts_with("第二句话描述经过！第三句"),
            "{:?}",
            c[1].text
        );
        let all: String = c.iter().map(|c| c.text.clone()).collect();
        for part in ["第一句话说明背景。", "第五句。"] {
            assert!(all.contains(part));
        }
    }

    #[test]
    fn never_cuts_a_character_and_limits_long_sentences() {
        let long: String = "征信".repeat(400); // 800 chars, no punctuation
        let c = chunk(
            &long,
            ChunkParams {
                target: 300,
                overlap: 0,
                max: 450,
            },
        );
        assert!(c.len() >= 2);
        for ch in &c {
            assert!(ch.text.chars().count() <= 450);
        }
        assert_eq!(c.iter().map(|c| c.text.chars().count()).sum::<usize>(), 800);
    }

    #[test]
    fn headings_become_context_not_text() {
        let md = "# 非法代理维权\n\n## 识别要点\n投诉内容高度模板化。多次提到12378。\n\n## 处置建议\n核实客户本人意愿。";
        let c = chunk(md, ChunkParams::default());
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].heading.as_deref(), Some("识别要点"));
        assert_eq!(c[1].heading.as_deref(), Some("处置建议"));
        assert!(!c[0].text.contains('#'));
        assert_eq!(c[1].index, 1);
    }

    #[test]
    fn empty_text_has_no_chunks() {
        assert!(chunk("", ChunkParams::default()).is_empty());
        assert!(chunk("\n\n  \n", ChunkParams::default()).is_empty());
    }
}
