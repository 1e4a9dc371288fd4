//! `caseguard assess` and `caseguard eval` (classification): the assessment
//! pipeline from the command line, on the same services the server uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use caseguard::assess::applicant::Applicant;
use caseguard::assess::classify::Components;
use caseguard::assess::eval::{Prediction, load_set, report, targets};
use caseguard::assess::pipeline::{AssessInput, Assessor, LlmMode, RunOptions};
use caseguard::assess::schemes::NONE;
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
        "grade: {}    top scheme: {}    role: {} ({:.0}%)",
        a.grade.as_str(),
        a.top_scheme,
        a.role.as_str(),
        a.role_confidence * 100.0
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

/// Evaluation of one set in one mode.
struct SetRun {
    set: String,
    mode: &'static str,
    report: caseguard::assess::eval::Report,
    preds: Vec<Prediction>,
}

pub fn eval(
    config: &Config,
    sets: &[PathBuf],
    ablate: bool,
    leave_one_out: bool,
    predictions: bool,
) -> anyhow::Result<ExitCode> {
    let mut loaded = Vec::new();
    for set in sets {
        if !set.exists() {
            eprintln!("skipping {}: no such file", set.display());
            continue;
        }
        loaded.push((set.clone(), load_set(set).map_err(anyhow::Error::msg)?));
    }
    if loaded.is_empty() {
        anyhow::bail!("no labelled set found: pass --set FILE");
    }
    let assessor = Arc::new(build_assessor(config, ablate)?);
    let rt = runtime()?;
    match assessor.model() {
        Some(m) => {
            let r = &m.report;
            println!(
                "classifier: trained on {} examples from {} sources in {:.0} ms ({}); grouped {}-fold cross-validation on them: macro-F1 {:.3}, role accuracy {:.3}, ECE {:.3}; temperatures scheme {:.2}, role {:.2}, red {:.2}\n",
                r.examples,
                r.groups,
                r.train_ms,
                r.per_scheme
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                m.params.folds,
                r.cv_macro_f1,
                r.cv_role_accuracy,
                r.cv_ece,
                r.temperature,
                r.role_temperature,
                r.red_temperature
            );
        }
        None => println!("classifier: no examples to train on; hand-weighted fusion answers\n"),
    }
    let modes: &[(Components, &str)] = if ablate {
        &[
            (Components::Learned, "learned (default)"),
            (Components::LearnedWithLlm, "learned + LLM label scores"),
            (Components::Fused, "hand-weighted fusion (baseline)"),
            (Components::NeighboursOnly, "neighbours only"),
            (Components::SignalsOnly, "signals only"),
            (Components::LlmOnly, "LLM only"),
        ]
    } else {
        &[(Components::Learned, "learned (default)")]
    };
    let mut runs: Vec<SetRun> = Vec::new();
    for (path, items) in &loaded {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for &(components, mode) in modes {
            let mut preds = Vec::new();
            for item in items {
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
                    true_role: item.role,
                    predicted_role: a.role,
                    latency_ms: t.elapsed().as_secs_f64() * 1000.0,
                    llm_consulted: a.llm_consulted,
                    scores: a
                        .schemes
                        .iter()
                        .map(|s| (s.id.clone(), s.confidence))
                        .collect(),
                    reasons: a.reasons.clone(),
                });
            }
            let r = report(&preds, 1.0);
            println!("## {name} — {mode}\n\n{}", r.markdown());
            if components == Components::Learned {
                println!("| target | value | met |\n|---|---:|---|");
                for (t, v, ok) in targets(&r) {
                    println!("| {t} | {v} | {} |", if ok { "yes" } else { "**no**" });
                }
                println!();
            }
            if predictions {
                for p in &preds {
                    println!("{}", serde_json::to_string(p)?);
                }
            }
            runs.push(SetRun {
                set: name.clone(),
                mode,
                report: r,
                preds,
            });
        }
    }
    println!("## summary\n");
    println!(
        "| set | components | items | macro-F1 | FP on none | none red | positives green | grade acc. | role acc. | ECE | p50 ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &runs {
        let x = &r.report;
        println!(
            "| {} | {} | {} | {:.3} | {:.1}% | {} | {:.1}% | {:.3} | {} | {:.3} | {:.0} |",
            r.set,
            r.mode,
            x.items,
            x.macro_f1,
            x.false_positive_rate_none * 100.0,
            x.none_red,
            x.positives_green_rate * 100.0,
            x.grade_accuracy,
            x.role_accuracy.map_or("n/a".into(), |v| format!("{v:.3}")),
            x.ece,
            x.latency_p50_ms
        );
    }
    // Obfuscated variants: how many of the positives labelled right on the
    // clean text keep their label.
    let find = |set: &str| {
        runs.iter()
            .find(|r| r.set == set && r.mode == "learned (default)")
    };
    if let (Some(clean), Some(obf)) = (find("real-test.jsonl"), find("real-test-obfuscated.jsonl"))
    {
        let right: std::collections::HashSet<&str> = clean
            .preds
            .iter()
            .filter(|p| p.true_top != NONE && p.predicted_top == p.true_top)
            .map(|p| p.id.as_str())
            .collect();
        let kept = obf
            .preds
            .iter()
            .filter(|p| right.contains(p.id.as_str()) && p.predicted_top == p.true_top)
            .count();
        println!(
            "\nobfuscated real-test: {kept} of {} positives labelled right on the clean text keep their label ({:.1}%; target ≥ 95%); false alarms on none {:.1}% (target ≤ 3%)",
            right.len(),
            100.0 * kept as f64 / right.len().max(1) as f64,
            obf.report.false_positive_rate_none * 100.0
        );
    }
    Ok(ExitCode::SUCCESS)
}
