//! The evidence chain (证据链) for the legal team: the facts a case rests on
//! (parties, amounts, dates, channels, documents, contact details), and — as
//! more submodules arrive — the doubts raised against them, the citations
//! that tie every claim to its source, and the report built from them.
//!
//! Complaint texts are personal data: everything here that can leave the
//! process (fact values, quoted spans) has phone, ID, account and contact
//! numbers masked.

pub mod chain;
pub mod facts;

pub use chain::{Doubt, Evidence, build};
