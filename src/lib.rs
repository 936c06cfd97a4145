//! Ceremony: offline TUF key ceremonies for PyPI (PEP 458 / PEP 480) and any TUF
//! repository with offline keys.
//!
//! The library holds every rule; the `ceremony` binary only parses arguments, prompts and
//! prints. Where a rule lives:
//! - [`canonical`]: the canonical JSON that signatures are made over.
//! - [`datetime`]: metadata times and durations.
//! - [`key`]: key objects, keyids, signature verification per scheme.
//! - [`metadata`]: the signed envelope and typed views of root, targets, snapshot, timestamp.
//! - [`verify`]: threshold counting (distinct keys, placeholders, duplicates).
//! - [`chain`]: the root-chain rules (version + 1, old and new thresholds).
//! - [`signer`]: things that make signatures (in-memory keys, passphrase-derived keys).
//! - [`secret`]: passphrases and PINs in memory (zeroized, redacted) and from files.
//! - [`bundle`]: the tar archive a ceremony exports: writing, hostile reading, verifying.
//! - [`bundle_extract`]: a verified bundle's files written out, for the online side.
//! - [`report`]: the printable ceremony record (HTML for A4).
//! - [`ceremonies`]: which transcript records make up each ceremony; `ceremony begin`/`end`.
//! - [`ceremony_report`]: the printable record of one ceremony.
//! - [`preflight`]: checks of the machine and the workspace before a ceremony.
//! - [`buildinfo`]: version, target, profile and the running binary's SHA-256.
#![forbid(unsafe_code)]

pub mod attestation;
pub mod build;
pub mod buildinfo;
pub mod bundle;
pub mod bundle_extract;
pub mod canonical;
pub mod ceremonies;
pub mod ceremony_report;
pub mod chain;
pub mod claimed;
pub mod claimed_state;
pub mod collected;
pub mod cli;
pub mod demo;
pub mod datetime;
pub mod exclusive_keys;
pub mod export;
pub mod fsio;
pub mod holder;
pub mod hygiene;
pub mod jsonview;
pub mod key;
pub mod layout;
pub mod metadata;
pub mod pack;
pub mod par;
pub mod pep480;
pub mod policy;
pub mod project;
pub mod project_scan;
pub mod promotion_review;
pub mod preflight;
pub mod promotion;
pub mod propose;
pub mod recently_claimed;
pub mod report;
pub mod review;
pub mod roles;
pub mod role_digest;
pub mod sealed;
pub mod secret;
pub mod signer;
pub mod signing;
pub mod staging;
pub mod status;
pub mod transcript;
pub mod verify;
pub mod wire;
pub mod workspace;
