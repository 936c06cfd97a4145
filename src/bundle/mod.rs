//! Bundles and packs: what leaves the workspace on a USB stick (layer 4, beside
//! [`crate::audit`]).
//!
//! This module is the bundle format itself; [`export`] writes one from the workspace's
//! completed staged roles, [`extract`] writes a verified bundle's files out for the online
//! side, and [`pack`] carries a whole workspace across media without links.
//!
//! May use: everything below ([`crate::workspace`] and what it may use); not
//! [`crate::audit`], which stands beside it.
//!
//! The bundle: the tar archive a ceremony exports and the online repository imports.
//!
//! The format is described in `docs/bundle-format.md`. In short: a ustar archive of regular
//! files only, `manifest.json` first, then `metadata/VERSION.ROLE.json` (the whole root
//! history and the current version of every offline role), then `transcript.jsonl`. The
//! writer is deterministic: the same files give the same bytes.
//!
//! [`read_bundle`] treats the archive as hostile: it reads it header by header without
//! interpreting any tar extension, refuses every name, type and size it does not expect
//! before reading a member's data, and checks every member against the manifest.
//! [`verify_bundle`] then trusts nothing in it but what chains to a root the caller trusts.

pub mod anchor;
pub mod export;
pub mod extract;
pub mod pack;
pub mod published;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::tuf::canonical;
use crate::tuf::chain::{verify_root_chain, ChainReport, Step};
use crate::tuf::datetime::format_expires;
use crate::tuf::metadata::is_sane_role_name;
use crate::tuf::metadata::{Metadata, RoleType, Targets};
use crate::tuf::verify::{check_threshold, verify_delegate, ThresholdReport};
use crate::workspace::transcript;

/// `manifest.json`'s `format`.
pub const FORMAT: &str = "ceremony-bundle";
/// The one `format_version` this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// The manifest's member name.
pub const MANIFEST: &str = "manifest.json";
/// The transcript's member name.
pub const TRANSCRIPT: &str = "transcript.jsonl";
/// The folder metadata members live in.
pub const METADATA_DIR: &str = "metadata/";
/// How many zero bytes may follow the end-of-archive marker (tar writers pad to their
/// record size; 1 MiB covers every blocking factor in use).
const MAX_TRAILING_ZEROS: u64 = 1 << 20;

/// One metadata file to put into a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// `metadata/VERSION.ROLE.json`; see [`metadata_path`].
    pub path: String,
    pub bytes: Vec<u8>,
    /// True when this ceremony made the file (false for earlier roots carried along).
    pub new: bool,
}

impl BundleFile {
    /// A metadata file under its bundle name.
    pub fn metadata(role: &str, version: u64, bytes: Vec<u8>, new: bool) -> BundleFile {
        BundleFile { path: metadata_path(role, version), bytes, new }
    }
}

/// `metadata/VERSION.ROLE.json`.
pub fn metadata_path(role: &str, version: u64) -> String {
    format!("{METADATA_DIR}{version}.{role}.json")
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u64,
    /// `ceremony X.Y.Z`: the tool that wrote the bundle.
    pub tool: String,
    /// Every member other than the manifest, in archive order.
    pub files: Vec<ManifestFile>,
    /// Where the transcript in the bundle ends.
    pub transcript: TranscriptHead,
}

/// One member as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub path: String,
    /// Lower-case hex SHA-256 of the member's bytes.
    pub sha256: String,
    pub length: u64,
    /// True when the file was made in this ceremony.
    pub new: bool,
}

/// The transcript's head: how many records, and the last one's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptHead {
    pub records: u64,
    pub head: String,
}

/// A bundle read and checked against its manifest (nothing more: see [`verify_bundle`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub manifest: Manifest,
    /// `manifest.json` exactly as the archive holds it.
    pub manifest_bytes: Vec<u8>,
    /// The metadata members: path -> bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// `transcript.jsonl`.
    pub transcript: Vec<u8>,
}

/// How much [`read_bundle`] accepts before refusing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest member (header size, checked before reading). Default 256 MiB.
    pub max_member_bytes: u64,
    /// All members together. Default 4 GiB.
    pub max_total_bytes: u64,
    /// Members, the manifest included. Default 100,000.
    pub max_members: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_member_bytes: 256 << 20, max_total_bytes: 4 << 30, max_members: 100_000 }
    }
}

/// Why a bundle could not be written or read. Each message is a plain clause; callers add
/// what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read the bundle: {0}")]
    Io(String),
    #[error("the file is not a readable tar archive: {0}")]
    Malformed(String),
    #[error("the bundle has a member with an empty name")]
    EmptyName,
    #[error("the bundle has a member whose name is not UTF-8 text")]
    NameNotUtf8,
    #[error("the bundle member {0:?} has an absolute path")]
    AbsolutePath(String),
    #[error("the bundle member {0:?} has a \".\" or \"..\" component in its path")]
    DotComponent(String),
    #[error("the bundle member {0:?} has a backslash in its name")]
    Backslash(String),
    #[error("the bundle member {0:?} is not one a bundle may hold (manifest.json, transcript.jsonl or metadata/VERSION.ROLE.json)")]
    UnexpectedName(String),
    #[error("the bundle member {0:?} is a symbolic or hard link; a bundle holds regular files only")]
    Link(String),
    #[error("the bundle member {name:?} is a {kind}; a bundle holds regular files only")]
    NotRegular { name: String, kind: String },
    #[error("the bundle holds two members named {0:?}")]
    Duplicate(String),
    #[error("the bundle member {name:?} is {size} bytes, over the limit of {limit}")]
    MemberTooLarge { name: String, size: u64, limit: u64 },
    #[error("the bundle's members add up to more than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the bundle has more than the limit of {limit} members")]
    TooManyMembers { limit: usize },
    #[error("the bundle member {0:?} is not listed in the manifest")]
    Unlisted(String),
    #[error("the manifest lists {0:?}, but the bundle has no such member")]
    MissingMember(String),
    #[error("the manifest lists {0:?} twice")]
    ListedTwice(String),
    #[error("the bundle member {0:?} does not match the SHA-256 the manifest lists for it")]
    DigestMismatch(String),
    #[error("the bundle member {name:?} is {actual} bytes, but the manifest says {listed}")]
    LengthMismatch { name: String, listed: u64, actual: u64 },
    #[error("the bundle has no manifest.json")]
    NoManifest,
    #[error("the bundle's manifest.json is malformed: {0}")]
    BadManifest(String),
    #[error("the bundle's format_version is {0}, which this version of Ceremony does not know (it reads version 1)")]
    UnknownFormatVersion(u64),
    #[error("the bundle member {name:?} has a tar header `tar -x` could read differently ({why}); bundle headers are plain ustar as `ceremony bundle export` writes them")]
    UnusualHeader { name: String, why: String },
    #[error("the archive has data after its end-of-archive marker")]
    TrailingData,
    #[error("cannot put {path:?} into a bundle: {reason}")]
    InvalidFile { path: String, reason: String },
    #[error("the transcript to bundle does not verify: {0}")]
    Transcript(transcript::TranscriptError),
}

/// A reader's error, which may quote bytes from the hostile archive: only printable ASCII
/// reaches the terminal, and not much of it.
fn malformed(e: &dyn std::fmt::Display) -> BundleError {
    let full = e.to_string();
    // The tar reader quotes the offending bytes after a colon; the words before it suffice.
    let text: String = full
        .split(": ")
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .take(160)
        .collect();
    BundleError::Malformed(text)
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a member name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberName {
    Manifest,
    Transcript,
    Metadata { version: u64, role: String },
}

/// Classifies a member name, refusing every unsafe or unexpected one.
pub fn parse_member_name(raw: &[u8]) -> Result<MemberName, BundleError> {
    if raw.is_empty() {
        return Err(BundleError::EmptyName);
    }
    let name = std::str::from_utf8(raw).map_err(|_| BundleError::NameNotUtf8)?;
    if name.contains('\\') {
        return Err(BundleError::Backslash(name.into()));
    }
    if name.starts_with('/') {
        return Err(BundleError::AbsolutePath(name.into()));
    }
    if name.split('/').any(|c| c == "." || c == "..") {
        return Err(BundleError::DotComponent(name.into()));
    }
    let unexpected = || BundleError::UnexpectedName(name.into());
    match name {
        MANIFEST => return Ok(MemberName::Manifest),
        TRANSCRIPT => return Ok(MemberName::Transcript),
        _ => {}
    }
    let file = name.strip_prefix(METADATA_DIR).ok_or_else(unexpected)?;
    let stem = file.strip_suffix(".json").ok_or_else(unexpected)?;
    let (digits, role) = stem.split_once('.').ok_or_else(unexpected)?;
    // One spelling per version: no sign, no leading zero.
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unexpected());
    }
    let version: u64 = digits.parse().map_err(|_| unexpected())?;
    if !is_sane_role_name(role) {
        return Err(unexpected());
    }
    Ok(MemberName::Metadata { version, role: role.to_string() })
}

/// Archive order of roles: root, the other top-level roles, then delegated roles by name.
fn role_rank(role: &str) -> (u8, &str) {
    match role {
        "root" => (0, ""),
        "targets" => (1, ""),
        "snapshot" => (2, ""),
        "timestamp" => (3, ""),
        other => (4, other),
    }
}

/// The one ustar header Ceremony writes for a member: regular file, 0644, owner and time zero,
/// so the same files give the same archive.
pub(crate) fn header(path: &str, length: u64) -> Result<tar::Header, BundleError> {
    let invalid = |e: std::io::Error| BundleError::InvalidFile { path: path.into(), reason: e.to_string() };
    let mut h = tar::Header::new_ustar();
    h.set_path(path).map_err(invalid)?;
    h.set_size(length);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_username("").map_err(invalid)?;
    h.set_groupname("").map_err(invalid)?;
    h.set_device_major(0).map_err(invalid)?;
    h.set_device_minor(0).map_err(invalid)?;
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

/// Writes a bundle: the manifest (built here), `files` in the fixed order (root versions
/// first, then the other roles, each by version), then the transcript, which must verify.
/// Refuses a file whose name is not `metadata/VERSION.ROLE.json`, a name given twice, and
/// anything [`read_bundle`] with default [`Limits`] would refuse, so what is written reads back.
pub fn write_bundle(files: &[BundleFile], transcript: &[u8]) -> Result<Vec<u8>, BundleError> {
    let bundle = PreparedBundle::new(files, transcript)?;
    let mut out = Vec::with_capacity(bundle.size());
    bundle.write_to(&mut out)?;
    Ok(out)
}

/// A bundle checked and with its manifest made, ready to be written: everything that can
/// refuse it happens before a byte is written.
pub struct PreparedBundle<'a> {
    ordered: Vec<&'a BundleFile>,
    manifest: Vec<u8>,
    transcript: &'a [u8],
}

impl<'a> PreparedBundle<'a> {
    /// See [`write_bundle`] for what is refused.
    pub fn new(files: &'a [BundleFile], transcript: &'a [u8]) -> Result<PreparedBundle<'a>, BundleError> {
        let limits = Limits::default();
        let mut ordered: Vec<((u8, String), u64, &BundleFile)> = Vec::with_capacity(files.len());
        let mut seen = BTreeSet::new();
        for f in files {
            let invalid = |reason: &str| BundleError::InvalidFile { path: f.path.clone(), reason: reason.into() };
            let (version, role) = match parse_member_name(f.path.as_bytes()) {
                Ok(MemberName::Metadata { version, role }) => (version, role),
                _ => return Err(invalid("metadata must be named metadata/VERSION.ROLE.json with a plain role name")),
            };
            if !seen.insert(f.path.as_str()) {
                return Err(invalid("it is given twice"));
            }
            if f.bytes.len() as u64 > limits.max_member_bytes {
                return Err(invalid("it is larger than a bundle member may be"));
            }
            let (rank, name) = role_rank(&role);
            ordered.push(((rank, name.to_string()), version, f));
        }
        ordered.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        if ordered.len() + 2 > limits.max_members {
            return Err(BundleError::TooManyMembers { limit: limits.max_members });
        }
        let total = files.iter().map(|f| f.bytes.len() as u64).sum::<u64>() + transcript.len() as u64;
        if total > limits.max_total_bytes || transcript.len() as u64 > limits.max_member_bytes {
            return Err(BundleError::TooLarge { limit: limits.max_total_bytes });
        }
        let records = transcript::read_bytes(transcript).map_err(BundleError::Transcript)?;
        let head = transcript::head(&records);

        // Hashed on every core: a promotion's bundle carries hundreds of shards.
        let mut listed: Vec<ManifestFile> = crate::support::par::map(&ordered, |(_, _, f)| ManifestFile {
            path: f.path.clone(),
            sha256: hex_sha256(&f.bytes),
            length: f.bytes.len() as u64,
            new: f.new,
        });
        listed.push(ManifestFile { path: TRANSCRIPT.into(), sha256: hex_sha256(transcript), length: transcript.len() as u64, new: true });
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            tool: format!("ceremony {}", env!("CARGO_PKG_VERSION")),
            files: listed,
            transcript: TranscriptHead { records: head.records, head: head.hash },
        };
        let manifest =
            canonical::to_canonical(&manifest).map_err(|e| BundleError::InvalidFile { path: MANIFEST.into(), reason: e.to_string() })?;
        Ok(PreparedBundle { ordered: ordered.into_iter().map(|(_, _, f)| f).collect(), manifest, transcript })
    }

    /// About how many bytes the archive takes: each member is a 512-byte header and its
    /// bytes padded to 512, then two empty blocks.
    pub fn size(&self) -> usize {
        let members = self.ordered.iter().map(|f| f.bytes.len()).sum::<usize>() + self.manifest.len() + self.transcript.len();
        members + (self.ordered.len() + 2) * 1024 + 1024
    }

    /// Writes the archive to `out` as it goes: a promotion's bundle is 35 MB, and building it
    /// in memory first would hold it twice.
    pub fn write_to(&self, out: impl std::io::Write) -> Result<(), BundleError> {
        let mut builder = tar::Builder::new(out);
        let mut append = |path: &str, bytes: &[u8]| -> Result<(), BundleError> {
            builder.append(&header(path, bytes.len() as u64)?, bytes).map_err(|e| BundleError::Io(e.to_string()))
        };
        append(MANIFEST, &self.manifest)?;
        for f in &self.ordered {
            append(&f.path, &f.bytes)?;
        }
        append(TRANSCRIPT, self.transcript)?;
        builder.into_inner().map(drop).map_err(|e| BundleError::Io(e.to_string()))
    }
}

fn kind_of(t: tar::EntryType) -> String {
    match t {
        tar::EntryType::Directory => "directory".into(),
        tar::EntryType::Char => "character device".into(),
        tar::EntryType::Block => "block device".into(),
        tar::EntryType::Fifo => "named pipe".into(),
        tar::EntryType::Continuous => "contiguous file".into(),
        tar::EntryType::GNULongName | tar::EntryType::GNULongLink => "GNU long-name record".into(),
        tar::EntryType::GNUSparse => "sparse file".into(),
        tar::EntryType::XHeader | tar::EntryType::XGlobalHeader => "PAX extended header".into(),
        other => format!("tar entry of type {:?}", other.as_byte() as char),
    }
}

/// Where each field of a ustar header lies (POSIX.1-1988 `ustar` and pax's base format).
mod ustar {
    use std::ops::Range;
    pub const NAME: Range<usize> = 0..100;
    pub const MODE: Range<usize> = 100..108;
    pub const UID: Range<usize> = 108..116;
    pub const GID: Range<usize> = 116..124;
    pub const SIZE: Range<usize> = 124..136;
    pub const MTIME: Range<usize> = 136..148;
    pub const CHKSUM: Range<usize> = 148..156;
    pub const TYPEFLAG: usize = 156;
    pub const LINKNAME: Range<usize> = 157..257;
    pub const MAGIC: Range<usize> = 257..263;
    pub const VERSION: Range<usize> = 263..265;
    pub const UNAME: Range<usize> = 265..297;
    pub const GNAME: Range<usize> = 297..329;
    pub const DEVMAJOR: Range<usize> = 329..337;
    pub const DEVMINOR: Range<usize> = 337..345;
    pub const PREFIX: Range<usize> = 345..500;
    pub const PAD: Range<usize> = 500..512;
}

/// A numeric header field as every tar reads it alike: octal digits, then only NULs or
/// spaces. Refuses GNU base-256 (a first byte with the high bit set), signs, spaces before
/// the digits and anything else a reader could parse its own way.
fn plain_octal(field: &[u8]) -> Option<u64> {
    let digits = field.iter().take_while(|b| (b'0'..=b'7').contains(b)).count();
    if digits == 0 || digits > 21 || !field[digits..].iter().all(|b| matches!(b, 0 | b' ')) {
        return None;
    }
    let text = std::str::from_utf8(&field[..digits]).ok()?;
    u64::from_str_radix(text, 8).ok()
}

/// Refuses a header that is not exactly the plain ustar `bundle export` writes, so that
/// what this reader takes as a member's name, type and size is what `tar -x` (GNU or BSD)
/// would: magic `ustar\0` and version `00` (not GNU's `ustar  `, whose prefix area other
/// readers take for times), a regular file (`0`), no link name, an empty `prefix` (which
/// POSIX tars put before the name, and which the tar crate ignores when its first byte is
/// NUL), nothing after the name's terminating NUL, plain octal numbers only, no special
/// mode bits, owner names or device numbers, a checksum that matches, and a zero pad.
fn check_plain_header(raw: &[u8; 512], name: &str) -> Result<(), BundleError> {
    let unusual = |why: &str| Err(BundleError::UnusualHeader { name: name.to_string(), why: why.to_string() });
    let zero = |r: std::ops::Range<usize>| raw[r].iter().all(|b| *b == 0);
    if &raw[ustar::MAGIC] != b"ustar\0" || &raw[ustar::VERSION] != b"00" {
        return unusual("not POSIX ustar magic and version");
    }
    if raw[ustar::TYPEFLAG] != b'0' {
        return unusual("not type 0, a regular file");
    }
    let name_len = raw[ustar::NAME].iter().position(|b| *b == 0).unwrap_or(100);
    if !zero(name_len..ustar::NAME.end) {
        return unusual("bytes after the end of its name");
    }
    if !zero(ustar::PREFIX) {
        return unusual("a non-empty ustar prefix field, which tar puts before the name");
    }
    for (range, what) in [
        (ustar::LINKNAME, "a link name"),
        (ustar::UNAME, "an owner name"),
        (ustar::GNAME, "a group name"),
        (ustar::PAD, "bytes in its padding"),
    ] {
        if !zero(range) {
            return unusual(what);
        }
    }
    for (range, what) in [(ustar::SIZE, "size"), (ustar::CHKSUM, "checksum")] {
        if plain_octal(&raw[range]).is_none() {
            return unusual(&format!("its {what} is not a plain octal number"));
        }
    }
    // Fields this reader does not use: unset (all NUL) or plain octal, so no reader finds
    // a base-256 number or stray text there.
    for (range, what) in [(ustar::UID, "uid"), (ustar::GID, "gid"), (ustar::MTIME, "mtime"), (ustar::MODE, "mode")] {
        if !zero(range.clone()) && plain_octal(&raw[range]).is_none() {
            return unusual(&format!("its {what} is not a plain octal number"));
        }
    }
    if plain_octal(&raw[ustar::MODE]).is_some_and(|m| m > 0o777) {
        return unusual("its mode has setuid, setgid or sticky bits");
    }
    for range in [ustar::DEVMAJOR, ustar::DEVMINOR] {
        if !zero(range.clone()) && plain_octal(&raw[range]) != Some(0) {
            return unusual("device numbers");
        }
    }
    let sum: u64 = raw.iter().enumerate().map(|(i, b)| if ustar::CHKSUM.contains(&i) { 32 } else { u64::from(*b) }).sum();
    if plain_octal(&raw[ustar::CHKSUM]) != Some(sum) {
        return unusual("its checksum does not match");
    }
    Ok(())
}

/// Reads a bundle from an untrusted source and checks it against its manifest. See the
/// module documentation and `docs/bundle-format.md` for everything it refuses.
pub fn read_bundle(reader: impl Read, limits: &Limits) -> Result<Bundle, BundleError> {
    let members = read_members(reader, limits, |raw| parse_member_name(raw).map(drop))?;
    from_members(members)
}

/// Reads every member of an untrusted ustar archive of regular files, by name, under the
/// rules [`read_bundle`] applies (no links, no other types, no tar extension interpreted,
/// sizes checked before reading, nothing after the end but zeros); `check_name` accepts or
/// refuses each raw name before its data is read. A workspace pack is read the same way.
pub(crate) fn read_members(
    reader: impl Read,
    limits: &Limits,
    check_name: impl Fn(&[u8]) -> Result<(), BundleError>,
) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    let mut archive = tar::Archive::new(reader);
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total: u64 = 0;
    let mut count: usize = 0;
    {
        let entries = archive.entries().map_err(|e| malformed(&e))?;
        // Raw: every header is seen as it is, no PAX or GNU extension is applied.
        for entry in entries.raw(true) {
            let mut entry = entry.map_err(|e| malformed(&e))?;
            count += 1;
            if count > limits.max_members {
                return Err(BundleError::TooManyMembers { limit: limits.max_members });
            }
            let raw_name = entry.header().path_bytes().into_owned();
            let lossy = String::from_utf8_lossy(&raw_name).into_owned();
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                return Err(BundleError::Link(lossy));
            }
            if !kind.is_file() {
                return Err(BundleError::NotRegular { name: lossy, kind: kind_of(kind) });
            }
            check_plain_header(entry.header().as_bytes(), &lossy)?;
            check_name(&raw_name)?;
            if members.contains_key(&lossy) {
                return Err(BundleError::Duplicate(lossy));
            }
            let size = entry.header().entry_size().map_err(|e| malformed(&e))?;
            if size > limits.max_member_bytes {
                return Err(BundleError::MemberTooLarge { name: lossy, size, limit: limits.max_member_bytes });
            }
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(BundleError::TooLarge { limit: limits.max_total_bytes });
            }
            let mut bytes = Vec::with_capacity(size.min(1 << 20) as usize);
            (&mut entry).take(size).read_to_end(&mut bytes).map_err(|e| malformed(&e))?;
            if bytes.len() as u64 != size {
                return Err(BundleError::Malformed(format!("the member {lossy:?} is cut short")));
            }
            members.insert(lossy, bytes);
        }
    }
    check_trailing(archive.into_inner())?;
    Ok(members)
}

/// After the first zero block only zeros may follow, and not too many.
fn check_trailing(reader: impl Read) -> Result<(), BundleError> {
    let mut rest = reader.take(MAX_TRAILING_ZEROS + 1);
    let mut buf = [0u8; 8192];
    let mut seen: u64 = 0;
    loop {
        let n = match rest.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(BundleError::Io(e.to_string())),
        };
        seen += n as u64;
        if seen > MAX_TRAILING_ZEROS || buf[..n].iter().any(|b| *b != 0) {
            return Err(BundleError::TrailingData);
        }
    }
}

/// The longest `tool` a manifest may name.
const MAX_TOOL_LEN: usize = 128;

fn parse_manifest(bytes: &[u8]) -> Result<Manifest, BundleError> {
    // As strict as metadata: duplicate keys (which JSON parsers resolve differently), floats,
    // deep nesting and invalid UTF-8 are refused before anything is read from it.
    canonical::canonicalize(bytes).map_err(|e| BundleError::BadManifest(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| BundleError::BadManifest(e.to_string()))?;
    let object = value.as_object().ok_or_else(|| BundleError::BadManifest("it is not a JSON object".into()))?;
    if object.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(BundleError::BadManifest(format!("its \"format\" is not {FORMAT:?}")));
    }
    let version = object
        .get("format_version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| BundleError::BadManifest("it has no whole-number \"format_version\"".into()))?;
    if version != FORMAT_VERSION {
        return Err(BundleError::UnknownFormatVersion(version));
    }
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| BundleError::BadManifest(e.to_string()))?;
    // `tool` is shown to people: printable ASCII only, and short.
    if manifest.tool.is_empty() || manifest.tool.len() > MAX_TOOL_LEN || !manifest.tool.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(BundleError::BadManifest(format!("its \"tool\" is not 1 to {MAX_TOOL_LEN} printable ASCII characters")));
    }
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        match parse_member_name(f.path.as_bytes()) {
            Ok(MemberName::Transcript | MemberName::Metadata { .. }) => {}
            _ => return Err(BundleError::BadManifest(format!("it lists {:?}, which no member may be named", f.path))),
        }
        if !is_hex64(&f.sha256) {
            return Err(BundleError::BadManifest(format!("the sha256 of {:?} is not 64 lower-case hex digits", f.path)));
        }
        if !listed.insert(f.path.as_str()) {
            return Err(BundleError::ListedTwice(f.path.clone()));
        }
    }
    if !listed.contains(TRANSCRIPT) {
        return Err(BundleError::BadManifest(format!("it does not list {TRANSCRIPT}")));
    }
    if !is_hex64(&manifest.transcript.head) {
        return Err(BundleError::BadManifest("the transcript head is not 64 lower-case hex digits".into()));
    }
    Ok(manifest)
}

fn from_members(mut members: BTreeMap<String, Vec<u8>>) -> Result<Bundle, BundleError> {
    let manifest_bytes = members.remove(MANIFEST).ok_or(BundleError::NoManifest)?;
    let manifest = parse_manifest(&manifest_bytes)?;
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    if let Some(name) = members.keys().find(|n| !listed.contains(n.as_str())) {
        return Err(BundleError::Unlisted(name.clone()));
    }
    for f in &manifest.files {
        let bytes = members.get(&f.path).ok_or_else(|| BundleError::MissingMember(f.path.clone()))?;
        if bytes.len() as u64 != f.length {
            return Err(BundleError::LengthMismatch { name: f.path.clone(), listed: f.length, actual: bytes.len() as u64 });
        }
        if hex_sha256(bytes) != f.sha256 {
            return Err(BundleError::DigestMismatch(f.path.clone()));
        }
    }
    let transcript = members.remove(TRANSCRIPT).unwrap_or_default();
    Ok(Bundle { manifest, manifest_bytes, files: members, transcript })
}

// ---------------------------------------------------------------------------------------
// Verification

/// One threshold checked for a file.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdCheck {
    /// Whose keys, in words: "root keys of root v4", "targets keys listed in root v5".
    pub keys_of: String,
    pub have: u64,
    pub need: u64,
    /// How many keys the delegator lists.
    pub of: usize,
    pub met: bool,
    /// Keyids whose signatures counted.
    pub signed: Vec<String>,
    /// Listed keyids with no signature.
    pub missing: Vec<String>,
    pub detail: ThresholdReport,
}

impl ThresholdCheck {
    fn new(keys_of: String, r: ThresholdReport) -> ThresholdCheck {
        ThresholdCheck {
            keys_of,
            have: r.have,
            need: r.threshold,
            of: r.keys.len(),
            met: r.is_met(),
            signed: r.signed().map(str::to_string).collect(),
            missing: r.missing().map(str::to_string).collect(),
            detail: r,
        }
    }
}

/// The verdict on one metadata file of the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub role: String,
    /// The version its name gives.
    pub version: u64,
    /// The manifest's `new`.
    pub new: bool,
    pub expires: Option<String>,
    /// What it was verified under: "root v4", "targets v3", "the trusted root".
    pub verified_under: Option<String>,
    pub ok: bool,
    pub thresholds: Vec<ThresholdCheck>,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// The verdict on the transcript.
#[derive(Debug, Clone, Serialize)]
pub struct TranscriptReport {
    pub ok: bool,
    /// What the transcript holds, when it could be read.
    pub records: Option<u64>,
    pub head: Option<String>,
    pub problems: Vec<String>,
}

/// Roles a verified file of the bundle delegates to, not terminating, that the bundle does
/// not carry: online roles, and offline ones unchanged since an earlier bundle (claimed
/// shards; export leaves them out, docs/bundle-format.md). The repository keeps serving
/// what it publishes for them. Terminating delegations (project roles) are not listed.
#[derive(Debug, Clone, Serialize)]
pub struct NotCarried {
    /// The delegator, as "claimed v2".
    pub delegated_by: String,
    pub roles: Vec<String>,
}

/// Everything [`verify_bundle`] found.
#[derive(Debug, Clone, Serialize)]
pub struct BundleReport {
    pub ok: bool,
    pub tool: String,
    pub trusted_root_version: u64,
    /// The newest root that chains from the trusted one, when the whole chain holds.
    pub newest_root_version: Option<u64>,
    /// Problems with the bundle as a whole (manifest, root history placement).
    pub problems: Vec<String>,
    /// Every metadata file, in archive order.
    pub files: Vec<FileReport>,
    /// Delegated roles the bundle does not carry, by delegator, in archive order.
    pub not_carried: Vec<NotCarried>,
    pub transcript: TranscriptReport,
}

impl BundleReport {
    /// The first problem found, as a clause naming where it is.
    pub fn first_problem(&self) -> Option<String> {
        if let Some(p) = self.problems.first() {
            return Some(p.clone());
        }
        if let Some(f) = self.files.iter().find(|f| !f.ok) {
            let what = f.problems.first().map(String::as_str).unwrap_or("it does not verify");
            return Some(format!("{} ({} v{}): {what}", f.path, f.role, f.version));
        }
        if !self.transcript.ok {
            let what = self.transcript.problems.first().map(String::as_str).unwrap_or("it does not verify");
            return Some(format!("{TRANSCRIPT}: {what}"));
        }
        None
    }
}

fn expected_type(role: &str) -> RoleType {
    match role {
        "root" => RoleType::Root,
        "snapshot" => RoleType::Snapshot,
        "timestamp" => RoleType::Timestamp,
        _ => RoleType::Targets,
    }
}

/// Problems with the manifest against the bundle's contents (a [`Bundle`]'s fields are
/// public, so nothing [`read_bundle`] checked is taken for granted here).
fn manifest_problems(bundle: &Bundle) -> Vec<String> {
    let mut problems = Vec::new();
    let m = &bundle.manifest;
    if m.format != FORMAT || m.format_version != FORMAT_VERSION {
        problems.push(format!("the manifest is not a {FORMAT} version {FORMAT_VERSION} manifest"));
    }
    let mut listed = BTreeSet::new();
    for f in &m.files {
        if !listed.insert(f.path.as_str()) {
            problems.push(format!("the manifest lists {} twice", f.path));
            continue;
        }
        let bytes = if f.path == TRANSCRIPT { Some(&bundle.transcript) } else { bundle.files.get(&f.path) };
        match bytes {
            None => problems.push(format!("the manifest lists {}, but the bundle does not hold it", f.path)),
            Some(b) if b.len() as u64 != f.length || hex_sha256(b) != f.sha256 => {
                problems.push(format!("{} does not match the length and SHA-256 the manifest lists for it: it was altered", f.path))
            }
            Some(_) => {}
        }
    }
    if !listed.contains(TRANSCRIPT) {
        problems.push(format!("the manifest does not list {TRANSCRIPT}"));
    }
    for path in bundle.files.keys() {
        if !listed.contains(path.as_str()) {
            problems.push(format!("{path} is not listed in the manifest"));
        }
    }
    problems
}

struct Item {
    role: String,
    version: u64,
    md: Option<Metadata>,
}

fn new_report(path: &str, role: &str, version: u64, new: bool) -> FileReport {
    FileReport {
        path: path.into(),
        role: role.into(),
        version,
        new,
        expires: None,
        verified_under: None,
        ok: false,
        thresholds: Vec::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Verifies a bundle trusting nothing in it but what chains to `trusted_root` (any
/// version of the root history):
/// - the bundle's root history must be contiguous and either contain the trusted root's
///   version with byte-identical signed bytes (its older part is then checked as a
///   consistent chain leading to it) or start right after it;
/// - the chain from `trusted_root` to the bundle's newest root must hold;
/// - `targets` (and `snapshot`, `timestamp` if present) verify under the newest root,
///   every delegated role under a verified targets-type role in the bundle that delegates
///   to it; a role nothing in the bundle delegates to is refused;
/// - every file's name version equals its `signed.version` and its `_type` fits its role;
///   the bundle holds one version of each role other than root;
/// - the newest root and every other role are unexpired at `now`;
/// - the transcript's chain verifies and ends at the manifest's head.
pub fn verify_bundle(bundle: &Bundle, trusted_root: &Metadata, now: OffsetDateTime) -> BundleReport {
    let mut problems = manifest_problems(bundle);
    let new_flags: BTreeMap<&str, bool> = bundle.manifest.files.iter().map(|f| (f.path.as_str(), f.new)).collect();

    // Every metadata file: its name, its parse, its version and type.
    let mut items: Vec<Item> = Vec::new();
    let mut reports: Vec<FileReport> = Vec::new();
    let mut named: Vec<(usize, (u8, String), u64)> = Vec::new();
    for (path, bytes) in &bundle.files {
        let (version, role) = match parse_member_name(path.as_bytes()) {
            Ok(MemberName::Metadata { version, role }) => (version, role),
            _ => {
                problems.push(format!("the bundle holds {path:?}, which is not a metadata file name"));
                continue;
            }
        };
        let mut report = new_report(path, &role, version, new_flags.get(path.as_str()).copied().unwrap_or(false));
        let md = match Metadata::from_slice(bytes) {
            Ok(md) => {
                report.expires = Some(format_expires(md.expires().at));
                if md.version() != version {
                    report.problems.push(format!("its file name says version {version} but its signed version is {}", md.version()));
                }
                let want = expected_type(&role);
                if md.role_type() != want {
                    report.problems.push(format!("the {role} role must be {want} metadata, but this file is {} metadata", md.role_type()));
                }
                Some(md)
            }
            Err(e) => {
                report.problems.push(format!("it cannot be read: {e}"));
                None
            }
        };
        let rank = role_rank(&role);
        named.push((items.len(), (rank.0, rank.1.to_string()), version));
        items.push(Item { role, version, md });
        reports.push(report);
    }

    let trusted_version = trusted_root.version();
    let mut newest_root: Option<usize> = None; // index into items, or None for "the trusted root"
    let mut chain_holds = false;
    if trusted_root.role_type() != RoleType::Root {
        problems.push(format!("the trusted root is {} metadata, not root metadata", trusted_root.role_type()));
    } else {
        let (holds, newest) = verify_roots(&items, &mut reports, &mut problems, trusted_root, now);
        chain_holds = holds;
        newest_root = newest;
    }
    let newest_md: Option<&Metadata> = if chain_holds {
        match newest_root {
            Some(i) => items[i].md.as_ref(),
            None => Some(trusted_root),
        }
    } else {
        None
    };
    let newest_version = newest_md.map(Metadata::version);

    let mut not_carried = verify_other_roles(&items, &mut reports, newest_md, now);

    // Transcript.
    let transcript = check_transcript(bundle);

    for r in &mut reports {
        r.ok = r.problems.is_empty();
    }
    // Archive order.
    named.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    let mut slots: Vec<Option<FileReport>> = reports.into_iter().map(Some).collect();
    let files: Vec<FileReport> = named.iter().filter_map(|(i, _, _)| slots[*i].take()).collect();
    let rank = |d: &NotCarried| files.iter().position(|f| format!("{} v{}", f.role, f.version) == d.delegated_by);
    not_carried.sort_by_key(rank);
    let ok = problems.is_empty() && files.iter().all(|f| f.ok) && transcript.ok && chain_holds;
    BundleReport {
        ok,
        tool: bundle.manifest.tool.clone(),
        trusted_root_version: trusted_version,
        newest_root_version: newest_version,
        problems,
        files,
        not_carried,
        transcript,
    }
}

fn step_into(report: &mut FileReport, step: &Step, previous_label: Option<String>) {
    if let (Some(p), Some(label)) = (&step.previous, previous_label) {
        report.thresholds.push(ThresholdCheck::new(label, p.clone()));
    }
    if let Some(o) = &step.own {
        report.thresholds.push(ThresholdCheck::new(format!("root keys of root v{} itself", step.version), o.clone()));
    }
    report.problems.extend(step.problems.iter().cloned());
    report.warnings.extend(step.warnings.iter().cloned());
}

/// Checks the root history. Returns whether the chain from the trusted root to the newest
/// root holds, and the newest root's item (None when the trusted root is the newest).
fn verify_roots(
    items: &[Item],
    reports: &mut [FileReport],
    problems: &mut Vec<String>,
    trusted: &Metadata,
    now: OffsetDateTime,
) -> (bool, Option<usize>) {
    let t = trusted.version();
    let mut roots: Vec<usize> = (0..items.len()).filter(|&i| items[i].role == "root").collect();
    roots.sort_by_key(|&i| items[i].version);
    let (Some(&first), Some(&last)) = (roots.first(), roots.last()) else {
        problems.push("the bundle holds no root metadata; it must hold the whole root history".into());
        return (false, None);
    };
    let (s, n) = (items[first].version, items[last].version);
    let placement = if let Some((a, b)) =
        roots.windows(2).map(|pair| (items[pair[0]].version, items[pair[1]].version)).find(|(a, b)| *b != a.saturating_add(1))
    {
        Some(format!("the bundle's root history has a gap: it goes from version {a} to version {b}"))
    } else if n < t {
        Some(format!("the bundle's newest root is version {n}, older than the trusted root version {t}: it would roll clients back"))
    } else if s > t.saturating_add(1) {
        Some(format!("the bundle's root history starts at version {s}, so nothing links it to the trusted root version {t}"))
    } else {
        None
    };
    if let Some(why) = placement {
        problems.push(why);
        for &i in &roots {
            reports[i].problems.push("not checked: the bundle's root history does not fit the trusted root".into());
        }
        return (false, None);
    }
    let not_checked = |reports: &mut [FileReport], from: &[usize], why: &str| {
        for &i in from {
            reports[i].problems.push(why.to_string());
        }
    };

    // The part up to the trusted version: the trusted root itself, and the history before it.
    let older: Vec<usize> = roots.iter().copied().filter(|&i| items[i].version <= t).collect();
    if let Some(&at_t) = older.last() {
        match &items[at_t].md {
            Some(md) if md.signed_bytes() == trusted.signed_bytes() => {
                reports[at_t].verified_under = Some("the trusted root (identical)".into())
            }
            Some(_) => {
                reports[at_t].problems.push(format!("it differs from the trusted root version {t}: this is not the root history you trust"))
            }
            None => {}
        }
        let mds: Option<Vec<Metadata>> = older.iter().map(|&i| items[i].md.clone()).collect();
        match mds {
            Some(mds) => {
                let chain = verify_root_chain(&mds, now);
                apply_chain(&chain, &older, reports, "an earlier root in the bundle's history does not verify");
            }
            None => not_checked(reports, &older, "not checked: a root in the history before it cannot be read"),
        }
        for &i in &older[..older.len() - 1] {
            reports[i].verified_under.get_or_insert_with(|| "the history leading to the trusted root".into());
        }
    }

    // From the trusted root forward.
    let newer: Vec<usize> = roots.iter().copied().filter(|&i| items[i].version > t).collect();
    let mut chain_mds = vec![trusted.clone()];
    let mut readable = Vec::new();
    for &i in &newer {
        match &items[i].md {
            Some(md) => {
                chain_mds.push(md.clone());
                readable.push(i);
            }
            None => break,
        }
    }
    let chain = verify_root_chain(&chain_mds, now);
    if let Some(step0) = chain.steps.first() {
        if !step0.holds() {
            problems.push(format!("the trusted root does not verify: {}", step0.problems.join("; ")));
        }
    }
    for (k, &i) in readable.iter().enumerate() {
        let label = if k == 0 { format!("trusted root v{t}") } else { format!("root v{}", items[readable[k - 1]].version) };
        reports[i].verified_under = Some(label.clone());
        match chain.steps.get(k + 1) {
            Some(step) => step_into(&mut reports[i], step, Some(format!("root keys of {label}"))),
            None => reports[i].problems.push("not checked: an earlier root in the chain does not verify".into()),
        }
    }
    for &i in newer.iter().skip(readable.len() + 1) {
        reports[i].problems.push("not checked: an earlier root in the chain cannot be read".into());
    }
    let holds = chain.ok && readable.len() == newer.len();
    let newest = newer.last().copied().or(older.last().copied());
    if holds {
        // The newest root is what clients will use: it must not have expired.
        let newest_md = match newer.last() {
            Some(&i) => items[i].md.as_ref(),
            None => Some(trusted),
        };
        if let (Some(md), Some(i)) = (newest_md, newest) {
            if md.expires().is_expired(now) {
                reports[i].problems.push(format!(
                    "it is the newest root and it expired at {}; re-sign it with a later expiry",
                    format_expires(md.expires().at)
                ));
            }
        }
    }
    (holds, if newer.is_empty() { None } else { newest })
}

fn apply_chain(chain: &ChainReport, order: &[usize], reports: &mut [FileReport], why_not: &str) {
    for (k, &i) in order.iter().enumerate() {
        match chain.steps.get(k) {
            Some(step) => {
                let label = (k > 0).then(|| format!("root keys of root v{}", step.version.saturating_sub(1)));
                step_into(&mut reports[i], step, label);
            }
            None => reports[i].problems.push(format!("not checked: {why_not}")),
        }
    }
}

fn check_expiry(report: &mut FileReport, md: &Metadata, now: OffsetDateTime) {
    if md.expires().is_expired(now) {
        report.problems.push(format!("it expired at {}; renew it with a later expiry", format_expires(md.expires().at)));
    }
}

/// Verifies every role other than root: top-level roles under the newest root, delegated
/// roles under a verified targets-type role of the bundle that delegates to them.
/// Verifies every role but root under its delegator; returns what the verified delegators
/// delegate to that the bundle does not carry.
fn verify_other_roles(items: &[Item], reports: &mut [FileReport], newest_root: Option<&Metadata>, now: OffsetDateTime) -> Vec<NotCarried> {
    // One version per role: the newest is checked, any other is refused.
    let mut current: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.role == "root" {
            continue;
        }
        match current.get(item.role.as_str()) {
            Some(&j) if items[j].version >= item.version => {
                reports[i].problems.push(format!(
                    "the bundle also holds version {} of {}; it must hold only the current version",
                    items[j].version, item.role
                ));
            }
            Some(&j) => {
                reports[j].problems.push(format!(
                    "the bundle also holds version {} of {}; it must hold only the current version",
                    item.version, item.role
                ));
                current.insert(&item.role, i);
            }
            None => {
                current.insert(&item.role, i);
            }
        }
    }

    // Roles whose type fits and which can be read.
    let usable = |i: usize| items[i].md.as_ref().filter(|md| md.role_type() == expected_type(&items[i].role));

    // Top-level roles under the newest root.
    let mut delegators: Vec<(usize, Targets<'_>)> = Vec::new();
    for role in ["targets", "snapshot", "timestamp"] {
        let Some(&i) = current.get(role) else { continue };
        let Some(md) = usable(i) else { continue };
        let Some(root) = newest_root else {
            reports[i].problems.push("not checked: the root chain does not verify".into());
            continue;
        };
        reports[i].verified_under = Some(format!("root v{}", root.version()));
        let mut signed_ok = false;
        match verify_delegate(root, role, md) {
            Ok(r) => {
                signed_ok = r.is_met();
                if let Some(why) = r.failure() {
                    reports[i].problems.push(format!("under root v{}: {why}", root.version()));
                }
                reports[i].thresholds.push(ThresholdCheck::new(format!("{role} keys listed in root v{}", root.version()), r));
            }
            Err(e) => reports[i].problems.push(e.to_string()),
        }
        check_expiry(&mut reports[i], md, now);
        // Its delegations are followed when its signatures hold; other problems (expiry, a
        // name that does not match) are its own and are not repeated on what it delegates to.
        if role == "targets" {
            match md.targets() {
                Ok(t) if signed_ok => delegators.push((i, t)),
                Ok(_) => {}
                Err(e) => reports[i].problems.push(format!("its delegations cannot be read: {e}")),
            }
        }
    }

    // Delegated roles, breadth first from targets.
    let mut pending: Vec<usize> = current
        .iter()
        .filter(|(role, _)| !matches!(**role, "targets" | "snapshot" | "timestamp"))
        .map(|(_, &i)| i)
        .filter(|&i| usable(i).is_some())
        .collect();
    loop {
        let mut progress = false;
        let mut still = Vec::new();
        for i in pending {
            let role = items[i].role.as_str();
            let found = delegators.iter().find_map(|(d, t)| t.delegation(role).map(|del| (*d, del)));
            let Some((d, delegation)) = found else {
                still.push(i);
                continue;
            };
            progress = true;
            let Some(md) = usable(i) else { continue };
            let under = format!("{} v{}", items[d].role, items[d].version);
            reports[i].verified_under = Some(under.clone());
            let r = check_threshold(&md.signed_bytes(), md.signatures(), &delegation);
            let r_met = r.is_met();
            if let Some(why) = r.failure() {
                reports[i].problems.push(format!("under {under}: {why}"));
            }
            reports[i].thresholds.push(ThresholdCheck::new(format!("{role} keys listed in {under}"), r));
            check_expiry(&mut reports[i], md, now);
            match md.targets() {
                Ok(t) if r_met => delegators.push((i, t)),
                Ok(_) => {}
                Err(e) => reports[i].problems.push(format!("its delegations cannot be read: {e}")),
            }
        }
        pending = still;
        if !progress || pending.is_empty() {
            break;
        }
    }
    for i in pending {
        let role = items[i].role.as_str();
        let unverified = current
            .values()
            .copied()
            .find(|&d| d != i && usable(d).and_then(|md| md.targets().ok()).is_some_and(|t| t.delegation(role).is_some()));
        let why = match unverified {
            Some(d) => format!(
                "not checked: its delegator {} v{} does not verify, so nothing trusted vouches for it",
                items[d].role, items[d].version
            ),
            None => "no verified role in the bundle delegates to it, so nothing trusted vouches for it".to_string(),
        };
        reports[i].problems.push(why);
    }
    delegators
        .iter()
        .filter_map(|(d, t)| {
            let named = t.delegations.as_ref()?.roles.as_ref()?;
            // Terminating delegations are project roles, which developers sign online.
            let roles: Vec<String> =
                named.iter().filter(|r| !r.terminating && !current.contains_key(r.name.as_ref())).map(|r| r.name.to_string()).collect();
            let delegated_by = format!("{} v{}", items[*d].role, items[*d].version);
            (!roles.is_empty()).then_some(NotCarried { delegated_by, roles })
        })
        .collect()
}

fn check_transcript(bundle: &Bundle) -> TranscriptReport {
    let want = &bundle.manifest.transcript;
    match transcript::read_bytes(&bundle.transcript) {
        Ok(records) => {
            let head = transcript::head(&records);
            let mut problems = Vec::new();
            if head.records != want.records || head.hash != want.head {
                problems.push(format!(
                    "the transcript ends at record {} but the manifest says it ends at record {} with another head: it was cut, extended or replaced",
                    head.records, want.records
                ));
            }
            TranscriptReport { ok: problems.is_empty(), records: Some(head.records), head: Some(head.hash), problems }
        }
        Err(e) => TranscriptReport { ok: false, records: None, head: None, problems: vec![e.to_string()] },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names() {
        assert_eq!(parse_member_name(b"manifest.json"), Ok(MemberName::Manifest));
        assert_eq!(parse_member_name(b"transcript.jsonl"), Ok(MemberName::Transcript));
        assert_eq!(parse_member_name(b"metadata/3.claimed-0a.json"), Ok(MemberName::Metadata { version: 3, role: "claimed-0a".into() }));
        assert_eq!(parse_member_name(b"metadata/7.claimed.v2.json"), Ok(MemberName::Metadata { version: 7, role: "claimed.v2".into() }));
        assert_eq!(parse_member_name(b""), Err(BundleError::EmptyName));
        assert_eq!(parse_member_name(b"/manifest.json"), Err(BundleError::AbsolutePath("/manifest.json".into())));
        let got = parse_member_name(b"metadata/../1.root.json");
        assert!(matches!(got, Err(BundleError::DotComponent(_))), "expected Err(BundleError::DotComponent(_)), got {:?}", got);
        let got = parse_member_name(b"./manifest.json");
        assert!(matches!(got, Err(BundleError::DotComponent(_))), "expected Err(BundleError::DotComponent(_)), got {:?}", got);
        let got = parse_member_name(b"metadata\\1.root.json");
        assert!(matches!(got, Err(BundleError::Backslash(_))), "expected Err(BundleError::Backslash(_)), got {:?}", got);
        assert_eq!(parse_member_name(b"\xff"), Err(BundleError::NameNotUtf8));
        for bad in [
            "metadata/0.root.json",
            "metadata/01.root.json",
            "metadata/+1.root.json",
            "metadata/1.json",
            "metadata/1..json",
            "metadata/1.-x.json",
            "metadata/1.root.JSON",
            "metadata//1.root.json",
            "metadata/1.ro/ot.json",
            "metadata/99999999999999999999999.root.json",
            "metadata/1.root.json/",
            "metadata/",
            "other.txt",
            "Manifest.json",
        ] {
            assert!(matches!(parse_member_name(bad.as_bytes()), Err(BundleError::UnexpectedName(_))), "{bad}");
        }
        let long = format!("metadata/1.{}.json", "a".repeat(crate::tuf::metadata::MAX_ROLE_NAME + 1));
        let got = parse_member_name(long.as_bytes());
        assert!(got.is_err(), "expected an error, got {:?}", got);
    }

    #[test]
    fn longest_names_fit_a_ustar_header() {
        let path = metadata_path(&"r".repeat(crate::tuf::metadata::MAX_ROLE_NAME), u64::MAX);
        let got = parse_member_name(path.as_bytes());
        assert!(got.is_ok(), "expected Ok, got {:?}", got);
        let got = header(&path, 1);
        assert!(got.is_ok(), "expected Ok, got {:?}", got);
    }

    #[test]
    fn write_refuses_bad_input() {
        let f = |path: &str| BundleFile { path: path.into(), bytes: b"{}".to_vec(), new: true };
        let got = write_bundle(&[f("manifest.json")], b"");
        assert!(matches!(got, Err(BundleError::InvalidFile { .. })), "expected Err(BundleError::InvalidFile {{ .. }}), got {:?}", got);
        let got = write_bundle(&[f("transcript.jsonl")], b"");
        assert!(matches!(got, Err(BundleError::InvalidFile { .. })), "expected Err(BundleError::InvalidFile {{ .. }}), got {:?}", got);
        let got = write_bundle(&[f("metadata/1.root.json"), f("metadata/1.root.json")], b"");
        assert!(matches!(got, Err(BundleError::InvalidFile { .. })), "expected Err(BundleError::InvalidFile {{ .. }}), got {:?}", got);
        let got = write_bundle(&[f("metadata/1.root.json")], b"not json\n");
        assert!(matches!(got, Err(BundleError::Transcript(_))), "expected Err(BundleError::Transcript(_)), got {:?}", got);
    }

    #[test]
    fn written_bundles_read_back_in_order() {
        let f = |path: &str, new| BundleFile { path: path.into(), bytes: path.as_bytes().to_vec(), new };
        let files = [
            f("metadata/2.claimed.json", true),
            f("metadata/10.root.json", true),
            f("metadata/3.targets.json", true),
            f("metadata/9.root.json", false),
            f("metadata/1.claimed-0a.json", true),
        ];
        let bytes = write_bundle(&files, b"").unwrap();
        let bundle = read_bundle(&bytes[..], &Limits::default()).unwrap();
        let order: Vec<&str> = bundle.manifest.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            order,
            [
                "metadata/9.root.json", "metadata/10.root.json", "metadata/3.targets.json", "metadata/2.claimed.json",
                "metadata/1.claimed-0a.json", "transcript.jsonl"
            ]
        );
        assert_eq!(bundle.manifest.transcript, TranscriptHead { records: 0, head: transcript::GENESIS.into() });
        assert_eq!(bundle.files.len(), 5);
        assert!(!bundle.manifest.files[0].new, "listed as new: {:?}", bundle.manifest.files[0]);
        let mut reversed = files.to_vec();
        reversed.reverse();
        assert_eq!(write_bundle(&reversed, b"").unwrap(), bytes);
    }
}
