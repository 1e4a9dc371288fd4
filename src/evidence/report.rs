//! The evidence report (证据报告) handed to the legal team.
//!
//! One assessment becomes one self-contained document: the case header and
//! grade, the masked text, the facts, the doubts with what supports them,
//! the matched patterns, similar cases and applicable regulations, the
//! machine-drafted narrative (clearly labelled as a draft a person must
//! check), the signals and the versions of every component involved.
//!
//! The report leaves the process, so every value in it is masked. It also
//! travels: e-mailed, printed, attached to a file. [`integrity`] is a
//! SHA-256 over a canonical JSON form of the report ([`canonical_json`]:
//! keys sorted, no whitespace, UTF-8), so a recipient can recompute it from
//! the JSON export and see whether anything changed. Scores are carried as
//! decimal strings, so the canonical form holds no floating-point numbers
//! whose printing could differ between languages.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::draft::{Draft, DraftSentence, allowed_ids, channel_label, fact_kind_label, recheck};
use super::facts::{FactKind, mask_pii};
use crate::assess::grade::{Grade, INSUFFICIENT};
use crate::assess::pipeline::{Assessment, Citation, Versions};
use crate::assess::role::SubmitterRole;
use crate::assess::signals::{Channel, SignalKind};

/// How [`canonical_json`] writes a value; stated in every JSON export.
pub const CANONICALIZATION: &str = "JSON of the \"report\" member: object keys sorted by Unicode code point at every level, no whitespace between tokens, UTF-8 without \\u escapes for non-ASCII (only quote, backslash and control characters escaped, as JSON requires), numbers as integers (scores are decimal strings)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub header: Header,
    /// The submitted text, PII masked.
    pub text_masked: String,
    pub facts: Vec<FactRow>,
    pub doubts: Vec<DoubtRow>,
    /// Cited pattern cards.
    pub patterns: Vec<Source>,
    /// Cited cases.
    pub cases: Vec<Source>,
    /// The labelled examples closest to this text.
    pub neighbours: Vec<Neighbour>,
    /// Cited regulations.
    pub regulations: Vec<Source>,
    pub draft: DraftSection,
    pub signals: Vec<SignalRow>,
    pub versions: Versions,
    /// RFC 3339, UTC: when the record last changed (draft written, else
    /// assessed), so re-exports of an unchanged record hash the same.
    pub generated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub assessment_id: String,
    pub kind: Channel,
    pub created_at: String,
    pub grade: Grade,
    pub top_scheme: TopScheme,
    /// Who the submitter is (victim, participant, intermediary or legitimate).
    #[serde(default)]
    pub role: SubmitterRole,
    /// The grader's reasons, masked.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopScheme {
    /// A scheme id, `none`, or `insufficient_evidence`.
    pub id: String,
    pub name: String,
    /// Probability as a decimal string ("0.860"); `None` when the id is not
    /// a scored scheme.
    pub confidence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemeRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactRow {
    pub id: String,
    pub kind: FactKind,
    /// Masked.
    pub value: String,
    pub normalized: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoubtRow {
    pub id: String,
    pub signal: SignalKind,
    pub statement: String,
    pub quote: Option<String>,
    pub fact_ids: Vec<String>,
    pub citation_ids: Vec<String>,
}

/// A cited knowledge-base chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: String,
    pub doc_id: String,
    pub chunk_id: String,
    pub title: String,
    pub excerpt: String,
    pub schemes: Vec<SchemeRef>,
    /// Retrieval score as a decimal string.
    pub score: String,
}

/// A labelled example near this text (a voting neighbour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    pub doc_id: String,
    pub title: String,
    pub schemes: Vec<SchemeRef>,
    /// Cosine similarity as a decimal string.
    pub similarity: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftSection {
    /// Whether a narrative was generated.
    pub generated: bool,
    /// Always true: the narrative is a machine draft.
    pub machine_draft: bool,
    /// What the reader must know about it.
    pub notice: String,
    pub model: Option<String>,
    pub generated_at: Option<String>,
    /// Each sentence cites the ids of this report it rests on.
    pub sentences: Vec<DraftSentence>,
    /// Sentences left out for citing nothing this report lists.
    pub dropped: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRow {
    pub kind: SignalKind,
    pub label: String,
    pub explanation: String,
    /// The words it was found in, masked.
    pub quote: Option<String>,
    /// The applicant field(s) a cross-check compared.
    pub field: Option<String>,
    /// Strength 0..=1 as a decimal string.
    pub weight: String,
    pub schemes: Vec<String>,
}

const DRAFT_NOTICE: &str = "以下内容由本地语言模型根据本报告所列材料自动生成，是机器草稿而非结论；每句括号内为所依据的材料编号，须由人工逐句核实后方可使用。";
const NO_DRAFT_NOTICE: &str = "未生成证据摘要。";

fn decimal(x: f32) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "n/a".into()
    }
}

/// Build the report. `scheme_names` gives a scheme id's display name (from
/// the pattern cards); the assessment's own scheme list is the fallback.
/// A draft's sentences are checked again against the ids this assessment
/// offers, and masked.
pub fn build(
    a: &Assessment,
    draft: Option<&Draft>,
    scheme_names: impl Fn(&str) -> Option<String>,
) -> Report {
    let name = |id: &str| -> String {
        scheme_names(id)
            .or_else(|| {
                a.schemes
                    .iter()
                    .find(|s| s.id == id && !s.name.is_empty())
                    .map(|s| s.name.clone())
            })
            .unwrap_or_else(|| match id {
                INSUFFICIENT => "证据不足".into(),
                "none" => "正常诉求".into(),
                _ => id.to_string(),
            })
    };
    let refs = |ids: &[String]| -> Vec<SchemeRef> {
        ids.iter()
            .map(|id| SchemeRef {
                id: id.clone(),
                name: name(id),
            })
            .collect()
    };
    let sources = |kind: &str| -> Vec<Source> {
        a.citations
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c: &Citation| Source {
                id: c.id.clone(),
                doc_id: c.doc_id.clone(),
                chunk_id: c.chunk_id.clone(),
                title: mask_pii(&c.title),
                excerpt: mask_pii(&c.excerpt),
                schemes: refs(&c.schemes),
                score: decimal(c.score),
            })
            .collect()
    };

    let header = Header {
        assessment_id: a.id.clone(),
        kind: a.kind,
        created_at: a.created_at.clone(),
        grade: a.grade,
        top_scheme: TopScheme {
            id: a.top_scheme.clone(),
            name: name(&a.top_scheme),
            confidence: a
                .schemes
                .iter()
                .find(|s| s.id == a.top_scheme)
                .map(|s| decimal(s.confidence)),
        },
        role: a.role,
        reasons: a.reasons.iter().map(|r| mask_pii(r)).collect(),
    };

    // The time of the record's last change (its draft, else the
    // assessment), not the time of the export: every export of the same
    // record, in any format, carries the same hash.
    let as_of = draft.map_or_else(|| a.created_at.clone(), |d| d.generated_at.clone());
    let draft = match draft {
        Some(d) => {
            let allowed = allowed_ids(a);
            let sentences: Vec<DraftSentence> = d
                .sentences
                .iter()
                .filter_map(|s| recheck(s, &allowed))
                .collect();
            DraftSection {
                generated: true,
                machine_draft: true,
                notice: DRAFT_NOTICE.into(),
                model: Some(d.model.clone()),
                generated_at: Some(d.generated_at.clone()),
                dropped: d.dropped.len() + d.sentences.len() - sentences.len(),
                sentences,
            }
        }
        None => DraftSection {
            generated: false,
            machine_draft: true,
            notice: NO_DRAFT_NOTICE.into(),
            model: None,
            generated_at: None,
            sentences: Vec::new(),
            dropped: 0,
        },
    };

    Report {
        header,
        text_masked: mask_pii(&a.text),
        facts: a
            .evidence
            .facts
            .iter()
            .map(|f| FactRow {
                id: f.id.clone(),
                kind: f.kind,
                value: mask_pii(&f.value),
                normalized: f.normalized.as_deref().map(mask_pii),
            })
            .collect(),
        doubts: a
            .evidence
            .doubts
            .iter()
            .map(|d| DoubtRow {
                id: d.id.clone(),
                signal: d.signal,
                statement: mask_pii(&d.statement),
                quote: d.quote.as_deref().map(mask_pii),
                fact_ids: d.fact_ids.clone(),
                citation_ids: d.citation_ids.clone(),
            })
            .collect(),
        patterns: sources("pattern"),
        cases: sources("case"),
        neighbours: a
            .similar
            .iter()
            .map(|n| Neighbour {
                doc_id: n.doc_id.clone(),
                title: mask_pii(&n.title),
                schemes: refs(&n.schemes),
                similarity: decimal(n.similarity),
            })
            .collect(),
        regulations: sources("regulation"),
        draft,
        signals: a
            .signals
            .iter()
            .map(|s| SignalRow {
                kind: s.kind,
                label: s.label.clone(),
                explanation: mask_pii(&s.explanation),
                quote: s.span.as_ref().map(|sp| mask_pii(&sp.text)),
                field: s.field.clone(),
                weight: decimal(s.weight),
                schemes: s.schemes.clone(),
            })
            .collect(),
        versions: a.versions.clone(),
        generated_at: as_of,
    }
}

// ------------------------------------------------------------------ integrity

/// The canonical form of `v` (see [`CANONICALIZATION`]): object keys sorted
/// by code point at every level, no whitespace, non-ASCII as UTF-8.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Byte order of UTF-8 is code point order.
            entries.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`…
/// or `\u00XX`, everything else as is.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Lowercase hex SHA-256 of a text (what a recipient computes over the
/// canonical form).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn report_value(report: &Report) -> Value {
    // Only string-keyed structs, strings, integers and options: this cannot
    // fail.
    serde_json::to_value(report).expect("a report serialises to JSON")
}

/// Lowercase hex SHA-256 of `canonical_json` of the report.
pub fn integrity(report: &Report) -> String {
    sha256_hex(&canonical_json(&report_value(report)))
}

/// The JSON export: the report and what a recipient needs to check it —
/// recompute SHA-256 over the canonical form of `report` and compare.
pub fn to_json(report: &Report) -> Value {
    let value = report_value(report);
    let hash = sha256_hex(&canonical_json(&value));
    serde_json::json!({
        "report": value,
        "integrity": {
            "algorithm": "sha256",
            "canonicalization": CANONICALIZATION,
            "sha256": hash,
        },
    })
}

// ------------------------------------------------------------------ text forms

fn grade_text(g: Grade) -> &'static str {
    match g {
        Grade::Red => "红色（高风险）",
        Grade::Yellow => "黄色（需人工复核）",
        Grade::Green => "绿色（未见明显风险）",
    }
}

/// The grade with a coloured marker, for Markdown.
fn grade_md(g: Grade) -> String {
    let dot = match g {
        Grade::Red => "🔴",
        Grade::Yellow => "🟡",
        Grade::Green => "🟢",
    };
    format!("{dot} {}", grade_text(g))
}

fn kind_label(k: SignalKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn scheme_list(s: &[SchemeRef]) -> String {
    s.iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

fn role_text(r: SubmitterRole) -> String {
    format!("{}（{}）", r.zh(), r.as_str())
}

fn top_scheme_text(t: &TopScheme) -> String {
    match &t.confidence {
        Some(c) => format!("{} · {} · 置信度 {c}", t.name, t.id),
        None => format!("{} · {}", t.name, t.id),
    }
}

fn ids_text(ids: &[String]) -> String {
    if ids.is_empty() {
        "—".into()
    } else {
        ids.join("、")
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("—")
}

/// The section headings, in order (both text forms).
const H_CASE: &str = "案件信息";
const H_TEXT: &str = "原文（已脱敏）";
const H_FACTS: &str = "事实";
const H_DOUBTS: &str = "疑点";
const H_PATTERNS: &str = "匹配模式";
const H_SIMILAR: &str = "相似案例";
const H_REGULATIONS: &str = "适用法规";
const H_DRAFT: &str = "证据摘要（机器草稿，须人工核实）";
const H_SIGNALS: &str = "信号";
const H_VERSIONS: &str = "版本";
const H_INTEGRITY: &str = "完整性校验";

/// Free text for Markdown, one line: escaped by [`md_text`].
fn md_cell(s: &str) -> String {
    md_text(&md_line(s))
}

/// Text on one line.
fn md_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Free text for Markdown: what Markdown would read as HTML, emphasis,
/// code, table cell borders, links, headings, lists or quotes is
/// backslash-escaped, so a complaint cannot inject markup (or a fake
/// section) into the report.
fn md_text(s: &str) -> String {
    let link = s.contains("](");
    let mut out = String::with_capacity(s.len() + 8);
    for (n, line) in s.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start().len();
        out.push_str(&line[..indent]);
        let body = &line[indent..];
        // A list number at the line start: "1." / "1)" before a space.
        let digits = body.bytes().take_while(u8::is_ascii_digit).count();
        let numbered = digits > 0
            && body[digits..].starts_with(['.', ')'])
            && body[digits + 1..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace);
        if body.starts_with(['-', '+', '=', '#']) {
            out.push('\\');
        }
        for (i, c) in body.char_indices() {
            if numbered && i == digits {
                out.push('\\');
            }
            match c {
                '\\' | '`' | '*' | '_' | '<' | '>' | '|' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '[' if link => out.push_str("\\["),
                c => out.push(c),
            }
        }
    }
    out
}

fn md_table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str("（无）\n\n");
        return;
    }
    out.push_str(&format!("| {} |\n", head.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
}

fn source_rows(sources: &[Source]) -> Vec<Vec<String>> {
    sources
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.title.clone(),
                s.excerpt.clone(),
                s.doc_id.clone(),
                s.score.clone(),
            ]
        })
        .collect()
}

const SOURCE_HEAD: [&str; 5] = ["编号", "标题", "摘录", "文档", "相关度"];

/// The report as Markdown; `hash` is [`integrity`] of the same report.
pub fn to_markdown(r: &Report, hash: &str) -> String {
    let mut o = String::new();
    let h = &r.header;
    o.push_str(&format!(
        "# 证据报告 · {}\n\n> 由 caseguard 自动生成；个人信息（电话、证件号、账号等）已脱敏。\n\n",
        md_cell(&h.assessment_id)
    ));

    o.push_str(&format!("## {H_CASE}\n\n"));
    md_table(
        &mut o,
        &["项目", "内容"],
        vec![
            vec!["评估编号".into(), h.assessment_id.clone()],
            vec!["材料类型".into(), channel_label(h.kind).into()],
            vec!["提交时间".into(), h.created_at.clone()],
            vec!["评级".into(), grade_md(h.grade)],
            vec!["主要模式".into(), top_scheme_text(&h.top_scheme)],
            vec!["提交人身份".into(), role_text(h.role)],
            vec!["记录时间".into(), r.generated_at.clone()],
        ],
    );
    if !h.reasons.is_empty() {
        o.push_str("判断理由：\n\n");
        for reason in &h.reasons {
            o.push_str(&format!("- {}\n", md_cell(reason)));
        }
        o.push('\n');
    }

    o.push_str(&format!("## {H_TEXT}\n\n"));
    for line in r.text_masked.lines() {
        o.push_str(&format!("> {}\n", md_text(line)));
    }
    o.push('\n');

    o.push_str(&format!("## {H_FACTS}\n\n"));
    md_table(
        &mut o,
        &["编号", "类型", "内容", "规范值"],
        r.facts
            .iter()
            .map(|f| {
                vec![
                    f.id.clone(),
                    fact_kind_label(f.kind).into(),
                    f.value.clone(),
                    opt(&f.normalized).into(),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("## {H_DOUBTS}\n\n"));
    md_table(
        &mut o,
        &["编号", "疑点", "原文引用", "关联事实", "依据"],
        r.doubts
            .iter()
            .map(|d| {
                vec![
                    d.id.clone(),
                    d.statement.clone(),
                    opt(&d.quote).into(),
                    ids_text(&d.fact_ids),
                    ids_text(&d.citation_ids),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("## {H_PATTERNS}\n\n"));
    md_table(&mut o, &SOURCE_HEAD, source_rows(&r.patterns));

    o.push_str(&format!("## {H_SIMILAR}\n\n### 引用案例\n\n"));
    md_table(&mut o, &SOURCE_HEAD, source_rows(&r.cases));
    o.push_str("### 相近的标注样本\n\n");
    md_table(
        &mut o,
        &["文档", "标题", "模式", "相似度"],
        r.neighbours
            .iter()
            .map(|n| {
                vec![
                    n.doc_id.clone(),
                    n.title.clone(),
                    scheme_list(&n.schemes),
                    n.similarity.clone(),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("## {H_REGULATIONS}\n\n"));
    md_table(&mut o, &SOURCE_HEAD, source_rows(&r.regulations));

    o.push_str(&format!("## {H_DRAFT}\n\n> **{}**", r.draft.notice));
    if let (Some(model), Some(at)) = (&r.draft.model, &r.draft.generated_at) {
        o.push_str(&format!(
            "（模型：{}；生成时间：{}）",
            md_cell(model),
            md_cell(at)
        ));
    }
    o.push_str("\n\n");
    for (i, s) in r.draft.sentences.iter().enumerate() {
        o.push_str(&format!("{}. {}", i + 1, md_cell(&s.text)));
        if let Some(flag) = &s.flagged {
            o.push_str(&format!(" ⚠ {}", md_cell(flag)));
        }
        o.push('\n');
    }
    if r.draft.dropped > 0 {
        o.push_str(&format!(
            "\n（另有 {} 句因未引用本报告所列材料而未采用。）\n",
            r.draft.dropped
        ));
    }
    o.push('\n');

    o.push_str(&format!("## {H_SIGNALS}\n\n"));
    md_table(
        &mut o,
        &["信号", "类别", "说明", "原文", "强度"],
        r.signals
            .iter()
            .map(|s| {
                vec![
                    s.label.clone(),
                    kind_label(s.kind),
                    s.explanation.clone(),
                    s.quote
                        .clone()
                        .or_else(|| s.field.clone())
                        .unwrap_or_default(),
                    s.weight.clone(),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("## {H_VERSIONS}\n\n"));
    md_table(&mut o, &["组件", "版本"], version_rows(&r.versions));

    o.push_str(&format!(
        "## {H_INTEGRITY}\n\n- 算法：SHA-256\n- 规范化：{CANONICALIZATION}\n- 摘要：`{hash}`\n\n\
         用 JSON 导出中的 `report` 按上述规范化重新计算 SHA-256，与摘要一致即说明报告未被改动。\n"
    ));
    o
}

fn version_rows(v: &Versions) -> Vec<Vec<String>> {
    let or_none = |s: &str| {
        if s.is_empty() {
            "（未使用）".to_string()
        } else {
            s.to_string()
        }
    };
    vec![
        vec!["caseguard".into(), or_none(&v.caseguard)],
        vec!["嵌入模型".into(), or_none(&v.embedding_model)],
        vec!["语言模型".into(), or_none(&v.llm)],
        vec!["知识库".into(), or_none(&v.knowledge_base)],
    ]
}

/// Text for HTML: `& < > " '` escaped.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "\
body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif;\
max-width:960px;margin:2em auto;padding:0 1em;color:#222;line-height:1.6;font-size:15px}
h1{font-size:1.5em;border-bottom:2px solid #333;padding-bottom:.2em}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #bbb}
h3{font-size:1.05em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#eee;white-space:nowrap}
.badge{display:inline-block;padding:.1em .8em;border-radius:1em;color:#fff;font-weight:bold}
.grade-red{background:#c62828}
.grade-yellow{background:#f9a825;color:#222}
.grade-green{background:#2e7d32}
.note{color:#555}
.source{white-space:pre-wrap;background:#f6f6f6;border-left:3px solid #999;padding:.5em 1em}
.draft{border:2px dashed #e65100;background:#fff8e1;padding:.5em 1em}
.draft .notice{font-weight:bold;color:#e65100}
.flag{color:#b71c1c}
code{word-break:break-all}
@page{size:A4;margin:15mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt}\
.badge,.draft,th,.source{-webkit-print-color-adjust:exact;print-color-adjust:exact}\
h2,h3{break-after:avoid}tr,li{break-inside:avoid}}
";

fn html_table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str("<p class=\"note\">（无）</p>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", escape_html(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            out.push_str(&format!("<td>{}</td>", escape_html(&c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The report as one self-contained, print-ready HTML page (inline CSS, no
/// scripts, no external assets); `hash` is [`integrity`] of the same report.
pub fn to_html(r: &Report, hash: &str) -> String {
    let h = &r.header;
    let mut o = String::new();
    o.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>证据报告 · {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        escape_html(&h.assessment_id)
    ));
    o.push_str(&format!(
        "<h1>证据报告 · {}</h1>\n<p class=\"note\">由 caseguard 自动生成；个人信息（电话、证件号、账号等）已脱敏。</p>\n",
        escape_html(&h.assessment_id)
    ));

    o.push_str(&format!("<h2>{H_CASE}</h2>\n<table>\n<tbody>\n"));
    let row = |k: &str, v: String| format!("<tr><th>{}</th><td>{v}</td></tr>\n", escape_html(k));
    o.push_str(&row("评估编号", escape_html(&h.assessment_id)));
    o.push_str(&row("材料类型", escape_html(channel_label(h.kind))));
    o.push_str(&row("提交时间", escape_html(&h.created_at)));
    o.push_str(&row(
        "评级",
        format!(
            "<span class=\"badge grade-{}\">{}</span>",
            h.grade.as_str(),
            escape_html(grade_text(h.grade))
        ),
    ));
    o.push_str(&row(
        "主要模式",
        escape_html(&top_scheme_text(&h.top_scheme)),
    ));
    o.push_str(&row("提交人身份", escape_html(&role_text(h.role))));
    o.push_str(&row("记录时间", escape_html(&r.generated_at)));
    o.push_str("</tbody>\n</table>\n");
    if !h.reasons.is_empty() {
        o.push_str("<p>判断理由：</p>\n<ul>\n");
        for reason in &h.reasons {
            o.push_str(&format!("<li>{}</li>\n", escape_html(reason)));
        }
        o.push_str("</ul>\n");
    }

    o.push_str(&format!(
        "<h2>{H_TEXT}</h2>\n<div class=\"source\">{}</div>\n",
        escape_html(&r.text_masked)
    ));

    o.push_str(&format!("<h2>{H_FACTS}</h2>\n"));
    html_table(
        &mut o,
        &["编号", "类型", "内容", "规范值"],
        r.facts
            .iter()
            .map(|f| {
                vec![
                    f.id.clone(),
                    fact_kind_label(f.kind).into(),
                    f.value.clone(),
                    opt(&f.normalized).into(),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("<h2>{H_DOUBTS}</h2>\n"));
    html_table(
        &mut o,
        &["编号", "疑点", "原文引用", "关联事实", "依据"],
        r.doubts
            .iter()
            .map(|d| {
                vec![
                    d.id.clone(),
                    d.statement.clone(),
                    opt(&d.quote).into(),
                    ids_text(&d.fact_ids),
                    ids_text(&d.citation_ids),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("<h2>{H_PATTERNS}</h2>\n"));
    html_table(&mut o, &SOURCE_HEAD, source_rows(&r.patterns));

    o.push_str(&format!("<h2>{H_SIMILAR}</h2>\n<h3>引用案例</h3>\n"));
    html_table(&mut o, &SOURCE_HEAD, source_rows(&r.cases));
    o.push_str("<h3>相近的标注样本</h3>\n");
    html_table(
        &mut o,
        &["文档", "标题", "模式", "相似度"],
        r.neighbours
            .iter()
            .map(|n| {
                vec![
                    n.doc_id.clone(),
                    n.title.clone(),
                    scheme_list(&n.schemes),
                    n.similarity.clone(),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("<h2>{H_REGULATIONS}</h2>\n"));
    html_table(&mut o, &SOURCE_HEAD, source_rows(&r.regulations));

    o.push_str(&format!(
        "<h2>{H_DRAFT}</h2>\n<div class=\"draft\">\n<p class=\"notice\">{}</p>\n",
        escape_html(&r.draft.notice)
    ));
    if let (Some(model), Some(at)) = (&r.draft.model, &r.draft.generated_at) {
        o.push_str(&format!(
            "<p class=\"note\">模型：{}；生成时间：{}</p>\n",
            escape_html(model),
            escape_html(at)
        ));
    }
    if !r.draft.sentences.is_empty() {
        o.push_str("<ol>\n");
        for s in &r.draft.sentences {
            o.push_str(&format!("<li>{}", escape_html(&s.text)));
            if let Some(flag) = &s.flagged {
                o.push_str(&format!(
                    " <span class=\"flag\">⚠ {}</span>",
                    escape_html(flag)
                ));
            }
            o.push_str("</li>\n");
        }
        o.push_str("</ol>\n");
    }
    if r.draft.dropped > 0 {
        o.push_str(&format!(
            "<p class=\"note\">另有 {} 句因未引用本报告所列材料而未采用。</p>\n",
            r.draft.dropped
        ));
    }
    o.push_str("</div>\n");

    o.push_str(&format!("<h2>{H_SIGNALS}</h2>\n"));
    html_table(
        &mut o,
        &["信号", "类别", "说明", "原文", "强度"],
        r.signals
            .iter()
            .map(|s| {
                vec![
                    s.label.clone(),
                    kind_label(s.kind),
                    s.explanation.clone(),
                    s.quote
                        .clone()
                        .or_else(|| s.field.clone())
                        .unwrap_or_default(),
                    s.weight.clone(),
                ]
            })
            .collect(),
    );

    o.push_str(&format!("<h2>{H_VERSIONS}</h2>\n"));
    html_table(&mut o, &["组件", "版本"], version_rows(&r.versions));

    o.push_str(&format!(
        "<h2>{H_INTEGRITY}</h2>\n<table>\n<tbody>\n{}{}{}</tbody>\n</table>\n\
         <p class=\"note\">用 JSON 导出中的 <code>report</code> 按上述规范化重新计算 SHA-256，与摘要一致即说明报告未被改动。</p>\n\
         </body>\n</html>\n",
        row("算法", "SHA-256".into()),
        row("规范化", escape_html(CANONICALIZATION)),
        row("摘要", format!("<code>{}</code>", escape_html(hash))),
    ));
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::draft::{DraftOutcome, testing};

    fn names(id: &str) -> Option<String> {
        (id == "proxy_insurance_surrender").then(|| "代理退保".to_string())
    }

    fn report() -> Report {
        let a = testing::assessment();
        let draft = Draft {
            sentences: vec![
                DraftSentence {
                    text: "对方收取5000元服务费[F1][D1]。".into(),
                    citations: vec!["F1".into(), "D1".into()],
                    flagged: None,
                },
                DraftSentence {
                    text: "这与代理退保模式一致[K1][K9]。".into(),
                    citations: vec!["K1".into(), "K9".into()],
                    flagged: None,
                },
                DraftSentence {
                    text: "另有判例[K9]。".into(),
                    citations: vec!["K9".into()],
                    flagged: None,
                },
            ],
            ..Draft::new(DraftOutcome::default(), "gemma-3-270m")
        };
        let mut r = build(&a, Some(&draft), names);
        r.generated_at = "2025-01-02T03:05:00Z".into();
        r
    }

    const SECTIONS: [&str; 9] = [
        H_CASE,
        H_FACTS,
        H_DOUBTS,
        H_PATTERNS,
        H_SIMILAR,
        H_REGULATIONS,
        H_DRAFT,
        H_VERSIONS,
        H_INTEGRITY,
    ];

    #[test]
    fn report_has_every_part_masked() {
        let r = report();
        assert_eq!(r.header.top_scheme.name, "代理退保");
        assert_eq!(r.header.top_scheme.confidence.as_deref(), Some("0.860"));
        assert_eq!(r.patterns.len(), 1);
        assert_eq!(r.cases.len(), 1);
        assert_eq!(r.regulations.len(), 1);
        assert_eq!(r.neighbours[0].schemes[0].name, "代理退保");
        assert!(!r.facts.is_empty() && !r.doubts.is_empty() && !r.signals.is_empty());
        assert!(r.text_masked.contains("138****5678"));
        // The draft keeps only ids this assessment offers.
        assert!(r.draft.generated && r.draft.machine_draft);
        assert_eq!(r.draft.sentences.len(), 2);
        assert_eq!(r.draft.sentences[1].text, "这与代理退保模式一致[K1]。");
        assert!(
            r.draft.sentences[1]
                .flagged
                .as_deref()
                .unwrap()
                .contains("K9")
        );
        assert_eq!(r.draft.dropped, 1);
        let json = serde_json::to_string(&to_json(&r)).unwrap();
        assert!(!json.contains("13812345678"), "{json}");

        let none = build(&testing::assessment(), None, |_| None);
        assert!(!none.draft.generated);
        assert_eq!(none.draft.notice, NO_DRAFT_NOTICE);
        assert_eq!(none.header.top_scheme.name, "代理退保（退保黑产）");
        assert!(to_markdown(&none, "x").contains(NO_DRAFT_NOTICE));
    }

    #[test]
    fn canonical_json_sorts_keys_and_writes_no_whitespace() {
        let x: Value = serde_json::from_str(
            r#"{"b": [1, {"z": null, "a": true}], "a": {"d": "代理\n\"退保\"\u0001", "c": -2}}"#,
        )
        .unwrap();
        let y: Value = serde_json::from_str(
            r#"{"a":{"c":-2,"d":"代理\n\"退保\"\u0001"},"b":[1,{"a":true,"z":null}]}"#,
        )
        .unwrap();
        let c = canonical_json(&x);
        assert_eq!(c, canonical_json(&y));
        assert_eq!(
            c,
            r#"{"a":{"c":-2,"d":"代理\n\"退保\"\u0001"},"b":[1,{"a":true,"z":null}]}"#
        );
        // Canonical output is valid JSON that reads back to the same value.
        assert_eq!(serde_json::from_str::<Value>(&c).unwrap(), x);
    }

    #[test]
    fn hash_is_stable_across_key_order_and_reserialisation() {
        let r = report();
        let h = integrity(&r);
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(h, integrity(&r.clone()));
        let pretty = serde_json::to_string_pretty(&r).unwrap();
        let back: Report = serde_json::from_str(&pretty).unwrap();
        assert_eq!(back, r);
        assert_eq!(integrity(&back), h);
        // Keys in reverse order at every level: same canonical form.
        fn reversed(v: &Value) -> String {
            match v {
                Value::Object(m) => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.reverse();
                    let parts: Vec<String> = keys
                        .into_iter()
                        .map(|k| {
                            format!("{}:{}", serde_json::to_string(k).unwrap(), reversed(&m[k]))
                        })
                        .collect();
                    format!("{{ {} }}", parts.join(" , "))
                }
                Value::Array(a) => {
                    let parts: Vec<String> = a.iter().map(reversed).collect();
                    format!("[ {} ]", parts.join(" , "))
                }
                v => serde_json::to_string(v).unwrap(),
            }
        }
        let v = serde_json::to_value(&r).unwrap();
        let shuffled: Value = serde_json::from_str(&reversed(&v)).unwrap();
        assert_eq!(sha256_hex(&canonical_json(&shuffled)), h);
    }

    /// Every leaf of `v`, as a JSON pointer.
    fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, x)| leaves(x, format!("{at}/{k}"), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| leaves(x, format!("{at}/{i}"), out)),
            _ => out.push(at),
        }
    }

    #[test]
    fn hash_changes_when_any_field_changes() {
        let r = report();
        let h = integrity(&r);
        let v = serde_json::to_value(&r).unwrap();
        let mut paths = Vec::new();
        leaves(&v, String::new(), &mut paths);
        assert!(paths.len() > 50, "{}", paths.len());
        for p in &paths {
            let mut w = v.clone();
            let leaf = w.pointer_mut(p).unwrap();
            *leaf = match leaf.take() {
                Value::String(s) => Value::String(format!("{s}x")),
                Value::Bool(b) => Value::Bool(!b),
                Value::Number(n) => Value::from(n.as_u64().unwrap_or(0) + 1),
                Value::Null => Value::String(String::new()),
                other => other,
            };
            assert_ne!(sha256_hex(&canonical_json(&w)), h, "{p}");
        }
        let mut changed = r.clone();
        changed.header.grade = Grade::Yellow;
        assert_ne!(integrity(&changed), h);
        let mut changed = r.clone();
        changed.draft.sentences[0].text.push('！');
        assert_ne!(integrity(&changed), h);
    }

    #[test]
    fn json_export_lets_a_recipient_recompute_the_hash() {
        let r = report();
        let exported = serde_json::to_string(&to_json(&r)).unwrap();
        let received: Value = serde_json::from_str(&exported).unwrap();
        let integrity_block = &received["integrity"];
        assert_eq!(integrity_block["algorithm"], "sha256");
        assert_eq!(integrity_block["canonicalization"], CANONICALIZATION);
        let recomputed = sha256_hex(&canonical_json(&received["report"]));
        assert_eq!(integrity_block["sha256"], recomputed.as_str());
        assert_eq!(recomputed, integrity(&r));
        let back: Report = serde_json::from_value(received["report"].clone()).unwrap();
        assert_eq!(back, r);
        // Tampering shows.
        let mut tampered = received["report"].clone();
        tampered["header"]["grade"] = "green".into();
        assert_ne!(sha256_hex(&canonical_json(&tampered)), recomputed);
    }

    #[test]
    fn markdown_has_every_section_the_hash_and_escaped_cells() {
        let r = report();
        let h = integrity(&r);
        let md = to_markdown(&r, &h);
        for s in SECTIONS {
            assert!(md.contains(&format!("## {s}")), "{s}");
        }
        assert!(md.contains(&h));
        assert!(md.contains("🔴 红色（高风险）"));
        // Markup in the complaint stays text.
        assert!(md.contains("\\<script\\>alert(1)\\</script\\>"), "{md}");
        assert!(!md.replace("\\<", "").contains('<'), "{md}");
        assert_eq!(
            md_text("## 假标题\n1. 列表 138****5678 [点此](http://x) 0.5"),
            "\\## 假标题\n1\\. 列表 138\\*\\*\\*\\*5678 \\[点此](http://x) 0.5"
        );
        // K2's excerpt has a "|": escaped in its cell.
        assert!(md.contains("收取费用 \\| 共计"), "{md}");
        assert!(md.contains("这与代理退保模式一致[K1]。"));
        assert!(!md.contains("13812345678"));
        for line in md.lines().filter(|l| l.starts_with("| K2 ")) {
            let unescaped = line.replace("\\|", "");
            assert_eq!(
                unescaped.matches('|').count(),
                SOURCE_HEAD.len() + 1,
                "{line}"
            );
        }
    }

    #[test]
    fn html_is_self_contained_escaped_and_complete() {
        let r = report();
        let h = integrity(&r);
        let html = to_html(&r, &h);
        for s in SECTIONS {
            assert!(html.contains(&format!("<h2>{s}</h2>")), "{s}");
        }
        assert!(html.contains(&h));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("<html lang=\"zh-CN\">"));
        assert!(html.contains("@media print"));
        assert!(html.contains("<span class=\"badge grade-red\">"));
        assert!(html.contains("<table>"));
        // The complaint's "<script>" comes out as text.
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("<link") && !html.contains("src=") && !html.contains("url("));
        assert!(!html.contains("13812345678"));
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
