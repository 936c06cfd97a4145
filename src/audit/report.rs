//! The printable ceremony record (`ceremony report`): a plain data model built from the
//! workspace, and a renderer to one self-contained HTML page (inline CSS, no script, no
//! external resource) that prints on A4.
//!
//! Every string that comes from metadata, holder descriptors or the transcript is hostile
//! input: the renderer escapes all of them ([`escape`]), shows bidirectional-override and
//! control characters as visible `[U+....]` marks (so a role name cannot read differently
//! on paper than in the file), and the page's Content-Security-Policy forbids scripts and
//! every external load even if something slipped through.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::keys::holder::{Holder, KeySource};
use crate::tuf::datetime::format_expires;
use crate::tuf::key::short_keyid;
use crate::tuf::metadata::Delegation;
use crate::tuf::metadata::{Metadata, RoleType};
use crate::tuf::verify::{check_threshold, ThresholdReport};
use crate::workspace::review::digest_words;
use crate::workspace::staging::{self, StageError};
use crate::workspace::transcript::{Head, Record};
use crate::workspace::Workspace;

/// How many delegations of one role the tree names before it only counts the rest.
pub const TREE_NAMES: usize = 20;
/// How deep the tree is drawn; deeper delegations are counted, not drawn.
pub const TREE_DEPTH: usize = 12;
/// How many keyids a tree node names.
const NODE_KEYS: usize = 8;
/// How many path patterns a tree node quotes.
const NODE_PATHS: usize = 2;

/// The whole record.
#[derive(Debug, Clone)]
pub struct Report {
    pub generated: String,
    pub tool: String,
    /// SHA-256 of the binary that wrote the report, when it could be read.
    pub binary_sha256: Option<String>,
    pub workspace: String,
    pub holders: Vec<HolderEntry>,
    pub roles: Vec<RoleEntry>,
    /// The delegation tree from root down; `None` when the workspace holds no root.
    pub tree: Option<TreeNode>,
    pub signed: Vec<SignedDigest>,
    pub transcript: Vec<Record>,
    pub head: Head,
    /// Each closed ceremony's number and closing head, as its paper record shows it.
    pub closings: Vec<(usize, Head)>,
    /// Whether every staged role meets every threshold (false when nothing is staged).
    pub ready: bool,
    /// Things that could not be read or shown, in plain words.
    pub notes: Vec<String>,
}

/// A keyholder and their key.
#[derive(Debug, Clone)]
pub struct HolderEntry {
    pub name: String,
    pub keyid: String,
    pub key_type: String,
    /// Where the private key lives, in one phrase.
    pub location: String,
    /// Device details: serial and slot, token and label, KDF parameters.
    pub details: Vec<String>,
    pub attestation: String,
    /// A passphrase key made with the unsafe test KDF profile.
    pub unsafe_key: bool,
    pub registered: String,
}

/// Trusted (exported) or staged (proposed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleState {
    Trusted,
    Staged,
}

impl RoleState {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleState::Trusted => "trusted",
            RoleState::Staged => "staged",
        }
    }
}

/// One threshold over one role version, with holder names.
#[derive(Debug, Clone)]
pub struct ThresholdEntry {
    /// Whose keys: "previous root (version 1)", "targets version 3".
    pub label: String,
    pub have: u64,
    pub need: u64,
    pub of: usize,
    pub met: bool,
    pub signed: Vec<String>,
    pub missing: Vec<String>,
}

/// One version of a role the workspace holds.
#[derive(Debug, Clone)]
pub struct RoleEntry {
    pub role: String,
    pub state: RoleState,
    pub version: u64,
    pub expires: String,
    pub digest: String,
    pub words: Vec<&'static str>,
    /// For a trusted root: the SHA-256 of its whole file `N.root.json` and its words, the
    /// trust anchor read aloud when it was exported.
    pub anchor: Option<crate::workspace::role_digest::RoleDigest>,
    pub thresholds: Vec<ThresholdEntry>,
    pub problems: Vec<String>,
}

impl RoleEntry {
    pub fn complete(&self) -> bool {
        !self.thresholds.is_empty() && self.thresholds.iter().all(|t| t.met) && self.problems.is_empty()
    }
}

/// A keyid as the tree shows it: short, with its holder's name when registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLabel {
    pub keyid: String,
    pub holder: Option<String>,
}

/// One role in the delegation tree.
#[derive(Debug, Clone, Default)]
pub struct TreeNode {
    pub name: String,
    pub threshold: u64,
    pub keys: Vec<KeyLabel>,
    /// How many keyids the delegation lists (`keys` may name fewer).
    pub key_count: usize,
    pub path_count: Option<usize>,
    pub path_sample: Vec<String>,
    pub hash_prefix_count: Option<usize>,
    pub terminating: Option<bool>,
    /// The versions the workspace holds: "trusted v1", "staged v2"; empty for leaves.
    pub held: Vec<String>,
    pub children: Vec<TreeNode>,
    /// Delegations of this role that are counted but not drawn.
    pub not_shown: usize,
    /// A succinct hash-bin delegation, described in words.
    pub succinct: Option<String>,
    pub note: Option<String>,
}

/// A `sign` or `signature-import` record of the transcript, with the digest's words.
#[derive(Debug, Clone)]
pub struct SignedDigest {
    pub seq: u64,
    pub time: String,
    pub action: String,
    pub holder: String,
    pub role: String,
    pub version: Option<u64>,
    pub digest: String,
    pub words: Vec<&'static str>,
    pub device: String,
}

/// Every signature the transcript records (made here or imported), with the words its
/// signer read: [`crate::workspace::role_digest`] over the recorded digest, the function `sign` uses.
pub(crate) fn signed_digests(records: &[Record]) -> Vec<SignedDigest> {
    records
        .iter()
        .filter(|r| matches!(r.action.action.as_str(), "sign" | "signature-import"))
        .filter_map(|r| {
            let digest = r.action.digest.clone()?;
            let (role, version) = (r.action.role.clone().unwrap_or_default(), r.action.version);
            let words = crate::workspace::role_digest::recorded_role_digest(&role, version.unwrap_or_default(), &digest)
                .map(|d| d.words)
                .unwrap_or_default();
            Some(SignedDigest {
                seq: r.seq,
                time: r.time.clone(),
                action: r.action.action.clone(),
                holder: r.action.holder.clone().unwrap_or_default(),
                role,
                version,
                digest,
                words,
                device: r.action.device.clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// The trusted and staged versions of one role.
#[derive(Default)]
struct Held {
    trusted: Option<Metadata>,
    staged: Option<Metadata>,
}

impl Held {
    fn effective(&self) -> Option<&Metadata> {
        self.staged.as_ref().or(self.trusted.as_ref())
    }

    fn labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.trusted {
            out.push(format!("trusted v{}", t.version()));
        }
        if let Some(s) = &self.staged {
            out.push(format!("staged v{}", s.version()));
        }
        out
    }
}

fn holder_name(keyid: &str, holders: &[Holder]) -> Option<String> {
    holders.iter().find(|h| h.key.keyid() == keyid).map(|h| h.name.clone())
}

fn who(keyid: &str, holders: &[Holder]) -> String {
    holder_name(keyid, holders).unwrap_or_else(|| format!("key {}", short_keyid(keyid)))
}

fn threshold_entry(label: String, r: &ThresholdReport, holders: &[Holder]) -> ThresholdEntry {
    ThresholdEntry {
        label,
        have: r.have,
        need: r.threshold,
        of: r.keys.len(),
        met: r.is_met(),
        signed: r.signed().map(|id| who(id, holders)).collect(),
        missing: r.missing().map(|id| who(id, holders)).collect(),
    }
}

fn holder_entry(h: &Holder) -> HolderEntry {
    let key_type = match h.key.public_key() {
        Ok(p) => p.algorithm().label().to_string(),
        Err(_) => format!("{} (unusable)", h.key.keytype()),
    };
    let (details, attestation) = match &h.source {
        KeySource::Passphrase { construction, profile, memory_kib, iterations, lanes } => (
            vec![
                format!("KDF profile {profile}"),
                format!("Argon2id {memory_kib} KiB, {iterations} iterations, {lanes} lanes"),
                construction.clone(),
            ],
            "not applicable (passphrase)".to_string(),
        ),
        KeySource::Yubikey { serial, slot, attestation, .. } => (
            vec![format!("serial {serial}"), format!("PIV slot {slot}")],
            match attestation {
                Some(a) => format!("recorded: {}", a.verified),
                None => "none recorded (the device offered none)".to_string(),
            },
        ),
        KeySource::Pkcs11 { module, token, key_label } => (
            vec![format!("token {token}"), format!("key label {key_label}"), format!("module {module}")],
            "not recorded (PKCS#11)".to_string(),
        ),
        KeySource::PublicOnly => (Vec::new(), "not applicable (public key only)".to_string()),
    };
    HolderEntry {
        name: h.name.clone(),
        keyid: h.key.keyid().to_string(),
        key_type,
        location: h.describe(),
        details,
        attestation,
        unsafe_key: h.source.is_unsafe(),
        registered: h.registered.clone(),
    }
}

fn role_entry(role: &str, state: RoleState, md: &Metadata) -> RoleEntry {
    let d = staging::digest(md);
    RoleEntry {
        role: role.to_string(),
        state,
        version: md.version(),
        expires: format_expires(md.expires().at),
        digest: hex::encode(d),
        words: digest_words(&d),
        anchor: (role == "root" && state == RoleState::Trusted)
            .then(|| crate::workspace::role_digest::root_file_digest(md.version(), &md.to_bytes())),
        thresholds: Vec::new(),
        problems: Vec::new(),
    }
}

/// The delegation of `role` that a trusted version of it is checked against: for root, the
/// previous trusted root's and its own; for top-level roles, the newest trusted root's; for
/// delegated roles, the trusted targets-type metadata that delegates to it.
fn trusted_governing(role: &str, md: &Metadata, roots: &[Metadata], held: &BTreeMap<String, Held>) -> Vec<(String, Delegation)> {
    let mut out = Vec::new();
    if role == "root" {
        let previous = roots.iter().find(|r| r.version() + 1 == md.version());
        if let Some(d) = previous.and_then(|p| p.root().ok()).and_then(|r| r.delegation("root")) {
            out.push((format!("previous root (version {})", md.version() - 1), d));
        }
        if let Some(d) = md.root().ok().and_then(|r| r.delegation("root")) {
            out.push((format!("this root (version {})", md.version()), d));
        }
        return out;
    }
    if matches!(role, "targets" | "snapshot" | "timestamp") {
        if let Some(root) = roots.last() {
            if let Some(d) = root.root().ok().and_then(|r| r.delegation(role)) {
                out.push((format!("root version {}", root.version()), d));
            }
        }
        return out;
    }
    for (name, h) in held {
        let Some(parent) = &h.trusted else { continue };
        if let Some(d) = parent.targets().ok().and_then(|t| t.delegation(role)) {
            out.push((format!("{name} version {}", parent.version()), d));
            break;
        }
    }
    out
}

impl Report {
    /// Reads everything the record shows from the workspace. Refuses only when the
    /// transcript's chain does not verify (a record of an altered transcript would mislead);
    /// metadata that cannot be read is named in `notes`.
    pub fn build(ws: &Workspace, now: OffsetDateTime, binary_sha256: Option<String>) -> Result<Report, StageError> {
        let transcript = ws.transcript()?;
        let head = crate::workspace::transcript::head(&transcript);
        let closings = crate::audit::ceremonies::split(&transcript)
            .iter()
            .filter_map(|c| crate::audit::ceremonies::closing_head(&transcript, c).map(|h| (c.number, h)))
            .collect();
        let holders = ws.holders()?;
        let mut notes = Vec::new();

        let roots = staging::trusted_roots(ws)?;
        let mut held: BTreeMap<String, Held> = BTreeMap::new();
        if let Some(r) = roots.last() {
            held.entry("root".into()).or_default().trusted = Some(r.clone());
        }
        for role in staging::trusted_roles(ws)? {
            match staging::trusted(ws, &role) {
                Ok(Some(md)) => held.entry(role).or_default().trusted = Some(md),
                Ok(None) => {}
                Err(e) => notes.push(format!("trusted {role}: {e}")),
            }
        }
        for role in staging::staged_roles(ws)? {
            match staging::staged(ws, &role) {
                Ok(Some(md)) => held.entry(role).or_default().staged = Some(md),
                Ok(None) => {}
                Err(e) => notes.push(format!("staged {role}: {e}")),
            }
        }

        let mut roles = Vec::new();
        for md in &roots {
            let mut e = role_entry("root", RoleState::Trusted, md);
            for (label, d) in trusted_governing("root", md, &roots, &held) {
                e.thresholds.push(threshold_entry(label, &check_threshold(&md.signed_bytes(), md.signatures(), &d), &holders));
            }
            roles.push(e);
        }
        let mut trusted_names: Vec<&String> = held.iter().filter(|(n, h)| *n != "root" && h.trusted.is_some()).map(|(n, _)| n).collect();
        trusted_names.sort_by_key(|n| role_rank(n));
        for name in trusted_names {
            if let Some(md) = held.get(name).and_then(|h| h.trusted.as_ref()) {
                let mut e = role_entry(name, RoleState::Trusted, md);
                for (label, d) in trusted_governing(name, md, &roots, &held) {
                    e.thresholds.push(threshold_entry(label, &check_threshold(&md.signed_bytes(), md.signatures(), &d), &holders));
                }
                roles.push(e);
            }
        }
        let mut ready = false;
        match crate::workspace::status::status(ws, now) {
            Ok(statuses) => {
                ready = !statuses.is_empty() && statuses.iter().all(crate::workspace::status::RoleStatus::complete);
                for s in statuses {
                    let Some(md) = held.get(&s.role).and_then(|h| h.staged.as_ref()) else { continue };
                    let mut e = role_entry(&s.role, RoleState::Staged, md);
                    e.thresholds = s.thresholds.iter().map(|(l, r)| threshold_entry(l.clone(), r, &holders)).collect();
                    e.problems = s.problems;
                    roles.push(e);
                }
            }
            Err(e) => notes.push(format!("the staged roles' thresholds could not be checked: {e}")),
        }

        let tree = held.get("root").and_then(Held::effective).and_then(|root| match root.root() {
            Ok(view) => Some(root_tree(&view, &held, &holders)),
            Err(e) => {
                notes.push(format!("the root metadata cannot be read as root: {e}"));
                None
            }
        });

        let signed = signed_digests(&transcript);

        Ok(Report {
            generated: format_expires(now),
            tool: format!("ceremony {}", crate::support::buildinfo::VERSION),
            binary_sha256,
            workspace: ws.dir().display().to_string(),
            holders: holders.iter().map(holder_entry).collect(),
            roles,
            tree,
            signed,
            transcript,
            head,
            closings,
            ready,
            notes,
        })
    }
}

fn role_rank(role: &str) -> (u8, &str) {
    match role {
        "root" => (0, role),
        "targets" => (1, role),
        _ => (2, role),
    }
}

fn key_labels<'k>(keyids: impl Iterator<Item = &'k str>, holders: &[Holder]) -> (Vec<KeyLabel>, usize) {
    let all: Vec<&str> = keyids.collect();
    let labels = all.iter().take(NODE_KEYS).map(|id| KeyLabel { keyid: id.to_string(), holder: holder_name(id, holders) }).collect();
    (labels, all.len())
}

fn root_tree(root: &crate::tuf::metadata::Root, held: &BTreeMap<String, Held>, holders: &[Holder]) -> TreeNode {
    let mut node = top_node("root", root, held, holders);
    for name in ["targets", "snapshot", "timestamp"] {
        let mut child = top_node(name, root, held, holders);
        if name == "targets" {
            let mut path = vec!["targets".to_string()];
            if let Some(md) = held.get("targets").and_then(Held::effective) {
                expand(&mut child, md, held, holders, &mut path);
            }
        }
        node.children.push(child);
    }
    node
}

fn top_node(name: &str, root: &crate::tuf::metadata::Root, held: &BTreeMap<String, Held>, holders: &[Holder]) -> TreeNode {
    let (threshold, keys, key_count) = match root.roles.get(name) {
        Some(r) => {
            let (keys, n) = key_labels(r.keyids.iter().map(String::as_str), holders);
            (r.threshold, keys, n)
        }
        None => (0, Vec::new(), 0),
    };
    TreeNode {
        name: name.to_string(),
        threshold,
        keys,
        key_count,
        held: held.get(name).map(Held::labels).unwrap_or_default(),
        ..TreeNode::default()
    }
}

/// Adds the delegations of `md` (a targets-type role) under `node`: every role the workspace
/// holds metadata for, expanded in turn, and the first [`TREE_NAMES`] of the others as leaves.
fn expand(node: &mut TreeNode, md: &Metadata, held: &BTreeMap<String, Held>, holders: &[Holder], path: &mut Vec<String>) {
    if md.role_type() != RoleType::Targets {
        node.note = Some(format!("its metadata is of type {}, not targets", md.role_type()));
        return;
    }
    let view = match md.targets() {
        Ok(v) => v,
        Err(e) => {
            node.note = Some(format!("its metadata cannot be read: {e}"));
            return;
        }
    };
    let Some(delegations) = &view.delegations else { return };
    if let Some(s) = &delegations.succinct_roles {
        node.succinct = Some(format!(
            "{} hash bins named {}-…, each {} of {} keys ({})",
            s.bin_count(),
            s.name_prefix,
            s.threshold,
            s.keyids.len(),
            s.keyids.iter().take(NODE_KEYS).map(|k| short_keyid(k).to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    let Some(roles) = &delegations.roles else { return };
    let mut leaves = 0;
    for r in roles {
        let name = r.name.to_string();
        let holds = held.get(&name).and_then(Held::effective);
        if holds.is_none() && leaves >= TREE_NAMES {
            node.not_shown += 1;
            continue;
        }
        let (keys, key_count) = key_labels(r.keyids.iter().map(|k| k.as_ref()), holders);
        let mut child = TreeNode {
            name: name.clone(),
            threshold: r.threshold,
            keys,
            key_count,
            path_count: r.paths.as_ref().map(Vec::len),
            path_sample: r.paths.iter().flatten().take(NODE_PATHS).map(|p| p.to_string()).collect(),
            hash_prefix_count: r.path_hash_prefixes.as_ref().map(Vec::len),
            terminating: Some(r.terminating),
            held: held.get(&name).map(Held::labels).unwrap_or_default(),
            ..TreeNode::default()
        };
        match holds {
            None => leaves += 1,
            Some(_) if path.contains(&name) => {
                child.note = Some("delegates back to a role above it; not drawn again".into());
            }
            Some(_) if path.len() >= TREE_DEPTH => {
                child.note = Some(format!("deeper than {TREE_DEPTH} levels; not drawn"));
            }
            Some(child_md) => {
                path.push(name);
                expand(&mut child, child_md, held, holders, path);
                path.pop();
            }
        }
        node.children.push(child);
    }
}

// ---------------------------------------------------------------------------------------
// HTML

/// Escapes text for HTML element content and quoted attribute values. Bidirectional
/// controls and other invisible format characters, and C0/C1 control characters (except
/// newline and tab), become visible `[U+XXXX]` marks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if is_hidden(c) => {
                let _ = write!(out, "[U+{:04X}]", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The characters escaped as marks: defined with the texts people type for a ceremony, which
/// refuse them (the report reads the ceremonies, never the other way round).
pub use crate::audit::ceremonies::is_hidden;

/// A 64-hex keyid or digest as two lines of 32 (the columns are sized for that), so people
/// read it in two halves; anything else is escaped whole and breaks where it must.
pub(crate) fn hex_id(text: &str) -> String {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("<span class=\"id\">{}<wbr>{}</span>", &text[..32], &text[32..])
    } else {
        format!("<span class=\"id\">{}</span>", escape(text))
    }
}

/// A metadata time, allowed to wrap between the date and the time of day.
pub(crate) fn time_cell(text: &str) -> String {
    match text.split_once('T') {
        Some((date, rest)) => format!("{}T<wbr>{}", escape(date), escape(rest)),
        None => escape(text),
    }
}

const CSS: &str = r#"
@page { size: A4; margin: 15mm }
* { box-sizing: border-box }
html, body { margin: 0; padding: 0 }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; color: #000; background: #fff; line-height: 1.3 }
@media screen { body { max-width: 180mm; margin: 0 auto; padding: 4mm } }
h1 { font-size: 16pt; margin: 0 0 4pt }
h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1.5pt solid #000; page-break-after: avoid; break-after: avoid }
p { margin: 3pt 0 }
table { width: 100%; table-layout: fixed; border-collapse: collapse; margin: 3pt 0 8pt }
th, td { border: 0.75pt solid #777; padding: 2pt 3pt; text-align: left; vertical-align: top; overflow-wrap: anywhere; word-break: break-word }
th { background: #e8e8e8 }
thead { display: table-header-group }
tr, .node, .keep { page-break-inside: avoid; break-inside: avoid }
.id, code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 7.5pt; word-break: break-all; overflow-wrap: anywhere }
.words { font-weight: bold; word-break: break-word }
.ok { color: #064 }
.bad { color: #a00; font-weight: bold }
.small { font-size: 7.5pt; color: #333 }
.summary td:first-child { width: 28% }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding: 0 }
ul.tree ul { margin-left: 10pt; padding-left: 8pt; border-left: 0.75pt solid #888 }
ul.tree li { margin: 2pt 0; overflow-wrap: anywhere; word-break: break-word }
.node { display: block; border: 0.75pt solid #bbb; padding: 1.5pt 3pt }
.role { font-weight: bold }
.sign-off td { height: 22pt }
"#;

/// The page frame both reports share: one self-contained HTML page for A4 that loads
/// nothing (the Content-Security-Policy forbids every fetch), titled `title` (already
/// escaped), with what `body` writes inside.
pub(crate) fn page(title: &str, capacity: usize, body: impl FnOnce(&mut String)) -> String {
    let mut h = String::with_capacity(capacity);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    let _ = writeln!(h, "<title>{title}</title>");
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>");
    body(&mut h);
    h.push_str("</body>\n</html>\n");
    h
}

/// The table of signature lines both reports end with: name, signature, date; a line for
/// each of `names`, then `blank` empty lines for people the record does not name.
pub(crate) fn signature_lines<'a>(h: &mut String, names: impl IntoIterator<Item = &'a str>, blank: usize) {
    h.push_str(
        "<table class=\"sign-off\">\n<colgroup><col style=\"width:30%\"><col style=\"width:45%\"><col style=\"width:25%\"></colgroup>\n\
         <thead><tr><th>name</th><th>signature</th><th>date</th></tr></thead>\n<tbody>\n",
    );
    for name in names {
        let _ = writeln!(h, "<tr><td>{}</td><td></td><td></td></tr>", escape(name));
    }
    for _ in 0..blank {
        h.push_str("<tr><td></td><td></td><td></td></tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Renders the report as one self-contained HTML page.
pub fn render_html(r: &Report) -> String {
    let title = format!("Ceremony record, {}", escape(&r.generated));
    page(&title, 64 * 1024, |h| {
        summary(h, r);
        holders_section(h, r);
        tree_section(h, r);
        roles_section(h, r);
        signed_section(h, r);
        transcript_section(h, r);
        sign_off(h, r);
    })
}

fn summary(h: &mut String, r: &Report) {
    h.push_str("<h1>Ceremony record: the whole history</h1>\n<table class=\"summary\">\n");
    let row = |h: &mut String, k: &str, v: String| {
        let _ = writeln!(h, "<tr><td>{}</td><td>{v}</td></tr>", escape(k));
    };
    row(h, "Written", escape(&r.generated));
    row(h, "Workspace", format!("<span class=\"id\">{}</span>", escape(&r.workspace)));
    row(h, "Tool", escape(&r.tool));
    row(
        h,
        "Tool binary SHA-256",
        match &r.binary_sha256 {
            Some(s) => hex_id(s),
            None => "could not be read".into(),
        },
    );
    row(h, "Transcript head", format!("{} records, last hash {}", r.head.records, hex_id(&r.head.hash)));
    row(h, "Closing heads", closings_cell(&r.closings));
    let staged = r.roles.iter().filter(|e| e.state == RoleState::Staged).count();
    row(
        h,
        "Staged set",
        if staged == 0 {
            "nothing is staged".into()
        } else if r.ready {
            "<span class=\"ok\">ready to export: every threshold is met</span>".into()
        } else {
            "<span class=\"bad\">NOT ready: a threshold is not met or a rule is broken</span>".into()
        },
    );
    h.push_str("</table>\n");
    for n in &r.notes {
        let _ = writeln!(h, "<p class=\"bad\">Note: {}</p>", escape(n));
    }
}

fn holders_section(h: &mut String, r: &Report) {
    h.push_str("<h2>Keyholders and keys</h2>\n");
    if r.holders.is_empty() {
        h.push_str("<p>No keyholder is registered.</p>\n");
        return;
    }
    h.push_str(
        "<table>\n<colgroup><col style=\"width:13%\"><col style=\"width:30%\"><col style=\"width:10%\">\
         <col style=\"width:25%\"><col style=\"width:11%\"><col style=\"width:11%\"></colgroup>\n\
         <thead><tr><th>holder</th><th>keyid</th><th>key type</th><th>where the private key lives</th>\
         <th>attestation</th><th>registered</th></tr></thead>\n<tbody>\n",
    );
    for e in &r.holders {
        let location = if e.unsafe_key { format!("<span class=\"bad\">{}</span>", escape(&e.location)) } else { escape(&e.location) };
        let details: Vec<String> = e.details.iter().map(|d| escape(d)).collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{location}<br><span class=\"small\">{}</span></td>\
             <td class=\"small\">{}</td><td class=\"small\">{}</td></tr>",
            escape(&e.name),
            hex_id(&e.keyid),
            escape(&e.key_type),
            details.join("; "),
            escape(&e.attestation),
            time_cell(&e.registered),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn tree_section(h: &mut String, r: &Report) {
    h.push_str("<h2>Delegation tree</h2>\n");
    let Some(tree) = &r.tree else {
        h.push_str("<p>The workspace holds no root metadata yet.</p>\n");
        return;
    };
    let _ = writeln!(
        h,
        "<p class=\"small\">Drawn from the staged version of each role where one is staged, else the trusted one. \
         Roles whose metadata the workspace does not hold (online roles, project roles) are leaves; \
         each role names at most {TREE_NAMES} such delegations and counts the rest.</p>"
    );
    h.push_str("<ul class=\"tree\">\n");
    node_html(h, tree);
    h.push_str("</ul>\n");
}

fn node_html(h: &mut String, n: &TreeNode) {
    let mut parts = Vec::new();
    if n.threshold > 0 || n.key_count > 0 {
        let keys: Vec<String> = n
            .keys
            .iter()
            .map(|k| match &k.holder {
                Some(name) => format!("<span class=\"id\">{}</span> ({})", escape(short_keyid(&k.keyid)), escape(name)),
                None => format!("<span class=\"id\">{}</span>", escape(short_keyid(&k.keyid))),
            })
            .collect();
        let more = if n.key_count > n.keys.len() { format!(" and {} more", n.key_count - n.keys.len()) } else { String::new() };
        parts.push(format!("threshold {} of {} keys: {}{more}", n.threshold, n.key_count, keys.join(", ")));
    }
    if let Some(c) = n.path_count {
        let sample: Vec<String> = n.path_sample.iter().map(|p| format!("<code>{}</code>", escape(p))).collect();
        let tail = if sample.is_empty() {
            String::new()
        } else {
            format!(" ({}{})", sample.join(", "), if c > sample.len() { ", …" } else { "" })
        };
        parts.push(format!("{c} path pattern{}{tail}", if c == 1 { "" } else { "s" }));
    }
    if let Some(c) = n.hash_prefix_count {
        parts.push(format!("{c} path hash prefixes"));
    }
    if n.terminating == Some(true) {
        parts.push("terminating".into());
    }
    let held = if n.held.is_empty() { "metadata not in the workspace".to_string() } else { escape(&n.held.join(", ")) };
    let _ = write!(
        h,
        "<li><span class=\"node\"><span class=\"role\">{}</span> <span class=\"small\">[{held}]</span><br>{}",
        escape(&n.name),
        parts.join("; ")
    );
    if let Some(s) = &n.succinct {
        let _ = write!(h, "<br>delegates to {}", escape(s));
    }
    if let Some(note) = &n.note {
        let _ = write!(h, "<br><span class=\"bad\">{}</span>", escape(note));
    }
    h.push_str("</span>");
    if !n.children.is_empty() || n.not_shown > 0 {
        h.push_str("\n<ul>\n");
        for c in &n.children {
            node_html(h, c);
        }
        if n.not_shown > 0 {
            let total = n.children.len() + n.not_shown;
            let _ = writeln!(
                h,
                "<li><span class=\"node small\">… and {} more delegations not drawn ({} in all)</span></li>",
                n.not_shown, total
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</li>\n");
}

fn roles_section(h: &mut String, r: &Report) {
    h.push_str("<h2>Roles: versions, expiry, thresholds</h2>\n");
    if r.roles.is_empty() {
        h.push_str("<p>The workspace holds no metadata yet.</p>\n");
        return;
    }
    h.push_str(
        "<table>\n<colgroup><col style=\"width:12%\"><col style=\"width:11%\"><col style=\"width:6%\">\
         <col style=\"width:12%\"><col style=\"width:29%\"><col style=\"width:30%\"></colgroup>\n\
         <thead><tr><th>role</th><th>state</th><th>ver&shy;sion</th><th>expires</th><th>thresholds</th>\
         <th>SHA-256 of the signed bytes</th></tr></thead>\n<tbody>\n",
    );
    for e in &r.roles {
        let mut th = String::new();
        for t in &e.thresholds {
            let mark = if t.met { "<span class=\"ok\">met</span>" } else { "<span class=\"bad\">NOT met</span>" };
            let _ = write!(th, "{}: {} of {} needed (of {} keys), {mark}", escape(&t.label), t.have, t.need, t.of);
            if !t.signed.is_empty() {
                let _ = write!(th, "<br><span class=\"small\">signed: {}</span>", escape(&t.signed.join(", ")));
            }
            if !t.met && !t.missing.is_empty() {
                let _ = write!(th, "<br><span class=\"small\">missing: {}</span>", escape(&t.missing.join(", ")));
            }
            th.push_str("<br>");
        }
        if e.thresholds.is_empty() {
            th.push_str("no governing threshold found<br>");
        }
        for p in &e.problems {
            let _ = write!(th, "<span class=\"bad\">problem: {}</span><br>", escape(p));
        }
        let state = match e.state {
            RoleState::Trusted => "trusted".to_string(),
            // A shard is complete only by its seal: the one-time key the index pins.
            RoleState::Staged if e.complete() && crate::pypi::claimed::shard_key_of(&e.role).is_some() => {
                "staged, <span class=\"ok\">sealed</span> (one-time key the index pins)".to_string()
            }
            RoleState::Staged if e.complete() => "staged, <span class=\"ok\">complete</span>".to_string(),
            RoleState::Staged => "staged, <span class=\"bad\">NOT complete</span>".to_string(),
        };
        let anchor = match &e.anchor {
            Some(a) => format!(
                "<br><span class=\"small\">{}:</span><br>{}<br><span class=\"words\">{}</span>",
                escape(&crate::workspace::role_digest::anchor_label(e.version)),
                hex_id(&a.sha256),
                escape(&a.spoken())
            ),
            None => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{state}</td><td>{}</td><td class=\"small\">{}</td><td>{th}</td>\
             <td>{}<br><span class=\"words\">{}</span>{anchor}</td></tr>",
            escape(&e.role),
            e.version,
            time_cell(&e.expires),
            hex_id(&e.digest),
            escape(&e.words.join(" ")),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn signed_section(h: &mut String, r: &Report) {
    h.push_str("<h2>Digests signed</h2>\n");
    if r.signed.is_empty() {
        h.push_str("<p>No signature has been recorded yet.</p>\n");
        return;
    }
    h.push_str(
        "<p class=\"small\">Each signer read these words aloud before confirming; \
         the same role version must show the same digest and words for every signer.</p>\n\
         <table>\n<colgroup><col style=\"width:5%\"><col style=\"width:14%\"><col style=\"width:15%\">\
         <col style=\"width:11%\"><col style=\"width:30%\"><col style=\"width:25%\"></colgroup>\n\
         <thead><tr><th>#</th><th>time</th><th>holder</th><th>role</th><th>SHA-256</th><th>words</th></tr></thead>\n<tbody>\n",
    );
    for s in &r.signed {
        let version = s.version.map(|v| format!(" v{v}")).unwrap_or_default();
        let how = if s.action == "sign" {
            if s.device.is_empty() {
                String::new()
            } else {
                format!("<br><span class=\"small\">{}</span>", escape(&s.device))
            }
        } else {
            "<br><span class=\"small\">imported from another machine</span>".to_string()
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"small\">{}</td><td>{}{how}</td><td>{}{version}</td>\
             <td>{}</td><td class=\"words\">{}</td></tr>",
            s.seq,
            time_cell(&s.time),
            escape(&s.holder),
            escape(&s.role),
            hex_id(&s.digest),
            escape(&s.words.join(" ")),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Each closed ceremony's closing head with its words, as each paper record shows it.
fn closings_cell(closings: &[(usize, Head)]) -> String {
    if closings.is_empty() {
        return "no ceremony was closed yet".into();
    }
    let lines: Vec<String> = closings
        .iter()
        .map(|(n, c)| {
            let words = escape(&crate::audit::ceremonies::head_words(&c.hash));
            format!("ceremony {n}: record {}, {} ({words})", c.records, hex_id(&c.hash))
        })
        .collect();
    lines.join("<br>")
}

fn transcript_section(h: &mut String, r: &Report) {
    h.push_str("<h2>Transcript</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"small\">{} records, hash-chained: each record's hash covers the one before it. \
         Last hash: {}</p>",
        r.head.records,
        hex_id(&r.head.hash)
    );
    transcript_table(h, &r.transcript);
}

/// The records as a table, one row each, with every field a record may carry.
pub(crate) fn transcript_table(h: &mut String, records: &[Record]) {
    h.push_str(
        "<table>\n<colgroup><col style=\"width:5%\"><col style=\"width:14%\"><col style=\"width:11%\">\
         <col style=\"width:40%\"><col style=\"width:30%\"></colgroup>\n\
         <thead><tr><th>#</th><th>time</th><th>action</th><th>what</th><th>record hash</th></tr></thead>\n<tbody>\n",
    );
    for rec in records {
        let a = &rec.action;
        let mut what = Vec::new();
        if let Some(x) = &a.holder {
            what.push(format!("holder {}", escape(x)));
        }
        if let Some(x) = &a.role {
            what.push(format!("{}{}", escape(x), a.version.map(|v| format!(" v{v}")).unwrap_or_default()));
        }
        if let Some(x) = &a.digest {
            what.push(format!("sha256 <span class=\"id\">{}</span>", escape(short_keyid(x))));
        }
        if let Some(x) = &a.keyid {
            what.push(format!("key <span class=\"id\">{}</span>", escape(short_keyid(x))));
        }
        if let Some(x) = &a.device {
            what.push(format!("on {}", escape(x)));
        }
        if let Some(x) = &a.detail {
            what.push(escape(x));
        }
        if let Some(c) = &a.ceremony {
            what.extend(ceremony_facts(c));
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"small\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rec.seq,
            time_cell(&rec.time),
            escape(&a.action),
            what.join(", "),
            hex_id(&rec.hash),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// What a `ceremony begin` or `ceremony end` record holds, escaped, one item each.
fn ceremony_facts(c: &crate::workspace::transcript::CeremonyFacts) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(x) = &c.purpose {
        out.push(format!("purpose: {}", escape(x)));
    }
    if let Some(x) = &c.place {
        out.push(format!("place: {}", escape(x)));
    }
    if !c.attendees.is_empty() {
        out.push(format!("attendees: {}", escape(&c.attendees.join("; "))));
    }
    if let Some(x) = &c.binary_sha256 {
        out.push(format!("binary sha256 <span class=\"id\">{}</span>", escape(short_keyid(x))));
    }
    if !c.preflight.is_empty() {
        let fails = c.preflight.iter().filter(|l| l.starts_with("fail")).count();
        out.push(format!("preflight: {} checks, {fails} failed", c.preflight.len()));
    }
    if !c.bags.is_empty() {
        out.push(format!("bags: {}", escape(&c.bags.join("; "))));
    }
    out
}

fn sign_off(h: &mut String, r: &Report) {
    h.push_str(
        "<h2>Witnessed by</h2>\n<p class=\"small\">Each person present checks that this record matches the screen \
                (transcript head above) and signs.</p>\n",
    );
    let names: BTreeSet<&str> = r.holders.iter().filter(|e| !e.location.starts_with("public key only")).map(|e| e.name.as_str()).collect();
    // Two more lines for witnesses who hold no key.
    signature_lines(h, names, 2);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_hidden_characters() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(escape("evil\u{202E}txt.exe"), "evil[U+202E]txt.exe");
        assert_eq!(escape("a\u{0}b\u{7}"), "a[U+0000]b[U+0007]");
        assert_eq!(escape("plain claimed-ab"), "plain claimed-ab");
    }

    fn hostile_report() -> Report {
        let evil = "<img src=x onerror=alert(1)>\u{202E}";
        let node = TreeNode {
            name: evil.into(),
            threshold: 1,
            keys: vec![KeyLabel { keyid: evil.into(), holder: Some(evil.into()) }],
            key_count: 1,
            path_count: Some(1),
            path_sample: vec![evil.into()],
            note: Some(evil.into()),
            succinct: Some(evil.into()),
            ..TreeNode::default()
        };
        Report {
            generated: evil.into(),
            tool: evil.into(),
            binary_sha256: Some(evil.into()),
            workspace: evil.into(),
            holders: vec![HolderEntry {
                name: evil.into(),
                keyid: evil.into(),
                key_type: evil.into(),
                location: evil.into(),
                details: vec![evil.into()],
                attestation: evil.into(),
                unsafe_key: true,
                registered: evil.into(),
            }],
            roles: vec![RoleEntry {
                role: evil.into(),
                state: RoleState::Staged,
                version: 1,
                expires: evil.into(),
                digest: evil.into(),
                words: vec!["x"],
                anchor: None,
                thresholds: vec![ThresholdEntry {
                    label: evil.into(),
                    have: 0,
                    need: 1,
                    of: 1,
                    met: false,
                    signed: vec![evil.into()],
                    missing: vec![evil.into()],
                }],
                problems: vec![evil.into()],
            }],
            tree: Some(TreeNode { name: "root".into(), children: vec![node], not_shown: 3, ..TreeNode::default() }),
            signed: vec![SignedDigest {
                seq: 1,
                time: evil.into(),
                action: "sign".into(),
                holder: evil.into(),
                role: evil.into(),
                version: Some(1),
                digest: evil.into(),
                words: vec![],
                device: evil.into(),
            }],
            transcript: Vec::new(),
            head: Head { records: 0, hash: evil.into() },
            closings: vec![(1, Head { records: 0, hash: evil.into() })],
            ready: false,
            notes: vec![evil.into()],
        }
    }

    #[test]
    fn every_hostile_string_is_escaped() {
        let html = render_html(&hostile_report());
        assert!(!html.contains("<img"), "unescaped markup in the report: expected {:?} not to contain {:?}", html, "<img");
        assert!(!html.contains('\u{202E}'), "a bidi override reached the page: expected {:?} not to contain {:?}", html, '\u{202E}');
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;[U+202E]"),
            "expected {:?} to contain {:?}",
            html,
            "&lt;img src=x onerror=alert(1)&gt;[U+202E]"
        );
        assert!(!html.contains("<script"), "expected {:?} not to contain {:?}", html, "<script");
        assert!(html.contains("Content-Security-Policy"), "expected {:?} to contain {:?}", html, "Content-Security-Policy");
        assert!(
            html.contains("and 3 more delegations not drawn (4 in all)"),
            "expected {:?} to contain {:?}",
            html,
            "and 3 more delegations not drawn (4 in all)"
        );
    }
}
