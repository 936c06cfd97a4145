//! A root's new version, for the people who sign it: per top-level role the holders added,
//! removed and kept, and for each root key which root's threshold its signature counts
//! toward. A new root N+1 must be signed by a threshold of root N's root keys and of its
//! own: a holder new to the root counts only toward N+1's, a removed one only toward N's.

use std::collections::BTreeSet;

use super::delegations::{threshold_warnings, Names};
use crate::tuf::metadata::{RoleKeys, Root};

/// The top-level roles in the order people read them.
const ROLES: [&str; 4] = ["root", "targets", "snapshot", "timestamp"];

fn is_online(role: &str) -> bool {
    matches!(role, "snapshot" | "timestamp")
}

fn of(r: &RoleKeys) -> String {
    format!("{} of {}", r.threshold, r.keyids.len())
}

fn listed(names: &Names<'_>, ids: &[&String]) -> String {
    if ids.is_empty() {
        return "nobody".into();
    }
    ids.iter().map(|id| names.key(id)).collect::<Vec<_>>().join(", ")
}

/// The lines for one top-level role, old -> new.
fn role_lines(role: &str, new: &RoleKeys, old: Option<&RoleKeys>, names: &Names<'_>) -> Vec<String> {
    let all: Vec<&String> = new.keyids.iter().collect();
    let Some(old) = old else {
        return vec![format!("{role} role: {}, signed by {}", of(new), listed(names, &all))];
    };
    if old == new {
        return vec![format!("{role} role: unchanged, {}, signed by {}", of(new), listed(names, &all))];
    }
    let (was, now): (BTreeSet<&String>, BTreeSet<&String>) = (old.keyids.iter().collect(), new.keyids.iter().collect());
    let mut out = vec![format!("{role} role: {} -> {}", of(old), of(new))];
    for id in now.difference(&was) {
        out.push(format!("  HOLDER ADDED:   {}", names.key(id)));
    }
    for id in was.difference(&now) {
        out.push(format!("  HOLDER REMOVED: {}", names.key(id)));
    }
    let kept: Vec<&String> = new.keyids.iter().filter(|id| was.contains(id)).collect();
    out.push(format!("  kept: {}", listed(names, &kept)));
    out
}

/// Per role, who is added, removed and kept, and the threshold warnings.
pub fn role_changes(new: &Root, old: Option<&Root>, names: &Names<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for role in ROLES {
        let Some(r) = new.roles.get(role) else { continue };
        let prev = old.and_then(|o| o.roles.get(role));
        out.extend(role_lines(role, r, prev, names));
        let before = prev.map(|p| (p.threshold, p.keyids.len()));
        let unchanged = prev == Some(r);
        // An unchanged role is no news; its warnings were given when it was made so.
        if !unchanged {
            warnings.extend(threshold_warnings(role, before, (r.threshold, r.keyids.len()), is_online(role)));
        }
    }
    out.extend(warnings);
    out
}

/// For each key of the previous root's or this root's root role, which of the two
/// thresholds its signature counts toward. The labels are those `status` and `sign` use.
pub fn root_signers(new: &Root, new_version: u64, old: &Root, old_version: u64, names: &Names<'_>) -> Vec<String> {
    let (Some(n), Some(o)) = (new.roles.get("root"), old.roles.get("root")) else { return Vec::new() };
    let this = format!("this root (version {new_version}, {})", of(n));
    let prev = format!("previous root (version {old_version}, {})", of(o));
    let mut out = vec!["whose signature counts toward which root threshold:".to_string()];
    let in_new = |id: &String| n.keyids.contains(id);
    let in_old = |id: &String| o.keyids.contains(id);
    for id in o.keyids.iter().filter(|id| in_new(id)) {
        out.push(format!("  {}: both, the {prev} and {this}", names.key(id)));
    }
    for id in o.keyids.iter().filter(|id| !in_new(id)) {
        out.push(format!("  {}: only the {prev}; removed, so not toward {this}", names.key(id)));
    }
    for id in n.keyids.iter().filter(|id| !in_old(id)) {
        out.push(format!("  {}: only {this}; new to the root, so not toward the {prev}", names.key(id)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ids: &[&str], threshold: u64) -> RoleKeys {
        RoleKeys { keyids: ids.iter().map(|s| s.to_string()).collect(), threshold }
    }

    #[test]
    fn added_removed_and_kept_holders_are_named_per_role() {
        let names = Names { holders: &[], unknown: "unregistered key" };
        let lines = role_lines("root", &keys(&["aaaaaaaa", "dddddddd"], 2), Some(&keys(&["aaaaaaaa", "bbbbbbbb", "cccccccc"], 2)), &names);
        assert_eq!(
            lines,
            vec![
                "root role: 2 of 3 -> 2 of 2",
                "  HOLDER ADDED:   unregistered key (dddddddd)",
                "  HOLDER REMOVED: unregistered key (bbbbbbbb)",
                "  HOLDER REMOVED: unregistered key (cccccccc)",
                "  kept: unregistered key (aaaaaaaa)",
            ]
        );
    }
}
