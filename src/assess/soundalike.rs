//! Sound-alike spellings (谐音): 头诉 for 投诉, 贷宽 for 贷款, 中届 or
//! 中jie for 中介.
//!
//! Gangs dodge keyword filters by writing a word with other characters of
//! the same sound, or with one syllable in pinyin. Listing every such
//! spelling in the lexicon cannot keep up, so the words curators name (the
//! lexicon's canonical terms and its `soundalike` list) are also recognised
//! by their sound: a run of characters whose toneless pinyin is the word's,
//! with at least one character of the word itself, is repaired to the word
//! in the normalised text. Everything downstream — cues, slang, curated
//! role cues, the embedded form — then reads 投诉, while evidence still
//! quotes the customer's own 头诉 (the normalised text keeps its map).
//!
//! Real words are left alone: 预期 sounds like 逾期 and 见面 like 减免, so a
//! run that is itself a dictionary word, or that does not sit on word
//! boundaries of the text's segmentation (被债主 is 被 + 债主, not 背债),
//! is not a disguise. The segmenter and its dictionary are jieba's.

use std::collections::HashMap;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use pinyin::ToPinyinMulti;

use super::normalize::{Normalized, is_cjk};

/// jieba's default dictionary, loaded once per process.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// The toneless reading of an ideograph: its first, common one. The
/// other readings of 多音字 in the data include rare ones (款 as xin, 不 as
/// fu) that would make 借新 sound like 借款, so a disguise of a 多音字 read
/// its other way (银航 for 银行) is left to the lexicon's variants.
fn readings(c: char) -> Vec<&'static str> {
    c.to_pinyin_multi()
        .and_then(|m| m.into_iter().next())
        .map(|p| vec![p.plain()])
        .unwrap_or_default()
}

/// One word to recognise by sound.
struct Word {
    chars: Vec<char>,
    /// Per char, its toneless readings.
    sounds: Vec<Vec<&'static str>>,
}

/// A unit of the text: one ideograph, or a run of ASCII letters standing
/// for one syllable.
struct Unit {
    /// Char range in the normalised text.
    from: usize,
    to: usize,
    /// The ideograph, if it is one.
    han: Option<char>,
    /// What it may sound like.
    sounds: Vec<&'static str>,
    /// The letters, for an ASCII run.
    latin: String,
}

impl Unit {
    fn sounds_like(&self, sounds: &[&'static str]) -> bool {
        if self.han.is_some() {
            self.sounds.iter().any(|s| sounds.contains(s))
        } else {
            sounds.contains(&self.latin.as_str())
        }
    }
}

/// The words to recognise, indexed by the sounds of their first char.
#[derive(Default)]
pub struct SoundAlike {
    words: Vec<Word>,
    by_first: HashMap<&'static str, Vec<usize>>,
}

impl std::fmt::Debug for SoundAlike {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoundAlike")
            .field("words", &self.words.len())
            .finish()
    }
}

impl SoundAlike {
    /// Words of 2–6 ideographs; anything else is skipped (validation of the
    /// curated list happens where it is loaded).
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut out = Self::default();
        let mut seen: Vec<Vec<char>> = Vec::new();
        for w in words {
            let chars: Vec<char> = w.chars().collect();
            if !(2..=6).contains(&chars.len())
                || !chars.iter().all(|&c| is_cjk(c))
                || seen.contains(&chars)
            {
                continue;
            }
            let sounds: Vec<Vec<&'static str>> = chars.iter().map(|&c| readings(c)).collect();
            if sounds.iter().any(Vec::is_empty) {
                continue;
            }
            seen.push(chars.clone());
            let i = out.words.len();
            for s in &sounds[0] {
                out.by_first.entry(s).or_default().push(i);
            }
            out.words.push(Word { chars, sounds });
        }
        // Longest first, so 停息挂账 wins over a shorter word inside it.
        for list in out.by_first.values_mut() {
            list.sort_by(|&a, &b| {
                out.words[b]
                    .chars
                    .len()
                    .cmp(&out.words[a].chars.len())
                    .then(a.cmp(&b))
            });
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// `n` with every sound-alike run repaired to the word it stands for.
    pub fn repair(&self, n: Normalized) -> Normalized {
        if self.words.is_empty() {
            return n;
        }
        let units = units(&n.text);
        if units.len() < 2 {
            return n;
        }
        let boundaries = boundaries(&n.text);
        let mut edits: Vec<(usize, usize, char)> = Vec::new();
        let mut i = 0;
        while i < units.len() {
            match self.word_at(&units, i, &boundaries) {
                Some(w) => {
                    let word = &self.words[w];
                    for (k, u) in units[i..i + word.chars.len()].iter().enumerate() {
                        if u.han != Some(word.chars[k]) {
                            edits.push((u.from, u.to, word.chars[k]));
                        }
                    }
                    i += word.chars.len();
                }
                None => i += 1,
            }
        }
        if edits.is_empty() {
            n
        } else {
            n.replace_runs(&edits)
        }
    }

    /// The word that the units from `i` disguise, if any.
    fn word_at(&self, units: &[Unit], i: usize, boundaries: &[bool]) -> Option<usize> {
        // One reading per unit (see `readings`), and each first-sound list
        // is already longest first.
        let first = &units[i];
        let key = match first.han {
            Some(_) => first.sounds.first().copied(),
            None => Some(first.latin.as_str()),
        };
        let candidates = key
            .and_then(|k| self.by_first.get(k))
            .map_or(&[][..], Vec::as_slice);
        candidates.iter().copied().find(|&w| {
            let word = &self.words[w];
            let k = word.chars.len();
            let Some(run) = units.get(i..i + k) else {
                return false;
            };
            if !run.iter().zip(&word.sounds).all(|(u, s)| u.sounds_like(s)) {
                return false;
            }
            let same = run
                .iter()
                .zip(&word.chars)
                .filter(|(u, c)| u.han == Some(**c))
                .count();
            // Already the word; or nothing of the word left; or more
            // changed than kept (a disguise keeps the word recognisable).
            if same == k || same == 0 || (k - same) > (k / 2).max(1) {
                return false;
            }
            // On word boundaries of the segmentation, and not a real word.
            if !boundaries[run[0].from] || !boundaries[run[k - 1].to] {
                return false;
            }
            let han: Option<String> = run.iter().map(|u| u.han).collect();
            han.is_none_or(|s| !JIEBA.has_word(&s))
        })
    }
}

/// Ideographs one by one, ASCII letter runs of up to 6 letters as one unit;
/// other chars break the sequence (a unit with no sound).
fn units(text: &str) -> Vec<Unit> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            out.push(Unit {
                from: i,
                to: i + 1,
                han: Some(c),
                sounds: readings(c),
                latin: String::new(),
            });
            i += 1;
        } else if c.is_ascii_alphabetic() {
            let end = (i..chars.len())
                .find(|&j| !chars[j].is_ascii_alphabetic())
                .unwrap_or(chars.len());
            let latin: String = chars[i..end].iter().collect();
            out.push(Unit {
                from: i,
                to: end,
                han: None,
                sounds: Vec::new(),
                latin: if end - i <= 6 { latin } else { String::new() },
            });
            i = end;
        } else {
            out.push(Unit {
                from: i,
                to: i + 1,
                han: None,
                sounds: Vec::new(),
                latin: String::new(),
            });
            i += 1;
        }
    }
    out
}

/// For each char position (and the end), whether jieba's segmentation of
/// the text has a word boundary there.
fn boundaries(text: &str) -> Vec<bool> {
    let len = text.chars().count();
    let mut b = vec![false; len + 1];
    b[0] = true;
    let mut at = 0;
    for token in JIEBA.cut(text, false) {
        at += token.chars().count();
        if at <= len {
            b[at] = true;
        }
    }
    b[len] = true;
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::normalize::normalize;

    fn words() -> SoundAlike {
        SoundAlike::new([
            "投诉",
            "贷款",
            "中介",
            "逾期",
            "减免",
            "背债",
            "退保",
            "银行",
            "停息挂账",
            "借款",
            "包下款",
        ])
    }

    fn repaired(text: &str) -> String {
        words().repair(normalize(text)).text
    }

    #[test]
    fn sound_alike_spellings_are_repaired() {
        assert_eq!(repaired("他们天天头诉我"), "他们天天投诉我");
        assert_eq!(repaired("找了个中届办贷宽"), "找了个中介办贷款");
        assert_eq!(repaired("代理腿保"), "代理退保");
        assert_eq!(repaired("银hang不给我挺息挂账"), "银hang不给我停息挂账");
        assert_eq!(repaired("中jie说"), "中介说");
    }

    #[test]
    fn real_words_and_words_across_boundaries_stay() {
        // 预期 (expected) sounds like 逾期, 见面 (meet) like 减免.
        assert_eq!(repaired("收入低于预期"), "收入低于预期");
        assert_eq!(repaired("想和你们见面谈"), "想和你们见面谈");
        // 被 + 债主, not 背债.
        assert_eq!(repaired("我被债主起诉了"), "我被债主起诉了");
        // The word itself, and text with nothing of the word, are untouched.
        assert_eq!(repaired("我要投诉"), "我要投诉");
        // Rare readings of 多音字 do not count (款 is also listed as xin).
        assert_eq!(repaired("办理借新还旧"), "办理借新还旧");
        assert_eq!(repaired("贷不下款"), "贷不下款");
    }

    #[test]
    fn evidence_still_quotes_the_original() {
        let original = "天天头 诉我";
        let n = words().repair(normalize(original));
        let b = n.text.find("投诉").unwrap();
        let (s, e) = n.original_span_of_bytes(b, b + "投诉".len());
        assert_eq!(&original[s..e], "头 诉");
        let original = "找中jie说";
        let n = words().repair(normalize(original));
        assert_eq!(n.text, "找中介说");
        let (s, e) = n.original_span(1, 3);
        assert_eq!(&original[s..e], "中jie");
    }
}
