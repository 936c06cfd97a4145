//! Staging a promotion: the projects of a verified `recently-claimed` moved into the offline
//! claimed shards (PEP 480, docs/claimed-layout.md). The plan is made without writing; the
//! staging is one transaction, after the policy rules hold for every file.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use rayon::slice::ParallelSliceMut;

use time::OffsetDateTime;

use crate::pypi::claimed::{read_shard, seal, shard_key_of, shard_role, shard_signed, to_metadata, Index, Seal, ShardProjects};
use crate::pypi::project::{self, shard_key};
use crate::pypi::roles::CLAIMED;
use crate::tuf::metadata::Metadata;
use crate::workspace::claimed_state::{load_index, refuse_staged_claimed};
use crate::workspace::recently_claimed::{SourceRecord, VerifiedSource, STAGED_PROMOTION_RECORD};
use crate::workspace::staging::{self, refused, StageError};
use crate::workspace::Workspace;

/// What a promotion staged.
#[derive(Debug, Clone, Default)]
pub struct Promotion {
    pub source_version: u64,
    /// SHA-256 of the recently-claimed file, hex: kept so later promotions cannot roll back.
    pub source_sha256: String,
    /// Projects claimed for the first time.
    pub new: Vec<String>,
    /// Projects already claimed whose developer keys or threshold change.
    pub rotated: Vec<String>,
    /// Projects already claimed with the same keys: nothing to do.
    pub unchanged: Vec<String>,
    /// Invalid delegations left out (`--skip-invalid`), with their problems.
    pub skipped: Vec<(String, Vec<String>)>,
    /// Every file staged: (role, version, first version of a new role).
    pub files: Vec<(String, u64, bool)>,
    /// Pairs (A, B) of claimed projects where A's patterns also match B's older file names.
    pub overlaps: Vec<(String, String)>,
    /// Shards replaced by their children.
    pub split: Vec<String>,
    /// Shards signed by shared keys before seals existed, resealed by this promotion.
    pub resealed: Vec<String>,
}

/// What to promote.
pub struct PromoteRequest<'a> {
    pub source: &'a VerifiedSource,
    /// Only these projects (normalized names); all when empty.
    pub only: &'a [String],
    pub skip_invalid: bool,
    pub expires: OffsetDateTime,
    pub now: OffsetDateTime,
}

/// Loads shards on demand, the staged-in-this-batch versions first.
struct Shards<'w> {
    ws: &'w Workspace,
    loaded: BTreeMap<String, (Option<u64>, ShardProjects)>,
}

impl Shards<'_> {
    fn get(&mut self, leaf: &str) -> Result<&mut (Option<u64>, ShardProjects), StageError> {
        if !self.loaded.contains_key(leaf) {
            let role = shard_role(leaf);
            let entry = match staging::trusted(self.ws, &role)? {
                Some(md) => (Some(md.version()), read_shard(&md)?),
                None => (None, ShardProjects::new()),
            };
            self.loaded.insert(leaf.to_string(), entry);
        }
        // Inserted just above when missing.
        self.loaded.get_mut(leaf).ok_or_else(|| refused("internal error: a shard vanished"))
    }
}

fn summarize_invalid(invalid: &[(String, Vec<String>)]) -> String {
    let shown: Vec<String> = invalid.iter().take(10).map(|(n, p)| format!("{n} ({})", p.join("; "))).collect();
    let more = invalid.len().saturating_sub(10);
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("{}{tail}", shown.join(", "))
}

/// Plans a promotion: which projects are new, rotated or unchanged, and the new versions of
/// the index and the shards they fall in. Nothing is written.
pub fn plan_promotion(ws: &Workspace, req: &PromoteRequest) -> Result<(Promotion, Vec<(String, Metadata)>), StageError> {
    refuse_staged_claimed(ws, "a promotion")?;
    let source = req.source.metadata();
    let mut list = crate::pypi::pep480::read_projects(source)?;
    if !req.only.is_empty() {
        let known: BTreeSet<&str> =
            list.valid.iter().map(|p| p.name.as_str()).chain(list.invalid.iter().map(|(n, _)| n.as_str())).collect();
        if let Some(missing) = req.only.iter().find(|n| !known.contains(n.as_str())) {
            return Err(refused(format!("recently-claimed version {} does not delegate to {missing}", source.version())));
        }
        list.valid.retain(|p| req.only.contains(&p.name));
        list.invalid.retain(|(n, _)| req.only.contains(n));
    }
    if !list.invalid.is_empty() && !req.skip_invalid {
        return Err(refused(format!(
            "{} project delegation(s) in recently-claimed are invalid, so the whole batch is refused: {}; fix them online or pass --skip-invalid",
            list.invalid.len(),
            summarize_invalid(&list.invalid)
        )));
    }
    let record = req.source.record();
    let mut promotion =
        Promotion { source_version: record.version, source_sha256: record.sha256.clone(), skipped: list.invalid, ..Promotion::default() };
    let mut index = load_index(ws)?;
    // Shards an older Ceremony signed with the holders' keys are resealed now: until then
    // they stay interchangeable with each other and with the index. (Taken before this
    // batch places new leaves, which have no seal yet either.)
    let unsealed: Vec<String> = index.unsealed().cloned().collect();
    let mut shards = Shards { ws, loaded: BTreeMap::new() };
    let mut touched: BTreeSet<String> = BTreeSet::new();
    // Keys made on every core and sorted, so the projects of each shard come as one run and
    // only the first of a run searches the index. Leaves are prefix-free: a leaf that is a
    // prefix of a key is that key's leaf, whatever leaves are added later.
    let mut keyed = crate::support::par::map_owned(list.valid, |p| (shard_key(&p.name), p));
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut keyed = keyed.into_iter().peekable();
    while let Some((key, p)) = keyed.next() {
        let leaf = index.place(&key);
        let mut run = vec![(key, p)];
        while let Some(next) = keyed.next_if(|(k, _)| k.starts_with(leaf.as_str())) {
            run.push(next);
        }
        let (_, projects) = shards.get(&leaf)?;
        if projects.is_empty() {
            // A new or empty shard: the run, already in key order, is built in one pass.
            promotion.new.extend(run.iter().map(|(_, p)| p.name.clone()));
            projects.0 = run.into_iter().collect();
            touched.insert(leaf);
            continue;
        }
        let mut changed = false;
        for (key, p) in run {
            match projects.0.get(&key) {
                Some(old) if old.same_keys(&p) => {
                    promotion.unchanged.push(p.name);
                    continue;
                }
                Some(_) => promotion.rotated.push(p.name.clone()),
                None => promotion.new.push(p.name.clone()),
            }
            projects.0.insert(key, p);
            changed = true;
        }
        if changed {
            touched.insert(leaf);
        }
    }
    for leaf in unsealed {
        shards.get(&leaf)?;
        promotion.resealed.push(shard_role(&leaf));
        touched.insert(leaf);
    }
    // Reported in name order, as before the projects were sorted by key.
    promotion.new.par_sort_unstable();
    promotion.rotated.sort_unstable();
    promotion.unchanged.sort_unstable();
    let max = crate::workspace::policy::claimed_shard_max_bytes(ws)?;
    let mut planned: Vec<(String, u64, ShardProjects)> = Vec::new();
    let mut grown = Vec::with_capacity(touched.len());
    for leaf in touched {
        let (version, projects) = shards.loaded.remove(&leaf).ok_or_else(|| refused("internal error: a shard vanished"))?;
        grown.push((leaf, version, projects));
    }
    let split_up = crate::support::par::map_owned(grown, |(leaf, version, projects)| {
        let parts = crate::pypi::claimed::split(&leaf, projects, max);
        (leaf, version, parts)
    });
    for (leaf, version, parts) in split_up {
        if parts.len() > 1 || parts[0].0 != leaf {
            index.leaves.remove(&leaf);
            index.seals.remove(&leaf);
            promotion.split.push(leaf.clone());
        }
        for (key, projects) in parts {
            index.leaves.insert(key.clone());
            let v = if key == leaf { version.map_or(1, |v| v + 1) } else { 1 };
            promotion.files.push((shard_role(&key), v, v == 1));
            planned.push((key, v, projects));
        }
    }
    let built = build_shards(&planned, req.expires)?;
    let mut staged = Vec::with_capacity(built.len() + 1);
    for ((key, v, projects), (md, seal)) in planned.into_iter().zip(built) {
        staged.push((shard_role(&key), md));
        index.seals.insert(key.clone(), seal);
        shards.loaded.insert(key, (Some(v), projects));
    }
    // Every shard staged has a new key, so the index always changes with them.
    if !staged.is_empty() {
        let v = staging::trusted(ws, CLAIMED)?.map_or(1, |t| t.version() + 1);
        let md = to_metadata(index.to_signed(v, req.expires)?)?;
        promotion.files.insert(0, (CLAIMED.to_string(), v, v == 1));
        staged.insert(0, (CLAIMED.to_string(), md));
    }
    let batch: Vec<&String> = promotion.new.iter().chain(&promotion.rotated).collect();
    promotion.overlaps = overlaps(&index, &mut shards, &batch)?;
    Ok((promotion, staged))
}

/// Encodes, checks and seals every planned shard, on every core.
fn build_shards(planned: &[(String, u64, ShardProjects)], expires: OffsetDateTime) -> Result<Vec<(Metadata, Seal)>, StageError> {
    crate::support::par::map(planned, |(_, v, ps)| seal(shard_signed(ps, *v, expires)))
        .into_iter()
        .map(|r| r.map_err(StageError::from))
        .collect()
}

/// [`overlaps`] for a batch already staged: `index` is the staged index and `staged` the
/// projects of each staged shard by leaf; every other leaf is read from its trusted shard.
pub(crate) fn staged_overlaps(
    ws: &Workspace,
    index: &Index,
    staged: BTreeMap<String, ShardProjects>,
    batch: &[&String],
) -> Result<Vec<(String, String)>, StageError> {
    let loaded = staged.into_iter().map(|(leaf, ps)| (leaf, (None, ps))).collect();
    overlaps(index, &mut Shards { ws, loaded }, batch)
}

/// Pairs of claimed projects where the first's patterns reach the second's older file
/// names, among pairs involving a project of `batch` (its new and changed projects).
fn overlaps(index: &Index, shards: &mut Shards, batch: &[&String]) -> Result<Vec<(String, String)>, StageError> {
    let mut out = Vec::new();
    // Reused for every name: 100,000 names would otherwise make 500,000 small strings.
    let mut probe = String::new();
    for &name in batch {
        let key = shard_key(name);
        // Claimed projects whose name is a `-`-prefix of this one: their key is this key's
        // prefix up to that `-`, then `-`.
        for (i, _) in name.match_indices('-') {
            let outer = &name[..i];
            probe.clear();
            probe.push_str(&key[..i]);
            probe.push('-');
            if let Some(leaf) = index.leaf_for(&probe) {
                if shards.get(leaf)?.1 .0.contains_key(probe.as_str()) {
                    out.push((outer.to_string(), name.clone()));
                }
            }
        }
        // Claimed projects named `this-...`: their keys start with this key's `_` form,
        // in the leaves under that prefix or the one leaf above it.
        probe.clear();
        probe.push_str(&key[..name.len()]);
        probe.push('_');
        let below = index.leaves.range::<str, _>((Bound::Included(probe.as_str()), Bound::Unbounded));
        let leaves = below.map(String::as_str).take_while(|l| l.starts_with(probe.as_str())).chain(index.leaf_for(&probe));
        for leaf in leaves {
            let projects = &shards.get(leaf)?.1 .0;
            let under = projects.range::<str, _>((Bound::Included(probe.as_str()), Bound::Unbounded));
            for (_, inner) in under.take_while(|(k, _)| k.starts_with(probe.as_str())) {
                if project::legacy_overlap(name, &inner.name) {
                    out.push((name.clone(), inner.name.clone()));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Stages a planned promotion in one transaction, after the policy rules hold for every
/// file; records which recently-claimed it came from.
pub fn stage_promotion(
    ws: &Workspace,
    lock: &crate::workspace::WorkspaceLock,
    promotion: &Promotion,
    staged: &[(String, Metadata)],
) -> Result<(), StageError> {
    if staged.is_empty() {
        return Err(refused(format!(
            "recently-claimed version {} brings nothing new to claim ({} already claimed with the same keys); nothing was staged",
            promotion.source_version,
            promotion.unchanged.len()
        )));
    }
    let holders = ws.holders()?;
    let now = OffsetDateTime::now_utc();
    let checks =
        crate::support::par::map(staged, |(role, md)| crate::workspace::policy::check_except_shard_contents(ws, role, md, &holders, now));
    for ((role, _), problems) in staged.iter().zip(checks) {
        if let Some(first) = problems?.first() {
            return Err(refused(format!("{role}: {first}; nothing was staged")));
        }
    }
    let mut tx = ws.begin(lock)?;
    let files = staging::write_staged(&mut tx, staged)?;
    let source_sha256 = promotion.source_sha256.clone();
    tx.remove(STAGED_PROMOTION_RECORD)?;
    crate::workspace::sealed::remove_summary(&mut tx)?;
    // The transcript names the index by the digest its holders read at staging and at
    // `sign` (`role_digest`); the source's digest is kept in the detail.
    let index = staged.iter().find(|(role, _)| role == CLAIMED).map(|(_, md)| md);
    tx.record(crate::workspace::transcript::Action {
        action: "stage".into(),
        files,
        source: Some(SourceRecord { version: promotion.source_version, sha256: source_sha256.clone() }),
        role: Some(CLAIMED.into()),
        version: index.map(Metadata::version),
        digest: index.map(|md| hex::encode(staging::digest(md))),
        detail: Some(format!(
            "claimed promote from recently-claimed version {} (sha256 {source_sha256}): {} new, {} key rotations, {} files",
            promotion.source_version,
            promotion.new.len(),
            promotion.rotated.len(),
            staged.len()
        )),
        ..Default::default()
    })?;
    tx.commit()?;
    Ok(())
}

/// Drops a staged promotion: the index, every shard and the source record, in one
/// transaction. Returns how many files were dropped.
pub fn discard_promotion(ws: &Workspace, lock: &crate::workspace::WorkspaceLock) -> Result<usize, StageError> {
    // As found: discarding is the way out when a staged file was added or changed on the stick.
    let roles: Vec<String> =
        staging::staged_roles_as_found(ws)?.into_iter().filter(|r| r == CLAIMED || shard_key_of(r).is_some()).collect();
    if roles.is_empty() {
        return Err(refused("no promotion is staged, so there is nothing to discard"));
    }
    let mut tx = ws.begin(lock)?;
    staging::remove_staged(&mut tx, &roles)?;
    tx.remove(STAGED_PROMOTION_RECORD)?;
    crate::workspace::sealed::remove_summary(&mut tx)?;
    tx.record(crate::workspace::transcript::Action {
        action: "discard".into(),
        role: Some(CLAIMED.into()),
        detail: Some(format!("the staged promotion: {} files", roles.len())),
        files: roles.iter().map(|r| (r.clone(), String::new())).collect(),
        ..Default::default()
    })?;
    tx.commit()?;
    Ok(roles.len())
}
