//! What the service remembers about its own work: assessments, the
//! handlers' feedback on them, and an audit log of who did what.
//!
//! They live in the same vector store as the knowledge base, each kind in
//! its own collection (`assessments`, `feedback`, `audit`), so the embedded
//! default keeps them on disk with everything else and a remote Qdrant
//! cluster shares them between API instances. An assessment is one point:
//! its text embedding as the dense vector (later used to find similar
//! submissions), the masked text for BM25, a small summary for listings and
//! the full record in the payload. Feedback points carry the assessment's
//! vector too; audit entries carry no text and a fixed unit vector.
//!
//! Audit entries never hold personal data: an actor is a key fingerprint,
//! a target is an id.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::assess::grade::Grade;
use crate::assess::pipeline::Assessment;
use crate::assess::signals::Channel;
use crate::config::Config;
use crate::evidence::draft::Draft;
use crate::evidence::facts::mask_pii;
use crate::store::{ChunkRecord, FieldCondition, Fields, Filter, StoreError, VectorStore};

pub const ASSESSMENTS: &str = "assessments";
pub const FEEDBACK: &str = "feedback";
pub const AUDIT: &str = "audit";

/// An assessment as stored: what the pipeline produced, and the latest
/// evidence draft once one was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StoredAssessment {
    #[serde(flatten)]
    pub assessment: Assessment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub draft: Option<Draft>,
}

/// One line of an assessment listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssessmentSummary {
    pub id: String,
    pub kind: Channel,
    pub created_at: String,
    pub grade: Grade,
    pub top_scheme: String,
    /// Confidence of the most likely scheme.
    pub confidence: f32,
    /// The start of the text, personal numbers masked.
    pub excerpt: String,
    /// How many fraud cues were found.
    pub signals: usize,
}

/// Listing order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Newest first.
    #[default]
    Recent,
    /// Red, then yellow, then green; newest first within a grade.
    Severity,
}

/// Filters for [`Records::list_assessments`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub grades: Vec<Grade>,
    pub scheme: Option<String>,
    /// Only those created at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    pub limit: usize,
    pub order: Order,
}

/// A handler's verdict on an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The assessment is right.
    Confirm,
    /// The scheme and/or the grade are wrong; the feedback says what is right.
    Correct,
}

/// Where a correction stands as a candidate labelled example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CandidateStatus {
    /// A confirmation: nothing for curators to review.
    None,
    /// Waiting for a curator.
    Pending,
    /// Added to the knowledge base as a labelled example.
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    pub id: String,
    pub assessment_id: String,
    pub kind: Channel,
    pub verdict: Verdict,
    /// The right scheme (for a correction), else the assessed one.
    pub scheme: String,
    /// The right grade (for a correction), else the assessed one.
    pub grade: Grade,
    /// What the assessment said, for comparison.
    pub assessed_scheme: String,
    pub assessed_grade: Grade,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Key fingerprint of the handler.
    pub actor: String,
    pub created_at: String,
    pub status: CandidateStatus,
    /// The example's text: the assessed text with personal numbers masked.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<String>,
    /// The knowledge-base document an approved candidate became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_id: Option<String>,
}

/// One audited action. No personal data: ids and key fingerprints only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    /// Key fingerprint.
    pub actor: String,
    pub role: String,
    /// e.g. `assessment.create`, `report.read`, `kb.delete`.
    pub action: String,
    /// The id acted on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// HTTP status of the answer.
    pub status: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}

/// The three collections.
#[derive(Clone)]
pub struct Records {
    assessments: Arc<dyn VectorStore>,
    feedback: Arc<dyn VectorStore>,
    audit: Arc<dyn VectorStore>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Milliseconds since the epoch of an RFC 3339 time.
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(s.trim_end_matches('Z'))
        .or_else(|_| humantime::parse_rfc3339(s))
        .ok()?;
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as i64)
}

fn excerpt(text: &str, n: usize) -> String {
    let masked = mask_pii(text);
    let mut s: String = masked.chars().take(n).collect();
    if masked.chars().count() > n {
        s.push('…');
    }
    s
}

fn channel_str(c: Channel) -> &'static str {
    match c {
        Channel::Complaint => "complaint",
        Channel::Application => "application",
    }
}

/// A record as one point.
fn point(
    id: &str,
    kind: &str,
    schemes: Vec<String>,
    text: String,
    created_at: &str,
    extra: Value,
    dense: Vec<f32>,
) -> ChunkRecord {
    ChunkRecord {
        chunk_id: ChunkRecord::make_id(id, 0),
        doc_id: id.to_string(),
        chunk_index: 0,
        title: String::new(),
        kind: kind.to_string(),
        schemes,
        source: "caseguard".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ingested_at: created_at.to_string(),
        content_hash: String::new(),
        heading: None,
        text,
        extra,
        dense,
    }
}

fn record_of<T: serde::de::DeserializeOwned>(
    payload: &Map<String, Value>,
) -> Result<T, RecordError> {
    let v = payload
        .get("extra")
        .and_then(|e| e.get("record"))
        .ok_or_else(|| RecordError::Corrupt("no record in payload".into()))?;
    serde_json::from_value(v.clone()).map_err(|e| RecordError::Corrupt(e.to_string()))
}

fn json_err(e: serde_json::Error) -> RecordError {
    RecordError::Corrupt(e.to_string())
}

impl Records {
    /// Open (or create) the collections next to the knowledge base.
    pub fn open(config: &Config, dim: usize) -> Result<Self, StoreError> {
        Ok(Self {
            assessments: crate::store::open(config, ASSESSMENTS, dim)?,
            feedback: crate::store::open(config, FEEDBACK, dim)?,
            audit: crate::store::open(config, AUDIT, dim)?,
        })
    }

    /// Over stores the caller opened (tests).
    pub fn from_stores(
        assessments: Arc<dyn VectorStore>,
        feedback: Arc<dyn VectorStore>,
        audit: Arc<dyn VectorStore>,
    ) -> Self {
        Self {
            assessments,
            feedback,
            audit,
        }
    }

    pub fn assessments_store(&self) -> &Arc<dyn VectorStore> {
        &self.assessments
    }

    // ----- assessments -----

    /// Store (or overwrite) an assessment; `dense` is its text embedding.
    pub fn put_assessment(&self, r: &StoredAssessment, dense: Vec<f32>) -> Result<(), RecordError> {
        let a = &r.assessment;
        let created_ms = parse_time_ms(&a.created_at).unwrap_or_else(now_ms);
        let summary = AssessmentSummary {
            id: a.id.clone(),
            kind: a.kind,
            created_at: a.created_at.clone(),
            grade: a.grade,
            top_scheme: a.top_scheme.clone(),
            confidence: a.schemes.first().map_or(0.0, |s| s.confidence),
            excerpt: excerpt(&a.text, 80),
            signals: a.signals.iter().filter(|s| s.is_fraud_cue()).count(),
        };
        let extra = json!({
            "grade": a.grade.as_str(),
            "channel": channel_str(a.kind),
            "created_ms": created_ms,
            "summary": serde_json::to_value(&summary).map_err(json_err)?,
            "record": serde_json::to_value(r).map_err(json_err)?,
        });
        let p = point(
            &a.id,
            "assessment",
            vec![a.top_scheme.clone()],
            mask_pii(&a.text),
            &a.created_at,
            extra,
            dense,
        );
        self.assessments.write(&[p], Some(1))?;
        Ok(())
    }

    /// An assessment and its stored embedding.
    pub fn get_assessment(
        &self,
        id: &str,
    ) -> Result<Option<(StoredAssessment, Vec<f32>)>, RecordError> {
        let mut points = self
            .assessments
            .scroll(&Filter::doc(id), Fields::All, true)?;
        let Some(p) = points.pop() else {
            return Ok(None);
        };
        let mut r: StoredAssessment = record_of(&p.payload)?;
        r.assessment.embedding = p.dense.clone();
        Ok(Some((r, p.dense)))
    }

    pub fn list_assessments(&self, q: &ListQuery) -> Result<Vec<AssessmentSummary>, RecordError> {
        let mut filter = Filter {
            kinds: vec!["assessment".into()],
            ..Filter::default()
        };
        if !q.grades.is_empty() {
            filter.fields.push(FieldCondition::AnyOf {
                key: "extra.grade".into(),
                values: q.grades.iter().map(|g| g.as_str().to_string()).collect(),
            });
        }
        if let Some(s) = &q.scheme {
            filter.schemes = vec![s.clone()];
        }
        if let Some(since) = q.since_ms {
            filter.fields.push(FieldCondition::Range {
                key: "extra.created_ms".into(),
                gte: Some(since as f64),
                lt: None,
            });
        }
        let points = self.assessments.scroll(
            &filter,
            Fields::Only(&["extra.summary", "extra.created_ms"]),
            false,
        )?;
        let mut rows: Vec<(i64, AssessmentSummary)> = Vec::with_capacity(points.len());
        for p in points {
            let extra = p.payload.get("extra");
            let ms = extra
                .and_then(|e| e.get("created_ms"))
                .and_then(Value::as_i64)
                .unwrap_or_default();
            let s = extra
                .and_then(|e| e.get("summary"))
                .cloned()
                .ok_or_else(|| RecordError::Corrupt("no summary in payload".into()))?;
            rows.push((ms, serde_json::from_value(s).map_err(json_err)?));
        }
        let rank = |g: Grade| match g {
            Grade::Red => 0,
            Grade::Yellow => 1,
            Grade::Green => 2,
        };
        match q.order {
            Order::Recent => rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.id.cmp(&a.1.id))),
            Order::Severity => rows.sort_by(|a, b| {
                rank(a.1.grade)
                    .cmp(&rank(b.1.grade))
                    .then(b.0.cmp(&a.0))
                    .then(b.1.id.cmp(&a.1.id))
            }),
        }
        Ok(rows.into_iter().take(q.limit).map(|(_, s)| s).collect())
    }

    pub fn count_assessments(&self) -> Result<usize, RecordError> {
        Ok(self.assessments.count()?)
    }

    // ----- feedback -----

    /// Store (or overwrite) feedback; `dense` is the assessment's embedding.
    pub fn put_feedback(&self, f: &Feedback, dense: Vec<f32>) -> Result<(), RecordError> {
        let status = serde_json::to_value(f.status).map_err(json_err)?;
        let extra = json!({
            "assessment_id": f.assessment_id,
            "status": status,
            "channel": channel_str(f.kind),
            "created_ms": parse_time_ms(&f.created_at).unwrap_or_else(now_ms),
            "record": serde_json::to_value(f).map_err(json_err)?,
        });
        let p = point(
            &f.id,
            "feedback",
            vec![f.scheme.clone()],
            f.text.clone(),
            &f.created_at,
            extra,
            dense,
        );
        self.feedback.write(&[p], Some(1))?;
        Ok(())
    }

    pub fn get_feedback(&self, id: &str) -> Result<Option<(Feedback, Vec<f32>)>, RecordError> {
        let mut points = self.feedback.scroll(&Filter::doc(id), Fields::All, true)?;
        let Some(p) = points.pop() else {
            return Ok(None);
        };
        Ok(Some((record_of(&p.payload)?, p.dense)))
    }

    /// Feedback matching a payload condition, oldest first.
    fn feedback_where(&self, key: &str, value: &str) -> Result<Vec<Feedback>, RecordError> {
        let filter = Filter {
            fields: vec![FieldCondition::AnyOf {
                key: key.into(),
                values: vec![value.into()],
            }],
            ..Filter::default()
        };
        let mut out: Vec<Feedback> = self
            .feedback
            .scroll(&filter, Fields::Only(&["extra.record"]), false)?
            .iter()
            .map(|p| record_of(&p.payload))
            .collect::<Result<_, _>>()?;
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    pub fn feedback_for(&self, assessment_id: &str) -> Result<Vec<Feedback>, RecordError> {
        self.feedback_where("extra.assessment_id", assessment_id)
    }

    pub fn candidates(&self, status: CandidateStatus) -> Result<Vec<Feedback>, RecordError> {
        let s = serde_json::to_value(status).map_err(json_err)?;
        self.feedback_where("extra.status", s.as_str().unwrap_or_default())
    }

    // ----- audit -----

    pub fn audit(&self, e: &AuditEntry) -> Result<(), RecordError> {
        let dim = self.audit.dim();
        let mut unit = vec![0.0; dim];
        if let Some(x) = unit.first_mut() {
            *x = 1.0;
        }
        let extra = json!({
            "action": e.action,
            "at_ms": parse_time_ms(&e.at).unwrap_or_else(now_ms),
            "record": serde_json::to_value(e).map_err(json_err)?,
        });
        let p = point(
            &e.id,
            "audit",
            Vec::new(),
            String::new(),
            &e.at,
            extra,
            unit,
        );
        self.audit.write(&[p], Some(1))?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub fn list_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, RecordError> {
        let points = self.audit.scroll(
            &Filter {
                kinds: vec!["audit".into()],
                ..Filter::default()
            },
            Fields::Only(&["extra.record", "extra.at_ms"]),
            false,
        )?;
        let mut rows: Vec<(i64, AuditEntry)> = points
            .iter()
            .map(|p| {
                let ms = p
                    .payload
                    .get("extra")
                    .and_then(|e| e.get("at_ms"))
                    .and_then(Value::as_i64)
                    .unwrap_or_default();
                record_of(&p.payload).map(|r| (ms, r))
            })
            .collect::<Result<_, _>>()?;
        rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.id.cmp(&a.1.id)));
        Ok(rows.into_iter().take(limit).map(|(_, e)| e).collect())
    }
}

/// A time-ordered id: `prefix` + milliseconds since the epoch (hex) + a
/// random suffix.
pub fn new_id(prefix: char) -> String {
    format!("{prefix}{:x}{:08x}", now_ms(), rand::random::<u32>())
}
