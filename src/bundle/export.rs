//! `bundle export`: the staged versions, every one meeting every threshold that governs
//! it, become trusted, and a bundle carries them (with the whole root history and the
//! current version of every other offline role) to the online repository.
//!
//! The bundle is written before the workspace changes, and the workspace changes in one
//! transaction: a crash leaves either no bundle and the workspace as before, a bundle and
//! the workspace as before (export again), or both done.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::bundle::{BundleFile, PreparedBundle};
use crate::support::fsio::write_atomic_with;
use crate::workspace::role_digest::{anchor_label, root_file_digest, root_file_name, RoleDigest};
use crate::workspace::staging::{self, refused, StageError};
use crate::workspace::status::RoleStatus;
use crate::workspace::transcript::Action;
use crate::workspace::{Workspace, WorkspaceLock};

/// Why an export was refused.
pub type ExportError = StageError;

/// What was exported.
#[derive(Debug, Clone)]
pub struct Exported {
    pub files: Vec<(String, bool)>,
    pub sha256: String,
    /// Each new root the bundle carries, as the room reads it aloud (the trust anchor).
    pub anchors: Vec<TrustAnchor>,
}

/// A new root version as the online side will trust it: the SHA-256 of the exact file
/// `N.root.json` the bundle carries (what `sha256sum` prints) and its words. Read aloud at
/// the ceremony and written on the paper record, it is what the online side checks the
/// root it trusts against (`bundle extract --trusted-root-sha256`): a stick swapped on the
/// way replaces the bundle and the root file together, never the paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    pub version: u64,
    /// `N.root.json`.
    pub file: String,
    pub digest: RoleDigest,
}

impl TrustAnchor {
    /// The anchor of the root file `bytes` of `version`.
    pub fn of(version: u64, bytes: &[u8]) -> TrustAnchor {
        TrustAnchor { version, file: root_file_name(version), digest: root_file_digest(version, bytes) }
    }

    /// "SHA-256 of the file N.root.json (the trust anchor)".
    pub fn label(&self) -> String {
        anchor_label(self.version)
    }
}

fn incomplete(s: &RoleStatus) -> String {
    // A broken rule's sentence already says what to do; signatures would not help.
    if let Some(p) = s.problems.first() {
        return format!("{} version {} breaks a rule: {p}; nothing was exported", s.role, s.version);
    }
    match s.thresholds.iter().find(|(_, r)| !r.is_met()) {
        Some((label, r)) => {
            format!("{} version {} has {} of the {} signatures needed from the keys of {label}", s.role, s.version, r.have, r.threshold)
        }
        None => format!("{} version {} is not complete", s.role, s.version),
    }
}

/// Refuses unless every staged role is complete; writes the bundle to `out`; makes the
/// staged versions trusted.
pub fn export_bundle(ws: &Workspace, lock: &WorkspaceLock, out: &Path, now: OffsetDateTime) -> Result<Exported, ExportError> {
    // `status_with_metadata` verifies the whole trusted state first: what leaves the machine
    // is built on it.
    let staged = crate::workspace::status::status_with_metadata(ws, now)?;
    if staged.is_empty() {
        return Err(refused("nothing is staged, so there is nothing to export"));
    }
    if let Some((s, _)) = staged.iter().find(|(s, _)| !s.complete()) {
        let why = incomplete(s);
        if !s.problems.is_empty() {
            return Err(refused(why));
        }
        return Err(refused(format!("{why}; collect the missing signatures before exporting")));
    }
    if let Some(p) = crate::workspace::sealed::set_problems(ws)?.first() {
        return Err(refused(format!("{p}; nothing was exported")));
    }
    let mut files = Vec::new();
    for root in staging::trusted_roots(ws)? {
        files.push(BundleFile::metadata("root", root.version(), root.to_bytes(), false));
    }
    let mut tx = ws.begin(lock)?;
    let names: Vec<String> = staged.iter().map(|(s, _)| s.role.clone()).collect();
    // Roots are written whole under their version, kept forever; other roles' files move.
    let (roots, others): (Vec<String>, Vec<String>) = names.iter().cloned().partition(|r| r == "root");
    staging::trust_staged(&mut tx, &others)?;
    staging::remove_staged(&mut tx, &roots)?;
    let mut anchors = Vec::new();
    for (status, md) in staged {
        let role = status.role;
        let mut file_sha256 = None;
        if role == "root" {
            let bytes = md.to_bytes();
            tx.write(&format!("trusted/root/{}.root.json", md.version()), &bytes)?;
            let anchor = TrustAnchor::of(md.version(), &bytes);
            file_sha256 = Some(anchor.digest.sha256.clone());
            anchors.push(anchor);
        }
        tx.record(Action {
            action: "trust".into(),
            role: Some(role.clone()),
            version: Some(md.version()),
            digest: Some(hex::encode(status.digest)),
            file_sha256,
            ..Action::default()
        })?;
        files.push(BundleFile::metadata(&role, md.version(), md.to_bytes(), true));
    }
    // The recently-claimed a staged promotion came from is now in the transcript (its stage
    // record, made trusted by the export record below); the file older versions kept goes.
    tx.remove(crate::workspace::recently_claimed::STAGED_PROMOTION_RECORD)?;
    crate::workspace::sealed::remove_summary(&mut tx)?;
    // Unchanged claimed shards stay out: the online repository has them from earlier
    // bundles, and at PyPI scale they are hundreds of megabytes (docs/claimed-layout.md).
    let unchanged = |r: &String| !names.contains(r) && crate::pypi::claimed::shard_key_of(r).is_none();
    for role in staging::trusted_roles(ws)?.into_iter().filter(unchanged) {
        if let Some(md) = staging::trusted(ws, &role)? {
            files.push(BundleFile::metadata(&role, md.version(), md.to_bytes(), false));
        }
    }
    tx.record(Action {
        action: "bundle-export".into(),
        detail: Some(format!("{} files to {}", files.len(), out.display())),
        ..Action::default()
    })?;
    let transcript = tx.read("transcript.jsonl")?.unwrap_or_default();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::support::fsio::sweep_temporaries(dir);
    }
    let bundle = PreparedBundle::new(&files, &transcript).map_err(|e| refused(format!("the bundle cannot be written: {e}")))?;
    // Written as it is made, and hashed as it is written (the digest people compare): a
    // promotion's bundle is 35 MB, and building it in memory first would hold it twice.
    let mut sha256 = String::new();
    write_atomic_with(out, |file| {
        let mut hashing = Hashing { out: std::io::BufWriter::with_capacity(1 << 20, file), digest: Sha256::new() };
        bundle.write_to(&mut hashing).map_err(|e| std::io::Error::other(e.to_string()))?;
        hashing.out.flush()?;
        sha256 = hex::encode(hashing.digest.finalize());
        crate::support::failpoint::hit("export-bundle-unrenamed");
        Ok::<(), std::io::Error>(())
    })
    .map_err(|e| refused(format!("cannot write {}: {e}; nothing was exported", out.display())))?;
    crate::support::failpoint::hit("export-bundle-renamed");
    // After the bundle's own transcript was closed: a file cannot hold its own digest. The
    // ceremony's report shows this name and digest for people to compare with the stick.
    tx.record(Action {
        action: "bundle-written".into(),
        digest: Some(sha256.clone()),
        detail: Some(out.display().to_string()),
        ..Action::default()
    })?;
    tx.commit()?;
    Ok(Exported { files: files.iter().map(|f| (f.path.clone(), f.new)).collect(), sha256, anchors })
}

/// A writer that hashes what it passes on.
struct Hashing<W> {
    out: W,
    digest: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
