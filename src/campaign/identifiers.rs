//! Identifiers that tie submissions together — an agent's phone, WeChat,
//! QQ or Telegram id, a bank account, a "老师" — found in a text or given in
//! structured fields, normalised, and kept only as keyed hashes.
//!
//! The same intermediary stands behind many complaints and loan
//! applications; a phone number shared by six of them is the evidence. But
//! these are personal data: the store and the API only ever see
//! HMAC-SHA256(key, kind ‖ value) and a masked display form, so matching is
//! exact after normalisation and nothing can be read back without the key
//! (which lives in the config, not in the store).

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use regex::Regex;
use sha2::Sha256;

/// What an identifier is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
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
}

impl IdKind {
    fn tag(self) -> &'static str {
        match self {
            IdKind::Phone => "phone",
            IdKind::Wechat => "wechat",
            IdKind::Qq => "qq",
            IdKind::Telegram => "telegram",
            IdKind::BankAccount => "bank_account",
            IdKind::AgentName => "agent_name",
        }
    }
}

/// One identifier as it may be stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HashedId {
    pub kind: IdKind,
    /// Hex HMAC-SHA256 of `kind:value` under the configured key.
    pub hash: String,
    /// For display: most of the value hidden.
    pub masked: String,
}

struct Patterns {
    phone: Regex,
    wechat: Regex,
    qq: Regex,
    telegram: Regex,
    account: Regex,
    agent: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("identifier pattern");
        Patterns {
            // Mainland mobiles, optionally +86, spaces or dashes inside.
            phone: re(r"(?:\+?86[-\s]?)?(1[3-9]\d(?:[-\s]?\d){8})"),
            wechat: re(r"(?i)(?:微信|wechat|vx|wx|v信)号?\s*[:：是为]?\s*([a-zA-Z][-_a-zA-Z0-9]{5,19})"),
            qq: re(r"(?i)(?:qq|扣扣)号?\s*[:：是为]?\s*([1-9]\d{4,11})"),
            telegram: re(r"(?i)(?:telegram|tg|飞机|纸飞机)号?\s*[:：是为]?\s*@?([a-zA-Z][a-zA-Z0-9_]{4,31})|t\.me/([a-zA-Z][a-zA-Z0-9_]{4,31})"),
            account: re(r"(?:\d[\s-]?){15,18}\d"),
            agent: re(r"([\p{Han}]{1,2})(老师|律师|法务|主任)"),
        }
    })
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn mask(kind: IdKind, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    match kind {
        IdKind::AgentName => format!("*{}", chars[1..].iter().collect::<String>()),
        _ if n <= 4 => "*".repeat(n),
        _ => {
            let keep = if n >= 11 { 3 } else { 2 };
            let head: String = chars[..keep].iter().collect();
            let tail: String = chars[n - keep.min(4)..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(n - keep - keep.min(4)))
        }
    }
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
        let p = patterns();
        let mut found: Vec<(IdKind, String)> = Vec::new();
        for c in p.phone.captures_iter(text) {
            found.push((IdKind::Phone, digits(&c[1])));
        }
        for c in p.wechat.captures_iter(text) {
            found.push((IdKind::Wechat, c[1].to_lowercase()));
        }
        for c in p.qq.captures_iter(text) {
            found.push((IdKind::Qq, c[1].to_string()));
        }
        for c in p.telegram.captures_iter(text) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                found.push((IdKind::Telegram, m.as_str().to_lowercase()));
            }
        }
        for m in p.account.find_iter(text) {
            let d = digits(m.as_str());
            // A mobile number inside a longer run is not an account.
            if (16..=19).contains(&d.len()) {
                found.push((IdKind::BankAccount, d));
            }
        }
        for c in p.agent.captures_iter(text) {
            // "找了老师" has no name; "王老师" does. Skip pronoun-like heads.
            let head = &c[1];
            let head = head.chars().last().map(String::from).unwrap_or_default();
            if !matches!(
                head.as_str(),
                "个" | "的" | "位" | "了" | "找" | "说" | "是" | "让" | "跟" | "和"
            ) {
                found.push((IdKind::AgentName, format!("{head}{}", &c[2])));
            }
        }
        found.sort();
        found.dedup();
        found.into_iter().map(|(k, v)| self.hash(k, &v)).collect()
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
    fn nameless_teachers_are_not_identifiers() {
        let ids = hasher().extract("我找了老师帮忙，那个老师说可以停息挂账。");
        assert!(ids.iter().all(|i| i.kind != IdKind::AgentName), "{ids:?}");
    }
}
