//! `caseguard serve` on the real models and the embedded store: it binds at
//! once, indexes the knowledge-base folder on an empty store before saying
//! ready, and picks up a curator's new pattern card (a new label) while
//! running, without a restart or code change; slow and idle clients are cut
//! off and do not delay shutdown.

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

/// `caseguard serve` on a free port with the real models, a data dir under
/// `root` and `extra` appended to the config; returns it and its address.
fn start(root: &Path, kb: &Path, extra: &str, env: &[(&str, &str)]) -> (Server, String) {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let config = root.join("caseguard.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\nknowledge_base = {:?}\n[models]\nembedding = {:?}\nllm = {:?}\n{extra}",
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
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    (Server(child), addr)
}

#[test]
fn serve_indexes_the_knowledge_base_and_follows_its_changes() {
    let root = tempdir("root");
    let kb = root.join("kb");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base"),
        &kb,
    );
    let (server, addr) = start(&root, &kb, "", &[]);

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

/// Slow and idle clients cannot hold the server: unfinished headers are
/// cut off, a trickled body is answered 408 with a JSON error, connections
/// over the cap are closed, and SIGTERM ends the process within the grace
/// period even while a client trickles.
#[test]
fn slow_clients_are_cut_off_and_do_not_delay_shutdown() {
    let root = tempdir("slow");
    let (mut server, addr) = start(
        &root,
        &root.join("kb"),
        "[api]\nheader_read_timeout_secs = 2\nbody_read_timeout_secs = 2\nmax_connections = 8\nshutdown_grace_secs = 2\n",
        &[("CASEGUARD_API_KEYS", "slow-test-key-0123456789:handler")],
    );
    assert_eq!(get(&addr, "/healthz").0, 200);

    // Headers that never finish: the connection is closed after ~2 s.
    let mut half = TcpStream::connect(&addr).unwrap();
    half.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(half, "GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    let _ = half.read_to_end(&mut rest);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "unfinished headers held the connection for {:?}",
        t.elapsed()
    );

    // A body that stops half-way: 408 with a JSON error.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        slow,
        "POST /v1/assessments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer slow-test-key-0123456789\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\nConnection: close\r\n\r\n{{\"text\": \"我"
    )
    .unwrap();
    let mut raw = String::new();
    let _ = slow.read_to_string(&mut raw);
    assert!(raw.starts_with("HTTP/1.1 408"), "{raw}");
    let body = raw.split_once("\r\n\r\n").map_or("", |x| x.1);
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["error"]["code"], "body_timeout", "{body}");

    // Over the connection cap: the extra ones are closed at once, and the
    // server still answers when they go away.
    let idle: Vec<TcpStream> = (0..8)
        .map(|_| {
            let s = TcpStream::connect(&addr).unwrap();
            write!(&s, "GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = TcpStream::connect(&addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    let n = extra.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "a connection over the cap was served");
    drop(idle);
    wait_for("a free slot", Duration::from_secs(20), || {
        std::panic::catch_unwind(|| get(&addr, "/healthz").0 == 200).unwrap_or(false)
    });

    // SIGTERM while a client trickles a body: gone within the grace period.
    let mut trickle = TcpStream::connect(&addr).unwrap();
    write!(
        trickle,
        "POST /v1/assessments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer slow-test-key-0123456789\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let t = Instant::now();
    wait_for("exit after SIGTERM", Duration::from_secs(15), || {
        server.0.try_wait().unwrap().is_some()
    });
    assert!(t.elapsed() < Duration::from_secs(15));
    drop(trickle);
    let _ = std::fs::remove_dir_all(&root);
}
