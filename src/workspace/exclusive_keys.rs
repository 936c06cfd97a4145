//! Role-exclusive keys (issue 15, docs/key-separation.md).
//!
//! Targets metadata does not name its role, and the online key signs snapshot, which gives
//! each file's version. So two targets-type roles that list the same key are interchangeable
//! to anyone who holds the online key: it can serve the file of one under the name of the
//! other, and a client that finds nothing there falls through to an online role. The rule:
//!
//! - no key is listed for two offline targets-type roles: root's `targets`, the `claimed`
//!   index, each claimed shard (each its own role);
//! - no key of an online role (`snapshot`, `timestamp`, `recently-claimed`, `unclaimed`) is
//!   listed for an offline role (`root` included): the online key is the attacker's in the
//!   threat this rule answers. Online roles may share the online key among themselves, and
//!   root may share keys with offline targets-type roles (a root file is never taken for a
//!   targets file).
//!
//! Keyids are compared in lower case: a key listed once in upper-case hex is the same key.

use std::collections::{BTreeMap, BTreeSet};

use crate::keys::holder::{Holder, KeySource};
use crate::pypi::roles::{CLAIMED, RECENTLY_CLAIMED, UNCLAIMED};
use crate::tuf::key::short_keyid;
use crate::tuf::metadata::Metadata;
use crate::workspace::staging::{self, StageError};
use crate::workspace::Workspace;

/// What kind of role a key is listed for, as far as this rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Root: offline, but its files cannot be taken for targets files.
    Root,
    /// `targets`, the `claimed` index, each shard: offline and interchangeable if they share a key.
    OfflineTargets,
    /// Signed with the online key.
    Online,
}

/// One role and the keyids (lower case) listed for it.
#[derive(Debug, Clone)]
pub struct RoleKeys {
    pub role: String,
    pub class: Class,
    pub keyids: BTreeSet<String>,
}

impl RoleKeys {
    pub fn new<'k>(role: &str, class: Class, keyids: impl IntoIterator<Item = &'k str>) -> RoleKeys {
        RoleKeys { role: role.to_string(), class, keyids: keyids.into_iter().map(str::to_ascii_lowercase).collect() }
    }
}

/// A key listed for two roles that must not share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub keyid: String,
    /// The role met first in the layout's order (root, targets, claimed, shards, online).
    pub first: String,
    pub second: String,
    /// True when one of the two is an online role.
    pub online: bool,
}

fn must_differ(a: Class, b: Class) -> bool {
    !matches!(
        (a, b),
        (Class::Online, Class::Online)
            | (Class::Root, Class::OfflineTargets)
            | (Class::OfflineTargets, Class::Root)
            | (Class::Root, Class::Root)
    )
}

/// Every pair of roles in `layout` that share a key they must not share, once per key and pair.
pub fn conflicts(layout: &[RoleKeys]) -> Vec<Conflict> {
    let mut by_key: BTreeMap<&str, Vec<&RoleKeys>> = BTreeMap::new();
    for r in layout {
        for id in &r.keyids {
            by_key.entry(id.as_str()).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for (id, roles) in by_key {
        for (i, a) in roles.iter().enumerate() {
            for b in &roles[i + 1..] {
                if a.role != b.role && must_differ(a.class, b.class) {
                    let online = a.class == Class::Online || b.class == Class::Online;
                    out.push(Conflict { keyid: id.to_string(), first: a.role.clone(), second: b.role.clone(), online });
                }
            }
        }
    }
    out
}

/// Where the layout is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// What the workspace trusts (the last export).
    Trusted,
    /// Staged versions where there are, else trusted ones.
    Effective,
}

fn read(ws: &Workspace, role: &str, source: Source, pending: Option<(&str, &Metadata)>) -> Result<Option<Metadata>, StageError> {
    match pending {
        Some((r, md)) if r == role => Ok(Some(md.clone())),
        _ if source == Source::Trusted => staging::trusted(ws, role),
        _ => staging::effective(ws, role),
    }
}

/// The roles and keys a client would see if `pending` (a role about to be staged) joined
/// the workspace's `source` metadata.
pub fn layout(ws: &Workspace, source: Source, pending: Option<(&str, &Metadata)>) -> Result<Vec<RoleKeys>, StageError> {
    let mut out = Vec::new();
    if let Some(md) = read(ws, "root", source, pending)? {
        if let Ok(root) = md.root() {
            for (name, role) in &root.roles {
                let class = match name.as_str() {
                    "root" => Class::Root,
                    "targets" => Class::OfflineTargets,
                    _ => Class::Online,
                };
                out.push(RoleKeys::new(name, class, role.keyids.iter().map(String::as_str)));
            }
        }
    }
    let mut claimed_keys = None;
    if let Some(md) = read(ws, "targets", source, pending)? {
        if let Ok(targets) = md.targets() {
            for d in targets.delegations.iter().flat_map(|d| d.roles.iter().flatten()) {
                let class = if d.name == RECENTLY_CLAIMED || d.name == UNCLAIMED { Class::Online } else { Class::OfflineTargets };
                let role = RoleKeys::new(&d.name, class, d.keyids.iter().map(|k| &**k));
                if d.name == CLAIMED {
                    claimed_keys = Some((role.keyids.clone(), d.threshold));
                }
                out.push(role);
            }
        }
    }
    let index_pending = pending.is_some_and(|(r, _)| r == CLAIMED);
    if let (Some(md), Some((keys, threshold))) = (read(ws, CLAIMED, source, pending)?, claimed_keys) {
        let staged = index_pending || (source == Source::Effective && staging::staged(ws, CLAIMED)?.is_some());
        out.extend(shards(&md, &keys, threshold, staged));
    }
    Ok(out)
}

/// The shards an index delegates to, each its own role.
///
/// Two exceptions, both for an index whose keys are not yet its own:
/// - a shard delegated to exactly the keys that sign the index is the layout Ceremony wrote
///   before sealed shards (every shard under the claimed keys); it is checked as part of
///   `claimed`. Sealed shards (one-time keys) never match it.
/// - a trusted index that the current `claimed` keys did not sign cannot reach a client
///   until it is re-keyed, so its shards are checked when it is restaged.
fn shards(index: &Metadata, claimed: &BTreeSet<String>, threshold: u64, staged: bool) -> Vec<RoleKeys> {
    let signers = index.signatures().iter().filter(|s| !s.sig.is_empty() && claimed.contains(&s.keyid.to_ascii_lowercase())).count();
    if !staged && (signers as u64) < threshold {
        return Vec::new();
    }
    let Ok(view) = index.targets() else { return Vec::new() };
    let roles = view.delegations.iter().flat_map(|d| d.roles.iter().flatten());
    roles.map(|d| RoleKeys::new(&d.name, Class::OfflineTargets, d.keyids.iter().map(|k| &**k))).filter(|r| &r.keyids != claimed).collect()
}

/// `text` as one shell word: the record's module and token come from the workspace, and a
/// command people copy into a shell must not run what a rewritten record slipped in.
fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_./@:+-=,".contains(&b)) {
        text.to_string()
    } else {
        let quoted: String = text.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
        format!("'{}'", quoted.replace('\'', "'\\''"))
    }
}

/// The base name and the command that registers a key for `role` for the holder of a key.
fn new_key_command(holder: &Holder, role: &str) -> String {
    let base = holder.name.split('.').next().unwrap_or(&holder.name);
    match &holder.source {
        KeySource::Passphrase { .. } => format!("ceremony key new passphrase --holder {base} --for {role}"),
        KeySource::Yubikey { .. } => format!("ceremony key new yubikey --holder {base} --for {role} --slot 9d --generate"),
        KeySource::Pkcs11 { module, token, .. } => {
            let (module, token) = (shell_word(module), shell_word(token));
            format!("ceremony key new pkcs11 --holder {base} --for {role} --module {module} --token {token} --key-label NEW-LABEL")
        }
        KeySource::PublicOnly => format!("ceremony key import --holder {base} --for {role} FILE"),
    }
}

/// One sentence for a conflict: whose key, which two roles, why it matters, what fixes it.
pub fn sentence(c: &Conflict, holders: &[Holder]) -> String {
    let holder = holders.iter().find(|h| h.key.keyid().eq_ignore_ascii_case(&c.keyid));
    let id = c.keyid.to_ascii_lowercase();
    let who = holder.map_or_else(|| format!("key {}", short_keyid(&id)), |h| format!("{}'s key {}", h.name, short_keyid(&id)));
    let (a, b) = (&c.first, &c.second);
    if c.online {
        let offline = if is_online_role(a) { b } else { a };
        let online = if is_online_role(a) { a } else { b };
        return format!(
            "{who} would sign both {offline} and {online}, but {online} is signed online and whoever takes the online server holds that key, so they could sign {offline} too; name a key for {offline} that no online role uses (`ceremony key list` shows each holder's key)"
        );
    }
    let fix = match (holder, crate::pypi::claimed::shard_key_of(b).is_some()) {
        (_, true) => format!("give {b} keys of its own: restage the claimed index and its shards under keys no other role lists"),
        (Some(h), false) => {
            let base = h.name.split('.').next().unwrap_or(&h.name);
            format!("register a separate key for {b} (`{}`) and name {base}.{b} instead", new_key_command(h, b))
        }
        (None, false) => format!("name a key for {b} that no other role lists"),
    };
    format!("{who} would sign both {a} and {b}, and a client cannot tell their files apart, so anyone with the online key could serve one as the other; {fix}")
}

fn is_online_role(role: &str) -> bool {
    matches!(role, "snapshot" | "timestamp" | RECENTLY_CLAIMED | UNCLAIMED)
}

/// The rule's problems once `role` is staged as `md`: one sentence per conflict.
pub fn problems(ws: &Workspace, role: &str, md: &Metadata, holders: &[Holder]) -> Result<Vec<String>, StageError> {
    let layout = layout(ws, Source::Effective, Some((role, md)))?;
    Ok(conflicts(&layout).iter().map(|c| sentence(c, holders)).collect())
}

/// The rule's problems with the trusted layout (for `status` and `preflight` warnings).
pub fn trusted_problems(ws: &Workspace, holders: &[Holder]) -> Result<Vec<String>, StageError> {
    let layout = layout(ws, Source::Trusted, None)?;
    Ok(conflicts(&layout).iter().map(|c| sentence(c, holders)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, class: Class, ids: &[&str]) -> RoleKeys {
        RoleKeys::new(name, class, ids.iter().copied())
    }

    fn pairs(layout: &[RoleKeys]) -> Vec<(String, String)> {
        conflicts(layout).into_iter().map(|c| (c.first, c.second)).collect()
    }

    #[test]
    fn a_records_words_reach_the_suggested_command_as_single_shell_words() {
        assert_eq!(shell_word("/usr/lib/softhsm/libsofthsm2.so"), "/usr/lib/softhsm/libsofthsm2.so");
        assert_eq!(shell_word("x.so; rm -rf ~"), "'x.so; rm -rf ~'");
        assert_eq!(shell_word("it's $(id)"), "'it'\\''s $(id)'");
        assert_eq!(shell_word("a\u{1b}[2Jb"), "'a?[2Jb'");
        assert_eq!(shell_word(""), "''");
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn exclusive_layout_passes() {
        let layout = [
            role("root", Class::Root, &["aa", "bb"]),
            role("targets", Class::OfflineTargets, &["aa", "bb"]),
            role("claimed", Class::OfflineTargets, &["a1", "b1"]),
            role("claimed.a", Class::OfflineTargets, &["s1"]),
            role("claimed.b", Class::OfflineTargets, &["s2"]),
            role("snapshot", Class::Online, &["00"]),
            role("timestamp", Class::Online, &["00"]),
            role("recently-claimed", Class::Online, &["00"]),
            role("unclaimed", Class::Online, &["00"]),
        ];
        assert_eq!(pairs(&layout), vec![]);
    }

    #[test]
    fn every_forbidden_pair_is_found() {
        let cases: &[(RoleKeys, RoleKeys)] = &[
            (role("targets", Class::OfflineTargets, &["k"]), role("claimed", Class::OfflineTargets, &["k"])),
            (role("claimed", Class::OfflineTargets, &["k"]), role("claimed.a", Class::OfflineTargets, &["k"])),
            (role("claimed.a", Class::OfflineTargets, &["k"]), role("claimed.b", Class::OfflineTargets, &["k"])),
            (role("targets", Class::OfflineTargets, &["k"]), role("claimed.b", Class::OfflineTargets, &["k"])),
            (role("root", Class::Root, &["k"]), role("timestamp", Class::Online, &["k"])),
            (role("targets", Class::OfflineTargets, &["k"]), role("snapshot", Class::Online, &["k"])),
            (role("claimed", Class::OfflineTargets, &["k"]), role("recently-claimed", Class::Online, &["k"])),
            (role("claimed.a", Class::OfflineTargets, &["k"]), role("unclaimed", Class::Online, &["k"])),
        ];
        for (a, b) in cases {
            assert_eq!(pairs(&[a.clone(), b.clone()]), vec![pair(&a.role, &b.role)], "{} / {}", a.role, b.role);
        }
    }

    #[test]
    fn keyids_compare_in_lower_case() {
        let layout = [role("targets", Class::OfflineTargets, &["ABCD"]), role("claimed", Class::OfflineTargets, &["abcd"])];
        let found = conflicts(&layout);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].keyid, "abcd");
    }

    #[test]
    fn online_roles_share_and_root_shares_with_targets() {
        let layout = [
            role("root", Class::Root, &["r"]),
            role("targets", Class::OfflineTargets, &["r"]),
            role("snapshot", Class::Online, &["o"]),
            role("unclaimed", Class::Online, &["o"]),
        ];
        assert_eq!(pairs(&layout), vec![]);
    }

    /// An index delegating to `shards` (name, keyids), signed by `signers` (keyids).
    fn index(shards: &[(&str, &[&str])], signers: &[&str]) -> Metadata {
        let roles: Vec<serde_json::Value> = shards
            .iter()
            .map(|(name, ids)| serde_json::json!({"name": name, "keyids": ids, "threshold": 1, "terminating": false, "paths": ["simple/*/*"]}))
            .collect();
        let signed = serde_json::json!({"_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": "2030-01-01T00:00:00Z",
            "targets": {}, "delegations": {"keys": {}, "roles": roles}});
        let mut md = Metadata::from_signed(crate::tuf::canonical::to_canonical(&signed).unwrap()).unwrap();
        for id in signers {
            md.set_signature(crate::tuf::metadata::Signature { keyid: id.to_string(), sig: "00".into() });
        }
        md
    }

    #[test]
    fn shards_count_as_roles_except_under_the_index_keys_or_an_index_awaiting_re_key() {
        // Keyids in their only valid form, 64 lower-case hex digits (metadata refuses others).
        let id = |pair: &str| pair.repeat(32);
        let (c1, c2, s1, t1) = (id("c1"), id("c2"), id("a1"), id("b1"));
        let claimed: BTreeSet<String> = [c1.clone(), c2.clone()].into();
        let names = |rs: Vec<RoleKeys>| rs.into_iter().map(|r| r.role).collect::<Vec<_>>();
        // Sealed shards (keys of their own) are roles; a shard under the index's keys is part of claimed.
        let md = index(&[("claimed.a", &[s1.as_str()]), ("claimed.b", &[c2.as_str(), c1.as_str()])], &[c1.as_str()]);
        assert_eq!(names(shards(&md, &claimed, 1, false)), ["claimed.a"]);
        // A trusted index the current claimed keys did not sign: not reachable, not counted...
        let md = index(&[("claimed.a", &[t1.as_str()])], &[t1.as_str()]);
        assert_eq!(names(shards(&md, &claimed, 1, false)), Vec::<String>::new());
        // ...but once staged (it will be signed by the claimed keys) its shards count.
        assert_eq!(names(shards(&md, &claimed, 1, true)), ["claimed.a"]);
    }

    #[test]
    fn the_sentence_names_holder_key_roles_and_fix() {
        use crate::keys::signer::{Signer, SoftwareSigner};
        use crate::tuf::key::Algorithm;
        let s = SoftwareSigner::generate(Algorithm::Ed25519);
        let alice = Holder {
            name: "alice".into(),
            key: s.public_key().clone(),
            source: KeySource::Passphrase { construction: String::new(), profile: "test".into(), memory_kib: 8, iterations: 1, lanes: 1 },
            registered: String::new(),
        };
        let c = Conflict { keyid: s.public_key().keyid().to_uppercase(), first: "targets".into(), second: "claimed".into(), online: false };
        let text = sentence(&c, std::slice::from_ref(&alice));
        assert!(
            text.starts_with(&format!("alice's key {} would sign both targets and claimed", short_keyid(s.public_key().keyid()))),
            "{text}"
        );
        assert!(
            text.contains("`ceremony key new passphrase --holder alice --for claimed`") && text.ends_with("name alice.claimed instead"),
            "{text}"
        );
        let c = Conflict { keyid: "ab".repeat(32), first: "root".into(), second: "timestamp".into(), online: true };
        let text = sentence(&c, &[]);
        assert!(text.contains("both root and timestamp") && text.contains("signed online"), "{text}");
    }
}
