//! Every API error as JSON `{"error": {"code", "message"}}` with a stable
//! `code` clients can branch on and a message that says what to fix.
//!
//! This is the one table from internal errors to HTTP statuses: store and
//! model failures are logged here and answered with a generic message, so
//! internals never leak. The request extractors ([`ApiJson`], [`ApiQuery`])
//! turn axum's rejections (bad JSON, wrong types, unknown fields, invalid
//! UTF-8, oversized bodies) into the same shape.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::assess::pipeline::AssessError;
use crate::records::RecordError;
use crate::services::ServiceError;
use crate::store::StoreError;
use crate::worker::WorkerError;

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `empty_text`, `forbidden`.
    pub code: &'static str,
    /// What went wrong and what to do about it.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {what} with id '{id}'"),
        )
    }

    pub fn overloaded(what: &str) -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "overloaded",
                format!("the {what} queue is full; retry in a moment"),
            )
        }
    }

    pub fn not_ready() -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the service is still loading its models and knowledge base; retry shortly",
            )
        }
    }

    /// A failure that is ours, not the caller's: logged in full, answered
    /// with a generic message.
    pub fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{context} failed; the error is in the server log"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<WorkerError> for ApiError {
    fn from(e: WorkerError) -> Self {
        match e {
            WorkerError::Overloaded(what) => ApiError::overloaded(what),
            WorkerError::Stopped(_) => ApiError::internal("model worker", e),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Worker(w) => w.into(),
            other => ApiError::internal("model inference", other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal("store access", e)
    }
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> Self {
        ApiError::internal("record access", e)
    }
}

impl From<crate::campaign::index::CampaignError> for ApiError {
    fn from(e: crate::campaign::index::CampaignError) -> Self {
        ApiError::internal("campaign index", e)
    }
}

impl From<AssessError> for ApiError {
    fn from(e: AssessError) -> Self {
        match e {
            AssessError::Empty(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "empty_text", m)
            }
            AssessError::TooLong(m) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "text_too_long", m)
            }
            AssessError::Invalid(m) => ApiError::invalid(m),
            AssessError::Service(s) => s.into(),
            AssessError::Store(s) => s.into(),
            AssessError::Internal(m) => ApiError::internal("assessment", m),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal("background task", e)
    }
}

/// A JSON body: `application/json`, UTF-8, within the body limit, and
/// matching `T` exactly (unknown fields are refused where `T` says so).
pub struct ApiJson<T>(pub T);

/// Bodies up to this size are read to the end even when over the limit, so
/// the client (which may still be sending) receives the 413 instead of a
/// broken connection; larger ones are cut off.
const DRAIN_MAX: usize = 16 * 1024 * 1024;

/// The body, or 413 when it is over `limit` bytes.
pub async fn read_limited(req: Request, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    use futures_util::StreamExt;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is over {} KiB; send a shorter text (assessments take at most 20,000 characters)",
                limit / 1024
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_MAX) {
        return Err(too_large());
    }
    let mut stream = req.into_body().into_data_stream();
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                format!("the body could not be read: {e}"),
            )
        })?;
        total += chunk.len();
        if total <= limit {
            buf.extend_from_slice(&chunk);
        } else if total > DRAIN_MAX {
            break;
        }
    }
    if total > limit {
        return Err(too_large());
    }
    Ok(buf.into())
}

/// Turn raw body bytes into `T`, with one error per way it can be wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_encoding",
            format!(
                "the body is not valid UTF-8 (at byte {}); send JSON encoded as UTF-8",
                e.valid_up_to()
            ),
        )
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body is empty; send a JSON object",
        ));
    }
    serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::invalid(format!("{e}")),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON: {e}"),
            ),
        }
    })
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync + AsRef<super::Limits>,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = state.as_ref().max_body_bytes;
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct.split(';').next().unwrap_or_default().trim();
                ct.eq_ignore_ascii_case("application/json")
            });
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = read_limited(req, limit).await?;
        Ok(ApiJson(parse_json(&bytes)?))
    }
}

/// Query parameters, with a 400 that names the bad parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e: QueryRejection| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())
            })
    }
}
