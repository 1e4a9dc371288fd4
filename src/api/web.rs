//! The web page for complaint handlers, the legal team and curators.
//!
//! Handlers and lawyers will not use curl, so `caseguard serve` also answers
//! `/` with a small single-page application: plain HTML, CSS and ES modules
//! from the repository's `web/` folder, compiled into the binary so the one
//! file that serves the API also serves its page (no build step, no files to
//! deploy next to it). The page talks to the server only through the public
//! `/v1` API with the user's key, exactly like any other client; this module
//! just hands out the files.
//!
//! Every asset is sent with `Cache-Control: no-cache` (a new binary's page is
//! picked up at once) and a Content-Security-Policy that allows scripts from
//! this origin only: complaint texts are untrusted, and the page never turns
//! them into markup, but the policy is the second lock on that door. Inline
//! styles stay allowed because the evidence report, previewed in a sandboxed
//! frame that inherits this policy, carries its own `<style>`.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Route path, content type, file contents.
const ASSETS: &[(&str, &str, &str)] = &[
    ("/", HTML, include_str!("../../web/index.html")),
    ("/app.css", CSS, include_str!("../../web/app.css")),
    ("/favicon.svg", SVG, include_str!("../../web/favicon.svg")),
    ("/js/app.js", JS, include_str!("../../web/js/app.js")),
    ("/js/api.js", JS, include_str!("../../web/js/api.js")),
    ("/js/dom.js", JS, include_str!("../../web/js/dom.js")),
    ("/js/i18n.js", JS, include_str!("../../web/js/i18n.js")),
    ("/js/names.js", JS, include_str!("../../web/js/names.js")),
    (
        "/js/highlight.js",
        JS,
        include_str!("../../web/js/highlight.js"),
    ),
    ("/js/draft.js", JS, include_str!("../../web/js/draft.js")),
    (
        "/js/feedback.js",
        JS,
        include_str!("../../web/js/feedback.js"),
    ),
    (
        "/js/assessment.js",
        JS,
        include_str!("../../web/js/assessment.js"),
    ),
    (
        "/js/workspace.js",
        JS,
        include_str!("../../web/js/workspace.js"),
    ),
    ("/js/queue.js", JS, include_str!("../../web/js/queue.js")),
    ("/js/legal.js", JS, include_str!("../../web/js/legal.js")),
    (
        "/js/curator.js",
        JS,
        include_str!("../../web/js/curator.js"),
    ),
    ("/js/audit.js", JS, include_str!("../../web/js/audit.js")),
    (
        "/js/campaigns.js",
        JS,
        include_str!("../../web/js/campaigns.js"),
    ),
];

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

/// `/` and the page's assets.
pub fn routes() -> Router<AppState> {
    ASSETS
        .iter()
        .fold(Router::new(), |router, &(path, content_type, body)| {
            router.route(path, get(move || async move { asset(content_type, body) }))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_served() {
        let served: Vec<&str> = ASSETS.iter().map(|a| a.0).collect();
        for (_, _, body) in ASSETS {
            for line in body.lines() {
                let Some(rest) = line.split(" from './").nth(1) else {
                    continue;
                };
                let file = rest.split('\'').next().unwrap_or_default();
                let path = format!("/js/{file}");
                assert!(served.contains(&path.as_str()), "{path} is not served");
            }
        }
        let index = ASSETS[0].2;
        assert!(index.contains("src=\"/js/app.js\"") && !index.contains("<script>"));
    }
}
