//! The `caseguard` command line: glue between clap and the library.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Model files
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
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
