//! Every assessed submission remembered for matching, the lookup run on
//! each new one, and campaigns grown as links appear.
//!
//! Two collections of the same store as everything else (embedded Qdrant
//! or the remote cluster): `campaign_items`, one point per submission with
//! its MinHash, band keys, identifier hashes and campaign id (band keys,
//! identifier keys and campaign id are keyword-indexed, so a lookup reads
//! only candidates, never the whole collection), and `campaigns`, one point
//! per campaign with its running aggregates.
//!
//! Two submissions are linked when their texts share a template (estimated
//! Jaccard ≥ `template_similarity`), when they share a strong identifier
//! (phone, WeChat, QQ, Telegram, account, agency, device), or when they
//! share two weak ones (employer and address, say): one big employer or a
//! common "王老师" alone links nobody. Clustering is incremental union: a
//! new submission joins the campaign of whatever it links to, and when it
//! links two campaigns the smaller is relabelled into the larger (cost
//! proportional to the smaller one). Nothing is ever recomputed in full.
//!
//! The store holds no identifier in clear: keys are HMAC hashes, display
//! forms are masked, excerpts are redacted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::identifiers::{HashedId, IdKind};
use super::template::Signature;
use super::{CampaignConfig, Fingerprint};
use crate::assess::grade::Grade;
use crate::assess::signals::{Channel, Signal, SignalKind};
use crate::config::Config;
use crate::store::{ChunkRecord, FieldCondition, Fields, Filter, StoreError, VectorStore};

pub const ITEMS: &str = "campaign_items";
pub const CAMPAIGNS: &str = "campaigns";
/// Payload paths filtered on, indexed as keywords.
const INDEXED: [&str; 3] = ["extra.bands", "extra.ids", "extra.campaign"];
/// Template links kept per submission (the most similar earlier ones).
const TEMPLATE_LINKS: usize = 5;

const IPD: &str = "illegal_proxy_rights_defense";
const PDB: &str = "professional_debt_bearing";

/// An identifier as stored with a submission: matching key and masked form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredId {
    /// `kind:hmac`.
    pub key: String,
    pub kind: IdKind,
    pub masked: String,
}

impl From<&HashedId> for StoredId {
    fn from(h: &HashedId) -> Self {
        Self {
            key: h.key(),
            kind: h.kind,
            masked: h.masked.clone(),
        }
    }
}

/// Why two submissions are linked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The earlier submission.
    pub to: String,
    /// Estimated template similarity, when the texts share a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// Keys of the identifiers both carry (that link them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

/// What the index keeps of one submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub channel: Channel,
    pub created_at: String,
    pub created_ms: i64,
    pub grade: Grade,
    pub scheme: String,
    /// The start of the text, identifiers and personal numbers masked.
    pub excerpt: String,
    /// MinHash values; empty for texts too short to have a signature.
    pub minhash: Vec<u32>,
    /// Distinct shingles of the text (0: not recorded).
    #[serde(default)]
    pub shingles: u32,
    pub ids: Vec<StoredId>,
    pub campaign: Option<String>,
    /// The strongest links to earlier submissions at the time it was added.
    pub links: Vec<Link>,
}

impl Item {
    fn signature(&self) -> Option<Signature> {
        (!self.minhash.is_empty()).then(|| Signature {
            minhash: self.minhash.clone(),
            shingles: self.shingles,
        })
    }
}

/// A new submission to remember (the assessment's outcome, already masked).
#[derive(Debug, Clone)]
pub struct NewItem {
    pub id: String,
    pub channel: Channel,
    pub created_at: String,
    pub grade: Grade,
    pub scheme: String,
    pub excerpt: String,
}

/// An earlier submission linked to the one looked up.
#[derive(Debug, Clone)]
pub struct Match {
    pub item: Item,
    pub similarity: Option<f32>,
    /// Identifiers both carry (strong ones, or weak ones in pairs).
    pub shared: Vec<StoredId>,
}

impl Match {
    fn link(&self) -> Link {
        Link {
            to: self.item.id.clone(),
            similarity: self.similarity,
            ids: self.shared.iter().map(|s| s.key.clone()).collect(),
        }
    }
}

/// The outcome of a lookup: every linked earlier submission.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub matches: Vec<Match>,
    /// Candidates read (band or identifier collisions).
    pub candidates: usize,
    /// True when `max_candidates` cut the candidate list.
    pub truncated: bool,
}

/// A campaign's running aggregates, updated on every join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub members: Vec<String>,
    /// Creation time of each member (ms), same order as `members`.
    pub member_ms: Vec<i64>,
    pub complaints: usize,
    pub applications: usize,
    pub schemes: BTreeMap<String, usize>,
    pub grades: BTreeMap<String, usize>,
    /// Every member identifier: key → (kind, masked, members carrying it).
    pub identifiers: BTreeMap<String, IdCount>,
    pub template_links: usize,
    pub identifier_links: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdCount {
    pub kind: IdKind,
    pub masked: String,
    pub count: usize,
}

impl Campaign {
    fn new(id: String) -> Self {
        Self {
            id,
            members: Vec::new(),
            member_ms: Vec::new(),
            complaints: 0,
            applications: 0,
            schemes: BTreeMap::new(),
            grades: BTreeMap::new(),
            identifiers: BTreeMap::new(),
            template_links: 0,
            identifier_links: 0,
        }
    }

    pub fn size(&self) -> usize {
        self.members.len()
    }

    pub fn first_ms(&self) -> i64 {
        self.member_ms.iter().copied().min().unwrap_or_default()
    }

    pub fn last_ms(&self) -> i64 {
        self.member_ms.iter().copied().max().unwrap_or_default()
    }

    fn add(&mut self, item: &Item) {
        if self.members.contains(&item.id) {
            return;
        }
        self.members.push(item.id.clone());
        self.member_ms.push(item.created_ms);
        match item.channel {
            Channel::Complaint => self.complaints += 1,
            Channel::Application => self.applications += 1,
        }
        *self.schemes.entry(item.scheme.clone()).or_default() += 1;
        *self.grades.entry(item.grade.as_str().into()).or_default() += 1;
        for id in &item.ids {
            self.identifiers
                .entry(id.key.clone())
                .or_insert_with(|| IdCount {
                    kind: id.kind,
                    masked: id.masked.clone(),
                    count: 0,
                })
                .count += 1;
        }
    }

    fn count_links(&mut self, links: &[Link]) {
        self.template_links += links.iter().filter(|l| l.similarity.is_some()).count();
        self.identifier_links += links.iter().filter(|l| !l.ids.is_empty()).count();
    }

    fn absorb(&mut self, other: Campaign) {
        for (i, id) in other.members.into_iter().enumerate() {
            if !self.members.contains(&id) {
                self.members.push(id);
                self.member_ms
                    .push(other.member_ms.get(i).copied().unwrap_or_default());
            }
        }
        self.complaints += other.complaints;
        self.applications += other.applications;
        for (k, n) in other.schemes {
            *self.schemes.entry(k).or_default() += n;
        }
        for (k, n) in other.grades {
            *self.grades.entry(k).or_default() += n;
        }
        for (k, c) in other.identifiers {
            match self.identifiers.get_mut(&k) {
                Some(mine) => mine.count += c.count,
                None => {
                    self.identifiers.insert(k, c);
                }
            }
        }
        self.template_links += other.template_links;
        self.identifier_links += other.identifier_links;
    }

    /// Identifiers carried by at least two members, most shared first.
    pub fn shared_identifiers(&self) -> Vec<(&String, &IdCount)> {
        let mut v: Vec<(&String, &IdCount)> = self
            .identifiers
            .iter()
            .filter(|(_, c)| c.count >= 2)
            .collect();
        v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        v
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored campaign data is unreadable: {0}")]
    Corrupt(String),
}

/// The campaign index over its two collections.
#[derive(Clone)]
pub struct CampaignIndex {
    items: Arc<dyn VectorStore>,
    campaigns: Arc<dyn VectorStore>,
    params: CampaignConfig,
    /// Serialises additions so that unions see each other.
    writer: Arc<Mutex<()>>,
}

fn corrupt(e: impl std::fmt::Display) -> CampaignError {
    CampaignError::Corrupt(e.to_string())
}

fn point(id: &str, kind: &str, scheme: &str, created_at: &str, extra: Value) -> ChunkRecord {
    ChunkRecord {
        chunk_id: ChunkRecord::make_id(id, 0),
        doc_id: id.to_string(),
        chunk_index: 0,
        title: String::new(),
        kind: kind.to_string(),
        schemes: vec![scheme.to_string()],
        source: "caseguard".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ingested_at: created_at.to_string(),
        content_hash: String::new(),
        heading: None,
        text: String::new(),
        extra,
        // The collections are filtered, never searched by vector.
        dense: vec![1.0],
    }
}

fn record<T: serde::de::DeserializeOwned>(
    p: &serde_json::Map<String, Value>,
) -> Result<T, CampaignError> {
    let v = p
        .get("extra")
        .and_then(|e| e.get("record"))
        .ok_or_else(|| corrupt("no record in payload"))?;
    serde_json::from_value(v.clone()).map_err(corrupt)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

impl CampaignIndex {
    /// Open (or create) the collections of the configured store.
    pub fn open(config: &Config) -> Result<Self, StoreError> {
        Self::from_stores(
            crate::store::open(config, ITEMS, 1)?,
            crate::store::open(config, CAMPAIGNS, 1)?,
            config.campaign.clone(),
        )
    }

    /// Over stores the caller opened (tests, eval, bench); dimension 1.
    pub fn from_stores(
        items: Arc<dyn VectorStore>,
        campaigns: Arc<dyn VectorStore>,
        params: CampaignConfig,
    ) -> Result<Self, StoreError> {
        items.ensure_keyword_indexes(&INDEXED)?;
        Ok(Self {
            items,
            campaigns,
            params,
            writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn params(&self) -> &CampaignConfig {
        &self.params
    }

    pub fn count_items(&self) -> Result<usize, CampaignError> {
        Ok(self.items.count()?)
    }

    fn scroll_items(&self, filter: &Filter) -> Result<Vec<Item>, CampaignError> {
        self.items
            .scroll(filter, Fields::Only(&["extra.record"]), false)?
            .iter()
            .map(|p| record(&p.payload))
            .collect()
    }

    fn any_of(key: &str, values: Vec<String>) -> Filter {
        Filter {
            fields: vec![FieldCondition::AnyOf {
                key: key.into(),
                values,
            }],
            ..Filter::default()
        }
    }

    /// Earlier submissions linked to `fp`, strongest first.
    pub fn lookup(&self, fp: &Fingerprint, exclude: Option<&str>) -> Result<Lookup, CampaignError> {
        let mut cands: HashMap<String, Item> = HashMap::new();
        let bands = fp.bands();
        if !bands.is_empty() {
            for it in self.scroll_items(&Self::any_of("extra.bands", bands))? {
                cands.insert(it.id.clone(), it);
            }
        }
        // A weak identifier carried by very many submissions (a big
        // employer, a shared office address) is not read: it links nobody
        // alone and is not concentrated anywhere, and reading every carrier
        // would make the lookup as slow as a scan.
        let mut common: HashSet<String> = HashSet::new();
        for h in fp.ids.iter().filter(|h| !h.kind.strong()) {
            let key = h.key();
            let filter = Self::any_of("extra.ids", vec![key.clone()]);
            if self.items.count_where(&filter)? > self.params.common_identifier {
                common.insert(key);
            }
        }
        let keys: Vec<String> = fp
            .ids
            .iter()
            .map(HashedId::key)
            .filter(|k| !common.contains(k))
            .collect();
        if !keys.is_empty() {
            for it in self.scroll_items(&Self::any_of("extra.ids", keys))? {
                cands.insert(it.id.clone(), it);
            }
        }
        if let Some(x) = exclude {
            cands.remove(x);
        }
        let candidates = cands.len();
        let mine: HashMap<String, StoredId> = fp
            .ids
            .iter()
            .map(|h| (h.key(), StoredId::from(h)))
            .collect();
        // A weak identifier (an employer, an address) links on its own only
        // where it is concentrated: carried by at least two submissions, at
        // least 80% of its carriers in one campaign. A shell company behind
        // a ring is; a big employer shared by many honest applicants is not.
        let mut concentrated: HashMap<String, String> = HashMap::new();
        // Agent names ("王老师") and IPs are too common to count this way.
        let org = |k: IdKind| matches!(k, IdKind::Employer | IdKind::Address);
        for key in mine
            .keys()
            .filter(|k| org(mine[*k].kind) && !common.contains(*k))
        {
            let mut by_campaign: HashMap<Option<&str>, usize> = HashMap::new();
            let mut carriers = 0;
            for it in cands
                .values()
                .filter(|it| it.ids.iter().any(|i| &i.key == key))
            {
                carriers += 1;
                *by_campaign.entry(it.campaign.as_deref()).or_default() += 1;
            }
            if let Some((Some(c), n)) = by_campaign
                .into_iter()
                .max_by_key(|(c, n)| (*n, c.is_some()))
                && n >= 2
                && n * 5 >= carriers * 4
            {
                concentrated.insert(key.clone(), c.to_string());
            }
        }
        let mut matches: Vec<Match> = cands
            .into_values()
            .filter_map(|item| {
                let similarity = match (&fp.signature, item.signature()) {
                    (Some(a), Some(b)) => a.same_template(
                        &b,
                        self.params.template_similarity,
                        self.params.template_containment,
                        self.params.template_min_shared as f32,
                    ),
                    _ => None,
                };
                let shared: Vec<StoredId> = item
                    .ids
                    .iter()
                    .filter_map(|i| mine.get(&i.key).cloned())
                    .collect();
                let strong = shared.iter().any(|s| {
                    s.kind.strong()
                        || item
                            .campaign
                            .as_ref()
                            .is_some_and(|c| concentrated.get(&s.key) == Some(c))
                });
                let by_ids = strong || shared.len() >= 2;
                if similarity.is_none() && !by_ids {
                    return None;
                }
                Some(Match {
                    item,
                    similarity,
                    shared: if by_ids { shared } else { Vec::new() },
                })
            })
            .collect();
        // Strongest first: shared identifiers, then similarity, then recency.
        matches.sort_by(|a, b| {
            b.shared
                .len()
                .cmp(&a.shared.len())
                .then(
                    b.similarity
                        .unwrap_or(0.0)
                        .total_cmp(&a.similarity.unwrap_or(0.0)),
                )
                .then(b.item.created_ms.cmp(&a.item.created_ms))
                .then(a.item.id.cmp(&b.item.id))
        });
        let truncated = matches.len() > self.params.max_candidates;
        matches.truncate(self.params.max_candidates);
        Ok(Lookup {
            matches,
            candidates,
            truncated,
        })
    }

    fn get_campaign(&self, id: &str) -> Result<Option<Campaign>, CampaignError> {
        let mut points =
            self.campaigns
                .scroll(&Filter::doc(id), Fields::Only(&["extra.record"]), false)?;
        points.pop().map(|p| record(&p.payload)).transpose()
    }

    fn put_campaign(&self, c: &Campaign) -> Result<(), CampaignError> {
        let extra = json!({
            "size": c.size(),
            "last_ms": c.last_ms(),
            "record": serde_json::to_value(c).map_err(corrupt)?,
        });
        let top = c
            .schemes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(k, _)| k.as_str())
            .unwrap_or_default();
        self.campaigns
            .write(&[point(&c.id, "campaign", top, "", extra)], Some(1))?;
        Ok(())
    }

    fn item_point(it: &Item) -> Result<ChunkRecord, CampaignError> {
        let extra = json!({
            "bands": it.signature().map(|s| s.bands()).unwrap_or_default(),
            "ids": it.ids.iter().map(|i| i.key.clone()).collect::<Vec<_>>(),
            "campaign": it.campaign,
            "created_ms": it.created_ms,
            "record": serde_json::to_value(it).map_err(corrupt)?,
        });
        Ok(point(
            &it.id,
            "campaign_item",
            &it.scheme,
            &it.created_at,
            extra,
        ))
    }

    /// Write items as they are (bulk loading for benchmarks and tests).
    pub fn write_items(&self, items: &[Item]) -> Result<(), CampaignError> {
        let points = items
            .iter()
            .map(Self::item_point)
            .collect::<Result<Vec<_>, _>>()?;
        self.items.write(&points, Some(1))?;
        Ok(())
    }

    /// Remember a new submission, link it, and grow (or merge) campaigns.
    /// Returns the item as stored, with its campaign (if it has links).
    pub fn add(&self, new: NewItem, fp: &Fingerprint) -> Result<Item, CampaignError> {
        let _w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let lookup = self.lookup(fp, Some(&new.id))?;
        let created_ms = crate::records::parse_time_ms(&new.created_at).unwrap_or_else(now_ms);
        let mut links: Vec<Link> = lookup
            .matches
            .iter()
            .filter(|m| !m.shared.is_empty())
            .map(Match::link)
            .collect();
        let mut by_template: Vec<&Match> = lookup
            .matches
            .iter()
            .filter(|m| m.shared.is_empty())
            .collect();
        by_template.sort_by(|a, b| {
            b.similarity
                .unwrap_or(0.0)
                .total_cmp(&a.similarity.unwrap_or(0.0))
        });
        links.extend(by_template.iter().take(TEMPLATE_LINKS).map(|m| m.link()));
        // Identifier links are drawn through identifier nodes: a few suffice.
        links.truncate(TEMPLATE_LINKS * 2);
        let mut item = Item {
            id: new.id,
            channel: new.channel,
            created_at: new.created_at,
            created_ms,
            grade: new.grade,
            scheme: new.scheme,
            excerpt: new.excerpt,
            minhash: fp
                .signature
                .as_ref()
                .map(|s| s.minhash.clone())
                .unwrap_or_default(),
            shingles: fp.signature.as_ref().map_or(0, |s| s.shingles),
            ids: fp.ids.iter().map(StoredId::from).collect(),
            campaign: None,
            links,
        };
        if lookup.matches.is_empty() {
            self.write_items(std::slice::from_ref(&item))?;
            return Ok(item);
        }
        // The campaigns touched, largest first; it absorbs the others.
        let mut touched: Vec<Campaign> = Vec::new();
        let mut seen = HashSet::new();
        for m in &lookup.matches {
            if let Some(c) = &m.item.campaign
                && seen.insert(c.clone())
                && let Some(found) = self.get_campaign(c)?
            {
                touched.push(found);
            }
        }
        touched.sort_by(|a, b| b.size().cmp(&a.size()).then(a.id.cmp(&b.id)));
        let mut target = if touched.is_empty() {
            Campaign::new(crate::records::new_id('c'))
        } else {
            touched.remove(0)
        };
        let mut rewrite: Vec<Item> = Vec::new();
        for other in touched {
            let members =
                self.scroll_items(&Self::any_of("extra.campaign", vec![other.id.clone()]))?;
            for mut m in members {
                m.campaign = Some(target.id.clone());
                rewrite.push(m);
            }
            let old = other.id.clone();
            target.absorb(other);
            self.campaigns.delete_doc(&old)?;
        }
        // Linked submissions not yet in any campaign join too.
        for m in &lookup.matches {
            if m.item.campaign.is_none() {
                let mut joined = m.item.clone();
                joined.campaign = Some(target.id.clone());
                target.add(&joined);
                target.count_links(&joined.links);
                rewrite.push(joined);
            }
        }
        item.campaign = Some(target.id.clone());
        target.add(&item);
        target.count_links(&item.links);
        rewrite.push(item.clone());
        for chunk in rewrite.chunks(256) {
            self.write_items(chunk)?;
        }
        self.put_campaign(&target)?;
        Ok(item)
    }

    /// A stored submission.
    pub fn item(&self, id: &str) -> Result<Option<Item>, CampaignError> {
        Ok(self.scroll_items(&Filter::doc(id))?.pop())
    }

    /// A campaign by id.
    pub fn campaign(&self, id: &str) -> Result<Option<Campaign>, CampaignError> {
        self.get_campaign(id)
    }

    /// Every campaign of at least `min_size` members.
    pub fn campaigns(&self) -> Result<Vec<Campaign>, CampaignError> {
        let filter = Filter {
            fields: vec![FieldCondition::Range {
                key: "extra.size".into(),
                gte: Some(self.params.min_size as f64),
                lt: None,
            }],
            ..Filter::default()
        };
        self.campaigns
            .scroll(&filter, Fields::Only(&["extra.record"]), false)?
            .iter()
            .map(|p| record(&p.payload))
            .collect()
    }

    /// The members of a campaign (at most `limit`, newest first).
    pub fn members(&self, c: &Campaign, limit: usize) -> Result<Vec<Item>, CampaignError> {
        let mut order: Vec<(i64, &String)> =
            c.member_ms.iter().copied().zip(c.members.iter()).collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let ids: Vec<String> = order
            .into_iter()
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect();
        let mut items = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(512) {
            items.extend(self.scroll_items(&Filter {
                doc_ids: chunk.to_vec(),
                ..Filter::default()
            })?);
        }
        items.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(a.id.cmp(&b.id)));
        Ok(items)
    }

    /// Campaign signals for a new submission from its lookup: the template
    /// it shares and the identifiers it shares, with counts and examples.
    /// Links to fewer than `signal_min_links` earlier submissions are shown
    /// (weight 0, no scheme) but do not move the classifier or the grade.
    pub fn signals(&self, lookup: &Lookup, channel: Channel, now: i64) -> Vec<Signal> {
        campaign_signals(lookup, channel, now, &self.params)
    }
}

/// The fraud scheme most of the linked submissions were assessed as, or the
/// scheme a campaign of this shape points to: templated complaints are
/// organised complaint-proxy work, applications tied by identifiers are
/// packaged straw borrowers.
fn campaign_scheme(matches: &[&Match], channel: Channel) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in matches {
        if m.item.scheme != crate::assess::schemes::NONE {
            *counts.entry(m.item.scheme.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| match channel {
            Channel::Complaint => IPD.into(),
            Channel::Application => PDB.into(),
        })
}

fn weight(n: usize, min: usize) -> f32 {
    if n < min.max(1) {
        0.0
    } else if n >= 10 {
        0.85
    } else if n >= 4 {
        0.75
    } else {
        0.65
    }
}

fn counts_by_channel(ms: &[&Match]) -> String {
    let c = ms
        .iter()
        .filter(|m| m.item.channel == Channel::Complaint)
        .count();
    let a = ms.len() - c;
    match (c, a) {
        (c, 0) => format!("{c} 件投诉"),
        (0, a) => format!("{a} 件贷款申请"),
        (c, a) => format!("{c} 件投诉、{a} 件贷款申请"),
    }
}

fn examples(ms: &[&Match]) -> String {
    let ids: Vec<&str> = ms.iter().take(3).map(|m| m.item.id.as_str()).collect();
    ids.join("、")
}

pub fn campaign_signals(
    lookup: &Lookup,
    channel: Channel,
    now: i64,
    p: &CampaignConfig,
) -> Vec<Signal> {
    let mut out = Vec::new();
    let since = now - i64::from(p.window_days) * 86_400_000;
    let template: Vec<&Match> = lookup
        .matches
        .iter()
        .filter(|m| m.similarity.is_some())
        .collect();
    if !template.is_empty() {
        let recent: Vec<&Match> = template
            .iter()
            .copied()
            .filter(|m| m.item.created_ms >= since)
            .collect();
        let max = template
            .iter()
            .filter_map(|m| m.similarity)
            .fold(0.0f32, f32::max);
        let w = weight(template.len(), p.signal_min_links);
        out.push(Signal {
            kind: SignalKind::Campaign,
            label: format!("与{}使用同一模板", counts_by_channel(&template)),
            explanation: format!(
                "近{}天内有{}与本件文本为同一模板（共{}件，最高相似度{max:.2}），例如 {}；批量套用同一模板是代理投诉与包装申请的典型特征。",
                p.window_days,
                counts_by_channel(&recent),
                template.len(),
                examples(&template)
            ),
            span: None,
            field: Some("campaign.template".into()),
            weight: w,
            schemes: if w > 0.0 {
                vec![campaign_scheme(&template, channel)]
            } else {
                Vec::new()
            },
        });
    }
    // Per shared identifier: who else carries it.
    let mut by_id: BTreeMap<&str, (&StoredId, Vec<&Match>)> = BTreeMap::new();
    for m in &lookup.matches {
        for s in &m.shared {
            by_id
                .entry(s.key.as_str())
                .or_insert((s, Vec::new()))
                .1
                .push(m);
        }
    }
    let mut shared: Vec<(&StoredId, Vec<&Match>)> = by_id.into_values().collect();
    shared.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.key.cmp(&b.0.key)));
    for (id, ms) in shared.into_iter().take(3) {
        let linked: Vec<&Match> = lookup
            .matches
            .iter()
            .filter(|m| !m.shared.is_empty())
            .collect();
        let w = if id.kind.strong() {
            weight(ms.len(), p.signal_min_links)
        } else {
            // A weak identifier counts only with its partner, once.
            weight(ms.len(), p.signal_min_links) * 0.8
        };
        out.push(Signal {
            kind: SignalKind::Campaign,
            label: format!(
                "{} {} 与{}相同",
                id.kind.label(),
                id.masked,
                counts_by_channel(&ms)
            ),
            explanation: format!(
                "{}{}同时出现在{}中（例如 {}）；同一联系方式或主体串联多件材料，指向同一中介或团伙。",
                id.kind.label(),
                id.masked,
                counts_by_channel(&ms),
                examples(&ms)
            ),
            span: None,
            field: Some(format!("campaign.{}", id.kind.tag())),
            weight: w,
            schemes: if w > 0.0 {
                vec![campaign_scheme(&linked, channel)]
            } else {
                Vec::new()
            },
        });
    }
    out
}
