//! What the claimed holders approve when they sign a staged claimed index: the projects it
//! adds, the developer keys it changes, the projects it drops and the new path overlaps.
//!
//! Everything here is computed from the staged shards the index pins (each checked against
//! its seal) and the trusted shards they replace, never from a file written at `promote`:
//! whoever can write the workspace could edit such a file, not the sealed shards.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::pypi::claimed::{self, shard_key_of, shard_role, Index, ShardProjects};
use crate::pypi::pep480::Project;
use crate::pypi::roles::CLAIMED;
use crate::tuf::metadata::Delegation;
use crate::tuf::metadata::Metadata;
use crate::workspace::staging::{self, refused, StageError};
use crate::workspace::Workspace;

/// A claimed project whose developer keys or threshold change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    pub project: String,
    /// Keyids, sorted.
    pub old_keyids: Vec<String>,
    pub new_keyids: Vec<String>,
    pub old_threshold: u64,
    pub new_threshold: u64,
}

/// The review of one staged claimed index against the trusted one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromotionReview {
    pub index_version: u64,
    pub trusted_index_version: Option<u64>,
    /// The recently-claimed version the staged promotion says it came from (a label: the
    /// lists below do not depend on it). None for `renew claimed` and a re-key.
    pub source_version: Option<u64>,
    /// Shards the staged index pins, and how many of them are staged with it.
    pub shards_pinned: usize,
    pub shards_staged: usize,
    /// Projects claimed for the first time, by name.
    pub new: Vec<String>,
    /// Projects already claimed whose keys or threshold change, by name.
    pub key_changes: Vec<KeyChange>,
    /// Projects claimed now that the staged shards no longer carry: clients would look for
    /// their files in the online roles again. No promotion does this.
    pub removed: Vec<String>,
    /// Pairs (A, B) where A's patterns also match B's older file names
    /// (`project::legacy_overlap`), among pairs with a new or changed project.
    pub overlaps: Vec<(String, String)>,
    /// Projects in the staged shards with the same keys as before.
    pub unchanged: usize,
    /// Trusted shards an older Ceremony signed with the holders' keys, sealed now.
    pub resealed: usize,
    /// Trusted shards replaced by smaller ones.
    pub split: Vec<String>,
}

/// The review of the staged claimed index, or None when none is staged.
pub fn promotion_review(ws: &Workspace) -> Result<Option<PromotionReview>, StageError> {
    let Some(index_md) = staging::staged(ws, CLAIMED)? else { return Ok(None) };
    let keys = crate::workspace::claimed_state::holder_keys(ws)?;
    let index = Index::parse(&index_md, keys.clone())?;
    let trusted_md = staging::trusted(ws, CLAIMED)?;
    let trusted = trusted_md.as_ref().map(|t| Index::parse(t, keys)).transpose()?;
    let staged = staged_shards(ws, &index_md, &index)?;
    // A pinned leaf with no staged file is served as trusted: it is not part of the change.
    let kept: BTreeSet<&String> = index.leaves.iter().filter(|l| !staged.contains_key(*l)).collect();
    let replaced: Vec<String> = trusted.iter().flat_map(|t| t.leaves.iter()).filter(|l| !kept.contains(l)).cloned().collect();
    let old = trusted_shards(ws, &replaced)?;
    let mut review = compare(&staged, &old);
    review.index_version = index_md.version();
    review.trusted_index_version = trusted_md.as_ref().map(Metadata::version);
    review.source_version = source_version(ws);
    review.shards_pinned = index.leaves.len();
    review.shards_staged = staged.len();
    if let Some(t) = &trusted {
        review.resealed = t.unsealed().filter(|l| staged.contains_key(*l)).count();
        review.split = t.leaves.iter().filter(|l| !index.leaves.contains(*l)).map(|l| shard_role(l)).collect();
    }
    let overlaps = {
        let batch: Vec<&String> = review.new.iter().chain(review.key_changes.iter().map(|c| &c.project)).collect();
        crate::workspace::promotion::staged_overlaps(ws, &index, staged, &batch)?
    };
    review.overlaps = overlaps;
    Ok(Some(review))
}

/// The projects of every staged shard, by leaf; each shard must be one the staged index
/// pins and must verify under the one-time key it pins for it.
fn staged_shards(ws: &Workspace, index_md: &Metadata, index: &Index) -> Result<BTreeMap<String, ShardProjects>, StageError> {
    let roles: Vec<String> = staging::staged_roles(ws)?.into_iter().filter(|r| shard_key_of(r).is_some()).collect();
    let view = index_md.targets().map_err(|e| refused(format!("the staged claimed index cannot be read: {e}")))?;
    // One pass over the index's delegations: looking each shard up would be quadratic.
    let mut delegations: HashMap<&str, Delegation> = HashMap::new();
    if let Some(d) = &view.delegations {
        for r in d.roles.iter().flatten() {
            let keys = r.keyids.iter().map(|id| (id.to_string(), d.key(id)));
            delegations.insert(&r.name, Delegation::new(&r.name, r.threshold, keys));
        }
    }
    let mut pinned = Vec::with_capacity(roles.len());
    for role in &roles {
        let leaf = shard_key_of(role).unwrap_or_default();
        let delegation = delegations.remove(role.as_str()).filter(|_| index.leaves.contains(leaf)).ok_or_else(|| {
            refused(format!(
                "staged {role} is not among the shards the staged claimed index pins; drop the staged claimed files with `ceremony discard claimed` and stage them again"
            ))
        })?;
        pinned.push((role.as_str(), delegation));
    }
    let read = crate::support::par::map(&pinned, |(role, delegation)| -> Result<ShardProjects, StageError> {
        let md = staging::staged(ws, role)?.ok_or_else(|| refused(format!("staged {role} vanished while it was read; run sign again")))?;
        if !crate::tuf::verify::check_threshold(&md.signed_bytes(), md.signatures(), delegation).is_met() {
            return Err(refused(claimed::tampered_shard(role)));
        }
        Ok(claimed::read_shard(&md)?)
    });
    let mut out = BTreeMap::new();
    for ((role, _), projects) in pinned.iter().zip(read) {
        out.insert(shard_key_of(role).unwrap_or_default().to_string(), projects?);
    }
    Ok(out)
}

/// The projects of the trusted shards at `leaves`.
fn trusted_shards(ws: &Workspace, leaves: &[String]) -> Result<Vec<ShardProjects>, StageError> {
    let read = crate::support::par::map(leaves, |leaf| -> Result<ShardProjects, StageError> {
        let role = shard_role(leaf);
        let md = staging::trusted(ws, &role)?.ok_or_else(|| {
            refused(format!("the trusted claimed index delegates to {role}, but the workspace has no trusted {role}; the workspace was altered outside ceremony"))
        })?;
        Ok(claimed::read_shard(&md)?)
    });
    read.into_iter().collect()
}

/// New, changed, unchanged and removed projects: staged shards against the trusted shards
/// they replace, matched by name.
fn compare(staged: &BTreeMap<String, ShardProjects>, old: &[ShardProjects]) -> PromotionReview {
    let before: HashMap<&str, &Project> = old.iter().flat_map(|s| s.values()).map(|p| (p.name.as_str(), p)).collect();
    let mut after: HashSet<&str> = HashSet::with_capacity(before.len());
    let mut review = PromotionReview::default();
    for p in staged.values().flat_map(|s| s.values()) {
        after.insert(&p.name);
        match before.get(p.name.as_str()) {
            None => review.new.push(p.name.clone()),
            Some(o) if o.same_keys(p) => review.unchanged += 1,
            Some(o) => review.key_changes.push(key_change(o, p)),
        }
    }
    review.removed = before.keys().filter(|n| !after.contains(*n)).map(|n| n.to_string()).collect();
    review.new.sort_unstable();
    review.removed.sort_unstable();
    review.key_changes.sort_by(|a, b| a.project.cmp(&b.project));
    review
}

fn key_change(old: &Project, new: &Project) -> KeyChange {
    let sorted = |p: &Project| {
        let mut ids: Vec<String> = p.keyids().map(str::to_string).collect();
        ids.sort();
        ids
    };
    KeyChange {
        project: new.name.clone(),
        old_keyids: sorted(old),
        new_keyids: sorted(new),
        old_threshold: old.threshold,
        new_threshold: new.threshold,
    }
}

/// The source version the staged promotion record names, if any.
fn source_version(ws: &Workspace) -> Option<u64> {
    ws.ledger().ok()?.staged_source.as_ref().map(|s| s.version)
}

impl PromotionReview {
    /// Every list in full, one line each, tab-separated: the file a sign screen names.
    pub fn full_text(&self) -> String {
        let mut out = format!("# claimed version {} as staged, against the trusted shards it replaces\n", self.index_version);
        for c in &self.key_changes {
            out.push_str(&format!(
                "key-change\t{}\t{} -> {}\tthreshold {} -> {}\n",
                c.project,
                c.old_keyids.join(","),
                c.new_keyids.join(","),
                c.old_threshold,
                c.new_threshold
            ));
        }
        for (a, b) in &self.overlaps {
            out.push_str(&format!("overlap\t{a}\t{b}\n"));
        }
        for n in &self.removed {
            out.push_str(&format!("removed\t{n}\n"));
        }
        for n in &self.new {
            out.push_str(&format!("new\t{n}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(name: &str, key_byte: u8, threshold: u64) -> Project {
        let key = crate::tuf::key::Key::new(crate::tuf::key::Algorithm::Ed25519, hex::encode([key_byte; 32]));
        Project::new(name.into(), threshold, &[(key.keyid().into(), key.canonical_bytes().to_vec())])
    }

    #[test]
    fn staged_shards_against_trusted_ones_by_name() {
        let old: ShardProjects =
            [project("foo", 1, 1), project("bar", 2, 1), project("gone", 3, 1), project("same", 4, 1)].into_iter().collect();
        // "foo" moves to another (split) shard with new keys: still a key change, not new.
        let f: ShardProjects = [project("foo", 9, 1), project("foo-bar", 5, 1)].into_iter().collect();
        let b: ShardProjects = [project("bar", 2, 2), project("same", 4, 1)].into_iter().collect();
        let staged = BTreeMap::from([("fo".to_string(), f), ("b".to_string(), b)]);
        let r = compare(&staged, &[old]);
        assert_eq!(r.new, vec!["foo-bar"]);
        let changed: Vec<(&str, u64, u64)> = r.key_changes.iter().map(|c| (c.project.as_str(), c.old_threshold, c.new_threshold)).collect();
        assert_eq!(changed, vec![("bar", 1, 2), ("foo", 1, 1)]);
        assert_ne!(r.key_changes[1].old_keyids, r.key_changes[1].new_keyids);
        assert_eq!(r.removed, vec!["gone"]);
        assert_eq!(r.unchanged, 1);
    }
}
