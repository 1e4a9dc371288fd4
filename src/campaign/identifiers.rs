//! Identifiers that tie submissions together — an agent's phone, WeChat,
//! QQ or Telegram id, a bank account, a "老师" or an agency, and from the
//! structured fields an employer, an address, a device or an IP — found,
//! normalised, and kept only as keyed hashes.
//!
//! The same intermediary stands behind many complaints and loan
//! applications; a phone number shared by six of them is the evidence. But
//! these are personal data: the store and the API only ever see
//! HMAC-SHA256(key, kind ‖ value) and a masked display form, so matching is
//! exact after normalisation and nothing can be read back without the key
//! (which lives in the config, not in the store). [`redact`] masks the same
//! identifiers inside a text without moving any byte offset, so a stored
//! assessment keeps its signal spans and loses the clear values.
//!
//! Some identifiers are shared by honest people too — a big employer, an
//! office address, a carrier-grade NAT's IP, a common "王老师" — so each
//! kind says whether it is [`IdKind::strong`] enough to link two items alone.

use std::ops::Range;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use regex::Regex;
use serde_json::Value;
use sha2::Sha256;

use crate::assess::applicant::Applicant;

/// What an identifier is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    Phone,
    Wechat,
    Qq,
    Telegram,
    BankAccount,
    /// "王老师", "李律师": how coaching agents are named in complaints.
    AgentName,
    /// "诚信法务咨询服务中心": an intermediary business named in a text.
    Agency,
    /// An application's employer.
    Employer,
    /// An application's address.
    Address,
    /// A device id supplied in the metadata.
    Device,
    /// An IP address supplied in the metadata.
    Ip,
}

impl IdKind {
    pub fn tag(self) -> &'static str {
        match self {
            IdKind::Phone => "phone",
            IdKind::Wechat => "wechat",
            IdKind::Qq => "qq",
            IdKind::Telegram => "telegram",
            IdKind::BankAccount => "bank_account",
            IdKind::AgentName => "agent_name",
            IdKind::Agency => "agency",
            IdKind::Employer => "employer",
            IdKind::Address => "address",
            IdKind::Device => "device",
            IdKind::Ip => "ip",
        }
    }

    /// Parse a [`IdKind::tag`].
    pub fn from_tag(s: &str) -> Option<Self> {
        ALL_KINDS.iter().copied().find(|k| k.tag() == s)
    }

    /// Whether one shared value is enough to link two submissions. Weak
    /// kinds link only in pairs (the same employer *and* address).
    pub fn strong(self) -> bool {
        !matches!(
            self,
            IdKind::AgentName | IdKind::Employer | IdKind::Address | IdKind::Ip
        )
    }

    /// Chinese name for reports and signals.
    pub fn label(self) -> &'static str {
        match self {
            IdKind::Phone => "电话",
            IdKind::Wechat => "微信",
            IdKind::Qq => "QQ",
            IdKind::Telegram => "Telegram",
            IdKind::BankAccount => "银行账户",
            IdKind::AgentName => "中介称呼",
            IdKind::Agency => "中介机构",
            IdKind::Employer => "工作单位",
            IdKind::Address => "地址",
            IdKind::Device => "设备",
            IdKind::Ip => "IP",
        }
    }
}

const ALL_KINDS: [IdKind; 11] = [
    IdKind::Phone,
    IdKind::Wechat,
    IdKind::Qq,
    IdKind::Telegram,
    IdKind::BankAccount,
    IdKind::AgentName,
    IdKind::Agency,
    IdKind::Employer,
    IdKind::Address,
    IdKind::Device,
    IdKind::Ip,
];

/// One identifier as it may be stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HashedId {
    pub kind: IdKind,
    /// Hex HMAC-SHA256 of `kind:value` under the configured key.
    pub hash: String,
    /// For display: most of the value hidden.
    pub masked: String,
}

impl HashedId {
    /// The stored matching key: `kind:hash`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.tag(), self.hash)
    }
}

struct Patterns {
    phone: Regex,
    wechat: Regex,
    qq: Regex,
    telegram: Regex,
    account: Regex,
    agent: Regex,
    agency: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("identifier pattern");
        Patterns {
            // Mainland mobiles, optionally +86, spaces or dashes inside.
            phone: re(r"(?:\+?86[-\s]?)?(1[3-9][0-9](?:[-\s]?[0-9]){8})"),
            wechat: re(
                r"(?i)(?:微信|wechat|vx|wx|v信)号?\s*[:：是为]?\s*([a-zA-Z][-_a-zA-Z0-9]{5,19})",
            ),
            qq: re(r"(?i)(?:qq|扣扣)号?\s*[:：是为]?\s*([1-9][0-9]{4,11})"),
            telegram: re(
                r"(?i)(?:telegram|tg|飞机|纸飞机)号?\s*[:：是为]?\s*@?([a-zA-Z][a-zA-Z0-9_]{4,31})|t\.me/([a-zA-Z][a-zA-Z0-9_]{4,31})",
            ),
            account: re(r"(?:[0-9][\s-]?){15,18}[0-9]"),
            agent: re(r"([\p{Han}]{1,2})(老师|律师|法务|主任)"),
            agency: re(&format!(
                r"([\p{{Han}}]{{2,8}}(?:{})(?:咨询)?(?:服务)?(?:有限公司|公司|中心|工作室|事务所))",
                TRADES.join("|")
            )),
        }
    })
}

/// Heads that make "X老师" a pronoun phrase rather than a name.
const NOT_NAMES: &[&str] = &[
    "个", "的", "位", "了", "找", "说", "是", "让", "跟", "和", "班", "些", "们", "请",
];

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Full-width ASCII folded to ASCII, char for char, with each folded
/// char's byte range in the original.
struct Folded {
    text: String,
    /// Original byte range of the char starting at each folded byte offset.
    map: Vec<(usize, Range<usize>)>,
}

impl Folded {
    fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut map = Vec::with_capacity(original.len());
        for (i, c) in original.char_indices() {
            let folded = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
            map.push((text.len(), i..i + c.len_utf8()));
            text.push(folded);
        }
        Self { text, map }
    }

    /// The original byte range of a folded byte range.
    fn original(&self, r: Range<usize>) -> Range<usize> {
        let at = |b: usize| self.map.partition_point(|(s, _)| *s < b);
        let (a, z) = (at(r.start), at(r.end));
        let start = self.map.get(a).map_or(usize::MAX, |(_, o)| o.start);
        let end = if z == 0 { start } else { self.map[z - 1].1.end };
        start.min(end)..end
    }
}

/// One identifier found in a text: kind, normalised value, and the byte
/// range in the original text to mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: IdKind,
    pub value: String,
    pub span: Range<usize>,
}

/// Every identifier in a text, in order of appearance (overlaps kept).
pub fn find(text: &str) -> Vec<Found> {
    let p = patterns();
    let f = Folded::new(text);
    let t = f.text.as_str();
    let mut out: Vec<Found> = Vec::new();
    let mut push = |kind, value: String, r: Range<usize>| {
        out.push(Found {
            kind,
            value,
            span: f.original(r),
        })
    };
    let mut phones: Vec<Range<usize>> = Vec::new();
    for c in p.phone.captures_iter(t) {
        let m = c.get(1).expect("group 1");
        // A mobile number inside a longer digit run is not a phone.
        let before = t[..m.start()].chars().next_back();
        let after = t[m.end()..].chars().next();
        if before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        phones.push(m.range());
        push(IdKind::Phone, digits(m.as_str()), m.range());
    }
    for c in p.wechat.captures_iter(t) {
        let m = c.get(1).expect("group 1");
        push(IdKind::Wechat, m.as_str().to_lowercase(), m.range());
    }
    for c in p.qq.captures_iter(t) {
        let m = c.get(1).expect("group 1");
        push(IdKind::Qq, m.as_str().to_string(), m.range());
    }
    for c in p.telegram.captures_iter(t) {
        if let Some(m) = c.get(1).or_else(|| c.get(2)) {
            push(IdKind::Telegram, m.as_str().to_lowercase(), m.range());
        }
    }
    for m in p.account.find_iter(t) {
        let d = digits(m.as_str());
        if (16..=19).contains(&d.len())
            && !phones
                .iter()
                .any(|r| r.start >= m.start() && r.end <= m.end())
        {
            push(IdKind::BankAccount, d, m.range());
        }
    }
    for c in p.agent.captures_iter(t) {
        // "找了老师" has no name; "王老师" does. Skip pronoun-like heads.
        let head = c.get(1).expect("group 1");
        let Some((i, ch)) = head.as_str().char_indices().next_back() else {
            continue;
        };
        let name = ch.to_string();
        if NOT_NAMES.contains(&name.as_str()) {
            continue;
        }
        let start = head.start() + i;
        push(
            IdKind::AgentName,
            format!("{name}{}", &c[2]),
            start..start + ch.len_utf8(),
        );
    }
    for c in p.agency.captures_iter(t) {
        let m = c.get(1).expect("group 1");
        if let Some(name) = agency_name(m.as_str()) {
            push(IdKind::Agency, name, m.range());
        }
    }
    out
}

/// Words that often run into an agency's name in a Han run ("找诚信法务…").
const LEAD_INS: &[&str] = &[
    "委托", "联系", "通过", "介绍", "咨询", "找", "让", "在", "是", "去", "和", "跟", "由", "经",
    "请", "的", "了", "到", "向", "给", "叫",
];

/// Prepositions after which a Han run turns into the name ("于7日内向征信中心"
/// → "征信中心"): the agency is what the sentence sends something to.
const PREPOSITIONS: &[char] = &['向', '于', '在', '对', '从', '把', '被', '给', '到', '去'];

/// What a name may be made of and still name nobody in particular: the
/// central bank's credit reference centre, "the bank", "the state".
const GENERIC_HEADS: &[&str] = &[
    "中国人民银行",
    "人民银行",
    "人行",
    "央行",
    "银行",
    "贵行",
    "你行",
    "我行",
    "本行",
    "国家",
    "官方",
    "中国",
    "金融",
    "监管",
    "消费者",
    "个人",
    "企业",
];

/// The trade words an agency's name is built around (the agency pattern
/// and the split of a name into its distinctive head).
const TRADES: &[&str] = &[
    "金融服务",
    "法务",
    "咨询",
    "债务",
    "征信",
    "维权",
    "信息",
    "财务",
    "商务",
];

/// An agency's name without the words that precede it in running text, or
/// `None` when what is left names no particular business ("征信中心",
/// "人民银行征信中心"): those are institutions every complaint mentions.
fn agency_name(s: &str) -> Option<String> {
    let mut v = compact(s);
    if let Some((i, c)) = v.char_indices().rfind(|(_, c)| PREPOSITIONS.contains(c)) {
        let rest = &v[i + c.len_utf8()..];
        if rest.chars().count() >= 4 {
            v = rest.to_string();
        }
    }
    while let Some(rest) = LEAD_INS.iter().find_map(|w| v.strip_prefix(w))
        && rest.chars().count() >= 4
    {
        v = rest.to_string();
    }
    // The distinctive part: before the first trade word.
    let head_end = TRADES
        .iter()
        .filter_map(|t| v.find(t))
        .min()
        .unwrap_or(v.len());
    let mut head = &v[..head_end];
    if GENERIC_HEADS.iter().any(|g| head.ends_with(g)) {
        return None; // "…人民银行征信中心"
    }
    while let Some(rest) = GENERIC_HEADS.iter().find_map(|g| head.strip_prefix(g)) {
        head = rest;
    }
    (head.chars().count() >= 2).then_some(v)
}

/// Lower case, no whitespace or punctuation: how free-text fields are compared.
fn compact(s: &str) -> String {
    Folded::new(s)
        .text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text with every identifier masked in place: each masked char
/// becomes as many `*` as it had bytes, so byte offsets do not move.
/// Phones and accounts keep their first three and last three digits.
pub fn redact(text: &str) -> String {
    let mut spans: Vec<(Range<usize>, IdKind)> =
        find(text).into_iter().map(|f| (f.span, f.kind)).collect();
    spans.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (r, kind) in spans {
        if r.start < at || r.end > text.len() {
            continue;
        }
        out.push_str(&text[at..r.start]);
        let piece = &text[r.clone()];
        let keep = matches!(kind, IdKind::Phone | IdKind::BankAccount);
        let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
        let n_digits = piece.chars().filter(|c| digit(*c)).count();
        let mut seen = 0;
        for c in piece.chars() {
            let is_digit = digit(c);
            if is_digit {
                seen += 1;
            }
            let show = keep && (!is_digit || seen <= 3 || seen > n_digits.saturating_sub(3));
            if show {
                out.push(c);
            } else {
                out.extend(std::iter::repeat_n('*', c.len_utf8()));
            }
        }
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Every string inside a JSON value redacted (see [`redact`]).
pub fn redact_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            let r = redact(s);
            if r != *s {
                *s = r;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_value),
        Value::Object(o) => o.values_mut().for_each(redact_value),
        _ => {}
    }
}

fn mask(kind: IdKind, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let keep = |head: usize, tail: usize| -> String {
        if n <= head + tail {
            return "*".repeat(n.max(1));
        }
        let h: String = chars[..head].iter().collect();
        let t: String = chars[n - tail..].iter().collect();
        format!("{h}{}{t}", "*".repeat(n - head - tail))
    };
    match kind {
        IdKind::AgentName => format!("*{}", chars.iter().skip(1).collect::<String>()),
        IdKind::Agency | IdKind::Employer => keep(2, 2),
        IdKind::Address => keep(3, 0),
        IdKind::Ip => match value.rsplit_once('.') {
            Some((head, _)) if value.contains('.') => match head.rsplit_once('.') {
                Some((h, _)) => format!("{h}.*.*"),
                None => keep(2, 0),
            },
            _ => keep(4, 0),
        },
        _ if n <= 4 => "*".repeat(n),
        _ if n >= 11 => keep(3, 3),
        _ => keep(2, 2),
    }
}

/// Metadata keys read as identifiers, and what they are.
const METADATA_KEYS: &[(&str, IdKind)] = &[
    ("device_id", IdKind::Device),
    ("device", IdKind::Device),
    ("ip", IdKind::Ip),
    ("client_ip", IdKind::Ip),
    ("phone", IdKind::Phone),
    ("contact_phone", IdKind::Phone),
    ("agent_phone", IdKind::Phone),
    ("wechat", IdKind::Wechat),
    ("qq", IdKind::Qq),
    ("bank_account", IdKind::BankAccount),
    ("employer", IdKind::Employer),
    ("address", IdKind::Address),
    ("agency", IdKind::Agency),
    ("intermediary", IdKind::Agency),
];

/// The normalised form of a structured value of a kind; None when empty.
fn normalise(kind: IdKind, raw: &str) -> Option<String> {
    let v = match kind {
        IdKind::Phone | IdKind::Qq | IdKind::BankAccount => {
            let d = digits(&Folded::new(raw).text);
            // Drop a +86 country code so both spellings of a mobile match.
            match d.strip_prefix("86") {
                Some(rest) if rest.len() == 11 => rest.to_string(),
                _ => d,
            }
        }
        IdKind::Ip => Folded::new(raw).text.trim().to_string(),
        _ => compact(raw),
    };
    (v.chars().count() >= 2).then_some(v)
}

/// Keyed hashing of identifiers; the key comes from the config.
pub struct IdHasher {
    mac: Hmac<Sha256>,
}

impl IdHasher {
    /// `key` must be secret and at least 16 bytes.
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < 16 {
            return Err("the identifier key must have at least 16 bytes".into());
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| e.to_string())?;
        Ok(Self { mac })
    }

    /// Hash one normalised value.
    pub fn hash(&self, kind: IdKind, value: &str) -> HashedId {
        let mut mac = self.mac.clone();
        mac.update(kind.tag().as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        HashedId {
            kind,
            hash: hex::encode(mac.finalize().into_bytes()),
            masked: mask(kind, value),
        }
    }

    /// Every identifier in a text, normalised, hashed, deduplicated.
    pub fn extract(&self, text: &str) -> Vec<HashedId> {
        let mut found: Vec<(IdKind, String)> =
            find(text).into_iter().map(|f| (f.kind, f.value)).collect();
        found.sort();
        found.dedup();
        found.into_iter().map(|(k, v)| self.hash(k, &v)).collect()
    }

    /// The identifiers of a submission: its text, the application's phone,
    /// employer and address, and the metadata's known keys (strings only).
    pub fn submission(
        &self,
        text: &str,
        applicant: Option<&Applicant>,
        metadata: Option<&Value>,
    ) -> Vec<HashedId> {
        let mut found: Vec<(IdKind, String)> =
            find(text).into_iter().map(|f| (f.kind, f.value)).collect();
        if let Some(a) = applicant {
            for (kind, v) in [
                (IdKind::Phone, &a.phone),
                (IdKind::Employer, &a.employer),
                (IdKind::Address, &a.address),
            ] {
                if let Some(n) = v.as_deref().and_then(|v| normalise(kind, v)) {
                    found.push((kind, n));
                }
            }
        }
        if let Some(Value::Object(m)) = metadata {
            for (key, kind) in METADATA_KEYS {
                if let Some(n) = m
                    .get(*key)
                    .and_then(Value::as_str)
                    .and_then(|v| normalise(*kind, v))
                {
                    found.push((*kind, n));
                }
            }
        }
        found.sort();
        found.dedup();
        found.into_iter().map(|(k, v)| self.hash(k, &v)).collect()
    }
}

/// An application's identifying fields masked (phone, employer, address),
/// so a stored record keeps their shape but not their values.
pub fn mask_applicant(a: &mut Applicant) {
    for (kind, v) in [
        (IdKind::Phone, &mut a.phone),
        (IdKind::Employer, &mut a.employer),
        (IdKind::Address, &mut a.address),
    ] {
        if let Some(s) = v.as_mut() {
            let n = normalise(kind, s).unwrap_or_default();
            *s = mask(kind, &n);
        }
    }
}

/// Metadata with the identifying keys masked and every other string redacted.
pub fn mask_metadata(m: &mut Value) {
    if let Value::Object(o) = m {
        for (key, v) in o.iter_mut() {
            match (METADATA_KEYS.iter().find(|(k, _)| k == key), v.as_str()) {
                (Some((_, kind)), Some(s)) => {
                    let n = normalise(*kind, s).unwrap_or_default();
                    *v = Value::String(mask(*kind, &n));
                }
                _ => redact_value(v),
            }
        }
    } else {
        redact_value(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> IdHasher {
        IdHasher::new(b"test-key-0123456789abcdef").unwrap()
    }

    #[test]
    fn identifiers_are_found_normalised_and_never_kept_in_clear() {
        let h = hasher();
        let text = "对接人王老师，电话138-1234-5678，微信号：Wang_Law2024，QQ 123456789，回款账户6222 0212 3456 7890 123。";
        let ids = h.extract(text);
        let kinds: Vec<IdKind> = ids.iter().map(|i| i.kind).collect();
        for k in [
            IdKind::Phone,
            IdKind::Wechat,
            IdKind::Qq,
            IdKind::BankAccount,
            IdKind::AgentName,
        ] {
            assert!(kinds.contains(&k), "{k:?} missing from {ids:?}");
        }
        let dump = serde_json::to_string(&ids).unwrap();
        for clear in [
            "13812345678",
            "wang_law2024",
            "123456789",
            "6222021234567890123",
        ] {
            assert!(
                !dump.to_lowercase().contains(clear),
                "{clear} in clear: {dump}"
            );
        }
        // The same phone written differently is the same identifier.
        let other = h.extract("有事联系 +86 13812345678");
        let phone = |v: &[HashedId]| {
            v.iter()
                .find(|i| i.kind == IdKind::Phone)
                .unwrap()
                .hash
                .clone()
        };
        assert_eq!(phone(&ids), phone(&other));
        assert_eq!(
            ids.iter().find(|i| i.kind == IdKind::Phone).unwrap().masked,
            "138*****678"
        );
    }

    #[test]
    fn another_key_gives_other_hashes_and_short_keys_are_refused() {
        let a = hasher().hash(IdKind::Phone, "13812345678");
        let b = IdHasher::new(b"another-key-0123456789")
            .unwrap()
            .hash(IdKind::Phone, "13812345678");
        assert_ne!(a.hash, b.hash);
        assert!(IdHasher::new(b"short").is_err());
    }

    #[test]
    fn institutions_everyone_writes_to_are_not_agencies() {
        let h = hasher();
        for text in [
            "请求贵行于7日内向征信中心报送修改信息，恢复本人征信。",
            "要求贵行在5日内向人民银行征信中心报送修改信息。",
            "我已经去人民银行征信中心查过报告。",
        ] {
            let ids = h.extract(text);
            assert!(
                ids.iter().all(|i| i.kind != IdKind::Agency),
                "{text}: {ids:?}"
            );
        }
        // A named business in the same trade is one.
        let ids = h.extract("是向华信征信服务中心交的钱。");
        let agency: Vec<&HashedId> = ids.iter().filter(|i| i.kind == IdKind::Agency).collect();
        assert_eq!(agency.len(), 1, "{ids:?}");
        assert_eq!(agency[0], &h.hash(IdKind::Agency, "华信征信服务中心"));
    }

    #[test]
    fn nameless_teachers_are_not_identifiers() {
        let ids = hasher().extract("我找了老师帮忙，那个老师说可以停息挂账。");
        assert!(ids.iter().all(|i| i.kind != IdKind::AgentName), "{ids:?}");
    }

    #[test]
    fn redaction_keeps_offsets_and_hides_values() {
        let text = "请联系张老师，电话１３８１２３４５６７８，微信号：Wang_Law2024，找诚信法务咨询服务中心办理。";
        let r = redact(text);
        assert_eq!(r.len(), text.len(), "{r}");
        for clear in ["Wang_Law2024", "１２３４５", "张老师", "诚信法务"] {
            assert!(!r.contains(clear), "{clear} left in {r}");
        }
        // Offsets are unchanged: the text after each identifier is where it was.
        let at = text.find("办理").unwrap();
        assert_eq!(&r[at..at + "办理".len()], "办理");
        // Full-width digits are the same phone as ASCII ones.
        let h = hasher();
        let a = h.extract(text);
        let b = h.extract("电话13812345678");
        assert!(a.iter().any(|x| b.contains(x)), "{a:?} vs {b:?}");
        assert!(a.iter().any(|x| x.kind == IdKind::Agency), "{a:?}");
    }

    #[test]
    fn structured_fields_are_identifiers_and_masked_in_records() {
        let h = hasher();
        let applicant = Applicant {
            phone: Some("+86 139-0000-1111".into()),
            employer: Some("深圳市 恒达信商贸有限公司".into()),
            address: Some("广东省深圳市南山区科技园1栋".into()),
            ..Applicant::default()
        };
        let meta = serde_json::json!({"device_id": "DEV-77aa91", "ip": "10.2.3.4", "note": "微信 abc_def123"});
        let ids = h.submission("申请经营贷", Some(&applicant), Some(&meta));
        let kinds: Vec<IdKind> = ids.iter().map(|i| i.kind).collect();
        for k in [
            IdKind::Phone,
            IdKind::Employer,
            IdKind::Address,
            IdKind::Device,
            IdKind::Ip,
        ] {
            assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
        }
        // The same employer written without the space is the same identifier.
        let other = h.submission(
            "x",
            Some(&Applicant {
                employer: Some("深圳市恒达信商贸有限公司".into()),
                ..Applicant::default()
            }),
            None,
        );
        assert!(ids.contains(&other[0]));
        let mut a = applicant.clone();
        mask_applicant(&mut a);
        let mut m = meta.clone();
        mask_metadata(&mut m);
        let dump = format!("{}{}", serde_json::to_string(&a).unwrap(), m);
        for clear in [
            "00001111",
            "恒达信",
            "科技园",
            "77aa91",
            "2.3.4",
            "abc_def123",
        ] {
            assert!(!dump.contains(clear), "{clear} in {dump}");
        }
        assert!(!IdKind::Employer.strong() && IdKind::Phone.strong());
    }
}
