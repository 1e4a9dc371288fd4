//! `caseguard serve` on the real models and the embedded store: it binds at
//! once, indexes the knowledge-base folder on an empty store before saying
//! ready, and picks up a curator's new pattern card (a new label) while
//! running, without a restart or code change.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cg-serve-{name}-{}", std::process::id()));
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

/// A minimal HTTP/1.1 GET: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn serve_indexes_the_knowledge_base_and_follows_its_changes() {
    let root = tempdir("root");
    let kb = root.join("kb");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base"),
        &kb,
    );
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let config = root.join("caseguard.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\nknowledge_base = {:?}\n[models]\nembedding = {:?}\nllm = {:?}\n",
            root.join("data"),
            kb,
            models.join("e5-small-q4.bin"),
            models.join("gemma-3-270m-q4_k_m.gguf"),
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "serve",
            "--addr",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Server(child);
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();

    // Bound at once; not ready until the models and the index are.
    assert_eq!(get(&addr, "/healthz").0, 200);
    let mut ready = String::new();
    wait_for("readiness", Duration::from_secs(600), || {
        let (status, body) = get(&addr, "/readyz");
        assert!(status == 200 || status == 503, "{status} {body}");
        ready = body;
        status == 200
    });
    let v: serde_json::Value = serde_json::from_str(&ready).unwrap();
    let schemes: Vec<&str> = v["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for id in [
        "illegal_proxy_rights_defense",
        "professional_debt_bearing",
        "credit_repair_scam",
        "proxy_insurance_surrender",
        "deepfake_impersonation",
        "none",
    ] {
        assert!(schemes.contains(&id), "{id} missing from {schemes:?}");
    }
    let version = v["knowledge_base"].as_str().unwrap().to_string();

    // A curator adds a pattern card: it becomes a label while the server runs.
    std::fs::write(
        kb.join("patterns").join("fake_debt_collection_app.md"),
        "---\nid: fake_debt_collection_app\nkind: pattern\ntitle: 虚假催收APP\nname_zh: 虚假催收APP\napplies_to: [complaint]\n---\n冒充银行催收的APP诱导客户向个人账户转账。\n",
    )
    .unwrap();
    wait_for("the new label", Duration::from_secs(120), || {
        let (_, body) = get(&addr, "/readyz");
        body.contains("fake_debt_collection_app")
    });
    let (_, body) = get(&addr, "/readyz");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(v["knowledge_base"].as_str().unwrap(), version);
    drop(server);
    let _ = std::fs::remove_dir_all(&root);
}
