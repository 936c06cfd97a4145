//! PyPI's repository layout (PEP 458 and PEP 480) over the TUF rules (layer 2).
//!
//! The role names and target paths ([`roles`]), project names and their patterns
//! ([`project`]), the project delegations of `recently-claimed` and the claimed shards read
//! and validated one by one ([`pep480`], with the one-pass reader [`project_scan`]), and the
//! sealed, sharded `claimed` role ([`claimed`], docs/claimed-layout.md). Everything here is
//! a function of the files given to it: which files a workspace holds is the layer above's
//! business.
//!
//! May use: [`crate::tuf`], [`crate::support`]; not [`crate::keys`] beside it.

pub mod claimed;
pub mod pep480;
pub mod project;
pub mod project_scan;
pub mod roles;

/// A file that breaks a rule of PyPI's layout (PEP 458/480, docs/claimed-layout.md); the
/// sentence says which rule and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LayoutError(pub String);

/// A refusal with its reason.
pub fn refused(msg: impl Into<String>) -> LayoutError {
    LayoutError(msg.into())
}
