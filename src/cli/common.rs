//! What every command shares: the refusal and its exit status, JSON output, opening the
//! workspace, and the lines several screens print the same way.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::args::Global;
use crate::tuf::metadata::Metadata;
use crate::workspace::role_digest::RoleDigest;
use crate::workspace::staging::StageError;
use crate::workspace::{Workspace, WorkspaceError};

/// A refusal: the exit status and one plain sentence for stderr (never a secret).
#[derive(Debug)]
pub struct Refusal {
    pub code: u8,
    pub message: String,
}

impl Refusal {
    /// 1: a check found a problem.
    pub fn failed(message: impl Into<String>) -> Refusal {
        Refusal { code: 1, message: message.into() }
    }
    /// 2: bad usage or unreadable input.
    pub fn unusable(message: impl Into<String>) -> Refusal {
        Refusal { code: 2, message: message.into() }
    }
}

/// Set once a command printed its JSON document, so a refusal after it adds no second one.
pub(super) static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

pub(crate) fn print_json(value: &serde_json::Value) {
    JSON_PRINTED.store(true, Ordering::Relaxed);
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// Root metadata files named on the command line.
pub(super) fn read_metadata(files: &[PathBuf]) -> Result<Vec<Metadata>, Refusal> {
    files.iter().map(|f| Metadata::from_file(f).map_err(|e| Refusal::unusable(format!("{e}; give TUF root metadata files")))).collect()
}

pub(crate) fn workspace_dir(global: &Global) -> PathBuf {
    global.workspace.clone().unwrap_or_else(|| PathBuf::from("."))
}

pub(crate) fn refuse(e: WorkspaceError) -> Refusal {
    match e {
        WorkspaceError::Io(..)
        | WorkspaceError::NotAWorkspace(_)
        | WorkspaceError::Holder { .. }
        | WorkspaceError::CopiedWithoutLinks(..)
        | WorkspaceError::UnsupportedFileSystem(..) => Refusal::unusable(e.to_string()),
        _ => Refusal::failed(e.to_string()),
    }
}

pub(crate) fn open(global: &Global) -> Result<Workspace, Refusal> {
    Workspace::open(&workspace_dir(global)).map_err(refuse)
}

pub(crate) fn refuse_stage(e: StageError) -> Refusal {
    match e {
        StageError::Workspace(w) => refuse(w),
        StageError::Corrupt { .. } => Refusal::unusable(e.to_string()),
        other => Refusal::failed(other.to_string()),
    }
}

/// The digest a holder reads aloud, as staging and `sign` print it: which bytes it covers,
/// the hex and the words (the same words for the same bytes on every screen and in the report).
pub(super) fn digest_lines(d: &RoleDigest) -> String {
    format!("  digest of {}:\n    sha256 {}\n  read aloud and compare: {}\n", d.label, d.sha256, d.spoken())
}

/// When the full lists a review names are written: `ceremony review` writes them at once;
/// `sign` only once the holder has confirmed, so that a refused `sign` leaves nothing behind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ListsWritten {
    Now,
    OnConfirm,
}

/// A review's lines for the screen: indented under the role's heading, except warnings,
/// which start at the margin so that nobody reads past them.
pub(super) fn review_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        let indent = if line.starts_with("WARNING:") { "" } else { "  " };
        out.push_str(&format!("{indent}{line}\n"));
    }
    out
}
