//! Routes for complaint handlers and the legal team: assess, list, read,
//! give feedback, stream an evidence draft, export the evidence report.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::assess::grade::Grade;
use crate::assess::pipeline::{AssessInput, RunOptions};
use crate::assess::role::SubmitterRole;
use crate::assess::schemes::NONE;
use crate::campaign::Fingerprint;
use crate::campaign::index::{CampaignIndex, NewItem};
use crate::config::Role;
use crate::evidence::draft::{self, Draft, DraftEvent, DroppedSentence, SentenceFilter};
use crate::evidence::facts::mask_pii;
use crate::evidence::report;
use crate::llm::GenerateParams;
use crate::records::{
    AssessmentSummary, CampaignRef, CandidateStatus, Feedback, ListQuery, Order, StoredAssessment,
    Verdict, new_id, parse_time_ms, redact_assessment,
};

const READERS: &[Role] = &[Role::Handler, Role::Legal];

/// The campaign an item is in, when it is big enough to be listed.
fn campaign_ref(
    index: &CampaignIndex,
    id: Option<&str>,
    min_size: usize,
) -> Result<Option<CampaignRef>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    Ok(index
        .campaign(id)?
        .filter(|c| c.size() >= min_size.max(2))
        .map(|c| CampaignRef {
            id: c.id.clone(),
            size: c.size(),
        }))
}

/// The start of a (redacted) text with personal numbers masked.
fn excerpt(text: &str, n: usize) -> String {
    let masked = mask_pii(text);
    let mut s: String = masked.chars().take(n).collect();
    if masked.chars().count() > n {
        s.push('…');
    }
    s
}

/// An assessment with the feedback given on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    #[serde(flatten)]
    pub record: StoredAssessment,
    pub feedback: Vec<Feedback>,
}

/// Assess a complaint or a loan application.
///
/// Returns the scheme types with calibrated confidence, the grade with
/// reasons, the signals (with spans in the submitted text), the knowledge-base
/// citations and the evidence chain. Roles: handler.
#[utoipa::path(post, path = "/v1/assessments", tag = "assessments",
    request_body = AssessInput,
    responses(
        (status = 201, description = "assessed and stored", body = StoredAssessment),
        (status = 400, description = "not JSON or not UTF-8", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "body or text over the limit", body = ErrorBody),
        (status = 422, description = "empty text, wrong types, unknown kind or fields", body = ErrorBody),
        (status = 429, description = "assessment queue full (see Retry-After)", body = ErrorBody),
        (status = 503, description = "still starting", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_assessment(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<AssessInput>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Handler])?;
    let ready = state.ready()?;
    ready.assessor.validate(&input)?;
    let Ok(_permit) = state.inner.assess_slots.clone().try_acquire_owned() else {
        return Err(ApiError::overloaded("assessment"));
    };
    let t = Instant::now();
    // Campaign lookup first: links to earlier submissions are signals too.
    let fp = Fingerprint::of(
        &ready.hasher,
        &input.text,
        input.applicant.as_ref(),
        input.metadata.as_ref(),
    );
    let index = ready.campaigns.clone();
    let (fp, lookup) = tokio::task::spawn_blocking(move || {
        let l = index.lookup(&fp, None);
        (fp, l)
    })
    .await?;
    let links = ready
        .campaigns
        .signals(&lookup?, input.kind, crate::campaign::index::now_ms());
    let opts = RunOptions {
        extra_signals: &links,
        ..RunOptions::default()
    };
    let mut a = ready.assessor.assess_with(input, opts).await?;
    redact_assessment(&mut a);
    let dense = std::mem::take(&mut a.embedding);
    let mut record = StoredAssessment {
        assessment: a,
        draft: None,
        campaign: None,
    };
    let records = ready.records.clone();
    let index = ready.campaigns.clone();
    let stored = record.clone();
    let a = &record.assessment;
    let item = NewItem {
        id: a.id.clone(),
        channel: a.kind,
        created_at: a.created_at.clone(),
        grade: a.grade,
        scheme: a.top_scheme.clone(),
        excerpt: excerpt(&a.text, 60),
    };
    let min_size = state.config().campaign.min_size;
    record.campaign = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        records.put_assessment(&stored, dense)?;
        let item = index.add(item, &fp)?;
        campaign_ref(&index, item.campaign.as_deref(), min_size)
    })
    .await??;
    let m = state.metrics();
    m.assessment_seconds.observe(t.elapsed().as_secs_f64());
    m.assessments
        .get_or_create(&super::metrics::AssessLabels {
            kind: format!("{:?}", record.assessment.kind).to_lowercase(),
            grade: record.assessment.grade.as_str().into(),
        })
        .inc();
    let id = record.assessment.id.clone();
    state
        .audit(&caller, "assessment.create", Some(&id), 201)
        .await;
    let mut r = (StatusCode::CREATED, Json(record)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/assessments/{id}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Grades, comma-separated: `red,yellow`.
    pub grade: Option<String>,
    /// A scheme id (the top scheme), e.g. `illegal_proxy_rights_defense`, or `none`.
    pub scheme: Option<String>,
    /// Only assessments created at or after this time (RFC 3339, or a date `2026-11-01`).
    pub since: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<usize>,
    /// `recent` (newest first, default) or `severity` (red first).
    pub order: Option<Order>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentList {
    pub items: Vec<AssessmentSummary>,
    pub count: usize,
}

fn parse_grade(s: &str) -> Result<Grade, ApiError> {
    match s.trim() {
        "red" => Ok(Grade::Red),
        "yellow" => Ok(Grade::Yellow),
        "green" => Ok(Grade::Green),
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("unknown grade '{other}' (expected red, yellow or green)"),
        )),
    }
}

fn parse_since(s: &str) -> Result<i64, ApiError> {
    let s = s.trim();
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    parse_time_ms(&full).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("`since` '{s}' is not a date or time (use 2026-11-01 or 2026-11-01T08:00:00Z)"),
        )
    })
}

/// Recent assessments, filtered by grade, scheme and date. Roles: handler, legal.
#[utoipa::path(get, path = "/v1/assessments", tag = "assessments",
    params(ListParams),
    responses((status = 200, body = AssessmentList),
        (status = 400, description = "bad filter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_assessments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<AssessmentList>, ApiError> {
    caller.require(READERS)?;
    let ready = state.ready()?;
    let grades = match &p.grade {
        Some(g) => g
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(parse_grade)
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let q = ListQuery {
        grades,
        scheme: p.scheme.filter(|s| !s.is_empty()),
        since_ms: p.since.as_deref().map(parse_since).transpose()?,
        limit: p.limit.unwrap_or(50).clamp(1, 500),
        order: p.order.unwrap_or_default(),
    };
    let records = ready.records.clone();
    let items = tokio::task::spawn_blocking(move || records.list_assessments(&q)).await??;
    Ok(Json(AssessmentList {
        count: items.len(),
        items,
    }))
}

async fn load(state: &AppState, id: &str) -> Result<(StoredAssessment, Vec<f32>), ApiError> {
    let ready = state.ready()?;
    let records = ready.records.clone();
    let key = id.to_string();
    tokio::task::spawn_blocking(move || records.get_assessment(&key))
        .await??
        .ok_or_else(|| ApiError::not_found("assessment", id))
}

/// One assessment, with the feedback given on it. Roles: handler, legal.
#[utoipa::path(get, path = "/v1/assessments/{id}", tag = "assessments",
    params(("id" = String, Path, description = "assessment id")),
    responses((status = 200, body = AssessmentView),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_assessment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AssessmentView>, ApiError> {
    caller.require(READERS)?;
    let (mut record, _) = load(&state, &id).await?;
    let ready = state.ready()?;
    let records = ready.records.clone();
    let index = ready.campaigns.clone();
    let key = id.clone();
    let min_size = state.config().campaign.min_size;
    let (feedback, campaign) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let feedback = records.feedback_for(&key)?;
        let item = index.item(&key)?;
        let campaign = campaign_ref(&index, item.and_then(|i| i.campaign).as_deref(), min_size)?;
        Ok((feedback, campaign))
    })
    .await??;
    record.campaign = campaign;
    state
        .audit(&caller, "assessment.read", Some(&id), 200)
        .await;
    Ok(Json(AssessmentView { record, feedback }))
}

/// A handler's verdict on an assessment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    pub verdict: Verdict,
    /// For a correction: the right scheme id (`none` for a legitimate case).
    pub scheme: Option<String>,
    /// For a correction: the right grade.
    pub grade: Option<Grade>,
    /// For a correction: the submitter's right role (`legitimate` goes with
    /// the scheme `none`; by default it follows the scheme).
    pub role: Option<SubmitterRole>,
    /// Free text, at most 2,000 characters.
    pub note: Option<String>,
}

/// Confirm or correct an assessment. A correction becomes a candidate
/// labelled example that curators approve or reject. Roles: handler.
#[utoipa::path(post, path = "/v1/assessments/{id}/feedback", tag = "assessments",
    params(("id" = String, Path, description = "assessment id")),
    request_body = FeedbackInput,
    responses((status = 201, body = Feedback),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FeedbackInput>,
) -> Result<(StatusCode, Json<Feedback>), ApiError> {
    caller.require(&[Role::Handler])?;
    let ready = state.ready()?;
    if let Some(note) = &input.note
        && note.chars().count() > 2000
    {
        return Err(ApiError::invalid(
            "`note` is over 2,000 characters; keep it to the correction",
        ));
    }
    let schemes = ready.assessor.schemes();
    if let Some(s) = &input.scheme
        && s != NONE
        && schemes.get(s).is_none()
    {
        let known: Vec<&str> = schemes.ids().collect();
        return Err(ApiError::invalid(format!(
            "unknown scheme '{s}'; use one of: {}",
            known.join(", ")
        )));
    }
    let (record, dense) = load(&state, &id).await?;
    let a = &record.assessment;
    let scheme = input.scheme.clone().unwrap_or_else(|| a.top_scheme.clone());
    let grade = input.grade.unwrap_or(a.grade);
    let role = match (input.role, scheme == NONE) {
        (Some(r), is_none) if (r == SubmitterRole::Legitimate) != is_none => {
            return Err(ApiError::invalid(
                "`role` legitimate goes with the scheme `none` and only with it; send a matching `scheme` and `role`",
            ));
        }
        (Some(r), _) => r,
        (None, true) => SubmitterRole::Legitimate,
        (None, false) if a.role != SubmitterRole::Legitimate => a.role,
        (None, false) => SubmitterRole::Participant,
    };
    let status = match input.verdict {
        Verdict::Confirm => {
            if input.scheme.as_ref().is_some_and(|s| *s != a.top_scheme)
                || input.grade.is_some_and(|g| g != a.grade)
                || input.role.is_some_and(|r| r != a.role)
            {
                return Err(ApiError::invalid(
                    "a confirmation cannot change the scheme, grade or role; send `\"verdict\": \"correct\"`",
                ));
            }
            CandidateStatus::None
        }
        Verdict::Correct => {
            if input.scheme.is_none() && input.grade.is_none() && input.role.is_none() {
                return Err(ApiError::invalid(
                    "a correction needs the right `scheme`, `grade` and/or `role`",
                ));
            }
            if scheme == a.top_scheme && grade == a.grade && role == a.role {
                return Err(ApiError::invalid(
                    "the correction says what the assessment already says; send `\"verdict\": \"confirm\"`",
                ));
            }
            if scheme == crate::assess::grade::INSUFFICIENT {
                CandidateStatus::None
            } else {
                CandidateStatus::Pending
            }
        }
    };
    let f = Feedback {
        id: new_id('f'),
        assessment_id: a.id.clone(),
        kind: a.kind,
        verdict: input.verdict,
        scheme,
        grade,
        role,
        assessed_scheme: a.top_scheme.clone(),
        assessed_grade: a.grade,
        assessed_role: a.role,
        note: input.note.filter(|n| !n.trim().is_empty()),
        actor: caller.fingerprint.clone(),
        created_at: crate::kb::ingest::now_rfc3339(),
        status,
        text: crate::evidence::facts::mask_pii(&a.text),
        reviewed_by: None,
        reviewed_at: None,
        example_id: None,
    };
    let records = ready.records.clone();
    let stored = f.clone();
    tokio::task::spawn_blocking(move || records.put_feedback(&stored, dense)).await??;
    state
        .audit(&caller, "assessment.feedback", Some(&id), 201)
        .await;
    Ok((StatusCode::CREATED, Json(f)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// `md`, `html` or `json` (default).
    pub format: Option<String>,
}

/// The evidence report for the legal team, in Markdown, print-ready HTML or
/// JSON, with the SHA-256 of its canonical JSON (also in the
/// `X-Report-SHA256` header). Roles: legal.
#[utoipa::path(get, path = "/v1/assessments/{id}/report", tag = "reports",
    params(("id" = String, Path, description = "assessment id"), ReportParams),
    responses((status = 200, description = "the report", content(
            (String = "text/markdown"), (String = "text/html"), (Object = "application/json"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Legal])?;
    let format = p.format.unwrap_or_else(|| "json".into());
    let (ext, content_type) = match format.as_str() {
        "md" | "markdown" => ("md", "text/markdown; charset=utf-8"),
        "html" => ("html", "text/html; charset=utf-8"),
        "json" => ("json", "application/json"),
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("unknown report format '{other}' (expected md, html or json)"),
            ));
        }
    };
    let (record, _) = load(&state, &id).await?;
    let schemes = state.ready()?.assessor.schemes();
    let rep = report::build(&record.assessment, record.draft.as_ref(), |s| {
        schemes.get(s).map(|x| x.name.clone())
    });
    let hash = report::integrity(&rep);
    let body = match ext {
        "md" => report::to_markdown(&rep, &hash),
        "html" => report::to_html(&rep, &hash),
        _ => serde_json::to_string_pretty(&report::to_json(&rep))
            .map_err(|e| ApiError::internal("report", e))?,
    };
    state.audit(&caller, "report.read", Some(&id), 200).await;
    let mut r = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&hash) {
        h.insert("x-report-sha256", v);
    }
    if let Ok(v) =
        HeaderValue::from_str(&format!("inline; filename=\"caseguard-report-{id}.{ext}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if ext == "html" {
        // The report quotes the customer's text: even if escaping failed,
        // nothing in it may run or load. Its own style is inline.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        );
    }
    Ok(r)
}

/// Stream an LLM-drafted evidence summary as Server-Sent Events.
///
/// The model rewrites each doubt (strongest first) as one plain sentence
/// that cites the doubt, its facts and its supporting knowledge-base chunk.
/// Events: `sentence` (a kept sentence with its citation ids; ids the
/// assessment did not retrieve are removed and the sentence flagged),
/// `dropped` (a sentence left out: no valid citation, a number the material
/// does not contain, copied from the prompt, repeated),
/// `progress` (`{"pieces": n}` while the model writes), and finally `done`
/// with the whole draft (also stored with the assessment and shown in the
/// report) or `error`. Roles: handler, legal.
#[utoipa::path(get, path = "/v1/assessments/{id}/draft", tag = "reports",
    params(("id" = String, Path, description = "assessment id")),
    responses((status = 200, description = "text/event-stream of draft events", content_type = "text/event-stream"),
        (status = 404, body = ErrorBody), (status = 429, description = "draft queue full", body = ErrorBody),
        (status = 503, description = "no LLM loaded", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stream_draft(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(READERS)?;
    let ready = state.ready()?;
    let Some(llm) = ready.assessor.llm().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "llm_unavailable",
            "no language model is loaded on this server; check [models] llm in the config",
        ));
    };
    let (record, dense) = load(&state, &id).await?;
    let Ok(permit) = state.inner.draft_slots.clone().try_acquire_owned() else {
        return Err(ApiError::overloaded("draft"));
    };
    let a = &record.assessment;
    let prompts = draft::doubt_prompts(a, MAX_DRAFT_SENTENCES);
    let allowed = draft::allowed_ids(a);
    let material = draft::material_lines(a);
    let max_tokens = state.config().api.draft_max_tokens.min(SENTENCE_TOKENS);
    let model = llm
        .info()
        .name
        .clone()
        .unwrap_or_else(|| llm.info().architecture.clone());
    state.audit(&caller, "draft.generate", Some(&id), 200).await;

    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    let task_state = state.clone();
    tokio::spawn(async move {
        let _permit = permit;
        let mut filter = SentenceFilter::new(allowed)
            .with_material(&material)
            .with_max_sentences(MAX_DRAFT_SENTENCES);
        let mut ungrounded = Vec::new();
        let mut pieces_seen = 0usize;
        for p in prompts {
            let params = GenerateParams {
                max_tokens,
                temperature: 0.0,
                stop: vec!["\n".into()],
                ..GenerateParams::default()
            };
            let (mut pieces, done) = match llm.generate_stream(p.prompt, params) {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "draft sentence not generated");
                    let _ = tx
                        .send(error_event("overloaded", "模型正忙，请稍后重试"))
                        .await;
                    return;
                }
            };
            let mut text = String::new();
            while let Some(piece) = pieces.recv().await {
                pieces_seen += 1;
                task_state.metrics().draft_tokens.inc();
                text.push_str(&piece);
                if pieces_seen.is_multiple_of(8)
                    && tx
                        .send(
                            Event::default()
                                .event("progress")
                                .data(format!("{{\"pieces\":{pieces_seen}}}")),
                        )
                        .await
                        .is_err()
                {
                    // The client left: dropping the receiver stops the model.
                    return;
                }
            }
            if let Ok(Err(e)) = done.await {
                tracing::error!(error = %e, "draft generation failed");
                let _ = tx
                    .send(error_event(
                        "internal",
                        "the draft could not be generated; see the server log",
                    ))
                    .await;
                return;
            }
            let sentence = text.trim();
            if sentence.is_empty() {
                continue;
            }
            if let Some(reason) = draft::ungrounded(sentence, &p.source) {
                let d = DroppedSentence {
                    text: crate::evidence::facts::mask_pii(sentence),
                    reason,
                };
                let _ = tx.send(data_event("dropped", &d)).await;
                ungrounded.push(d);
                continue;
            }
            // The sentence cites the doubt it rewrites; the filter checks
            // the ids and drops copies and repetitions like any other text.
            let line = format!("{sentence}{}\n", p.cite);
            for e in filter.push(&line) {
                if tx.send(event_of(&e)).await.is_err() {
                    return;
                }
            }
            if filter.should_stop() {
                break;
            }
        }
        let (tail, mut outcome) = filter.finish();
        for e in &tail {
            let _ = tx.send(event_of(e)).await;
        }
        outcome.dropped.extend(ungrounded);
        let d = Draft::new(outcome, model);
        let mut record = record;
        record.draft = Some(d.clone());
        let saved = match task_state.ready() {
            Ok(r) => {
                let records = r.records.clone();
                tokio::task::spawn_blocking(move || records.put_assessment(&record, dense)).await
            }
            Err(_) => return,
        };
        if !matches!(saved, Ok(Ok(()))) {
            tracing::error!("draft not stored with the assessment");
        }
        let _ = tx.send(data_event("done", &d)).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|e| (Ok::<_, std::convert::Infallible>(e), rx))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Sentences in a draft: one per doubt, strongest first.
const MAX_DRAFT_SENTENCES: usize = 5;
/// Longest generated sentence, in tokens.
const SENTENCE_TOKENS: usize = 60;

fn error_event(code: &str, message: &str) -> Event {
    data_event(
        "error",
        &serde_json::json!({ "code": code, "message": message }),
    )
}

fn data_event(name: &str, v: &impl Serialize) -> Event {
    Event::default()
        .event(name)
        .data(serde_json::to_string(v).unwrap_or_else(|_| "{}".into()))
}

fn event_of(e: &DraftEvent) -> Event {
    match e {
        DraftEvent::Kept(s) => data_event("sentence", s),
        DraftEvent::Dropped(d) => data_event("dropped", d),
    }
}
