//! Workspace packs: one archive that carries a workspace between machines and across file
//! systems that cannot hold its links (FAT and exFAT USB sticks, zips, Windows).
//!
//! A pack is a deterministic ustar archive written like a bundle (`src/bundle/mod.rs`):
//! `manifest.json` first, then `state/PATH` for every file of the current state, sorted.
//! The manifest lists each file's SHA-256 and length and the transcript's head. Unpacking
//! reads the archive with the bundle's hostile-input rules, checks every file against the
//! manifest and the transcript's chain against its head, and only then writes the new
//! workspace, under a temporary name renamed into place at the end.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::bundle::{self, hex_sha256, is_hex64, BundleError, Limits};
use crate::support::fsio::{fsync_dir, write_atomic_with};
use crate::workspace::transcript::{self, TranscriptError};
use crate::workspace::{Workspace, WorkspaceError};

/// `manifest.json`'s `format`.
pub const FORMAT: &str = "ceremony-workspace-pack";
/// The one `format_version` this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;
const MANIFEST: &str = "manifest.json";
const STATE: &str = "state/";
const TRANSCRIPT: &str = "transcript.jsonl";
/// The longest member name: the ustar name field. The reader refuses a non-empty prefix
/// field (`bundle::check_plain_header`), so a longer name would make a pack nobody can unpack.
const MAX_NAME: usize = 100;

/// `manifest.json` of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackManifest {
    pub format: String,
    pub format_version: u64,
    pub tool: String,
    /// Every member other than the manifest, in archive order.
    pub files: Vec<PackFile>,
    pub transcript: bundle::TranscriptHead,
}

/// One state file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    pub path: String,
    pub sha256: String,
    pub length: u64,
}

/// Why a pack could not be written or unpacked.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{0}")]
    Workspace(#[from] WorkspaceError),
    #[error("cannot write {0}: {1}")]
    Write(String, String),
    #[error("cannot read {0}: {1}; give the path of a file `ceremony workspace pack` wrote")]
    Read(String, String),
    /// The archive is not a pack this build accepts; the text says why.
    #[error("{0} is not a usable workspace pack: {1}; nothing was written. Ask for a fresh copy of the pack")]
    Refused(String, String),
    #[error("{0} already exists and is not empty; unpack into a new or empty directory")]
    NotEmpty(String),
    #[error("cannot create the workspace {0}: {1}; nothing was left behind")]
    Create(String, String),
}

/// Whether `name` may be a state file's path in a pack: plain names of letters, digits and
/// `@ . _ - +`, none hidden, so a pack can place nothing outside its state.
fn is_state_path(rel: &str) -> bool {
    !rel.is_empty()
        && STATE.len() + rel.len() <= MAX_NAME
        && rel
            .split('/')
            .all(|c| !c.is_empty() && !c.starts_with('.') && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"@._-+".contains(&b)))
}

fn check_name(raw: &[u8]) -> Result<(), BundleError> {
    let name = std::str::from_utf8(raw).map_err(|_| BundleError::NameNotUtf8)?;
    match name.strip_prefix(STATE) {
        _ if name == MANIFEST => Ok(()),
        Some(rel) if is_state_path(rel) => Ok(()),
        _ => Err(BundleError::Malformed(format!(
            "the member {:?} is not one a pack may hold (manifest.json or state/PATH with plain names)",
            name.chars().take(120).collect::<String>()
        ))),
    }
}

/// Writes a pack of the workspace's current state to `out`, atomically.
pub fn pack(ws: &Workspace, out: &Path) -> Result<PackManifest, PackError> {
    let files = ws.state_files()?;
    if let Some(bad) = files.keys().find(|rel| !is_state_path(rel)) {
        return Err(WorkspaceError::Corrupt(bad.clone(), "a workspace holds no file of that name".into()).into());
    }
    let manifest = manifest_of(&files)?;
    let manifest_bytes = crate::tuf::canonical::to_canonical(&manifest).map_err(|e| PackError::Write(MANIFEST.into(), e.to_string()))?;
    let failed = |e: &dyn std::fmt::Display| PackError::Write(out.display().to_string(), e.to_string());
    write_atomic_with(out, |file| {
        let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
        let mut append = |path: &str, bytes: &[u8]| -> Result<(), PackError> {
            let header = bundle::header(path, bytes.len() as u64).map_err(|e| failed(&e))?;
            builder.append(&header, bytes).map_err(|e| failed(&e))
        };
        append(MANIFEST, &manifest_bytes)?;
        for (rel, bytes) in &files {
            append(&format!("{STATE}{rel}"), bytes)?;
        }
        let buffered = builder.into_inner().map_err(|e| failed(&e))?;
        buffered.into_inner().map(drop).map_err(|e| failed(&e.error()))
    })
    .map_err(|e| match e {
        // Errors of the temporary file and the rename come without the path.
        PackError::Workspace(WorkspaceError::Io(_, io)) => failed(&io),
        other => other,
    })?;
    Ok(manifest)
}

/// The manifest of a state's files; the transcript must verify and hold a record.
fn manifest_of(files: &BTreeMap<String, Vec<u8>>) -> Result<PackManifest, PackError> {
    let records =
        transcript::read_bytes(files.get(TRANSCRIPT).map_or(&[][..], |t| t.as_slice())).map_err(|e| PackError::Workspace(e.into()))?;
    if records.is_empty() {
        return Err(WorkspaceError::Transcript(TranscriptError::Empty).into());
    }
    let head = transcript::head(&records);
    Ok(PackManifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        tool: format!("ceremony {}", env!("CARGO_PKG_VERSION")),
        files: files
            .iter()
            .map(|(rel, b)| PackFile { path: format!("{STATE}{rel}"), sha256: hex_sha256(b), length: b.len() as u64 })
            .collect(),
        transcript: bundle::TranscriptHead { records: head.records, head: head.hash },
    })
}

impl From<std::io::Error> for PackError {
    fn from(e: std::io::Error) -> PackError {
        PackError::Workspace(WorkspaceError::Io(String::new(), e))
    }
}

/// Reads a pack from an untrusted source and checks it whole: every member listed with its
/// digest and length, nothing unlisted, the transcript's chain intact up to the listed head.
/// Returns the state files by their path below the state.
pub fn read_pack(reader: impl Read) -> Result<(PackManifest, BTreeMap<String, Vec<u8>>), String> {
    // The bundle's words ("the bundle member ...") describe this archive too.
    let text = |e: BundleError| e.to_string().replace("bundle", "pack");
    let mut members = bundle::read_members(reader, &Limits::default(), check_name).map_err(text)?;
    let raw = members.remove(MANIFEST).ok_or("it has no manifest.json")?;
    // As strict as a bundle's manifest: duplicate keys, floats and deep nesting are refused.
    crate::tuf::canonical::canonicalize(&raw).map_err(|e| format!("its manifest.json is malformed: {e}"))?;
    let manifest: PackManifest = serde_json::from_slice(&raw).map_err(|e| format!("its manifest.json is malformed: {e}"))?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(format!(
            "its manifest names the format {} version {}, not {FORMAT} version {FORMAT_VERSION}",
            manifest.format, manifest.format_version
        ));
    }
    let mut files = BTreeMap::new();
    for listed in &manifest.files {
        let bytes = members.remove(&listed.path).ok_or_else(|| format!("the manifest lists {:?}, which it does not hold", listed.path))?;
        if !is_hex64(&listed.sha256) || hex_sha256(&bytes) != listed.sha256 || bytes.len() as u64 != listed.length {
            return Err(format!("{:?} does not match the SHA-256 and length its manifest lists", listed.path));
        }
        let rel = listed.path.strip_prefix(STATE).unwrap_or(&listed.path).to_string();
        if files.insert(rel, bytes).is_some() {
            return Err(format!("the manifest lists {:?} twice", listed.path));
        }
    }
    if let Some(extra) = members.keys().next() {
        return Err(format!("it holds {extra:?}, which its manifest does not list"));
    }
    check_transcript(&manifest, &files)?;
    Ok((manifest, files))
}

fn check_transcript(manifest: &PackManifest, files: &BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let bytes = files.get(TRANSCRIPT).ok_or("it holds no transcript")?;
    let records = transcript::read_bytes(bytes).map_err(|e| e.to_string())?;
    let head = transcript::head(&records);
    if records.is_empty() || head.records != manifest.transcript.records || head.hash != manifest.transcript.head {
        return Err("its transcript does not end at the head its manifest lists".into());
    }
    Ok(())
}

/// Unpacks the pack `file` into a new workspace at `dir` (absent or empty): verified whole
/// first, then written under a temporary name beside `dir` and renamed into place, so `dir`
/// is the complete workspace or untouched.
pub fn unpack(file: &Path, dir: &Path) -> Result<PackManifest, PackError> {
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(PackError::NotEmpty(dir.display().to_string()));
    }
    let reader = std::fs::File::open(file).map_err(|e| PackError::Read(file.display().to_string(), e.to_string()))?;
    let (manifest, files) =
        read_pack(std::io::BufReader::new(reader)).map_err(|why| PackError::Refused(file.display().to_string(), why))?;
    let create = |e: &dyn std::fmt::Display| PackError::Create(dir.display().to_string(), e.to_string());
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| create(&e))?;
    let tmp = tempfile::Builder::new().prefix(crate::support::fsio::TEMP_PREFIX).tempdir_in(parent).map_err(|e| create(&e))?;
    Workspace::create_with_state(tmp.path(), &files).map_err(|e| create(&e))?;
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).map_err(|e| create(&e))?;
    // rename(2) replaces an empty directory, and refuses one that filled up meanwhile.
    std::fs::rename(tmp.path(), dir).map_err(|e| create(&e))?;
    let _kept = tmp.keep();
    fsync_dir(parent).map_err(|e| create(&e))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_state_paths_are_accepted() {
        for good in ["transcript.jsonl", "holders/alice@example.org.json", "trusted/root/12.root.json", "staged/collected.sigs"] {
            assert!(is_state_path(good), "{good}");
            assert!(check_name(format!("state/{good}").as_bytes()).is_ok(), "{good}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", ".hidden", "a/.b", "a\\b", "a b", "x/"] {
            assert!(!is_state_path(bad), "{bad:?}");
        }
        for bad in ["transcript.jsonl", "state", "state/", "/state/x", "metadata/1.root.json", "manifest.json/x"] {
            assert!(check_name(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let got = check_name(b"manifest.json");
        assert!(got.is_ok(), "expected Ok, got {:?}", got);
        let got = check_name(&[b's', b't', b'a', b't', b'e', b'/', 0xff]);
        assert!(got.is_err(), "expected an error, got {:?}", got);
        assert!(!is_state_path(&"a".repeat(MAX_NAME)), "a name of {MAX_NAME} bytes is taken as a state path");
    }
}
