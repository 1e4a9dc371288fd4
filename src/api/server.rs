//! The connection side of the service: accepting, reading and closing.
//!
//! A client that never finishes its headers, trickles a body or holds
//! thousands of idle connections must not keep resources or the process
//! alive. `axum::serve` offers none of the knobs, so the accept loop lives
//! here on hyper-util:
//!
//! - headers must arrive within `header_read_timeout_secs` once a request
//!   has begun (hyper closes the connection otherwise),
//! - a body must arrive within `body_read_timeout_secs` (`body_deadline`:
//!   the request is answered 408 with a JSON error),
//! - at most `max_connections` are open; more are closed on accept,
//! - on SIGTERM the listener closes, open requests get `shutdown_grace_secs`
//!   to finish, then the remaining connections are dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::AppState;
use super::error::ApiError;
use crate::config::ApiConfig;

/// Serve `app` on `listener` until `shutdown` resolves, then drain.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: &ApiConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    // HTTP/1 only: the page and the API clients speak it, and without
    // protocol detection a client that sends three bytes and stalls meets
    // the header timeout like any other.
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs.max(1)));
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached: closed");
            drop(stream);
            continue;
        };
        let conn = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    let grace = Duration::from_secs(limits.shutdown_grace_secs);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = grace.as_secs(),
            "grace period over: closing the remaining connections"
        );
    }
    Ok(())
}

/// Marks a body that did not arrive in time.
#[derive(Debug)]
struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// Middleware: the request body must arrive within the configured time;
/// a handler whose read failed for that reason is answered 408.
pub async fn body_deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secs = state.config().api.body_read_timeout_secs.max(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let fired = Arc::new(AtomicBool::new(false));
    let flag = fired.clone();
    let (parts, body) = req.into_parts();
    let stream = futures_util::stream::unfold(Some(body.into_data_stream()), move |s| {
        let flag = flag.clone();
        async move {
            let mut s = s?;
            match tokio::time::timeout_at(deadline, s.next()).await {
                Ok(Some(item)) => Some((item, Some(s))),
                Ok(None) => None,
                Err(_) => {
                    flag.store(true, Ordering::Relaxed);
                    Some((Err(axum::Error::new(BodyTimedOut)), None))
                }
            }
        }
    });
    let response = next
        .run(Request::from_parts(parts, Body::from_stream(stream)))
        .await;
    if fired.load(Ordering::Relaxed) {
        return ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!(
                "the request body did not arrive within {secs} s; send it in one go (or raise api.body_read_timeout_secs)"
            ),
        )
        .into_response();
    }
    response
}
