//! `caseguard eval campaigns`: how well campaigns are recovered.
//!
//! Synthetic campaigns ([`super::synth`]) are mixed into a background of
//! unrelated legitimate submissions and fed, in arrival order, through the
//! same index the API uses (real store, incremental linking). Membership is
//! then scored pairwise: a pair of submissions is predicted together when
//! they end in the same listed campaign (at least `min_size` members), and
//! truly together when the generator put them in the same campaign.
//! Legitimate submissions pulled into any campaign are counted apart: they
//! are the false positives a handler would see.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;

use super::identifiers::IdHasher;
use super::index::{CampaignError, CampaignIndex, Match, NewItem};
use super::synth::SynthItem;
use super::{Fingerprint, identifiers};
use crate::assess::grade::Grade;
use crate::assess::schemes::NONE;
use crate::assess::signals::Channel;

#[derive(Debug, Clone, Serialize)]
pub struct CampaignEval {
    pub items: usize,
    pub background: usize,
    pub true_campaigns: usize,
    pub found_campaigns: usize,
    /// Pairwise precision of campaign membership.
    pub precision: f64,
    /// Pairwise recall of campaign membership.
    pub recall: f64,
    /// Background (legitimate) submissions placed in some campaign.
    pub legit_pulled_in: usize,
    /// True campaigns with complaints and applications that were found as
    /// one campaign holding both (majority of their members together).
    pub cross_channel_true: usize,
    pub cross_channel_found: usize,
    /// True campaigns not recovered whole: (label, members, campaigns
    /// their members ended in, members left outside any campaign).
    pub split: Vec<(String, usize, usize, usize)>,
    /// Links the lookup made between submissions that do not belong
    /// together (different campaigns, or a legitimate item), by reason
    /// ("template", or the identifier kinds shared, "employer+address"),
    /// each with its count and up to two example pairs of excerpts.
    pub false_links: Vec<FalseLinks>,
    /// Campaigns found that hold more than one true campaign (or
    /// legitimate items): their members by true label ("-" legitimate).
    pub mixed: Vec<Vec<(String, usize)>>,
    pub lookup_p50_ms: f64,
    pub add_p50_ms: f64,
    pub add_p95_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FalseLinks {
    pub reason: String,
    pub count: usize,
    pub examples: Vec<(String, String)>,
}

/// Why a match links: "template" or the kinds of the identifiers shared.
fn reason(m: &Match) -> String {
    if m.shared.is_empty() {
        return "template".into();
    }
    let mut kinds: Vec<&str> = m.shared.iter().map(|s| s.kind.tag()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.join("+")
}

fn pairs(n: usize) -> u64 {
    (n as u64) * (n.saturating_sub(1) as u64) / 2
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Feed `items` through `index` in order and score the campaigns found.
pub fn run(
    index: &CampaignIndex,
    hasher: &IdHasher,
    items: &[SynthItem],
) -> Result<CampaignEval, CampaignError> {
    let start_ms: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let mut lookups = Vec::with_capacity(items.len());
    let mut adds = Vec::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    let mut false_links: BTreeMap<String, FalseLinks> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        let id = format!("s{i:06}");
        let fp = Fingerprint::of(
            hasher,
            &it.text,
            it.applicant.as_ref(),
            it.metadata.as_ref(),
        );
        let t = Instant::now();
        let lookup = index.lookup(&fp, None)?;
        lookups.push(t.elapsed().as_secs_f64() * 1e3);
        for m in &lookup.matches {
            // Earlier ids are "s{index}": the truth of the other end.
            let other = m.item.id[1..]
                .parse::<usize>()
                .ok()
                .and_then(|j| items.get(j));
            let Some(other) = other else { continue };
            if it.campaign.is_some() && other.campaign == it.campaign {
                continue;
            }
            let r = reason(m);
            let e = false_links.entry(r.clone()).or_insert_with(|| FalseLinks {
                reason: r,
                count: 0,
                examples: Vec::new(),
            });
            e.count += 1;
            if e.examples.len() < 2 {
                e.examples.push((other.text.clone(), it.text.clone()));
            }
        }
        let ms = start_ms + i64::from(it.at_minute) * 60_000;
        let t = Instant::now();
        index.add(
            NewItem {
                id: id.clone(),
                channel: it.kind,
                created_at: humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64),
                )
                .to_string(),
                grade: Grade::Green,
                scheme: NONE.into(),
                excerpt: identifiers::redact(&it.text.chars().take(60).collect::<String>()),
            },
            &fp,
        )?;
        adds.push(t.elapsed().as_secs_f64() * 1e3);
        ids.push(id);
    }
    let mut predicted: HashMap<String, String> = HashMap::new();
    let campaigns = index.campaigns()?;
    for c in &campaigns {
        for m in &c.members {
            predicted.insert(m.clone(), c.id.clone());
        }
    }
    // Contingency counts: (true, predicted) → n.
    let mut joint: HashMap<(&str, &str), usize> = HashMap::new();
    let mut truth: HashMap<&str, usize> = HashMap::new();
    let mut pred: HashMap<&str, usize> = HashMap::new();
    let mut legit_pulled_in = 0;
    for (it, id) in items.iter().zip(&ids) {
        let p = predicted.get(id).map(String::as_str);
        if let Some(t) = it.campaign.as_deref() {
            *truth.entry(t).or_default() += 1;
        }
        if let Some(p) = p {
            *pred.entry(p).or_default() += 1;
            match it.campaign.as_deref() {
                Some(t) => *joint.entry((t, p)).or_default() += 1,
                None => legit_pulled_in += 1,
            }
        }
    }
    let mut by_pred: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for (it, id) in items.iter().zip(&ids) {
        if let Some(p) = predicted.get(id) {
            let label = it.campaign.clone().unwrap_or_else(|| "-".into());
            *by_pred.entry(p).or_default().entry(label).or_default() += 1;
        }
    }
    let mixed: Vec<Vec<(String, usize)>> = by_pred
        .into_values()
        .filter(|m| m.len() > 1)
        .map(|m| m.into_iter().collect())
        .collect();
    let tp: u64 = joint.values().map(|&n| pairs(n)).sum();
    let pred_pairs: u64 = pred.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = truth.values().map(|&n| pairs(n)).sum();
    // Cross-channel campaigns: both channels in truth, and the predicted
    // campaign holding most of its members holds both channels too.
    let mut cross_true = 0;
    let mut cross_found = 0;
    let mut by_truth: HashMap<&str, Vec<(Channel, Option<&str>)>> = HashMap::new();
    for (it, id) in items.iter().zip(&ids) {
        if let Some(t) = it.campaign.as_deref() {
            by_truth
                .entry(t)
                .or_default()
                .push((it.kind, predicted.get(id).map(String::as_str)));
        }
    }
    let mut split = Vec::new();
    for (label, members) in &by_truth {
        let clusters: std::collections::HashSet<&str> =
            members.iter().filter_map(|(_, p)| *p).collect();
        let outside = members.iter().filter(|(_, p)| p.is_none()).count();
        if clusters.len() != 1 || outside > 0 {
            split.push((label.to_string(), members.len(), clusters.len(), outside));
        }
    }
    split.sort();
    for members in by_truth.values() {
        let has = |c: Channel| members.iter().any(|(k, _)| *k == c);
        if !(has(Channel::Complaint) && has(Channel::Application)) {
            continue;
        }
        cross_true += 1;
        let mut votes: HashMap<&str, usize> = HashMap::new();
        for (_, p) in members {
            if let Some(p) = p {
                *votes.entry(p).or_default() += 1;
            }
        }
        if let Some((best, _)) = votes.iter().max_by_key(|(_, n)| **n) {
            let holds = |c: Channel| members.iter().any(|(k, p)| *k == c && *p == Some(*best));
            if holds(Channel::Complaint) && holds(Channel::Application) {
                cross_found += 1;
            }
        }
    }
    Ok(CampaignEval {
        items: items.len(),
        background: items.iter().filter(|i| i.campaign.is_none()).count(),
        true_campaigns: truth.len(),
        found_campaigns: campaigns.len(),
        precision: if pred_pairs == 0 {
            1.0
        } else {
            tp as f64 / pred_pairs as f64
        },
        recall: if true_pairs == 0 {
            1.0
        } else {
            tp as f64 / true_pairs as f64
        },
        legit_pulled_in,
        split,
        mixed,
        false_links: {
            let mut v: Vec<FalseLinks> = false_links.into_values().collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
            v
        },
        cross_channel_true: cross_true,
        cross_channel_found: cross_found,
        lookup_p50_ms: percentile(&mut lookups, 0.5),
        add_p50_ms: percentile(&mut adds.clone(), 0.5),
        add_p95_ms: percentile(&mut adds, 0.95),
    })
}
