//! The claimed layout as this workspace holds it: the claimed holders' keys, the effective
//! index, and the layout rules that need the rest of the workspace (a shard's seal key must
//! sign nothing else). The rules that need only the file are in [`crate::pypi::claimed`].

use std::collections::{BTreeMap, BTreeSet};

use crate::pypi::claimed::{holder_keys_in, layout_problems, shard_key_of, ClaimedKeys, Index};
use crate::pypi::roles::CLAIMED;
use crate::tuf::metadata::Metadata;
use crate::workspace::staging::{self, refused, StageError};
use crate::workspace::Workspace;

/// The effective index (staged, else trusted), or a new empty one, with the keys top-level
/// targets (staged, else trusted) delegates `claimed` to.
pub fn load_index(ws: &Workspace) -> Result<Index, StageError> {
    let keys = holder_keys(ws)?;
    match staging::effective(ws, CLAIMED)? {
        Some(md) => Ok(Index::parse(&md, keys)?),
        None => Ok(Index { version: None, keys, leaves: BTreeSet::new(), seals: BTreeMap::new() }),
    }
}

/// The keys top-level targets (staged, else trusted) delegates `claimed` to.
pub fn holder_keys(ws: &Workspace) -> Result<ClaimedKeys, StageError> {
    let targets = staging::effective(ws, "targets")?
        .ok_or_else(|| refused("the workspace has no top-level targets; run `ceremony targets init` first"))?;
    Ok(holder_keys_in(&targets)?)
}

/// [`layout_problems`], and for the index also that no shard's seal key signs anything
/// else: not the index (the claimed holders), not targets, not the online roles.
pub fn staged_layout_problems(ws: &Workspace, role: &str, md: &Metadata) -> Result<Vec<String>, StageError> {
    let mut out = layout_problems(role, md);
    if role != CLAIMED {
        return Ok(out);
    }
    let foreign = foreign_keys(ws)?;
    let Ok(view) = md.targets() else { return Ok(out) };
    for r in view.delegations.iter().flat_map(|d| d.roles.iter().flatten()) {
        for (id, other) in r.keyids.iter().filter_map(|id| foreign.get(&**id).map(|other| (id, other))) {
            out.push(format!(
                "layout rule: claimed delegates {} to key {}, which also signs {other}; a shard's key must be its own one-time seal (`ceremony renew claimed` reseals every shard)",
                r.name,
                crate::tuf::key::short_keyid(id)
            ));
        }
    }
    Ok(out)
}

/// Keys of the roles a shard's seal must never be: every key top-level targets delegates to
/// (the claimed holders, the online key) and root's targets keys, each with a role it signs.
fn foreign_keys(ws: &Workspace) -> Result<BTreeMap<String, String>, StageError> {
    let mut out = BTreeMap::new();
    if let Some(root) = staging::effective(ws, "root")? {
        if let Some(d) = root.root().ok().and_then(|r| r.delegation("targets")) {
            out.extend(d.keys.iter().map(|(id, _)| (id.clone(), "targets".to_string())));
        }
    }
    if let Some(targets) = staging::effective(ws, "targets")? {
        let view = targets.targets().map_err(|e| refused(format!("targets cannot be read: {e}")))?;
        for r in view.delegations.iter().flat_map(|d| d.roles.iter().flatten()) {
            out.extend(r.keyids.iter().map(|id| (id.to_string(), r.name.to_string())));
        }
    }
    Ok(out)
}

/// Refuses while claimed files are staged, except an index staged alone (by a re-key or
/// `renew claimed` of an index without shards): `what` replaces it, and its holders sign
/// the new version instead.
pub(crate) fn refuse_staged_claimed(ws: &Workspace, what: &str) -> Result<(), StageError> {
    let staged: Vec<String> = staging::staged_roles(ws)?.into_iter().filter(|r| r == CLAIMED || shard_key_of(r).is_some()).collect();
    let lone_index = staged.len() == 1 && staged[0] == CLAIMED && ws.ledger()?.staged_source.is_none();
    match staged.first() {
        Some(role) if !lone_index => Err(refused(format!(
            "{what} cannot be staged: claimed files are already staged ({role}); export them with `bundle export` or drop them with `ceremony discard claimed`"
        ))),
        _ => Ok(()),
    }
}
