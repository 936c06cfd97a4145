/// A file that breaks a rule of PyPI's layout (PEP 458/480, docs/claimed-layout.md); the
/// sentence says which rule and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LayoutError(pub String);

/// A refusal with its reason.
pub fn refused(msg: impl Into<String>) -> LayoutError {
    LayoutError(msg.into())
}
