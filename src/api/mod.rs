//! The HTTP service (`caseguard serve`): one process that loads the models,
//! opens the store, keeps it in step with the knowledge-base folder and
//! answers handlers, the legal team and curators over HTTP.
//!
//! Start-up: the socket is bound first (`/healthz` answers at once), then
//! models load on their worker threads, the store and the record
//! collections open and the knowledge-base folder is synced; only then does
//! `/readyz` say ready and do the `/v1` routes work (503 before). A watcher
//! re-syncs when the folder's files change. Routes live in `assessments`
//! and `kb`; `error` maps every failure to a JSON error, `auth` checks keys
//! and roles, `metrics` counts, `docs` builds the OpenAPI document from the
//! handlers' own annotations.

pub mod assessments;
pub mod auth;
pub mod campaigns;
pub mod docs;
pub mod error;
pub mod kb;
pub mod metrics;
pub mod server;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;
use tokio::sync::{OnceCell, Semaphore};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::assess::pipeline::{Assessor, load_lexicon};
use crate::assess::rolecues::RoleCues;
use crate::campaign::identifiers::IdHasher;
use crate::campaign::index::CampaignIndex;
use crate::config::Config;
use crate::kb::sync::{fingerprint, sync_dir};
use crate::records::{AuditEntry, Records, new_id};
use crate::services::EmbedService;
use auth::{Caller, Keys};
use error::ApiError;
use metrics::Metrics;

/// How often the knowledge-base folder is checked for changes.
const SYNC_POLL: Duration = Duration::from_secs(5);

/// Request limits the extractors need.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
}

/// What exists once start-up finished.
pub struct Ready {
    pub assessor: Arc<Assessor>,
    pub records: Records,
    pub campaigns: CampaignIndex,
    /// Keyed hashing of identifiers (the key from the config).
    pub hasher: Arc<IdHasher>,
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    keys: Keys,
    limits: Limits,
    metrics: Metrics,
    ready: OnceCell<Ready>,
    startup_error: std::sync::Mutex<Option<String>>,
    assess_slots: Arc<Semaphore>,
    draft_slots: Arc<Semaphore>,
    /// Knowledge-base writes (API and folder watcher) one at a time.
    kb_writes: tokio::sync::Mutex<()>,
}

impl AsRef<Keys> for AppState {
    fn as_ref(&self) -> &Keys {
        &self.inner.keys
    }
}

impl AsRef<Limits> for AppState {
    fn as_ref(&self) -> &Limits {
        &self.inner.limits
    }
}

impl AppState {
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let keys = Keys::new(&config.api_keys()?);
        if keys.is_empty() {
            tracing::warn!(
                "no API keys configured: every /v1 route will answer 401 (see `caseguard keys`)"
            );
        }
        let limits = Limits {
            max_body_bytes: config.api.max_body_bytes,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                assess_slots: Arc::new(Semaphore::new(config.api.max_pending_assessments.max(1))),
                draft_slots: Arc::new(Semaphore::new(config.api.max_pending_drafts.max(1))),
                config,
                keys,
                limits,
                metrics: Metrics::new(),
                ready: OnceCell::new(),
                startup_error: std::sync::Mutex::new(None),
                kb_writes: tokio::sync::Mutex::new(()),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The loaded service, or 503 while it is starting.
    pub fn ready(&self) -> Result<&Ready, ApiError> {
        self.inner.ready.get().ok_or_else(ApiError::not_ready)
    }

    /// Record an action in the audit log (failures are logged, not fatal:
    /// the action itself already happened).
    pub async fn audit(&self, caller: &Caller, action: &str, target: Option<&str>, status: u16) {
        let Ok(ready) = self.ready() else { return };
        let entry = AuditEntry {
            id: new_id('u'),
            at: crate::kb::ingest::now_rfc3339(),
            actor: caller.fingerprint.clone(),
            role: caller.role.as_str().to_string(),
            action: action.to_string(),
            target: target.map(str::to_string),
            status,
        };
        tracing::info!(actor = %entry.actor, action, target, status, "audit");
        let records = ready.records.clone();
        match tokio::task::spawn_blocking(move || records.audit(&entry)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "audit entry not written"),
            Err(e) => tracing::error!(error = %e, "audit task failed"),
        }
    }
}

/// The router and the OpenAPI document, built from the same list of handlers.
pub fn router(state: AppState) -> Router {
    let max_upload = state.config().api.max_upload_bytes;
    let max_body = state.config().api.max_body_bytes;
    let (v1, api) = OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .routes(routes!(
            assessments::create_assessment,
            assessments::list_assessments
        ))
        .routes(routes!(assessments::get_assessment))
        .routes(routes!(assessments::post_feedback))
        .routes(routes!(assessments::get_report))
        .routes(routes!(assessments::stream_draft))
        .routes(routes!(campaigns::list_campaigns))
        .routes(routes!(campaigns::get_campaign))
        .routes(routes!(campaigns::export_campaign))
        .routes(routes!(kb::list_documents))
        .routes(routes!(kb::upload_documents).layer(DefaultBodyLimit::max(max_upload)))
        .routes(routes!(kb::get_document, kb::delete_document))
        .routes(routes!(kb::search))
        .routes(routes!(kb::list_candidates))
        .routes(routes!(kb::review_candidate))
        .routes(routes!(kb::list_audit))
        .routes(routes!(me))
        .routes(routes!(schemes))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .split_for_parts();
    let api = Arc::new(api);
    v1.merge(web::routes())
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let api = api.clone();
                async move { Json(api.as_ref().clone()) }
            }),
        )
        .route("/metrics", axum::routing::get(metrics_text))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            server::body_deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

async fn unknown_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_route",
        "no such route; GET /openapi.json lists them",
    )
}

async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; GET /openapi.json lists them",
    )
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub role: crate::config::Role,
    /// The key's fingerprint, as the audit log shows it.
    pub key: String,
}

/// Who the key belongs to: its role (the web page shows the views it may use).
#[utoipa::path(get, path = "/v1/me", tag = "service",
    responses((status = 200, body = Me), (status = 401, body = error::ErrorBody)),
    security(("bearer" = [])))]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        role: caller.role,
        key: caller.fingerprint,
    })
}

/// The scheme types (labels) the knowledge base defines, with display names;
/// a curator's new pattern card appears here. Roles: any.
#[utoipa::path(get, path = "/v1/schemes", tag = "service",
    responses((status = 200, body = [crate::assess::schemes::Scheme]),
        (status = 401, body = error::ErrorBody), (status = 503, body = error::ErrorBody)),
    security(("bearer" = [])))]
async fn schemes(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<crate::assess::schemes::Scheme>>, ApiError> {
    Ok(Json(state.ready()?.assessor.schemes().schemes.clone()))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "alive")))]
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: models loaded, store open, knowledge base synced.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, description = "ready: schemes and knowledge-base version"),
              (status = 503, description = "still starting, or start-up failed")))]
async fn readyz(State(state): State<AppState>) -> Response {
    if let Some(e) = state
        .inner
        .startup_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "error": e })),
        )
            .into_response();
    }
    match state.inner.ready.get() {
        Some(r) => Json(json!({
            "ready": true,
            "models": "loaded",
            "store": "open",
            "llm": r.assessor.llm().is_some(),
            "schemes": r.assessor.schemes().ids().collect::<Vec<_>>(),
            "knowledge_base": r.assessor.kb_version(),
        }))
        .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            Json(json!({ "ready": false, "status": "loading models and the knowledge base" })),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics().encode(),
    )
}

/// Load models, open the store and the records, sync the knowledge base (blocking).
fn start(config: &Config) -> anyhow::Result<(Ready, EmbedService)> {
    let started = Assessor::start(config, true)?;
    match &started.sync {
        Some(r) => {
            tracing::info!(
                added = r.added,
                updated = r.updated,
                unchanged = r.unchanged,
                removed = r.removed.len(),
                failed = r.failures.len(),
                "knowledge base synced"
            );
            for (path, reason) in &r.failures {
                tracing::warn!(%path, %reason, "knowledge-base file not indexed");
            }
        }
        None => tracing::warn!(
            path = %config.knowledge_base.display(),
            "no knowledge-base folder to index"
        ),
    }
    let records = Records::open(config, started.embed.dim())?;
    let key = config.campaign_key(true)?;
    let hasher = IdHasher::new(&key).map_err(|e| anyhow::anyhow!("campaign key: {e}"))?;
    let campaigns = CampaignIndex::open(config)?;
    Ok((
        Ready {
            assessor: Arc::new(started.assessor),
            records,
            campaigns,
            hasher: Arc::new(hasher),
        },
        started.embed,
    ))
}

/// Re-sync whenever the folder's fingerprint changes.
async fn watch_knowledge_base(state: AppState, root: PathBuf, embed: EmbedService) {
    let mut last = {
        let r = root.clone();
        tokio::task::spawn_blocking(move || fingerprint(&r))
            .await
            .unwrap_or_default()
    };
    loop {
        tokio::time::sleep(SYNC_POLL).await;
        let r = root.clone();
        let Ok(now) = tokio::task::spawn_blocking(move || fingerprint(&r)).await else {
            continue;
        };
        if now == last {
            continue;
        }
        last = now;
        let Ok(ready) = state.ready() else { continue };
        let _guard = state.inner.kb_writes.lock().await;
        let (root, a, e) = (root.clone(), ready.assessor.clone(), embed.clone());
        let done = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let report = sync_dir(&e, a.store().as_ref(), &root)?;
            a.set_lexicon(load_lexicon(&root));
            // A broken roles file keeps the cues in use (and says why).
            match RoleCues::load(&root.join("roles.toml")) {
                Ok(cues) => a.set_role_cues(cues),
                Err(e) => tracing::warn!(error = %e, "role cues unchanged"),
            }
            a.reload_kb()?;
            Ok(report)
        })
        .await;
        match done {
            Ok(Ok(r)) => tracing::info!(
                added = r.added,
                updated = r.updated,
                removed = r.removed.len(),
                failed = r.failures.len(),
                "knowledge base re-synced"
            ),
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "knowledge-base sync failed"),
            Err(e) => tracing::error!(error = %e, "knowledge-base sync panicked"),
        }
    }
}

/// Serve until Ctrl-C or SIGTERM (port 0 picks a free port; the bound
/// address is printed).
pub async fn serve(config: Config, addr: SocketAddr) -> anyhow::Result<()> {
    let state = AppState::new(config)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    println!("caseguard listening on http://{bound}");
    let loader = state.clone();
    tokio::spawn(async move {
        let config = loader.inner.config.clone();
        match tokio::task::spawn_blocking(move || start(&config)).await {
            Ok(Ok((ready, embed))) => {
                let _ = loader.inner.ready.set(ready);
                loader.metrics().ready.set(1);
                tracing::info!("ready");
                let root = loader.inner.config.knowledge_base.clone();
                if root.is_dir() {
                    tokio::spawn(watch_knowledge_base(loader.clone(), root, embed));
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %format!("{e:#}"), "start-up failed");
                *loader
                    .inner
                    .startup_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(format!("{e:#}"));
            }
            Err(e) => tracing::error!(error = %e, "start-up panicked"),
        }
    });
    let limits = state.config().api.clone();
    server::run(listener, router(state), &limits, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
