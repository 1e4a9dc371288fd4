//! `/metrics` for Prometheus: request counts and latencies per route,
//! assessments by grade, queue rejections. Labels are route templates and
//! outcomes only, never ids or text, so nothing personal is exported.

use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TimingLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AssessLabels {
    pub kind: String,
    pub grade: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    pub queue: String,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<RouteLabels, Counter>,
    pub latency: Family<TimingLabels, Histogram>,
    pub assessments: Family<AssessLabels, Counter>,
    pub assessment_seconds: Histogram,
    pub rejected: Family<QueueLabels, Counter>,
    pub draft_tokens: Counter,
    pub ready: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let requests = Family::<RouteLabels, Counter>::default();
        let latency = Family::<TimingLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        let assessments = Family::<AssessLabels, Counter>::default();
        let assessment_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 12));
        let rejected = Family::<QueueLabels, Counter>::default();
        let draft_tokens = Counter::default();
        let ready = Gauge::default();
        let mut r = Registry::with_prefix("caseguard");
        r.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        r.register(
            "assessments",
            "Assessments by kind and grade",
            assessments.clone(),
        );
        r.register(
            "assessment_duration_seconds",
            "Time to assess one submission (no draft)",
            assessment_seconds.clone(),
        );
        r.register(
            "queue_rejections",
            "Requests answered 429 because a queue was full",
            rejected.clone(),
        );
        r.register(
            "draft_pieces",
            "Text pieces generated for evidence drafts",
            draft_tokens.clone(),
        );
        r.register(
            "ready",
            "1 once models and knowledge base are loaded",
            ready.clone(),
        );
        Self {
            registry: Mutex::new(r),
            requests,
            latency,
            assessments,
            assessment_seconds,
            rejected,
            draft_tokens,
            ready,
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        let r = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &r);
        out
    }
}

/// Count and time every request by its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let t = Instant::now();
    let response = next.run(req).await;
    let m = state.metrics();
    let status = response.status().as_u16();
    m.requests
        .get_or_create(&RouteLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    if status == 429 {
        m.rejected
            .get_or_create(&QueueLabels {
                queue: route.clone(),
            })
            .inc();
    }
    m.latency
        .get_or_create(&TimingLabels { route })
        .observe(t.elapsed().as_secs_f64());
    response
}
