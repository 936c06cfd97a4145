//! A verified bundle checked against what the online repository already publishes
//! (`bundle extract --published DIR`), so that an older genuine bundle handed over after a
//! newer one was imported is refused instead of published.
//!
//! An older bundle verifies: its signatures were good, its roles are unexpired, and its
//! roots chain from the root the online side trusts. What makes it wrong is only what the
//! repository has published since. So every role the bundle carries must be newer than the
//! version published, or that very version byte for byte (already published: a role a
//! bundle carries along unchanged); and the bundle's root history must extend the published
//! one: the newest published root is in it, and every published root it also holds is the
//! same file.
//!
//! DIR is the repository's metadata directory as `docs/online-import.md` lays it out: each
//! version as `VERSION.ROLE.json` (every root, and every targets-type role under consistent
//! snapshots), and perhaps `ROLE.json` (`root.json`, `timestamp.json`, or targets-type roles
//! without consistent snapshots), whose version is read from the file. Only the roles the
//! bundle carries are looked at: PyPI's directory holds a file per project role.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bundle::{parse_member_name, Bundle, MemberName};
use crate::tuf::limits::{read_limited, MAX_METADATA_FILE};
use crate::tuf::metadata::{is_sane_role_name, Metadata};

/// Where a file of the bundle stands against the published repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// A version the repository has not published: publish it.
    New,
    /// The very file the repository publishes at this version: nothing to do.
    AlreadyPublished,
}

/// One metadata file of the bundle and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileStanding {
    /// The bundle member, `metadata/VERSION.ROLE.json`.
    pub path: String,
    pub role: String,
    pub version: u64,
    pub standing: Standing,
}

/// Why a bundle may not be published over what the repository publishes.
#[derive(Debug, thiserror::Error)]
pub enum PublishedError {
    #[error("cannot read the published metadata directory {path}: {source}; give --published the repository's metadata directory (an empty one before the first import)")]
    Unreadable { path: String, source: std::io::Error },
    #[error("the published file {path} cannot be read as metadata ({why}), so what the repository publishes is unknown; fix or remove it and run this again")]
    BadFile { path: String, why: String },
    #[error("the bundle carries {role} version {version}, but the repository already publishes version {published}, so this is an older bundle handed over again (a replay); do not import it")]
    OlderVersion { role: String, version: u64, published: u64 },
    #[error("the bundle carries {role} version {version}, but the published {path} is another file with the same version: do not import it, and ask the ceremony's administrators which one they signed")]
    SameVersionDiffers { role: String, version: u64, path: String },
    #[error("the bundle's newest root is version {newest}, but the repository already publishes root version {published}, so this is an older bundle handed over again (a replay); do not import it")]
    OlderRoot { newest: u64, published: u64 },
    #[error("the bundle's root history starts at version {first}, after the repository's newest published root version {published}: it does not extend the published root chain; do not import it")]
    RootGap { first: u64, published: u64 },
    #[error("the bundle's root version {version} is not the published {path}: its root history does not extend the published one; do not import it")]
    RootDiffers { version: u64, path: String },
}

/// The published files of one role: each `VERSION.ROLE.json`, and `ROLE.json` with the
/// version it holds.
#[derive(Debug, Default)]
struct PublishedRole {
    versions: BTreeMap<u64, Vec<PathBuf>>,
}

impl PublishedRole {
    fn newest(&self) -> Option<u64> {
        self.versions.keys().next_back().copied()
    }
}

/// What a directory entry's name says: `(Some(version), role)` for `VERSION.ROLE.json`,
/// `(None, role)` for `ROLE.json`; None for anything else.
fn published_name(name: &str) -> Option<(Option<u64>, &str)> {
    let stem = name.strip_suffix(".json")?;
    if let Some((digits, role)) = stem.split_once('.') {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let version = digits.parse().ok()?;
            return is_sane_role_name(role).then_some((Some(version), role));
        }
    }
    is_sane_role_name(stem).then_some((None, stem))
}

fn read(path: &Path) -> Result<Vec<u8>, PublishedError> {
    read_limited(path, MAX_METADATA_FILE).map_err(|e| PublishedError::BadFile { path: path.display().to_string(), why: e.to_string() })
}

/// The published files of the roles in `wanted`, from `dir`.
fn scan(dir: &Path, wanted: &BTreeSet<&str>) -> Result<BTreeMap<String, PublishedRole>, PublishedError> {
    let unreadable = |source| PublishedError::Unreadable { path: dir.display().to_string(), source };
    let mut out: BTreeMap<String, PublishedRole> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name();
        let Some((version, role)) = name.to_str().and_then(published_name) else { continue };
        if !wanted.contains(role) {
            continue;
        }
        let path = entry.path();
        let version = match version {
            Some(v) => v,
            // `ROLE.json` says its version only inside.
            None => {
                let bytes = read(&path)?;
                let md = Metadata::from_vec(bytes)
                    .map_err(|e| PublishedError::BadFile { path: path.display().to_string(), why: e.to_string() })?;
                md.version()
            }
        };
        out.entry(role.to_string()).or_default().versions.entry(version).or_default().push(path);
    }
    Ok(out)
}

/// The published file of `version` that differs from `bytes`, if any.
fn differing(published: &PublishedRole, version: u64, bytes: &[u8]) -> Result<Option<PathBuf>, PublishedError> {
    for path in published.versions.get(&version).into_iter().flatten() {
        if read(path)? != bytes {
            return Ok(Some(path.clone()));
        }
    }
    Ok(None)
}

/// Checks `bundle` (verified already) against the repository's metadata directory `dir`;
/// returns each metadata file of the bundle, in archive order, with where it stands.
pub fn check_published(bundle: &Bundle, dir: &Path) -> Result<Vec<FileStanding>, PublishedError> {
    let mut carried: Vec<FileStanding> = Vec::new();
    for f in &bundle.manifest.files {
        if let Ok(MemberName::Metadata { version, role }) = parse_member_name(f.path.as_bytes()) {
            carried.push(FileStanding { path: f.path.clone(), role, version, standing: Standing::New });
        }
    }
    let wanted: BTreeSet<&str> = carried.iter().map(|f| f.role.as_str()).collect();
    let published = scan(dir, &wanted)?;
    let empty = PublishedRole::default();
    check_roots(bundle, &carried, published.get("root").unwrap_or(&empty))?;
    for f in &mut carried {
        let Some(role) = published.get(&f.role) else { continue };
        let Some(newest) = role.newest() else { continue };
        let bytes = bundle.files.get(&f.path).map(Vec::as_slice).unwrap_or_default();
        if f.role == "root" {
            if role.versions.contains_key(&f.version) {
                f.standing = Standing::AlreadyPublished;
            }
            continue;
        }
        if f.version < newest {
            return Err(PublishedError::OlderVersion { role: f.role.clone(), version: f.version, published: newest });
        }
        if f.version == newest {
            if let Some(path) = differing(role, f.version, bytes)? {
                return Err(PublishedError::SameVersionDiffers {
                    role: f.role.clone(),
                    version: f.version,
                    path: path.display().to_string(),
                });
            }
            f.standing = Standing::AlreadyPublished;
        }
    }
    Ok(carried)
}

/// The bundle's root history must hold the newest published root, and every published root
/// it also holds must be the same file.
fn check_roots(bundle: &Bundle, carried: &[FileStanding], published: &PublishedRole) -> Result<(), PublishedError> {
    let Some(newest_published) = published.newest() else { return Ok(()) };
    let roots: Vec<&FileStanding> = carried.iter().filter(|f| f.role == "root").collect();
    let (Some(first), Some(newest)) = (roots.iter().map(|f| f.version).min(), roots.iter().map(|f| f.version).max()) else {
        return Ok(());
    };
    if newest < newest_published {
        return Err(PublishedError::OlderRoot { newest, published: newest_published });
    }
    if first > newest_published {
        return Err(PublishedError::RootGap { first, published: newest_published });
    }
    for f in roots {
        let bytes = bundle.files.get(&f.path).map(Vec::as_slice).unwrap_or_default();
        if let Some(path) = differing(published, f.version, bytes)? {
            return Err(PublishedError::RootDiffers { version: f.version, path: path.display().to_string() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_names() {
        assert_eq!(published_name("3.targets.json"), Some((Some(3), "targets")));
        assert_eq!(published_name("2.claimed.d.json"), Some((Some(2), "claimed.d")));
        assert_eq!(published_name("root.json"), Some((None, "root")));
        assert_eq!(published_name("claimed.d.json"), Some((None, "claimed.d")));
        assert_eq!(published_name("3d-lib.json"), Some((None, "3d-lib")));
        assert_eq!(published_name("notes.txt"), None);
        assert_eq!(published_name("1..json"), None);
        assert_eq!(published_name(".json"), None);
    }
}
