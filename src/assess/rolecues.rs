//! Role cues: the wording that tells who wrote a text and how far the
//! scheme went, read from the curated `knowledge-base/roles.toml`.
//!
//! The text embedding says what a case is about far better than who is
//! writing it: a victim's complaint about a debt-relief agency and that
//! agency's own letter share their topic. How people write differs —
//! "我被骗了，已经报警" against "我方当事人…否则" — so each curated cue
//! becomes features — per role and per grade the log of the number of cues
//! that match, and one indicator per cue — and the classifier learns how
//! much each is worth from the labelled examples. A cue may also say how
//! clear the case is (`grade`): "交了5000服务费" (the scheme ran: red) reads
//! differently from "我还没交钱" (only consulted: yellow). The cues are data: curators change them, the file is
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
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    grade: Option<String>,
    pattern: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

#[derive(Debug, Clone)]
struct Cue {
    role: Option<SubmitterRole>,
    /// `true`: points to red, `false`: to yellow.
    red: Option<bool>,
    re: Regex,
}

/// Aggregate features before the per-cue indicators: four roles, then red
/// and yellow.
pub const AGGREGATES: usize = 6;

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
            let role = c
                .role
                .as_deref()
                .map(|r| {
                    SubmitterRole::parse(r).ok_or_else(|| {
                        format!(
                            "cue {n}: unknown role {r:?}; use legitimate, victim, participant or intermediary"
                        )
                    })
                })
                .transpose()?;
            let red = match c.grade.as_deref() {
                None => None,
                Some("red") => Some(true),
                Some("yellow") => Some(false),
                Some(g) => {
                    return Err(format!(
                        "cue {n}: unknown grade {g:?}; use red or yellow (green is no cue at all)"
                    ));
                }
            };
            if role.is_none() && red.is_none() {
                return Err(format!(
                    "cue {n}: says neither a role nor a grade; give at least one"
                ));
            }
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
            cues.push(Cue { role, red, re });
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

    /// Features of a normalised text: per role (in [`SubmitterRole::ALL`]
    /// order) and then for red and yellow, ln(1 + cues matched); then one
    /// 0/1 indicator per cue, in file order. Always `dim()` long.
    pub fn features(&self, normalized: &str) -> Vec<f64> {
        let mut x = vec![0f64; self.dim()];
        for (i, c) in self.cues.iter().enumerate() {
            if c.re.is_match(normalized) {
                if let Some(r) = c.role {
                    x[r.index()] += 1.0;
                }
                if let Some(red) = c.red {
                    x[if red { 4 } else { 5 }] += 1.0;
                }
                x[AGGREGATES + i] = 1.0;
            }
        }
        for v in &mut x[..AGGREGATES] {
            *v = (1.0 + *v).ln();
        }
        x
    }

    /// Length of [`RoleCues::features`].
    pub fn dim(&self) -> usize {
        AGGREGATES + self.cues.len()
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
        assert_eq!(f("今天天气不错。"), vec![0.0; cues.dim()]);
        let paid = f("我先转了5000服务费，后来人就联系不上了。");
        let asked = f("对方让我先交定金，我还没交钱，想问问是不是真的。");
        assert!(
            paid[4] > asked[4] && asked[5] > paid[5],
            "{paid:?} {asked:?}"
        );
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
        let bad_grade = "[[cue]]\ngrade = \"green\"\npattern = \"骗\"\n";
        assert!(
            RoleCues::parse(bad_grade)
                .unwrap_err()
                .contains("unknown grade")
        );
        let neither = "[[cue]]\npattern = \"骗\"\n";
        assert!(RoleCues::parse(neither).unwrap_err().contains("neither"));
        let unknown = "[[cue]]\nrole = \"victim\"\npattern = \"骗\"\nweight = 2\n";
        assert!(RoleCues::parse(unknown).is_err());
        assert!(
            RoleCues::load(std::path::Path::new("/nonexistent/roles.toml"))
                .unwrap()
                .is_empty()
        );
    }
}
