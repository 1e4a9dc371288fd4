//! Campaign detection (issue 6, in progress): the campaign behind a single
//! harmless-looking complaint — many submissions from one script, or tied
//! together by the same agent's phone, account or employer.
//!
//! So far: `template`, near-duplicate signatures of texts with band keys
//! for lookup; `identifiers`, contact details and agent names extracted,
//! normalised and kept only as keyed hashes. The per-assessment lookup,
//! incremental clustering and the campaign API are to come.

pub mod identifiers;
pub mod template;
