//! Reading knowledge-base files into documents.
//!
//! Formats, chosen by extension:
//! - `.md` / `.markdown`: YAML front matter between `---` lines (id, title,
//!   kind, schemes, source, version, anything else kept as metadata), then
//!   the Markdown body;
//! - `.txt`: the whole file is the text;
//! - `.jsonl`: one document per line with `id`, `title`, `kind`, `schemes`,
//!   `text` (other keys kept as metadata); a bad line fails the file and
//!   names the line;
//! - `.pdf`: the text layer (a scanned PDF without one is an error);
//! - `.docx`: the paragraphs of word/document.xml.
//!
//! Missing `id` falls back to the file name, missing `kind` to the folder
//! (`patterns/` → pattern …), missing `title` to the first heading or line.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Document, KINDS, KbError, valid_id};

/// Files larger than this are refused (a knowledge-base entry is text).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// A DOCX's `word/document.xml` may inflate to at most this many bytes: it
/// is read through a cap, so a zip bomb costs this much memory and no more
/// (a 1 MB file inflating to 1 GB was read whole before).
pub const MAX_DOCX_XML_BYTES: u64 = 64 * 1024 * 1024;

/// Text extracted from one DOCX, in chars (the XML around it is larger).
pub const MAX_DOCX_TEXT_CHARS: usize = 4 * 1024 * 1024;

pub fn parse_file(path: &Path) -> Result<Vec<Document>, KbError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| KbError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(KbError::Parse {
            path: shown,
            message: format!(
                "file is {} MB, the limit is {} MB",
                meta.len() / 1_048_576,
                MAX_FILE_BYTES / 1_048_576
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| KbError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = path
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let folder_kind = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .and_then(kind_from_folder);
    parse_bytes(name, stem, folder_kind, &bytes).map_err(|message| match message {
        ParseFail::Unsupported => KbError::Unsupported {
            path: shown.clone(),
        },
        ParseFail::Message(m) => KbError::Parse {
            path: shown.clone(),
            message: m,
        },
    })
}

pub enum ParseFail {
    Unsupported,
    Message(String),
}

impl From<String> for ParseFail {
    fn from(m: String) -> Self {
        ParseFail::Message(m)
    }
}

/// Parse an uploaded or read file: `name` picks the format, `stem` is the
/// fallback id, `default_kind` the fallback kind.
pub fn parse_bytes(
    name: &str,
    stem: &str,
    default_kind: Option<&str>,
    bytes: &[u8],
) -> Result<Vec<Document>, ParseFail> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let utf8 = || -> Result<&str, ParseFail> {
        let s = std::str::from_utf8(bytes).map_err(|e| {
            format!(
                "not valid UTF-8 (byte {}): save the file as UTF-8",
                e.valid_up_to()
            )
        })?;
        Ok(s.strip_prefix('\u{feff}').unwrap_or(s))
    };
    let docs = match ext.as_str() {
        "md" | "markdown" => vec![markdown(utf8()?, stem, default_kind)?],
        "txt" | "text" => vec![plain(utf8()?, stem, default_kind)],
        "jsonl" | "ndjson" => jsonl(utf8()?, default_kind)?,
        "pdf" => {
            let text = pdf_extract::extract_text_from_mem(bytes)
                .map_err(|e| format!("cannot read PDF: {e}"))?;
            vec![plain(&text, stem, default_kind)]
        }
        "docx" => vec![plain(&docx_text(bytes)?, stem, default_kind)],
        _ => return Err(ParseFail::Unsupported),
    };
    for d in &docs {
        check(d)?;
    }
    Ok(docs)
}

fn check(d: &Document) -> Result<(), String> {
    if !valid_id(&d.id) {
        return Err(format!(
            "document id {:?} is not valid: use 1-128 ASCII letters, digits, '-', '_' or '.'",
            d.id
        ));
    }
    if !KINDS.contains(&d.kind.as_str()) {
        return Err(format!(
            "document {}: kind {:?} is not one of {}",
            d.id,
            d.kind,
            KINDS.join(", ")
        ));
    }
    if d.text.trim().is_empty() {
        return Err(format!("document {} has no text", d.id));
    }
    Ok(())
}

fn kind_from_folder(folder: &str) -> Option<&'static str> {
    Some(match folder {
        "patterns" => "pattern",
        "cases" => "case",
        "regulations" => "regulation",
        "examples" => "example",
        _ => return None,
    })
}

/// A file name as a document id: ASCII-safe characters kept, others dropped.
fn id_from_stem(stem: &str) -> String {
    let id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('-').to_string();
    if id.is_empty() { "document".into() } else { id }
}

fn first_line_title(text: &str) -> String {
    text.lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(80).collect())
        .unwrap_or_default()
}

fn plain(text: &str, stem: &str, default_kind: Option<&str>) -> Document {
    Document {
        id: id_from_stem(stem),
        title: first_line_title(text),
        kind: default_kind.unwrap_or("other").to_string(),
        schemes: Vec::new(),
        source: String::new(),
        version: "1".into(),
        text: text.trim().to_string(),
        extra: Value::Null,
    }
}

/// Fill a document from a JSON object of metadata plus a text.
fn from_metadata(
    mut meta: Map<String, Value>,
    text: String,
    stem: &str,
    default_kind: Option<&str>,
) -> Result<Document, String> {
    let mut take_string = |key: &str| -> Result<Option<String>, String> {
        match meta.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(format!("field '{key}' must be a string, found {other}")),
        }
    };
    let id = take_string("id")?.unwrap_or_else(|| id_from_stem(stem));
    let title = take_string("title")?.unwrap_or_else(|| first_line_title(&text));
    let kind = take_string("kind")?
        .or(default_kind.map(str::to_string))
        .unwrap_or_else(|| "other".into());
    let source = take_string("source")?.unwrap_or_default();
    let version = take_string("version")?.unwrap_or_else(|| "1".into());
    let schemes = match meta.remove("schemes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(format!("'schemes' must hold strings, found {other}")),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(format!(
                "'schemes' must be a list of scheme ids, found {other}"
            ));
        }
    };
    // pattern cards name their scheme by id
    let schemes = if schemes.is_empty() && kind == "pattern" {
        vec![id.clone()]
    } else {
        schemes
    };
    let extra = if meta.is_empty() {
        Value::Null
    } else {
        Value::Object(meta)
    };
    Ok(Document {
        id,
        title,
        kind,
        schemes,
        source,
        version,
        text: text.trim().to_string(),
        extra,
    })
}

fn markdown(text: &str, stem: &str, default_kind: Option<&str>) -> Result<Document, String> {
    let (meta, body) = match split_front_matter(text) {
        Some((yaml, body)) => {
            let value: Value = serde_yaml_ng::from_str(yaml)
                .map_err(|e| format!("front matter is not valid YAML: {e}"))?;
            match value {
                Value::Object(m) => (m, body),
                Value::Null => (Map::new(), body),
                _ => return Err("front matter must be a YAML mapping (key: value lines)".into()),
            }
        }
        None => (Map::new(), text),
    };
    from_metadata(meta, body.to_string(), stem, default_kind)
}

fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

fn jsonl(text: &str, default_kind: Option<&str>) -> Result<Vec<Document>, String> {
    let mut docs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: invalid JSON: {e}", n + 1))?;
        let Value::Object(mut obj) = value else {
            return Err(format!("line {}: expected a JSON object", n + 1));
        };
        let text = match obj.remove("text") {
            Some(Value::String(s)) => s,
            _ => return Err(format!("line {}: missing string field 'text'", n + 1)),
        };
        if !obj.contains_key("id") {
            return Err(format!("line {}: missing field 'id'", n + 1));
        }
        let doc = from_metadata(obj, text, "", default_kind)
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        check(&doc).map_err(|e| format!("line {}: {e}", n + 1))?;
        docs.push(doc);
    }
    if docs.is_empty() {
        return Err("no documents in the file".into());
    }
    Ok(docs)
}

fn docx_text(bytes: &[u8]) -> Result<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a DOCX file (zip archive expected): {e}"))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| "not a DOCX file: word/document.xml is missing".to_string())?;
    let too_big = || {
        format!(
            "word/document.xml inflates to more than {} MB: split the document or save it as plain text",
            MAX_DOCX_XML_BYTES / 1_048_576
        )
    };
    // The declared size can lie; the cap on the reader cannot.
    if entry.size() > MAX_DOCX_XML_BYTES {
        return Err(too_big());
    }
    let mut raw = Vec::new();
    entry
        .take(MAX_DOCX_XML_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read word/document.xml: {e}"))?;
    if raw.len() as u64 > MAX_DOCX_XML_BYTES {
        return Err(too_big());
    }
    let xml = String::from_utf8(raw).map_err(|e| {
        format!(
            "word/document.xml is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = String::new();
    let mut chars = 0usize;
    let mut in_text = false;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == b"w:t" => in_text = true,
            Ok(quick_xml::events::Event::End(e)) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => out.push('\n'),
                _ => {}
            },
            Ok(quick_xml::events::Event::Empty(e))
                if matches!(e.name().as_ref(), b"w:br" | b"w:tab") =>
            {
                out.push(if e.name().as_ref() == b"w:tab" {
                    '\t'
                } else {
                    '\n'
                })
            }
            Ok(quick_xml::events::Event::Text(t)) if in_text => {
                let piece = t.unescape().map_err(|e| format!("bad text in DOCX: {e}"))?;
                chars += piece.chars().count();
                out.push_str(&piece);
                if chars > MAX_DOCX_TEXT_CHARS {
                    return Err(format!(
                        "the DOCX holds more than {} characters of text: split it",
                        MAX_DOCX_TEXT_CHARS
                    ));
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => {
                return Err(format!(
                    "DOCX XML error at {}: {e}",
                    reader.buffer_position()
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, kind: Option<&str>, s: &str) -> Result<Vec<Document>, String> {
        let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
        parse_bytes(name, stem, kind, s.as_bytes()).map_err(|e| match e {
            ParseFail::Unsupported => "unsupported".into(),
            ParseFail::Message(m) => m,
        })
    }

    #[test]
    fn markdown_front_matter_becomes_metadata() {
        let md = "---\nid: case-x\ntitle: 某案\nkind: case\nschemes: [credit_repair_scam]\ndate: \"2023\"\nversion: 2\n---\n# 标题\n正文。\n";
        let d = &parse("case-x.md", None, md).unwrap()[0];
        assert_eq!(d.id, "case-x");
        assert_eq!(d.kind, "case");
        assert_eq!(d.schemes, vec!["credit_repair_scam"]);
        assert_eq!(d.version, "2");
        assert_eq!(d.extra["date"], "2023");
        assert!(d.text.starts_with("# 标题"));
    }

    #[test]
    fn fallbacks_come_from_the_file_and_folder() {
        let d = &parse("投诉 记录-01.txt", Some("case"), "第一行是标题\n正文").unwrap()[0];
        assert_eq!(d.id, "01");
        assert_eq!(d.kind, "case");
        assert_eq!(d.title, "第一行是标题");
        let p = &parse("none.md", Some("pattern"), "---\nid: none\n---\n正常诉求。").unwrap()[0];
        assert_eq!(
            p.schemes,
            vec!["none"],
            "a pattern card names its own scheme"
        );
    }

    #[test]
    fn bad_input_is_named() {
        assert!(
            parse("a.md", None, "---\nid: [unclosed\n---\ntext")
                .unwrap_err()
                .contains("YAML")
        );
        assert!(
            parse("a.jsonl", None, "{\"id\":\"a\",\"text\":\"x\"}\nnot json\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(
            parse("a.jsonl", None, "{\"id\":\"a\"}\n")
                .unwrap_err()
                .contains("'text'")
        );
        assert!(
            parse("a.md", None, "---\nid: a b c\n---\ntext")
                .unwrap_err()
                .contains("not valid")
        );
        assert!(
            parse("a.md", None, "---\nid: a\nkind: memo\n---\ntext")
                .unwrap_err()
                .contains("kind")
        );
        assert!(
            parse("a.txt", None, "   \n")
                .unwrap_err()
                .contains("no text")
        );
        assert_eq!(parse("a.exe", None, "x").unwrap_err(), "unsupported");
        let bad = parse_bytes("a.txt", "a", None, &[0xff, 0xfe, 0x00])
            .err()
            .unwrap();
        assert!(matches!(bad, ParseFail::Message(m) if m.contains("UTF-8")));
        assert!(
            matches!(parse_bytes("a.docx", "a", None, b"not a zip"), Err(ParseFail::Message(m)) if m.contains("DOCX"))
        );
        assert!(
            matches!(parse_bytes("a.pdf", "a", None, b"not a pdf"), Err(ParseFail::Message(m)) if m.contains("PDF"))
        );
    }

    #[test]
    fn jsonl_gives_one_document_per_line() {
        let s = "{\"id\":\"ex-1\",\"title\":\"t\",\"kind\":\"example\",\"schemes\":[\"none\"],\"text\":\"我想申请分期。\",\"grade\":\"green\"}\n\n{\"id\":\"ex-2\",\"kind\":\"example\",\"schemes\":[\"credit_repair_scam\"],\"text\":\"包过洗白\"}\n";
        let d = parse("x.jsonl", None, s).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].extra["grade"], "green");
        assert_eq!(d[1].schemes, vec!["credit_repair_scam"]);
    }

    #[test]
    fn docx_paragraphs_are_read() {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file(
                "word/document.xml",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            std::io::Write::write_all(
                &mut z,
                r#"<w:document><w:body><w:p><w:r><w:t>第一段。</w:t></w:r></w:p><w:p><w:r><w:t>第二段 &amp; 结尾</w:t></w:r></w:p></w:body></w:document>"#
                    .as_bytes(),
            )
            .unwrap();
            z.finish().unwrap();
        }
        let docs = parse_bytes("memo.docx", "memo", Some("case"), buf.get_ref())
            .ok()
            .unwrap();
        assert_eq!(docs[0].text, "第一段。\n第二段 & 结尾");
    }

    /// A zip bomb (a small file whose XML inflates past the cap) is refused
    /// with the reason, after reading at most the cap.
    #[test]
    fn a_docx_bomb_is_refused_while_reading() {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file(
                "word/document.xml",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .large_file(true),
            )
            .unwrap();
            let block = vec![b' '; 1 << 20];
            for _ in 0..=(MAX_DOCX_XML_BYTES >> 20) {
                std::io::Write::write_all(&mut z, &block).unwrap();
            }
            z.finish().unwrap();
        }
        assert!(buf.get_ref().len() < 1 << 20, "a bomb: small on disk");
        let err = match parse_bytes("bomb.docx", "bomb", Some("case"), buf.get_ref()) {
            Err(ParseFail::Message(m)) => m,
            _ => panic!("a bomb must be refused"),
        };
        assert!(err.contains("inflates to more than"), "{err}");
    }
}
