//! The signed envelope and typed views of the four top-level role types.
//!
//! A [`Metadata`] keeps the canonical bytes of `signed` exactly as received or built;
//! signatures are made and checked over those bytes and writing puts them back unchanged,
//! so fields Ceremony does not know (`x-...` extensions) survive load, sign and write.
//! The typed views ([`Root`], [`Targets`], ...) are read from those bytes and never
//! serialized back.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::canonical::{self, CanonicalError};
use crate::datetime::{MetaTime, TimeError};
use crate::jsonview::{JsonStr, SortedMap};
use crate::key::Key;
use crate::wire;

/// A delegation: the keys a role's delegator lists for it, and its threshold.
#[derive(Debug, Clone)]
pub struct Delegation {
    pub role: String,
    pub threshold: u64,
    /// Each keyid the delegator lists for the role, with its key if the delegator has it.
    pub keys: Vec<(String, Option<Key>)>,
}

impl Delegation {
    pub fn new(role: &str, threshold: u64, keys: impl Iterator<Item = (String, Option<Key>)>) -> Delegation {
        Delegation { role: role.to_string(), threshold, keys: keys.collect() }
    }
}

/// The longest role name a bundle member may carry (keeps every name inside ustar's
/// 100-byte name field: `metadata/` + 20 digits + `.` + role + `.json`).
pub const MAX_ROLE_NAME: usize = 64;

/// True for a role name a file name may carry (bundles and signature files name files by role): 1 to [`MAX_ROLE_NAME`] bytes of
/// ASCII letters, digits, `.`, `_` and `-`, beginning with a letter or digit.
pub fn is_sane_role_name(role: &str) -> bool {
    let b = role.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_ROLE_NAME
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// The role names that only root may define.
pub const TOP_LEVEL_ROLES: [&str; 4] = ["root", "snapshot", "targets", "timestamp"];

/// The specification major version Ceremony reads and writes.
pub const SPEC_VERSION: &str = "1.0.31";

/// What a metadata file is: its `signed._type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleType {
    Root,
    Targets,
    Snapshot,
    Timestamp,
}

impl RoleType {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleType::Root => "root",
            RoleType::Targets => "targets",
            RoleType::Snapshot => "snapshot",
            RoleType::Timestamp => "timestamp",
        }
    }

    fn parse(text: &str) -> Option<RoleType> {
        match text {
            "root" => Some(RoleType::Root),
            "targets" => Some(RoleType::Targets),
            "snapshot" => Some(RoleType::Snapshot),
            "timestamp" => Some(RoleType::Timestamp),
            _ => None,
        }
    }
}

impl fmt::Display for RoleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why metadata could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("{0}")]
    Json(#[from] CanonicalError),
    #[error("the file is not TUF metadata: {0}")]
    Shape(String),
    #[error("the metadata is of type {found:?}, but {expected} metadata was expected")]
    WrongType { expected: RoleType, found: String },
    #[error("the metadata's spec_version {0:?} is not a TUF 1.x version")]
    SpecVersion(String),
    #[error("the metadata breaks a TUF rule: {0}")]
    Rule(String),
    #[error("the metadata's expires field: {0}")]
    Time(#[from] TimeError),
}

/// True when `input` is already what [`Metadata::from_slice`] would make of it: canonical
/// JSON without control characters, which is the file form too (see `wire`). Every file
/// Ceremony writes is, so loading one checks it without writing a canonical copy.
fn is_file_form(input: &[u8]) -> bool {
    !wire::has_control_bytes(input) && canonical::is_canonical(input)
}

/// A metadata file's bytes, refused above the size no metadata file reaches.
fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    crate::limits::read_limited(path, crate::limits::MAX_METADATA_FILE)
        .map_err(|e| ReadError::Io(path.display().to_string(), e.to_string()))
}

/// A signatures list as compact canonical JSON, control characters kept raw (the caller
/// escapes them for a file).
pub fn signatures_json(signatures: &[Signature]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + signatures.len() * 220);
    out.push(b'[');
    for (i, s) in signatures.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"keyid\":");
        canonical::encode_string(&s.keyid, &mut out);
        out.extend_from_slice(b",\"sig\":");
        canonical::encode_string(&s.sig, &mut out);
        out.push(b'}');
    }
    out.push(b']');
    out
}

fn shape(e: serde_json::Error) -> MetadataError {
    MetadataError::Shape(e.to_string())
}

/// One entry of the envelope's `signatures` list. `sig` is hex; `""` is a placeholder
/// some tools write for a signature not yet made.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signature {
    pub keyid: String,
    pub sig: String,
}

/// The fields every `signed` object has, read without looking at the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub role_type: RoleType,
    pub version: u64,
    pub expires: MetaTime,
    pub spec_version: String,
}

/// A metadata file: `{"signatures": [...], "signed": {...}}`.
#[derive(Clone)]
pub struct Metadata {
    /// The envelope in file form (see [`crate::wire`]); `signed` is a range of it. Shared,
    /// so views into a 40 MB file (a promotion's 100,000 project delegations) need no copy.
    text: Arc<Vec<u8>>,
    signed: Range<usize>,
    /// True when `signed`'s canonical bytes differ from its text (escaped control characters).
    signed_has_controls: bool,
    signatures: Vec<Signature>,
    /// Envelope members other than signatures and signed, as canonical bytes.
    extra: Vec<(String, Vec<u8>)>,
    header: Header,
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata").field("header", &self.header).field("signatures", &self.signatures).finish()
    }
}

impl Metadata {
    /// Reads metadata from JSON text in any formatting.
    pub fn from_slice(input: &[u8]) -> Result<Metadata, MetadataError> {
        Metadata::from_input(Cow::Borrowed(input))
    }

    /// [`Metadata::from_slice`], keeping the buffer when it is already in file form.
    pub fn from_vec(input: Vec<u8>) -> Result<Metadata, MetadataError> {
        Metadata::from_input(Cow::Owned(input))
    }

    fn from_input(input: Cow<'_, [u8]>) -> Result<Metadata, MetadataError> {
        let file_form = is_file_form(&input);
        Metadata::from_checked(input, file_form)
    }

    /// `input`, kept as the text when it is already in file form, re-encoded otherwise.
    fn from_checked(input: Cow<'_, [u8]>, file_form: bool) -> Result<Metadata, MetadataError> {
        if file_form {
            return Metadata::from_text(input.into_owned());
        }
        Metadata::from_text(wire::canonical_to_text(canonical::canonicalize(&input)?))
    }

    /// Reads `input` as [`Metadata::from_input`] does, running `alongside` on the same bytes
    /// while their form is checked: work that may start before the check ends. Its answer
    /// is kept only when the input was in file form, so that the text `alongside` saw is
    /// the metadata's own text.
    fn from_input_alongside<T: Send>(
        input: Cow<'_, [u8]>,
        alongside: impl FnOnce(&[u8]) -> T + Send,
    ) -> Result<(Metadata, Option<T>), MetadataError> {
        let (envelope, early) = rayon::join(|| is_file_form(&input).then(|| read_envelope(&input)), || alongside(&input));
        match envelope {
            Some(envelope) => Ok((envelope?.around(input.into_owned()), Some(early))),
            None => Ok((Metadata::from_checked(input, false)?, None)),
        }
    }

    /// Reads a metadata file.
    pub fn from_file(path: &Path) -> Result<Metadata, ReadError> {
        let input = read_file(path)?;
        Metadata::from_vec(input).map_err(|e| ReadError::Metadata(path.display().to_string(), e))
    }

    /// [`Metadata::from_file`] with `alongside` run on the file's bytes while their form is
    /// checked; its answer is `None` unless the file was in file form (see
    /// [`Metadata::signed_span`]).
    pub fn from_file_alongside<T: Send>(
        path: &Path,
        alongside: impl FnOnce(&[u8]) -> T + Send,
    ) -> Result<(Metadata, Option<T>), ReadError> {
        let input = read_file(path)?;
        Metadata::from_input_alongside(Cow::Owned(input), alongside).map_err(|e| ReadError::Metadata(path.display().to_string(), e))
    }

    fn from_text(text: Vec<u8>) -> Result<Metadata, MetadataError> {
        Ok(read_envelope(&text)?.around(text))
    }

    /// Unsigned metadata around canonical `signed` bytes that Ceremony built.
    pub fn from_signed(signed: Vec<u8>) -> Result<Metadata, MetadataError> {
        if !canonical::is_canonical(&signed) {
            return Err(MetadataError::Shape("the signed bytes are not canonical JSON".into()));
        }
        let canonical_len = signed.len();
        let text = wire::canonical_to_text(signed);
        let outline = wire::outline(&text, 0).ok_or_else(|| MetadataError::Shape("the signed bytes are not an object".into()))?;
        let header = read_header(&text, &outline)?;
        let range = 0..text.len();
        let signed_has_controls = text.len() != canonical_len;
        Ok(Metadata { text: Arc::new(text), signed: range, signed_has_controls, signatures: Vec::new(), extra: Vec::new(), header })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn role_type(&self) -> RoleType {
        self.header.role_type
    }

    pub fn version(&self) -> u64 {
        self.header.version
    }

    pub fn expires(&self) -> MetaTime {
        self.header.expires
    }

    /// The exact bytes every signature is over: the canonical JSON of `signed`.
    pub fn signed_bytes(&self) -> Cow<'_, [u8]> {
        let text = self.signed_text();
        if self.signed_has_controls {
            wire::text_to_canonical(text)
        } else {
            Cow::Borrowed(text)
        }
    }

    /// Where in the text [`Metadata::signed_bytes`] lie, when they are the text's own bytes
    /// (no escaped control characters).
    pub fn signed_span(&self) -> Option<std::ops::Range<usize>> {
        (!self.signed_has_controls).then(|| self.signed.clone())
    }

    /// The text, shared, when [`Metadata::signed_bytes`] are a slice of it; `None` when
    /// they are not the text's own bytes (escaped control characters).
    pub fn shared_text(&self) -> Option<Arc<Vec<u8>>> {
        (!self.signed_has_controls).then(|| Arc::clone(&self.text))
    }

    /// `signed` in file form: valid JSON whose canonical form is [`Metadata::signed_bytes`].
    pub fn signed_text(&self) -> &[u8] {
        &self.text[self.signed.clone()]
    }

    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Adds a signature, replacing any entry (a placeholder included) under the same keyid.
    pub fn set_signature(&mut self, signature: Signature) {
        self.signatures.retain(|s| s.keyid != signature.keyid);
        self.signatures.push(signature);
        self.signatures.sort_by(|a, b| a.keyid.cmp(&b.keyid));
    }

    /// Adds signatures kept apart from the file (see `staging`), leaving out those the file
    /// already has; a second, different signature under a keyid is kept, for the
    /// integrity checks to refuse.
    pub fn add_signatures(&mut self, more: Vec<Signature>) {
        for s in more {
            if !self.signatures.contains(&s) {
                self.signatures.push(s);
            }
        }
        self.signatures.sort_by(|a, b| a.keyid.cmp(&b.keyid));
    }

    /// The whole file: compact JSON with sorted keys whose `signed` has, byte for byte,
    /// the canonical form it was received or built with.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_with(&self.signatures)
    }

    /// [`Metadata::to_bytes`] with other signatures in the envelope (none, for a file whose
    /// signatures are kept apart).
    pub fn to_bytes_with(&self, signatures: &[Signature]) -> Vec<u8> {
        let sigs = signatures_json(signatures);
        let mut members: Vec<(&str, &[u8])> = vec![("signatures", &sigs), ("signed", self.signed_text())];
        members.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.as_slice())));
        members.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = Vec::with_capacity(self.signed.len() + sigs.len() + 32);
        out.push(b'{');
        for (i, (name, value)) in members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            canonical::encode_string(name, &mut out);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        // Signatures and envelope members come from files too, and may hold control
        // characters: escape them so the file stays valid JSON (`signed` never has raw ones).
        wire::canonical_to_text(out)
    }

    fn expect(&self, expected: RoleType) -> Result<(), MetadataError> {
        if self.header.role_type != expected {
            return Err(MetadataError::WrongType { expected, found: self.header.role_type.to_string() });
        }
        Ok(())
    }

    /// The typed view of root metadata.
    pub fn root(&self) -> Result<Root, MetadataError> {
        self.expect(RoleType::Root)?;
        Root::parse(self.signed_text(), &self.header)
    }

    /// The typed view of targets metadata (top-level or delegated), borrowing its strings.
    pub fn targets(&self) -> Result<Targets<'_>, MetadataError> {
        self.expect(RoleType::Targets)?;
        Targets::parse(self.signed_text(), &self.header)
    }

    pub fn snapshot(&self) -> Result<Snapshot, MetadataError> {
        self.expect(RoleType::Snapshot)?;
        Snapshot::parse(self.signed_text(), &self.header)
    }

    pub fn timestamp(&self) -> Result<Timestamp, MetadataError> {
        self.expect(RoleType::Timestamp)?;
        let snapshot = Snapshot::parse(self.signed_text(), &self.header)?;
        if snapshot.meta.len() != 1 || !snapshot.meta.contains_key("snapshot.json") {
            return Err(MetadataError::Rule("timestamp meta must list exactly snapshot.json".into()));
        }
        Ok(Timestamp { snapshot: snapshot.meta["snapshot.json"].clone() })
    }
}

/// A file that could not be read, with its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {0}: {1}")]
    Io(String, String),
    #[error("{0}: {1}")]
    Metadata(String, MetadataError),
}

/// What [`read_envelope`] finds in a text: everything of [`Metadata`] but the text.
struct Envelope {
    signed: Range<usize>,
    signed_has_controls: bool,
    signatures: Vec<Signature>,
    extra: Vec<(String, Vec<u8>)>,
    header: Header,
}

impl Envelope {
    fn around(self, text: Vec<u8>) -> Metadata {
        let Envelope { signed, signed_has_controls, signatures, extra, header } = self;
        Metadata { signed, signed_has_controls, signatures, extra, header, text: Arc::new(text) }
    }
}

/// Reads the envelope of `text` (file form): where `signed` lies, its header, the
/// signatures and any other members.
fn read_envelope(text: &[u8]) -> Result<Envelope, MetadataError> {
    let not_object = || MetadataError::Shape("it is not a JSON object".into());
    let envelope = wire::outline(text, 0).ok_or_else(not_object)?;
    let mut signed = None;
    let mut signatures = None;
    let mut extra = Vec::new();
    for m in &envelope.members {
        let key: String = serde_json::from_slice(&text[m.key.clone()]).map_err(shape)?;
        match key.as_str() {
            "signed" => signed = Some(m.value.clone()),
            "signatures" => signatures = Some(m.value.clone()),
            _ => extra.push((key, text[m.value.clone()].to_vec())),
        }
    }
    let range = signed.ok_or_else(|| MetadataError::Shape("it has no \"signed\" object".into()))?;
    let signatures = signatures.ok_or_else(|| MetadataError::Shape("it has no \"signatures\" list".into()))?;
    let signatures: Vec<Signature> = serde_json::from_slice(&text[signatures]).map_err(shape)?;
    let outline = wire::outline(text, range.start).ok_or_else(|| MetadataError::Shape("\"signed\" is not an object".into()))?;
    let header = read_header(text, &outline)?;
    Ok(Envelope { signed: range, signed_has_controls: outline.escaped_controls, signatures, extra, header })
}

/// Reads `_type`, `version`, `expires` and `spec_version` from the outline of `signed`,
/// parsing only those four small values.
fn read_header(text: &[u8], signed: &wire::Outline) -> Result<Header, MetadataError> {
    let field = |name: &str| -> Result<&[u8], MetadataError> {
        let quoted = format!("\"{name}\"");
        signed
            .members
            .iter()
            .find(|m| &text[m.key.clone()] == quoted.as_bytes())
            .map(|m| &text[m.value.clone()])
            .ok_or_else(|| MetadataError::Shape(format!("\"signed\" has no {name:?} field")))
    };
    let string = |name: &str| -> Result<String, MetadataError> {
        serde_json::from_slice(field(name)?).map_err(|_| MetadataError::Shape(format!("{name:?} must be a string")))
    };
    let type_ = string("_type")?;
    let role_type = RoleType::parse(&type_).ok_or_else(|| MetadataError::Shape(format!("_type {type_:?} is not a TUF role type")))?;
    let spec_version = string("spec_version")?;
    check_spec_version(&spec_version)?;
    let version: u64 =
        serde_json::from_slice(field("version")?).map_err(|_| MetadataError::Shape("\"version\" must be a whole number".into()))?;
    if version == 0 {
        return Err(MetadataError::Rule("version must be at least 1".into()));
    }
    Ok(Header { role_type, version, expires: MetaTime::parse(&string("expires")?)?, spec_version })
}

/// Accepts `1.X` and `1.X.Y`, as python-tuf does.
fn check_spec_version(text: &str) -> Result<(), MetadataError> {
    let parts: Vec<&str> = text.split('.').collect();
    let numeric = parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !(2..=3).contains(&parts.len()) || !numeric || parts[0] != "1" {
        return Err(MetadataError::SpecVersion(text.to_string()));
    }
    Ok(())
}

/// A role's keyids and threshold, as root and delegations list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleKeys {
    pub keyids: Vec<String>,
    pub threshold: u64,
}

fn check_role_keys(name: &str, keyids: &[impl AsRef<str>], threshold: u64) -> Result<(), MetadataError> {
    if threshold < 1 {
        return Err(MetadataError::Rule(format!("role {name:?} has threshold {threshold}; it must be at least 1")));
    }
    for id in keyids {
        check_keyid(id.as_ref())?;
    }
    let unique: BTreeSet<&str> = keyids.iter().map(|k| k.as_ref()).collect();
    if unique.len() != keyids.len() {
        return Err(MetadataError::Rule(format!("role {name:?} lists a keyid more than once")));
    }
    Ok(())
}

/// True for a keyid in the only form Ceremony reads: 64 lower-case hex digits, as the
/// SHA-256 of a key object is written.
pub fn is_canonical_keyid(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Refuses a keyid in any other form than [`is_canonical_keyid`]'s. Clients match keyids
/// as strings, so one key listed under `ab…` and `AB…` would count as two keys for them.
fn check_keyid(id: &str) -> Result<(), MetadataError> {
    if is_canonical_keyid(id) {
        return Ok(());
    }
    let shown: String = id.chars().take(80).collect();
    Err(MetadataError::Rule(format!(
        "keyid {shown:?} is not in canonical form: a keyid must be the 64 lower-case hex digits of its key's SHA-256"
    )))
}

/// Root metadata: the keys and thresholds of the four top-level roles.
#[derive(Debug, Clone)]
pub struct Root {
    pub header: Header,
    pub consistent_snapshot: Option<bool>,
    pub keys: BTreeMap<String, Key>,
    pub roles: BTreeMap<String, RoleKeys>,
}

#[derive(Deserialize)]
struct RawRoot<'a> {
    #[serde(borrow)]
    keys: BTreeMap<Cow<'a, str>, &'a RawValue>,
    roles: BTreeMap<String, RoleKeys>,
    consistent_snapshot: Option<bool>,
}

impl Root {
    fn parse(signed: &[u8], header: &Header) -> Result<Root, MetadataError> {
        let raw: RawRoot<'_> = serde_json::from_slice(signed).map_err(shape)?;
        let names: Vec<&str> = raw.roles.keys().map(String::as_str).collect();
        if names != TOP_LEVEL_ROLES {
            return Err(MetadataError::Rule(format!(
                "root must define exactly the roles root, snapshot, targets and timestamp, not {names:?}"
            )));
        }
        for (name, role) in &raw.roles {
            check_role_keys(name, &role.keyids, role.threshold)?;
        }
        let mut keys = BTreeMap::new();
        for (keyid, raw_key) in raw.keys {
            check_keyid(&keyid)?;
            let key = Key::from_json(raw_key.get().as_bytes()).map_err(|e| MetadataError::Rule(format!("key {keyid}: {e}")))?;
            keys.insert(keyid.into_owned(), key);
        }
        Ok(Root { header: header.clone(), consistent_snapshot: raw.consistent_snapshot, keys, roles: raw.roles })
    }

    /// The delegation to a top-level role: its keys and threshold.
    pub fn delegation(&self, role: &str) -> Option<Delegation> {
        let r = self.roles.get(role)?;
        Some(Delegation::new(role, r.threshold, r.keyids.iter().map(|id| (id.clone(), self.keys.get(id).cloned()))))
    }

    /// Keys listed under a keyid that is not the SHA-256 of the key object: (listed, computed).
    pub fn keyid_mismatches(&self) -> Vec<(String, String)> {
        keyid_mismatches(self.keys.iter().map(|(id, k)| (id.as_str(), k)))
    }
}

fn keyid_mismatches<'k>(keys: impl Iterator<Item = (&'k str, &'k Key)>) -> Vec<(String, String)> {
    keys.filter(|(id, k)| *id != k.keyid()).map(|(id, k)| (id.to_string(), k.keyid().to_string())).collect()
}

/// A target file entry: length and hashes (custom fields stay in the signed bytes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TargetFile<'a> {
    pub length: u64,
    #[serde(borrow)]
    pub hashes: SortedMap<'a, JsonStr<'a>>,
}

/// Targets metadata: target files and delegations. Borrows from the metadata's bytes, so a
/// file with 100,000 delegations is read without copying its strings.
#[derive(Debug, Clone)]
pub struct Targets<'a> {
    pub header: Header,
    pub targets: SortedMap<'a, TargetFile<'a>>,
    pub delegations: Option<Delegations<'a>>,
}

#[derive(Deserialize)]
struct RawTargets<'a> {
    #[serde(borrow)]
    targets: SortedMap<'a, TargetFile<'a>>,
    #[serde(borrow)]
    delegations: Option<Delegations<'a>>,
}

/// The `delegations` object: keys, and either ordered roles or succinct roles.
#[derive(Debug, Clone, Deserialize)]
pub struct Delegations<'a> {
    #[serde(borrow)]
    pub keys: SortedMap<'a, &'a RawValue>,
    #[serde(borrow)]
    pub roles: Option<Vec<DelegatedRole<'a>>>,
    #[serde(borrow)]
    pub succinct_roles: Option<SuccinctRoles<'a>>,
}

/// One ordered delegation.
#[derive(Debug, Clone, Deserialize)]
pub struct DelegatedRole<'a> {
    #[serde(borrow)]
    pub name: JsonStr<'a>,
    #[serde(borrow)]
    pub keyids: Vec<JsonStr<'a>>,
    pub threshold: u64,
    pub terminating: bool,
    #[serde(borrow)]
    pub paths: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    pub path_hash_prefixes: Option<Vec<JsonStr<'a>>>,
}

/// TAP 15 succinct hash-bin delegation: `2^bit_length` roles named `PREFIX-HEX` sharing keys.
#[derive(Debug, Clone, Deserialize)]
pub struct SuccinctRoles<'a> {
    #[serde(borrow)]
    pub keyids: Vec<JsonStr<'a>>,
    pub threshold: u64,
    pub bit_length: u32,
    #[serde(borrow)]
    pub name_prefix: JsonStr<'a>,
}

impl<'a> Targets<'a> {
    fn parse(signed: &'a [u8], header: &Header) -> Result<Targets<'a>, MetadataError> {
        let raw: RawTargets<'a> = serde_json::from_slice(signed).map_err(shape)?;
        if let Some(d) = &raw.delegations {
            d.check()?;
        }
        Ok(Targets { header: header.clone(), targets: raw.targets, delegations: raw.delegations })
    }

    /// The delegation to `role`: by name among ordered roles, or as one of the succinct bins.
    pub fn delegation(&self, role: &str) -> Option<Delegation> {
        let d = self.delegations.as_ref()?;
        let (keyids, threshold) = if let Some(r) = d.roles.iter().flatten().find(|r| r.name == role) {
            (&r.keyids, r.threshold)
        } else {
            let s = d.succinct_roles.as_ref().filter(|s| s.is_role(role))?;
            (&s.keyids, s.threshold)
        };
        Some(Delegation::new(role, threshold, keyids.iter().map(|id| (id.to_string(), d.key(id)))))
    }
}

impl<'a> Delegations<'a> {
    fn check(&self) -> Result<(), MetadataError> {
        for (id, _) in self.keys.iter() {
            check_keyid(id)?;
        }
        match (&self.roles, &self.succinct_roles) {
            (Some(roles), None) => {
                let mut seen = BTreeSet::new();
                for role in roles {
                    role.check()?;
                    if !seen.insert(role.name.as_ref()) {
                        return Err(MetadataError::Rule(format!("delegated role {:?} appears twice", role.name)));
                    }
                }
            }
            (None, Some(s)) => s.check()?,
            _ => return Err(MetadataError::Rule("delegations must have exactly one of roles and succinct_roles".into())),
        }
        Ok(())
    }

    /// The key listed under `keyid`, if it is listed and well formed.
    pub fn key(&self, keyid: &str) -> Option<Key> {
        self.keys.get(keyid).and_then(|raw| Key::from_json(raw.get().as_bytes()).ok())
    }

    /// Keys listed under a keyid that is not the SHA-256 of the key object: (listed, computed).
    pub fn keyid_mismatches(&self) -> Result<Vec<(String, String)>, MetadataError> {
        let mut keys = Vec::with_capacity(self.keys.len());
        for (id, raw) in self.keys.iter() {
            let key = Key::from_json(raw.get().as_bytes()).map_err(|e| MetadataError::Rule(format!("delegated key {id}: {e}")))?;
            keys.push((id, key));
        }
        Ok(keyid_mismatches(keys.iter().map(|(id, k)| (*id, k))))
    }
}

impl DelegatedRole<'_> {
    fn check(&self) -> Result<(), MetadataError> {
        if self.name.is_empty() || TOP_LEVEL_ROLES.contains(&self.name.as_ref()) {
            return Err(MetadataError::Rule(format!("a delegated role may not be empty or named {:?}", self.name)));
        }
        check_role_keys(&self.name, &self.keyids, self.threshold)?;
        if self.paths.is_some() == self.path_hash_prefixes.is_some() {
            return Err(MetadataError::Rule(format!(
                "delegated role {:?} must have exactly one of paths and path_hash_prefixes",
                self.name
            )));
        }
        Ok(())
    }
}

impl SuccinctRoles<'_> {
    fn check(&self) -> Result<(), MetadataError> {
        if !(1..=32).contains(&self.bit_length) {
            return Err(MetadataError::Rule(format!("succinct_roles bit_length {} is not in 1..=32", self.bit_length)));
        }
        check_role_keys(&self.name_prefix, &self.keyids, self.threshold)
    }

    fn suffix_len(&self) -> usize {
        self.bit_length.div_ceil(4) as usize
    }

    /// How many bins there are.
    pub fn bin_count(&self) -> u64 {
        1u64 << self.bit_length
    }

    /// The name of bin `n`: `PREFIX-` and `n` in zero-padded lower-case hex.
    pub fn role_name(&self, n: u64) -> String {
        format!("{}-{:0width$x}", self.name_prefix, n, width = self.suffix_len())
    }

    /// The bin a target path falls in: the first `bit_length` bits of SHA-256(path).
    pub fn role_for_target(&self, path: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(path.as_bytes());
        let first = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let n = u64::from(first) >> (32 - self.bit_length);
        self.role_name(n)
    }

    /// True when `name` is one of the bins this delegation defines.
    pub fn is_role(&self, name: &str) -> bool {
        let Some(suffix) = name.strip_prefix(self.name_prefix.as_ref()).and_then(|s| s.strip_prefix('-')) else {
            return false;
        };
        if suffix.len() != self.suffix_len() || !suffix.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return false;
        }
        u64::from_str_radix(suffix, 16).is_ok_and(|n| n < self.bin_count())
    }
}

/// One entry of snapshot or timestamp `meta`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MetaFile {
    pub version: u64,
    pub length: Option<u64>,
    pub hashes: Option<BTreeMap<String, String>>,
}

/// Snapshot metadata: the version (and optionally length and hashes) of every targets file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub header: Header,
    pub meta: BTreeMap<String, MetaFile>,
}

#[derive(Deserialize)]
struct RawSnapshot {
    meta: BTreeMap<String, MetaFile>,
}

impl Snapshot {
    fn parse(signed: &[u8], header: &Header) -> Result<Snapshot, MetadataError> {
        let raw: RawSnapshot = serde_json::from_slice(signed).map_err(shape)?;
        for (name, m) in &raw.meta {
            if m.version == 0 {
                return Err(MetadataError::Rule(format!("meta entry {name:?} has version 0")));
            }
        }
        Ok(Snapshot { header: header.clone(), meta: raw.meta })
    }
}

/// Timestamp metadata: the snapshot it vouches for.
#[derive(Debug, Clone)]
pub struct Timestamp {
    pub snapshot: MetaFile,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_already_in_file_form_read_the_same_as_any_other_formatting() {
        let pretty = "{\n \"signatures\": [{\"keyid\": \"ab\", \"sig\": \"cd\"}],\n \"signed\": {\"_type\": \"targets\", \"version\": 2,\n  \"spec_version\": \"1.0.31\", \"expires\": \"2030-01-01T00:00:00Z\", \"targets\": {}, \"x\": \"a\\nb\"}}";
        let md = Metadata::from_slice(pretty.as_bytes()).unwrap();
        // A control character (escaped in the file) takes the general path, the rest the fast one.
        assert!(
            md.signed_bytes().contains(&b'\n') && !is_file_form(&md.to_bytes()),
            "expected a raw newline in the signed bytes and the file not in file form, got {md:?}"
        );
        let plain = Metadata::from_slice(pretty.replace("a\\nb", "ab").as_bytes()).unwrap();
        assert!(
            is_file_form(&plain.to_bytes()),
            "expected the file without controls in file form, got {}",
            String::from_utf8_lossy(&plain.to_bytes())
        );
        for m in [&md, &plain] {
            let again = Metadata::from_vec(m.to_bytes()).unwrap();
            assert_eq!(again.signed_bytes(), m.signed_bytes());
            assert_eq!(again.signatures(), m.signatures());
            assert_eq!(again.to_bytes(), m.to_bytes());
        }
        // Not canonical (a space), so canonicalized rather than taken as it is.
        let spaced = String::from_utf8(plain.to_bytes()).unwrap().replacen(':', ": ", 1);
        assert!(!is_file_form(spaced.as_bytes()), "expected a file with a space not in file form: {spaced}");
        assert_eq!(Metadata::from_slice(spaced.as_bytes()).unwrap().to_bytes(), plain.to_bytes());
    }

    /// Work run alongside the reading counts only for a file in file form, whose bytes it
    /// saw are the metadata's own; `signed_span` says where the signed bytes lie in them.
    #[test]
    fn work_alongside_counts_only_for_files_in_file_form() {
        let pretty = "{\"signatures\": [], \"signed\": {\"_type\": \"targets\", \"version\": 2, \"spec_version\": \"1.0.31\", \"expires\": \"2030-01-01T00:00:00Z\", \"targets\": {}, \"x\": \"a\\nb\"}}";
        let with_control = Metadata::from_slice(pretty.as_bytes()).unwrap();
        let plain = Metadata::from_slice(pretty.replace("a\\nb", "ab").as_bytes()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let read = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            Metadata::from_file_alongside(&path, |raw| raw.to_vec()).unwrap()
        };
        let (md, seen) = read("plain.json", &plain.to_bytes());
        assert_eq!(seen.as_deref(), Some(&plain.to_bytes()[..]));
        let span = md.signed_span().unwrap();
        assert_eq!(&plain.to_bytes()[span], &md.signed_bytes()[..]);
        for (name, bytes) in [("pretty.json", pretty.as_bytes().to_vec()), ("control.json", with_control.to_bytes())] {
            let (md, seen) = read(name, &bytes);
            assert!(seen.is_none(), "expected no work kept for {name}, got {seen:?}");
            assert_eq!(md.signed_bytes(), with_control.signed_bytes());
        }
        assert!(with_control.signed_span().is_none(), "expected no span for escaped controls, got {:?}", with_control.signed_span());
    }

    /// A keyid in any form but 64 lower-case hex digits is refused wherever keys are listed:
    /// clients match keyids as strings, so `ab…` and `AB…` would be two keys to them.
    #[test]
    fn keyids_must_be_lower_case_hex() {
        let key = crate::key::Key::new(crate::key::Algorithm::Ed25519, "ab".repeat(32));
        let (lower, upper) = (key.keyid().to_string(), key.keyid().to_ascii_uppercase());
        let key_json: serde_json::Value = serde_json::from_slice(key.canonical_bytes()).unwrap();
        let targets = |listed: &str, in_role: &str| {
            serde_json::json!({"_type": "targets", "spec_version": "1.0.31", "version": 1,
                "expires": "2030-01-01T00:00:00Z", "targets": {},
                "delegations": {"keys": {listed: key_json.clone()}, "roles": [{"name": "a", "keyids": [in_role],
                    "threshold": 1, "terminating": true, "paths": ["a/*"]}]}})
        };
        let root = |listed: &str, in_role: &str| {
            let role = serde_json::json!({"keyids": [in_role], "threshold": 1});
            serde_json::json!({"_type": "root", "spec_version": "1.0.31", "version": 1, "consistent_snapshot": true,
                "expires": "2030-01-01T00:00:00Z", "keys": {listed: key_json.clone()},
                "roles": {"root": role, "targets": role, "snapshot": role, "timestamp": role}})
        };
        let read = |signed: serde_json::Value| {
            let md = Metadata::from_signed(crate::canonical::to_canonical(&signed).unwrap()).unwrap();
            match md.role_type() {
                RoleType::Root => md.root().map(drop),
                _ => md.targets().map(drop),
            }
        };
        read(targets(&lower, &lower)).unwrap();
        read(root(&lower, &lower)).unwrap();
        for (listed, in_role) in [(&upper, &upper), (&lower, &upper), (&upper, &lower)] {
            let err = read(targets(listed, in_role)).unwrap_err().to_string();
            assert!(err.contains("lower-case hex"), "expected the keyid refused as not lower-case hex, got {err}");
            let err = read(root(listed, in_role)).unwrap_err().to_string();
            assert!(err.contains("lower-case hex"), "expected the keyid refused as not lower-case hex, got {err}");
        }
    }

    use crate::test_keys::{ed25519, metadata, signed_by, simple_root};
    use serde_json::json;

    fn header_json(kind: &str) -> serde_json::Value {
        json!({"_type": kind, "spec_version": "1.0.31", "version": 3, "expires": "2030-01-01T00:00:00Z"})
    }

    fn read(envelope: &serde_json::Value) -> Result<Metadata, MetadataError> {
        Metadata::from_slice(&serde_json::to_vec(envelope).unwrap())
    }

    fn refusal(envelope: serde_json::Value) -> String {
        match read(&envelope) {
            Ok(md) => panic!("expected {envelope} refused, got {md:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn role_types_read_and_print_as_named() {
        for (text, role) in
            [("root", RoleType::Root), ("targets", RoleType::Targets), ("snapshot", RoleType::Snapshot), ("timestamp", RoleType::Timestamp)]
        {
            assert_eq!(RoleType::parse(text), Some(role), "expected {text} read as {role:?}");
            assert_eq!(role.as_str(), text, "expected {role:?} written as {text}");
            assert_eq!(role.to_string(), text, "expected {role:?} displayed as {text}");
        }
        assert_eq!(RoleType::parse("mirrors"), None, "expected mirrors not a role type");
    }

    #[test]
    fn sane_role_names() {
        for good in ["a", "0", "proj-1.2_x", &"a".repeat(MAX_ROLE_NAME)] {
            assert!(is_sane_role_name(good), "expected {good:?} accepted as a role name");
        }
        for bad in ["", "-a", ".a", "_a", "a/b", "a b", "é", &"a".repeat(MAX_ROLE_NAME + 1)] {
            assert!(!is_sane_role_name(bad), "expected {bad:?} refused as a role name");
        }
    }

    #[test]
    fn the_header_is_read_and_checked() {
        let md = read(&json!({"signatures": [], "signed": header_json("timestamp")})).unwrap();
        assert_eq!(md.role_type(), RoleType::Timestamp, "expected a timestamp");
        assert_eq!(md.version(), 3, "expected version 3");
        assert_eq!(md.header().spec_version, "1.0.31", "expected the spec version read");
        assert_eq!(md.expires(), crate::datetime::MetaTime::parse("2030-01-01T00:00:00Z").unwrap(), "expected the expiry read");
        let debug = format!("{md:?}");
        assert!(debug.starts_with("Metadata { header: Header { role_type: Timestamp"), "expected Debug to show the header, got {debug}");
        assert!(debug.contains("signatures: []"), "expected Debug to show the signatures, got {debug}");
        let cases = [
            ("_type", json!("mirror"), "is not a TUF role type"),
            ("_type", json!(1), "\"_type\" must be a string"),
            ("version", json!(0), "version must be at least 1"),
            ("version", json!("3"), "must be a whole number"),
            ("version", json!(-1), "must be a whole number"),
            ("spec_version", json!("2.0.0"), "is not a TUF 1.x version"),
            ("spec_version", json!("1"), "is not a TUF 1.x version"),
            ("spec_version", json!("1.0.0.0"), "is not a TUF 1.x version"),
            ("spec_version", json!("1.x"), "is not a TUF 1.x version"),
            ("spec_version", json!("1..0"), "is not a TUF 1.x version"),
            ("spec_version", json!("01.0"), "is not a TUF 1.x version"),
            ("expires", json!("soon"), "expires field"),
        ];
        for (field, value, why) in cases {
            let mut signed = header_json("targets");
            signed[field] = value.clone();
            let err = refusal(json!({"signatures": [], "signed": signed}));
            assert!(err.contains(why), "expected {field} = {value} refused with {why:?}, got {err}");
        }
        for field in ["_type", "version", "expires", "spec_version"] {
            let mut signed = header_json("targets");
            signed.as_object_mut().unwrap().remove(field);
            let err = refusal(json!({"signatures": [], "signed": signed}));
            assert!(err.contains(&format!("has no \"{field}\" field")), "expected a missing {field} named, got {err}");
        }
        for ok in ["1.0", "1.2.3", "1.10.0"] {
            let mut signed = header_json("targets");
            signed["spec_version"] = json!(ok);
            assert!(read(&json!({"signatures": [], "signed": signed})).is_ok(), "expected spec_version {ok} accepted");
        }
    }

    #[test]
    fn the_envelope_needs_signed_and_signatures() {
        for (envelope, why) in [
            (json!([]), "not a JSON object"),
            (json!({"signed": header_json("targets")}), "no \"signatures\" list"),
            (json!({"signatures": []}), "no \"signed\" object"),
            (json!({"signatures": [], "signed": []}), "\"signed\" is not an object"),
            (json!({"signatures": [{"keyid": 1}], "signed": header_json("targets")}), "not TUF metadata"),
        ] {
            let err = refusal(envelope.clone());
            assert!(err.contains(why), "expected {envelope} refused with {why:?}, got {err}");
        }
    }

    #[test]
    fn other_envelope_members_and_signatures_survive_writing() {
        let sigs = json!([{"keyid": "bb", "sig": "02"}, {"keyid": "aa", "sig": ""}]);
        let md = read(&json!({"signatures": sigs, "signed": header_json("snapshot"), "x-extra": {"b": 1, "a": "t\tab"}})).unwrap();
        let again = Metadata::from_vec(md.to_bytes()).unwrap();
        let text = String::from_utf8(md.to_bytes()).unwrap();
        assert!(text.contains(r#""x-extra":{"a":"t\tab","b":1}"#), "expected the extra member kept, canonical and escaped: {text}");
        assert!(
            text.starts_with(r#"{"signatures":[{"keyid":"bb","sig":"02"},{"keyid":"aa","sig":""}],"signed":"#),
            "expected signatures in order first: {text}"
        );
        assert_eq!(again.to_bytes(), md.to_bytes(), "expected writing to be stable");
        let none = String::from_utf8(md.to_bytes_with(&[])).unwrap();
        assert!(
            none.starts_with(r#"{"signatures":[],"signed":"#) && none.contains("x-extra"),
            "expected no signatures and the extra kept: {none}"
        );
        let s = |keyid: &str, sig: &str| Signature { keyid: keyid.into(), sig: sig.into() };
        assert_eq!(
            signatures_json(&[s("a", "1"), s("b\n", "2")]),
            b"[{\"keyid\":\"a\",\"sig\":\"1\"},{\"keyid\":\"b\n\",\"sig\":\"2\"}]".to_vec(),
            "expected compact JSON, controls raw"
        );
        assert_eq!(signatures_json(&[]), b"[]".to_vec(), "expected an empty list");
    }

    #[test]
    fn signatures_are_set_and_added_by_keyid() {
        let mut md = read(&json!({"signatures": [{"keyid": "bb", "sig": ""}], "signed": header_json("snapshot")})).unwrap();
        let s = |keyid: &str, sig: &str| Signature { keyid: keyid.into(), sig: sig.into() };
        md.set_signature(s("bb", "01"));
        md.set_signature(s("aa", "02"));
        assert_eq!(md.signatures(), [s("aa", "02"), s("bb", "01")], "expected the placeholder replaced and the list sorted");
        md.add_signatures(vec![s("aa", "02"), s("aa", "03"), s("0c", "04")]);
        assert_eq!(
            md.signatures(),
            [s("0c", "04"), s("aa", "02"), s("aa", "03"), s("bb", "01")],
            "expected only new entries added, sorted"
        );
    }

    #[test]
    fn built_signed_bytes_must_be_canonical() {
        let err = Metadata::from_signed(b"{\"b\":1,\"a\":2}".to_vec()).unwrap_err();
        assert!(err.to_string().contains("not canonical"), "expected unsorted bytes refused, got {err}");
        let err = Metadata::from_signed(b"[]".to_vec()).unwrap_err();
        assert!(err.to_string().contains("not an object"), "expected a list refused, got {err}");
        let signed = crate::canonical::to_canonical(&json!({"_type": "targets", "spec_version": "1.0.31", "version": 1,
            "expires": "2030-01-01T00:00:00Z", "targets": {}, "x": "a\nb"}))
        .unwrap();
        let md = Metadata::from_signed(signed.clone()).unwrap();
        assert_eq!(md.signed_bytes().as_ref(), signed.as_slice(), "expected the signed bytes as built");
        assert!(md.signed_span().is_none(), "expected no signed span with escaped controls, got {:?}", md.signed_span());
        assert!(md.shared_text().is_none(), "expected no shared text with escaped controls, got {:?}", md.shared_text());
        let plain = Metadata::from_signed(crate::canonical::to_canonical(&header_json("snapshot")).unwrap()).unwrap();
        assert_eq!(plain.signed_span(), Some(0..plain.signed_text().len()), "expected the whole text to be the signed bytes");
        assert!(
            plain.shared_text().is_some_and(|t| t.as_slice() == plain.signed_text()),
            "expected the shared text to be the signed text, got {:?}",
            plain.shared_text()
        );
        assert!(plain.signatures().is_empty(), "expected no signatures on built metadata, got {:?}", plain.signatures());
    }

    #[test]
    fn files_are_read_with_their_path_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let md = signed_by(&simple_root(1, &[&ed25519(1)], 1), &[&ed25519(1)]);
        let path = dir.path().join("1.root.json");
        std::fs::write(&path, md.to_bytes()).unwrap();
        let again = Metadata::from_file(&path).unwrap_or_else(|e| panic!("expected the file read, got {e}"));
        assert_eq!(again.to_bytes(), md.to_bytes(), "expected the file's metadata");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, b"{}").unwrap();
        let err = Metadata::from_file(&bad).unwrap_err();
        assert!(
            matches!(&err, ReadError::Metadata(p, _) if p.ends_with("bad.json")),
            "expected the path with the metadata error, got {err:?}"
        );
        let err = Metadata::from_file(&dir.path().join("absent.json")).unwrap_err();
        assert!(matches!(&err, ReadError::Io(p, _) if p.ends_with("absent.json")), "expected the path with the read error, got {err:?}");
        let err = Metadata::from_file_alongside(&dir.path().join("absent.json"), |_| ()).unwrap_err();
        assert!(matches!(&err, ReadError::Io(..)), "expected a read error, got {err:?}");
        let err = Metadata::from_file_alongside(&bad, |_| ()).unwrap_err();
        assert!(matches!(&err, ReadError::Metadata(..)), "expected a metadata error, got {err:?}");
    }

    #[test]
    fn typed_views_need_their_type() {
        let md = read(&json!({"signatures": [], "signed": header_json("snapshot")})).unwrap_or_else(|e| panic!("{e}"));
        let err = md.root().unwrap_err();
        assert_eq!(
            err,
            MetadataError::WrongType { expected: RoleType::Root, found: "snapshot".into() },
            "expected snapshot refused as root"
        );
        assert!(md.targets().is_err(), "expected snapshot refused as targets, got {:?}", md.targets());
        assert!(md.timestamp().is_err(), "expected snapshot refused as timestamp, got {:?}", md.timestamp());
        assert!(md.snapshot().is_err(), "expected a snapshot without meta refused, got {:?}", md.snapshot());
    }

    #[test]
    fn snapshot_and_timestamp_meta() {
        let mut snap = header_json("snapshot");
        snap["meta"] = json!({"targets.json": {"version": 2, "length": 10, "hashes": {"sha256": "ab"}}});
        let s = metadata(&snap, &[]).snapshot().unwrap();
        assert_eq!(
            s.meta["targets.json"],
            MetaFile { version: 2, length: Some(10), hashes: Some([("sha256".to_string(), "ab".to_string())].into()) },
            "expected the entry read"
        );
        snap["meta"] = json!({"targets.json": {"version": 0}});
        let err = metadata(&snap, &[]).snapshot().unwrap_err().to_string();
        assert!(err.contains("has version 0"), "expected version 0 refused, got {err}");
        let mut ts = header_json("timestamp");
        ts["meta"] = json!({"snapshot.json": {"version": 4}});
        assert_eq!(metadata(&ts, &[]).timestamp().unwrap().snapshot.version, 4, "expected the snapshot version read");
        for meta in [json!({}), json!({"targets.json": {"version": 1}}), json!({"snapshot.json": {"version": 1}, "x.json": {"version": 1}})]
        {
            ts["meta"] = meta.clone();
            let err = metadata(&ts, &[]).timestamp().unwrap_err().to_string();
            assert!(err.contains("exactly snapshot.json"), "expected timestamp meta {meta} refused, got {err}");
        }
    }

    #[test]
    fn root_rules() {
        let k = ed25519(1);
        let good = simple_root(1, &[&k], 1);
        let root = metadata(&good, &[]).root().unwrap();
        assert_eq!(root.roles.len(), 4, "expected four roles");
        assert_eq!(root.delegation("mirror").map(|d| d.role), None, "expected no delegation to an unknown role");
        let mut missing = good.clone();
        missing["roles"].as_object_mut().unwrap().remove("timestamp");
        let mut extra = good.clone();
        extra["roles"]["mirror"] = good["roles"]["root"].clone();
        let mut zero = good.clone();
        zero["roles"]["snapshot"]["threshold"] = json!(0);
        let mut twice = good.clone();
        twice["roles"]["targets"]["keyids"] = json!([k.keyid(), k.keyid()]);
        let mut bad_key = good.clone();
        bad_key["keys"][k.keyid()] = json!({"keytype": "ed25519"});
        for (json, why) in [
            (missing, "exactly the roles"),
            (extra, "exactly the roles"),
            (zero, "threshold 0; it must be at least 1"),
            (twice, "lists a keyid more than once"),
            (bad_key, "is malformed"),
        ] {
            let err = metadata(&json, &[]).root().unwrap_err().to_string();
            assert!(err.contains(why), "expected a root refused with {why:?}, got {err}");
        }
        let mut mismatched = good.clone();
        let other = "ab".repeat(32);
        mismatched["keys"][&other] = good["keys"][k.keyid()].clone();
        let root = metadata(&mismatched, &[]).root().unwrap();
        assert_eq!(root.keyid_mismatches(), [(other, k.keyid())], "expected the listed and computed keyids");
    }

    fn delegating(delegations: serde_json::Value) -> serde_json::Value {
        let mut t = header_json("targets");
        t["targets"] = json!({"a.txt": {"length": 3, "hashes": {"sha256": "00"}}});
        t["delegations"] = delegations;
        t
    }

    #[test]
    fn delegations_rules() {
        let k = ed25519(1);
        let keys = json!({k.keyid(): serde_json::from_slice::<serde_json::Value>(&k.key().to_json_text()).unwrap()});
        let role = |name: &str| json!({"name": name, "keyids": [k.keyid()], "threshold": 1, "terminating": false, "paths": ["p/*"]});
        let good = delegating(json!({"keys": keys, "roles": [role("a"), role("b")]}));
        let md = metadata(&good, &[]);
        let targets = md.targets().unwrap();
        assert_eq!(targets.targets.get("a.txt").map(|t| t.length), Some(3), "expected the target read");
        let d = targets.delegation("b").unwrap_or_else(|| panic!("expected a delegation to b"));
        assert_eq!((d.role.as_str(), d.threshold, d.keys.clone()), ("b", 1, vec![(k.keyid(), Some(k.key()))]), "expected b's keys");
        assert!(targets.delegation("c").is_none(), "expected no delegation to c, got {:?}", targets.delegation("c"));
        assert_eq!(targets.delegations.as_ref().unwrap().key(&"ab".repeat(32)), None, "expected no key under an unlisted keyid");
        let mismatches = targets.delegations.as_ref().unwrap().keyid_mismatches().unwrap();
        assert!(mismatches.is_empty(), "expected no mismatches, got {mismatches:?}");
        let plain = metadata(
            &header_json("targets")
                .as_object()
                .cloned()
                .map(|mut o| {
                    o.insert("targets".into(), json!({}));
                    serde_json::Value::Object(o)
                })
                .unwrap(),
            &[],
        );
        let got = plain.targets().unwrap().delegation("a");
        assert!(got.is_none(), "expected no delegation without delegations, got {got:?}");
        let mut hashed = role("h");
        hashed.as_object_mut().unwrap().remove("paths");
        hashed["path_hash_prefixes"] = json!(["ab"]);
        let hashed_md = metadata(&delegating(json!({"keys": keys, "roles": [hashed]})), &[]);
        assert!(hashed_md.targets().is_ok(), "expected path_hash_prefixes accepted, got {:?}", hashed_md.targets());
        let mut both = role("x");
        both["path_hash_prefixes"] = json!(["ab"]);
        let mut neither = role("x");
        neither.as_object_mut().unwrap().remove("paths");
        let mut zero = role("x");
        zero["threshold"] = json!(0);
        let succinct = json!({"keyids": [k.keyid()], "threshold": 1, "bit_length": 4, "name_prefix": "bins"});
        let mut bad_keys = keys.clone();
        bad_keys["AB"] = keys[k.keyid()].clone();
        for (delegations, why) in [
            (json!({"keys": keys, "roles": [role("a"), role("a")]}), "appears twice"),
            (json!({"keys": keys, "roles": [role("")]}), "may not be empty"),
            (json!({"keys": keys, "roles": [role("snapshot")]}), "may not be empty or named"),
            (json!({"keys": keys, "roles": [both]}), "exactly one of paths and path_hash_prefixes"),
            (json!({"keys": keys, "roles": [neither]}), "exactly one of paths and path_hash_prefixes"),
            (json!({"keys": keys, "roles": [zero]}), "threshold 0"),
            (json!({"keys": keys}), "exactly one of roles and succinct_roles"),
            (json!({"keys": keys, "roles": [], "succinct_roles": succinct}), "exactly one of roles and succinct_roles"),
            (json!({"keys": bad_keys, "roles": []}), "lower-case hex"),
        ] {
            let err = metadata(&delegating(delegations.clone()), &[]).targets().unwrap_err().to_string();
            assert!(err.contains(why), "expected {delegations} refused with {why:?}, got {err}");
        }
        let mut odd = keys.clone();
        odd["ab".repeat(32)] = json!({"keytype": 1});
        let md = metadata(&delegating(json!({"keys": odd, "roles": []})), &[]);
        let err = md.targets().unwrap().delegations.unwrap().keyid_mismatches().unwrap_err().to_string();
        assert!(err.contains(&format!("delegated key {}", "ab".repeat(32))), "expected the malformed key named, got {err}");
    }

    #[test]
    fn succinct_bins() {
        let k = ed25519(1);
        let keys = json!({k.keyid(): serde_json::from_slice::<serde_json::Value>(&k.key().to_json_text()).unwrap()});
        for bad in [0, 33] {
            let s = json!({"keyids": [k.keyid()], "threshold": 1, "bit_length": bad, "name_prefix": "bins"});
            let err = metadata(&delegating(json!({"keys": keys, "succinct_roles": s})), &[]).targets().unwrap_err().to_string();
            assert!(err.contains("is not in 1..=32"), "expected bit_length {bad} refused, got {err}");
        }
        let s = json!({"keyids": [k.keyid()], "threshold": 0, "bit_length": 4, "name_prefix": "bins"});
        let err = metadata(&delegating(json!({"keys": keys, "succinct_roles": s})), &[]).targets().unwrap_err().to_string();
        assert!(err.contains("threshold 0"), "expected threshold 0 refused, got {err}");
        let digest = <sha2::Sha256 as sha2::Digest>::digest(b"pkg/a.tar.gz");
        for (bits, width, count, target) in [
            (1u32, 1usize, 2u64, format!("{:x}", digest[0] >> 7)),
            (5, 2, 32, format!("{:02x}", digest[0] >> 3)),
            (8, 2, 256, format!("{:02x}", digest[0])),
            (32, 8, 1 << 32, hex::encode(&digest[..4])),
        ] {
            let s = json!({"keyids": [k.keyid()], "threshold": 1, "bit_length": bits, "name_prefix": "bins"});
            let md = metadata(&delegating(json!({"keys": keys, "succinct_roles": s})), &[]);
            let t = md.targets().unwrap();
            let succinct = t.delegations.as_ref().unwrap().succinct_roles.as_ref().unwrap();
            assert_eq!(succinct.bin_count(), count, "expected {count} bins of {bits} bits");
            let last = succinct.role_name(count - 1);
            assert_eq!(last, format!("bins-{:0width$x}", count - 1), "expected the last bin's name for {bits} bits");
            assert_eq!(
                succinct.role_for_target("pkg/a.tar.gz"),
                format!("bins-{target}"),
                "expected the bin of the path's hash for {bits} bits"
            );
            assert!(
                succinct.is_role(&last) && succinct.is_role(&succinct.role_name(0)),
                "expected the first and last bins to be roles ({bits} bits)"
            );
            let d = t.delegation(&last).unwrap_or_else(|| panic!("expected a delegation to {last}"));
            assert_eq!((d.role.as_str(), d.threshold), (last.as_str(), 1), "expected the bin delegated");
            let past = format!("bins-{:0width$x}", count, width = width);
            for not in [
                past.as_str(),
                "bins",
                "bins-",
                "other-0",
                "binsx0",
                "bins-g",
                &format!("bins-{}", "0".repeat(width + 1)),
                &last.to_uppercase().replace("BINS", "bins"),
            ] {
                if not == last {
                    continue;
                }
                assert!(!succinct.is_role(not), "expected {not:?} not a bin of {bits} bits");
            }
        }
    }
}
