//! The label set: one scheme per pattern card in the knowledge base.
//!
//! Labels are data. The classifier asks the store for the pattern cards
//! (`kind = pattern`, `doc_id` = scheme id) each time the knowledge base
//! changes, so a curator's new card becomes a label without code changes.
//! `none` (legitimate) is always present, card or not.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::store::{Fields, Filter, StoreError, VectorStore};

/// The label of a legitimate complaint or application.
pub const NONE: &str = "none";

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scheme {
    pub id: String,
    /// Display name (the card's `name_zh`, else its title).
    pub name: String,
    /// `complaint`, `application` or both.
    pub applies_to: Vec<String>,
    /// The card's advice per grade (`red`, `yellow`, `green`).
    pub grade_hints: BTreeMap<String, String>,
    /// The card's advice per submitter role (`victim`, `participant`,
    /// `intermediary`).
    pub role_hints: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchemeSet {
    /// Sorted by id, `none` included.
    pub schemes: Vec<Scheme>,
}

impl SchemeSet {
    /// Read the pattern cards from the store.
    pub fn load(store: &dyn VectorStore) -> Result<Self, StoreError> {
        let filter = Filter {
            kinds: vec!["pattern".into()],
            ..Filter::default()
        };
        let mut by_id: BTreeMap<String, Scheme> = BTreeMap::new();
        for p in store.scroll(&filter, Fields::Only(&["doc_id", "title", "extra"]), false)? {
            let Some(id) = p.payload.get("doc_id").and_then(Value::as_str) else {
                continue;
            };
            if by_id.contains_key(id) {
                continue;
            }
            let extra = p.payload.get("extra").cloned().unwrap_or(Value::Null);
            let title = p.payload.get("title").and_then(Value::as_str).unwrap_or(id);
            let name = extra
                .get("name_zh")
                .and_then(Value::as_str)
                .unwrap_or(title)
                .to_string();
            let applies_to = match extra.get("applies_to") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect(),
                _ => vec!["complaint".into(), "application".into()],
            };
            let hints = |key: &str| match extra.get(key) {
                Some(Value::Object(m)) => m
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect(),
                _ => BTreeMap::new(),
            };
            let grade_hints = hints("grade_hints");
            let role_hints = hints("role_hints");
            by_id.insert(
                id.to_string(),
                Scheme {
                    id: id.to_string(),
                    name,
                    applies_to,
                    grade_hints,
                    role_hints,
                },
            );
        }
        by_id.entry(NONE.to_string()).or_insert_with(|| Scheme {
            id: NONE.into(),
            name: "正常诉求".into(),
            applies_to: vec!["complaint".into(), "application".into()],
            grade_hints: BTreeMap::new(),
            role_hints: BTreeMap::new(),
        });
        Ok(Self {
            schemes: by_id.into_values().collect(),
        })
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.schemes.iter().map(|s| s.id.as_str())
    }

    pub fn get(&self, id: &str) -> Option<&Scheme> {
        self.schemes.iter().find(|s| s.id == id)
    }

    pub fn index(&self, id: &str) -> Option<usize> {
        self.schemes.iter().position(|s| s.id == id)
    }

    pub fn len(&self) -> usize {
        self.schemes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.schemes.is_empty()
    }
}
