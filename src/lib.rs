//! Ceremony: offline TUF key ceremonies for PyPI (PEP 458 / PEP 480) and any TUF
//! repository with offline keys.
//!
//! The library holds every rule; the `ceremony` binary only parses arguments, prompts and
//! prints. The modules are layers, and a module uses only its own layer's earlier modules
//! and the layers below it (docs/architecture.md; `tests/architecture.rs` checks it):
//!
//! 1. [`tuf`]: the TUF rules (canonical JSON, keys, metadata, thresholds, the root chain);
//!    [`support`]: atomic files, parallel work, process hygiene, secrets.
//! 2. [`pypi`]: PyPI's PEP 458/480 layout; [`keys`]: keyholders and signers.
//! 3. [`workspace`]: the ceremony workspace and its transactions: staging, policy,
//!    proposals, promotion, signing, the transcript, reviews.
//! 4. [`bundle`]: export, verify, extract, pack; [`audit`]: preflight and the reports.
//! 5. [`demo`] and [`cli`]: the simulated ceremony and the command line.
#![forbid(unsafe_code)]

pub use ceremony_tuf as tuf;
pub mod audit;
pub mod bundle;
pub mod cli;
pub mod demo;
pub mod keys;
pub mod pypi;
pub mod support;
pub mod workspace;
