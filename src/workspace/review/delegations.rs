//! What a delegating role's new version changes in its delegations, spelled out for the
//! people who sign it: for each delegation added, removed or changed, whose keys sign it
//! (holder names and short keyids), its threshold, whether it is terminating and the paths
//! it covers, old -> new. A claimed key handed to someone else must show on screen as two
//! names, not as "changed: claimed".

use std::collections::{BTreeMap, BTreeSet};

use crate::keys::holder::Holder;
use crate::tuf::key::short_keyid;
use crate::tuf::metadata::Targets;

/// One delegation as a reviewer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub keyids: Vec<String>,
    pub threshold: u64,
    pub terminating: bool,
    pub paths: Option<Vec<String>>,
    pub path_hash_prefixes: Option<Vec<String>>,
}

/// A delegation that differs between the trusted and the staged version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added(String, View),
    Removed(String, View),
    Changed(String, View, View),
}

impl Change {
    pub fn name(&self) -> &str {
        match self {
            Change::Added(n, _) | Change::Removed(n, _) | Change::Changed(n, ..) => n,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Change::Added(..) => "added",
            Change::Removed(..) => "removed",
            Change::Changed(..) => "changed",
        }
    }
}

/// The delegations of `t` by name. Succinct hash bins are one delegation, named for their
/// prefix, since they share one set of keys.
pub fn views(t: Option<&Targets<'_>>) -> BTreeMap<String, View> {
    let mut out = BTreeMap::new();
    let Some(d) = t.and_then(|t| t.delegations.as_ref()) else { return out };
    for r in d.roles.iter().flatten() {
        let strings = |v: &Option<Vec<crate::tuf::jsonview::JsonStr<'_>>>| v.as_ref().map(|v| v.iter().map(|s| s.to_string()).collect());
        out.insert(
            r.name.to_string(),
            View {
                keyids: r.keyids.iter().map(|k| k.to_string()).collect(),
                threshold: r.threshold,
                terminating: r.terminating,
                paths: strings(&r.paths),
                path_hash_prefixes: strings(&r.path_hash_prefixes),
            },
        );
    }
    if let Some(s) = &d.succinct_roles {
        out.insert(
            format!("{}-* ({} succinct hash bins)", &*s.name_prefix, 1u64.checked_shl(s.bit_length).unwrap_or(0)),
            View {
                keyids: s.keyids.iter().map(|k| k.to_string()).collect(),
                threshold: s.threshold,
                terminating: true,
                paths: None,
                path_hash_prefixes: None,
            },
        );
    }
    out
}

/// The delegations added, removed and changed from `old` to `new`, in that order, each by name.
pub fn changes(new: &BTreeMap<String, View>, old: &BTreeMap<String, View>) -> Vec<Change> {
    let added = new.iter().filter(|(k, _)| !old.contains_key(*k)).map(|(k, v)| Change::Added(k.clone(), v.clone()));
    let removed = old.iter().filter(|(k, _)| !new.contains_key(*k)).map(|(k, v)| Change::Removed(k.clone(), v.clone()));
    let changed = new.iter().filter_map(|(k, v)| old.get(k).filter(|o| *o != v).map(|o| Change::Changed(k.clone(), o.clone(), v.clone())));
    added.chain(removed).chain(changed).collect()
}

/// Names keys for people: the registered holder's name, else `unknown` (what a key nobody
/// registered here is called: "unregistered key", or "one-time seal key" in the claimed index).
pub struct Names<'h> {
    pub holders: &'h [Holder],
    pub unknown: &'static str,
}

impl Names<'_> {
    pub fn holder(&self, keyid: &str) -> Option<&str> {
        self.holders.iter().find(|h| h.key.keyid().eq_ignore_ascii_case(keyid)).map(|h| h.name.as_str())
    }

    /// `alice.claimed (1a2b3c4d)`, or `unregistered key (1a2b3c4d)`.
    pub fn key(&self, keyid: &str) -> String {
        format!("{} ({})", self.holder(keyid).unwrap_or(self.unknown), short_keyid(keyid))
    }

    fn keys(&self, ids: &[String]) -> String {
        if ids.is_empty() {
            return "no keys".into();
        }
        ids.iter().map(|id| self.key(id)).collect::<Vec<_>>().join(", ")
    }

    fn holders_of(&self, ids: &[String]) -> String {
        if ids.is_empty() {
            return "nobody".into();
        }
        ids.iter().map(|id| self.holder(id).unwrap_or(self.unknown)).collect::<Vec<_>>().join(", ")
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn list(v: &Option<Vec<String>>) -> String {
    match v {
        None => "none".into(),
        Some(v) if v.is_empty() => "none (an empty list)".into(),
        Some(v) => v.join(", "),
    }
}

/// `what: old -> new`, or `what: value (unchanged)`.
fn field(what: &str, old: String, new: String) -> String {
    if old == new {
        format!("{what}: {new} (unchanged)")
    } else {
        format!("{what}: {old} -> {new}")
    }
}

/// The lines for one change: a heading, then the indented detail.
pub fn change_lines(c: &Change, names: &Names<'_>) -> Vec<String> {
    let of = |v: &View| format!("{} of {}", v.threshold, v.keyids.len());
    let mut out = vec![format!("delegation {}: {}", c.kind().to_uppercase(), c.name())];
    match c {
        Change::Added(_, v) | Change::Removed(_, v) => {
            out.push(format!("  holders: {}", names.holders_of(&v.keyids)));
            out.push(format!("  keys: {}", names.keys(&v.keyids)));
            out.push(format!("  threshold: {}", of(v)));
            out.push(format!("  terminating: {}", yes_no(v.terminating)));
            out.push(format!("  paths: {}", list(&v.paths)));
            if v.path_hash_prefixes.is_some() {
                out.push(format!("  path_hash_prefixes: {}", list(&v.path_hash_prefixes)));
            }
        }
        Change::Changed(_, old, new) => {
            let (was, now): (BTreeSet<&String>, BTreeSet<&String>) = (old.keyids.iter().collect(), new.keyids.iter().collect());
            out.push(format!("  {}", field("holders", names.holders_of(&old.keyids), names.holders_of(&new.keyids))));
            for id in now.difference(&was) {
                out.push(format!("  KEY ADDED:   {}", names.key(id)));
            }
            for id in was.difference(&now) {
                out.push(format!("  KEY REMOVED: {}", names.key(id)));
            }
            out.push(format!("  {}", field("keys", names.keys(&old.keyids), names.keys(&new.keyids))));
            out.push(format!("  {}", field("threshold", of(old), of(new))));
            out.push(format!("  {}", field("terminating", yes_no(old.terminating).into(), yes_no(new.terminating).into())));
            out.push(format!("  {}", field("paths", list(&old.paths), list(&new.paths))));
            if old.path_hash_prefixes.is_some() || new.path_hash_prefixes.is_some() {
                out.push(format!("  {}", field("path_hash_prefixes", list(&old.path_hash_prefixes), list(&new.path_hash_prefixes))));
            }
        }
    }
    out
}

/// The short form for a role with hundreds of delegations (the claimed index): counts and
/// the first names of each kind.
pub fn summary_lines(changes: &[Change]) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["added", "removed", "changed"] {
        let names: Vec<&str> = changes.iter().filter(|c| c.kind() == kind).map(Change::name).collect();
        if names.is_empty() {
            continue;
        }
        let more = if names.len() > 5 { format!(" and {} more", names.len() - 5) } else { String::new() };
        out.push(format!("delegations {kind}: {} ({}{more})", names.len(), names[..names.len().min(5)].join(", ")));
    }
    out
}

/// Warnings about thresholds in a delegation's new version: one that leaves no spare key
/// (N of N: losing one key loses the role), and one lower than before. `online` roles sign
/// with one key on a server by design, so N of N is expected there.
pub fn threshold_warnings(role: &str, old: Option<(u64, usize)>, new: (u64, usize), online: bool) -> Vec<String> {
    let mut out = Vec::new();
    let (threshold, keys) = new;
    if !online && threshold as usize == keys && keys > 0 {
        out.push(format!(
            "WARNING: {role} needs {threshold} of {keys} keys: there is no spare key, so one lost or broken key leaves {role} unsignable"
        ));
    }
    if let Some((was, was_keys)) = old.filter(|(was, _)| *was > threshold) {
        out.push(format!(
            "WARNING: the {role} threshold drops from {was} of {was_keys} to {threshold} of {keys}: fewer keys are now enough to sign {role}"
        ));
    }
    out
}

/// The threshold warnings for each added or changed delegation.
pub fn delegation_threshold_warnings(changes: &[Change]) -> Vec<String> {
    let online = |n: &str| matches!(n, crate::pypi::roles::RECENTLY_CLAIMED | crate::pypi::roles::UNCLAIMED);
    let mut out = Vec::new();
    for c in changes {
        match c {
            Change::Added(n, v) => out.extend(threshold_warnings(n, None, (v.threshold, v.keyids.len()), online(n))),
            Change::Changed(n, o, v) => {
                out.extend(threshold_warnings(n, Some((o.threshold, o.keyids.len())), (v.threshold, v.keyids.len()), online(n)))
            }
            Change::Removed(..) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(ids: &[&str], threshold: u64) -> View {
        View {
            keyids: ids.iter().map(|s| s.to_string()).collect(),
            threshold,
            terminating: false,
            paths: Some(vec!["simple/*/*".into()]),
            path_hash_prefixes: None,
        }
    }

    #[test]
    fn a_swapped_key_is_named_on_both_sides() {
        let old: BTreeMap<String, View> = [("claimed".to_string(), view(&["aaaaaaaa11", "bbbbbbbb22"], 2))].into();
        let new: BTreeMap<String, View> = [("claimed".to_string(), view(&["cccccccc33", "bbbbbbbb22"], 2))].into();
        let found = changes(&new, &old);
        assert_eq!(found.len(), 1);
        let names = Names { holders: &[], unknown: "unregistered key" };
        let lines = change_lines(&found[0], &names).join("\n");
        assert!(lines.starts_with("delegation CHANGED: claimed"), "{lines}");
        assert!(lines.contains("KEY ADDED:   unregistered key (cccccccc)"), "{lines}");
        assert!(lines.contains("KEY REMOVED: unregistered key (aaaaaaaa)"), "{lines}");
        assert!(lines.contains("threshold: 2 of 2 (unchanged)"), "{lines}");
        assert!(lines.contains("paths: simple/*/* (unchanged)"), "{lines}");
        assert_eq!(changes(&new, &new), vec![]);
    }

    #[test]
    fn thresholds_with_no_spare_key_or_lower_than_before_are_warned_about() {
        assert_eq!(threshold_warnings("claimed", Some((2, 3)), (2, 3), false), Vec::<String>::new());
        let w = threshold_warnings("claimed", Some((3, 3)), (2, 2), false);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].starts_with("WARNING: claimed needs 2 of 2 keys"), "{w:?}");
        assert!(w[1].contains("drops from 3 of 3 to 2 of 2"), "{w:?}");
        assert_eq!(threshold_warnings("unclaimed", None, (1, 1), true), Vec::<String>::new());
    }
}
