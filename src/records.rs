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
use crate::assess::role::SubmitterRole;
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
    /// The campaign the submission belongs to (looked up when read; not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignRef>,
}

/// A submission's campaign, as an assessment shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignRef {
    pub id: String,
    pub size: usize,
}

/// An assessment with the submission's identifiers masked in place: the
/// text (byte offsets unchanged, so signal spans still point at the right
/// words), quoted spans, reasons, the evidence chain, the application's
/// phone, employer and address and the metadata. What is stored and
/// returned holds no contact detail, account or agent name in clear.
pub fn redact_assessment(a: &mut Assessment) {
    use crate::campaign::identifiers::{mask_applicant, mask_metadata, redact, redact_value};
    a.text = redact(&a.text);
    for s in &mut a.signals {
        if let Some(sp) = &mut s.span {
            sp.text = a
                .text
                .get(sp.start..sp.end)
                .map_or_else(|| redact(&sp.text), str::to_string);
        }
        s.label = redact(&s.label);
        s.explanation = redact(&s.explanation);
    }
    for r in &mut a.reasons {
        *r = redact(r);
    }
    if let Ok(mut v) = serde_json::to_value(&a.evidence) {
        redact_value(&mut v);
        if let Ok(e) = serde_json::from_value(v) {
            a.evidence = e;
        }
    }
    if let Some(ap) = &mut a.applicant {
        mask_applicant(ap);
    }
    if let Some(m) = &mut a.metadata {
        mask_metadata(m);
    }
}

/// One line of an assessment listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssessmentSummary {
    pub id: String,
    pub kind: Channel,
    pub created_at: String,
    pub grade: Grade,
    pub top_scheme: String,
    /// The submitter's role (`legitimate` for records stored before roles).
    #[serde(default)]
    pub role: SubmitterRole,
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
    /// The right role (for a correction), else the assessed one.
    #[serde(default)]
    pub role: SubmitterRole,
    /// What the assessment said, for comparison.
    pub assessed_scheme: String,
    pub assessed_grade: Grade,
    #[serde(default)]
    pub assessed_role: SubmitterRole,
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
            role: a.role,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EdgeStore;

    const DIM: usize = 8;

    fn records(name: &str) -> (Records, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("cg-records-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let open = |c: &str| -> Arc<dyn VectorStore> {
            Arc::new(EdgeStore::open_collection(&dir, c, DIM).unwrap())
        };
        (
            Records::from_stores(open(ASSESSMENTS), open(FEEDBACK), open(AUDIT)),
            dir,
        )
    }

    fn vector(seed: usize) -> Vec<f32> {
        let mut v = vec![0.1; DIM];
        v[seed % DIM] = 1.0;
        v
    }

    fn stored(id: &str, grade: Grade, scheme: &str, created_at: &str) -> StoredAssessment {
        let mut a = crate::evidence::draft::testing::assessment();
        a.id = id.into();
        a.grade = grade;
        a.top_scheme = scheme.into();
        a.created_at = created_at.into();
        StoredAssessment {
            assessment: a,
            draft: None,
            campaign: None,
        }
    }

    #[test]
    fn assessments_round_trip_and_list_by_grade_scheme_date_and_severity() {
        let (r, dir) = records("list");
        let rows = [
            ("a1", Grade::Green, "none", "2026-11-01T08:00:00Z"),
            (
                "a2",
                Grade::Red,
                "proxy_insurance_surrender",
                "2026-11-02T08:00:00Z",
            ),
            (
                "a3",
                Grade::Yellow,
                "credit_repair_scam",
                "2026-11-03T08:00:00Z",
            ),
            (
                "a4",
                Grade::Red,
                "credit_repair_scam",
                "2026-11-04T08:00:00Z",
            ),
        ];
        for (i, (id, g, s, t)) in rows.iter().enumerate() {
            r.put_assessment(&stored(id, *g, s, t), vector(i)).unwrap();
        }
        let (mut back, dense) = r.get_assessment("a2").unwrap().unwrap();
        assert_eq!(
            back.assessment.embedding, dense,
            "the stored vector comes back"
        );
        back.assessment.embedding.clear();
        assert_eq!(
            back,
            stored(
                "a2",
                Grade::Red,
                "proxy_insurance_surrender",
                "2026-11-02T08:00:00Z"
            )
        );
        assert_eq!(dense.len(), DIM);
        assert!(r.get_assessment("nope").unwrap().is_none());

        let ids = |q: ListQuery| -> Vec<String> {
            r.list_assessments(&q)
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect()
        };
        let all = ListQuery {
            limit: 10,
            ..ListQuery::default()
        };
        assert_eq!(ids(all.clone()), ["a4", "a3", "a2", "a1"], "newest first");
        assert_eq!(
            ids(ListQuery {
                order: Order::Severity,
                ..all.clone()
            }),
            ["a4", "a2", "a3", "a1"],
            "red first, newest first within a grade"
        );
        assert_eq!(
            ids(ListQuery {
                grades: vec![Grade::Red],
                ..all.clone()
            }),
            ["a4", "a2"]
        );
        assert_eq!(
            ids(ListQuery {
                scheme: Some("credit_repair_scam".into()),
                ..all.clone()
            }),
            ["a4", "a3"]
        );
        assert_eq!(
            ids(ListQuery {
                since_ms: parse_time_ms("2026-11-03T00:00:00Z"),
                ..all.clone()
            }),
            ["a4", "a3"]
        );
        assert_eq!(ids(ListQuery { limit: 1, ..all }), ["a4"]);
        let summary = &r
            .list_assessments(&ListQuery {
                limit: 1,
                ..ListQuery::default()
            })
            .unwrap()[0];
        assert!(
            !summary.excerpt.contains("13812345678"),
            "excerpts are masked: {}",
            summary.excerpt
        );

        // Overwriting (a draft added later) keeps one record.
        let mut again = stored(
            "a4",
            Grade::Red,
            "credit_repair_scam",
            "2026-11-04T08:00:00Z",
        );
        again.assessment.reasons = vec!["changed".into()];
        r.put_assessment(&again, vector(3)).unwrap();
        assert_eq!(r.count_assessments().unwrap(), 4);
        assert_eq!(
            r.get_assessment("a4")
                .unwrap()
                .unwrap()
                .0
                .assessment
                .reasons,
            ["changed"]
        );
        drop(r);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn feedback_candidates_and_audit() {
        let (r, dir) = records("feedback");
        let f = |id: &str, status: CandidateStatus, at: &str| Feedback {
            id: id.into(),
            assessment_id: "a1".into(),
            kind: Channel::Complaint,
            verdict: Verdict::Correct,
            scheme: "credit_repair_scam".into(),
            grade: Grade::Yellow,
            role: SubmitterRole::Victim,
            assessed_scheme: "none".into(),
            assessed_grade: Grade::Green,
            assessed_role: SubmitterRole::Legitimate,
            note: None,
            actor: "key:00000000".into(),
            created_at: at.into(),
            status,
            text: "文本".into(),
            reviewed_by: None,
            reviewed_at: None,
            example_id: None,
        };
        r.put_feedback(
            &f("f1", CandidateStatus::Pending, "2026-11-01T00:00:00Z"),
            vector(1),
        )
        .unwrap();
        r.put_feedback(
            &f("f2", CandidateStatus::None, "2026-11-02T00:00:00Z"),
            vector(2),
        )
        .unwrap();
        assert_eq!(r.feedback_for("a1").unwrap().len(), 2);
        assert_eq!(r.candidates(CandidateStatus::Pending).unwrap()[0].id, "f1");
        let mut done = f("f1", CandidateStatus::Approved, "2026-11-01T00:00:00Z");
        done.example_id = Some("ex-fb-a1".into());
        r.put_feedback(&done, vector(1)).unwrap();
        assert!(r.candidates(CandidateStatus::Pending).unwrap().is_empty());
        assert_eq!(r.get_feedback("f1").unwrap().unwrap().0, done);

        for (i, action) in ["assessment.create", "report.read"].iter().enumerate() {
            r.audit(&AuditEntry {
                id: format!("u{i}"),
                at: format!("2026-11-0{}T00:00:00Z", i + 1),
                actor: "key:00000000".into(),
                role: "handler".into(),
                action: action.to_string(),
                target: Some("a1".into()),
                status: 200,
            })
            .unwrap();
        }
        let log = r.list_audit(10).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].action, "report.read", "newest first");
        assert_eq!(r.list_audit(1).unwrap().len(), 1);
        drop(r);
        let _ = std::fs::remove_dir_all(dir);
    }
}
