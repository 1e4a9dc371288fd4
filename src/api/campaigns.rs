//! Routes for investigators (handlers and the legal team): the campaigns
//! found so far, one campaign with its graph, and its export for police
//! and regulator cooperation. Identifiers only ever appear masked.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiQuery, ErrorBody};
use crate::campaign::index::{Campaign, CampaignIndex, now_ms};
use crate::campaign::view::{self, CampaignDetail, CampaignSummary, ExportFormat, MAX_MEMBERS};
use crate::config::Role;

const READERS: &[Role] = &[Role::Handler, Role::Legal];

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignOrder {
    /// Most recently active first (default).
    #[default]
    Recent,
    /// Largest first.
    Size,
    /// Most members in the last 7 days first.
    Growth,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CampaignListParams {
    /// Only campaigns with at least this many members (default: the
    /// configured `min_size`, 3).
    pub min_size: Option<usize>,
    /// `recent` (default), `size` or `growth`.
    pub order: Option<CampaignOrder>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<CampaignSummary>,
    pub count: usize,
    /// Campaigns matching before `limit`.
    pub total: usize,
}

async fn index_op<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&CampaignIndex) -> Result<T, crate::campaign::index::CampaignError> + Send + 'static,
) -> Result<T, ApiError> {
    let index = state.ready()?.campaigns.clone();
    Ok(tokio::task::spawn_blocking(move || f(&index)).await??)
}

/// Campaigns: submissions linked by a shared template or shared identifiers,
/// with size, time span, schemes, grades, the most shared identifiers
/// (masked) and growth. Roles: handler, legal.
#[utoipa::path(get, path = "/v1/campaigns", tag = "campaigns",
    params(CampaignListParams),
    responses((status = 200, body = CampaignList),
        (status = 400, description = "bad filter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_campaigns(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<CampaignListParams>,
) -> Result<Json<CampaignList>, ApiError> {
    caller.require(READERS)?;
    let min = p
        .min_size
        .unwrap_or(state.config().campaign.min_size)
        .max(2);
    let mut all: Vec<Campaign> = index_op(&state, |i| i.campaigns()).await?;
    all.retain(|c| c.size() >= min);
    let now = now_ms();
    let mut items: Vec<CampaignSummary> = all.iter().map(|c| view::summary(c, now)).collect();
    match p.order.unwrap_or_default() {
        CampaignOrder::Recent => items.sort_by(|a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then(b.size.cmp(&a.size))
                .then(a.id.cmp(&b.id))
        }),
        CampaignOrder::Size => items.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(&b.id))),
        CampaignOrder::Growth => items.sort_by(|a, b| {
            b.growth
                .last_7_days
                .cmp(&a.growth.last_7_days)
                .then(b.size.cmp(&a.size))
                .then(a.id.cmp(&b.id))
        }),
    }
    let total = items.len();
    items.truncate(p.limit.unwrap_or(50).clamp(1, 500));
    state.audit(&caller, "campaign.list", None, 200).await;
    Ok(Json(CampaignList {
        count: items.len(),
        total,
        items,
    }))
}

/// The detail with growth counted from `now` (default: the last member),
/// and the detail as an export has it (growth from the last member).
async fn load_detail(
    state: &AppState,
    id: &str,
    now: Option<i64>,
) -> Result<(CampaignDetail, CampaignDetail), ApiError> {
    let key = id.to_string();
    let found = index_op(state, move |i| {
        let Some(c) = i.campaign(&key)? else {
            return Ok(None);
        };
        let members = i.members(&c, MAX_MEMBERS)?;
        Ok(Some((c, members)))
    })
    .await?;
    let (c, members) = found.ok_or_else(|| ApiError::not_found("campaign", id))?;
    // A campaign below the listing threshold is not shown either.
    if c.size() < state.config().campaign.min_size.max(2) {
        return Err(ApiError::not_found("campaign", id));
    }
    let export = view::detail(&c, &members, c.last_ms());
    let shown = match now {
        Some(now) => view::detail(&c, &members, now),
        None => export.clone(),
    };
    Ok((shown, export))
}

/// One campaign: members (the newest 500), and the graph — submissions and
/// shared identifiers as nodes, edges labelled with why they exist
/// (template similarity, or the identifier a submission carries).
/// Roles: handler, legal.
#[utoipa::path(get, path = "/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = CampaignDetail),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    caller.require(READERS)?;
    let (mut d, export) = load_detail(&state, &id, Some(now_ms())).await?;
    d.export_sha256 = Some(view::integrity(&export));
    state.audit(&caller, "campaign.read", Some(&id), 200).await;
    Ok(Json(d))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `json` (default), `csv` or `md`.
    pub format: Option<String>,
}

/// A campaign exported for police or regulator cooperation: JSON, CSV (one
/// row per member) or a Markdown report. Every format carries the SHA-256
/// of the campaign's canonical JSON in `X-Export-SHA256` (and in the JSON
/// and Markdown bodies); growth is counted back from the last member, so
/// the same campaign state always gives the same hash. Roles: handler, legal.
#[utoipa::path(get, path = "/v1/campaigns/{id}/export", tag = "campaigns",
    params(("id" = String, Path, description = "campaign id"), ExportParams),
    responses((status = 200, description = "the export", content(
            (Object = "application/json"), (String = "text/csv"), (String = "text/markdown"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    caller.require(READERS)?;
    let (format, ext) = match p.format.as_deref().unwrap_or("json") {
        "json" => (ExportFormat::Json, "json"),
        "csv" => (ExportFormat::Csv, "csv"),
        "md" | "markdown" => (ExportFormat::Md, "md"),
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("unknown export format '{other}' (expected json, csv or md)"),
            ));
        }
    };
    let (d, _) = load_detail(&state, &id, None).await?;
    let e = view::export(&d, format).map_err(|e| ApiError::internal("campaign export", e))?;
    state
        .audit(&caller, "campaign.export", Some(&id), 200)
        .await;
    let mut r = ([(header::CONTENT_TYPE, e.content_type)], e.body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&e.sha256) {
        h.insert("x-export-sha256", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"caseguard-campaign-{id}.{ext}\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
