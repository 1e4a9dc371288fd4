//! What the API shows of campaigns and what it exports for police and
//! regulator cooperation: a listing line, the detail with its graph
//! (submissions and identifiers as nodes, edges labelled with why they
//! exist), and the export as JSON, CSV or a Markdown report.
//!
//! Identifiers appear only masked, and as node ids made from a prefix of
//! their keyed hash. Every export carries the SHA-256 of the detail's
//! canonical JSON (keys sorted, no whitespace), the same for all three
//! formats of the same campaign state, so a recipient can check that what
//! they were sent is what the system held.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::identifiers::IdKind;
use super::index::{Campaign, Item};
use crate::assess::grade::Grade;
use crate::assess::signals::Channel;
use crate::evidence::report::{canonical_json, sha256_hex};

/// How many members a detail shows (the newest); the counts cover all.
pub const MAX_MEMBERS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SchemeCount {
    pub id: String,
    pub count: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GradeCounts {
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

/// An identifier shared inside a campaign, masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SharedId {
    /// Graph node id: `id:{kind}:{hash prefix}`.
    pub node: String,
    pub kind: IdKind,
    /// e.g. `138*****678`.
    pub masked: String,
    /// Members carrying it.
    pub count: usize,
}

/// Members added recently, for "is it still growing".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Growth {
    pub last_7_days: usize,
    pub previous_7_days: usize,
}

/// One line of the campaign listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignSummary {
    pub id: String,
    pub size: usize,
    pub complaints: usize,
    pub applications: usize,
    pub first_seen: String,
    pub last_seen: String,
    /// Assessed schemes of the members, most frequent first.
    pub schemes: Vec<SchemeCount>,
    pub grades: GradeCounts,
    /// The most shared identifiers (at most 5), masked.
    pub identifiers: Vec<SharedId>,
    /// Links between members through a shared template (each new member
    /// counts its links to earlier ones, at most 5).
    pub template_links: usize,
    /// Links between members through shared identifiers (member pairs at
    /// the time each joined; the graph draws them through identifier nodes).
    pub identifier_links: usize,
    pub growth: Growth,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub id: String,
    pub kind: Channel,
    pub created_at: String,
    pub grade: Grade,
    pub top_scheme: String,
    /// Start of the text with identifiers and personal numbers masked.
    pub excerpt: String,
    /// Node ids of the shared identifiers it carries.
    pub identifiers: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NodeType {
    Item,
    Identifier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Node {
    pub id: String,
    #[serde(rename = "type")]
    pub node_type: NodeType,
    /// Item: its kind and grade; identifier: its kind and masked value.
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_kind: Option<IdKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EdgeReason {
    /// The two texts share a template.
    Template,
    /// The submission carries the identifier.
    Identifier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub reason: EdgeReason,
    /// Template similarity (estimated Jaccard of character shingles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// Why, in words: "模板相似度 0.93", "共用电话 138*****678".
    pub label: String,
}

/// A campaign with its members and graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignDetail {
    pub campaign: CampaignSummary,
    pub members: Vec<Member>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// True when only the newest [`MAX_MEMBERS`] members are shown.
    pub truncated: bool,
    /// The integrity hash an export of this campaign carries now (set on
    /// the API's detail; absent inside exports, which hash everything else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_sha256: Option<String>,
}

fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

fn node_of(key: &str) -> String {
    let (kind, hash) = key.split_once(':').unwrap_or(("id", key));
    format!("id:{kind}:{}", &hash[..hash.len().min(12)])
}

fn grade_label(g: Grade) -> &'static str {
    match g {
        Grade::Red => "红",
        Grade::Yellow => "黄",
        Grade::Green => "绿",
    }
}

fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Complaint => "投诉",
        Channel::Application => "贷款申请",
    }
}

pub fn summary(c: &Campaign, now_ms: i64) -> CampaignSummary {
    let mut schemes: Vec<SchemeCount> = c
        .schemes
        .iter()
        .map(|(id, n)| SchemeCount {
            id: id.clone(),
            count: *n,
        })
        .collect();
    schemes.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    let g = |k: &str| c.grades.get(k).copied().unwrap_or_default();
    let week = 7 * 86_400_000;
    let in_range = |lo: i64, hi: i64| c.member_ms.iter().filter(|&&t| t >= lo && t < hi).count();
    CampaignSummary {
        id: c.id.clone(),
        size: c.size(),
        complaints: c.complaints,
        applications: c.applications,
        first_seen: rfc3339(c.first_ms()),
        last_seen: rfc3339(c.last_ms()),
        schemes,
        grades: GradeCounts {
            red: g("red"),
            yellow: g("yellow"),
            green: g("green"),
        },
        identifiers: c
            .shared_identifiers()
            .into_iter()
            .take(5)
            .map(|(key, n)| SharedId {
                node: node_of(key),
                kind: n.kind,
                masked: n.masked.clone(),
                count: n.count,
            })
            .collect(),
        template_links: c.template_links,
        identifier_links: c.identifier_links,
        growth: Growth {
            last_7_days: in_range(now_ms - week, i64::MAX),
            previous_7_days: in_range(now_ms - 2 * week, now_ms - week),
        },
    }
}

/// The detail of a campaign from its record and (the newest) members.
/// `now_ms` only sets the growth window: pass the campaign's last member
/// time for an export whose hash must not change with the clock.
pub fn detail(c: &Campaign, members: &[Item], now_ms: i64) -> CampaignDetail {
    let shared: BTreeMap<&String, _> = c.shared_identifiers().into_iter().collect();
    let shown: HashSet<&str> = members.iter().map(|m| m.id.as_str()).collect();
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut id_nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut out_members = Vec::with_capacity(members.len());
    for m in members {
        nodes.push(Node {
            id: m.id.clone(),
            node_type: NodeType::Item,
            label: format!("{} · {}", channel_label(m.channel), grade_label(m.grade)),
            grade: Some(m.grade),
            channel: Some(m.channel),
            id_kind: None,
        });
        let mut carried = Vec::new();
        for i in &m.ids {
            let Some(n) = shared.get(&i.key) else {
                continue;
            };
            let node = node_of(&i.key);
            id_nodes.entry(node.clone()).or_insert_with(|| Node {
                id: node.clone(),
                node_type: NodeType::Identifier,
                label: format!("{} {}", n.kind.label(), n.masked),
                grade: None,
                channel: None,
                id_kind: Some(n.kind),
            });
            edges.push(Edge {
                from: m.id.clone(),
                to: node.clone(),
                reason: EdgeReason::Identifier,
                similarity: None,
                label: format!("共用{} {}", n.kind.label(), n.masked),
            });
            carried.push(node);
        }
        for l in &m.links {
            if let Some(s) = l.similarity
                && shown.contains(l.to.as_str())
            {
                edges.push(Edge {
                    from: m.id.clone(),
                    to: l.to.clone(),
                    reason: EdgeReason::Template,
                    similarity: Some((s * 100.0).round() / 100.0),
                    label: format!("模板相似度 {s:.2}"),
                });
            }
        }
        out_members.push(Member {
            id: m.id.clone(),
            kind: m.channel,
            created_at: m.created_at.clone(),
            grade: m.grade,
            top_scheme: m.scheme.clone(),
            excerpt: m.excerpt.clone(),
            identifiers: carried,
        });
    }
    nodes.extend(id_nodes.into_values());
    CampaignDetail {
        campaign: summary(c, now_ms),
        members: out_members,
        nodes,
        edges,
        truncated: c.size() > members.len(),
        export_sha256: None,
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
    Md,
}

/// An export: body, content type and the integrity hash.
pub struct Export {
    pub body: String,
    pub content_type: &'static str,
    pub sha256: String,
}

/// SHA-256 of the detail's canonical JSON.
pub fn integrity(d: &CampaignDetail) -> String {
    let v = serde_json::to_value(d).unwrap_or_default();
    sha256_hex(&canonical_json(&v))
}

pub fn export(d: &CampaignDetail, format: ExportFormat) -> Result<Export, String> {
    let sha256 = integrity(d);
    let (body, content_type) = match format {
        ExportFormat::Json => {
            let v = serde_json::json!({
                "format": "caseguard-campaign/1",
                "sha256": sha256,
                "detail": d,
            });
            (
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?,
                "application/json",
            )
        }
        ExportFormat::Csv => (to_csv(d)?, "text/csv; charset=utf-8"),
        ExportFormat::Md => (to_markdown(d, &sha256), "text/markdown; charset=utf-8"),
    };
    Ok(Export {
        body,
        content_type,
        sha256,
    })
}

fn to_csv(d: &CampaignDetail) -> Result<String, String> {
    let labels: BTreeMap<&str, &str> = d
        .nodes
        .iter()
        .filter(|n| n.node_type == NodeType::Identifier)
        .map(|n| (n.id.as_str(), n.label.as_str()))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| e.to_string();
    w.write_record([
        "campaign",
        "id",
        "kind",
        "created_at",
        "grade",
        "top_scheme",
        "shared_identifiers",
        "template_links",
        "excerpt",
    ])
    .map_err(err)?;
    for m in &d.members {
        let ids: Vec<&str> = m
            .identifiers
            .iter()
            .filter_map(|n| labels.get(n.as_str()).copied())
            .collect();
        let links: Vec<String> = d
            .edges
            .iter()
            .filter(|e| e.reason == EdgeReason::Template && e.from == m.id)
            .map(|e| format!("{} ({:.2})", e.to, e.similarity.unwrap_or_default()))
            .collect();
        w.write_record([
            d.campaign.id.as_str(),
            &m.id,
            channel_label(m.kind),
            &m.created_at,
            m.grade.as_str(),
            &m.top_scheme,
            &ids.join("; "),
            &links.join("; "),
            &m.excerpt,
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Markdown table cells: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "／").replace(['\n', '\r'], " ")
}

fn to_markdown(d: &CampaignDetail, sha256: &str) -> String {
    let c = &d.campaign;
    let mut out = String::new();
    out.push_str(&format!("# 团伙线索报告 {}\n\n", c.id));
    out.push_str(
        "> 本报告由 caseguard 依据文本模板相似度与共用标识自动关联生成，供协查参考；标识均已脱敏，原值不在系统中保存。\n\n",
    );
    out.push_str(&format!("- 完整性校验（SHA-256）：`{sha256}`\n"));
    out.push_str(&format!(
        "- 规模：{} 件（投诉 {}，贷款申请 {}）\n- 时间跨度：{} 至 {}\n- 近 7 天新增 {}，此前 7 天 {}\n",
        c.size,
        c.complaints,
        c.applications,
        c.first_seen,
        c.last_seen,
        c.growth.last_7_days,
        c.growth.previous_7_days
    ));
    out.push_str(&format!(
        "- 评级：红 {}，黄 {}，绿 {}\n- 关联：模板 {} 条，共用标识 {} 条\n",
        c.grades.red, c.grades.yellow, c.grades.green, c.template_links, c.identifier_links
    ));
    if d.truncated {
        out.push_str(&format!("- 成员列表仅含最新 {} 件\n", d.members.len()));
    }
    out.push_str("\n## 涉及类型\n\n| 类型 | 件数 |\n|---|---|\n");
    for s in &c.schemes {
        out.push_str(&format!("| {} | {} |\n", cell(&s.id), s.count));
    }
    out.push_str("\n## 共用标识（脱敏）\n\n| 标识 | 类型 | 涉及件数 |\n|---|---|---|\n");
    for i in &c.identifiers {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(&i.masked),
            i.kind.label(),
            i.count
        ));
    }
    out.push_str(
        "\n## 成员\n\n| 编号 | 渠道 | 时间 | 评级 | 类型 | 摘录 |\n|---|---|---|---|---|---|\n",
    );
    for m in &d.members {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            m.id,
            channel_label(m.kind),
            m.created_at,
            m.grade.as_str(),
            cell(&m.top_scheme),
            cell(&m.excerpt)
        ));
    }
    out.push_str("\n## 关联依据\n\n");
    for e in &d.edges {
        out.push_str(&format!(
            "- {} — {}：{}\n",
            e.from,
            cell(&e.to),
            cell(&e.label)
        ));
    }
    out
}
