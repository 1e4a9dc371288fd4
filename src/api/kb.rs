//! Routes for knowledge curators: upload, list, read, search and delete
//! knowledge-base documents; review the candidate examples handlers'
//! corrections produced; and (admin) read the audit log.
//!
//! Uploads take the same formats as `caseguard kb ingest` (Markdown with
//! front matter, text, JSON Lines, PDF, DOCX) as multipart files, or one
//! document as JSON. Every file is parsed and checked before anything is
//! written, documents are replaced whole, and the label set is reloaded
//! afterwards, so a new pattern card is a new scheme at once.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiQuery, ErrorBody, parse_json};
use crate::config::Role;
use crate::embed::Role as EmbedRole;
use crate::kb::ingest::{Outcome, ingest_documents};
use crate::kb::parse::{ParseFail, parse_bytes};
use crate::kb::sync::{ORIGIN_KEY, SEED_ORIGIN};
use crate::kb::{Document, KINDS, valid_id};
use crate::records::{AuditEntry, CandidateStatus, Feedback};
use crate::store::{DocSummary, Fields, Filter, Mode, SearchRequest};

const CURATORS: &[Role] = &[Role::Curator];
const ANYONE: &[Role] = &[Role::Handler, Role::Legal, Role::Curator];
/// Longest document text accepted, in characters.
const MAX_DOC_CHARS: usize = 2_000_000;

/// One document as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// Letters, digits, `-`, `_`, `.`; at most 128.
    pub id: String,
    pub title: String,
    /// pattern, case, regulation, example or other.
    pub kind: String,
    #[serde(default)]
    pub schemes: Vec<String>,
    pub text: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// Other metadata (an object); for examples, `channel` (complaint or application).
    #[serde(default)]
    pub extra: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocResult {
    pub id: String,
    pub title: String,
    pub kind: String,
    /// added, updated or unchanged
    pub outcome: String,
    pub chunks: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileResult {
    pub file: String,
    pub documents: Vec<DocResult>,
    /// Why this file was not ingested (nothing of it was written).
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadReport {
    pub files: Vec<FileResult>,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// The knowledge-base version after the upload.
    pub knowledge_base: String,
}

fn check_document(d: &Document) -> Result<(), String> {
    if !valid_id(&d.id) {
        return Err(format!(
            "document id '{}' is not valid: use 1–128 letters, digits, '-', '_' or '.'",
            d.id
        ));
    }
    if !KINDS.contains(&d.kind.as_str()) {
        return Err(format!(
            "document '{}': unknown kind '{}' (expected {})",
            d.id,
            d.kind,
            KINDS.join(", ")
        ));
    }
    if d.text.trim().is_empty() {
        return Err(format!("document '{}' has no text", d.id));
    }
    if d.text.chars().count() > MAX_DOC_CHARS {
        return Err(format!(
            "document '{}' is over {MAX_DOC_CHARS} characters; split it",
            d.id
        ));
    }
    if !(d.extra.is_object() || d.extra.is_null()) {
        return Err(format!("document '{}': `extra` must be an object", d.id));
    }
    Ok(())
}

/// Mark a document as added by a curator (the folder sync leaves it alone).
fn mark_origin(mut d: Document, origin: &str) -> Document {
    if !d.extra.is_object() {
        d.extra = json!({});
    }
    if let Some(m) = d.extra.as_object_mut() {
        m.insert(ORIGIN_KEY.into(), Value::String(origin.into()));
    }
    d
}

/// Ids among `ids` that belong to the knowledge-base folder.
fn seed_ids(state: &AppState, ids: &[String]) -> Result<Vec<String>, ApiError> {
    let store = state.ready()?.assessor.store().clone();
    let points = store.scroll(
        &Filter {
            doc_ids: ids.to_vec(),
            ..Filter::default()
        },
        Fields::Only(&["doc_id", "extra"]),
        false,
    )?;
    let mut out: Vec<String> = points
        .iter()
        .filter(|p| {
            p.payload
                .get("extra")
                .and_then(|e| e.get(ORIGIN_KEY))
                .and_then(Value::as_str)
                == Some(SEED_ORIGIN)
        })
        .filter_map(|p| p.payload.get("doc_id").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Upload documents: multipart files (`.md`, `.txt`, `.jsonl`, `.pdf`,
/// `.docx`; an optional `kind` field first gives the kind of files without
/// front matter) or one document as JSON. Roles: curator.
#[utoipa::path(post, path = "/v1/kb/documents", tag = "knowledge base",
    request_body(content(
        (DocumentInput = "application/json"),
        (String = "multipart/form-data"))),
    responses((status = 201, description = "ingested (per-file results; a failed file writes nothing)", body = UploadReport),
        (status = 200, description = "nothing changed", body = UploadReport),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "no file could be ingested", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_documents(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
) -> Result<(StatusCode, Json<UploadReport>), ApiError> {
    caller.require(CURATORS)?;
    state.ready()?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // (file name, parsed documents or the reason they could not be)
    let mut files: Vec<(String, Result<Vec<Document>, String>)> = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &state)
            .await
            .map_err(|e| ApiError::new(e.status(), "invalid_upload", e.body_text()))?;
        let mut default_kind: Option<String> = None;
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    let status = e.status();
                    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                        format!(
                            "the upload is over {} MiB; send fewer or smaller files",
                            state.config().api.max_upload_bytes / (1024 * 1024)
                        )
                    } else {
                        e.body_text()
                    };
                    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "body_too_large"
                    } else {
                        "invalid_upload"
                    };
                    return Err(ApiError::new(status, code, message));
                }
            };
            let name = field.file_name().map(str::to_string);
            let field_name = field.name().unwrap_or_default().to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::new(e.status(), "invalid_upload", e.body_text()))?;
            match name {
                None if field_name == "kind" => {
                    let k = String::from_utf8_lossy(&bytes).trim().to_string();
                    if !KINDS.contains(&k.as_str()) {
                        return Err(ApiError::invalid(format!(
                            "unknown kind '{k}' (expected {})",
                            KINDS.join(", ")
                        )));
                    }
                    default_kind = Some(k);
                }
                None => {}
                Some(name) => {
                    let stem = name
                        .rsplit_once('.')
                        .map_or(name.as_str(), |(s, _)| s)
                        .to_string();
                    let parsed = parse_bytes(&name, &stem, default_kind.as_deref(), &bytes)
                        .map_err(|e| match e {
                            ParseFail::Unsupported => {
                                "unsupported file type (use .md, .txt, .jsonl, .pdf or .docx)"
                                    .to_string()
                            }
                            ParseFail::Message(m) => m,
                        });
                    files.push((name, parsed));
                }
            }
        }
        if files.is_empty() {
            return Err(ApiError::invalid(
                "the upload has no files; attach them as multipart file fields",
            ));
        }
    } else if content_type.starts_with("application/json") {
        let bytes = super::error::read_limited(req, state.config().api.max_upload_bytes).await?;
        let d: DocumentInput = parse_json(&bytes)?;
        let doc = Document {
            id: d.id,
            title: d.title,
            kind: d.kind,
            schemes: d.schemes,
            source: d.source.unwrap_or_else(|| "api".into()),
            version: d.version.unwrap_or_else(|| "1".into()),
            text: d.text,
            extra: d.extra.unwrap_or(Value::Null),
        };
        files.push(("(json)".into(), Ok(vec![doc])));
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send files as multipart/form-data, or one document as application/json",
        ));
    }

    // Check every document of every file before writing anything.
    let mut checked: Vec<(String, Result<Vec<Document>, String>)> = Vec::new();
    for (name, parsed) in files {
        let result = parsed.and_then(|docs| {
            if docs.is_empty() {
                return Err("no documents in the file".to_string());
            }
            for d in &docs {
                check_document(d)?;
            }
            Ok(docs
                .into_iter()
                .map(|d| mark_origin(d, "curator"))
                .collect())
        });
        checked.push((name, result));
    }
    // Two files of one upload must not give the same document id (nul.txt
    // and nul.md would silently replace each other): the later one fails.
    let mut owner: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for (name, r) in &mut checked {
        let Ok(docs) = r else { continue };
        let clash = docs
            .iter()
            .find_map(|d| owner.get(&d.id).map(|first| (d.id.clone(), first.clone())));
        match clash {
            Some((id, first)) => {
                *r = Err(format!(
                    "document id '{id}' is also given by '{first}' in this upload; rename one file or set a distinct `id`"
                ));
            }
            None => {
                for d in docs.iter() {
                    owner.insert(d.id.clone(), name.clone());
                }
            }
        }
    }
    let all_ids: Vec<String> = checked
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .flatten()
        .map(|d| d.id.clone())
        .collect();
    let seeds = {
        let s = state.clone();
        tokio::task::spawn_blocking(move || seed_ids(&s, &all_ids)).await??
    };
    for (_, r) in &mut checked {
        if let Ok(docs) = r
            && let Some(d) = docs.iter().find(|d| seeds.contains(&d.id))
        {
            *r = Err(format!(
                "document '{}' belongs to the knowledge-base folder; edit its file there (or pick another id)",
                d.id
            ));
        }
    }

    let _guard = state.inner.kb_writes.lock().await;
    let ready = state.ready()?;
    let assessor = ready.assessor.clone();
    let report = tokio::task::spawn_blocking(move || -> Result<UploadReport, ApiError> {
        let mut out = UploadReport {
            files: Vec::new(),
            added: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
            knowledge_base: String::new(),
        };
        for (file, r) in checked {
            match r {
                Err(error) => {
                    out.failed += 1;
                    out.files.push(FileResult {
                        file,
                        documents: Vec::new(),
                        error: Some(error),
                    });
                }
                Ok(docs) => {
                    match ingest_documents(assessor.embed(), assessor.store().as_ref(), &docs) {
                        Ok(outcomes) => {
                            let mut documents = Vec::new();
                            for (d, (o, chunks)) in docs.iter().zip(outcomes) {
                                match o {
                                    Outcome::Added => out.added += 1,
                                    Outcome::Updated => out.updated += 1,
                                    Outcome::Unchanged => out.unchanged += 1,
                                }
                                documents.push(DocResult {
                                    id: d.id.clone(),
                                    title: d.title.clone(),
                                    kind: d.kind.clone(),
                                    outcome: format!("{o:?}").to_lowercase(),
                                    chunks,
                                });
                            }
                            out.files.push(FileResult {
                                file,
                                documents,
                                error: None,
                            });
                        }
                        Err(e) => {
                            tracing::error!(error = %e, %file, "ingest failed");
                            out.failed += 1;
                            out.files.push(FileResult {
                                file,
                                documents: Vec::new(),
                                error: Some(
                                    "could not be indexed (server busy or store error); retry"
                                        .into(),
                                ),
                            });
                        }
                    }
                }
            }
        }
        assessor
            .reload_kb()
            .map_err(|e| ApiError::internal("reloading the label set", e))?;
        out.knowledge_base = assessor.kb_version();
        Ok(out)
    })
    .await??;
    drop(_guard);
    let ids: Vec<String> = report
        .files
        .iter()
        .flat_map(|f| f.documents.iter().map(|d| d.id.clone()))
        .collect();
    let status = if report.added + report.updated > 0 {
        StatusCode::CREATED
    } else if report.unchanged > 0 {
        StatusCode::OK
    } else {
        let reasons: Vec<String> = report
            .files
            .iter()
            .filter_map(|f| f.error.as_ref().map(|e| format!("{}: {e}", f.file)))
            .collect();
        state
            .audit(
                &caller,
                "kb.upload",
                None,
                StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
            )
            .await;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_document",
            format!("nothing was ingested: {}", reasons.join("; ")),
        ));
    };
    state
        .audit(&caller, "kb.upload", Some(&ids.join(",")), status.as_u16())
        .await;
    Ok((status, Json(report)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DocListParams {
    /// pattern, case, regulation, example or other
    pub kind: Option<String>,
    /// a scheme id
    pub scheme: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    pub documents: Vec<DocSummary>,
    pub count: usize,
}

/// Knowledge-base documents, by id. Roles: any.
#[utoipa::path(get, path = "/v1/kb/documents", tag = "knowledge base",
    params(DocListParams),
    responses((status = 200, body = DocumentList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_documents(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<DocListParams>,
) -> Result<Json<DocumentList>, ApiError> {
    caller.require(ANYONE)?;
    let store = state.ready()?.assessor.store().clone();
    let filter = Filter {
        kinds: p.kind.into_iter().filter(|s| !s.is_empty()).collect(),
        schemes: p.scheme.into_iter().filter(|s| !s.is_empty()).collect(),
        ..Filter::default()
    };
    let documents = tokio::task::spawn_blocking(move || store.list_docs_where(&filter)).await??;
    Ok(Json(DocumentList {
        count: documents.len(),
        documents,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChunkView {
    pub chunk_id: String,
    pub heading: Option<String>,
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    #[serde(flatten)]
    pub summary: DocSummary,
    /// `seed` for the knowledge-base folder, `curator` for uploads,
    /// `feedback` for approved candidates.
    pub origin: Option<String>,
    pub extra: Value,
    /// The chunks' text in order (`chunks` is their count).
    pub content: Vec<ChunkView>,
}

/// One document with its chunks. Roles: any.
#[utoipa::path(get, path = "/v1/kb/documents/{id}", tag = "knowledge base",
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, body = DocumentView), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    caller.require(ANYONE)?;
    let store = state.ready()?.assessor.store().clone();
    let key = id.clone();
    let (summary, chunks) = tokio::task::spawn_blocking(move || {
        let summary = store.list_docs_where(&Filter::doc(&key))?.pop();
        let chunks = store.doc_chunks(&key)?;
        Ok::<_, crate::store::StoreError>((summary, chunks))
    })
    .await??;
    let summary = summary.ok_or_else(|| ApiError::not_found("document", &id))?;
    let extra = chunks
        .first()
        .map(|c| c.extra.clone())
        .unwrap_or(Value::Null);
    Ok(Json(DocumentView {
        summary,
        origin: extra
            .get(ORIGIN_KEY)
            .and_then(Value::as_str)
            .map(str::to_string),
        extra,
        content: chunks
            .into_iter()
            .map(|c| ChunkView {
                chunk_id: c.chunk_id,
                heading: c.heading,
                text: c.text,
            })
            .collect(),
    }))
}

/// Delete a document added through the API (documents of the
/// knowledge-base folder are removed by deleting their file). Roles: curator.
#[utoipa::path(delete, path = "/v1/kb/documents/{id}", tag = "knowledge base",
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, description = "deleted: `{\"id\", \"chunks_removed\"}`"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the document comes from the knowledge-base folder", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(CURATORS)?;
    let ready = state.ready()?;
    let _guard = state.inner.kb_writes.lock().await;
    let s = state.clone();
    let key = id.clone();
    if !tokio::task::spawn_blocking(move || seed_ids(&s, &[key]))
        .await??
        .is_empty()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "seed_document",
            format!(
                "'{id}' comes from the knowledge-base folder; delete or edit its file there instead"
            ),
        ));
    }
    let assessor = ready.assessor.clone();
    let key = id.clone();
    let removed = tokio::task::spawn_blocking(move || -> Result<usize, ApiError> {
        let n = assessor.store().delete_doc(&key)?;
        if n > 0 {
            assessor
                .reload_kb()
                .map_err(|e| ApiError::internal("reloading the label set", e))?;
        }
        Ok(n)
    })
    .await??;
    if removed == 0 {
        return Err(ApiError::not_found("document", &id));
    }
    state.audit(&caller, "kb.delete", Some(&id), 200).await;
    Ok(Json(json!({ "id": id, "chunks_removed": removed })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// The query (Chinese or English; slang is expanded with the lexicon).
    pub q: String,
    /// Only these kinds, comma-separated.
    pub kind: Option<String>,
    pub scheme: Option<String>,
    /// At most this many hits (default 10, at most 50).
    pub limit: Option<usize>,
    /// hybrid (default), dense or sparse
    pub mode: Option<Mode>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub doc_id: String,
    pub chunk_id: String,
    pub title: String,
    pub kind: String,
    pub schemes: Vec<String>,
    pub heading: Option<String>,
    pub text: String,
    pub score: f32,
}

/// Search the knowledge base (dense e5 + BM25, fused with RRF). Roles: any.
#[utoipa::path(get, path = "/v1/kb/search", tag = "knowledge base",
    params(SearchParams),
    responses((status = 200, body = [SearchHit]), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    caller.require(ANYONE)?;
    let ready = state.ready()?;
    let q = p.q.trim();
    if q.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "`q` is empty: type what to search for",
        ));
    }
    if q.chars().count() > 2000 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "`q` is over 2,000 characters; search with a shorter phrase",
        ));
    }
    let text = ready.assessor.expand_query(q);
    let mode = p.mode.unwrap_or_default();
    let dense = if mode == Mode::Sparse {
        None
    } else {
        ready
            .assessor
            .embed()
            .embed(vec![text.clone()], EmbedRole::Query)
            .await?
            .pop()
    };
    let req = SearchRequest {
        dense,
        text,
        filter: Filter {
            kinds: p
                .kind
                .map(|k| {
                    k.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            schemes: p.scheme.into_iter().filter(|s| !s.is_empty()).collect(),
            ..Filter::default()
        },
        limit: p.limit.unwrap_or(10).clamp(1, 50),
        mode,
    };
    let store = ready.assessor.store().clone();
    let hits = tokio::task::spawn_blocking(move || store.search(&req)).await??;
    Ok(Json(
        hits.into_iter()
            .map(|h| SearchHit {
                doc_id: h.chunk.doc_id,
                chunk_id: h.chunk.chunk_id,
                title: h.chunk.title,
                kind: h.chunk.kind,
                schemes: h.chunk.schemes,
                heading: h.chunk.heading,
                text: h.chunk.text,
                score: h.score,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CandidateParams {
    /// pending (default), approved or rejected
    pub status: Option<CandidateStatus>,
}

/// Candidate labelled examples from handlers' corrections. Roles: curator.
#[utoipa::path(get, path = "/v1/kb/candidates", tag = "knowledge base",
    params(CandidateParams),
    responses((status = 200, body = [Feedback]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_candidates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<CandidateParams>,
) -> Result<Json<Vec<Feedback>>, ApiError> {
    caller.require(CURATORS)?;
    let records = state.ready()?.records.clone();
    let status = p.status.unwrap_or(CandidateStatus::Pending);
    Ok(Json(
        tokio::task::spawn_blocking(move || records.candidates(status)).await??,
    ))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: Decision,
}

/// Approve a candidate (it becomes a labelled example in the knowledge
/// base, text masked, and takes part in later assessments) or reject it.
/// Roles: curator.
#[utoipa::path(post, path = "/v1/kb/candidates/{id}", tag = "knowledge base",
    params(("id" = String, Path, description = "feedback id")),
    request_body = ReviewInput,
    responses((status = 200, body = Feedback), (status = 404, body = ErrorBody),
        (status = 409, description = "already reviewed, or not a candidate", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn review_candidate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    super::error::ApiJson(input): super::error::ApiJson<ReviewInput>,
) -> Result<Json<Feedback>, ApiError> {
    caller.require(CURATORS)?;
    let ready = state.ready()?;
    let _guard = state.inner.kb_writes.lock().await;
    let records = ready.records.clone();
    let key = id.clone();
    let (mut f, dense) = tokio::task::spawn_blocking(move || records.get_feedback(&key))
        .await??
        .ok_or_else(|| ApiError::not_found("candidate", &id))?;
    if f.status != CandidateStatus::Pending {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_pending",
            format!(
                "'{id}' is {}; only pending candidates can be reviewed",
                serde_json::to_value(f.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
        ));
    }
    f.reviewed_by = Some(caller.fingerprint.clone());
    f.reviewed_at = Some(crate::kb::ingest::now_rfc3339());
    let assessor = ready.assessor.clone();
    let records = ready.records.clone();
    let f = tokio::task::spawn_blocking(move || -> Result<Feedback, ApiError> {
        match input.decision {
            Decision::Reject => f.status = CandidateStatus::Rejected,
            Decision::Approve => {
                let example_id = format!("ex-fb-{}", f.assessment_id);
                let channel = match f.kind {
                    crate::assess::signals::Channel::Complaint => "complaint",
                    crate::assess::signals::Channel::Application => "application",
                };
                let doc = Document {
                    id: example_id.clone(),
                    title: format!("反馈样例（{}）", f.scheme),
                    kind: "example".into(),
                    schemes: vec![f.scheme.clone()],
                    // One source per assessment: feedback examples are
                    // separate groups for the classifier's training.
                    source: format!("handler feedback {}", f.assessment_id),
                    version: "1".into(),
                    text: f.text.clone(),
                    extra: json!({
                        "channel": channel,
                        "grade": f.grade.as_str(),
                        "role": f.role.as_str(),
                        "assessment_id": f.assessment_id,
                        "feedback_id": f.id,
                        ORIGIN_KEY: "feedback",
                    }),
                };
                ingest_documents(assessor.embed(), assessor.store().as_ref(), &[doc])
                    .map_err(|e| ApiError::internal("indexing the approved example", e))?;
                assessor
                    .reload_kb()
                    .map_err(|e| ApiError::internal("reloading the label set", e))?;
                f.status = CandidateStatus::Approved;
                f.example_id = Some(example_id);
            }
        }
        records.put_feedback(&f, dense)?;
        Ok(f)
    })
    .await??;
    let action = match input.decision {
        Decision::Approve => "candidate.approve",
        Decision::Reject => "candidate.reject",
    };
    state.audit(&caller, action, Some(&id), 200).await;
    Ok(Json(f))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// At most this many entries, newest first (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// The audit log: who did what, when (key fingerprints and ids, no
/// personal data). Roles: admin.
#[utoipa::path(get, path = "/v1/audit", tag = "service",
    params(AuditParams),
    responses((status = 200, body = [AuditEntry]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let records = state.ready()?.records.clone();
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        tokio::task::spawn_blocking(move || records.list_audit(limit)).await??,
    ))
}
