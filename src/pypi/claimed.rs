//! The offline `claimed` role, split so it stays small as PyPI grows (docs/claimed-layout.md).
//!
//! `claimed` is an index: it delegates (non-terminating) to shard roles named
//! `claimed.KEY`, and each shard delegates (terminating) to the projects whose
//! [`project::shard_key`] starts with KEY. The shard keys are the leaves of a trie over
//! those keys: no key is a prefix of another, so every project has exactly one shard.
//! A shard whose file would grow past the size limit is split into its children by the
//! next character; nothing is ever merged, so a role name, once split, never returns.
//!
//! Each shard is sealed when it is staged: signed once by a fresh Ed25519 key made in memory
//! for that one (shard, version) and destroyed right after. The index delegates each shard to
//! exactly its seal's key, threshold 1, so no shard can be served as another shard, as an
//! older version of itself, as the index or as targets. The claimed holders sign only the
//! index; every promotion stages a new index version, since every shard it touches changes
//! key.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use time::OffsetDateTime;

use crate::pypi::pep480::{self, Project};
use crate::pypi::project::{self, shard_key};
use crate::pypi::roles::CLAIMED;
use crate::pypi::{refused, LayoutError};
use crate::tuf::canonical;
use crate::tuf::datetime::format_expires;
use crate::tuf::key::{Algorithm, Key};
use crate::tuf::metadata::{DelegatedRole, Delegations, Metadata, Signature, Targets, SPEC_VERSION};

/// The default largest size of a shard's signed bytes (policy.json `claimed_shard_max_bytes`).
/// A client fetches one shard per claimed project it installs, and python-tuf refuses a
/// targets file over 5 MB unless snapshot lists its length: 256 KiB keeps both far away.
pub const DEFAULT_SHARD_MAX_BYTES: usize = 256 * 1024;

/// The shard role for a key.
pub fn shard_role(key: &str) -> String {
    format!("{CLAIMED}.{key}")
}

/// The key of a shard role name, if it is one.
pub fn shard_key_of(role: &str) -> Option<&str> {
    role.strip_prefix("claimed.").filter(|k| !k.is_empty())
}

/// The role whose delegation governs `role` among the offline targets-type roles.
pub fn delegator_of(role: &str) -> &'static str {
    if shard_key_of(role).is_some() {
        CLAIMED
    } else {
        "targets"
    }
}

/// The keys that sign claimed and its shards: keyids, threshold, canonical key objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedKeys {
    pub keyids: Vec<String>,
    pub threshold: u64,
    pub keys: Vec<(String, Vec<u8>)>,
}

/// A shard's one-time key as the index pins it: keyid and canonical key object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    pub keyid: String,
    pub key: Vec<u8>,
}

/// The index: which shards exist, the key each is sealed with, and the holders' keys that
/// sign the index itself.
#[derive(Debug, Clone)]
pub struct Index {
    pub version: Option<u64>,
    /// The claimed holders' keys: top-level targets' delegation to `claimed`.
    pub keys: ClaimedKeys,
    pub leaves: BTreeSet<String>,
    /// Each leaf's seal. A leaf missing here was signed by shared keys (a workspace from
    /// before seals): the next promotion or `renew claimed` reseals it.
    pub seals: BTreeMap<String, Seal>,
}

/// An index's delegations and its ordered roles; an index has both.
fn index_delegations<'v, 'a>(view: &'v Targets<'a>) -> Option<(&'v Delegations<'a>, &'v [DelegatedRole<'a>])> {
    let d = view.delegations.as_ref()?;
    Some((d, d.roles.as_deref()?))
}

fn canonical_key(raw: &serde_json::value::RawValue) -> Vec<u8> {
    crate::tuf::wire::text_to_canonical(raw.get().as_bytes()).into_owned()
}

impl Index {
    /// Reads an index; a shard counts as sealed when its delegation lists one key, at
    /// threshold 1, that no other delegation and none of the holders lists.
    pub fn parse(md: &Metadata, keys: ClaimedKeys) -> Result<Index, LayoutError> {
        let not_index = |why: String| refused(format!("claimed version {} is not a claimed index: {why}", md.version()));
        let view = md.targets().map_err(|e| not_index(e.to_string()))?;
        let (delegations, roles) = index_delegations(&view).ok_or_else(|| not_index("it has no delegated roles".into()))?;
        let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
        for r in roles {
            for id in &r.keyids {
                *uses.entry(&**id).or_default() += 1;
            }
        }
        let mut leaves = BTreeSet::new();
        let mut seals = BTreeMap::new();
        for r in roles {
            let key = shard_key_of(&r.name).ok_or_else(|| refused(format!("claimed delegates to {:?}, which is not a shard", r.name)))?;
            leaves.insert(key.to_string());
            let [id] = r.keyids.as_slice() else { continue };
            let exclusive = r.threshold == 1 && uses.get(&**id) == Some(&1) && !keys.keyids.iter().any(|k| k == &**id);
            if let (true, Some(raw_key)) = (exclusive, delegations.keys.get(id)) {
                seals.insert(key.to_string(), Seal { keyid: id.to_string(), key: canonical_key(raw_key) });
            }
        }
        Ok(Index { version: Some(md.version()), keys, leaves, seals })
    }

    /// Leaves still signed by shared keys, which must be resealed.
    pub fn unsealed(&self) -> impl Iterator<Item = &String> {
        self.leaves.iter().filter(|l| !self.seals.contains_key(*l))
    }

    /// The shard holding `key`: the leaf that is a prefix of it.
    pub fn leaf_for(&self, key: &str) -> Option<&str> {
        // Leaves are prefix-free, so a leaf that is a prefix of `key` is the greatest leaf
        // not after it: any leaf between the two would start with the first.
        let before = self.leaves.range::<str, _>((Bound::Unbounded, Bound::Included(key))).next_back()?;
        key.starts_with(before.as_str()).then_some(before.as_str())
    }

    /// Where a key with no shard goes: one character deeper than its longest common prefix
    /// with any leaf, so the new leaf is a prefix of no leaf and has none as its prefix.
    fn new_leaf(&self, key: &str) -> String {
        let lcp = |other: &String| key.bytes().zip(other.bytes()).take_while(|(a, b)| a == b).count();
        let before = self.leaves.range::<str, _>((Bound::Unbounded, Bound::Excluded(key))).next_back().map(lcp).unwrap_or(0);
        let after = self.leaves.range::<str, _>((Bound::Included(key), Bound::Unbounded)).next().map(lcp).unwrap_or(0);
        key[..before.max(after) + 1].to_string()
    }

    /// The leaf for `key`, created when missing.
    pub fn place(&mut self, key: &str) -> String {
        if let Some(leaf) = self.leaf_for(key) {
            return leaf.to_string();
        }
        let leaf = self.new_leaf(key);
        self.leaves.insert(leaf.clone());
        leaf
    }

    /// The index as canonical signed bytes: each shard delegated to its own seal.
    pub fn to_signed(&self, version: u64, expires: OffsetDateTime) -> Result<Vec<u8>, LayoutError> {
        let mut roles = Vec::with_capacity(self.leaves.len() * 200);
        let mut keys = Vec::with_capacity(self.leaves.len());
        for (i, leaf) in self.leaves.iter().enumerate() {
            let seal = self.seals.get(leaf).ok_or_else(|| refused(format!("internal error: {} has no seal", shard_role(leaf))))?;
            if i > 0 {
                roles.push(b',');
            }
            let paths: Vec<serde_json::Value> = project::shard_paths(leaf).into_iter().map(Into::into).collect();
            let role = serde_json::json!({"keyids": [seal.keyid], "name": shard_role(leaf), "paths": paths,
                "terminating": false, "threshold": 1});
            // Values built here are plain strings and integers; encoding cannot fail.
            roles.extend_from_slice(&canonical::to_canonical(&role).unwrap_or_default());
            keys.push((seal.keyid.clone(), seal.key.clone()));
        }
        Ok(targets_signed(&keys, &roles, version, expires))
    }
}

/// The keys `targets` delegates `claimed` to.
pub fn holder_keys_in(targets: &Metadata) -> Result<ClaimedKeys, LayoutError> {
    let view = targets.targets().map_err(|e| refused(format!("targets cannot be read: {e}")))?;
    let d = view.delegations.as_ref().and_then(|d| d.roles.as_ref().and_then(|r| r.iter().find(|r| r.name == CLAIMED)));
    let (Some(role), Some(delegations)) = (d, view.delegations.as_ref()) else {
        return Err(refused(format!("targets version {} does not delegate to claimed; run `ceremony targets init`", targets.version())));
    };
    let mut keys = Vec::new();
    for id in &role.keyids {
        let raw = delegations.keys.get(id).ok_or_else(|| refused(format!("targets lists claimed key {id} but not the key itself")))?;
        keys.push((id.to_string(), canonical_key(raw)));
    }
    let keyids = role.keyids.iter().map(|k| k.to_string()).collect();
    Ok(ClaimedKeys { keyids, threshold: role.threshold, keys })
}

/// Signs a shard's signed bytes with a fresh one-time Ed25519 key, checks the signature, and
/// destroys the key (ed25519-dalek zeroizes it on drop). Returns the sealed shard and the
/// key the index must pin.
pub fn seal(signed: Vec<u8>) -> Result<(Metadata, Seal), LayoutError> {
    use ed25519_dalek::Signer as _;
    let mut md = to_metadata(signed)?;
    let (key, sig) = {
        let secret = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        let key = Key::new(Algorithm::Ed25519, hex::encode(secret.verifying_key().as_bytes()));
        (key, secret.sign(&md.signed_bytes()).to_bytes())
    };
    let check = key.public_key().and_then(|p| p.verify_raw(&md.signed_bytes(), &sig));
    check.map_err(|e| refused(format!("internal error: a shard's seal does not verify ({e}); nothing was staged")))?;
    md.set_signature(Signature { keyid: key.keyid().to_string(), sig: hex::encode(sig) });
    Ok((md, Seal { keyid: key.keyid().to_string(), key: key.canonical_bytes().to_vec() }))
}

/// `{"_type":"targets","delegations":{"keys":…,"roles":[…]},…}` in canonical form.
fn targets_signed(keys: &[(String, Vec<u8>)], roles: &[u8], version: u64, expires: OffsetDateTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(roles.len() + keys.len() * 200 + 200);
    out.extend_from_slice(b"{\"_type\":\"targets\",\"delegations\":{\"keys\":{");
    let sorted: BTreeMap<&str, &[u8]> = keys.iter().map(|(id, k)| (id.as_str(), k.as_slice())).collect();
    for (i, (id, key)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical::encode_string(id, &mut out);
        out.push(b':');
        out.extend_from_slice(key);
    }
    out.extend_from_slice(b"},\"roles\":[");
    out.extend_from_slice(roles);
    out.extend_from_slice(b"]},\"expires\":");
    canonical::encode_string(&format_expires(expires), &mut out);
    out.extend_from_slice(b",\"spec_version\":");
    canonical::encode_string(SPEC_VERSION, &mut out);
    out.extend_from_slice(b",\"targets\":{},\"version\":");
    out.extend_from_slice(version.to_string().as_bytes());
    out.push(b'}');
    out
}

/// The projects of one shard, each under its [`shard_key`]. Keys sort the way clients'
/// file names do, so the projects under any prefix are neighbours: a shard splits into runs,
/// and a batch sorted by key fills each shard in order. Names map to keys one to one
/// (normalized names have `-` where keys have `_`), and a name that is a `-`-prefix of
/// another keeps its place before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardProjects(pub(crate) BTreeMap<String, Project>);

impl ShardProjects {
    pub fn new() -> ShardProjects {
        ShardProjects::default()
    }

    /// Adds `p`, replacing a project of the same name.
    pub fn insert(&mut self, p: Project) {
        self.0.insert(shard_key(&p.name), p);
    }

    pub fn get(&self, name: &str) -> Option<&Project> {
        self.0.get(&shard_key(name))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The projects, in key order.
    pub fn values(&self) -> impl Iterator<Item = &Project> + Clone {
        self.0.values()
    }

    /// The project names, in key order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(|p| p.name.as_str())
    }
}

impl FromIterator<Project> for ShardProjects {
    fn from_iter<I: IntoIterator<Item = Project>>(projects: I) -> ShardProjects {
        ShardProjects(projects.into_iter().map(|p| (shard_key(&p.name), p)).collect())
    }
}

/// A shard's signed bytes: every project's role, in key order, and the keys they use.
pub fn shard_signed(projects: &ShardProjects, version: u64, expires: OffsetDateTime) -> Vec<u8> {
    let mut keys: BTreeMap<&str, &[u8]> = BTreeMap::new();
    let mut roles = Vec::with_capacity(projects.len() * 300);
    for (i, p) in projects.values().enumerate() {
        if i > 0 {
            roles.push(b',');
        }
        roles.extend_from_slice(p.role_bytes());
        for (id, key) in p.keys() {
            keys.insert(id, key);
        }
    }
    let keys: Vec<(String, Vec<u8>)> = keys.into_iter().map(|(id, k)| (id.to_string(), k.to_vec())).collect();
    targets_signed(&keys, &roles, version, expires)
}

/// About how many signed bytes a shard with these projects takes (each key counted once).
fn shard_size<'p>(projects: impl Iterator<Item = &'p Project>) -> usize {
    let mut keys: std::collections::HashSet<&str> = Default::default();
    let mut size = 200;
    for p in projects {
        size += p.role_bytes().len() + 1;
        for (id, key) in p.keys() {
            if keys.insert(id) {
                size += id.len() + key.len() + 4;
            }
        }
    }
    size
}

/// Whether a shard with these projects stays within `max` bytes. Counting every key as if
/// unshared is cheap and an upper bound, so only a shard near the limit has its shared keys
/// counted once.
fn fits<'p>(projects: impl Iterator<Item = &'p Project> + Clone, max: usize) -> bool {
    let unshared = |p: &Project| p.role_bytes().len() + 1 + p.keys().map(|(id, k)| id.len() + k.len() + 4).sum::<usize>();
    let roles_only = 200 + projects.clone().map(|p| p.role_bytes().len() + 1).sum::<usize>();
    // Keys shared between projects are written once, so the size lies between the roles
    // alone and every key counted for every project; the exact count only in between.
    if roles_only > max {
        return false;
    }
    200 + projects.clone().map(unshared).sum::<usize>() <= max || shard_size(projects) <= max
}

/// Splits `projects` (all under `leaf`) into leaves no bigger than `max` bytes, one more
/// character at a time. A leaf that is a whole name (ends in `-`) holds one project and
/// cannot split.
pub fn split(leaf: &str, projects: ShardProjects, max: usize) -> Vec<(String, ShardProjects)> {
    if fits(projects.values(), max) {
        return vec![(leaf.to_string(), projects)];
    }
    // Projects are held in key order, so every shard is a run of neighbours.
    let mut leaves = Vec::new();
    let keyed: Vec<(&str, &Project)> = projects.0.iter().map(|(k, p)| (k.as_str(), p)).collect();
    split_sorted(leaf, &keyed, max, &mut leaves);
    drop(keyed);
    let mut items = projects.0.into_iter();
    leaves.into_iter().map(|(leaf, n)| (leaf, ShardProjects(items.by_ref().take(n).collect()))).collect()
}

/// The leaves for `keyed` (sorted by key, all under `leaf`), each with its project count.
fn split_sorted(leaf: &str, keyed: &[(&str, &Project)], max: usize, out: &mut Vec<(String, usize)>) {
    let depth = leaf.len() + 1;
    // Keys of valid names are ASCII and longer than any leaf above them.
    let splittable = !leaf.ends_with('-') && keyed.iter().all(|(k, _)| k.is_char_boundary(depth) && k.len() >= depth);
    if !splittable || fits(keyed.iter().map(|(_, p)| *p), max) {
        out.push((leaf.to_string(), keyed.len()));
        return;
    }
    let mut rest = keyed;
    while let Some((first, _)) = rest.first() {
        let child = &first[..depth];
        let n = rest.iter().take_while(|(k, _)| k.as_bytes().get(..depth) == Some(child.as_bytes())).count();
        split_sorted(child, &rest[..n], max, out);
        rest = &rest[n..];
    }
}

/// The projects of a shard file Ceremony wrote (its trusted or staged version).
pub fn read_shard(md: &Metadata) -> Result<ShardProjects, LayoutError> {
    let list = pep480::read_projects_with(md, pep480::KeyCheck::Form)?;
    if let Some((name, problems)) = list.invalid.first() {
        return Err(refused(format!("the claimed shard holds an invalid delegation for {name}: {}", problems.join("; "))));
    }
    Ok(list.valid.into_iter().collect())
}

/// Rules a staged claimed index or shard must keep beyond the generic ones: the layout is
/// a prefix-free set of shards with their own patterns and the claimed keys; every project
/// in a shard belongs there and carries exactly its own patterns, terminating.
pub fn layout_problems(role: &str, md: &Metadata) -> Vec<String> {
    if role == CLAIMED {
        return index_problems(md);
    }
    let Some(leaf) = shard_key_of(role) else { return Vec::new() };
    let misplaced = |name: &str| format!("layout rule: {role} holds {name}, whose files clients look for in another shard");
    // Every delegation valid as it stands: only duplicates and placement are left to check.
    if let Some(scanned) = crate::pypi::project_scan::scan(&md.signed_bytes()) {
        let names: Vec<&str> = scanned.roles.iter().map(|r| r.name).collect();
        let twice = pep480::repeated(names.clone());
        let mut out: Vec<String> =
            twice.iter().map(|n| format!("layout rule: {role} delegates to {n}: the project is delegated more than once")).collect();
        out.extend(names.iter().filter(|n| !project::shard_key_starts_with(n, leaf)).map(|n| misplaced(n)));
        return out;
    }
    let list = match pep480::read_projects_with(md, pep480::KeyCheck::Form) {
        Ok(l) => l,
        Err(e) => return vec![format!("layout rule: {role}: {e}")],
    };
    let mut out: Vec<String> =
        list.invalid.iter().map(|(n, p)| format!("layout rule: {role} delegates to {n}: {}", p.join("; "))).collect();
    for p in &list.valid {
        if !project::shard_key_starts_with(&p.name, leaf) {
            out.push(misplaced(&p.name));
        }
    }
    out
}

fn index_problems(md: &Metadata) -> Vec<String> {
    let view = match md.targets() {
        Ok(v) => v,
        Err(e) => return vec![format!("layout rule: claimed is not a shard index: {e}")],
    };
    let Some((_, roles)) = index_delegations(&view) else {
        return vec!["layout rule: claimed is not a shard index: it has no delegated roles".into()];
    };
    let mut out = Vec::new();
    let mut leaves: Vec<&str> = Vec::new();
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for r in roles {
        let Some(k) = shard_key_of(&r.name).filter(|k| k.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))) else {
            out.push(format!("layout rule: claimed delegates to {:?}, which is not a shard name", r.name));
            continue;
        };
        leaves.push(k);
        let given: Vec<&str> = r.paths.iter().flatten().map(|p| &**p).collect();
        if given != project::shard_paths(k) || r.terminating {
            out.push(format!("layout rule: claimed's delegation to {} does not have the shard's own patterns, non-terminating", r.name));
        }
        let [id] = r.keyids.as_slice() else {
            out.push(format!("layout rule: claimed's delegation to {} lists {} keys; a shard is delegated to exactly its own one-time seal key, threshold 1", r.name, r.keyids.len()));
            continue;
        };
        if r.threshold != 1 {
            out.push(format!(
                "layout rule: claimed's delegation to {} has threshold {}; a shard's seal key signs it alone, threshold 1",
                r.name, r.threshold
            ));
        }
        if let Some(other) = owner.insert(&**id, &*r.name) {
            out.push(format!(
                "layout rule: claimed delegates {other} and {} to the same key {}; every shard has its own one-time seal key",
                r.name,
                crate::tuf::key::short_keyid(id)
            ));
        }
    }
    leaves.sort_unstable();
    for pair in leaves.windows(2) {
        if pair[1].starts_with(pair[0]) {
            out.push(format!("layout rule: shards claimed.{} and claimed.{} overlap", pair[0], pair[1]));
        }
    }
    let sorted_by_name = roles.windows(2).all(|w| *w[0].name < *w[1].name);
    if !sorted_by_name {
        out.push("layout rule: claimed's shards are not in order".into());
    }
    out
}

/// The refusal for a staged shard whose seal no longer verifies.
pub fn tampered_shard(role: &str) -> String {
    format!(
        "staged {role} (the workspace file staged/{role}.json, with its seal in staged/collected.sigs) no longer verifies under the one-time key the staged claimed index pins for it, so it was changed after Ceremony sealed it; drop the staged claimed files with `ceremony discard claimed` and stage them again"
    )
}

pub fn to_metadata(signed: Vec<u8>) -> Result<Metadata, LayoutError> {
    Metadata::from_signed(signed).map_err(|e| refused(format!("internal error: a claimed file is not valid metadata: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(leaves: &[&str]) -> Index {
        let keys = ClaimedKeys { keyids: vec!["a".repeat(64)], threshold: 1, keys: Vec::new() };
        Index { version: None, keys, leaves: leaves.iter().map(|s| s.to_string()).collect(), seals: BTreeMap::new() }
    }

    fn project(name: &str) -> Project {
        let key = crate::tuf::key::Key::new(crate::tuf::key::Algorithm::Ed25519, "ab".repeat(32));
        Project::new(name.into(), 1, &[(key.keyid().into(), key.canonical_bytes().to_vec())])
    }

    #[test]
    fn every_key_finds_exactly_one_leaf_and_new_leaves_stay_prefix_free() {
        let mut idx = index(&["pya", "pyb", "q"]);
        assert_eq!(idx.leaf_for("pyalpha-"), Some("pya"));
        assert_eq!(idx.leaf_for("qux-"), Some("q"));
        assert_eq!(idx.leaf_for("pyc-"), None);
        // One character past the longest common prefix with any leaf.
        assert_eq!(idx.place("pyc-"), "pyc");
        assert_eq!(idx.place("zeta-"), "z");
        assert_eq!(idx.place("pyz_x-"), "pyz");
        let leaves: Vec<&String> = idx.leaves.iter().collect();
        for a in &leaves {
            for b in &leaves {
                assert!(a == b || !b.starts_with(a.as_str()), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn first_promotion_makes_one_shard_per_first_character() {
        let mut idx = index(&[]);
        assert_eq!(idx.place("foo-"), "f");
        assert_eq!(idx.place("foo_bar-"), "f");
        assert_eq!(idx.place("bar-"), "b");
    }

    #[test]
    fn split_keeps_every_shard_under_the_limit_and_every_project_reachable() {
        let names: Vec<String> = (0..400).map(|i| format!("py{}-x{i}", ["a", "b", "thon", ""][i % 4])).collect();
        let projects: ShardProjects = names.iter().map(|n| project(n)).collect();
        let parts = split("p", projects, 16 * 1024);
        assert!(parts.len() > 1, "expected `parts.len() > 1`, got {:?}", parts.len());
        let mut seen = 0;
        for (leaf, ps) in &parts {
            assert!(leaf.ends_with('-') || shard_size(ps.values()) <= 16 * 1024, "{leaf} too big");
            for name in ps.names() {
                assert!(shard_key(name).starts_with(leaf.as_str()), "{name} not under {leaf}");
                seen += 1;
            }
        }
        assert_eq!(seen, names.len());
    }

    #[test]
    fn a_shard_delegating_to_a_project_twice_breaks_the_layout() {
        let projects: ShardProjects = ["a", "a-b"].iter().map(|n| project(n)).collect();
        let expires = time::macros::datetime!(2030-01-01 00:00 UTC);
        let text = String::from_utf8(shard_signed(&projects, 1, expires)).unwrap();
        let role = String::from_utf8(projects.get("a").unwrap().role_bytes().to_vec()).unwrap();
        let doubled = text.replacen(&role, &format!("{role},{role}"), 1);
        let md = Metadata::from_signed(doubled.into_bytes()).unwrap();
        let signed = md.signed_bytes();
        let got = crate::pypi::project_scan::scan(&signed);
        assert!(got.is_some(), "the fast reader reads it: expected Some, got {:?}", got);
        let problems = layout_problems("claimed.a", &md);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("delegated more than once"), "{problems:?}");
    }

    fn sealed_index(leaves: &[&str]) -> (Index, Vec<Metadata>) {
        let mut idx = index(leaves);
        let expires = time::macros::datetime!(2030-01-01 00:00 UTC);
        let mut shards = Vec::new();
        for leaf in leaves {
            let projects: ShardProjects = [format!("{leaf}x")].iter().map(|n| project(n)).collect();
            let (md, seal) = seal(shard_signed(&projects, 1, expires)).unwrap();
            idx.seals.insert(leaf.to_string(), seal);
            shards.push(md);
        }
        (idx, shards)
    }

    #[test]
    fn every_shard_is_delegated_to_its_own_seal_which_signs_it_alone() {
        let (idx, shards) = sealed_index(&["a", "b"]);
        let expires = time::macros::datetime!(2030-01-01 00:00 UTC);
        let md = Metadata::from_signed(idx.to_signed(2, expires).unwrap()).unwrap();
        assert!(layout_problems(CLAIMED, &md).is_empty(), "{:?}", layout_problems(CLAIMED, &md));
        let view = md.targets().unwrap();
        let (da, db) = (view.delegation("claimed.a").unwrap(), view.delegation("claimed.b").unwrap());
        assert_eq!((da.threshold, da.keys.len(), db.keys.len()), (1, 1, 1));
        assert_ne!(da.keys[0].0, db.keys[0].0, "two shards share a key");
        let check = |md: &Metadata, d: &crate::tuf::metadata::Delegation| {
            crate::tuf::verify::check_threshold(&md.signed_bytes(), md.signatures(), d)
        };
        for (shard, own) in [(&shards[0], &da), (&shards[1], &db)] {
            let report = check(shard, own);
            assert!(report.is_met(), "a shard is not signed by its own seal: {report:?}");
        }
        // Served under the other shard's name, a shard does not verify.
        for (shard, other) in [(&shards[0], &db), (&shards[1], &da)] {
            let report = check(shard, other);
            assert!(!report.is_met(), "a shard verifies under the other shard's seal: {report:?}");
        }
        // Nor does a second seal of the same bytes: each (shard, version) has its own key.
        let again = seal(shards[0].signed_bytes().into_owned()).unwrap().0;
        let report = check(&again, &da);
        assert!(!report.is_met(), "a second seal of the same bytes verifies under the first seal's key: {report:?}");
        let reparsed = Index::parse(&md, idx.keys.clone()).unwrap();
        assert_eq!(reparsed.seals, idx.seals);
        assert_eq!(reparsed.unsealed().count(), 0);
    }

    #[test]
    fn an_index_with_shared_or_several_keys_breaks_the_layout_and_its_shards_count_as_unsealed() {
        let (idx, _) = sealed_index(&["a", "b"]);
        let expires = time::macros::datetime!(2030-01-01 00:00 UTC);
        let text = String::from_utf8(idx.to_signed(2, expires).unwrap()).unwrap();
        let (ka, kb) = (&idx.seals["a"].keyid, &idx.seals["b"].keyid);
        let shared =
            Metadata::from_signed(text.replace(&format!("\"keyids\":[\"{kb}\"]"), &format!("\"keyids\":[\"{ka}\"]")).into_bytes()).unwrap();
        let problems = layout_problems(CLAIMED, &shared);
        assert!(problems.iter().any(|p| p.contains("to the same key")), "{problems:?}");
        let reparsed = Index::parse(&shared, idx.keys.clone()).unwrap();
        assert_eq!(reparsed.unsealed().cloned().collect::<Vec<_>>(), vec!["a".to_string(), "b".to_string()]);
        let two = text.replacen(&format!("\"keyids\":[\"{ka}\"]"), &format!("\"keyids\":[\"{ka}\",\"{kb}\"]"), 1);
        let two = Metadata::from_signed(two.into_bytes()).unwrap();
        let problems = layout_problems(CLAIMED, &two);
        assert!(problems.iter().any(|p| p.contains("lists 2 keys")), "{problems:?}");
        let t2 = text.replacen("\"threshold\":1", "\"threshold\":2", 1);
        let problems = layout_problems(CLAIMED, &Metadata::from_signed(t2.into_bytes()).unwrap());
        assert!(problems.iter().any(|p| p.contains("threshold 2")), "{problems:?}");
        // A holder's key as a shard's key: the shard could be served as the index.
        let mut keys = idx.keys.clone();
        keys.keyids = vec![ka.clone()];
        let holder_keyed = Metadata::from_signed(text.into_bytes()).unwrap();
        assert_eq!(Index::parse(&holder_keyed, keys).unwrap().unsealed().cloned().collect::<Vec<_>>(), vec!["a".to_string()]);
    }

    #[test]
    fn shard_files_are_canonical_and_sorted() {
        let projects: ShardProjects = ["b", "a-b", "a"].iter().map(|n| project(n)).collect();
        let expires = time::macros::datetime!(2030-01-01 00:00 UTC);
        let signed = shard_signed(&projects, 3, expires);
        let md = Metadata::from_signed(signed).unwrap();
        assert_eq!(md.version(), 3);
        let shard = read_shard(&md).unwrap();
        let names: Vec<&str> = shard.names().collect();
        assert_eq!(names, vec!["a", "a-b", "b"]);
        let got = layout_problems("claimed.a", &md);
        assert!(got.iter().any(|p| p.contains("holds b")), "none matches `|p| p.contains(\"holds b\")`: {:?}", got);
    }
}
