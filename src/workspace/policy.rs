//! The rules staged metadata must keep before it counts as signable and again before
//! export. Each problem is one sentence naming the rule.
//!
//! - the version is exactly the trusted version + 1 (1 for a role's first version);
//! - `expires` is in the future, in the strict `Z` form, and no later than the maximum
//!   (`max_expiry_days` in the workspace's `policy.json`, default 1095 days);
//! - every threshold is at least 1 and at most the number of keys listed for the role;
//! - every threshold can be reached by registered holders' keys;
//! - every key is listed under its own keyid, so no key's content can change under an
//!   existing keyid;
//! - keys are exclusive to a role (`exclusive_keys`): no key signs two offline
//!   targets-type roles, and no online key signs an offline role.
//!
//! The thresholds themselves (root N's and root N+1's for a rotation) are checked by
//! `status::status`.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::keys::holder::Holder;
use crate::tuf::metadata::Metadata;
use crate::workspace::staging::{role_type_of, trusted, StageError};
use crate::workspace::Workspace;

/// The default longest time from now to `expires`.
pub const DEFAULT_MAX_EXPIRY_DAYS: i64 = 1095;

/// The longest `max_expiry_days` a policy may set: 100 years. Beyond it the value is a
/// mistake (and far enough beyond it, `now + max` leaves the range of dates).
pub const MAX_EXPIRY_DAYS_LIMIT: i64 = 36_500;

/// `policy.json`: `{"max_expiry_days": N, "claimed_shard_max_bytes": B}`, both optional,
/// nothing else.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    max_expiry_days: Option<i64>,
    claimed_shard_max_bytes: Option<u64>,
}

/// The smallest and largest claimed shard limits a policy may set: below 16 KiB a shard
/// holds a few dozen projects; above 4 MiB it nears python-tuf's 5 MB limit.
pub const SHARD_MAX_BYTES_RANGE: (u64, u64) = (16 * 1024, 4 * 1024 * 1024);

/// Reads the workspace's `policy.json` as strictly as metadata: through the canonical JSON
/// reader (no floats, duplicate keys, deep nesting or invalid UTF-8), known fields only,
/// each in its range.
fn read_policy(ws: &Workspace) -> Result<PolicyFile, StageError> {
    let Some(bytes) = ws.read("policy.json")? else { return Ok(PolicyFile::default()) };
    let (lo, hi) = SHARD_MAX_BYTES_RANGE;
    let invalid = |why: String| {
        StageError::Missing(format!(
            "policy.json is not valid ({why}); it may set \"max_expiry_days\" (1 to {MAX_EXPIRY_DAYS_LIMIT}) and \"claimed_shard_max_bytes\" ({lo} to {hi}): fix or remove it"
        ))
    };
    crate::tuf::canonical::canonicalize(&bytes).map_err(|e| invalid(e.to_string()))?;
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    if let Some((name, _)) = fields.iter().find(|(_, v)| v.is_null()) {
        return Err(invalid(format!("{name} is null")));
    }
    let file: PolicyFile = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    if let Some(days) = file.max_expiry_days.filter(|d| !(1..=MAX_EXPIRY_DAYS_LIMIT).contains(d)) {
        return Err(invalid(format!("max_expiry_days is {days}")));
    }
    if let Some(b) = file.claimed_shard_max_bytes.filter(|b| !(lo..=hi).contains(b)) {
        return Err(invalid(format!("claimed_shard_max_bytes is {b}")));
    }
    Ok(file)
}

/// The longest allowed validity, from the workspace's `policy.json` if present.
pub fn max_expiry(ws: &Workspace) -> Result<Duration, StageError> {
    Ok(Duration::days(read_policy(ws)?.max_expiry_days.unwrap_or(DEFAULT_MAX_EXPIRY_DAYS)))
}

/// The largest signed size of a claimed shard (docs/claimed-layout.md).
pub fn claimed_shard_max_bytes(ws: &Workspace) -> Result<usize, StageError> {
    let b = read_policy(ws)?.claimed_shard_max_bytes.map_or(crate::pypi::claimed::DEFAULT_SHARD_MAX_BYTES, |b| b as usize);
    Ok(b)
}

/// The policy in effect, as `status` and `review` show it. `policy.json` is written by hand
/// (no command writes it, so no transcript record vouches for it, and a changed one is never
/// refused): the screen names it by its SHA-256, so the room sees which file sets the rules
/// and a change since the last ceremony shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InEffect {
    /// SHA-256 of `policy.json`, lower-case hex; `None` without one (the defaults).
    pub sha256: Option<String>,
    pub max_expiry_days: i64,
    pub claimed_shard_max_bytes: usize,
}

impl InEffect {
    /// "Policy: policy.json (sha256 …): max_expiry_days 1000, claimed_shard_max_bytes 262144."
    pub fn line(&self) -> String {
        let from = match &self.sha256 {
            Some(d) => format!("policy.json (sha256 {d})"),
            None => "the defaults (no policy.json)".to_string(),
        };
        format!("Policy: {from}: max_expiry_days {}, claimed_shard_max_bytes {}.", self.max_expiry_days, self.claimed_shard_max_bytes)
    }
}

/// The policy in effect (refused, as everywhere, when policy.json is not valid).
pub fn in_effect(ws: &Workspace) -> Result<InEffect, StageError> {
    use sha2::Digest;
    let sha256 = ws.read("policy.json")?.map(|bytes| hex::encode(sha2::Sha256::digest(bytes)));
    Ok(InEffect { sha256, max_expiry_days: max_expiry(ws)?.whole_days(), claimed_shard_max_bytes: claimed_shard_max_bytes(ws)? })
}

/// Every rule `md`, staged as `role`, breaks.
pub fn check(ws: &Workspace, role: &str, md: &Metadata, holders: &[Holder], now: OffsetDateTime) -> Result<Vec<String>, StageError> {
    let mut problems = check_except_shard_contents(ws, role, md, holders, now)?;
    if crate::pypi::claimed::shard_key_of(role).is_some() {
        problems.extend(crate::pypi::claimed::layout_problems(role, md));
    }
    Ok(problems)
}

/// [`check`] without the layout rules for the delegations inside a claimed shard: for
/// shards `claimed promote` has just built from delegations it validated one by one and
/// placed itself (re-reading 100,000 delegations to find the same would double the
/// promotion's time). `sign` and `bundle export` check shards in full.
pub fn check_except_shard_contents(
    ws: &Workspace,
    role: &str,
    md: &Metadata,
    holders: &[Holder],
    now: OffsetDateTime,
) -> Result<Vec<String>, StageError> {
    let mut problems = Vec::new();
    if md.role_type() != role_type_of(role) {
        problems.push(format!("{role} must be {} metadata, not {}", role_type_of(role), md.role_type()));
        return Ok(problems);
    }
    let expected = trusted(ws, role)?.map_or(1, |t| t.version() + 1);
    if md.version() != expected {
        problems.push(format!(
            "version rule: {role} version {} is staged, but the next version after the trusted one is {expected}",
            md.version()
        ));
    }
    problems.extend(expiry_problems(role, md, now, max_expiry(ws)?));
    let registered: Vec<&str> = holders.iter().map(|h| h.key.keyid()).collect();
    match role {
        "root" => problems.extend(root_problems(md, &registered)),
        // Its delegations are signed by this ceremony's holders (claimed, the online key).
        "targets" => problems.extend(targets_problems(md, &registered, true)),
        // Claimed's shards are signed by one-time seal keys, which no holder has.
        crate::pypi::roles::CLAIMED => problems.extend(targets_problems(md, &registered, false)),
        // A shard's delegations are checked, keys and all, by the layout rules below.
        _ if crate::pypi::claimed::shard_key_of(role).is_some() => {}
        _ => problems.extend(targets_problems(md, &registered, false)),
    }
    if crate::pypi::claimed::shard_key_of(role).is_none() {
        problems.extend(crate::workspace::claimed_state::staged_layout_problems(ws, role, md)?);
        // A shard's keys are listed in the index, so the index's check covers them.
        problems.extend(crate::workspace::exclusive_keys::problems(ws, role, md, holders)?);
    }
    Ok(problems)
}

fn expiry_problems(role: &str, md: &Metadata, now: OffsetDateTime, max: Duration) -> Vec<String> {
    let expires = md.expires();
    let mut out = Vec::new();
    if expires.legacy {
        out.push(format!("expiry rule: {role}'s expires is not in the YYYY-MM-DDTHH:MM:SSZ form"));
    }
    if expires.is_expired(now) {
        out.push(format!("expiry rule: {role} would already be expired; stage it with a later --expires"));
    } else if expires.at > now + max {
        out.push(format!(
            "expiry rule: {role} expires more than {} days from now; choose a shorter --expires or raise max_expiry_days in policy.json",
            max.whole_days()
        ));
    }
    out
}

fn threshold_problems(what: &str, keyids: &[&str], threshold: u64, registered: Option<&[&str]>) -> Vec<String> {
    let mut out = Vec::new();
    if threshold < 1 || threshold > keyids.len() as u64 {
        out.push(format!(
            "threshold rule: {what} has threshold {threshold} with {} keys; it must be between 1 and the number of keys",
            keyids.len()
        ));
    }
    if let Some(registered) = registered {
        let reachable = keyids.iter().filter(|k| registered.contains(k)).count() as u64;
        if reachable < threshold {
            out.push(format!(
                "reachability rule: only {reachable} of {what}'s keys belong to registered holders but {threshold} must sign; register the missing holders"
            ));
        }
    }
    out
}

fn mismatch_problems(what: &str, mismatches: Vec<(String, String)>) -> Vec<String> {
    mismatches
        .into_iter()
        .map(|(listed, computed)| format!("keyid rule: {what} lists a key under keyid {listed}, but that key's keyid is {computed}"))
        .collect()
}

fn root_problems(md: &Metadata, registered: &[&str]) -> Vec<String> {
    let root = match md.root() {
        Ok(r) => r,
        Err(e) => return vec![e.to_string()],
    };
    let mut out = mismatch_problems("root", root.keyid_mismatches());
    for (id, key) in &root.keys {
        if key.public_key().is_ok_and(|p| p.legacy().is_some()) {
            out.push(format!(
                "legacy rule: key {id} is written in a legacy form (keytype {:?} or a hex ECDSA point), which Ceremony reads but never writes; register the holder's key again and rotate to it",
                key.keytype()
            ));
        }
    }
    for (name, role) in &root.roles {
        let ids: Vec<&str> = role.keyids.iter().map(String::as_str).collect();
        out.extend(threshold_problems(&format!("the {name} role"), &ids, role.threshold, Some(registered)));
        for id in &ids {
            if !root.keys.contains_key(*id) {
                out.push(format!("key rule: the {name} role lists keyid {id}, which root does not define"));
            }
        }
    }
    out
}

/// For top-level targets, delegated roles must be reachable by registered holders; for
/// delegated roles, their delegations (developer keys) are not holders of this ceremony.
fn targets_problems(md: &Metadata, registered: &[&str], top_level: bool) -> Vec<String> {
    let targets = match md.targets() {
        Ok(t) => t,
        Err(e) => return vec![e.to_string()],
    };
    let Some(d) = &targets.delegations else { return Vec::new() };
    let mut out = match d.keyid_mismatches() {
        Ok(m) => mismatch_problems("targets' delegations", m),
        Err(e) => vec![e.to_string()],
    };
    for role in d.roles.iter().flatten() {
        let ids: Vec<&str> = role.keyids.iter().map(|k| &**k).collect();
        let reg = top_level.then_some(registered);
        out.extend(threshold_problems(&format!("the delegation to {}", role.name), &ids, role.threshold, reg));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::holder::KeySource;
    use crate::keys::signer::{Signer, SoftwareSigner};
    use crate::tuf::key::{Algorithm, Key};
    use serde_json::{json, Value};

    fn key_value(k: &Key) -> Value {
        serde_json::from_slice(&k.to_json_text()).unwrap()
    }

    fn root(version: u64, keys: &[(String, &Key)], threshold: u64, expires: &str) -> Metadata {
        root_online(version, keys, threshold, expires, None)
    }

    /// A root whose roles all list `keys`, or with snapshot and timestamp on `online`.
    fn root_online(version: u64, keys: &[(String, &Key)], threshold: u64, expires: &str, online: Option<&Key>) -> Metadata {
        let ids: Vec<&String> = keys.iter().map(|(id, _)| id).collect();
        let mut key_map: serde_json::Map<String, Value> = keys.iter().map(|(id, k)| (id.clone(), key_value(k))).collect();
        let role = json!({"keyids": ids, "threshold": threshold});
        let online_role = match online {
            Some(k) => {
                key_map.insert(k.keyid().to_string(), key_value(k));
                json!({"keyids": [k.keyid()], "threshold": 1})
            }
            None => role.clone(),
        };
        let signed = json!({"_type": "root", "spec_version": "1.0.31", "version": version, "expires": expires,
            "consistent_snapshot": true, "keys": key_map,
            "roles": {"root": role, "targets": role, "snapshot": online_role, "timestamp": online_role}});
        Metadata::from_signed(crate::tuf::canonical::to_canonical(&signed).unwrap()).unwrap()
    }

    fn workspace_with(keys: &[&Key]) -> (tempfile::TempDir, Workspace, Vec<Holder>) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(&dir.path().join("ws")).unwrap();
        let lock = ws.lock().unwrap();
        for (i, k) in keys.iter().enumerate() {
            let h = Holder { name: format!("h{i}"), key: (*k).clone(), source: KeySource::PublicOnly, registered: String::new() };
            ws.add_holder(&lock, &h).unwrap();
        }
        let holders = ws.holders().unwrap();
        (dir, ws, holders)
    }

    const LATER: &str = "2030-01-01T00:00:00Z";

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2029-06-01 00:00 UTC)
    }

    #[test]
    fn a_good_root_breaks_no_rule() {
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let online = SoftwareSigner::generate(Algorithm::Ed25519);
        let (_d, ws, holders) = workspace_with(&[a.public_key(), online.public_key()]);
        let md = root_online(1, &[(a.public_key().keyid().into(), a.public_key())], 1, LATER, Some(online.public_key()));
        assert_eq!(check(&ws, "root", &md, &holders, now()).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn exclusive_keys_rule() {
        // The online key also listed for root and targets: refused, naming the holder.
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let (_d, ws, holders) = workspace_with(&[a.public_key()]);
        let md = root(1, &[(a.public_key().keyid().into(), a.public_key())], 1, LATER);
        let p = check(&ws, "root", &md, &holders, now()).unwrap();
        assert!(p.iter().any(|p| p.starts_with("h0's key") && p.contains("both root and snapshot")), "{p:?}");
    }

    #[test]
    fn version_rule() {
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let (_d, ws, holders) = workspace_with(&[a.public_key()]);
        let md = root(3, &[(a.public_key().keyid().into(), a.public_key())], 1, LATER);
        let p = check(&ws, "root", &md, &holders, now()).unwrap();
        assert!(p.iter().any(|p| p.starts_with("version rule") && p.contains("is 1")), "{p:?}");
    }

    #[test]
    fn keyid_rule() {
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let b = SoftwareSigner::generate(Algorithm::Ed25519);
        let (_d, ws, holders) = workspace_with(&[a.public_key(), b.public_key()]);
        // b's key content under a's keyid: a key changed under an existing keyid.
        let md = root(1, &[(a.public_key().keyid().into(), b.public_key())], 1, LATER);
        let p = check(&ws, "root", &md, &holders, now()).unwrap();
        assert!(p.iter().any(|p| p.starts_with("keyid rule")), "{p:?}");
    }

    #[test]
    fn reachability_rule() {
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let stranger = SoftwareSigner::generate(Algorithm::Ed25519);
        let (_d, ws, holders) = workspace_with(&[a.public_key()]);
        let keys =
            [(a.public_key().keyid().to_string(), a.public_key()), (stranger.public_key().keyid().to_string(), stranger.public_key())];
        let md = root(1, &keys, 2, LATER);
        let p = check(&ws, "root", &md, &holders, now()).unwrap();
        assert!(p.iter().any(|p| p.starts_with("reachability rule")), "{p:?}");
    }

    #[test]
    fn expiry_rules() {
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let (_d, ws, holders) = workspace_with(&[a.public_key()]);
        let keys = [(a.public_key().keyid().to_string(), a.public_key())];
        let past = root(1, &keys, 1, "2029-01-01T00:00:00Z");
        let got = check(&ws, "root", &past, &holders, now()).unwrap();
        assert!(got.iter().any(|p| p.contains("already be expired")), "none matches `|p| p.contains(\"already be expired\")`: {:?}", got);
        let far = root(1, &keys, 1, "2099-01-01T00:00:00Z");
        let got = check(&ws, "root", &far, &holders, now()).unwrap();
        assert!(got.iter().any(|p| p.contains("more than 1095 days")), "none matches `|p| p.contains(\"more than 1095 days\")`: {:?}", got);
    }

    #[test]
    fn policy_file_is_read_strictly() {
        let (_d, ws, _) = workspace_with(&[]);
        let policy = ws.state().join("policy.json");
        std::fs::write(&policy, b"{\"max_expiry_days\": 30}").unwrap();
        assert_eq!(max_expiry(&ws).unwrap(), Duration::days(30));
        // i64::MAX and i64::MIN panicked in Duration::days before the range check.
        for bad in [
            "{\"max_expiry_days\": 9223372036854775807}",
            "{\"max_expiry_days\": -9223372036854775808}",
            "{\"max_expiry_days\": 0}",
            "{\"max_expiry_days\": 36501}",
            "{\"max_expiry_days\": null}",
            "{\"max_expiry_days\": 30.0}",
            "{\"max_expiry_days\": 30, \"max_expiry_days\": 40}",
            "{\"max_expiry_days\": 30, \"x\": 1}",
            "{\"claimed_shard_max_bytes\": 1024}",
            "{\"claimed_shard_max_bytes\": 99999999999}",
            "{\"claimed_shard_max_bytes\": -1}",
        ] {
            std::fs::write(&policy, bad).unwrap();
            assert!(max_expiry(&ws).is_err(), "{bad}");
            assert!(claimed_shard_max_bytes(&ws).is_err(), "{bad}");
        }
        // Every field is optional: an empty policy means the defaults.
        std::fs::write(&policy, b"{}").unwrap();
        assert_eq!(max_expiry(&ws).unwrap(), Duration::days(DEFAULT_MAX_EXPIRY_DAYS));
        std::fs::write(&policy, b"{\"claimed_shard_max_bytes\": 65536}").unwrap();
        assert_eq!(claimed_shard_max_bytes(&ws).unwrap(), 65536);
    }

    #[test]
    fn legacy_rule() {
        let a = SoftwareSigner::generate(Algorithm::EcdsaP256);
        let (_d, ws, holders) = workspace_with(&[a.public_key()]);
        let mut legacy: Value = key_value(a.public_key());
        legacy["keytype"] = json!("ecdsa-sha2-nistp256");
        let legacy = Key::from_json(&serde_json::to_vec(&legacy).unwrap()).unwrap();
        let md = root(1, &[(legacy.keyid().into(), &legacy)], 1, LATER);
        let p = check(&ws, "root", &md, &holders, now()).unwrap();
        assert!(p.iter().any(|p| p.starts_with("legacy rule")), "{p:?}");
    }

    #[test]
    fn wrong_type_for_role() {
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let (_d, ws, holders) = workspace_with(&[a.public_key()]);
        let md = root(1, &[(a.public_key().keyid().into(), a.public_key())], 1, LATER);
        let p = check(&ws, "targets", &md, &holders, now()).unwrap();
        assert!(p[0].contains("must be targets metadata"), "{p:?}");
    }
}
