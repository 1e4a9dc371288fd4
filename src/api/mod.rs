//! The HTTP service (`caseguard serve`): one process that loads the models,
//! opens the store, keeps it in step with the knowledge-base folder and
//! answers over HTTP.
//!
//! Start-up: models load on their worker threads, the store opens, the
//! knowledge-base folder is synced (on an empty store this is the first
//! index), and only then does `/readyz` say ready. A watcher re-syncs when
//! the folder's files change (polling a cheap fingerprint), reloading the
//! label set and the slang lexicon. `/healthz` answers as soon as the socket
//! is bound.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use serde_json::json;
use tokio::sync::OnceCell;

use crate::assess::pipeline::{Assessor, load_lexicon};
use crate::config::Config;
use crate::kb::sync::{fingerprint, sync_dir};
use crate::services::EmbedService;

/// How often the knowledge-base folder is checked for changes.
const SYNC_POLL: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    assessor: OnceCell<Arc<Assessor>>,
    ready: AtomicBool,
    startup_error: std::sync::Mutex<Option<String>>,
}

impl AppState {
    fn assessor(&self) -> Option<&Arc<Assessor>> {
        self.inner.assessor.get()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
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
        );
    }
    match (state.inner.ready.load(Ordering::Acquire), state.assessor()) {
        (true, Some(a)) => (
            StatusCode::OK,
            Json(json!({
                "ready": true,
                "models": "loaded",
                "store": "open",
                "schemes": a.schemes().ids().collect::<Vec<_>>(),
                "knowledge_base": a.kb_version(),
            })),
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "status": "loading models and the knowledge base" })),
        ),
    }
}

/// Load models, open the store, sync the knowledge base (blocking).
fn start_assessor(config: &Config) -> anyhow::Result<(Arc<Assessor>, EmbedService)> {
    let started = Assessor::start(config, false)?;
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
    Ok((Arc::new(started.assessor), started.embed))
}

/// Re-sync whenever the folder's fingerprint changes.
async fn watch_knowledge_base(root: PathBuf, assessor: Arc<Assessor>, embed: EmbedService) {
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
        let (root, a, e) = (root.clone(), assessor.clone(), embed.clone());
        let done = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let report = sync_dir(&e, a.store().as_ref(), &root)?;
            a.set_lexicon(load_lexicon(&root));
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
            Ok(Err(e)) => tracing::error!(error = %e, "knowledge-base sync failed"),
            Err(e) => tracing::error!(error = %e, "knowledge-base sync panicked"),
        }
    }
}

/// Serve until Ctrl-C or SIGTERM (port 0 picks a free port; the bound
/// address is printed).
pub async fn serve(config: Config, addr: SocketAddr) -> anyhow::Result<()> {
    let state = AppState {
        inner: Arc::new(Inner {
            config,
            assessor: OnceCell::new(),
            ready: AtomicBool::new(false),
            startup_error: std::sync::Mutex::new(None),
        }),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    println!("caseguard listening on http://{bound}");
    let loader = state.clone();
    tokio::spawn(async move {
        let config = loader.inner.config.clone();
        match tokio::task::spawn_blocking(move || start_assessor(&config)).await {
            Ok(Ok((assessor, embed))) => {
                let _ = loader.inner.assessor.set(assessor.clone());
                loader.inner.ready.store(true, Ordering::Release);
                tracing::info!("ready");
                let root = loader.inner.config.knowledge_base.clone();
                if root.is_dir() {
                    tokio::spawn(watch_knowledge_base(root, assessor, embed));
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
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
