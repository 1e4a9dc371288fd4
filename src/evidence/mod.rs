//! The evidence chain (证据链) for the legal team: the facts a case rests on
//! (parties, amounts, dates, channels, documents, contact details), and — as
//! more submodules arrive — the doubts raised against them, the citations
//! that tie every claim to its source, and the report built from them.
//!
//! - `facts`: facts found in the text, PII masked;
//! - `chain`: doubts tied to facts and knowledge-base citations;
//! - `draft`: prompt, id whitelist and streaming sentence filter that keep
//!   the LLM-drafted narrative grounded in what was retrieved;
//! - `report`: the legal team's report (JSON with a SHA-256 over a canonical
//!   form, Markdown, print-ready HTML).
//!
//! Complaint texts are personal data: everything here that can leave the
//! process (fact values, quoted spans) has phone, ID, account and contact
//! numbers masked.

pub mod chain;
pub mod draft;
pub mod facts;
pub mod report;

pub use chain::{Doubt, Evidence, build};
