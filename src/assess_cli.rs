//! `caseguard assess` and `caseguard eval` (classification): the assessment
//! pipeline from the command line, on the same services the server uses.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use caseguard::assess::applicant::Applicant;
use caseguard::assess::classify::Components;
use caseguard::assess::eval::{Prediction, load_set, report};
use caseguard::assess::pipeline::{AssessInput, Assessor, LlmMode, RunOptions};
use caseguard::assess::signals::Channel;
use caseguard::config::Config;

fn parse_kind(kind: &str) -> anyhow::Result<Channel> {
    match kind {
        "complaint" => Ok(Channel::Complaint),
        "application" => Ok(Channel::Application),
        other => anyhow::bail!("unknown kind `{other}`: use complaint or application"),
    }
}

/// Models, store (synced with the knowledge-base folder) and the assessor.
pub fn build_assessor(config: &Config, load_llm: bool) -> anyhow::Result<Assessor> {
    super::require_file(&config.models.embedding, "embedding model")?;
    if config.assess.llm != LlmMode::Off || load_llm {
        super::require_file(&config.models.llm, "LLM")?;
    }
    let started = Assessor::start(config, load_llm)?;
    if let Some(r) = &started.sync
        && r.added + r.updated + r.removed.len() > 0
    {
        eprintln!(
            "knowledge base synced: {} added, {} updated, {} removed",
            r.added,
            r.updated,
            r.removed.len()
        );
    }
    Ok(started.assessor)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

pub fn assess(
    config: &Config,
    kind: &str,
    applicant: Option<&Path>,
    json: bool,
    input: &Path,
) -> anyhow::Result<ExitCode> {
    let kind = parse_kind(kind)?;
    let bytes = if input == Path::new("-") {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)?;
        b
    } else {
        std::fs::read(input).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text; save it as UTF-8", input.display()))?;
    let applicant: Option<Applicant> = match applicant {
        Some(p) => {
            let t =
                std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            Some(serde_json::from_str(&t).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let assessor = build_assessor(config, false)?;
    let rt = runtime()?;
    let a = rt.block_on(assessor.assess(AssessInput {
        kind,
        text,
        applicant,
        metadata: None,
    }))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&a)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "grade: {}    top scheme: {}",
        a.grade.as_str(),
        a.top_scheme
    );
    for s in a.schemes.iter().take(3) {
        println!("  {:<32} {:>5.1}%  {}", s.id, s.confidence * 100.0, s.name);
    }
    println!("reasons:");
    for r in &a.reasons {
        println!("  - {r}");
    }
    if !a.signals.is_empty() {
        println!("signals:");
        for s in &a.signals {
            let at = s
                .span
                .as_ref()
                .map(|sp| format!("“{}”", sp.text))
                .or(s.field.clone())
                .unwrap_or_default();
            println!("  - [{:.2}] {} {}", s.weight, s.label, at);
        }
    }
    println!("citations:");
    for c in &a.citations {
        println!("  {} {} {} ({})", c.id, c.kind, c.title, c.doc_id);
    }
    println!("{:.0} ms", a.timings.total_ms);
    Ok(ExitCode::SUCCESS)
}

pub fn eval(
    config: &Config,
    set: &Path,
    ablate: bool,
    leave_one_out: bool,
    predictions: bool,
) -> anyhow::Result<ExitCode> {
    let items = load_set(set).map_err(anyhow::Error::msg)?;
    let assessor = Arc::new(build_assessor(config, ablate)?);
    let rt = runtime()?;
    let modes: &[(Components, &str)] = if ablate {
        &[
            (Components::NeighboursOnly, "neighbours only"),
            (Components::SignalsOnly, "signals only"),
            (Components::LlmOnly, "LLM only"),
            (Components::Fused, "fused"),
        ]
    } else {
        &[(Components::Fused, "fused")]
    };
    println!("{} items from {}\n", items.len(), set.display());
    let mut summary = Vec::new();
    for &(components, name) in modes {
        let mut preds = Vec::new();
        for item in &items {
            let t = std::time::Instant::now();
            let a = rt.block_on(assessor.assess_with(
                AssessInput {
                    kind: item.channel,
                    text: item.text.clone(),
                    applicant: item.applicant.clone(),
                    metadata: None,
                },
                RunOptions {
                    components,
                    exclude_doc: leave_one_out.then_some(item.id.as_str()),
                    ..RunOptions::default()
                },
            ))?;
            let best = &a.schemes[0];
            preds.push(Prediction {
                id: item.id.clone(),
                true_top: item.true_top().to_string(),
                predicted_top: a.top_scheme.clone(),
                confidence: best.confidence,
                argmax_correct: best.id == item.true_top(),
                true_grade: item.grade,
                predicted_grade: a.grade,
                latency_ms: t.elapsed().as_secs_f64() * 1000.0,
                llm_consulted: a.llm_consulted,
                scores: a
                    .schemes
                    .iter()
                    .map(|s| (s.id.clone(), s.confidence))
                    .collect(),
            });
        }
        let r = report(&preds, config.assess.classifier.temperature);
        println!("## {name}\n\n{}", r.markdown());
        if predictions {
            for p in &preds {
                println!("{}", serde_json::to_string(p)?);
            }
        }
        summary.push((name, r));
    }
    if ablate {
        println!(
            "| components | macro-F1 | FP on none | grade accuracy | ECE | NLL-optimal temperature |"
        );
        println!("|---|---:|---:|---:|---:|---:|");
        for (name, r) in &summary {
            println!(
                "| {name} | {:.3} | {:.1}% | {:.3} | {:.3} | {} |",
                r.macro_f1,
                r.false_positive_rate_none * 100.0,
                r.grade_accuracy,
                r.ece,
                r.calibration
                    .as_ref()
                    .map(|c| format!("{:.3}", c.fitted_temperature))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
