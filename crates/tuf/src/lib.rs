//! ceremony-tuf: the TUF rules, and nothing of PyPI or of the ceremony (layer 1, the bottom
//! of Ceremony; the `ceremony` crate re-exports it as `ceremony::tuf`).
//!
//! What a client of the TUF specification enforces on the files we write: canonical JSON
//! (the bytes signatures cover), keys and keyids, the signed envelope and typed views of
//! root, targets, snapshot and timestamp, threshold counting over distinct keys, the root
//! chain, and metadata times. Everything here works on bytes and values given to it: no file
//! but the one [`metadata::Metadata::from_file`] is asked to read, no workspace, no prompt.
//!
//! A crate of its own so that the compiler keeps it so: it cannot name anything of the
//! layers above it. Everything above may use it.

#![forbid(unsafe_code)]

pub mod build;
pub mod canonical;
pub mod chain;
pub mod datetime;
pub mod jsonview;
pub mod key;
pub mod limits;
pub mod metadata;
pub mod verify;
pub mod wire;
