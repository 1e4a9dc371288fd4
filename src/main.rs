//! The `caseguard` command line: glue between clap and the library.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod assess_cli;

use caseguard::config::Config;
use caseguard::embed::{Embedder, Role, WeightFormat};
use caseguard::llm::{GenerateParams, Llm};

#[derive(Parser)]
#[command(
    name = "caseguard",
    version,
    about = "Offline triage of complaints and loan applications for organised financial fraud"
)]
struct Cli {
    /// TOML configuration file (also: CASEGUARD_CONFIG)
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key for a role and append it to the keys file; prints the key
    Add {
        /// handler, legal, curator or admin
        #[arg(long)]
        role: String,
    },
    /// If no key is configured anywhere (config, CASEGUARD_API_KEYS, keys
    /// file), create an admin key in the keys file and print it
    EnsureAdmin,
}

/// Append a new key for `role` to the keys file (created with mode 0600).
fn add_key(config: &Config, role: caseguard::config::Role) -> anyhow::Result<String> {
    use std::io::Write;
    let path = config.keys_file();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = caseguard::api::auth::generate_key();
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&path)?;
    writeln!(f, "{key}:{}", role.as_str())?;
    f.sync_all()?;
    Ok(key)
}

fn keys_command(config: &Config, command: KeysCommand) -> anyhow::Result<ExitCode> {
    use caseguard::config::Role;
    match command {
        KeysCommand::Add { role } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!("unknown role '{role}' (expected handler, legal, curator or admin)")
            })?;
            let key = add_key(config, role)?;
            println!("{key}");
            eprintln!(
                "{} key added to {}",
                role.as_str(),
                config.keys_file().display()
            );
        }
        KeysCommand::EnsureAdmin => {
            let keys = config.api_keys()?;
            if let Some(k) = keys.iter().find(|k| k.role == Role::Admin) {
                let shown = format!("{}…", &k.key[..k.key.len().min(10)]);
                println!(
                    "admin key already configured ({shown}); keys file: {}",
                    config.keys_file().display()
                );
            } else if !keys.is_empty() {
                println!("API keys are configured (no admin key among them); nothing created");
            } else {
                let key = add_key(config, Role::Admin)?;
                println!(
                    "created a local admin API key (kept in {}):",
                    config.keys_file().display()
                );
                println!("  {key}");
                println!("use it as `Authorization: Bearer {key}` or to sign in on the web page");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
enum Command {
    /// Embed texts (arguments, or one per line on stdin); prints one JSON object per line
    Embed {
        /// Embed as search queries ("query: " prefix) instead of passages
        #[arg(long)]
        query: bool,
        /// Matrix format of the encoder (overrides the config)
        #[arg(long, value_enum)]
        weights: Option<WeightFormat>,
        texts: Vec<String>,
    },
    /// Continue a prompt with the local LLM, streaming to stdout
    Generate {
        #[arg(long, default_value_t = 128)]
        max_tokens: usize,
        /// 0 is greedy
        #[arg(long, default_value_t = 0.0)]
        temperature: f64,
        #[arg(long)]
        top_k: Option<usize>,
        #[arg(long)]
        top_p: Option<f64>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Stop when this text appears (repeatable); it is not printed
        #[arg(long)]
        stop: Vec<String>,
        /// GGUF file (overrides the config)
        #[arg(long)]
        model: Option<PathBuf>,
        prompt: String,
    },
    /// Log-likelihood of each candidate as the continuation of a prompt
    Score {
        #[arg(long)]
        model: Option<PathBuf>,
        prompt: String,
        #[arg(required = true)]
        candidates: Vec<String>,
    },
    /// Knowledge base: ingest, list, search, delete (store under the data directory)
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Serve the HTTP API (indexes the knowledge-base folder at start and on change)
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "CASEGUARD_ADDR")]
        addr: std::net::SocketAddr,
    },
    /// API keys: create one for a role, or make sure an admin key exists
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Assess a complaint or loan application: grade, schemes, signals, evidence
    Assess {
        /// complaint or application
        #[arg(long, default_value = "complaint")]
        kind: String,
        /// Structured application fields (a JSON object file)
        #[arg(long)]
        applicant: Option<PathBuf>,
        /// Print the whole assessment as JSON
        #[arg(long)]
        json: bool,
        /// A UTF-8 text file, or - for stdin
        input: PathBuf,
    },
    /// Quality on labelled data: macro-F1, per-class precision/recall, false
    /// positives on `none`, grade accuracy, calibration (ECE), latency
    Eval {
        #[command(subcommand)]
        command: Option<EvalCommand>,
        /// Labelled set: a JSON Lines file or a folder of them; repeat for
        /// several (default: the real-sourced test set, the three real-sourced
        /// dev sets, our own dev set and the obfuscated test variants, side
        /// by side)
        #[arg(long = "set", default_values = [
            "eval/real-test.jsonl",
            "eval/real-dev.jsonl",
            "eval/real-dev2.jsonl",
            "eval/real-dev3.jsonl",
            "eval/dev.jsonl",
            "eval/real-test-obfuscated.jsonl",
        ])]
        set: Vec<PathBuf>,
        /// Also score the baseline (hand-weighted fusion), the LLM and each
        /// component alone
        #[arg(long)]
        ablate: bool,
        /// Leave each item's own document out of retrieval (for sets that are
        /// in the knowledge base, such as knowledge-base/examples)
        #[arg(long)]
        leave_one_out: bool,
        /// Print per-item predictions as JSON Lines after the report
        #[arg(long)]
        predictions: bool,
    },
    /// Model files
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Ingest files or folders (Markdown with front matter, .txt, .jsonl, .pdf, .docx)
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List the stored documents
    List {
        #[arg(long)]
        json: bool,
    },
    /// Documents and chunks by kind and scheme
    Stats,
    /// Hybrid search (dense e5 + BM25, fused with RRF)
    Search {
        query: String,
        #[arg(long)]
        kind: Vec<String>,
        #[arg(long)]
        scheme: Vec<String>,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// hybrid, dense or sparse
        #[arg(long, default_value = "hybrid")]
        mode: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a document and all its chunks
    Delete { doc_id: String },
    /// Bring the store in step with the knowledge-base folder (default: the
    /// configured one): index new and changed documents, remove the folder's
    /// documents whose files are gone. `serve` does this itself.
    Sync {
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Recall@5 and MRR of dense, sparse and hybrid retrieval (indexes the knowledge base first)
    Retrieval {
        #[arg(long, default_value = "eval/retrieval.jsonl")]
        set: PathBuf,
    },
    /// Campaign detection on synthetic campaigns in a legitimate background:
    /// pairwise precision and recall of membership, legitimate items pulled in
    Campaigns {
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value_t = 12)]
        campaigns: usize,
        #[arg(long, default_value_t = 6)]
        min_members: usize,
        #[arg(long, default_value_t = 30)]
        max_members: usize,
        #[arg(long, default_value_t = 400)]
        background: usize,
        /// Print the numbers as JSON
        #[arg(long)]
        json: bool,
        /// Also print example pairs of each kind of false link
        #[arg(long)]
        verbose: bool,
    },
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// What is installed: file, size, sha256, architecture, vocabulary, dimensions
    Info {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn require_file(path: &std::path::Path, what: &str) -> anyhow::Result<()> {
    if !path.is_file() {
        anyhow::bail!(
            "{what} not found at {} — run `make models`, or point the config / environment at the file",
            path.display()
        );
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Embed {
            query,
            weights,
            texts,
        } => {
            let texts = if texts.is_empty() {
                let mut lines = Vec::new();
                for line in std::io::stdin().lock().lines() {
                    let line = line
                        .map_err(|e| anyhow::anyhow!("reading stdin: {e} (input must be UTF-8)"))?;
                    if !line.trim().is_empty() {
                        lines.push(line);
                    }
                }
                lines
            } else {
                texts
            };
            if texts.is_empty() {
                anyhow::bail!("no input: give texts as arguments or one per line on stdin");
            }
            if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
                anyhow::bail!("text {} is empty", i + 1);
            }
            require_file(&config.models.embedding, "embedding model")?;
            let embedder = Embedder::load(
                &config.models.embedding,
                weights.unwrap_or(config.models.embed_weights),
            )?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let role = if query { Role::Query } else { Role::Passage };
            let vectors = embedder.embed(&refs, role)?;
            let mut out = std::io::stdout().lock();
            for (text, v) in texts.iter().zip(vectors) {
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({"text": text, "embedding": v}),
                )?;
                writeln!(out)?;
            }
        }
        Command::Generate {
            max_tokens,
            temperature,
            top_k,
            top_p,
            seed,
            stop,
            model,
            prompt,
        } => {
            if prompt.trim().is_empty() {
                anyhow::bail!("the prompt is empty");
            }
            let path = model.unwrap_or(config.models.llm);
            require_file(&path, "LLM")?;
            let llm = Llm::load(&path)?;
            let params = GenerateParams {
                max_tokens,
                temperature,
                top_k,
                top_p,
                seed,
                stop,
            };
            let mut out = std::io::stdout().lock();
            llm.generate(&prompt, &params, |piece| {
                out.write_all(piece.as_bytes())
                    .and_then(|_| out.flush())
                    .is_ok()
            })?;
            writeln!(out)?;
        }
        Command::Score {
            model,
            prompt,
            candidates,
        } => {
            if prompt.trim().is_empty() {
                anyhow::bail!("the prompt is empty");
            }
            let path = model.unwrap_or(config.models.llm);
            require_file(&path, "LLM")?;
            let llm = Llm::load(&path)?;
            let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
            for s in llm.score(&prompt, &refs)? {
                println!("{}", serde_json::to_string(&s)?);
            }
        }
        Command::Kb { command } => return kb_command(&config, command),
        Command::Eval {
            command: Some(EvalCommand::Retrieval { set }),
            ..
        } => return eval_retrieval(&config, &set),
        Command::Eval {
            command:
                Some(EvalCommand::Campaigns {
                    seed,
                    campaigns,
                    min_members,
                    max_members,
                    background,
                    json,
                    verbose,
                }),
            ..
        } => {
            let params = caseguard::campaign::synth::SynthParams {
                seed,
                campaigns,
                min_members,
                max_members,
                background,
                ..Default::default()
            };
            return eval_campaigns(&config, &params, json, verbose);
        }
        Command::Eval {
            command: None,
            set,
            ablate,
            leave_one_out,
            predictions,
        } => return assess_cli::eval(&config, &set, ablate, leave_one_out, predictions),
        Command::Keys { command } => return keys_command(&config, command),
        Command::Serve { addr } => {
            // Logs go to stderr; stdout carries only the bound address.
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .init();
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(caseguard::api::serve(config, addr))?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Assess {
            kind,
            applicant,
            json,
            input,
        } => return assess_cli::assess(&config, &kind, applicant.as_deref(), json, &input),
        Command::Models {
            command: ModelsCommand::Info { json },
        } => {
            let files = caseguard::models::info(&config);
            if json {
                println!("{}", serde_json::to_string_pretty(&files)?);
            } else {
                for f in &files {
                    println!("{} — {}", f.role, f.path.display());
                    if let Some(size) = f.size {
                        println!("  size      {size} bytes ({:.1} MB)", size as f64 / 1e6);
                    }
                    if let Some(sum) = &f.sha256 {
                        let check = match f.matches_manifest {
                            Some(true) => " (matches manifest)",
                            Some(false) => " (DIFFERS from manifest)",
                            None => "",
                        };
                        println!("  sha256    {sum}{check}");
                    }
                    if let Some(serde_json::Value::Object(d)) = &f.details {
                        for (k, v) in d {
                            let v = v
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string());
                            println!("  {k:<14}{v}");
                        }
                    }
                    if let Some(e) = &f.error {
                        println!("  error     {e}");
                    }
                }
            }
            if files.iter().take(2).any(|f| !f.present) {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open_store(
    config: &Config,
) -> anyhow::Result<std::sync::Arc<dyn caseguard::store::VectorStore>> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    Ok(caseguard::store::open(
        config,
        caseguard::store::KB_COLLECTION,
        384,
    )?)
}

fn kb_command(config: &Config, command: KbCommand) -> anyhow::Result<ExitCode> {
    use caseguard::store::{Filter, Mode, SearchRequest};
    let store = open_store(config)?;
    match command {
        KbCommand::Sync { dir, json } => {
            require_file(&config.models.embedding, "embedding model")?;
            let embedder = Embedder::load(&config.models.embedding, config.models.embed_weights)?;
            let dir = dir.unwrap_or_else(|| config.knowledge_base.clone());
            if !dir.is_dir() {
                anyhow::bail!("{} is not a folder", dir.display());
            }
            let report = caseguard::kb::sync::sync_dir(&embedder, store.as_ref(), &dir)?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                for (path, reason) in &report.failures {
                    eprintln!("failed: {path}: {reason}");
                }
                println!(
                    "{}: {} files; {} documents added, {} updated, {} unchanged, {} removed; {} failed",
                    dir.display(),
                    report.files,
                    report.added,
                    report.updated,
                    report.unchanged,
                    report.removed.len(),
                    report.failures.len()
                );
            }
            if !report.failures.is_empty() {
                return Ok(ExitCode::from(2));
            }
        }
        KbCommand::Ingest { paths } => {
            require_file(&config.models.embedding, "embedding model")?;
            let embedder = Embedder::load(&config.models.embedding, config.models.embed_weights)?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let report = caseguard::kb::ingest::ingest_paths(
                &embedder,
                store.as_ref(),
                &paths,
                |f, done, total| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                    bar.set_message(f.display().to_string());
                },
            )?;
            bar.finish_and_clear();
            for (path, reason) in &report.failures {
                eprintln!("failed: {path}: {reason}");
            }
            println!(
                "{} files: {} documents added, {} updated, {} unchanged; {} chunks written; {} failed",
                report.files,
                report.added,
                report.updated,
                report.unchanged,
                report.chunks,
                report.failures.len()
            );
            if !report.failures.is_empty() {
                return Ok(ExitCode::from(2));
            }
        }
        KbCommand::List { json } => {
            let docs = store.list_docs()?;
            for d in docs {
                if json {
                    println!("{}", serde_json::to_string(&d)?);
                } else {
                    println!(
                        "{:<48} {:<10} {:>3} chunks  {}",
                        d.doc_id, d.kind, d.chunks, d.title
                    );
                }
            }
        }
        KbCommand::Stats => {
            let docs = store.list_docs()?;
            let mut kinds: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
            let mut schemes: std::collections::BTreeMap<String, (usize, usize)> =
                Default::default();
            for d in &docs {
                let e = kinds.entry(d.kind.clone()).or_default();
                e.0 += 1;
                e.1 += d.chunks;
                for s in &d.schemes {
                    let e = schemes.entry(s.clone()).or_default();
                    e.0 += 1;
                    e.1 += d.chunks;
                }
            }
            println!("{} documents, {} chunks", docs.len(), store.count()?);
            println!("by kind:");
            for (k, (n, c)) in kinds {
                println!("  {k:<34} {n:>5} documents {c:>6} chunks");
            }
            println!("by scheme:");
            for (k, (n, c)) in schemes {
                println!("  {k:<34} {n:>5} documents {c:>6} chunks");
            }
        }
        KbCommand::Search {
            query,
            kind,
            scheme,
            limit,
            mode,
            json,
        } => {
            if query.trim().is_empty() {
                anyhow::bail!("the query is empty");
            }
            let mode = match mode.as_str() {
                "hybrid" => Mode::Hybrid,
                "dense" => Mode::Dense,
                "sparse" => Mode::Sparse,
                other => anyhow::bail!("unknown --mode {other} (use hybrid, dense or sparse)"),
            };
            let lexicon = load_lexicon(config);
            let expanded = lexicon.expand(&query);
            let dense = if mode == Mode::Sparse {
                None
            } else {
                require_file(&config.models.embedding, "embedding model")?;
                let e = Embedder::load(&config.models.embedding, config.models.embed_weights)?;
                Some(e.embed(&[expanded.as_str()], Role::Query)?.remove(0))
            };
            let req = SearchRequest {
                dense,
                text: expanded,
                filter: Filter {
                    kinds: kind,
                    schemes: scheme,
                    ..Filter::default()
                },
                limit: limit.clamp(1, 100),
                mode,
            };
            for h in store.search(&req)? {
                if json {
                    let line = serde_json::json!({
                        "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "kind": h.chunk.kind,
                        "title": h.chunk.title, "score": h.score, "text": h.chunk.text,
                    });
                    println!("{line}");
                } else {
                    let snippet: String = h.chunk.text.chars().take(60).collect();
                    println!(
                        "{:.4}  {:<40} [{}] {}",
                        h.score, h.chunk.chunk_id, h.chunk.kind, snippet
                    );
                }
            }
        }
        KbCommand::Delete { doc_id } => {
            let n = store.delete_doc(&doc_id)?;
            store.flush()?;
            if n == 0 {
                anyhow::bail!("no document with id {doc_id}");
            }
            println!("deleted {doc_id} ({n} chunks)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn load_lexicon(config: &Config) -> caseguard::kb::lexicon::Lexicon {
    let path = config.knowledge_base.join("lexicon.toml");
    caseguard::kb::lexicon::Lexicon::load(&path).unwrap_or_else(|e| {
        eprintln!("warning: no slang lexicon ({e}); queries are not expanded");
        Default::default()
    })
}

/// Feed synthetic campaigns through a fresh index in a temporary store.
fn eval_campaigns(
    config: &Config,
    params: &caseguard::campaign::synth::SynthParams,
    json: bool,
    verbose: bool,
) -> anyhow::Result<ExitCode> {
    use caseguard::campaign::{eval, identifiers::IdHasher, index::CampaignIndex, synth};
    use caseguard::store::EdgeStore;
    let dir = std::env::temp_dir().join(format!("caseguard-eval-campaigns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let items = synth::generate(params);
    let result = (|| -> anyhow::Result<eval::CampaignEval> {
        let index = CampaignIndex::from_stores(
            std::sync::Arc::new(EdgeStore::open_collection(&dir, "campaign_items", 1)?),
            std::sync::Arc::new(EdgeStore::open_collection(&dir, "campaigns", 1)?),
            config.campaign.clone(),
        )?;
        // A fresh key: hashes only need to agree within this run.
        let key: [u8; 32] = rand::random();
        let hasher = IdHasher::new(&key).map_err(anyhow::Error::msg)?;
        Ok(eval::run(&index, &hasher, &items)?)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let r = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} submissions ({} background), {} true campaigns, {} found",
        r.items, r.background, r.true_campaigns, r.found_campaigns
    );
    println!("| metric | value | target |");
    println!("|---|---|---|");
    println!("| pairwise precision | {:.3} | ≥ 0.95 |", r.precision);
    println!("| pairwise recall | {:.3} | ≥ 0.90 |", r.recall);
    println!(
        "| legitimate items pulled into a campaign | {} of {} | 0 |",
        r.legit_pulled_in, r.background
    );
    println!(
        "| cross-channel campaigns found whole | {} of {} | |",
        r.cross_channel_found, r.cross_channel_true
    );
    println!(
        "| lookup p50 / add p50 / add p95 | {:.2} / {:.2} / {:.2} ms | |",
        r.lookup_p50_ms, r.add_p50_ms, r.add_p95_ms
    );
    for (label, n, parts, outside) in &r.split {
        println!("campaign {label}: {n} members found in {parts} part(s), {outside} left outside");
    }
    for m in &r.mixed {
        let parts: Vec<String> = m.iter().map(|(l, n)| format!("{l}×{n}")).collect();
        println!("one campaign found holds {}", parts.join(" + "));
    }
    for f in &r.false_links {
        println!("false links by {}: {}", f.reason, f.count);
        if verbose {
            for (a, b) in &f.examples {
                println!("    earlier: {a}\n    new:     {b}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn eval_retrieval(config: &Config, set: &std::path::Path) -> anyhow::Result<ExitCode> {
    use caseguard::store::{Mode, SearchRequest};
    #[derive(serde::Deserialize)]
    struct Query {
        query: String,
        expected: Vec<String>,
    }
    let text =
        std::fs::read_to_string(set).map_err(|e| anyhow::anyhow!("{}: {e}", set.display()))?;
    let queries: Vec<Query> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| anyhow::anyhow!("{} line {}: {e}", set.display(), i + 1))
        })
        .collect::<anyhow::Result<_>>()?;
    require_file(&config.models.embedding, "embedding model")?;
    let embedder = Embedder::load(&config.models.embedding, config.models.embed_weights)?;
    let store = open_store(config)?;
    let report = caseguard::kb::sync::sync_dir(&embedder, store.as_ref(), &config.knowledge_base)?;
    eprintln!(
        "knowledge base: {} added, {} updated, {} unchanged",
        report.added, report.updated, report.unchanged
    );
    let lexicon = load_lexicon(config);
    println!("{} queries from {}", queries.len(), set.display());
    println!("| retrieval | recall@5 | MRR |");
    println!("|---|---:|---:|");
    let runs = [
        ("dense", Mode::Dense, true),
        ("sparse (BM25)", Mode::Sparse, true),
        ("hybrid (RRF)", Mode::Hybrid, true),
        ("hybrid, no slang lexicon", Mode::Hybrid, false),
    ];
    for (name, mode, expand) in runs {
        let (mut recall, mut mrr) = (0.0, 0.0);
        for q in &queries {
            let text = if expand {
                lexicon.expand(&q.query)
            } else {
                q.query.clone()
            };
            let dense = Some(embedder.embed(&[text.as_str()], Role::Query)?.remove(0));
            // the set asks for facts: patterns, cases and regulations (labelled
            // examples are neighbours for classification, retrieved separately)
            let filter = caseguard::store::Filter {
                kinds: vec!["pattern".into(), "case".into(), "regulation".into()],
                ..Default::default()
            };
            let hits = store.search(&SearchRequest {
                dense,
                text,
                filter,
                limit: 40,
                mode,
            })?;
            let mut docs: Vec<String> = Vec::new();
            for h in hits {
                if !docs.contains(&h.chunk.doc_id) {
                    docs.push(h.chunk.doc_id);
                }
            }
            let top5 = &docs[..docs.len().min(5)];
            recall += q.expected.iter().filter(|e| top5.contains(e)).count() as f64
                / q.expected.len().max(1) as f64;
            if let Some(rank) = docs.iter().position(|d| q.expected.contains(d)) {
                mrr += 1.0 / (rank + 1) as f64;
            }
        }
        let n = queries.len().max(1) as f64;
        println!("| {name} | {:.3} | {:.3} |", recall / n, mrr / n);
    }
    Ok(ExitCode::SUCCESS)
}
