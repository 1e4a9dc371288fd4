//! The web page in a real browser: the real binary on port 0 with keys for
//! every role, the real models and the seed knowledge base, driven by
//! `tests/web/ui.mjs` (playwright-core on Debian's headless chromium).
//!
//! `make test` installs chromium and playwright-core first
//! (`scripts/web-test-setup.sh`). Screenshots of every view and the
//! downloaded reports land in `target/web-artifacts/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HANDLER: &str = "handler-key-0123456789abcdef";
const LEGAL: &str = "legal-key-0123456789abcdef";
const CURATOR: &str = "curator-key-0123456789abcdef";
const ADMIN: &str = "admin-key-0123456789abcdef";

/// The browser script may take this long (model loading is done by then;
/// assessments and drafts take seconds each on a 2-core machine).
const UI_TIMEOUT: Duration = Duration::from_secs(900);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cg-web-{name}-{}", std::process::id()));
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
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let t = Instant::now();
        loop {
            let mut r = agent.get(format!("{}/readyz", s.base)).call().unwrap();
            let status = r.status().as_u16();
            if status == 200 {
                break;
            }
            let text = r.body_mut().read_to_string().unwrap_or_default();
            assert_eq!(status, 503, "{text}");
            assert!(t.elapsed() < Duration::from_secs(600), "not ready in time");
            std::thread::sleep(Duration::from_millis(500));
        }
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

#[test]
fn the_web_page_in_a_browser() {
    let script = root().join("tests/web/ui.mjs");
    assert!(
        root()
            .join("tests/web/node_modules/playwright-core")
            .is_dir()
            && Path::new("/usr/bin/chromium").exists(),
        "the browser test needs chromium and playwright-core: run scripts/web-test-setup.sh (make test does)"
    );
    let artifacts = root().join("target/web-artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(&artifacts).unwrap();

    let dir = tempdir("ui");
    let kb = dir.join("kb");
    copy_dir(&root().join("knowledge-base"), &kb);
    let config = write_config(&dir, &kb);
    let server = Server::start(&config);

    // node's output goes to a file: read after it exits, no pipe to fill.
    let log_path = dir.join("ui.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let started = Instant::now();
    let mut node = Command::new("node")
        .arg(&script)
        .arg(&server.base)
        .env("CG_HANDLER_KEY", HANDLER)
        .env("CG_LEGAL_KEY", LEGAL)
        .env("CG_CURATOR_KEY", CURATOR)
        .env("CG_ADMIN_KEY", ADMIN)
        .env("CG_ARTIFACTS", &artifacts)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("node is installed");
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > UI_TIMEOUT {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    println!("{output}");
    println!(
        "browser test: {:.0} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        artifacts.display()
    );
    drop(server);
    match status {
        Some(s) if s.success() => {
            let _ = std::fs::remove_dir_all(&dir);
        }
        Some(s) => panic!("the browser test failed ({s}):\n{output}"),
        None => panic!("the browser test did not finish in {UI_TIMEOUT:?}:\n{output}"),
    }
}
