//! Who the submitter is, next to what the case involves (design §2).
//!
//! The scheme says which evidence to keep; the role says how to treat the
//! person: a victim of a debt-relief agency needs help to stop paying it, a
//! coached participant needs a direct conversation, an intermediary's
//! letter needs none of the institution's concessions. `legitimate` goes
//! with the scheme `none` and only with it.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SubmitterRole {
    /// An ordinary request: no scheme involved (also what a record stored
    /// before roles existed reads as).
    #[default]
    Legitimate,
    /// Harmed by a scheme and asking for help.
    Victim,
    /// Coached or recruited: follows an agency's script, lends an identity.
    Participant,
    /// Written by or for an agency: proxy letters, templated complaints.
    Intermediary,
}

impl SubmitterRole {
    pub const ALL: [SubmitterRole; 4] = [
        SubmitterRole::Legitimate,
        SubmitterRole::Victim,
        SubmitterRole::Participant,
        SubmitterRole::Intermediary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmitterRole::Legitimate => "legitimate",
            SubmitterRole::Victim => "victim",
            SubmitterRole::Participant => "participant",
            SubmitterRole::Intermediary => "intermediary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Chinese name shown to handlers.
    pub fn zh(self) -> &'static str {
        match self {
            SubmitterRole::Legitimate => "正常客户",
            SubmitterRole::Victim => "受害人",
            SubmitterRole::Participant => "被利用/被教唆者",
            SubmitterRole::Intermediary => "中介/代理方",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in SubmitterRole::ALL {
            assert_eq!(SubmitterRole::parse(r.as_str()), Some(r));
            assert_eq!(SubmitterRole::ALL[r.index()], r);
        }
        assert_eq!(SubmitterRole::parse("agent"), None);
        assert_eq!(
            serde_json::to_string(&SubmitterRole::Intermediary).unwrap(),
            "\"intermediary\""
        );
    }
}
