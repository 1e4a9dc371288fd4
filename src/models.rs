//! `caseguard models info`: what model files are installed and what they are.
//!
//! Hashes are checked against `models/manifest.sha256` when the file's name
//! is listed there, so an operator sees at once whether a file is the one
//! the project was tested with.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::{embed, llm};

#[derive(Debug, Serialize)]
pub struct ModelFile {
    pub role: &'static str,
    pub path: PathBuf,
    pub present: bool,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    /// true/false when the manifest lists this file name, None otherwise.
    pub matches_manifest: Option<bool>,
    pub details: Option<serde_json::Value>,
    pub error: Option<String>,
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn manifest_entry(manifest: &Path, file_name: &str) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        let (sum, name) = (it.next()?, it.next()?);
        (name == file_name).then(|| sum.to_string())
    })
}

fn describe(role: &'static str, path: &Path, manifest: &Path) -> ModelFile {
    let mut m = ModelFile {
        role,
        path: path.to_path_buf(),
        present: path.is_file(),
        size: None,
        sha256: None,
        matches_manifest: None,
        details: None,
        error: None,
    };
    if !m.present {
        m.error = Some("not found: run `make models` or set the path in the config".into());
        return m;
    }
    m.size = std::fs::metadata(path).ok().map(|md| md.len());
    match sha256_file(path) {
        Ok(sum) => {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            m.matches_manifest = manifest_entry(manifest, name).map(|want| want == sum);
            m.sha256 = Some(sum);
        }
        Err(e) => m.error = Some(e.to_string()),
    }
    let details = if role == "embedding" {
        embed::inspect(path)
            .map(|i| serde_json::to_value(i).ok())
            .map_err(|e| e.to_string())
    } else {
        llm::inspect(path)
            .map(|i| serde_json::to_value(i).ok())
            .map_err(|e| e.to_string())
    };
    match details {
        Ok(d) => m.details = d,
        Err(e) => m.error = Some(e),
    }
    m
}

/// The configured models, plus the test-only second LLM when it is installed.
pub fn info(config: &Config) -> Vec<ModelFile> {
    let dir = config
        .models
        .llm
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let manifest = PathBuf::from("models/manifest.sha256");
    let mut out = vec![
        describe("embedding", &config.models.embedding, &manifest),
        describe("llm", &config.models.llm, &manifest),
    ];
    let smol = dir.join("SmolLM2-135M-Instruct.Q4_1.gguf");
    if smol.is_file() && smol != config.models.llm {
        out.push(describe("llm (test only)", &smol, &manifest));
    }
    out
}
