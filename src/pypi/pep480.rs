//! PEP 480's top-level targets and the online `recently-claimed` role it is fed from.
//!
//! Top-level targets delegates, in this order, to `claimed` (offline keys: projects whose
//! developers sign their own releases), `recently-claimed` (the online key: projects that
//! registered developer keys since the last promotion) and `unclaimed` (the online key:
//! PEP 458 hash bins for everything else). None is terminating, so a project that is not
//! in `claimed` is looked for in `recently-claimed`, then `unclaimed`; a project role
//! inside `claimed` is terminating, so once claimed nothing online can sign its files.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::value::RawValue;
use smallvec::SmallVec;
use std::ops::Range;
use std::sync::Arc;
use time::OffsetDateTime;

use crate::pypi::project;
use crate::pypi::roles::{is_structural_name, CLAIMED, PROJECT_PATHS, RECENTLY_CLAIMED, UNCLAIMED};
use crate::pypi::{refused, LayoutError};
use crate::tuf::canonical;
use crate::tuf::datetime::format_expires;
use crate::tuf::jsonview::SortedMap;
use crate::tuf::key::Key;
use crate::tuf::metadata::{DelegatedRole, Metadata, SPEC_VERSION};

/// The offline claimed keys and the online key for `targets init`.
pub struct TargetsPlan {
    pub claimed: Vec<Key>,
    pub claimed_threshold: u64,
    pub online: Key,
    pub expires: OffsetDateTime,
}

fn role_object(name: &str, keys: &[&Key], threshold: u64, paths: &[&str]) -> serde_json::Value {
    let mut ids: Vec<&str> = Vec::new();
    for k in keys {
        if !ids.contains(&k.keyid()) {
            ids.push(k.keyid());
        }
    }
    serde_json::json!({"name": name, "keyids": ids, "threshold": threshold, "terminating": false, "paths": paths})
}

/// Top-level targets `version` delegating as PEP 480 describes: `claimed` to the plan's
/// offline keys, `recently-claimed` and `unclaimed` to the online key.
pub fn targets_signed(plan: &TargetsPlan, version: u64) -> Result<Metadata, LayoutError> {
    let mut keys = serde_json::Map::new();
    for k in plan.claimed.iter().chain([&plan.online]) {
        let value: serde_json::Value =
            serde_json::from_slice(&k.to_json_text()).map_err(|e| refused(format!("a key could not be written: {e}")))?;
        keys.insert(k.keyid().to_string(), value);
    }
    let claimed: Vec<&Key> = plan.claimed.iter().collect();
    let mut unclaimed_paths = PROJECT_PATHS.to_vec();
    unclaimed_paths.push("simple/*");
    let signed = serde_json::json!({
        "_type": "targets",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": format_expires(plan.expires),
        "targets": {},
        "delegations": {
            "keys": keys,
            "roles": [
                role_object(CLAIMED, &claimed, plan.claimed_threshold, &PROJECT_PATHS),
                role_object(RECENTLY_CLAIMED, &[&plan.online], 1, &PROJECT_PATHS),
                role_object(UNCLAIMED, &[&plan.online], 1, &unclaimed_paths),
            ],
        },
    });
    let bytes = canonical::to_canonical(&signed).map_err(|e| refused(format!("targets cannot be encoded: {e}")))?;
    Metadata::from_signed(bytes).map_err(|e| refused(format!("targets is not valid: {e}")))
}

/// One project delegation, validated.
///
/// A promotion holds 100,000 of these at once. Each points into one shared buffer for its
/// role object (canonical JSON) and the keys it lists: the recently-claimed or shard file
/// it was read from, or a buffer of its own. Copying them out would touch 45 MB of fresh
/// memory, which costs more than reading them.
#[derive(Clone)]
pub struct Project {
    pub name: String,
    pub threshold: u64,
    bytes: Arc<Vec<u8>>,
    role: Range<usize>,
    keys: KeySpans,
}

/// For each key of a project, in the order its role lists them: where its keyid and its
/// canonical object lie (one or two keys each, so kept inline).
type KeySpans = SmallVec<[(Range<usize>, Range<usize>); 2]>;

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project").field("name", &self.name).field("threshold", &self.threshold).finish()
    }
}

/// Equal when the delegations are: name, threshold, role object and keys (not where their
/// bytes are kept).
impl PartialEq for Project {
    fn eq(&self, other: &Project) -> bool {
        self.name == other.name
            && self.threshold == other.threshold
            && self.role_bytes() == other.role_bytes()
            && self.keys().eq(other.keys())
    }
}

impl Eq for Project {}

impl Project {
    /// A project delegation to `keys` (keyid, canonical key object), in that order; `name`
    /// must be valid (see `project::check_normalized`).
    pub fn new(name: String, threshold: u64, keys: &[(String, Vec<u8>)]) -> Project {
        let paths = project::project_paths(&name).unwrap_or_default();
        let keys: Vec<(&str, &[u8])> = keys.iter().map(|(id, k)| (id.as_str(), k.as_slice())).collect();
        Project::with_paths(name, threshold, &keys, &paths)
    }

    /// [`Project::new`] with the name's patterns already made.
    fn with_paths(name: String, threshold: u64, keys: &[(&str, &[u8])], paths: &[String]) -> Project {
        let role = encode_role(&name, keys.iter().map(|(id, _)| *id), threshold, paths);
        Project::owning(name, threshold, &role, keys)
    }

    /// A project with its role object (canonical) and keys copied into a buffer of its own.
    fn owning(name: String, threshold: u64, role: &[u8], keys: &[(&str, &[u8])]) -> Project {
        let size = role.len() + keys.iter().map(|(id, k)| id.len() + k.len()).sum::<usize>();
        let mut bytes = Vec::with_capacity(size);
        bytes.extend_from_slice(role);
        let mut spans = SmallVec::new();
        for (id, key) in keys {
            let id_at = bytes.len();
            bytes.extend_from_slice(id.as_bytes());
            let key_at = bytes.len();
            bytes.extend_from_slice(key);
            spans.push((id_at..key_at, key_at..bytes.len()));
        }
        Project { name, threshold, bytes: Arc::new(bytes), role: 0..role.len(), keys: spans }
    }

    /// A project whose role object and keys lie in `shared`, given as slices of it; copied
    /// out instead when any slice is not within it.
    fn in_shared(name: String, threshold: u64, shared: &Arc<Vec<u8>>, role: &[u8], keys: &[(&str, &[u8])]) -> Project {
        let span = |part: &[u8]| {
            let start = (part.as_ptr() as usize).checked_sub(shared.as_ptr() as usize)?;
            (start + part.len() <= shared.len()).then_some(start..start + part.len())
        };
        let spans: Option<KeySpans> = keys.iter().map(|(id, key)| Some((span(id.as_bytes())?, span(key)?))).collect();
        match (span(role), spans) {
            (Some(role), Some(keys)) => Project { name, threshold, bytes: Arc::clone(shared), role, keys },
            _ => Project::owning(name, threshold, role, keys),
        }
    }

    /// The role object as canonical JSON.
    pub fn role_bytes(&self) -> &[u8] {
        &self.bytes[self.role.clone()]
    }

    /// Each key the role lists: (keyid, canonical key object).
    pub fn keys(&self) -> impl Iterator<Item = (&str, &[u8])> + Clone + '_ {
        self.keys.iter().map(|(id, key)| {
            // Keyids were strings when they came in; the bytes are theirs, unchanged.
            (std::str::from_utf8(&self.bytes[id.clone()]).unwrap_or_default(), &self.bytes[key.clone()])
        })
    }

    /// The keyids the role lists, in its order.
    pub fn keyids(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys().map(|(id, _)| id)
    }

    /// The same keys and threshold as `other` (the order keyids are listed in aside).
    pub fn same_keys(&self, other: &Project) -> bool {
        let a: BTreeSet<&str> = self.keyids().collect();
        let b: BTreeSet<&str> = other.keyids().collect();
        a == b && self.threshold == other.threshold
    }
}

/// A project's role object as canonical JSON.
fn encode_role<'a>(name: &str, keyids: impl ExactSizeIterator<Item = &'a str>, threshold: u64, paths: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + name.len() * 6 + keyids.len() * 67);
    out.extend_from_slice(b"{\"keyids\":[");
    for (i, id) in keyids.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical::encode_string(id, &mut out);
    }
    out.extend_from_slice(b"],\"name\":");
    canonical::encode_string(name, &mut out);
    out.extend_from_slice(b",\"paths\":[");
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical::encode_string(p, &mut out);
    }
    out.extend_from_slice(b"],\"terminating\":true,\"threshold\":");
    out.extend_from_slice(threshold.to_string().as_bytes());
    out.push(b'}');
    out
}

#[derive(Deserialize)]
struct RawDelegations<'a> {
    #[serde(borrow)]
    keys: SortedMap<'a, &'a RawValue>,
    #[serde(borrow)]
    roles: Option<Vec<&'a RawValue>>,
    succinct_roles: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct RawTargetsDelegations<'a> {
    #[serde(borrow)]
    delegations: Option<RawDelegations<'a>>,
}

/// The project delegations of a targets-type file, each validated on its own: the valid
/// ones, and for each invalid one its name (or position) and every problem found.
pub struct ProjectList {
    pub valid: Vec<Project>,
    pub invalid: Vec<(String, Vec<String>)>,
}

/// How much of each developer key to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// Form, keyid and the key material itself (an Ed25519 point decodes, a PEM parses):
    /// for what comes from the online repository.
    Full,
    /// Form and keyid: for files Ceremony wrote after a full check. python-tuf itself
    /// does not decode key material until it verifies with it.
    Form,
}

/// Reads and validates every project delegation `md` carries.
pub fn read_projects(md: &Metadata) -> Result<ProjectList, LayoutError> {
    read_projects_with(md, KeyCheck::Full)
}

/// A delegation's keys by keyid, hashed: a sorted list is searched with a cache miss per
/// step, and 100,000 delegations each look up their keys among 100,000.
type KeysById<'a> = std::collections::HashMap<&'a str, &'a RawValue>;

/// Validates delegations on every core: 100,000 of them take a noticeable time alone.
fn validate_all(roles: &[&RawValue], keys: &KeysById<'_>, check: KeyCheck) -> Vec<Result<Project, RoleProblems>> {
    crate::support::par::map_from(roles, 4096, |r| validate_role(r, keys, check))
}

/// Reads and validates every project delegation `md` carries, checking keys as `check` says.
pub fn read_projects_with(md: &Metadata, check: KeyCheck) -> Result<ProjectList, LayoutError> {
    let signed = md.signed_bytes();
    if let Some(scanned) = crate::pypi::project_scan::scan(&signed) {
        let shared = md.shared_text();
        let ps = crate::support::par::map_from(&scanned.roles, 4096, |r| scanned_project(r, shared.as_ref()));
        return Ok(list_with_duplicates(ps));
    }
    read_projects_general(md, check)
}

/// [`read_projects_with`] without the one-pass reader: every delegation parsed and checked
/// field by field, each problem named.
fn read_projects_general(md: &Metadata, check: KeyCheck) -> Result<ProjectList, LayoutError> {
    let raw: RawTargetsDelegations =
        serde_json::from_slice(md.signed_text()).map_err(|e| refused(format!("its delegations cannot be read: {e}")))?;
    let Some(d) = raw.delegations else { return Ok(ProjectList { valid: Vec::new(), invalid: Vec::new() }) };
    if d.roles.is_some() && d.succinct_roles.is_some() {
        return Err(refused(
            "its delegations have both roles and succinct_roles, which TUF clients (python-tuf among them) refuse: exactly one is allowed",
        ));
    }
    let roles = d.roles.ok_or_else(|| refused("it delegates with succinct hash bins, not project roles"))?;
    let keys: KeysById = d.keys.iter().map(|(id, raw)| (id, *raw)).collect();
    let results = validate_all(&roles, &keys, check);
    if results.len() != roles.len() {
        return Err(refused("a validation thread failed; nothing was read"));
    }
    Ok(list_with_duplicates(results))
}

/// A project from a delegation [`crate::pypi::project_scan`] has already checked in full.
fn scanned_project(role: &crate::pypi::project_scan::ScannedRole, shared: Option<&Arc<Vec<u8>>>) -> Result<Project, RoleProblems> {
    let keys: SmallVec<[(&str, &[u8]); 2]> = role.keyids.iter().copied().zip(role.keys.iter().copied()).collect();
    let name = role.name.to_string();
    Ok(match shared {
        Some(shared) => Project::in_shared(name, role.threshold, shared, role.raw, &keys),
        None => Project::owning(name, role.threshold, role.raw, &keys),
    })
}

/// The valid projects and the problems of the others; a name delegated more than once
/// makes every one of its delegations invalid, whether or not each copy is valid alone.
fn list_with_duplicates(results: Vec<Result<Project, RoleProblems>>) -> ProjectList {
    let duplicated = duplicated_names(&results);
    let twice = || "the project is delegated more than once".to_string();
    let mut list = ProjectList { valid: Vec::with_capacity(results.len()), invalid: Vec::new() };
    for (i, result) in results.into_iter().enumerate() {
        match result {
            // A duplicate refuses every copy: which one the online side meant is unknown.
            Ok(p) if duplicated.contains(p.name.as_str()) => list.invalid.push((p.name, vec![twice()])),
            Ok(p) => list.valid.push(p),
            Err((name, mut problems)) => {
                if name.as_deref().is_some_and(|n| duplicated.contains(delegated_name(n).as_ref())) {
                    problems.push(twice());
                }
                list.invalid.push((name.unwrap_or_else(|| format!("delegation #{}", i + 1)), problems))
            }
        }
    }
    list
}

/// The project a delegation's name stands for: its normalized form when it is a project
/// name at all (so `Foo` and `foo` are one project listed twice), else the name as given.
fn delegated_name(name: &str) -> std::borrow::Cow<'_, str> {
    if project::is_normalized(name) || !project::is_valid_name(name) {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(project::normalize(name))
    }
}

/// The projects named by more than one delegation, valid or not: a copy refused on its
/// own must not leave the other copy to be promoted as if the name were listed once.
fn duplicated_names(results: &[Result<Project, RoleProblems>]) -> BTreeSet<String> {
    let invalid: Vec<std::borrow::Cow<'_, str>> =
        results.iter().filter_map(|r| r.as_ref().err()?.0.as_deref()).map(delegated_name).collect();
    let valid = results.iter().filter_map(|r| r.as_ref().ok()).map(|p| p.name.as_str());
    let names = valid.chain(invalid.iter().map(|n| n.as_ref())).collect();
    repeated(names).into_iter().map(str::to_string).collect()
}

/// The names that appear more than once, each once, in order.
pub(crate) fn repeated(mut names: Vec<&str>) -> Vec<&str> {
    rayon::slice::ParallelSliceMut::par_sort_unstable(&mut names[..]);
    let mut twice: Vec<&str> = names.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    twice.dedup();
    twice
}

type RoleProblems = (Option<String>, Vec<String>);

fn validate_role(raw: &RawValue, keys: &KeysById<'_>, check: KeyCheck) -> Result<Project, RoleProblems> {
    let role: DelegatedRole = serde_json::from_str(raw.get()).map_err(|e| (None, vec![format!("it is not a delegation: {e}")]))?;
    let name: &str = &role.name;
    let mut problems = Vec::new();
    let mut expected: [String; 2] = Default::default();
    if let Err(e) = project::check_normalized(name) {
        problems.push(e.to_string());
    } else if is_structural_name(name) {
        problems.push(format!("{name:?} is the name of a structural role, not a project"));
    } else {
        expected = project::normalized_project_paths(name);
        let given = role.paths.as_deref().unwrap_or_default();
        let same = given.len() == expected.len() && given.iter().zip(&expected).all(|(g, e)| **g == **e);
        if role.path_hash_prefixes.is_some() || !same {
            let given: Vec<&str> = given.iter().map(|p| &**p).collect();
            problems.push(format!("its paths {given:?} are not the project's own patterns {expected:?} (`ceremony project paths {name}`)"));
        }
    }
    if !role.terminating {
        problems.push("it is not terminating, so the online roles could still sign its files".into());
    }
    let ids = &role.keyids;
    // Compared without case: `ab…` and `AB…` name one key, which must not count twice.
    let repeated = ids.iter().enumerate().any(|(i, id)| ids[..i].iter().any(|other| other.eq_ignore_ascii_case(id)));
    let unique = if repeated { ids.iter().map(|k| k.to_ascii_lowercase()).collect::<BTreeSet<String>>().len() } else { ids.len() };
    if repeated {
        problems.push("it lists a keyid more than once".into());
    }
    if role.threshold < 1 || role.threshold > unique as u64 {
        problems.push(format!("its threshold {} is not between 1 and its {unique} key(s)", role.threshold));
    }
    let mut project_keys = Vec::with_capacity(ids.len());
    let mut identities: Vec<(Vec<u8>, &str)> = Vec::with_capacity(ids.len());
    for id in ids {
        if !crate::tuf::metadata::is_canonical_keyid(id) {
            problems.push(format!(
                "keyid {:?} is not in canonical form (the 64 lower-case hex digits of its key's SHA-256)",
                id.chars().take(16).collect::<String>()
            ));
            continue;
        }
        match check_key(id, keys, check) {
            Ok((canonical, identity)) => {
                // Clients count keyids; two key objects spelling one key would count twice.
                if let Some((_, first)) = identities.iter().find(|(other, _)| *other == identity) {
                    problems.push(format!(
                        "keys {} and {} are one key listed under two keyids (its key material written two ways)",
                        crate::tuf::key::short_keyid(first),
                        crate::tuf::key::short_keyid(id)
                    ));
                }
                identities.push((identity, id));
                project_keys.push((&**id, canonical));
            }
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err((Some(name.to_string()), problems));
    }
    let project_keys: Vec<(&str, &[u8])> = project_keys.iter().map(|(id, k)| (*id, k.as_slice())).collect();
    Ok(Project::with_paths(name.to_string(), role.threshold, &project_keys, &expected))
}

/// A developer key must be listed, well formed, usable, under its own keyid, in the
/// standard form (no custom fields, no legacy encoding). Returns its canonical object and
/// its identity (the key material, however spelled: see `Key::identity`).
fn check_key(id: &str, keys: &KeysById<'_>, check: KeyCheck) -> Result<(Vec<u8>, Vec<u8>), String> {
    let raw = keys.get(id).ok_or_else(|| format!("key {id} is not listed in the delegations' keys"))?;
    if let Some(canonical) = standard_ed25519(raw.get().as_bytes(), check) {
        if !crate::tuf::key::keyid_matches(id, canonical) {
            return Err(format!("key {id} is listed under the wrong keyid"));
        }
        return Ok((canonical.to_vec(), ed25519_identity(canonical)));
    }
    let key = Key::from_json(raw.get().as_bytes()).map_err(|e| format!("key {id} is malformed: {e}"))?;
    if key.keyid() != id {
        return Err(format!("key {id} is listed under the wrong keyid (its keyid is {})", key.keyid()));
    }
    let public = key.public_key().map_err(|e| format!("key {id} cannot be used: {e}"))?;
    if public.legacy().is_some() || key.has_custom_fields() {
        return Err(format!("key {id} is not in the standard form (legacy encoding or custom fields)"));
    }
    Ok((key.canonical_bytes().to_vec(), public.identity()))
}

/// `Key::identity` of a key object [`standard_ed25519`] accepted, without decoding the
/// point: its public hex is 64 lower-case digits, one spelling of 32 bytes.
fn ed25519_identity(canonical: &[u8]) -> Vec<u8> {
    const HEAD: usize = b"{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"".len();
    let mut id = vec![crate::tuf::key::Algorithm::Ed25519 as u8];
    id.extend(canonical.get(HEAD..HEAD + 64).and_then(|h| hex::decode(h).ok()).unwrap_or_default());
    id
}

/// The common case without a JSON parse: a standard Ed25519 key object in canonical form
/// (`{"keytype":"ed25519","keyval":{"public":HEX64},"scheme":"ed25519"}`). None for
/// anything else, which then takes the general path.
fn standard_ed25519(raw: &[u8], check: KeyCheck) -> Option<&[u8]> {
    const HEAD: &[u8] = b"{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"";
    const TAIL: &[u8] = b"\"},\"scheme\":\"ed25519\"}";
    let public = raw.strip_prefix(HEAD)?.strip_suffix(TAIL)?;
    if public.len() != 64 || !public.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    // The point itself is not decoded: python-tuf does not either until it verifies with
    // the key, and a developer key that is no point only locks out its own project.
    let _ = check;
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader made of a file: each valid project (name, role object, keys; the fast
    /// reader's point into the file, the general reader's are copies) and the invalid names.
    #[allow(clippy::type_complexity)]
    fn summary(list: &ProjectList) -> (Vec<(String, Vec<u8>, Vec<(String, Vec<u8>)>)>, Vec<String>) {
        let keys = |p: &Project| p.keys().map(|(id, k)| (id.to_string(), k.to_vec())).collect();
        let valid = list.valid.iter().map(|p| (p.name.clone(), p.role_bytes().to_vec(), keys(p))).collect();
        (valid, list.invalid.iter().map(|(n, _)| n.clone()).collect())
    }

    /// The one-pass reader may only say "all valid" where the general reader says the same
    /// and reads the same projects: checked on a shard and on thousands of one-byte changes
    /// of it that are still canonical JSON.
    #[test]
    fn the_one_pass_reader_never_accepts_what_the_general_reader_refuses() {
        let keys: Vec<crate::tuf::key::Key> =
            (1..=3u8).map(|n| crate::tuf::key::Key::new(crate::tuf::key::Algorithm::Ed25519, hex::encode([n; 32]))).collect();
        let projects: crate::pypi::claimed::ShardProjects = ["foo", "foo-bar", "foo1", "fo-o2"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let ks: Vec<&crate::tuf::key::Key> = keys.iter().skip(i % 2).take(1 + i % 2).collect();
                let objs: Vec<(String, Vec<u8>)> = ks.iter().map(|k| (k.keyid().to_string(), k.canonical_bytes().to_vec())).collect();
                Project::new(n.to_string(), 1, &objs)
            })
            .collect();
        let base = crate::pypi::claimed::shard_signed(&projects, 1, time::macros::datetime!(2030-01-01 00:00 UTC));
        let alphabet = b"aAfF019-_.\"{}[],:*/x";
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut compared, mut accepted) = (0, 0);
        for i in 0..20_000 {
            let mut bytes = base.clone();
            if i > 0 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            let Ok(md) = Metadata::from_signed(bytes.clone()) else { continue };
            compared += 1;
            if crate::pypi::project_scan::scan(&bytes).is_none() {
                continue;
            }
            accepted += 1;
            let fast = read_projects_with(&md, KeyCheck::Form).unwrap();
            let general = read_projects_general(&md, KeyCheck::Form).unwrap();
            assert!(general.invalid.is_empty(), "accepted what the general reader refuses: {}", String::from_utf8_lossy(&bytes));
            assert_eq!(summary(&fast), summary(&general));
        }
        assert!(accepted > 1 && compared > accepted, "{accepted} of {compared}");
    }
}
