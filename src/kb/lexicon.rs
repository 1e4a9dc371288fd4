//! The slang lexicon (暗语): variant spellings → canonical terms.
//!
//! Gangs write 征信 as "zx", 催收 as "崔收", split characters with spaces or
//! emoji to dodge keyword filters. Matching happens on a normalised form —
//! lower case, full-width folded, whitespace, punctuation and symbols
//! removed — so `knowledge-base/lexicon.toml` lists distinct spellings only.
//! Short Latin variants ("zx", "cs") only match as whole Latin words, so
//! "zxy" or "docs" do not.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Term {
    pub canonical: String,
    #[serde(default)]
    pub variants: Vec<String>,
    #[serde(default)]
    pub schemes: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
struct File {
    /// Words also recognised by their sound (谐音), besides the canonical
    /// terms: see `assess::soundalike`.
    #[serde(default)]
    soundalike: Vec<String>,
    term: Vec<Term>,
}

#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    pub terms: Vec<Term>,
    /// Everyday words gangs disguise by sound (投诉 → 头诉), recognised by
    /// their pinyin like the canonical terms; 2–6 ideographs each.
    pub soundalike: Vec<String>,
    /// (normalised spelling, term index), longest first
    spellings: Vec<(Vec<char>, usize)>,
}

/// Lower case, full-width ASCII folded to half-width, and only letters,
/// digits and CJK ideographs kept.
pub fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// A CJK unified ideograph (basic block and extension A).
fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
}

impl Lexicon {
    /// The words to recognise by sound: the canonical terms and the
    /// curated sound-alike list (the recogniser keeps those of 2–6
    /// ideographs).
    pub fn sound_words(&self) -> impl Iterator<Item = &str> {
        self.terms
            .iter()
            .map(|t| t.canonical.as_str())
            .chain(self.soundalike.iter().map(String::as_str))
    }
}

impl Lexicon {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file: File = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for w in &file.soundalike {
            let n = w.chars().count();
            if !(2..=6).contains(&n) || !w.chars().all(is_ideograph) {
                return Err(format!(
                    "{}: soundalike word '{w}' must be 2 to 6 Chinese characters",
                    path.display()
                ));
            }
        }
        let mut lexicon = Self::new(file.term);
        lexicon.soundalike = file.soundalike;
        Ok(lexicon)
    }

    pub fn new(terms: Vec<Term>) -> Self {
        let mut spellings = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            for s in std::iter::once(&t.canonical).chain(&t.variants) {
                let n = normalise(s);
                if !n.is_empty() {
                    spellings.push((n, i));
                }
            }
        }
        spellings.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        Self {
            terms,
            soundalike: Vec::new(),
            spellings,
        }
    }

    /// Indexes of the terms whose spellings occur in `text`.
    pub fn find(&self, text: &str) -> Vec<usize> {
        let hay = normalise(text);
        let mut found = Vec::new();
        for (sp, term) in &self.spellings {
            if found.contains(term) || sp.len() > hay.len() {
                continue;
            }
            let latin = sp.iter().all(|c| c.is_ascii_alphanumeric());
            let hit = (0..=hay.len() - sp.len()).any(|i| {
                hay[i..i + sp.len()] == sp[..]
                    && (!latin
                        || ((i == 0 || !hay[i - 1].is_ascii_alphabetic())
                            && hay
                                .get(i + sp.len())
                                .is_none_or(|c| !c.is_ascii_alphabetic())))
            });
            if hit {
                found.push(*term);
            }
        }
        found
    }

    /// `query` followed by the canonical terms of the slang it contains,
    /// so "zx能洗白吗" also searches for 征信 and 征信修复.
    pub fn expand(&self, query: &str) -> String {
        let mut out = query.to_string();
        for t in self.find(query) {
            let c = &self.terms[t].canonical;
            if !query.contains(c.as_str()) {
                out.push(' ');
                out.push_str(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> Lexicon {
        Lexicon::new(vec![
            Term {
                canonical: "征信".into(),
                variants: vec!["zx".into()],
                schemes: vec![],
                note: String::new(),
            },
            Term {
                canonical: "催收".into(),
                variants: vec!["崔收".into(), "cs".into()],
                schemes: vec![],
                note: String::new(),
            },
            Term {
                canonical: "征信修复".into(),
                variants: vec!["zx修复".into()],
                schemes: vec!["credit_repair_scam".into()],
                note: String::new(),
            },
        ])
    }

    #[test]
    fn variants_match_through_spacing_symbols_and_width() {
        let l = lex();
        assert_eq!(l.expand("ｚｘ 修 😀 复"), "ｚｘ 修 😀 复 征信修复 征信");
        assert!(l.expand("崔-收天天打").contains("催收"));
        assert_eq!(
            l.expand("征信修复"),
            "征信修复",
            "terms already in the query are not repeated"
        );
    }

    #[test]
    fn short_latin_variants_need_word_boundaries() {
        let l = lex();
        assert!(l.find("read the docs").is_empty());
        assert!(l.find("zxy公司").is_empty());
        assert_eq!(l.find("找cs老师").len(), 1);
    }

    #[test]
    fn a_soundalike_word_that_is_not_2_to_6_ideographs_is_refused() {
        let dir = std::env::temp_dir().join(format!("cg-lex-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for bad in ["投", "zx征信", "一二三四五六七"] {
            let path = dir.join("lexicon.toml");
            std::fs::write(
                &path,
                format!("soundalike = [\"{bad}\"]\n[[term]]\ncanonical = \"征信\"\n"),
            )
            .unwrap();
            let err = Lexicon::load(&path).unwrap_err();
            assert!(err.contains(bad) && err.contains("2 to 6"), "{err}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_seed_lexicon_loads() {
        let l = Lexicon::load(Path::new("knowledge-base/lexicon.toml")).unwrap();
        assert!(l.terms.len() >= 60);
        let found: Vec<&str> = l
            .find("zx能洗白吗")
            .iter()
            .map(|&i| l.terms[i].canonical.as_str())
            .collect();
        assert!(found.contains(&"征信"), "{found:?}");
        assert!(l.soundalike.iter().any(|w| w == "投诉"));
    }
}
