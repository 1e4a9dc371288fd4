//! `caseguard kb …` end to end on the real embedding model and the embedded
//! Qdrant store: bad files reported, re-ingest idempotent, changes replace,
//! delete removes, search finds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kb(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .arg("kb")
        .args(args)
        .env("CASEGUARD_DATA_DIR", data)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cg-kbcli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn ingest_report_reingest_update_search_and_delete() {
    let data = tempdir("data");
    let docs = tempdir("docs");
    std::fs::create_dir_all(docs.join("cases")).unwrap();
    std::fs::write(
        docs.join("cases/case-a.md"),
        "---\nid: case-a\ntitle: 征信修复诈骗案\nschemes: [credit_repair_scam]\nsource: test\n---\n某中介以“征信修复、逾期洗白”为名收取费用，指使客户恶意投诉银行。\n",
    )
    .unwrap();
    std::fs::write(
        docs.join("notes.txt"),
        "代理退保团伙教唆投保人以销售误导为由投诉，收取退保金的三成。",
    )
    .unwrap();
    std::fs::write(
        docs.join("broken.jsonl"),
        "{\"id\": \"x\", \"text\": \"ok\"}\n{not json}\n",
    )
    .unwrap();
    std::fs::write(docs.join("bad.md"), [0xffu8, 0xfe, 0x00]).unwrap();

    let o = kb(&data, &["ingest", docs.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "failures must set the exit code");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken.jsonl") && err.contains("line 2"),
        "{err}"
    );
    assert!(err.contains("bad.md") && err.contains("UTF-8"), "{err}");
    assert!(out(&o).contains("2 documents added"), "{}", out(&o));

    let o = kb(&data, &["ingest", docs.join("cases").to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        out(&o).contains("1 unchanged") && out(&o).contains("0 chunks written"),
        "{}",
        out(&o)
    );

    let o = kb(&data, &["search", "--json", "--limit", "1", "zx洗白"]);
    let hit: serde_json::Value =
        serde_json::from_str(out(&o).lines().next().expect("a hit")).unwrap();
    assert_eq!(hit["doc_id"], "case-a");
    assert_eq!(hit["kind"], "case");
    let o = kb(&data, &["search", "--json", "--kind", "other", "退保"]);
    assert!(out(&o).lines().all(|l| l.contains("\"kind\":\"other\"")) && !out(&o).is_empty());

    // a changed document replaces its chunks
    std::fs::write(
        docs.join("cases/case-a.md"),
        "---\nid: case-a\ntitle: 征信修复诈骗案\nschemes: [credit_repair_scam]\n---\n第一段。\n\n## 二\n第二段。\n",
    )
    .unwrap();
    let o = kb(&data, &["ingest", docs.join("cases").to_str().unwrap()]);
    assert!(out(&o).contains("1 updated"), "{}", out(&o));
    let list = out(&kb(&data, &["list", "--json"]));
    let a: serde_json::Value =
        serde_json::from_str(list.lines().find(|l| l.contains("case-a")).unwrap()).unwrap();
    assert_eq!(a["chunks"], 2);

    let o = kb(&data, &["delete", "case-a"]);
    assert!(o.status.success());
    assert!(!out(&kb(&data, &["list"])).contains("case-a"));
    let o = kb(&data, &["delete", "case-a"]);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&docs);
}

#[test]
fn hybrid_retrieval_on_the_seed_knowledge_base_meets_recall_target() {
    let data = tempdir("eval");
    let o = Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .args(["eval", "retrieval"])
        .env("CASEGUARD_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = out(&o);
    let row = |name: &str| -> (f64, f64) {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("{table}"));
        let cells: Vec<f64> = line
            .split('|')
            .filter_map(|c| c.trim().parse().ok())
            .collect();
        (cells[0], cells[1])
    };
    let (recall, mrr) = row("hybrid (RRF)");
    eprintln!("{table}");
    assert!(recall >= 0.9, "hybrid recall@5 {recall} < 0.9\n{table}");
    assert!(mrr >= 0.8, "hybrid MRR {mrr}\n{table}");
    let _ = std::fs::remove_dir_all(&data);
}

/// `kb sync` indexes a folder, removes documents whose files are gone,
/// never touches documents ingested from elsewhere, and removes nothing
/// while a file of the folder is broken.
#[test]
fn sync_follows_the_folder() {
    let data = tempdir("sync-data");
    let folder = tempdir("sync-folder");
    let other = tempdir("sync-other");
    let write = |dir: &Path, name: &str, id: &str, body: &str| {
        std::fs::write(
            dir.join(name),
            format!("---\nid: {id}\ntitle: {id}\nkind: case\nschemes: [none]\n---\n{body}\n"),
        )
        .unwrap();
    };
    write(&folder, "a.md", "sync-a", "借款人向银行申请分期还款。");
    write(&folder, "b.md", "sync-b", "征信异议通过征信中心提交。");
    write(&other, "c.md", "sync-c", "代理退保机构收取服务费。");
    let sync = |args: &[&str]| {
        let mut a = vec!["sync", folder.to_str().unwrap(), "--json"];
        a.extend(args);
        let o = kb(&data, &a);
        let report: serde_json::Value = serde_json::from_str(out(&o).trim())
            .unwrap_or_else(|e| panic!("{e}: {}{}", out(&o), String::from_utf8_lossy(&o.stderr)));
        (o.status.code(), report)
    };
    let listed = || {
        let mut ids: Vec<String> = out(&kb(&data, &["list", "--json"]))
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| v["doc_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let (code, r) = sync(&[]);
    assert_eq!((code, r["added"].as_u64()), (Some(0), Some(2)), "{r}");
    assert!(
        kb(&data, &["ingest", other.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(listed(), ["sync-a", "sync-b", "sync-c"]);
    // Unchanged: nothing to do.
    let (_, r) = sync(&[]);
    assert_eq!(
        (r["unchanged"].as_u64(), r["added"].as_u64()),
        (Some(2), Some(0)),
        "{r}"
    );
    // A broken file: the others stay, nothing is removed, exit code 2.
    std::fs::remove_file(folder.join("a.md")).unwrap();
    std::fs::write(folder.join("broken.md"), "---\nid: [unclosed\n---\ntext\n").unwrap();
    let (code, r) = sync(&[]);
    assert_eq!(code, Some(2), "{r}");
    assert_eq!(r["removed"].as_array().unwrap().len(), 0, "{r}");
    assert_eq!(listed(), ["sync-a", "sync-b", "sync-c"]);
    // Fixed: the deleted file's document goes; the one from elsewhere stays.
    std::fs::remove_file(folder.join("broken.md")).unwrap();
    let (code, r) = sync(&[]);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["removed"], serde_json::json!(["sync-a"]));
    assert_eq!(listed(), ["sync-b", "sync-c"]);
    for d in [data, folder, other] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// An ingest killed with SIGKILL mid-way leaves a store that reopens and
/// answers; running the ingest again finishes the job with no duplicates.
#[test]
fn an_ingest_killed_midway_is_finished_by_the_next_run() {
    let data = tempdir("crash");
    let mut child = Command::new(env!("CARGO_BIN_EXE_caseguard"))
        .args(["kb", "ingest", "knowledge-base/examples"])
        .env("CASEGUARD_DATA_DIR", &data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(5));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let o = kb(&data, &["stats"]);
    assert!(
        o.status.success(),
        "the store must reopen: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = kb(&data, &["search", "--json", "--limit", "1", "停息挂账"]);
    assert!(o.status.success());

    let o = kb(&data, &["ingest", "knowledge-base/examples"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = out(&kb(&data, &["list", "--json"]));
    let docs: Vec<serde_json::Value> = list
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: std::collections::HashSet<&str> =
        docs.iter().map(|d| d["doc_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), docs.len(), "no duplicate documents");
    let expected: usize = std::fs::read_dir("knowledge-base/examples")
        .unwrap()
        .map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count()
        })
        .sum();
    assert_eq!(docs.len(), expected);
    let chunks: u64 = docs.iter().map(|d| d["chunks"].as_u64().unwrap()).sum();
    let stats = out(&kb(&data, &["stats"]));
    assert!(
        stats.starts_with(&format!("{expected} documents, {chunks} chunks")),
        "orphan chunks? {stats}"
    );
    let _ = std::fs::remove_dir_all(&data);
}
