//! caseguard: offline triage of complaints and loan applications for
//! organised financial fraud (金融黑灰产).
//!
//! Layers, dependencies pointing down only:
//! `services` (models behind worker threads) → `embed`, `llm` (the engines)
//! → `quant` (our Q8_0 kernel) → candle / tokenizers. `config` is read by all; `worker` is generic.

/// Complaint/application → normalised text, fraud signals, cross-checks.
pub mod api;
pub mod assess;
pub mod campaign;
pub mod config;
pub mod embed;
/// The evidence chain for the legal team: facts, doubts, citations, report.
pub mod evidence;
pub mod kb;
pub mod llm;
pub mod models;
pub mod quant;
pub mod records;
pub mod services;
pub mod store;
pub mod worker;
