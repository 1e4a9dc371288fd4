//! Grounding for the machine-drafted evidence narrative (证据摘要).
//!
//! A small local base model (Gemma 3 270M, not instruction tuned) turns an
//! assessment's facts, doubts and knowledge-base citations into a few
//! Chinese sentences for the legal team. Such a model invents freely, so the
//! narrative is only usable when every sentence is tied to material that was
//! actually retrieved, and nothing else:
//!
//! - [`prompt`] is a completion-style prompt (one worked example, then the
//!   real material with ids `[F1]`, `[D1]`, `[K1]`), short enough for the
//!   model, built only from masked values;
//! - [`allowed_ids`] is exactly the set of ids that prompt shows;
//! - [`SentenceFilter`] reads the generated text as it streams, cuts it into
//!   sentences, keeps a sentence only if it cites at least one allowed id,
//!   strips (and flags) ids that were never shown, drops the rest with a
//!   reason, and tells the caller when to stop generating (a new section, a
//!   repeated sentence, enough sentences);
//! - [`Draft`] is the result, always marked as a machine draft.

use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::facts::{FactKind, mask_pii};
use crate::assess::grade::{Grade, INSUFFICIENT};
use crate::assess::pipeline::Assessment;
use crate::assess::signals::Channel;

/// Longest prompt, in characters; the model is small.
pub const PROMPT_BUDGET: usize = 1500;
/// Sentences kept before [`SentenceFilter::should_stop`] says stop.
pub const DEFAULT_MAX_SENTENCES: usize = 6;
/// Longest sentence, in characters; a longer run without a sentence end is
/// cut there (a base model can ramble without punctuation).
const MAX_SENTENCE_CHARS: usize = 200;
/// Longest knowledge-base line content (title + excerpt), in characters.
const CITATION_CHARS: usize = 80;
const FACT_CHARS: usize = 30;
const DOUBT_CHARS: usize = 70;
/// The most citations the prompt shows.
const MAX_CITATIONS: usize = 6;
const MAX_FACTS: usize = 10;
const MAX_DOUBTS: usize = 5;
/// Longest bracket group still read as a citation group, in characters.
const MAX_GROUP_CHARS: usize = 32;

// ------------------------------------------------------------------ prompt

const INTRO: &str = "下面是反欺诈调查员根据案件材料写的证据摘要。每句话只写材料中有的内容，句末用方括号注明依据的材料编号。\n\n";

/// An invented case (a different scheme from most real ones) with its own
/// material and a three-sentence summary in the expected shape.
const EXAMPLE: &str = "【示例】
类型：客户投诉
材料：
[F1] 金额：2000元
[F2] 渠道：微信
[D1] 收取前期费用：“先交2000元服务费，保证删除逾期记录”。付费删除真实记录是征信修复骗局的典型话术。
[K1] 模式·征信修复骗局：中介谎称有内部渠道可删除不良记录，收费后失联
[K2] 案例·批量异议申请：中介以客户名义批量提交虚假异议
判断：征信修复（红色）
证据摘要：
1. 对方通过微信联系投诉人，要求先交2000元服务费[F1][F2][D1]。
2. 对方承诺删除逾期记录，符合征信修复骗局的话术[D1][K1]。
3. 已有中介批量提交虚假异议的同类案例[K2]。

";

/// One numbered line of material.
#[derive(Debug, Clone)]
struct Item {
    id: String,
    line: String,
}

/// The material the prompt shows, already truncated to the budget.
#[derive(Debug, Clone, Default)]
struct Material {
    facts: Vec<Item>,
    doubts: Vec<Item>,
    citations: Vec<Item>,
}

impl Material {
    fn of(a: &Assessment) -> Self {
        let facts = a
            .evidence
            .facts
            .iter()
            .take(MAX_FACTS)
            .map(|f| Item {
                id: f.id.clone(),
                line: format!(
                    "[{}] {}：{}",
                    f.id,
                    fact_kind_label(f.kind),
                    clip(&clean(&f.value), FACT_CHARS)
                ),
            })
            .collect();
        let doubts = a
            .evidence
            .doubts
            .iter()
            .take(MAX_DOUBTS)
            .map(|d| Item {
                id: d.id.clone(),
                line: format!("[{}] {}", d.id, clip(&clean(&d.statement), DOUBT_CHARS)),
            })
            .collect();
        let citations = a
            .citations
            .iter()
            .take(MAX_CITATIONS)
            .map(|c| {
                let content = format!(
                    "{}·{}：{}",
                    citation_kind_label(&c.kind),
                    clean(&c.title),
                    clean(&c.excerpt)
                );
                Item {
                    id: c.id.clone(),
                    line: format!("[{}] {}", c.id, clip(&content, CITATION_CHARS)),
                }
            })
            .collect();
        let mut m = Self {
            facts,
            doubts,
            citations,
        };
        // Over budget: drop the last item of the longest list (keeping one
        // of each) until the prompt fits.
        while m.render_chars(a) > PROMPT_BUDGET {
            let lists = [&mut m.facts, &mut m.citations, &mut m.doubts];
            let Some(longest) = lists
                .into_iter()
                .filter(|l| l.len() > 1)
                .max_by_key(|l| l.iter().map(|i| i.line.chars().count()).sum::<usize>())
            else {
                break;
            };
            longest.pop();
        }
        m
    }

    fn ids(&self) -> BTreeSet<String> {
        self.facts
            .iter()
            .chain(&self.doubts)
            .chain(&self.citations)
            .map(|i| i.id.clone())
            .collect()
    }

    fn lines(&self) -> Vec<String> {
        self.facts
            .iter()
            .chain(&self.doubts)
            .chain(&self.citations)
            .map(|i| i.line.clone())
            .collect()
    }

    fn render(&self, a: &Assessment) -> String {
        let mut s = String::with_capacity(4 * PROMPT_BUDGET);
        s.push_str(INTRO);
        s.push_str(EXAMPLE);
        s.push_str("【本案】\n类型：");
        s.push_str(channel_label(a.kind));
        s.push_str("\n材料：\n");
        if self.facts.is_empty() && self.doubts.is_empty() && self.citations.is_empty() {
            s.push_str("（无）\n");
        }
        for i in self.facts.iter().chain(&self.doubts).chain(&self.citations) {
            s.push_str(&i.line);
            s.push('\n');
        }
        s.push_str("判断：");
        s.push_str(&verdict(a));
        s.push_str("\n证据摘要：\n1. ");
        s
    }

    fn render_chars(&self, a: &Assessment) -> usize {
        self.render(a).chars().count()
    }
}

/// The scheme and grade line of the prompt, e.g. "代理退保（红色，置信度 86%）".
fn verdict(a: &Assessment) -> String {
    let name = scheme_label(a);
    let grade = grade_label(a.grade);
    match a.schemes.iter().find(|s| s.id == a.top_scheme) {
        Some(s) => format!("{name}（{grade}，置信度 {:.0}%）", s.confidence * 100.0),
        None => format!("{name}（{grade}）"),
    }
}

/// The short display name of the assessment's top scheme.
fn scheme_label(a: &Assessment) -> String {
    if a.top_scheme == INSUFFICIENT {
        return "证据不足".into();
    }
    match a.schemes.iter().find(|s| s.id == a.top_scheme) {
        Some(s) if !s.name.is_empty() => s
            .name
            .split(['（', '('])
            .next()
            .unwrap_or(&s.name)
            .trim()
            .to_string(),
        _ if a.top_scheme == "none" => "正常诉求".into(),
        _ => a.top_scheme.clone(),
    }
}

fn grade_label(g: Grade) -> &'static str {
    match g {
        Grade::Red => "红色",
        Grade::Yellow => "黄色",
        Grade::Green => "绿色",
    }
}

pub(crate) fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Complaint => "客户投诉",
        Channel::Application => "贷款申请",
    }
}

/// Chinese name of a fact kind, for prompts and reports.
pub(crate) fn fact_kind_label(k: FactKind) -> &'static str {
    match k {
        FactKind::Party => "当事人",
        FactKind::Agency => "机构",
        FactKind::Amount => "金额",
        FactKind::Date => "日期",
        FactKind::Channel => "渠道",
        FactKind::Document => "文件",
        FactKind::Phone => "电话",
        FactKind::Account => "账户",
        FactKind::IdNumber => "身份证号",
        FactKind::Contact => "联系方式",
    }
}

fn citation_kind_label(kind: &str) -> &str {
    match kind {
        "pattern" => "模式",
        "case" => "案例",
        "regulation" => "法规",
        other => other,
    }
}

/// Material text for one prompt line: PII masked, on one line, without
/// brackets that could read as citation ids.
fn clean(text: &str) -> String {
    let masked = mask_pii(text);
    let mut out = String::with_capacity(masked.len());
    let mut space = false;
    for c in masked.chars() {
        let c = match c {
            '[' | '【' | '［' => '〈',
            ']' | '】' | '］' => '〉',
            '#' => ' ',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// At most `max` characters, with "…" when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The completion-style prompt for the evidence narrative: instruction line,
/// one worked example, this case's material (masked, truncated to
/// [`PROMPT_BUDGET`] characters) and the heading the model continues under
/// ("证据摘要：\n1. ").
pub fn prompt(a: &Assessment) -> String {
    Material::of(a).render(a)
}

/// The ids the prompt shows (facts, doubts, citations) — the only ids a
/// draft sentence may cite.
pub fn allowed_ids(a: &Assessment) -> BTreeSet<String> {
    Material::of(a).ids()
}

/// Worked examples for [`doubt_prompts`]: a doubt and the one sentence an
/// investigator would write for it (invented cases, other amounts).
const SENTENCE_EXAMPLES: &[(&str, &str)] = &[
    (
        "收取前期费用：“先交2000元服务费，保证删除逾期记录”。",
        "对方以删除逾期记录为名，要求投诉人先交2000元服务费。",
    ),
    (
        "代理退保话术：“保证全额退保，手续费30%”。",
        "中介承诺全额退保，并按退保金额的30%收取手续费。",
    ),
    (
        "冒充亲属视频借钱：“视频里是我儿子，让我赶紧转钱”。",
        "对方在视频中冒充投诉人的儿子，催促其转账。",
    ),
];

/// One sentence of the draft to write: the prompt for it, the material it
/// rests on (for the grounding check) and the ids it will cite.
#[derive(Debug, Clone, PartialEq)]
pub struct SentencePrompt {
    pub prompt: String,
    /// The doubt's own words (label and quote), masked.
    pub source: String,
    /// `[D1][F2][K1]`: the doubt, the facts in its sentence, its first citation.
    pub cite: String,
}

/// One short prompt per doubt (strongest first, at most `max`): the small
/// base model rewrites a doubt as one plain sentence, following three
/// worked examples; the sentence then cites the doubt, its facts and its
/// first supporting citation. Small models copy and invent less when asked
/// for one sentence about one thing than for a whole narrative.
pub fn doubt_prompts(a: &Assessment, max: usize) -> Vec<SentencePrompt> {
    let allowed = allowed_ids(a);
    a.evidence
        .doubts
        .iter()
        .filter(|d| allowed.contains(&d.id))
        .take(max)
        .map(|d| {
            // The label and the quote: "以监管投诉为条件施压：“每天给12378打电话投诉”。"
            let head = d.statement.split('。').next().unwrap_or(&d.statement);
            let source = mask_pii(&clip(&clean(head), DOUBT_CHARS));
            let mut prompt = String::from("把疑点改写成证据摘要中的一句话。\n");
            for (doubt, sentence) in SENTENCE_EXAMPLES {
                prompt.push_str(&format!("疑点：{doubt}\n摘要句：{sentence}\n"));
            }
            prompt.push_str(&format!("疑点：{source}。\n摘要句："));
            let mut cite = format!("[{}]", d.id);
            for id in d
                .fact_ids
                .iter()
                .filter(|f| allowed.contains(*f))
                .take(2)
                .chain(
                    d.citation_ids
                        .iter()
                        .filter(|k| allowed.contains(*k))
                        .take(1),
                )
            {
                cite.push_str(&format!("[{id}]"));
            }
            SentencePrompt {
                prompt,
                source,
                cite,
            }
        })
        .collect()
}

/// Why a generated sentence is not grounded in its source, if it is not:
/// a number the source does not contain (amounts, dates and phone numbers
/// are where a small model invents), or words lifted from the worked
/// examples instead of the case.
pub fn ungrounded(sentence: &str, source: &str) -> Option<String> {
    let digits = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_ascii_digit())
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect()
    };
    let known = digits(source);
    let invented: Vec<String> = digits(sentence)
        .into_iter()
        .filter(|d| !known.contains(d))
        .collect();
    if !invented.is_empty() {
        return Some(format!("含材料中没有的数字：{}", invented.join("、")));
    }
    // The summary speaks of 投诉人/申请人; "我" means the model is
    // continuing a complaint, not summarising one.
    if sentence.contains('我') {
        return Some("以第一人称叙述，不是调查摘要".into());
    }
    let chars: Vec<char> = sentence.chars().filter(|c| c.is_alphanumeric()).collect();
    for (_, example) in SENTENCE_EXAMPLES {
        let ex: String = example.chars().filter(|c| c.is_alphanumeric()).collect();
        if chars.windows(6).any(|w| {
            let piece: String = w.iter().collect();
            ex.contains(&piece) && !source.contains(&piece)
        }) {
            return Some("照抄示例，不是本案内容".into());
        }
    }
    None
}

/// The material lines the prompt shows; a generated sentence that merely
/// repeats one of them is not a summary (see [`SentenceFilter::with_material`]).
pub fn material_lines(a: &Assessment) -> Vec<String> {
    Material::of(a).lines()
}

/// Stop strings worth passing to the generator: a blank line or a new
/// section heading end the summary. [`SentenceFilter::should_stop`] sees
/// the same and more; these only save tokens.
pub fn stop_strings() -> Vec<String> {
    ["\n\n", "\n【", "\n材料", "\n判断", "\n证据摘要"]
        .into_iter()
        .map(String::from)
        .collect()
}

// ------------------------------------------------------------------ output

/// A kept sentence: only allowed ids left in `text`, PII masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftSentence {
    pub text: String,
    /// The allowed ids it cites, in order of first appearance.
    pub citations: Vec<String>,
    /// Why a person should look twice (ids that were removed), if anything.
    pub flagged: Option<String>,
}

/// A sentence left out of the draft, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedSentence {
    pub text: String,
    pub reason: String,
}

/// What the filter says about one finished sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DraftEvent {
    Kept(DraftSentence),
    Dropped(DroppedSentence),
}

/// Why the filter asked to stop generating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A blank line or a new section/heading after at least one sentence.
    SectionBreak,
    /// A sentence repeated an earlier one.
    Repetition,
    /// Enough sentences were kept.
    MaxSentences,
}

/// Everything the filter kept and dropped over one generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DraftOutcome {
    pub sentences: Vec<DraftSentence>,
    pub dropped: Vec<DroppedSentence>,
    pub stopped: Option<StopReason>,
}

/// The evidence narrative as delivered: a machine draft, to be checked by a
/// person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub sentences: Vec<DraftSentence>,
    pub dropped: Vec<DroppedSentence>,
    /// The model that generated it.
    pub model: String,
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// Always true: nothing here is a finding until a person checked it.
    pub machine_draft: bool,
}

impl Draft {
    /// The draft of a finished filter run, stamped now.
    pub fn new(outcome: DraftOutcome, model: impl Into<String>) -> Self {
        Self {
            sentences: outcome.sentences,
            dropped: outcome.dropped,
            model: model.into(),
            generated_at: crate::kb::ingest::now_rfc3339(),
            machine_draft: true,
        }
    }
}

// ------------------------------------------------------------------ filter

fn is_opener(c: char) -> bool {
    matches!(c, '[' | '【' | '［' | '〔')
}

fn is_closer(c: char) -> bool {
    matches!(c, ']' | '】' | '］' | '〕')
}

fn is_separator(c: char) -> bool {
    matches!(c, ',' | '，' | '、' | ';' | '；' | '/' | '|') || c.is_whitespace()
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?')
}

/// Closing marks that belong to the sentence they follow.
fn is_trailing_mark(c: char) -> bool {
    is_sentence_end(c) || matches!(c, '”' | '’' | '」' | '』' | '"' | '）' | ')')
}

fn is_horizontal_space(c: char) -> bool {
    c.is_whitespace() && c != '\n'
}

/// `F3`, `D1`, `K12`: a letter F/D/K and digits, nothing else.
fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('F' | 'D' | 'K'))
        && chars.as_str().len() <= 6
        && !chars.as_str().is_empty()
        && chars.as_str().bytes().all(|b| b.is_ascii_digit())
}

/// A bracket group at the start of a text.
#[derive(Debug, PartialEq)]
enum Group {
    /// A citation group: its byte length (brackets included) and its ids.
    Citation(usize, Vec<String>),
    /// Not closed yet; more text may make it one.
    Incomplete,
    /// Not a citation group.
    Other,
}

/// Read `[F1]`, `【K1】`, `[K1,F2]`, `［D1、K2］` at the start of `s`.
fn parse_group(s: &str) -> Group {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_opener(c) => {}
        _ => return Group::Other,
    }
    for (n, (i, c)) in chars.enumerate() {
        if n > MAX_GROUP_CHARS || is_opener(c) || c == '\n' {
            return Group::Other;
        }
        if is_closer(c) {
            let open = s.chars().next().map_or(1, char::len_utf8);
            let ids: Vec<String> = s[open..i]
                .split(is_separator)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            if ids.is_empty() || !ids.iter().all(|t| is_id(t)) {
                return Group::Other;
            }
            return Group::Citation(i + c.len_utf8(), ids);
        }
    }
    Group::Incomplete
}

fn numbering() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(?:[（(]\s*\d{1,2}\s*[）)]|\d{1,2}\s*[.．、)）]|[一二三四五六七八九十]{1,3}\s*[、.．]|[-*•·])\s*",
        )
        .expect("numbering pattern")
    })
}

/// The list marker at the start of `s` ("2. ", "（2）", "二、", "- "), if
/// any, spaces after it included.
fn list_marker(s: &str) -> Option<&str> {
    let m = numbering().find(s)?;
    let marker = &s[..m.end()];
    // "3.5万元" is an amount, not item 3.
    let dot = marker.trim_end().ends_with(['.', '．']);
    if dot && s[m.end()..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(marker)
}

/// The sentence without list numbering.
fn strip_numbering(s: &str) -> &str {
    let mut s = s.trim();
    while let Some(m) = list_marker(s) {
        s = s[m.len()..].trim_start();
    }
    s
}

/// Whether a line starting with `s` opens a new section: `Some(true)` yes,
/// `Some(false)` no, `None` not decidable yet (more text needed).
fn section_start(s: &str) -> Option<bool> {
    const WORDS: [&str; 6] = ["材料", "判断", "类型", "证据摘要", "示例", "本案"];
    let t = s.trim_start();
    let mut undecided = false;
    for w in WORDS {
        for colon in ['：', ':'] {
            let marker = format!("{w}{colon}");
            if t.starts_with(&marker) {
                return Some(true);
            }
            if marker.starts_with(t) {
                undecided = true;
            }
        }
    }
    for marker in ["#", "---", "==="] {
        if t.starts_with(marker) {
            return Some(true);
        }
        if marker.starts_with(t) {
            undecided = true;
        }
    }
    match parse_group(t) {
        Group::Other if t.starts_with(is_opener) => return Some(true),
        Group::Incomplete => undecided = true,
        _ => {}
    }
    // A list starting again at 1 is a new summary (the model began another
    // example).
    if let Some(m) = list_marker(t) {
        let num = m.trim_start_matches(['（', '(']);
        let digits: String = num.chars().take_while(char::is_ascii_digit).collect();
        // "1." may still turn out to be "1.5万元".
        let open = m.len() == t.len() && m.trim_end().ends_with(['.', '．']);
        if (digits == "1" || num.starts_with('一')) && !open {
            return Some(true);
        }
        undecided |= open;
    }
    if t == "1" || t == "（1" || t == "(1" {
        undecided = true;
    }
    if undecided { None } else { Some(false) }
}

/// Reads generated text as it streams and keeps only grounded sentences.
///
/// Feed pieces in order with [`push`](Self::push); each call returns the
/// sentences completed by that piece. Ask [`should_stop`](Self::should_stop)
/// after each piece and end generation when it is true; then call
/// [`finish`](Self::finish) for the last sentence and the outcome.
#[derive(Debug, Clone)]
pub struct SentenceFilter {
    allowed: BTreeSet<String>,
    max_sentences: usize,
    /// Text not yet part of a finished sentence.
    buf: String,
    /// `buf` begins at the start of a line.
    at_line_start: bool,
    /// Newlines since the last text (2 = a blank line).
    newlines: usize,
    /// Sentence bodies seen (no numbering, ids or spaces), for repetitions.
    seen: HashSet<String>,
    /// Keys of the prompt's material lines: copying one is not summarising.
    material: Vec<String>,
    outcome: DraftOutcome,
}

impl SentenceFilter {
    pub fn new(allowed: BTreeSet<String>) -> Self {
        Self {
            allowed,
            max_sentences: DEFAULT_MAX_SENTENCES,
            buf: String::new(),
            // The prompt ends with "1. ": the first sentence starts an item.
            at_line_start: false,
            newlines: 0,
            seen: HashSet::new(),
            material: Vec::new(),
            outcome: DraftOutcome::default(),
        }
    }

    /// Stop after `n` kept sentences instead of [`DEFAULT_MAX_SENTENCES`].
    pub fn with_max_sentences(mut self, n: usize) -> Self {
        self.max_sentences = n.max(1);
        self
    }

    /// Drop sentences that only restate one of these material lines (a small
    /// base model tends to copy the list it was shown).
    pub fn with_material(mut self, lines: &[String]) -> Self {
        self.material = lines
            .iter()
            .map(|l| rewrite(l, &self.allowed).key)
            .filter(|k| k.chars().count() >= 4)
            .collect();
        self
    }

    /// Add the next piece of generated text; returns the sentences it
    /// completed. Ignored once [`should_stop`](Self::should_stop) is true.
    pub fn push(&mut self, piece: &str) -> Vec<DraftEvent> {
        if self.outcome.stopped.is_some() {
            return Vec::new();
        }
        self.buf.push_str(piece);
        self.drain(false)
    }

    /// True once generation should end: a blank line or a new section after
    /// at least one sentence, a repeated sentence, or enough kept sentences.
    pub fn should_stop(&self) -> bool {
        self.outcome.stopped.is_some()
    }

    pub fn stop_reason(&self) -> Option<StopReason> {
        self.outcome.stopped
    }

    /// Sentences kept so far.
    pub fn kept(&self) -> &[DraftSentence] {
        &self.outcome.sentences
    }

    /// End of generation: the last (unterminated) sentence, if any, and the
    /// whole outcome.
    pub fn finish(mut self) -> (Vec<DraftEvent>, DraftOutcome) {
        let events = if self.outcome.stopped.is_none() {
            self.drain(true)
        } else {
            Vec::new()
        };
        (events, self.outcome)
    }

    fn completed(&self) -> usize {
        self.outcome.sentences.len() + self.outcome.dropped.len()
    }

    fn stop(&mut self, why: StopReason) {
        self.outcome.stopped = Some(why);
        self.buf.clear();
    }

    fn drain(&mut self, last: bool) -> Vec<DraftEvent> {
        let mut events = Vec::new();
        while self.outcome.stopped.is_none() {
            // Whitespace between sentences; count newlines.
            let ws = self
                .buf
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map_or(self.buf.len(), |(i, _)| i);
            for c in self.buf[..ws].chars() {
                if c == '\n' {
                    self.newlines += 1;
                    self.at_line_start = true;
                }
            }
            self.buf.drain(..ws);
            if self.newlines >= 2 && self.completed() > 0 {
                self.stop(StopReason::SectionBreak);
                break;
            }
            if self.buf.is_empty() {
                break;
            }
            if self.at_line_start && self.completed() > 0 {
                match section_start(&self.buf) {
                    Some(true) => {
                        self.stop(StopReason::SectionBreak);
                        break;
                    }
                    None if !last => break,
                    _ => {}
                }
            }
            let Some(end) = sentence_end(&self.buf, last) else {
                break;
            };
            let raw: String = self.buf.drain(..end).collect();
            self.newlines = 0;
            self.at_line_start = false;
            if let Some(e) = self.judge(&raw) {
                events.push(e);
            }
        }
        events
    }

    /// Decide on one finished sentence; records it and may set a stop.
    fn judge(&mut self, raw: &str) -> Option<DraftEvent> {
        let body = strip_numbering(raw);
        let r = rewrite(body, &self.allowed);
        if r.key.chars().all(|c| !c.is_alphanumeric()) {
            if r.kept.is_empty() && r.removed.is_empty() {
                // A stray mark or list number: not a sentence.
                return None;
            }
            let d = DroppedSentence {
                text: mask_pii(body.trim()),
                reason: "只有引用编号，没有内容".into(),
            };
            self.outcome.dropped.push(d.clone());
            return Some(DraftEvent::Dropped(d));
        }
        if !self.seen.insert(r.key.clone()) {
            let d = DroppedSentence {
                text: mask_pii(body.trim()),
                reason: "与前文重复".into(),
            };
            self.outcome.dropped.push(d.clone());
            self.outcome.stopped = Some(StopReason::Repetition);
            self.buf.clear();
            return Some(DraftEvent::Dropped(d));
        }
        let key_chars = r.key.chars().count();
        if key_chars >= 4
            && self.material.iter().any(|m| {
                m.contains(r.key.as_str())
                    || (r.key.contains(m.as_str()) && 2 * m.chars().count() >= key_chars)
            })
        {
            let d = DroppedSentence {
                text: mask_pii(body.trim()),
                reason: "照抄材料原文，不是摘要".into(),
            };
            self.outcome.dropped.push(d.clone());
            return Some(DraftEvent::Dropped(d));
        }
        if r.kept.is_empty() {
            let reason = if r.removed.is_empty() {
                "没有引用任何材料编号".to_string()
            } else {
                format!("只引用了未提供的材料：{}", r.removed.join("、"))
            };
            let d = DroppedSentence {
                text: mask_pii(body.trim()),
                reason,
            };
            self.outcome.dropped.push(d.clone());
            return Some(DraftEvent::Dropped(d));
        }
        let s = DraftSentence {
            text: mask_pii(r.text.trim()),
            citations: r.kept,
            flagged: (!r.removed.is_empty())
                .then(|| format!("已删除未提供的材料编号：{}", r.removed.join("、"))),
        };
        self.outcome.sentences.push(s.clone());
        if self.outcome.sentences.len() >= self.max_sentences {
            self.stop(StopReason::MaxSentences);
        }
        Some(DraftEvent::Kept(s))
    }
}

/// Byte offset where the first sentence of `buf` ends, or `None` if more
/// text is needed to know. A sentence ends at a newline, or after 。！？
/// together with closing quotes and citation groups right after it
/// ("……费用。[F1]" keeps its ids).
fn sentence_end(buf: &str, last: bool) -> Option<usize> {
    for (n, (i, c)) in buf.char_indices().enumerate() {
        if c == '\n' {
            return Some(i);
        }
        if n >= MAX_SENTENCE_CHARS {
            return Some(i);
        }
        if !is_sentence_end(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        loop {
            let rest = &buf[end..];
            let next = rest
                .char_indices()
                .find(|(_, c)| !is_horizontal_space(*c))
                .map(|(k, c)| (end + k, c));
            match next {
                None => return last.then_some(end),
                Some((k, c)) if is_trailing_mark(c) => end = k + c.len_utf8(),
                Some((k, c)) if is_opener(c) => match parse_group(&buf[k..]) {
                    Group::Citation(len, _) => end = k + len,
                    Group::Incomplete if !last => return None,
                    _ => return Some(end),
                },
                Some(_) => return Some(end),
            }
        }
    }
    (last && !buf.trim().is_empty()).then_some(buf.len())
}

/// A sentence with its citation groups rewritten.
struct Rewritten {
    /// Only allowed ids left, each as `[id]`.
    text: String,
    /// Allowed ids, first appearance order, no repeats.
    kept: Vec<String>,
    /// Ids that are not allowed, first appearance order, no repeats.
    removed: Vec<String>,
    /// The words alone (no ids, no spaces): what a repetition repeats.
    key: String,
}

fn rewrite(s: &str, allowed: &BTreeSet<String>) -> Rewritten {
    let mut r = Rewritten {
        text: String::with_capacity(s.len()),
        kept: Vec::new(),
        removed: Vec::new(),
        key: String::new(),
    };
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().unwrap_or(' ');
        if let Group::Citation(len, ids) = parse_group(rest) {
            let mut group = String::new();
            for id in ids {
                if allowed.contains(&id) {
                    if !r.kept.contains(&id) {
                        group.push('[');
                        group.push_str(&id);
                        group.push(']');
                        r.kept.push(id);
                    }
                } else if !r.removed.contains(&id) {
                    r.removed.push(id);
                }
            }
            if group.is_empty() {
                // Nothing left of the group: no space before the next mark.
                let trimmed = r.text.trim_end_matches(is_horizontal_space).len();
                r.text.truncate(trimmed);
            } else {
                r.text.push_str(&group);
            }
            i += len;
            continue;
        }
        r.text.push(c);
        if !c.is_whitespace() {
            r.key.push(c);
        }
        i += c.len_utf8();
    }
    // Marks alone make no difference between two sentences.
    r.key = r.key.trim_end_matches(is_trailing_mark).to_string();
    r
}

/// Run a whole generated text through a fresh filter (tests, batch use).
pub fn filter_text(allowed: BTreeSet<String>, text: &str) -> DraftOutcome {
    let mut f = SentenceFilter::new(allowed);
    f.push(text);
    f.finish().1
}

/// Re-check one sentence of an existing draft against `allowed`; `None`
/// when nothing of it remains.
pub(crate) fn recheck(s: &DraftSentence, allowed: &BTreeSet<String>) -> Option<DraftSentence> {
    let r = rewrite(&s.text, allowed);
    if r.kept.is_empty() {
        return None;
    }
    let mut flags: Vec<String> = s.flagged.iter().cloned().collect();
    if !r.removed.is_empty() {
        flags.push(format!("已删除未提供的材料编号：{}", r.removed.join("、")));
    }
    Some(DraftSentence {
        text: mask_pii(r.text.trim()),
        citations: r.kept,
        flagged: (!flags.is_empty()).then(|| flags.join("；")),
    })
}

// ------------------------------------------------------------------ tests

/// A hand-built assessment for the evidence tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::assess::classify::Neighbour;
    use crate::assess::grade::Grade;
    use crate::assess::pipeline::{Assessment, Citation, SchemeScore, Timings, Versions};
    use crate::assess::signals::{Channel, Signal, SignalKind, Span};

    pub const TEXT: &str = "我在微信上认识一个自称维权团队的人，他的电话13812345678，说交5000元服务费就能帮我全额退保，\
        还让我向银保监会投诉施压。<script>alert(1)</script>";

    fn signal(kind: SignalKind, label: &str, cue: &str, weight: f32) -> Signal {
        let start = TEXT.find(cue).expect("cue in text");
        Signal {
            kind,
            label: label.into(),
            explanation: format!("{label}是代理退保的典型特征。"),
            span: Some(Span {
                start,
                end: start + cue.len(),
                text: cue.into(),
            }),
            field: None,
            weight,
            schemes: vec!["proxy_insurance_surrender".into()],
        }
    }

    fn citation(id: &str, kind: &str, title: &str, excerpt: &str) -> Citation {
        Citation {
            id: id.into(),
            doc_id: format!("doc-{id}"),
            chunk_id: format!("doc-{id}#0"),
            kind: kind.into(),
            title: title.into(),
            schemes: vec!["proxy_insurance_surrender".into()],
            excerpt: excerpt.into(),
            score: 0.5,
        }
    }

    pub fn assessment() -> Assessment {
        let signals = vec![
            signal(SignalKind::FeeDemand, "收取服务费", "交5000元服务费", 0.7),
            signal(
                SignalKind::ThirdPartyAgent,
                "第三方代理维权",
                "维权团队",
                0.6,
            ),
        ];
        let citations = vec![
            citation(
                "K1",
                "pattern",
                "代理退保",
                "不法中介以“全额退保”为诱饵，收取高额手续费，并教唆消费者以投诉施压。",
            ),
            citation(
                "K2",
                "case",
                "福建代理退保敲诈案",
                "某团伙以代理退保为名收取费用 | 共计300余万元。",
            ),
            citation(
                "K3",
                "regulation",
                "关于防范代理退保风险的提示",
                "消费者应警惕所谓“全额退保”的宣传。",
            ),
        ];
        let evidence =
            crate::evidence::build(TEXT, &signals, &citations, "proxy_insurance_surrender");
        // Through JSON, so fields added to `Assessment` later with a serde
        // default do not break these tests.
        serde_json::from_value(serde_json::json!({
            "id": "a123",
            "kind": Channel::Complaint,
            "created_at": "2025-01-02T03:04:05Z",
            "grade": Grade::Red,
            "top_scheme": "proxy_insurance_surrender",
            "schemes": [
                SchemeScore {
                    id: "proxy_insurance_surrender".into(),
                    name: "代理退保（退保黑产）".into(),
                    confidence: 0.86,
                },
                SchemeScore {
                    id: "none".into(),
                    name: "正常诉求".into(),
                    confidence: 0.1,
                },
            ],
            "signals": signals,
            "citations": citations,
            "similar": [Neighbour {
                doc_id: "ex-17".into(),
                title: "代理退保投诉样例".into(),
                schemes: vec!["proxy_insurance_surrender".into()],
                grade: None,
                role: None,
                similarity: 0.91,
            }],
            "evidence": evidence,
            "reasons": ["代理退保置信度 86%，有强信号。"],
            "llm_consulted": false,
            "versions": Versions {
                caseguard: "0.1.0".into(),
                embedding_model: "e5-small".into(),
                llm: "gemma-3-270m".into(),
                knowledge_base: "abcdef0123456789".into(),
            },
            "timings": Timings::default(),
            "text": TEXT,
        }))
        .expect("a test assessment")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn kept(events: &[DraftEvent]) -> Vec<&DraftSentence> {
        events
            .iter()
            .filter_map(|e| match e {
                DraftEvent::Kept(s) => Some(s),
                DraftEvent::Dropped(_) => None,
            })
            .collect()
    }

    #[test]
    fn sentences_must_rest_on_their_doubt() {
        let source = "按减免或退款比例抽成：“老师收我还款金额的8%作为服务费”";
        assert_eq!(ungrounded("代理人按还款金额的8%收取服务费。", source), None);
        assert!(
            ungrounded("代理人收取3000元服务费。", source)
                .unwrap()
                .contains("3000")
        );
        assert!(
            ungrounded("老师让我交服务费。", source).is_some(),
            "first person"
        );
        assert!(
            ungrounded("对方在视频中冒充投诉人的儿子，催促其转账。", source).is_some(),
            "copied from the worked example"
        );
        let a = testing::assessment();
        let prompts = doubt_prompts(&a, 5);
        assert_eq!(prompts.len(), a.evidence.doubts.len());
        assert!(prompts[0].cite.starts_with("[D1]"));
        assert!(prompts.iter().all(|p| !p.prompt.contains("13812345678")));
        assert!(prompts[0].prompt.ends_with("摘要句："));
    }

    #[test]
    fn copying_a_material_line_is_not_a_summary() {
        let material = vec![
            "[F1] 电话：138****5678".to_string(),
            "[D1] 按减免或退款比例抽成：“8%作为服务费”。".to_string(),
        ];
        let mut f = SentenceFilter::new(ids(&["F1", "D1"])).with_material(&material);
        let mut events = f.push("[F1] 电话：138****5678\n[D1] 按减免或退款比例抽成。\n");
        events.extend(f.push("代理人按8%抽成，并以电话施压[F1][D1]。"));
        let (rest, outcome) = f.finish();
        events.extend(rest);
        assert_eq!(outcome.sentences.len(), 1, "{events:?}");
        assert!(outcome.sentences[0].text.starts_with("代理人按8%抽成"));
        assert_eq!(outcome.dropped.len(), 2, "{events:?}");
        assert!(outcome.dropped.iter().all(|d| d.reason.contains("照抄")));
    }

    #[test]
    fn sentences_split_across_pieces() {
        let mut f = SentenceFilter::new(ids(&["F1", "K1", "D1"]));
        let mut events = Vec::new();
        for piece in [
            "对方要求",
            "先交服务",
            "费[F",
            "1][D",
            "1]。\n2",
            ". 这符合代理退保",
            "模式[K1",
            "]。",
        ] {
            events.extend(f.push(piece));
        }
        // The last sentence waits: ids may still follow its 。.
        assert_eq!(kept(&events).len(), 1, "{events:?}");
        let (rest, outcome) = f.finish();
        events.extend(rest);
        let k = kept(&events);
        assert_eq!(k.len(), 2, "{events:?}");
        assert_eq!(k[0].text, "对方要求先交服务费[F1][D1]。");
        assert_eq!(k[0].citations, vec!["F1", "D1"]);
        assert_eq!(k[0].flagged, None);
        assert_eq!(k[1].text, "这符合代理退保模式[K1]。");
        assert_eq!(outcome.sentences.len(), 2);
        assert!(outcome.dropped.is_empty());
        assert_eq!(outcome.stopped, None);
    }

    #[test]
    fn ids_after_the_full_stop_stay_with_their_sentence() {
        let o = filter_text(
            ids(&["F1", "K2"]),
            "对方收费5000元。[F1]\n2. 同类案例已有判决。【K2】",
        );
        assert_eq!(o.sentences.len(), 2, "{o:?}");
        assert_eq!(o.sentences[0].text, "对方收费5000元。[F1]");
        assert_eq!(o.sentences[1].citations, vec!["K2"]);
    }

    #[test]
    fn unknown_ids_are_stripped_and_flagged() {
        let o = filter_text(
            ids(&["F1", "K1"]),
            "对方收取高额费用[F1][K9]。另据统计涉案金额巨大[F7, K1,D3]。",
        );
        assert_eq!(o.sentences.len(), 2, "{o:?}");
        assert_eq!(o.sentences[0].text, "对方收取高额费用[F1]。");
        assert_eq!(o.sentences[0].citations, vec!["F1"]);
        let flag = o.sentences[0].flagged.as_deref().unwrap();
        assert!(flag.contains("K9"), "{flag}");
        assert_eq!(o.sentences[1].text, "另据统计涉案金额巨大[K1]。");
        let flag = o.sentences[1].flagged.as_deref().unwrap();
        assert!(flag.contains("F7") && flag.contains("D3"), "{flag}");
        assert!(!o.sentences.iter().any(|s| s.text.contains("K9")));
    }

    #[test]
    fn sentences_without_allowed_ids_are_dropped() {
        let o = filter_text(
            ids(&["F1"]),
            "投诉人显然是受害者。对方是诈骗团伙[K5]。对方收费[F1]。",
        );
        assert_eq!(o.sentences.len(), 1, "{o:?}");
        assert_eq!(o.sentences[0].text, "对方收费[F1]。");
        assert_eq!(o.dropped.len(), 2);
        assert_eq!(o.dropped[0].text, "投诉人显然是受害者。");
        assert!(o.dropped[0].reason.contains("没有引用"));
        assert!(o.dropped[1].reason.contains("K5"), "{:?}", o.dropped[1]);
    }

    #[test]
    fn fullwidth_brackets_and_separators() {
        let o = filter_text(
            ids(&["F2", "K1", "D1"]),
            "对方承诺全额退保【K1】【D1】。对方通过微信联系［F2、K1］！",
        );
        assert_eq!(o.sentences.len(), 2, "{o:?}");
        assert_eq!(o.sentences[0].text, "对方承诺全额退保[K1][D1]。");
        assert_eq!(o.sentences[0].citations, vec!["K1", "D1"]);
        assert_eq!(o.sentences[1].text, "对方通过微信联系[F2][K1]！");
        // Not an id shape: the bracket stays text, and the sentence has no id.
        let o = filter_text(ids(&["K1"]), "详见[K1a]和[附件]。");
        assert!(o.sentences.is_empty(), "{o:?}");
        assert_eq!(o.dropped[0].text, "详见[K1a]和[附件]。");
    }

    #[test]
    fn list_numbering_is_stripped() {
        let o = filter_text(
            ids(&["F1", "F2", "K1", "K2"]),
            "对方收费[F1]。\n2. 对方要求转账[F2]。\n（3）3.5万元的费用过高[K1]。\n四、 对方失联[K2]。",
        );
        let texts: Vec<&str> = o.sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "对方收费[F1]。",
                "对方要求转账[F2]。",
                "3.5万元的费用过高[K1]。",
                "对方失联[K2]。"
            ],
            "{o:?}"
        );
    }

    #[test]
    fn stops_on_a_repeated_sentence() {
        let mut f = SentenceFilter::new(ids(&["F1", "K1"]));
        f.push("对方收取服务费[F1]。\n2. 这符合代理退保模式[K1]。\n3. ");
        assert!(!f.should_stop());
        f.push("对方收取服务费[F1]。\n4. 另一句[K1]。");
        assert!(f.should_stop());
        assert_eq!(f.stop_reason(), Some(StopReason::Repetition));
        assert!(f.push("还有一句[F1]。\n").is_empty());
        let (_, o) = f.finish();
        assert_eq!(o.sentences.len(), 2);
        assert_eq!(o.dropped.len(), 1);
        assert_eq!(o.stopped, Some(StopReason::Repetition));
    }

    #[test]
    fn stops_on_a_blank_line_a_new_section_or_enough_sentences() {
        let mut f = SentenceFilter::new(ids(&["F1"]));
        f.push("对方收费[F1]。\n");
        assert!(!f.should_stop());
        f.push("\n【示例】");
        assert_eq!(f.stop_reason(), Some(StopReason::SectionBreak));

        let mut f = SentenceFilter::new(ids(&["F1", "K1"]));
        f.push("对方收费[F1]。\n判断");
        assert!(!f.should_stop(), "undecided until the colon");
        f.push("：代理退保");
        assert_eq!(f.stop_reason(), Some(StopReason::SectionBreak));

        let mut f = SentenceFilter::new(ids(&["F1", "K1"]));
        f.push("对方收费[F1]。\n2. 这符合模式[K1]。\n1. 新的摘要[F1]。");
        assert_eq!(f.stop_reason(), Some(StopReason::SectionBreak));
        assert_eq!(f.kept().len(), 2);

        // A citation at a line start is not a section.
        let o = filter_text(ids(&["F1", "K1"]), "对方收费[F1]。\n[K1] 所述模式相符。");
        assert_eq!(o.sentences.len(), 2, "{o:?}");

        let mut f = SentenceFilter::new(ids(&["F1"])).with_max_sentences(2);
        f.push("第一句[F1]。第二句[F1]。第三");
        assert_eq!(f.stop_reason(), Some(StopReason::MaxSentences));
        assert_eq!(f.kept().len(), 2);
    }

    #[test]
    fn a_newline_ends_a_sentence_and_finish_flushes_the_last() {
        let mut f = SentenceFilter::new(ids(&["F1", "K1"]));
        let events = f.push("对方收费[F1]\n2. 符合模式[K1]");
        assert_eq!(kept(&events).len(), 1, "{events:?}");
        assert_eq!(kept(&events)[0].text, "对方收费[F1]");
        let (rest, o) = f.finish();
        assert_eq!(kept(&rest)[0].text, "符合模式[K1]");
        assert_eq!(o.sentences.len(), 2);
    }

    #[test]
    fn a_long_run_without_punctuation_is_cut() {
        let long = "很".repeat(MAX_SENTENCE_CHARS + 50);
        let o = filter_text(ids(&["F1"]), &format!("{long}[F1]。"));
        assert!(
            o.dropped.iter().any(|d| d.reason.contains("没有引用")),
            "{o:?}"
        );
    }

    #[test]
    fn kept_sentences_are_masked() {
        let o = filter_text(ids(&["F1"]), "对方电话13812345678[F1]。");
        assert_eq!(o.sentences[0].text, "对方电话138****5678[F1]。");
    }

    #[test]
    fn prompt_lists_the_material_masked_and_within_budget() {
        let a = testing::assessment();
        let p = prompt(&a);
        assert!(!p.contains("13812345678"), "{p}");
        assert!(p.ends_with("证据摘要：\n1. "), "{p}");
        let allowed = allowed_ids(&a);
        assert!(!allowed.is_empty());
        let real = &p[p.find("【本案】").unwrap()..];
        for id in &allowed {
            assert!(real.contains(&format!("[{id}]")), "{id} not in {real}");
        }
        for id in ["F1", "D1", "D2", "K1", "K2", "K3"] {
            assert!(allowed.contains(id), "{allowed:?}");
        }
        assert!(real.contains("代理退保（红色，置信度 86%）"), "{real}");
        assert!(p.chars().count() <= PROMPT_BUDGET);
        // The example's summary cites ids sentence by sentence.
        assert_eq!(
            filter_text(
                ids(&["F1", "F2", "D1", "K1", "K2"]),
                &EXAMPLE[EXAMPLE.find("1. ").unwrap()..]
            )
            .sentences
            .len(),
            3
        );
    }

    #[test]
    fn prompt_truncates_and_allows_only_what_it_shows() {
        let mut a = testing::assessment();
        let c = a.citations[0].clone();
        a.citations = (1..=12)
            .map(|i| {
                let mut c = c.clone();
                c.id = format!("K{i}");
                c.excerpt = "很长的摘录".repeat(40);
                c
            })
            .collect();
        let f = a.evidence.facts[0].clone();
        a.evidence.facts = (1..=40)
            .map(|i| {
                let mut f = f.clone();
                f.id = format!("F{i}");
                f.value = format!("值{i}").repeat(20);
                f
            })
            .collect();
        let p = prompt(&a);
        assert!(p.chars().count() <= PROMPT_BUDGET, "{}", p.chars().count());
        let allowed = allowed_ids(&a);
        assert!(
            !allowed.contains("K7") && !allowed.contains("F40"),
            "{allowed:?}"
        );
        let real = &p[p.find("【本案】").unwrap()..];
        for i in 1..=40 {
            for id in [format!("F{i}"), format!("K{i}")] {
                assert_eq!(
                    allowed.contains(&id),
                    real.contains(&format!("[{id}]")),
                    "{id}"
                );
            }
        }
        for line in real.lines().filter(|l| l.starts_with("[K")) {
            let content = line.split_once("] ").unwrap().1;
            assert!(content.chars().count() <= CITATION_CHARS, "{line}");
        }
    }

    #[test]
    fn draft_is_a_machine_draft() {
        let o = filter_text(ids(&["F1"]), "对方收费[F1]。");
        let d = Draft::new(o, "gemma-3-270m");
        assert!(d.machine_draft);
        assert!(humantime::parse_rfc3339(&d.generated_at).is_ok());
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Draft>(&json).unwrap(), d);
    }

    #[test]
    fn recheck_strips_ids_not_in_the_assessment() {
        let s = DraftSentence {
            text: "对方收费[F1][K9]。".into(),
            citations: vec!["F1".into(), "K9".into()],
            flagged: None,
        };
        let r = recheck(&s, &ids(&["F1"])).unwrap();
        assert_eq!(r.text, "对方收费[F1]。");
        assert!(r.flagged.unwrap().contains("K9"));
        assert!(recheck(&s, &ids(&["D1"])).is_none());
    }
}
