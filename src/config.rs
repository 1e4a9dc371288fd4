//! One typed configuration: built-in defaults < TOML file < environment <
//! command-line flags (applied by the CLI).
//!
//! The file is optional; `--config FILE` or `CASEGUARD_CONFIG` names it.
//! Environment variables are for operators who point the service at other
//! model files or data directories without editing a file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::embed::WeightFormat;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for {var}: {message}")]
    Env { var: &'static str, message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub models: ModelsConfig,
    pub runtime: RuntimeConfig,
    pub store: StoreConfig,
    pub assess: crate::assess::pipeline::AssessConfig,
    pub api: ApiConfig,
    pub campaign: crate::campaign::CampaignConfig,
    /// Where the embedded store and other state live.
    pub data_dir: PathBuf,
    /// The curated knowledge base (patterns, cases, regulations, lexicon, examples).
    pub knowledge_base: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelsConfig {
    /// The e5 embedding model (E5S1 file).
    pub embedding: PathBuf,
    /// The GGUF LLM used for label scoring and drafting.
    pub llm: PathBuf,
    /// How the embedding encoder holds its matrices: `auto` (both; Q4_0 for
    /// small passes, f32 for large ones — the fastest), `f32` or `q4`.
    pub embed_weights: WeightFormat,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// Jobs that may wait for the embedding worker before callers get `Overloaded`.
    pub embed_queue: usize,
    /// Jobs that may wait for the LLM worker before callers get `Overloaded`.
    pub llm_queue: usize,
}

/// Which vector store holds the collections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// Qdrant Edge in-process, under `data_dir`.
    #[default]
    Embedded,
    /// A Qdrant server or cluster through `qdrant-client` (gRPC).
    Remote,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub backend: StoreBackend,
    /// gRPC URL of the Qdrant server (remote backend), e.g. `http://qdrant:6334`.
    pub url: String,
    /// API key of the Qdrant server, if it requires one.
    pub api_key: Option<String>,
    /// Prefix of every collection name, so several deployments can share a cluster.
    pub collection_prefix: String,
    /// Shards per collection when caseguard creates it (remote backend).
    pub shard_number: u32,
    /// Copies of each shard when caseguard creates a collection (remote backend).
    pub replication_factor: u32,
    /// Per-request timeout in seconds (remote backend).
    pub timeout_secs: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            backend: StoreBackend::Embedded,
            url: "http://localhost:6334".into(),
            api_key: None,
            collection_prefix: "caseguard_".into(),
            shard_number: 1,
            replication_factor: 1,
            timeout_secs: 30,
        }
    }
}

/// Who may call the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Complaint handlers: assess, read assessments, give feedback, drafts.
    Handler,
    /// Legal team: read assessments, drafts and evidence reports.
    Legal,
    /// Knowledge curators: manage the knowledge base and review candidates.
    Curator,
    /// Everything, including the audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Handler => "handler",
            Role::Legal => "legal",
            Role::Curator => "curator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "handler" => Some(Role::Handler),
            "legal" => Some(Role::Legal),
            "curator" => Some(Role::Curator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    pub key: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Keys from the config file; `CASEGUARD_API_KEYS="KEY:ROLE,…"` and the
    /// keys file add to them.
    pub keys: Vec<ApiKey>,
    /// A file of `KEY:ROLE` lines (`caseguard keys` writes it); default
    /// `<data_dir>/api-keys`.
    pub keys_file: Option<PathBuf>,
    /// Largest JSON request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest knowledge-base upload (all files of one request), in bytes.
    pub max_upload_bytes: usize,
    /// Assessments running or waiting at once; more are answered 429.
    pub max_pending_assessments: usize,
    /// Evidence drafts (LLM generations) running or waiting at once.
    pub max_pending_drafts: usize,
    /// Longest draft, in generated tokens.
    pub draft_max_tokens: usize,
    /// A client must send a request's headers within this many seconds of
    /// starting it; slower ones are disconnected.
    pub header_read_timeout_secs: u64,
    /// A request's body must arrive within this many seconds; slower
    /// clients get 408.
    pub body_read_timeout_secs: u64,
    /// Connections open at once; more are closed on accept.
    pub max_connections: usize,
    /// On SIGTERM, open requests get this many seconds to finish; then the
    /// remaining connections are dropped.
    pub shutdown_grace_secs: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            keys_file: None,
            max_body_bytes: 256 * 1024,
            max_upload_bytes: 20 * 1024 * 1024,
            max_pending_assessments: 32,
            max_pending_drafts: 2,
            draft_max_tokens: 240,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 60,
            max_connections: 1024,
            shutdown_grace_secs: 10,
        }
    }
}

impl ApiConfig {
    /// Parse `KEY:ROLE` pairs separated by commas or newlines (`#` starts a
    /// comment line).
    pub fn parse_keys(text: &str) -> Result<Vec<ApiKey>, String> {
        let mut out = Vec::new();
        for item in text.split([',', '\n']) {
            let item = item.trim();
            if item.is_empty() || item.starts_with('#') {
                continue;
            }
            let (key, role) = item
                .rsplit_once(':')
                .ok_or_else(|| "expected KEY:ROLE".to_string())?;
            let role = Role::parse(role).ok_or_else(|| {
                format!("unknown role '{role}' (expected handler, legal, curator or admin)")
            })?;
            if key.trim().len() < 16 {
                return Err("an API key must have at least 16 characters".into());
            }
            out.push(ApiKey {
                key: key.trim().to_string(),
                role,
            });
        }
        Ok(out)
    }
}

impl Config {
    /// Where `caseguard keys` keeps generated keys.
    pub fn keys_file(&self) -> PathBuf {
        self.api
            .keys_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("api-keys"))
    }

    /// Every configured key: config file, then `CASEGUARD_API_KEYS`, then
    /// the keys file.
    pub fn api_keys(&self) -> Result<Vec<ApiKey>, ConfigError> {
        let mut keys = self.api.keys.clone();
        if let Ok(v) = std::env::var("CASEGUARD_API_KEYS") {
            keys.extend(
                ApiConfig::parse_keys(&v).map_err(|message| ConfigError::Env {
                    var: "CASEGUARD_API_KEYS",
                    message,
                })?,
            );
        }
        let path = self.keys_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                keys.extend(
                    ApiConfig::parse_keys(&text).map_err(|message| ConfigError::Parse {
                        path: path.clone(),
                        message,
                    })?,
                )
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(ConfigError::Read { path, source }),
        }
        Ok(keys)
    }
}

impl Config {
    /// Where the identifier key of campaign detection is kept.
    pub fn campaign_key_file(&self) -> PathBuf {
        self.campaign
            .key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("campaign-key"))
    }

    /// The identifier key: `CASEGUARD_CAMPAIGN_KEY`, else the key file
    /// (hex). With `create`, a missing file is made with a fresh random key
    /// readable only by its owner.
    pub fn campaign_key(&self, create: bool) -> Result<Vec<u8>, ConfigError> {
        if let Ok(v) = std::env::var("CASEGUARD_CAMPAIGN_KEY") {
            if v.trim().len() < 16 {
                return Err(ConfigError::Env {
                    var: "CASEGUARD_CAMPAIGN_KEY",
                    message: "the key must have at least 16 characters".into(),
                });
            }
            return Ok(v.trim().as_bytes().to_vec());
        }
        let path = self.campaign_key_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let key = hex::decode(text.trim()).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: format!("expected a hex key: {e}"),
                })?;
                if key.len() < 16 {
                    return Err(ConfigError::Parse {
                        path,
                        message: "the key must have at least 16 bytes".into(),
                    });
                }
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key: [u8; 32] = rand::random();
                let io = |source| ConfigError::Read {
                    path: path.clone(),
                    source,
                };
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&path).map_err(io)?;
                std::io::Write::write_all(&mut f, format!("{}\n", hex::encode(key)).as_bytes())
                    .map_err(io)?;
                Ok(key.to_vec())
            }
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }
}

impl Default for ModelsConfig {
    fn default() -> Self {
        let dir = default_models_dir();
        Self {
            embedding: dir.join("e5-small-q4.bin"),
            llm: dir.join("gemma-3-270m-q4_k_m.gguf"),
            embed_weights: WeightFormat::Auto,
        }
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            embed_queue: 64,
            llm_queue: 8,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            models: ModelsConfig::default(),
            runtime: RuntimeConfig::default(),
            store: StoreConfig::default(),
            assess: Default::default(),
            api: ApiConfig::default(),
            campaign: Default::default(),
            data_dir: PathBuf::from("data"),
            knowledge_base: PathBuf::from("knowledge-base"),
        }
    }
}

fn default_models_dir() -> PathBuf {
    std::env::var_os("CASEGUARD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("models"))
}

impl Config {
    /// Defaults, then the file (explicit path, else `CASEGUARD_CONFIG`), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env_file = std::env::var_os("CASEGUARD_CONFIG").map(PathBuf::from);
        let mut config = match file.map(Path::to_path_buf).or(env_file) {
            Some(path) => Self::from_file(&path)?,
            None => Self::default(),
        };
        config.apply_env()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })
    }

    fn apply_env(&mut self) -> Result<(), ConfigError> {
        if let Some(p) = std::env::var_os("CASEGUARD_EMBED_MODEL") {
            self.models.embedding = p.into();
        }
        if let Some(p) = std::env::var_os("CASEGUARD_LLM_MODEL") {
            self.models.llm = p.into();
        }
        if let Some(p) = std::env::var_os("CASEGUARD_DATA_DIR") {
            self.data_dir = p.into();
        }
        if let Ok(v) = std::env::var("CASEGUARD_STORE") {
            self.store.backend = match v.as_str() {
                "embedded" => StoreBackend::Embedded,
                "remote" => StoreBackend::Remote,
                _ => {
                    return Err(ConfigError::Env {
                        var: "CASEGUARD_STORE",
                        message: format!("'{v}' (expected embedded or remote)"),
                    });
                }
            };
        }
        if let Ok(v) = std::env::var("CASEGUARD_QDRANT_URL") {
            self.store.url = v;
        }
        if let Ok(v) = std::env::var("CASEGUARD_QDRANT_API_KEY") {
            self.store.api_key = Some(v).filter(|k| !k.is_empty());
        }
        if let Ok(v) = std::env::var("CASEGUARD_EMBED_WEIGHTS") {
            self.models.embed_weights = match v.as_str() {
                "auto" => WeightFormat::Auto,
                "f32" => WeightFormat::F32,
                "q4" => WeightFormat::Q4,
                _ => {
                    return Err(ConfigError::Env {
                        var: "CASEGUARD_EMBED_WEIGHTS",
                        message: format!("'{v}' (expected auto, f32 or q4)"),
                    });
                }
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_defaults_and_rejects_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("cg-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "[models]\nllm = \"/opt/m/qwen.gguf\"\n[runtime]\nllm_queue = 3\n",
        )
        .unwrap();
        let c = Config::from_file(&good).unwrap();
        assert_eq!(c.models.llm, PathBuf::from("/opt/m/qwen.gguf"));
        assert_eq!(c.runtime.llm_queue, 3);
        assert_eq!(c.runtime.embed_queue, RuntimeConfig::default().embed_queue);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[models]\nllm_path = \"x\"\n").unwrap();
        let err = Config::from_file(&bad).unwrap_err().to_string();
        assert!(err.contains("llm_path"), "{err}");
    }
}
