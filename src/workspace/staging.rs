//! What is trusted, what is staged, and which thresholds govern each staged role.
//!
//! Trusted metadata is what the last export (or `root import`) left: every root version
//! and the current version of each other offline role. Staged metadata is the proposed next
//! version of a role, with the signatures collected so far in its envelope.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::tuf::metadata::Delegation;
use crate::tuf::metadata::{Metadata, MetadataError, RoleType};
use crate::tuf::verify::{check_threshold, KeyState, ThresholdReport};
use crate::workspace::collected::Collected;
use crate::workspace::ledger::{self, RESTORE};
use crate::workspace::{Transaction, Workspace, WorkspaceError};

/// Why staging information could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("the workspace file {path} is not valid metadata: {source}; the workspace was altered outside ceremony")]
    Corrupt { path: String, source: MetadataError },
    #[error("nothing is staged for {0}; stage it first (`ceremony root init`, `root rotate`, `renew ...`)")]
    NotStaged(String),
    #[error("{0}")]
    Missing(String),
    /// A proposal, signature or export refused by a rule; the sentence says which and why.
    #[error("{0}")]
    Refused(String),
}

impl From<crate::pypi::LayoutError> for StageError {
    fn from(e: crate::pypi::LayoutError) -> Self {
        StageError::Refused(e.0)
    }
}

/// A refusal with its reason.
pub fn refused(msg: impl Into<String>) -> StageError {
    StageError::Refused(msg.into())
}

/// Roles in the order people think about them: root, targets, then delegated roles.
fn role_order(role: &str) -> (u8, &str) {
    match role {
        "root" => (0, role),
        "targets" => (1, role),
        _ => (2, role),
    }
}

fn parse(ws: &Workspace, rel: &str) -> Result<Option<Metadata>, StageError> {
    match ws.read(rel)? {
        None => Ok(None),
        Some(bytes) => Metadata::from_vec(bytes).map(Some).map_err(|source| StageError::Corrupt { path: rel.to_string(), source }),
    }
}

/// A role's metadata with the signatures collected for it in `dir` (see [`crate::workspace::collected`]).
fn parse_role(ws: &Workspace, dir: &str, role: &str) -> Result<Option<Metadata>, StageError> {
    let Some(mut md) = parse(ws, &format!("{dir}/{role}.json"))? else { return Ok(None) };
    let collected = Collected::current(ws, dir)?;
    md.add_signatures(collected.of(role).to_vec());
    Ok(Some(md))
}

/// Stages each `(role, md)`: the file without signatures and its signatures collected
/// apart, in `tx`. Returns each role's SHA-256 of its signed bytes, hex: the caller's
/// `stage` record must carry them (`Action::files`), for that record is what ties what is
/// signed to what was staged and reviewed (see [`crate::workspace::ledger`]).
pub fn write_staged(tx: &mut Transaction, roles: &[(String, Metadata)]) -> Result<BTreeMap<String, String>, StageError> {
    let files = crate::support::par::map(roles, |(role, md)| ((staged_path(role), md.to_bytes_with(&[])), hex::encode(digest(md))));
    let digests = roles.iter().zip(&files).map(|((role, _), (_, digest))| (role.clone(), digest.clone())).collect();
    let files: Vec<(String, Vec<u8>)> = files.into_iter().map(|(file, _)| file).collect();
    tx.write_many(&files)?;
    // Older versions kept the digests in a file on the stick, where anyone could rewrite them.
    tx.remove(LEGACY_STAGED_DIGESTS)?;
    write_staged_signatures(tx, roles.iter().map(|(role, md)| (role.as_str(), md)))?;
    Ok(digests)
}

/// The file older versions kept staged digests in; the transcript's stage records replace it.
pub const LEGACY_STAGED_DIGESTS: &str = "staged/digests.record";

fn tampered(why: String) -> StageError {
    StageError::Workspace(WorkspaceError::Tampered(why))
}

/// Refuses staged `role` unless its signed bytes are the ones a transcript `stage` record
/// staged.
fn check_staged_bytes(ws: &Workspace, role: &str, md: &Metadata) -> Result<(), StageError> {
    let ledger = ws.ledger()?;
    let again = match crate::pypi::claimed::shard_key_of(role) {
        Some(_) => "discard the promotion (`ceremony discard claimed`) and stage it again".to_string(),
        None => format!("discard it (`ceremony discard {role}`) and stage it again"),
    };
    let path = staged_path(role);
    match ledger.staged_entry(role) {
        None => Err(tampered(format!(
            "the workspace file {path} was staged by no transcript record (it was put there outside ceremony, or by an older version); {again}"
        ))),
        Some(e) if e.digest.as_deref() != Some(hex::encode(digest(md)).as_str()) => Err(tampered(format!(
            "the workspace file {path} is not what {} staged (it was changed on disk after it was staged); {again}",
            e.name()
        ))),
        Some(_) => Ok(()),
    }
}

/// Keeps the signatures of each staged `(role, md)`, whose files are unchanged.
pub fn write_staged_signatures<'m>(
    tx: &mut Transaction,
    roles: impl IntoIterator<Item = (&'m str, &'m Metadata)>,
) -> Result<(), StageError> {
    let mut collected = Collected::in_transaction(tx, "staged")?;
    for (role, md) in roles {
        collected.set(role, md.signatures());
    }
    collected.write(tx, "staged")?;
    Ok(())
}

/// Drops the staged `roles` and their signatures.
pub fn remove_staged(tx: &mut Transaction, roles: &[String]) -> Result<(), StageError> {
    let mut collected = Collected::in_transaction(tx, "staged")?;
    for role in roles {
        tx.remove(&staged_path(role))?;
        collected.take(role);
    }
    collected.write(tx, "staged")?;
    Ok(())
}

/// Makes the staged `roles` (not root) trusted: their files move, unchanged, and so do
/// their signatures.
pub fn trust_staged(tx: &mut Transaction, roles: &[String]) -> Result<(), StageError> {
    let mut staged = Collected::in_transaction(tx, "staged")?;
    let mut trusted = Collected::in_transaction(tx, "trusted")?;
    for role in roles {
        tx.rename(&staged_path(role), &format!("trusted/{role}.json"))?;
        trusted.set(role, &staged.take(role));
    }
    staged.write(tx, "staged")?;
    trusted.write(tx, "trusted")?;
    Ok(())
}

/// Every trusted root, oldest first.
pub fn trusted_roots(ws: &Workspace) -> Result<Vec<Metadata>, StageError> {
    let ledger = ws.ledger()?;
    let names = ws.list("trusted/root")?;
    let by_version: BTreeMap<String, ledger::Entry> = ledger.roots.iter().map(|(v, e)| (format!("{v}.root.json"), e.clone())).collect();
    if let Some(why) = ledger::set_mismatch("root", names.iter().map(String::as_str), &by_version, |n| format!("trusted/root/{n}")) {
        return Err(tampered(why));
    }
    let mut roots = Vec::with_capacity(names.len());
    for (&v, entry) in &ledger.roots {
        let rel = format!("trusted/root/{v}.root.json");
        let md = parse(ws, &rel)?.ok_or_else(|| tampered(format!("the workspace file {rel} is missing; {RESTORE}")))?;
        if md.version() != v {
            return Err(corrupt(&rel, format!("it holds root version {}, not {v}", md.version())));
        }
        check_trusted_digest(&rel, &md, entry)?;
        roots.push(md);
    }
    // Only `root import` (after checking the chain) and `bundle export` (after checking every
    // threshold) make a root trusted, so the trusted roots always form a chain. Checking it
    // again on every read costs a few signature checks and catches a file changed since.
    let report = crate::tuf::chain::verify_root_chain(&roots, OffsetDateTime::now_utc());
    if let Some(step) = report.steps.iter().find(|s| !s.holds()) {
        let rel = format!("trusted/root/{}.root.json", step.version);
        return Err(corrupt(&rel, format!("the trusted roots no longer form a chain there: {}", step.problems.join("; "))));
    }
    Ok(roots)
}

fn corrupt(rel: &str, why: String) -> StageError {
    StageError::Workspace(WorkspaceError::Corrupt(rel.to_string(), why))
}

fn is_lower_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What is wrong with the first signature not spelled as Ceremony keeps every signature:
/// under a 64-hex-digit keyid, in lower-case hex, each keyid once. Another spelling of a
/// genuine signature still verifies, so only this tells that the file was written elsewhere.
fn misspelled_signature(md: &Metadata) -> Option<String> {
    let mut seen = std::collections::BTreeSet::new();
    for s in md.signatures() {
        if s.keyid.len() != 64 || !is_lower_hex(&s.keyid) {
            return Some("a signature's keyid is not 64 lower-case hex digits".into());
        }
        if !is_lower_hex(&s.sig) {
            return Some(format!("the signature by key {} is not lower-case hex", crate::tuf::key::short_keyid(&s.keyid)));
        }
        if !seen.insert(s.keyid.as_str()) {
            return Some(format!("key {} signs it twice", crate::tuf::key::short_keyid(&s.keyid)));
        }
    }
    None
}

/// Refuses a staged file that holds what Ceremony never writes there: Ceremony keeps only
/// signatures it verified (under 64-hex-digit keyids, as lower-case hex, each keyid once),
/// so a malformed entry, a repeated keyid or a signature that no longer verifies under a
/// key that governs the role means the file was changed outside Ceremony. A signature by a
/// key that no longer governs the role (its delegator was re-staged since) is kept and does
/// not count.
pub fn check_intact(role: &str, md: &Metadata, reports: &[&ThresholdReport]) -> Result<(), StageError> {
    // The signatures may be in the file or among those collected apart from it.
    let rel = format!("{} (with its signatures in staged/{})", staged_path(role), crate::workspace::collected::FILE);
    if let Some(why) = misspelled_signature(md) {
        return Err(corrupt(&rel, why));
    }
    // A shard is staged complete, sealed by its one-time key; anything less means its file
    // or its signature changed after `claimed promote`.
    if crate::pypi::claimed::shard_key_of(role).is_some() && !reports.is_empty() && !reports.iter().all(|r| r.is_met()) {
        return Err(refused(crate::pypi::claimed::tampered_shard(role)));
    }
    for r in reports {
        if let Some((id, KeyState::Invalid { reason })) = r.keys.iter().find(|(_, st)| matches!(st, KeyState::Invalid { .. })) {
            return Err(corrupt(
                &rel,
                format!(
                    "the signature by key {} does not verify ({reason}), and Ceremony keeps only signatures it verified",
                    crate::tuf::key::short_keyid(id)
                ),
            ));
        }
    }
    Ok(())
}

/// [`check_intact`] against the governing thresholds, checking the signatures here.
pub fn check_intact_under(role: &str, md: &Metadata, gov: &[Governing]) -> Result<(), StageError> {
    let signed = md.signed_bytes();
    let reports: Vec<ThresholdReport> = gov.iter().map(|g| check_threshold(&signed, md.signatures(), &g.delegation)).collect();
    check_intact(role, md, &reports.iter().collect::<Vec<_>>())
}

/// The newest trusted root.
pub fn trusted_root(ws: &Workspace) -> Result<Option<Metadata>, StageError> {
    Ok(trusted_roots(ws)?.pop())
}

/// Refuses a trusted file whose signed bytes are not the ones its transcript record made
/// trusted: an older genuine version put back, or a file rewritten on the stick.
fn check_trusted_digest(rel: &str, md: &Metadata, entry: &ledger::Entry) -> Result<(), StageError> {
    if entry.digest.as_deref() == Some(hex::encode(digest(md)).as_str()) {
        return Ok(());
    }
    Err(tampered(format!(
        "the workspace file {rel} is not the version {} made trusted (it was changed or replaced outside ceremony); {RESTORE}",
        entry.name()
    )))
}

/// The trusted version of a role (for root: the newest trusted root), verified from the
/// trust anchor down before anything reads it: it is the version its transcript record
/// made trusted, and it carries a threshold of signatures of the keys its trusted delegator
/// gives it (the newest trusted root for `targets`, the trusted `targets` for `claimed`,
/// the seal the trusted index pins for a shard). See docs/threat-model.md.
pub fn trusted(ws: &Workspace, role: &str) -> Result<Option<Metadata>, StageError> {
    if role == "root" {
        return trusted_root(ws);
    }
    let ledger = ws.ledger()?;
    let rel = format!("trusted/{role}.json");
    let Some(md) = parse_role(ws, "trusted", role)? else {
        return match ledger.trusted_entry(role) {
            Some(e) => Err(tampered(format!("the workspace file {rel} that {} made trusted is missing; {RESTORE}", e.name()))),
            None => Ok(None),
        };
    };
    let entry = ledger.trusted_entry(role).ok_or_else(|| {
        tampered(format!(
            "the workspace file {rel} was made trusted by no transcript record (it was put there outside ceremony); {RESTORE}"
        ))
    })?;
    check_trusted_digest(&rel, &md, entry)?;
    // Its signatures may be in the file or in trusted/collected.sigs: name both.
    let sigs = format!("{rel} (with its signatures in trusted/{})", crate::workspace::collected::FILE);
    if let Some(why) = misspelled_signature(&md) {
        return Err(tampered(format!("the workspace file {sigs} holds what Ceremony never writes ({why}); {RESTORE}")));
    }
    if let Some((label, delegation)) = trusted_delegation(ws, role)? {
        let report = check_threshold(&md.signed_bytes(), md.signatures(), &delegation);
        if !report.is_met() {
            return Err(tampered(format!(
                "the workspace file {sigs} has {} of the {} signatures it needs from the keys {label} gives it (its signatures were changed outside ceremony); {RESTORE}",
                report.have, report.threshold
            )));
        }
        // Only signatures checked when collected become trusted, so one by a key that signs
        // this role and does not verify was put there since.
        if let Some((id, KeyState::Invalid { .. })) = report.keys.iter().find(|(_, st)| matches!(st, KeyState::Invalid { .. })) {
            return Err(tampered(format!(
                "the workspace file {sigs} carries a signature by key {} that does not verify, and Ceremony trusts only signatures it verified (it was changed outside ceremony); {RESTORE}",
                crate::tuf::key::short_keyid(id)
            )));
        }
    }
    Ok(Some(md))
}

/// Verifies the whole trusted state from the anchor down: the root chain and every trusted
/// file, each against its transcript record and its delegator's keys (as [`trusted`] does
/// for one). Returns how many files were verified. `bundle export` and `preflight` run it:
/// what leaves the machine and what a ceremony starts from are checked whole.
pub fn verify_trusted_state(ws: &Workspace) -> Result<usize, StageError> {
    // Once per state in a process, though a command asks from several places (`preflight`
    // through `status`, export): every transaction makes a new `trusted/` directory, so its
    // stamp stands for the state's trusted files. A refusal is not kept, and is found again.
    Ok(*ws.memo("trusted", || verify_trusted_files(ws))?)
}

fn verify_trusted_files(ws: &Workspace) -> Result<usize, StageError> {
    let roots = trusted_roots(ws)?.len();
    let roles = trusted_roles(ws)?;
    let checked = crate::support::par::map(&roles, |role| trusted(ws, role).map(|_| ()));
    checked.into_iter().collect::<Result<Vec<()>, StageError>>()?;
    Ok(roots + roles.len())
}

/// The delegations of a verified trusted delegator, by delegated role.
#[derive(Debug)]
struct TrustedDelegations {
    label: String,
    map: std::collections::HashMap<String, Delegation>,
}

/// The keys and threshold `role`'s trusted delegator gives it, with the delegator named;
/// `None` for a role its trusted delegator no longer delegates to (a claimed shard split
/// since: kept, as snapshot keeps listing it, but no client reaches it).
fn trusted_delegation(ws: &Workspace, role: &str) -> Result<Option<(String, Delegation)>, StageError> {
    if role == "targets" || role == "snapshot" || role == "timestamp" {
        let Some(root) = trusted_root(ws)? else { return Ok(None) };
        let view =
            root.root().map_err(|source| StageError::Corrupt { path: format!("trusted/root/{}.root.json", root.version()), source })?;
        return Ok(view.delegation(role).map(|d| (format!("root version {}", root.version()), d)));
    }
    let delegator = crate::pypi::claimed::delegator_of(role);
    let rel = format!("trusted/{delegator}.json");
    let delegations = ws.memo(&rel, || -> Result<Option<TrustedDelegations>, StageError> {
        let Some(md) = trusted(ws, delegator)? else { return Ok(None) };
        let map = delegation_map(&md).map_err(|source| StageError::Corrupt { path: rel.clone(), source })?;
        Ok(Some(TrustedDelegations { label: format!("the trusted {delegator} version {}", md.version()), map }))
    })?;
    let Some(delegations) = delegations.as_ref() else {
        return Err(tampered(format!(
            "the workspace trusts {role} but has no trusted {delegator} to delegate to it (a file was removed outside ceremony); {RESTORE}"
        )));
    };
    Ok(delegations.map.get(role).map(|d| (delegations.label.clone(), d.clone())))
}

/// A targets-type role's delegations by delegated role, each delegation's keys parsed once.
fn delegation_map(md: &Metadata) -> Result<std::collections::HashMap<String, Delegation>, MetadataError> {
    let view = md.targets()?;
    let mut map = std::collections::HashMap::new();
    for d in view.delegations.iter() {
        let mut keys: std::collections::HashMap<&str, Option<crate::tuf::key::Key>> = Default::default();
        for r in d.roles.iter().flatten() {
            let ids = r.keyids.iter().map(|id| {
                let key = keys.entry(id).or_insert_with(|| d.key(id)).clone();
                (id.to_string(), key)
            });
            map.insert(r.name.to_string(), Delegation::new(&r.name, r.threshold, ids.collect::<Vec<_>>().into_iter()));
        }
    }
    Ok(map)
}

/// The staged version of a role, refused unless it signs exactly the bytes staged.
pub fn staged(ws: &Workspace, role: &str) -> Result<Option<Metadata>, StageError> {
    let Some(md) = parse_role(ws, "staged", role)? else { return Ok(None) };
    check_staged_bytes(ws, role, &md)?;
    Ok(Some(md))
}

/// The staged version of a role as its file is now, changed or not: only for discarding it.
pub fn staged_as_found(ws: &Workspace, role: &str) -> Result<Option<Metadata>, StageError> {
    parse_role(ws, "staged", role)
}

pub fn staged_path(role: &str) -> String {
    format!("staged/{role}.json")
}

/// The names of the roles with a staged version, root first, refused unless they are the
/// roles the transcript's records left staged (none added or removed on the stick).
pub fn staged_roles(ws: &Workspace) -> Result<Vec<String>, StageError> {
    let roles = staged_roles_as_found(ws)?;
    let ledger = ws.ledger()?;
    if let Some(why) = ledger::set_mismatch("staged file", roles.iter().map(String::as_str), &ledger.staged, staged_path) {
        return Err(tampered(format!("{why}, or discard what is staged (`ceremony discard ROLE`)")));
    }
    Ok(roles)
}

/// The names of the staged files as found, whatever made them: only for discarding them.
pub fn staged_roles_as_found(ws: &Workspace) -> Result<Vec<String>, StageError> {
    Ok(role_names(ws.list("staged")?))
}

fn role_names(files: Vec<String>) -> Vec<String> {
    let mut roles: Vec<String> = files.iter().filter_map(|n| n.strip_suffix(".json").map(str::to_string)).collect();
    roles.sort_by(|a, b| role_order(a).cmp(&role_order(b)));
    roles
}

/// The names of trusted non-root roles, refused unless they are the roles the transcript's
/// records made trusted.
pub fn trusted_roles(ws: &Workspace) -> Result<Vec<String>, StageError> {
    let roles = role_names(ws.list("trusted")?);
    let ledger = ws.ledger()?;
    if let Some(why) =
        ledger::set_mismatch("trusted file", roles.iter().map(String::as_str), &ledger.trusted, |r| format!("trusted/{r}.json"))
    {
        return Err(tampered(why));
    }
    Ok(roles)
}

/// The metadata a role's delegation is read from once staged roles are taken into
/// account: the staged version if there is one, else the trusted one.
pub fn effective(ws: &Workspace, role: &str) -> Result<Option<Metadata>, StageError> {
    match staged(ws, role)? {
        Some(md) => Ok(Some(md)),
        None => trusted(ws, role),
    }
}

/// One threshold that a staged role must meet, named for people.
#[derive(Debug, Clone)]
pub struct Governing {
    /// "the previous root (version 3)", "this root (version 4)", "root version 4".
    pub label: String,
    pub delegation: Delegation,
}

/// A delegator's effective version and its delegations by delegated role.
type DelegationsOf = (u64, std::collections::HashMap<String, Delegation>);

/// The delegations of the offline delegators (`targets`, `claimed`), read once per command
/// rather than once per staged role: a promotion stages hundreds of shards under `claimed`.
#[derive(Debug, Default)]
pub struct Delegators {
    /// delegator -> (its effective version, delegated role -> delegation).
    read: std::collections::HashMap<&'static str, Option<DelegationsOf>>,
}

impl Delegators {
    /// Reads the effective `targets` and `claimed` delegations.
    pub fn load(ws: &Workspace) -> Result<Delegators, StageError> {
        let mut read = std::collections::HashMap::new();
        for delegator in ["targets", crate::pypi::roles::CLAIMED] {
            let entry = match effective(ws, delegator)? {
                None => None,
                Some(md) => {
                    let map = delegation_map(&md).map_err(|source| StageError::Corrupt { path: staged_path(delegator), source })?;
                    Some((md.version(), map))
                }
            };
            read.insert(delegator, entry);
        }
        Ok(Delegators { read })
    }
}

/// The thresholds that govern `md` as role `role`: for root N+1, root N's root keys and
/// its own; for targets, the root's; for a delegated role, its delegator's.
pub fn governing(ws: &Workspace, role: &str, md: &Metadata) -> Result<Vec<Governing>, StageError> {
    governing_with(ws, role, md, None)
}

/// [`governing`], with the delegators' delegations read beforehand.
pub fn governing_with(ws: &Workspace, role: &str, md: &Metadata, cache: Option<&Delegators>) -> Result<Vec<Governing>, StageError> {
    let missing = |what: String| StageError::Missing(what);
    let bad = |source| StageError::Corrupt { path: staged_path(role), source };
    match role {
        "root" => {
            let own = md.root().map_err(bad)?;
            let mut out = Vec::new();
            if let Some(prev) = trusted_root(ws)? {
                let prev_root = prev.root().map_err(|source| StageError::Corrupt { path: "trusted root".into(), source })?;
                if let Some(d) = prev_root.delegation("root") {
                    out.push(Governing { label: format!("previous root (version {})", prev.version()), delegation: d });
                }
            }
            if let Some(d) = own.delegation("root") {
                out.push(Governing { label: format!("this root (version {})", md.version()), delegation: d });
            }
            Ok(out)
        }
        "targets" | "snapshot" | "timestamp" => {
            let root =
                effective(ws, "root")?.ok_or_else(|| missing("there is no root to delegate to it; stage or import a root first".into()))?;
            let view = root.root().map_err(bad)?;
            let d = view.delegation(role).ok_or_else(|| missing(format!("root defines no {role} role")))?;
            Ok(vec![Governing { label: format!("root version {}", root.version()), delegation: d }])
        }
        _ if cache.is_some_and(|c| c.read.contains_key(crate::pypi::claimed::delegator_of(role))) => {
            let delegator = crate::pypi::claimed::delegator_of(role);
            let entry = cache.and_then(|c| c.read.get(delegator)).and_then(|e| e.as_ref());
            let (version, map) =
                entry.ok_or_else(|| missing(format!("there is no {delegator} metadata delegating to {role}; stage {delegator} first")))?;
            let d = map.get(role).cloned().ok_or_else(|| missing(format!("{delegator} version {version} does not delegate to {role}")))?;
            Ok(vec![Governing { label: format!("{delegator} version {version}"), delegation: d }])
        }
        _ => {
            let delegator = crate::pypi::claimed::delegator_of(role);
            let parent = effective(ws, delegator)?
                .ok_or_else(|| missing(format!("there is no {delegator} metadata delegating to {role}; stage {delegator} first")))?;
            let view = parent.targets().map_err(bad)?;
            let d = view
                .delegation(role)
                .ok_or_else(|| missing(format!("{delegator} version {} does not delegate to {role}", parent.version())))?;
            Ok(vec![Governing { label: format!("{delegator} version {}", parent.version()), delegation: d }])
        }
    }
}

/// SHA-256 of the exact bytes signed.
pub fn digest(md: &Metadata) -> [u8; 32] {
    digest_signed(&md.signed_bytes())
}

/// [`digest`] of signed bytes already at hand.
pub fn digest_signed(signed: &[u8]) -> [u8; 32] {
    Sha256::digest(signed).into()
}

/// The role type a role name must have.
pub fn role_type_of(role: &str) -> RoleType {
    match role {
        "root" => RoleType::Root,
        "snapshot" => RoleType::Snapshot,
        "timestamp" => RoleType::Timestamp,
        _ => RoleType::Targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuf::metadata::Signature;

    fn sig(keyid: char, sig: &str) -> Signature {
        Signature { keyid: keyid.to_string().repeat(64), sig: sig.into() }
    }

    #[test]
    fn a_file_and_its_sigs_merge_and_a_conflict_is_refused() {
        let signed = br#"{"_type":"targets","expires":"2030-01-01T00:00:00Z","spec_version":"1.0.31","targets":{},"version":1}"#;
        let mut md = Metadata::from_signed(signed.to_vec()).unwrap();
        md.set_signature(sig('a', "01"));
        // The same signature in both places counts once; a second one by that key is kept
        // so that the integrity check refuses the pair.
        md.add_signatures(vec![sig('a', "01"), sig('b', "02")]);
        assert_eq!(md.signatures().len(), 2);
        check_intact("targets", &md, &[]).unwrap();
        md.add_signatures(vec![sig('a', "03")]);
        let err = check_intact("targets", &md, &[]).unwrap_err().to_string();
        assert!(err.contains("signs it twice"), "{err}");
    }
}
