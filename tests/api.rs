//! The HTTP API end to end: the real binary on port 0, the real models, the
//! embedded store in a temporary data directory.
//!
//! One server start serves every check (loading models and indexing the
//! seed knowledge base dominates the run time); a second start on the same
//! data directory checks that assessments, feedback and the audit log
//! survive a restart.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const HANDLER: &str = "handler-key-0123456789abcdef";
const LEGAL: &str = "legal-key-0123456789abcdef";
const CURATOR: &str = "curator-key-0123456789abcdef";
const ADMIN: &str = "admin-key-0123456789abcdef";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cg-api-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The server's log (stderr), next to its config; appended across restarts.
fn log_file(config: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_file_name("server.log"))
        .unwrap()
        .into()
}

/// Every byte under a directory.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            todo.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(b) = std::fs::read(&p) {
            out.extend(b);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Identifiers the campaign section submits; none may come back or be stored in clear.
const CLEAR_IDS: [&str; 4] = ["lilaoshi_help88", "13911112222", "13977778888", "恒达信"];

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(config: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_caseguard"))
            .args([
                "--config",
                config.to_str().unwrap(),
                "serve",
                "--addr",
                "127.0.0.1:0",
            ])
            .env_remove("CASEGUARD_API_KEYS")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log_file(config))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        let s = Server {
            child,
            base: format!("http://{addr}"),
        };
        let t = Instant::now();
        loop {
            let r = s.call("GET", "/readyz", None, Body::None);
            if r.status == 200 {
                break;
            }
            assert_eq!(r.status, 503, "{}", r.text);
            assert!(t.elapsed() < Duration::from_secs(600), "not ready in time");
            std::thread::sleep(Duration::from_millis(500));
        }
        s
    }

    /// Stop with SIGTERM (graceful shutdown) and wait.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "graceful shutdown exits 0: {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not stop on SIGTERM");
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into()
    }

    fn call(&self, method: &str, path: &str, key: Option<&str>, body: Body) -> Reply {
        let url = format!("{}{}", self.base, path);
        let agent = Self::agent();
        let auth = key.map(|k| format!("Bearer {k}"));
        let result = match method {
            "GET" | "DELETE" => {
                let mut r = if method == "GET" {
                    agent.get(&url)
                } else {
                    agent.delete(&url)
                };
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            _ => {
                let mut r = agent.post(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                match body {
                    Body::Json(v) => r.send_json(v),
                    Body::Raw(ct, bytes) => r.content_type(ct).send(bytes),
                    Body::Form(f) => r.send(f),
                    Body::None => r.send_empty(),
                }
            }
        };
        let mut resp = result.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp
            .body_mut()
            .with_config()
            .limit(50 * 1024 * 1024)
            .read_to_string()
            .unwrap();
        Reply {
            status,
            headers,
            text,
        }
    }

    fn get(&self, path: &str, key: &str) -> Reply {
        self.call("GET", path, Some(key), Body::None)
    }

    fn post(&self, path: &str, key: &str, v: Value) -> Reply {
        self.call("POST", path, Some(key), Body::Json(v))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Body<'a> {
    None,
    Json(Value),
    Raw(&'a str, Vec<u8>),
    Form(ureq::unversioned::multipart::Form<'a>),
}

struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The error code of a JSON error body.
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {}", self.text))
            .to_string()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

fn write_config(dir: &Path, kb: &Path) -> PathBuf {
    let models = root().join("models");
    let config = dir.join("caseguard.toml");
    std::fs::write(
        &config,
        format!(
            r#"data_dir = {data:?}
knowledge_base = {kb:?}
[models]
embedding = {emb:?}
llm = {llm:?}
[api]
max_pending_drafts = 1
keys = [
  {{ key = "{HANDLER}", role = "handler" }},
  {{ key = "{LEGAL}", role = "legal" }},
  {{ key = "{CURATOR}", role = "curator" }},
  {{ key = "{ADMIN}", role = "admin" }},
]
"#,
            data = dir.join("data"),
            emb = models.join("e5-small-q4.bin"),
            llm = models.join("gemma-3-270m-q4_k_m.gguf"),
        ),
    )
    .unwrap();
    config
}

fn count_assessments(s: &Server) -> usize {
    let r = s.get("/v1/assessments?limit=500", ADMIN);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["count"].as_u64().unwrap() as usize
}

/// Read an SSE response to its end: (event, data) pairs.
fn read_events(resp: &mut ureq::http::Response<ureq::Body>) -> Vec<(String, String)> {
    let mut text = String::new();
    resp.body_mut()
        .as_reader()
        .read_to_string(&mut text)
        .unwrap();
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut event = "message".to_string();
        let mut data = String::new();
        for line in block.lines() {
            if let Some(e) = line.strip_prefix("event:") {
                event = e.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
        if !data.is_empty() {
            out.push((event, data));
        }
    }
    out
}

#[test]
fn the_api_end_to_end() {
    let dir = tempdir("e2e");
    let kb = dir.join("kb");
    copy_dir(&root().join("knowledge-base"), &kb);
    let config = write_config(&dir, &kb);
    let s = Server::start(&config);

    // ---- service routes -------------------------------------------------
    let spec = s.call("GET", "/openapi.json", None, Body::None).json();
    for path in [
        "/v1/assessments",
        "/v1/assessments/{id}",
        "/v1/assessments/{id}/feedback",
        "/v1/assessments/{id}/report",
        "/v1/assessments/{id}/draft",
        "/v1/kb/documents",
        "/v1/kb/documents/{id}",
        "/v1/kb/search",
        "/v1/kb/candidates",
        "/v1/me",
        "/v1/schemes",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    assert!(
        spec["components"]["schemas"]["Assessment"].is_object()
            || spec["components"]["schemas"]["StoredAssessment"].is_object()
    );

    // ---- auth ------------------------------------------------------------
    let input = json!({"kind": "complaint", "text": "信用卡年费扣错了，请退回。"});
    let r = s.call("POST", "/v1/assessments", None, Body::Json(input.clone()));
    assert_eq!((r.status, r.code().as_str()), (401, "unauthorized"));
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
    let r = s.post("/v1/assessments", "not-a-key-0123456789", input.clone());
    assert_eq!((r.status, r.code().as_str()), (401, "unauthorized"));
    // The scheme name is case-insensitive; two credentials are refused.
    let r = Server::agent()
        .get(format!("{}/v1/assessments", s.base))
        .header("Authorization", format!("BEARER {HANDLER}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut r = Server::agent()
        .get(format!("{}/v1/assessments", s.base))
        .header("Authorization", format!("Bearer {HANDLER}"))
        .header("Authorization", format!("Bearer {CURATOR}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body = r.body_mut().read_to_string().unwrap();
    assert!(body.contains("ambiguous_authorization"), "{body}");
    let r = s.post("/v1/assessments", CURATOR, input.clone());
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("handler")
    );

    let me = s.get("/v1/me", LEGAL).json();
    assert_eq!(me["role"], "legal");
    assert!(me["key"].as_str().unwrap().starts_with("key:") && !me.to_string().contains(LEGAL));
    let schemes = s.get("/v1/schemes", CURATOR).json();
    assert!(
        schemes
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == "professional_debt_bearing"
                && x["name"].as_str().unwrap().contains("职业背债"))
    );

    // ---- bad input: a clear 4xx each, nothing stored ----------------------
    let stored_before = count_assessments(&s);
    let raw = |ct: &'static str, bytes: Vec<u8>| {
        s.call(
            "POST",
            "/v1/assessments",
            Some(HANDLER),
            Body::Raw(ct, bytes),
        )
    };
    let cases: Vec<(&str, Reply, u16, &str)> = vec![
        ("empty text", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint", "text": ""})), 422, "empty_text"),
        ("whitespace", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint", "text": " \n\t　 "})), 422, "empty_text"),
        ("1 MB text", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint", "text": "投".repeat(350_000)})), 413, "body_too_large"),
        ("30k chars", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint", "text": "诉".repeat(30_000)})), 413, "text_too_long"),
        ("invalid JSON", raw("application/json", b"{\"kind\": \"complaint\", \"text\": ".to_vec()), 400, "invalid_json"),
        ("empty body", raw("application/json", Vec::new()), 400, "invalid_json"),
        ("wrong type", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint", "text": 5})), 422, "invalid_request"),
        ("invalid UTF-8", raw("application/json", b"{\"kind\": \"complaint\", \"text\": \"\xff\xfe\"}".to_vec()), 400, "invalid_encoding"),
        ("unknown kind", s.post("/v1/assessments", HANDLER, json!({"kind": "tweet", "text": "你好"})), 422, "invalid_request"),
        ("unknown field", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint", "text": "你好", "urgent": true})), 422, "invalid_request"),
        ("missing text", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint"})), 422, "invalid_request"),
        ("bad applicant", s.post("/v1/assessments", HANDLER, json!({"kind": "application", "text": "申请贷款", "applicant": {"loan_amount": -5}})), 422, "invalid_request"),
        ("not JSON", raw("text/plain", "你好".as_bytes().to_vec()), 415, "unsupported_media_type"),
        ("zero-width only", s.post("/v1/assessments", HANDLER, json!({"kind": "complaint", "text": "\u{200b}\u{200c}\u{feff}\u{2060}"})), 422, "empty_text"),
    ];
    for (what, r, status, code) in &cases {
        assert_eq!(r.status, *status, "{what}: {}", r.text);
        assert_eq!(r.code(), *code, "{what}: {}", r.text);
        assert!(
            r.json()["error"]["message"].as_str().unwrap().len() > 10,
            "{what}"
        );
    }
    assert!(
        cases[3].1.text.contains("20000"),
        "the limit is named: {}",
        cases[3].1.text
    );
    let r = s.get("/v1/assessments/a0000000000000000", HANDLER);
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let r = s.get("/v1/assessments?grade=purple", HANDLER);
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_query"));
    let r = s.get("/v1/nothing-here", HANDLER);
    assert_eq!(r.status, 404);
    assert_eq!(
        count_assessments(&s),
        stored_before,
        "bad input stored nothing"
    );

    // ---- assess one item of every scheme and channel from the dev set -----
    let dev = std::fs::read_to_string(root().join("eval/dev.jsonl")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut ids = Vec::new();
    let mut wrong = Vec::new();
    let mut red_id = None;
    for line in dev.lines() {
        let item: Value = serde_json::from_str(line).unwrap();
        let key = (
            item["channel"].as_str().unwrap().to_string(),
            item["top_scheme"].as_str().unwrap().to_string(),
        );
        if !seen.insert(key.clone()) {
            continue;
        }
        let mut body = json!({"kind": key.0, "text": item["text"]});
        if item["applicant"].is_object() {
            body["applicant"] = item["applicant"].clone();
        }
        let r = s.post("/v1/assessments", HANDLER, body);
        assert_eq!(r.status, 201, "{}", r.text);
        let a = r.json();
        let id = a["id"].as_str().unwrap().to_string();
        assert_eq!(
            r.header("location").unwrap(),
            format!("/v1/assessments/{id}")
        );
        for field in [
            "kind",
            "grade",
            "top_scheme",
            "role",
            "role_confidence",
            "schemes",
            "signals",
            "citations",
            "evidence",
            "reasons",
            "versions",
            "timings",
        ] {
            assert!(!a[field].is_null(), "{field} missing");
        }
        let confs: Vec<f64> = a["schemes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["confidence"].as_f64().unwrap())
            .collect();
        assert!(
            confs.windows(2).all(|w| w[0] >= w[1]),
            "sorted by confidence"
        );
        assert!(
            (confs.iter().sum::<f64>() - 1.0).abs() < 1e-3,
            "probabilities"
        );
        if key.1 == "none" {
            assert_eq!(
                a["grade"], "green",
                "legitimate {} must be green: {}",
                key.0, item["text"]
            );
        }
        // The role goes with the scheme: legitimate with none only.
        assert_eq!(
            a["role"] == "legitimate",
            a["top_scheme"] == "none",
            "role {} with scheme {}",
            a["role"],
            a["top_scheme"]
        );
        if a["top_scheme"] != item["top_scheme"] {
            wrong.push(format!("{:?} → {}", key, a["top_scheme"]));
        }
        if a["grade"] == "red" && red_id.is_none() && key.0 == "complaint" {
            red_id = Some(id.clone());
        }
        ids.push((id, key));
    }
    assert!(ids.len() >= 8, "{ids:?}");
    assert!(wrong.len() <= 1, "misclassified: {wrong:?}");
    let red_id = red_id.expect("a red complaint");

    // Listing and filters.
    let r = s.get("/v1/assessments?grade=red&order=severity", LEGAL);
    assert_eq!(r.status, 200);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert!(!items.is_empty() && items.iter().all(|i| i["grade"] == "red"));
    let r = s.get("/v1/assessments?scheme=none", HANDLER);
    assert!(
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["top_scheme"] == "none")
    );
    let r = s.get("/v1/assessments?since=2099-01-01", HANDLER);
    assert_eq!(r.json()["count"], 0);
    assert_eq!(count_assessments(&s), stored_before + ids.len());

    // ---- evidence draft over SSE, then the report in three formats --------
    let agent = Server::agent();
    let mut resp = agent
        .get(format!("{}/v1/assessments/{red_id}/draft", s.base))
        .header("Authorization", format!("Bearer {LEGAL}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Only one draft at a time in this config: a second one is told to wait.
    let busy = s.get(&format!("/v1/assessments/{red_id}/draft"), HANDLER);
    assert_eq!(
        (busy.status, busy.code().as_str()),
        (429, "overloaded"),
        "{}",
        busy.text
    );
    assert!(busy.header("retry-after").is_some());
    let events = read_events(&mut resp);
    let (last, data) = events.last().expect("draft events");
    assert_eq!(last, "done", "{events:?}");
    let draft: Value = serde_json::from_str(data).unwrap();
    assert_eq!(draft["machine_draft"], true);
    let a = s.get(&format!("/v1/assessments/{red_id}"), LEGAL).json();
    let mut allowed = std::collections::BTreeSet::new();
    for (list, key) in [
        (&a["evidence"]["facts"], "id"),
        (&a["evidence"]["doubts"], "id"),
        (&a["citations"], "id"),
    ] {
        for x in list.as_array().unwrap() {
            allowed.insert(x[key].as_str().unwrap().to_string());
        }
    }
    let sentences = draft["sentences"].as_array().unwrap();
    for sentence in sentences {
        let cites = sentence["citations"].as_array().unwrap();
        assert!(!cites.is_empty(), "every kept sentence cites: {sentence}");
        for c in cites {
            assert!(
                allowed.contains(c.as_str().unwrap()),
                "{c} was not retrieved"
            );
        }
    }
    let streamed = events.iter().filter(|(e, _)| e == "sentence").count();
    assert_eq!(
        streamed,
        sentences.len(),
        "streamed sentences are the draft"
    );
    assert_eq!(a["draft"], draft, "the draft is stored with the assessment");

    let r = s.get(
        &format!("/v1/assessments/{red_id}/report?format=json"),
        LEGAL,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let hash = r.header("x-report-sha256").unwrap();
    let j = r.json();
    assert_eq!(j["integrity"]["sha256"], hash.as_str());
    let recomputed = caseguard::evidence::report::canonical_json(&j["report"]);
    assert_eq!(
        caseguard::evidence::report::sha256_hex(&recomputed),
        hash,
        "hash of the canonical JSON"
    );
    let md = s.get(&format!("/v1/assessments/{red_id}/report?format=md"), LEGAL);
    assert_eq!(md.status, 200);
    assert!(
        md.header("content-type")
            .unwrap()
            .starts_with("text/markdown")
    );
    assert!(md.text.contains(&hash) && md.text.contains("机器草稿"));
    let html = s.get(
        &format!("/v1/assessments/{red_id}/report?format=html"),
        LEGAL,
    );
    assert_eq!(html.status, 200);
    assert!(
        html.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.text.contains(&hash) && html.text.contains("<html"));
    let csp = html.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "the HTML report runs nothing: {csp}"
    );
    assert_eq!(
        html.header("x-report-sha256").unwrap(),
        hash,
        "same report, same hash"
    );
    let r = s.get(
        &format!("/v1/assessments/{red_id}/report?format=pdf"),
        LEGAL,
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_query"));
    let r = s.get(&format!("/v1/assessments/{red_id}/report"), HANDLER);
    assert_eq!(r.status, 403, "reports are for the legal team");

    // ---- feedback → candidate example → approved into the knowledge base ---
    let (legit_id, _) = ids
        .iter()
        .find(|(_, k)| k.1 == "none" && k.0 == "complaint")
        .unwrap();
    let r = s.post(
        &format!("/v1/assessments/{red_id}/feedback"),
        HANDLER,
        json!({"verdict": "confirm"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["status"], "none");
    let r = s.post(
        &format!("/v1/assessments/{legit_id}/feedback"),
        HANDLER,
        json!({"verdict": "correct"}),
    );
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_request"));
    let r = s.post(
        &format!("/v1/assessments/{legit_id}/feedback"),
        HANDLER,
        json!({"verdict": "correct", "scheme": "no_such_scheme"}),
    );
    assert_eq!(r.status, 422);
    let r = s.post(
        &format!("/v1/assessments/{legit_id}/feedback"),
        HANDLER,
        json!({"verdict": "correct", "scheme": "credit_repair_scam", "role": "legitimate"}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "invalid_request"),
        "legitimate goes with none only"
    );
    // What the assessment says of this text before the correction is learned.
    let view = s
        .get(&format!("/v1/assessments/{legit_id}"), HANDLER)
        .json();
    let legit_text = view["text"].as_str().unwrap().to_string();
    let legit_kind = view["kind"].as_str().unwrap().to_string();
    let crs = |a: &Value| {
        a["schemes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == "credit_repair_scam")
            .unwrap()["confidence"]
            .as_f64()
            .unwrap()
    };
    let before_correction = s
        .post(
            "/v1/assessments",
            HANDLER,
            json!({"kind": legit_kind, "text": legit_text}),
        )
        .json();
    let r = s.post(&format!("/v1/assessments/{legit_id}/feedback"), HANDLER,
        json!({"verdict": "correct", "scheme": "credit_repair_scam", "grade": "yellow", "role": "participant", "note": "客户后来承认是中介代写"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let fb = r.json();
    assert_eq!(fb["status"], "pending");
    assert_eq!(
        (fb["role"].as_str(), fb["assessed_role"].as_str()),
        (Some("participant"), Some("legitimate"))
    );
    let fb_id = fb["id"].as_str().unwrap().to_string();
    let r = s.get("/v1/kb/candidates", CURATOR);
    assert!(
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == fb_id.as_str())
    );
    let r = s.get("/v1/kb/candidates", HANDLER);
    assert_eq!(r.status, 403);
    let r = s.post(
        &format!("/v1/kb/candidates/{fb_id}"),
        CURATOR,
        json!({"decision": "approve"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let example = r.json()["example_id"].as_str().unwrap().to_string();
    let r = s.get(&format!("/v1/kb/documents/{example}"), CURATOR);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["kind"], "example");
    assert_eq!(r.json()["origin"], "feedback");
    // The classifier was retrained with the approved example: the same text
    // now finds it among its neighbours and leans to the corrected scheme.
    let after_correction = s
        .post(
            "/v1/assessments",
            HANDLER,
            json!({"kind": legit_kind, "text": legit_text}),
        )
        .json();
    assert!(
        after_correction["similar"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["doc_id"] == example.as_str() && n["role"] == "participant"),
        "{}",
        after_correction["similar"]
    );
    assert!(
        crs(&after_correction) > crs(&before_correction),
        "credit_repair_scam {} → {}",
        crs(&before_correction),
        crs(&after_correction)
    );
    let r = s.post(
        &format!("/v1/kb/candidates/{fb_id}"),
        CURATOR,
        json!({"decision": "reject"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "not_pending"));

    // ---- a curator's upload changes later assessments ---------------------
    let probe = "有个自称银行合作方的人让我下载一个叫速清宝的APP，说在APP里把欠款转到他们的监管账户就能结清，还要交一笔通道费。";
    let before = s
        .post(
            "/v1/assessments",
            HANDLER,
            json!({"kind": "complaint", "text": probe}),
        )
        .json();
    assert!(
        before["schemes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != "fake_settlement_app")
    );
    let card = "---\nid: fake_settlement_app\nkind: pattern\ntitle: 冒充合作方的虚假结清APP\nname_zh: 虚假结清APP\napplies_to: [complaint]\n---\n不法分子自称银行合作方或催收外包，诱导借款人下载所谓结清APP，要求把欠款转入“监管账户”并缴纳通道费、解冻费，钱款进入个人账户后失联。\n";
    let examples = [
        "有人说是银行合作方，让我装一个结清APP，把欠款转到监管账户，再交通道费就能一次结清。",
        "对方自称催收外包公司，发来一个APP下载链接，让我把剩下的欠款转进APP里的监管账户，还收了解冻费。",
        "我被要求下载一个叫速清的软件，说在里面还款可以减免，还要先交一笔通道费，转完钱对方就联系不上了。",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| json!({"id": format!("ex-fsa-{i}"), "title": "虚假结清APP样例", "kind": "example", "schemes": ["fake_settlement_app"], "channel": "complaint", "grade": "red", "text": t}).to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let form = ureq::unversioned::multipart::Form::new()
        .part(
            "file",
            ureq::unversioned::multipart::Part::bytes(card.as_bytes())
                .file_name("fake_settlement_app.md"),
        )
        .part(
            "file",
            ureq::unversioned::multipart::Part::bytes(examples.as_bytes())
                .file_name("fake_settlement_app.jsonl"),
        )
        .part(
            "file",
            ureq::unversioned::multipart::Part::bytes(b"\x00\x01binary").file_name("notes.exe"),
        );
    let r = s.call("POST", "/v1/kb/documents", Some(CURATOR), Body::Form(form));
    assert_eq!(r.status, 201, "{}", r.text);
    let up = r.json();
    assert_eq!(up["added"], 4, "{up}");
    assert_eq!(
        up["failed"], 1,
        "the .exe is refused, the rest ingested: {up}"
    );
    // Two files of one upload that would give the same id: the second is
    // refused with the reason instead of silently replacing the first.
    let form = ureq::unversioned::multipart::Form::new()
        .text("kind", "case")
        .part(
            "file",
            ureq::unversioned::multipart::Part::bytes("同名文件一：催收记录说明。".as_bytes())
                .file_name("nul-note.txt"),
        )
        .part(
            "file",
            ureq::unversioned::multipart::Part::bytes("同名文件二：另一份说明。".as_bytes())
                .file_name("nul-note.md"),
        );
    let r = s.call("POST", "/v1/kb/documents", Some(CURATOR), Body::Form(form));
    let twin = r.json();
    assert_eq!(
        (twin["added"].as_u64(), twin["failed"].as_u64()),
        (Some(1), Some(1)),
        "{twin}"
    );
    assert!(
        twin["files"][1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("also given by 'nul-note.txt'")),
        "{twin}"
    );
    let r = s.call(
        "DELETE",
        "/v1/kb/documents/nul-note",
        Some(CURATOR),
        Body::None,
    );
    assert!(r.status == 200 || r.status == 204, "{}", r.text);
    let after = s
        .post(
            "/v1/assessments",
            HANDLER,
            json!({"kind": "complaint", "text": probe}),
        )
        .json();
    // The new label now leads the ranking of the same text (its three
    // examples are the nearest neighbours).
    assert_eq!(
        after["schemes"][0]["id"], "fake_settlement_app",
        "{}",
        after["reasons"]
    );
    assert_ne!(
        after["versions"]["knowledge_base"],
        before["versions"]["knowledge_base"]
    );
    let r = s.get(
        "/v1/kb/search?q=%E7%BB%93%E6%B8%85APP%20%E7%9B%91%E7%AE%A1%E8%B4%A6%E6%88%B7&limit=3",
        HANDLER,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["doc_id"] == "fake_settlement_app"),
        "{}",
        r.text
    );
    // A JSON document; a handler may not upload; a seed document cannot be overwritten or deleted here.
    let doc = json!({"id": "note-1", "title": "测试说明", "kind": "other", "text": "仅用于测试的说明文档。"});
    assert_eq!(s.post("/v1/kb/documents", HANDLER, doc.clone()).status, 403);
    assert_eq!(s.post("/v1/kb/documents", CURATOR, doc).status, 201);
    let r = s.post(
        "/v1/kb/documents",
        CURATOR,
        json!({"id": "illegal_proxy_rights_defense", "title": "x", "kind": "pattern", "text": "x"}),
    );
    assert_eq!(r.status, 422, "{}", r.text);
    let r = s.call(
        "DELETE",
        "/v1/kb/documents/illegal_proxy_rights_defense",
        Some(CURATOR),
        Body::None,
    );
    assert_eq!((r.status, r.code().as_str()), (409, "seed_document"));
    let r = s.call(
        "DELETE",
        "/v1/kb/documents/note-1",
        Some(CURATOR),
        Body::None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.get("/v1/kb/documents/note-1", CURATOR).status, 404);
    let r = s.call(
        "DELETE",
        "/v1/kb/documents/note-1",
        Some(CURATOR),
        Body::None,
    );
    assert_eq!(r.status, 404);

    // ---- campaigns: templated complaints and an application, one agent ------
    let script = |name: &str, months: u32, contact: bool| {
        format!(
            "本人{name}因生意失败收入中断，目前确实无力偿还贷款。依据相关规定，特申请停止一切催收，免除全部逾期利息和违约金，本金分{months}期偿还。若贵行不同意，本人将向金融监管部门和人民银行反映贵行暴力催收问题。{}",
            if contact {
                "有问题联系李老师，微信号：lilaoshi_help88，电话13977778888。"
            } else {
                ""
            }
        )
    };
    let mut replies: Vec<Reply> = Vec::new();
    let mut ring = Vec::new();
    for (i, name) in ["周敏", "吴强", "郑洁", "冯涛"].iter().enumerate() {
        let r = s.post(
            "/v1/assessments",
            HANDLER,
            json!({"kind": "complaint", "text": script(name, 36 + 12 * i as u32, i % 2 == 1)}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        ring.push(r.json()["id"].as_str().unwrap().to_string());
        replies.push(r);
    }
    // The fourth complaint saw three earlier ones with its template.
    let fourth = replies[3].json();
    let link = fourth["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "campaign" && s["field"] == "campaign.template")
        .unwrap_or_else(|| panic!("no template signal: {}", fourth["signals"]));
    assert!(
        link["label"].as_str().unwrap().contains("3 件投诉"),
        "{link}"
    );
    assert!(link["weight"].as_f64().unwrap() > 0.0);
    assert_ne!(
        fourth["grade"], "green",
        "a templated campaign is not green: {}",
        fourth["reasons"]
    );
    let app = s.post(
        "/v1/assessments",
        HANDLER,
        json!({
            "kind": "application",
            "text": "申请经营贷50万元用于门店装修，收入证明已附，由李老师介绍，微信号：lilaoshi_help88。",
            "applicant": {"employer": "深圳市恒达信商贸有限公司", "phone": "13911112222",
                          "claimed_monthly_income": 45000, "bank_flow_monthly_avg": 3000}
        }),
    );
    assert_eq!(app.status, 201, "{}", app.text);
    let app_json = app.json();
    let app_id = app_json["id"].as_str().unwrap().to_string();
    let campaign_id = app_json["campaign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the application joined no campaign: {}", app.text))
        .to_string();
    assert_eq!(app_json["campaign"]["size"], 5);
    assert!(
        app_json["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["field"] == "campaign.wechat"),
        "{}",
        app_json["signals"]
    );
    replies.push(app);
    // A legitimate complaint sharing only stock phrases is not linked.
    let legit_only = s.post(
        "/v1/assessments",
        HANDLER,
        json!({"kind": "complaint", "text": "信用卡账单多扣了一笔年费，我已经按时还清欠款，请核实后退回，请尽快处理，谢谢。"}),
    );
    assert_eq!(legit_only.status, 201);
    assert!(
        legit_only.json().get("campaign").is_none(),
        "{}",
        legit_only.text
    );
    // Listing, detail, exports.
    let r = s.get("/v1/campaigns", HANDLER);
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = r.json();
    let c = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == campaign_id.as_str())
        .unwrap_or_else(|| panic!("{campaign_id} not listed: {listed}"))
        .clone();
    assert_eq!(
        (
            c["size"].as_u64(),
            c["complaints"].as_u64(),
            c["applications"].as_u64()
        ),
        (Some(5), Some(4), Some(1))
    );
    assert!(
        c["identifiers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "wechat" && i["count"] == 3),
        "{c}"
    );
    replies.push(r);
    let r = s.get(&format!("/v1/campaigns/{campaign_id}"), LEGAL);
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.json();
    let mut members: Vec<String> = d["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    members.sort();
    let mut expected: Vec<String> = ring.iter().cloned().chain([app_id.clone()]).collect();
    expected.sort();
    assert_eq!(members, expected);
    let edges = d["edges"].as_array().unwrap();
    assert!(
        edges
            .iter()
            .any(|e| e["reason"] == "template" && e["similarity"].as_f64().unwrap() >= 0.6),
        "{}",
        d["edges"]
    );
    assert!(
        edges
            .iter()
            .any(|e| e["reason"] == "identifier" && e["from"] == app_id.as_str())
    );
    replies.push(r);
    let mut hashes = Vec::new();
    for format in ["json", "csv", "md"] {
        let r = s.get(
            &format!("/v1/campaigns/{campaign_id}/export?format={format}"),
            LEGAL,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        hashes.push(r.header("x-export-sha256").unwrap());
        replies.push(r);
    }
    assert!(
        hashes.iter().all(|h| *h == hashes[0] && h.len() == 64),
        "{hashes:?}"
    );
    assert_eq!(
        replies.last().unwrap().text.matches(&hashes[0]).count(),
        1,
        "hash in the Markdown"
    );
    assert_eq!(
        s.get(&format!("/v1/campaigns/{campaign_id}"), CURATOR)
            .status,
        403
    );
    assert_eq!(s.get("/v1/campaigns/cnope", HANDLER).status, 404);
    let r = s.get(
        &format!("/v1/campaigns/{campaign_id}/export?format=xls"),
        LEGAL,
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_query"));
    assert_eq!(s.get("/v1/campaigns?order=loud", HANDLER).status, 400);
    // The assessments, their reports and listings: identifiers masked only.
    for id in ring.iter().chain([&app_id]) {
        replies.push(s.get(&format!("/v1/assessments/{id}"), HANDLER));
        replies.push(s.get(&format!("/v1/assessments/{id}/report?format=md"), LEGAL));
    }
    replies.push(s.get("/v1/assessments?limit=500", HANDLER));
    for r in &replies {
        assert!(matches!(r.status, 200 | 201), "{}", r.text);
        for clear in CLEAR_IDS {
            assert!(
                !r.text.contains(clear),
                "{clear} in clear in a response: {}",
                r.text
            );
        }
    }

    // ---- metrics and audit ------------------------------------------------
    let m = s.call("GET", "/metrics", None, Body::None);
    assert!(
        m.text.contains("caseguard_http_requests_total"),
        "{}",
        m.text
    );
    assert!(m.text.contains("caseguard_assessments_total"));
    let audit = s.get("/v1/audit?limit=1000", ADMIN);
    assert_eq!(audit.status, 200);
    let actions: Vec<String> = audit
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for a in [
        "assessment.create",
        "report.read",
        "draft.generate",
        "assessment.feedback",
        "candidate.approve",
        "kb.upload",
        "kb.delete",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} not audited: {actions:?}"
        );
    }
    assert!(
        !audit.text.contains("速清宝") && !audit.text.contains(HANDLER),
        "no text or keys in the audit log"
    );
    assert_eq!(s.get("/v1/audit", LEGAL).status, 403);

    // ---- restart: everything is still there --------------------------------
    let grade = a["grade"].clone();
    s.stop();
    let s = Server::start(&config);
    let r = s.get(&format!("/v1/assessments/{red_id}"), LEGAL);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["grade"], grade);
    assert_eq!(r.json()["draft"], draft);
    let r = s.get(&format!("/v1/assessments/{legit_id}"), HANDLER);
    assert_eq!(r.json()["feedback"].as_array().unwrap().len(), 1);
    // + 2 probes before and after the approved correction, + 2 for the
    // curator's upload, + 6 campaign members.
    assert_eq!(count_assessments(&s), stored_before + ids.len() + 2 + 2 + 6);
    let r = s.get(&format!("/v1/assessments/{app_id}"), HANDLER);
    assert_eq!(
        r.json()["campaign"]["id"],
        campaign_id.as_str(),
        "campaigns survive the restart"
    );
    let r = s.get("/v1/kb/documents/fake_settlement_app", HANDLER);
    assert_eq!(
        r.status, 200,
        "curator documents survive the restart and the folder sync"
    );
    drop(s);
    // Nothing in clear on disk or in the logs.
    let log = std::fs::read(dir.join("server.log")).unwrap();
    assert!(contains(&log, "audit"), "the log was written");
    let data = all_bytes(&dir.join("data"));
    for clear in CLEAR_IDS {
        assert!(!contains(&log, clear), "{clear} in the server log");
        assert!(!contains(&data, clear), "{clear} in clear in the store");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
