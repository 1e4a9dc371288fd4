//! Campaign detection: the campaign behind a single harmless-looking
//! complaint — many submissions from one script, or tied together by the
//! same agent's phone, account, device or employer.
//!
//! - `template`: near-duplicate signatures of texts (MinHash) with band keys
//!   for lookup by exact keyword match;
//! - `identifiers`: contact details, agents, employers, devices found,
//!   normalised and kept only as keyed hashes (plus in-place redaction);
//! - `index`: every assessed submission remembered with its signature and
//!   hashed identifiers, the lookup run on each new one, the signals it
//!   yields, and campaigns grown incrementally (union on every link);
//! - `view`: what the API returns and exports (JSON, CSV, Markdown with an
//!   integrity hash), identifiers only masked;
//! - `synth` and `eval`: synthetic campaigns in a legitimate background and
//!   pairwise precision/recall of campaign membership.

pub mod eval;
pub mod identifiers;
pub mod index;
pub mod synth;
pub mod template;
pub mod view;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::assess::applicant::Applicant;
use identifiers::{HashedId, IdHasher};
use template::Signature;

/// `[campaign]` in the config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CampaignConfig {
    /// The file holding the identifier key (hex, ≥ 16 bytes); default
    /// `<data_dir>/campaign-key`, created by `serve` when absent.
    /// `CASEGUARD_CAMPAIGN_KEY` overrides it. Changing the key unlinks every
    /// stored identifier from new ones.
    pub key_file: Option<PathBuf>,
    /// Estimated Jaccard similarity from which two texts share a template.
    pub template_similarity: f32,
    /// Share of the shorter text found in the longer from which two texts
    /// share a template even when their Jaccard similarity is lower (a
    /// member that kept only part of the script).
    pub template_containment: f32,
    /// Shingles (3-character pieces of the normalised text) two texts must
    /// have in common, as estimated from their signatures, to share a
    /// template: short formulaic notes can be alike without a script.
    pub template_min_shared: usize,
    /// Smallest campaign listed (and from which its members count as one).
    pub min_size: usize,
    /// Earlier linked submissions needed before a link becomes a fraud signal.
    pub signal_min_links: usize,
    /// Window of "recent" counts in signals, days.
    pub window_days: u32,
    /// Most candidates read per lookup (the strongest links are kept).
    pub max_candidates: usize,
    /// A weak identifier (employer, address, agent name, IP) carried by
    /// more stored submissions than this is common: not read in lookups,
    /// never concentrated (it still counts in a pair with another one).
    pub common_identifier: usize,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self {
            key_file: None,
            template_similarity: 0.6,
            template_containment: 0.7,
            template_min_shared: 48,
            min_size: 3,
            signal_min_links: 2,
            window_days: 30,
            max_candidates: 5000,
            common_identifier: 300,
        }
    }
}

/// What a submission offers for matching: its text's signature and its
/// hashed identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// None for texts too short to have shingles.
    pub signature: Option<Signature>,
    pub ids: Vec<HashedId>,
}

impl Fingerprint {
    pub fn of(
        hasher: &IdHasher,
        text: &str,
        applicant: Option<&Applicant>,
        metadata: Option<&serde_json::Value>,
    ) -> Self {
        Self {
            signature: Signature::of(text),
            ids: hasher.submission(text, applicant, metadata),
        }
    }

    pub fn bands(&self) -> Vec<String> {
        self.signature
            .as_ref()
            .map(Signature::bands)
            .unwrap_or_default()
    }
}
