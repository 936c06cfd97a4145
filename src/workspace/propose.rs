//! Proposing new metadata: `root init`, `root rotate`, `targets init`, `renew`, `root import`.
//!
//! A new version of an existing role is made by editing the previous version's `signed`
//! object (version, expires and what the command changes), so custom fields and key
//! objects the previous version carried (keyids included) stay exactly as they were.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

use crate::keys::holder::Holder;
use crate::pypi::pep480::TargetsPlan;
use crate::tuf::canonical;
use crate::tuf::chain::verify_root_chain;
use crate::tuf::datetime::format_expires;
use crate::tuf::key::Key;
use crate::tuf::metadata::{Metadata, SPEC_VERSION};
use crate::workspace::staging::{self, digest, refused, StageError};
use crate::workspace::transcript::Action;
use crate::workspace::{Workspace, WorkspaceLock};

/// Why a proposal was refused.
pub type ProposeError = StageError;

/// The keys and threshold of one top-level role, as holders chose them.
#[derive(Debug, Clone)]
pub struct RolePlan {
    pub keys: Vec<Key>,
    pub threshold: u64,
}

/// Root version 1.
#[derive(Debug, Clone)]
pub struct RootPlan {
    pub root: RolePlan,
    pub targets: RolePlan,
    pub snapshot: RolePlan,
    pub timestamp: RolePlan,
    pub expires: OffsetDateTime,
}

fn key_value(key: &Key) -> Result<Value, ProposeError> {
    serde_json::from_slice(&key.to_json_text()).map_err(|e| refused(format!("a key could not be written: {e}")))
}

/// `keys` and `roles` of a root's `signed` object.
type KeysAndRoles = (Map<String, Value>, Map<String, Value>);

fn roles_value(roles: &[(&str, &RolePlan)]) -> Result<KeysAndRoles, ProposeError> {
    let mut keys = Map::new();
    let mut out = Map::new();
    for (name, plan) in roles {
        let mut ids = Vec::new();
        for k in &plan.keys {
            keys.insert(k.keyid().to_string(), key_value(k)?);
            if !ids.contains(&k.keyid().to_string()) {
                ids.push(k.keyid().to_string());
            }
        }
        out.insert(name.to_string(), json!({"keyids": ids, "threshold": plan.threshold}));
    }
    Ok((keys, out))
}

fn to_metadata(value: &Value) -> Result<Metadata, ProposeError> {
    let signed = canonical::to_canonical(value).map_err(|e| refused(format!("the metadata cannot be encoded: {e}")))?;
    Metadata::from_signed(signed).map_err(|e| refused(format!("the metadata is not valid: {e}")))
}

/// Checks the policy rules and stages `md` as `role` in one transaction.
pub(crate) fn stage(ws: &Workspace, lock: &WorkspaceLock, role: &str, md: &Metadata, what: &str) -> Result<(), ProposeError> {
    let problems = crate::workspace::policy::check(ws, role, md, &ws.holders()?, OffsetDateTime::now_utc())?;
    if let Some(first) = problems.first() {
        return Err(refused(format!("{first}; nothing was staged")));
    }
    let mut tx = ws.begin(lock)?;
    let files = staging::write_staged(&mut tx, &[(role.to_string(), md.clone())])?;
    tx.record(Action {
        files,
        action: "stage".into(),
        role: Some(role.to_string()),
        version: Some(md.version()),
        digest: Some(hex::encode(digest(md))),
        detail: Some(what.to_string()),
        ..Action::default()
    })?;
    tx.commit()?;
    Ok(())
}

fn refuse_if_staged(ws: &Workspace, role: &str) -> Result<(), ProposeError> {
    if let Some(md) = staging::staged(ws, role)? {
        return Err(refused(format!(
            "{role} version {} is already staged; finish it with `bundle export` or discard it with `ceremony discard {role}`",
            md.version()
        )));
    }
    Ok(())
}

/// Stages root version 1.
pub fn root_init(ws: &Workspace, lock: &WorkspaceLock, plan: &RootPlan) -> Result<Metadata, ProposeError> {
    if let Some(root) = staging::trusted_root(ws)? {
        return Err(refused(format!(
            "the workspace already trusts root version {}; use `ceremony root rotate` to propose the next one",
            root.version()
        )));
    }
    refuse_if_staged(ws, "root")?;
    let (keys, roles) =
        roles_value(&[("root", &plan.root), ("targets", &plan.targets), ("snapshot", &plan.snapshot), ("timestamp", &plan.timestamp)])?;
    let md = to_metadata(&json!({
        "_type": "root",
        "spec_version": SPEC_VERSION,
        "version": 1,
        "expires": format_expires(plan.expires),
        "consistent_snapshot": true,
        "keys": keys,
        "roles": roles,
    }))?;
    stage(ws, lock, "root", &md, "root init")?;
    Ok(md)
}

/// What `root rotate` changes; `None` keeps what the trusted root has.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub add_root: Vec<Key>,
    pub remove_root: Vec<Key>,
    pub root_threshold: Option<u64>,
    pub targets: Option<Vec<Key>>,
    pub targets_threshold: Option<u64>,
    pub snapshot: Option<Key>,
    pub timestamp: Option<Key>,
    pub expires: OffsetDateTime,
}

/// Stages root N+1 from the newest trusted root N.
pub fn root_rotate(ws: &Workspace, lock: &WorkspaceLock, r: &Rotation) -> Result<Metadata, ProposeError> {
    let trusted =
        staging::trusted_root(ws)?.ok_or_else(|| refused("the workspace trusts no root yet; use `root init` or `root import` first"))?;
    refuse_if_staged(ws, "root")?;
    let old = trusted.root().map_err(|e| refused(format!("the trusted root cannot be read: {e}")))?;
    let current = |name: &str| -> RolePlan {
        let role = &old.roles[name];
        RolePlan { keys: role.keyids.iter().filter_map(|id| old.keys.get(id).cloned()).collect(), threshold: role.threshold }
    };
    let mut root = current("root");
    for k in &r.remove_root {
        if !root.keys.iter().any(|x| x.keyid() == k.keyid()) {
            return Err(refused(format!("key {} is not a root key; nothing to remove", k.keyid())));
        }
        root.keys.retain(|x| x.keyid() != k.keyid());
    }
    for k in &r.add_root {
        if root.keys.iter().any(|x| x.keyid() == k.keyid()) {
            return Err(refused(format!("key {} is already a root key", k.keyid())));
        }
        root.keys.push(k.clone());
    }
    root.threshold = r.root_threshold.unwrap_or(root.threshold);
    let mut targets = current("targets");
    if let Some(keys) = &r.targets {
        targets.keys = keys.clone();
    }
    targets.threshold = r.targets_threshold.unwrap_or(targets.threshold);
    let mut snapshot = current("snapshot");
    if let Some(k) = &r.snapshot {
        snapshot.keys = vec![k.clone()];
    }
    let mut timestamp = current("timestamp");
    if let Some(k) = &r.timestamp {
        timestamp.keys = vec![k.clone()];
    }
    let (keys, roles) = roles_value(&[("root", &root), ("targets", &targets), ("snapshot", &snapshot), ("timestamp", &timestamp)])?;
    let mut value = next_version(&trusted, r.expires)?;
    value["keys"] = Value::Object(keys);
    value["roles"] = Value::Object(roles);
    let md = to_metadata(&value)?;
    stage(ws, lock, "root", &md, "root rotate")?;
    Ok(md)
}

/// The previous version's `signed` with version + 1 and a new expiry.
fn next_version(previous: &Metadata, expires: OffsetDateTime) -> Result<Value, ProposeError> {
    let mut value: Value = serde_json::from_slice(previous.signed_text())
        .map_err(|e| refused(format!("the trusted {} cannot be read: {e}", previous.role_type())))?;
    value["version"] = json!(previous.version() + 1);
    value["expires"] = json!(format_expires(expires));
    Ok(value)
}

/// Stages the next version of an offline role with a new expiry and no other change.
pub fn renew(ws: &Workspace, lock: &WorkspaceLock, role: &str, expires: OffsetDateTime) -> Result<Metadata, ProposeError> {
    // Claimed files are renewed together: each shard needs a new seal the index pins.
    if role == crate::pypi::roles::CLAIMED {
        return crate::workspace::sealed::renew(ws, lock, expires);
    }
    if crate::pypi::claimed::shard_key_of(role).is_some() {
        return Err(crate::workspace::sealed::refuse_shard_renewal(role));
    }
    let trusted = staging::trusted(ws, role)?.ok_or_else(|| refused(format!("the workspace has no trusted {role} to renew")))?;
    refuse_if_staged(ws, role)?;
    let md = to_metadata(&next_version(&trusted, expires)?)?;
    stage(ws, lock, role, &md, "renew")?;
    Ok(md)
}

/// The default validity of a new version.
pub fn default_expiry(now: OffsetDateTime) -> OffsetDateTime {
    now + Duration::days(365)
}

/// Adopts an existing root history as the trusted roots, after verifying the chain. The
/// first file is trusted as given (the administrators compare its digest out of band); when
/// the workspace already trusts roots, the imported history must agree with them.
pub fn root_import(ws: &Workspace, lock: &WorkspaceLock, roots: &[Metadata]) -> Result<u64, ProposeError> {
    let report = verify_root_chain(roots, OffsetDateTime::now_utc());
    if !report.ok {
        let step = report.steps.iter().find(|s| !s.holds());
        let why = step.map_or("the chain is empty".to_string(), |s| format!("version {}: {}", s.version, s.problems.join("; ")));
        return Err(refused(format!("the root history does not verify ({why}); nothing was imported")));
    }
    refuse_if_staged(ws, "root")?;
    let existing: BTreeMap<u64, Metadata> = staging::trusted_roots(ws)?.into_iter().map(|m| (m.version(), m)).collect();
    let first = roots[0].version();
    // Anchor a continued history at a root this workspace already trusts.
    if !existing.is_empty() && !existing.contains_key(&first) {
        let newest = existing.keys().max().copied().unwrap_or(0);
        return Err(refused(format!(
            "the history starts at version {first}, which this workspace does not trust; start it at a version it trusts (it trusts up to {newest})"
        )));
    }
    let mut tx = ws.begin(lock)?;
    for md in roots {
        if let Some(have) = existing.get(&md.version()) {
            if have.signed_bytes() != md.signed_bytes() {
                return Err(refused(format!(
                    "root version {} differs from the one this workspace already trusts; nothing was imported",
                    md.version()
                )));
            }
            continue;
        }
        tx.write(&format!("trusted/root/{}.root.json", md.version()), &md.to_bytes())?;
        tx.record(Action {
            action: "root-import".into(),
            role: Some("root".into()),
            version: Some(md.version()),
            digest: Some(hex::encode(digest(md))),
            ..Action::default()
        })?;
    }
    tx.commit()?;
    Ok(report.newest_trusted_version.unwrap_or(0))
}

/// The keys of named holders, in order.
pub fn holder_keys(holders: &[Holder]) -> Vec<Key> {
    holders.iter().map(|h| h.key.clone()).collect()
}

/// Stages top-level targets version 1 (or the next version) delegating as PEP 480 describes.
pub fn targets_init(ws: &Workspace, lock: &WorkspaceLock, plan: &TargetsPlan) -> Result<Metadata, ProposeError> {
    if let Some(md) = staging::staged(ws, "targets")? {
        return Err(refused(format!(
            "targets version {} is already staged; finish it with `bundle export` or discard it with `ceremony discard targets`",
            md.version()
        )));
    }
    let version = staging::trusted(ws, "targets")?.map_or(1, |t| t.version() + 1);
    let md = crate::pypi::pep480::targets_signed(plan, version)?;
    stage(ws, lock, "targets", &md, "targets init")?;
    // A removed claimed key must stop counting: the index is restaged for the new holders.
    crate::workspace::sealed::restage_for_rekey(ws, lock)?;
    Ok(md)
}
