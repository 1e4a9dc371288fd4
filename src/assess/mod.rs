//! Assessment: turns a complaint (客诉) or a loan application (贷款申请)
//! into signals, retrieval, a classification and a red/yellow/green grade.
//!
//! The model-free parts live here first: `normalize` (a matching form of the
//! text that maps back to the customer's own words), `applicant` (the
//! structured fields of an application) and `signals` (slang, text cues and
//! cross-checks with their evidence spans). Retrieval, classification and
//! grading build on them.

pub mod applicant;
pub mod classify;
pub mod eval;
pub mod grade;
pub mod learn;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod role;
pub mod rolecues;
pub mod schemes;
pub mod signals;
pub mod soundalike;
