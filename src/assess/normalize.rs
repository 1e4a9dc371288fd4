//! Normalisation for matching, with a map back to the original text.
//!
//! Gangs dodge keyword filters by writing 征信 as "征 信", "征.信", "征*信",
//! "停💰息", in full-width letters ("ＺＸ") or in traditional characters
//! (徵信). Every cue in `signals` is matched on one canonical form instead,
//! but the evidence shown to a handler or a lawyer must quote the customer's
//! own words. So each normalised char remembers the byte range of the
//! original char it came from, and a match in the normalised text maps back
//! to an exact slice of the original.
//!
//! The normal form: full-width ASCII and the ideographic space folded to
//! half-width, traditional → simplified Chinese (char for char, `fast2s`),
//! lower case, and filler removed: whitespace, zero-width and format chars,
//! emoji, and symbols such as `*`, `·`, `_`, `|`, `/`, quotes and brackets.
//! Sentence punctuation (。，！？；：、… and their ASCII forms) is kept because
//! sentence windows need it, with two exceptions where it is filler rather
//! than punctuation: an ASCII dot between two letters or ideographs (`征.信`),
//! and punctuation splitting a run of single ideographs (`停,息,挂,账`).
//! Whitespace survives only as one space between two ASCII letters or
//! digits, so that "tx gz" stays two words.

/// A normalised text and, for each of its chars, where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// For each char of `text`, the byte range [start, end) in the original.
    map: Vec<(usize, usize)>,
    /// Byte offset in `text` of each char of `text`.
    starts: Vec<usize>,
    /// Byte length of the original.
    original_len: usize,
}

/// How a (folded, simplified, lower-cased) char takes part in matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Letters, digits, ideographs: always kept.
    Word,
    /// `%`: kept, but not a word char for the boundary rules.
    Keep,
    /// `.`: kept unless it sits inside a word.
    Dot,
    /// Sentence punctuation: kept unless it splits single ideographs.
    Punct,
    /// Whitespace: dropped, or one space between ASCII words.
    Space,
    /// Symbols, emoji, quotes, brackets: dropped.
    Symbol,
    /// Zero-width, format, combining and variation chars: dropped, and
    /// invisible to the look-around of the other rules.
    Invisible,
}

/// Full-width ASCII (U+FF01–U+FF5E) and the ideographic space to half-width.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FF61}' => '。',
        '\u{FF64}' => '、',
        _ => c,
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{061C}'
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
        | '\u{180B}'..='\u{180F}'       // Mongolian selectors and vowel separator
        | '\u{200B}'..='\u{200F}'       // zero-width space/joiners, marks
        | '\u{202A}'..='\u{202E}'       // bidi embeddings
        | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators
        | '\u{FE00}'..='\u{FE0F}'       // variation selectors
        | '\u{FEFF}'                    // BOM / zero-width no-break space
        | '\u{0300}'..='\u{036F}'       // combining diacritics
        | '\u{20D0}'..='\u{20FF}'       // combining marks for symbols (keycaps)
        | '\u{E0000}'..='\u{E007F}'     // tag characters
        | '\u{E0100}'..='\u{E01EF}'     // variation selectors supplement
    )
}

fn classify(c: char) -> Class {
    if is_invisible(c) {
        Class::Invisible
    } else if c.is_whitespace() {
        Class::Space
    } else if c.is_alphanumeric() {
        Class::Word
    } else if c == '%' {
        Class::Keep
    } else if c == '.' {
        Class::Dot
    } else if matches!(
        c,
        ',' | '!' | '?' | ';' | ':' | '。' | '、' | '…' | '\u{2025}'
    ) {
        Class::Punct
    } else {
        Class::Symbol
    }
}

/// CJK ideographs (the blocks complaint text uses).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}'
        | '〇'
    )
}

/// Non-digit word char: an ideograph or a letter.
fn is_wordy(c: char) -> bool {
    c.is_alphanumeric() && !c.is_numeric()
}

pub fn normalize(original: &str) -> Normalized {
    // Per original char: its byte range and its folded, simplified, lower-cased form.
    let ranges: Vec<(usize, usize)> = original
        .char_indices()
        .map(|(i, c)| (i, i + c.len_utf8()))
        .collect();
    let folded: String = original.chars().map(fold_width).collect();
    let simplified = fast2s::convert(&folded);
    // fast2s maps char for char; fall back to the folded text if that ever changed.
    let source: Vec<char> = if simplified.chars().count() == ranges.len() {
        simplified.chars().collect()
    } else {
        folded.chars().collect()
    };
    // One char in, at most one char out: take the first char of a multi-char lower case.
    let chars: Vec<char> = source
        .into_iter()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect();
    let classes: Vec<Class> = chars.iter().map(|&c| classify(c)).collect();

    // Next char at or after `i` that is not invisible/symbol (and, optionally, not space/dot).
    let next_significant = |from: usize, skip_space_and_dots: bool| -> Option<usize> {
        (from..chars.len()).find(|&j| match classes[j] {
            Class::Invisible | Class::Symbol => false,
            Class::Space | Class::Dot => !skip_space_and_dots,
            _ => true,
        })
    };
    // Length of the run of word chars starting at `from`, ignoring filler.
    let word_run_after = |from: usize| -> usize {
        classes[from..]
            .iter()
            .take_while(|c| {
                matches!(
                    c,
                    Class::Word | Class::Invisible | Class::Symbol | Class::Space
                )
            })
            .filter(|c| **c == Class::Word)
            .count()
    };

    let mut text = String::with_capacity(original.len());
    let mut map = Vec::with_capacity(ranges.len());
    let mut starts = Vec::with_capacity(ranges.len());
    let mut emit = |c: char, range: (usize, usize), text: &mut String| {
        starts.push(text.len());
        text.push(c);
        map.push(range);
    };
    // The last kept char, and how many word chars the original has had since
    // its last punctuation mark (kept or not).
    let mut prev: Option<char> = None;
    let mut segment_words = 0usize;

    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match classes[i] {
            Class::Word => {
                emit(c, ranges[i], &mut text);
                prev = Some(c);
                segment_words += 1;
            }
            Class::Keep => {
                emit(c, ranges[i], &mut text);
                prev = Some(c);
            }
            Class::Invisible | Class::Symbol => {}
            Class::Space => {
                // Collapse the run; keep one space only between ASCII words.
                let run_end = (i..chars.len())
                    .find(|&j| !matches!(classes[j], Class::Space | Class::Invisible))
                    .unwrap_or(chars.len());
                let next = next_significant(run_end, false).map(|j| chars[j]);
                if prev.is_some_and(|p| p.is_ascii_alphanumeric())
                    && next.is_some_and(|n| n.is_ascii_alphanumeric())
                {
                    emit(' ', ranges[i], &mut text);
                    prev = Some(' ');
                }
                i = run_end;
                continue;
            }
            Class::Dot => {
                let next = next_significant(i + 1, true).map(|j| chars[j]);
                let inside_word = prev.is_some_and(is_wordy) && next.is_some_and(is_wordy);
                if !inside_word {
                    emit(c, ranges[i], &mut text);
                    prev = Some(c);
                }
                segment_words = 0;
            }
            Class::Punct => {
                let next = next_significant(i + 1, true);
                let splits_single_ideographs = segment_words == 1
                    && prev.is_some_and(is_cjk)
                    && next.is_some_and(|j| is_cjk(chars[j]) && word_run_after(j) == 1);
                if !splits_single_ideographs {
                    emit(c, ranges[i], &mut text);
                    prev = Some(c);
                }
                segment_words = 0;
            }
        }
        i += 1;
    }

    Normalized {
        text,
        map,
        starts,
        original_len: original.len(),
    }
}

impl Normalized {
    /// Number of chars in the normalised text.
    pub fn char_len(&self) -> usize {
        self.map.len()
    }

    /// Original byte range [start, end) for the normalised char range [from, to).
    /// An empty or out-of-range request gives an empty range at the nearest
    /// original position.
    pub fn original_span(&self, from_char: usize, to_char: usize) -> (usize, usize) {
        let to_char = to_char.min(self.map.len());
        if from_char >= to_char {
            let at = self
                .map
                .get(from_char)
                .map(|r| r.0)
                .unwrap_or(self.original_len);
            return (at, at);
        }
        (self.map[from_char].0, self.map[to_char - 1].1)
    }

    /// Char index in `text` of the char that starts at (or contains) byte `byte`;
    /// `char_len()` for `byte >= text.len()`.
    pub fn char_at_byte(&self, byte: usize) -> usize {
        if byte >= self.text.len() {
            return self.map.len();
        }
        match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The same text with runs of chars replaced by one char each (a
    /// sound-alike spelling repaired to the word it stands for). `edits` are
    /// (first char, end char, replacement), sorted and not overlapping; each
    /// replacement keeps the original range of the run it replaces, so a
    /// match on the repaired text still quotes the customer's own words.
    pub fn replace_runs(&self, edits: &[(usize, usize, char)]) -> Normalized {
        let old: Vec<char> = self.text.chars().collect();
        let mut text = String::with_capacity(self.text.len());
        let mut map = Vec::with_capacity(self.map.len());
        let mut starts = Vec::with_capacity(self.map.len());
        let mut push = |c: char, range: (usize, usize), text: &mut String| {
            starts.push(text.len());
            text.push(c);
            map.push(range);
        };
        let mut i = 0;
        for &(from, to, c) in edits {
            if from < i || to <= from || to > old.len() {
                continue; // overlapping or out of range: keep the text as is
            }
            for (&c, &range) in old[i..from].iter().zip(&self.map[i..from]) {
                push(c, range, &mut text);
            }
            push(c, (self.map[from].0, self.map[to - 1].1), &mut text);
            i = to;
        }
        for (&c, &range) in old[i..].iter().zip(&self.map[i..]) {
            push(c, range, &mut text);
        }
        Normalized {
            text,
            map,
            starts,
            original_len: self.original_len,
        }
    }

    /// Original byte range for a byte range of `text` (as a regex match gives).
    pub fn original_span_of_bytes(&self, from_byte: usize, to_byte: usize) -> (usize, usize) {
        self.original_span(self.char_at_byte(from_byte), self.char_at_byte(to_byte))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The original slice behind the whole of the first occurrence of `needle`.
    fn original_of(n: &Normalized, original: &str, needle: &str) -> String {
        let b = n.text.find(needle).expect(needle);
        let (s, e) = n.original_span_of_bytes(b, b + needle.len());
        original[s..e].to_string()
    }

    #[test]
    fn filler_inside_words_is_removed_and_maps_back() {
        for (original, quoted) in [
            ("我想做征 信修复", "征 信修复"),
            ("征.信修复找我", "征.信修复"),
            ("征*信修复", "征*信修复"),
            ("征\u{200B}信修复", "征\u{200B}信修复"),
            ("征·信修复", "征·信修复"),
            ("征_信|修/复", "征_信|修/复"),
            ("可以停💰息挂账", "停💰息挂账"),
            ("征...信修复", "征...信修复"),
        ] {
            let n = normalize(original);
            assert!(
                n.text.contains("征信修复") || n.text.contains("停息挂账"),
                "{original} → {}",
                n.text
            );
            let needle = if n.text.contains("征信修复") {
                "征信修复"
            } else {
                "停息挂账"
            };
            assert_eq!(original_of(&n, original, needle), quoted, "{original}");
        }
    }

    #[test]
    fn full_width_and_case_fold_to_ascii_lower() {
        let original = "找ＺＸ老师，ＡＰＰ里１２３７８";
        let n = normalize(original);
        assert_eq!(n.text, "找zx老师,app里12378");
        assert_eq!(original_of(&n, original, "zx"), "ＺＸ");
        assert_eq!(original_of(&n, original, "12378"), "１２３７８");
    }

    #[test]
    fn traditional_characters_become_simplified_one_for_one() {
        let original = "徵信修復，停息掛賬，債務協商，代理維權，保險退保，銀行貸款";
        let n = normalize(original);
        assert_eq!(
            n.text,
            "征信修复,停息挂账,债务协商,代理维权,保险退保,银行贷款"
        );
        assert_eq!(n.char_len(), original.chars().count());
        assert_eq!(original_of(&n, original, "债务协商"), "債務協商");
    }

    #[test]
    fn sentence_punctuation_stays_between_real_clauses() {
        let n = normalize("我失业了，现在还在找工作。能不能分期？");
        assert_eq!(n.text, "我失业了,现在还在找工作。能不能分期?");
        // decimals, list numbers and percentages survive
        let n = normalize("年利率7.2%，要求：1.停止催收；2.减免");
        assert_eq!(n.text, "年利率7.2%,要求:1.停止催收;2.减免");
    }

    #[test]
    fn punctuation_between_single_ideographs_is_filler() {
        assert_eq!(normalize("停,息,挂,账").text, "停息挂账");
        assert_eq!(normalize("好，我知道了").text, "好,我知道了");
    }

    #[test]
    fn whitespace_survives_only_between_ascii_words() {
        assert_eq!(normalize("tx  gz 能办吗").text, "tx gz能办吗");
        assert_eq!(
            normalize("我要停息挂账 不然就去投诉").text,
            "我要停息挂账不然就去投诉"
        );
        assert_eq!(normalize("收入\n证明").text, "收入证明");
        assert_eq!(normalize("　征　信　").text, "征信");
    }

    #[test]
    fn emoji_and_symbols_are_dropped_even_multi_codepoint() {
        let original = "👨‍👩‍👧停✨息🇨🇳挂1️⃣账";
        let n = normalize(original);
        assert_eq!(n.text, "停息挂1账");
        assert_eq!(original_of(&n, original, "停息"), "停✨息");
    }

    #[test]
    fn spans_never_split_a_multibyte_char() {
        let original = "ａ😀征　信🙂ｂ";
        let n = normalize(original);
        for i in 0..n.char_len() {
            for j in i..=n.char_len() {
                let (s, e) = n.original_span(i, j);
                assert!(original.is_char_boundary(s) && original.is_char_boundary(e));
                assert!(s <= e && e <= original.len());
            }
        }
        assert_eq!(n.text, "a征信b");
        assert_eq!(n.original_span(0, n.char_len()), (0, original.len()));
        assert_eq!(
            n.original_span(1, 3),
            ("ａ😀".len(), original.len() - "🙂ｂ".len())
        );
    }

    #[test]
    fn empty_and_out_of_range_requests_are_empty_ranges() {
        let n = normalize("");
        assert_eq!(n.text, "");
        assert_eq!(n.original_span(0, 3), (0, 0));
        let n = normalize("征信");
        assert_eq!(n.original_span(5, 9), (6, 6));
        assert_eq!(n.original_span(1, 1), (3, 3));
    }
}
