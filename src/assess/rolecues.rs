//! Role cues: the wording that tells who wrote a text, read from the
//! curated `knowledge-base/roles.toml`.
//!
//! The text embedding says what a case is about far better than who is
//! writing it: a victim's complaint about a debt-relief agency and that
//! agency's own letter share their topic. How people write differs —
//! "我被骗了，已经报警" against "我方当事人…否则" — so each curated cue
//! becomes one feature (per role, the log of the number of cues that match)
//! and the classifier learns how much each is worth from the labelled
//! examples. The cues are data: curators change them, the file is
//! validated on load, and a broken file is refused with the reason.

use regex::Regex;
use serde::Deserialize;

use super::role::SubmitterRole;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    cue: Vec<RawCue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCue {
    role: String,
    pattern: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

#[derive(Debug, Clone)]
struct Cue {
    role: SubmitterRole,
    re: Regex,
}

/// The compiled cues; empty (every feature 0) when the file is missing.
#[derive(Debug, Clone, Default)]
pub struct RoleCues {
    cues: Vec<Cue>,
}

impl RoleCues {
    /// Parse and validate a roles file's text; the error names the cue.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut cues = Vec::new();
        for (i, c) in file.cue.iter().enumerate() {
            let n = i + 1;
            let role = SubmitterRole::parse(&c.role).ok_or_else(|| {
                format!(
                    "cue {n}: unknown role {:?}; use legitimate, victim, participant or intermediary",
                    c.role
                )
            })?;
            if c.pattern.trim().is_empty() {
                return Err(format!("cue {n}: empty pattern"));
            }
            // `~` is one character of the same sentence, as in the signal cues.
            let re = Regex::new(&c.pattern.replace('~', "[^。!?;]"))
                .map_err(|e| format!("cue {n}: pattern {:?} does not compile: {e}", c.pattern))?;
            if re.is_match("") {
                return Err(format!(
                    "cue {n}: pattern {:?} matches empty text",
                    c.pattern
                ));
            }
            cues.push(Cue { role, re });
        }
        Ok(Self { cues })
    }

    /// Load `path`; a missing file gives no cues, a broken one an error.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(t) => Self::parse(&t).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn len(&self) -> usize {
        self.cues.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cues.is_empty()
    }

    /// Per role (in [`SubmitterRole::ALL`] order), ln(1 + cues matched) on
    /// a normalised text.
    pub fn features(&self, normalized: &str) -> [f64; 4] {
        let mut n = [0f64; 4];
        for c in &self.cues {
            if c.re.is_match(normalized) {
                n[c.role.index()] += 1.0;
            }
        }
        n.map(|v| (1.0 + v).ln())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::normalize::normalize;

    #[test]
    fn the_seed_file_loads_and_tells_writers_apart() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let cues = RoleCues::load(&root.join("knowledge-base/roles.toml")).unwrap();
        assert!(cues.len() >= 6);
        let f = |t: &str| cues.features(&normalize(t).text);
        let victim = f("我交了服务费后对方就把我拉黑了，已经报警。");
        assert!(victim[SubmitterRole::Victim.index()] > 0.0, "{victim:?}");
        let agent = f("我方当事人因病无力还款，特此函告：贵行如不在7日内停止催收，将向监管投诉。");
        assert!(
            agent[SubmitterRole::Intermediary.index()]
                > victim[SubmitterRole::Intermediary.index()],
            "{agent:?}"
        );
        assert_eq!(f("今天天气不错。"), [0.0; 4]);
    }

    #[test]
    fn a_broken_file_is_refused_with_the_reason() {
        let bad_role = "[[cue]]\nrole = \"agent\"\npattern = \"代理\"\n";
        assert!(
            RoleCues::parse(bad_role)
                .unwrap_err()
                .contains("unknown role")
        );
        let bad_re = "[[cue]]\nrole = \"victim\"\npattern = \"被骗(\"\n";
        assert!(
            RoleCues::parse(bad_re)
                .unwrap_err()
                .contains("does not compile")
        );
        let empty = "[[cue]]\nrole = \"victim\"\npattern = \"a?\"\n";
        assert!(
            RoleCues::parse(empty)
                .unwrap_err()
                .contains("matches empty")
        );
        let unknown = "[[cue]]\nrole = \"victim\"\npattern = \"骗\"\nweight = 2\n";
        assert!(RoleCues::parse(unknown).is_err());
        assert!(
            RoleCues::load(std::path::Path::new("/nonexistent/roles.toml"))
                .unwrap()
                .is_empty()
        );
    }
}
