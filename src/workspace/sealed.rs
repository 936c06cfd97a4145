//! The sealed claimed layout beyond a promotion (docs/claimed-layout.md): `renew claimed`
//! reseals every shard; a re-key (targets' delegation to `claimed` changes) restages the
//! index for the new holders; the set check refuses an index its delegator no longer
//! vouches for; and what a claimed holder is told about the shards at `sign`.

use time::OffsetDateTime;

use crate::pypi::claimed::{self, shard_role, Index};
use crate::pypi::roles::CLAIMED;
use crate::tuf::metadata::Metadata;
use crate::tuf::verify::check_threshold;
use crate::workspace::staging::{self, refused, StageError};
use crate::workspace::{Transaction, Workspace, WorkspaceLock};

/// Where older versions kept a summary of the staged claimed files. Nothing reads it now
/// (the review at `sign` is computed from the shards themselves); it is dropped with them.
const STAGED_SUMMARY: &str = "staged/claimed.summary";

/// Drops a summary an older version kept beside the staged claimed files (export, discard).
pub fn remove_summary(tx: &mut Transaction) -> Result<(), StageError> {
    if tx.read(STAGED_SUMMARY)?.is_some() {
        tx.remove(STAGED_SUMMARY)?;
    }
    Ok(())
}

/// Which trusted shards to reseal, and the index's new expiry.
enum Reseal {
    /// Every shard, everything expiring at the given time (`renew claimed`).
    All(OffsetDateTime),
    /// Only shards still signed by shared keys; the index keeps its expiry (a re-key).
    Unsealed,
}

/// The next versions of the trusted shards `which` names, each sealed, and the next index.
fn plan_reseal(ws: &Workspace, which: Reseal) -> Result<Vec<(String, Metadata)>, StageError> {
    let trusted =
        staging::trusted(ws, CLAIMED)?.ok_or_else(|| refused("the workspace has no trusted claimed to renew; promote a batch first"))?;
    let mut index = Index::parse(&trusted, crate::workspace::claimed_state::holder_keys(ws)?)?;
    let (leaves, expires): (Vec<String>, OffsetDateTime) = match which {
        Reseal::All(at) => (index.leaves.iter().cloned().collect(), at),
        Reseal::Unsealed => (index.unsealed().cloned().collect(), trusted.expires().at),
    };
    let sealed = crate::support::par::map(&leaves, |leaf| reseal_shard(ws, leaf, expires));
    let mut staged = Vec::with_capacity(leaves.len() + 1);
    for (leaf, result) in leaves.iter().zip(sealed) {
        let (md, seal) = result?;
        index.seals.insert(leaf.clone(), seal);
        staged.push((shard_role(leaf), md));
    }
    let signed = index.to_signed(trusted.version() + 1, expires)?;
    let md = Metadata::from_signed(signed).map_err(|e| refused(format!("internal error: the claimed index is not valid metadata: {e}")))?;
    staged.insert(0, (CLAIMED.to_string(), md));
    Ok(staged)
}

fn reseal_shard(ws: &Workspace, leaf: &str, expires: OffsetDateTime) -> Result<(Metadata, claimed::Seal), StageError> {
    let role = shard_role(leaf);
    let md = staging::trusted(ws, &role)?
        .ok_or_else(|| refused(format!("the trusted claimed index delegates to {role}, but the workspace has no trusted {role}; the workspace was altered outside ceremony")))?;
    let projects = claimed::read_shard(&md)?;
    Ok(claimed::seal(claimed::shard_signed(&projects, md.version() + 1, expires))?)
}

/// Checks every staged claimed file and stages them in one transaction; `what` staged them.
fn stage_all(ws: &Workspace, lock: &WorkspaceLock, staged: &[(String, Metadata)], what: &str) -> Result<(), StageError> {
    let holders = ws.holders()?;
    let now = OffsetDateTime::now_utc();
    let checks = crate::support::par::map(staged, |(role, md)| crate::workspace::policy::check(ws, role, md, &holders, now));
    for ((role, _), problems) in staged.iter().zip(checks) {
        if let Some(first) = problems?.first() {
            return Err(refused(format!("{role}: {first}; nothing was staged")));
        }
    }
    let mut tx = ws.begin(lock)?;
    let files = staging::write_staged(&mut tx, staged)?;
    remove_summary(&mut tx)?;
    tx.record(crate::workspace::transcript::Action {
        files,
        action: "stage".into(),
        role: Some(CLAIMED.into()),
        version: staged.first().map(|(_, md)| md.version()),
        digest: staged.first().map(|(_, md)| hex::encode(staging::digest(md))),
        detail: Some(format!("{what}: {} shard(s) resealed with one-time keys", staged.len().saturating_sub(1))),
        ..Default::default()
    })?;
    tx.commit()?;
    Ok(())
}

/// `renew claimed`: every shard's next version, sealed by a new one-time key and expiring
/// with the index, and the next index. Returns the staged index.
pub fn renew(ws: &Workspace, lock: &WorkspaceLock, expires: OffsetDateTime) -> Result<Metadata, StageError> {
    crate::workspace::claimed_state::refuse_staged_claimed(ws, "renew claimed")?;
    let staged = plan_reseal(ws, Reseal::All(expires))?;
    stage_all(ws, lock, &staged, "renew claimed")?;
    Ok(staged[0].1.clone())
}

/// The refusal for renewing one shard: shards are renewed with the index that pins them.
pub fn refuse_shard_renewal(role: &str) -> StageError {
    refused(format!(
        "{role} cannot be renewed alone: its one-time key is pinned by the claimed index; run `ceremony renew claimed`, which reseals every shard and stages the next index"
    ))
}

/// The keyids (sorted) and threshold `targets` gives `claimed`, if it delegates to it.
fn claimed_delegation(targets: &Metadata) -> Option<(Vec<String>, u64)> {
    let keys = claimed::holder_keys_in(targets).ok()?;
    let mut ids = keys.keyids;
    ids.sort();
    Some((ids, keys.threshold))
}

/// After top-level targets is staged: when its delegation to `claimed` has other keys or
/// another threshold than the trusted targets', stages the next index (same shards, same
/// expiry; shards still on shared keys resealed) so that the new holders sign it and a
/// removed key no longer counts. Returns the staged index, if one was staged.
pub fn restage_for_rekey(ws: &Workspace, lock: &WorkspaceLock) -> Result<Option<Metadata>, StageError> {
    let (Some(old), Some(new)) = (staging::trusted(ws, "targets")?, staging::staged(ws, "targets")?) else { return Ok(None) };
    let trusted_index = staging::trusted(ws, CLAIMED)?;
    let expired = trusted_index.as_ref().is_none_or(|i| i.expires().is_expired(OffsetDateTime::now_utc()));
    // A staged index is signed by whoever the staged targets names; an expired one needs
    // `renew claimed` with a new expiry, which the set check asks for.
    if claimed_delegation(&old) == claimed_delegation(&new) || expired || staging::staged(ws, CLAIMED)?.is_some() {
        return Ok(None);
    }
    let staged = plan_reseal(ws, Reseal::Unsealed)?;
    stage_all(ws, lock, &staged, "re-key: targets changes the keys that sign claimed")?;
    Ok(Some(staged[0].1.clone()))
}

/// Problems of the set as a whole that no single staged role shows: the index a client
/// would read (staged, else trusted) must be signed to the threshold of the delegation the
/// top-level targets a client would read gives `claimed`.
pub fn set_problems(ws: &Workspace) -> Result<Vec<String>, StageError> {
    if staging::staged_roles(ws)?.iter().any(|r| r == CLAIMED) {
        // Its own status counts it against the effective targets (and reads it once there).
        return Ok(Vec::new());
    }
    let (Some(index), Some(targets)) = (staging::trusted(ws, CLAIMED)?, staging::effective(ws, "targets")?) else { return Ok(Vec::new()) };
    let Some(gov) = staging::governing(ws, CLAIMED, &index).ok().and_then(|g| g.into_iter().next()) else {
        return Ok(vec![format!(
            "targets version {} no longer delegates to claimed, but claimed version {} is trusted",
            targets.version(),
            index.version()
        )]);
    };
    let report = check_threshold(&index.signed_bytes(), index.signatures(), &gov.delegation);
    if report.is_met() {
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "claimed version {} has {} of the {} signatures needed from the claimed keys targets version {} lists; stage it again with `ceremony renew claimed` and have those holders sign it",
        index.version(),
        report.have,
        report.threshold,
        targets.version()
    )])
}

/// What a claimed holder is told about how the index pins its shards, before signing it
/// (what the shards change is `promotion_review`'s).
pub fn index_review_lines(index: &Metadata) -> Vec<String> {
    let shards = index.targets().ok().and_then(|t| t.delegations.and_then(|d| d.roles.map(|r| r.len()))).unwrap_or(0);
    vec![format!(
        "pins {shards} shard(s), each to its own one-time Ed25519 key: Ceremony sealed every staged shard with a key it made in memory, used once and destroyed, so only those exact shard files count under this index"
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::holder::{Holder, KeySource};
    use crate::keys::signer::{Signer, SoftwareSigner};
    use crate::pypi::claimed::Seal;
    use crate::tuf::key::Algorithm;

    fn seal_of(k: &crate::tuf::key::Key) -> Seal {
        Seal { keyid: k.keyid().to_string(), key: k.canonical_bytes().to_vec() }
    }

    #[test]
    fn a_shard_key_that_signs_another_role_breaks_the_layout() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(&dir.path().join("ws")).unwrap();
        let lock = ws.lock().unwrap();
        let (holder, online) = (SoftwareSigner::generate(Algorithm::Ed25519), SoftwareSigner::generate(Algorithm::Ed25519));
        for (name, s) in [("alice", &holder), ("online", &online)] {
            let h = Holder { name: name.into(), key: s.public_key().clone(), source: KeySource::PublicOnly, registered: String::new() };
            ws.add_holder(&lock, &h).unwrap();
        }
        let expires = OffsetDateTime::now_utc() + time::Duration::days(30);
        let plan = crate::pypi::pep480::TargetsPlan {
            claimed: vec![holder.public_key().clone()],
            claimed_threshold: 1,
            online: online.public_key().clone(),
            expires,
        };
        crate::workspace::propose::targets_init(&ws, &lock, &plan).unwrap();
        let fresh = SoftwareSigner::generate(Algorithm::Ed25519);
        let mut index = Index {
            version: None,
            keys: crate::workspace::claimed_state::holder_keys(&ws).unwrap(),
            leaves: Default::default(),
            seals: Default::default(),
        };
        for (leaf, key) in [("a", holder.public_key()), ("b", online.public_key()), ("c", fresh.public_key())] {
            index.leaves.insert(leaf.into());
            index.seals.insert(leaf.into(), seal_of(key));
        }
        let md = Metadata::from_signed(index.to_signed(1, expires).unwrap()).unwrap();
        let problems = crate::workspace::claimed_state::staged_layout_problems(&ws, CLAIMED, &md).unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("claimed.a") && problems[0].contains("also signs claimed"), "{problems:?}");
        assert!(problems[1].contains("claimed.b") && problems[1].contains("also signs unclaimed"), "{problems:?}");
        // Read back, a shard on a holder's key counts as unsealed: the next promotion reseals it.
        let parsed = Index::parse(&md, index.keys.clone()).unwrap();
        assert_eq!(parsed.unsealed().cloned().collect::<Vec<_>>(), vec!["a".to_string()]);
    }
}
