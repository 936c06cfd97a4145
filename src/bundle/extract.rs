//! `ceremony bundle extract`: a bundle's files written into a directory, only after the
//! bundle verified, so the online side never runs `tar -x` on a hostile archive.
//!
//! `tar -x` interprets what [`crate::bundle::read_bundle`] refuses (ustar prefixes, PAX and
//! GNU long names, links), so a bundle verified by Ceremony and unpacked by tar could put
//! other files, or files elsewhere, than the ones verified. Here the bytes written are the
//! bytes verified, under names [`crate::bundle::parse_member_name`] accepted.

use std::path::{Path, PathBuf};

use crate::bundle::{Bundle, BundleReport, MANIFEST, TRANSCRIPT};
use crate::support::fsio::write_atomic;

/// Why a bundle's files were not written.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the bundle does not verify, so nothing was written: {0}")]
    NotVerified(String),
    #[error("{0} is not an empty directory; give --out a new or empty directory")]
    NotEmpty(String),
    #[error("cannot write {path}: {source}; nothing of the bundle was left there")]
    Io { path: String, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExtractError + '_ {
    move |source| ExtractError::Io { path: path.display().to_string(), source }
}

/// Writes every member of `bundle` (`manifest.json`, `metadata/*.json`, `transcript.jsonl`)
/// into `dir`, which must be absent or empty, each file atomically. Refuses unless `report`
/// (from [`crate::bundle::verify_bundle`] on this bundle) says it verifies. Returns the
/// member names written, in archive order. On a failed write the files already written
/// are removed again.
pub fn extract_verified(bundle: &Bundle, report: &BundleReport, dir: &Path) -> Result<Vec<String>, ExtractError> {
    if !report.ok {
        return Err(ExtractError::NotVerified(report.first_problem().unwrap_or_else(|| "it does not verify".into())));
    }
    prepare_empty(dir)?;
    let mut members: Vec<(&str, &[u8])> = vec![(MANIFEST, &bundle.manifest_bytes)];
    for f in &bundle.manifest.files {
        let bytes = if f.path == TRANSCRIPT { Some(&bundle.transcript) } else { bundle.files.get(&f.path) };
        if let Some(bytes) = bytes {
            members.push((f.path.as_str(), bytes));
        }
    }
    let mut written: Vec<PathBuf> = Vec::with_capacity(members.len());
    for (name, bytes) in &members {
        if let Err(e) = write_member(dir, name, bytes, &mut written) {
            undo(dir, &written);
            return Err(e);
        }
    }
    Ok(members.iter().map(|(n, _)| n.to_string()).collect())
}

/// Makes `dir` if it is absent; refuses it if it holds anything.
fn prepare_empty(dir: &Path) -> Result<(), ExtractError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(ExtractError::NotEmpty(dir.display().to_string())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir).map_err(io(dir)),
        Err(e) => Err(io(dir)(e)),
    }
}

fn write_member(dir: &Path, name: &str, bytes: &[u8], written: &mut Vec<PathBuf>) -> Result<(), ExtractError> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        if !parent.exists() {
            std::fs::create_dir(parent).map_err(io(parent))?;
            written.push(parent.to_path_buf());
        }
    }
    write_atomic(&path, bytes).map_err(io(&path))?;
    written.push(path);
    Ok(())
}

/// Removes what a failed extraction wrote, newest first (files, then the folder made for them).
fn undo(dir: &Path, written: &[PathBuf]) {
    for p in written.iter().rev() {
        let _ = if p.is_dir() { std::fs::remove_dir(p) } else { std::fs::remove_file(p) };
    }
    let _ = crate::support::fsio::fsync_dir(dir);
}
