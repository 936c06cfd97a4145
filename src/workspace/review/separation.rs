//! The loud warning for an offline role delegated to a key that also signs an online role.
//!
//! Policy (`exclusive_keys`) refuses such a layout among the staged and trusted files a
//! client would see together; the review also looks across versions: a claimed key handed
//! to the key that the trusted root still lists for timestamp is the online server's key
//! until the new root reaches every client, whatever the staged root says.

use std::collections::{BTreeMap, BTreeSet};

use crate::keys::holder::Holder;
use crate::tuf::key::short_keyid;
use crate::workspace::exclusive_keys::{conflicts, Class, RoleKeys};

/// Where a listing was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum From {
    Trusted,
    Staged,
}

fn place(found: &BTreeSet<From>) -> &'static str {
    match (found.contains(&From::Trusted), found.contains(&From::Staged)) {
        (true, true) => "trusted and staged",
        (true, false) => "trusted",
        _ => "staged",
    }
}

/// One `WARNING:` line per offline role listed with a key that an online role also lists,
/// in the `trusted` layout, the `staged` one (staged files over trusted ones) or across the
/// two. Only conflicts touching a role in `delegated` (the roles the reviewed file
/// delegates to) are given, so each shows in the review of the file that makes it.
pub fn online_key_warnings(trusted: &[RoleKeys], staged: &[RoleKeys], delegated: &BTreeSet<String>, holders: &[Holder]) -> Vec<String> {
    let mut seen: BTreeMap<(String, String), BTreeSet<From>> = BTreeMap::new();
    let mut union = Vec::new();
    for (from, layout) in [(From::Trusted, trusted), (From::Staged, staged)] {
        for r in layout {
            for id in &r.keyids {
                seen.entry((r.role.clone(), id.clone())).or_default().insert(from);
            }
            union.push(r.clone());
        }
    }
    let class: BTreeMap<&str, Class> = union.iter().map(|r| (r.role.as_str(), r.class)).collect();
    let at = |role: &String, keyid: &String| seen.get(&(role.clone(), keyid.clone())).map(place).unwrap_or("staged");
    // (keyid, offline role) -> the online roles that list the key, in the layout's order.
    let mut found: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for c in conflicts(&union).into_iter().filter(|c| c.online) {
        let (online, offline) = if class.get(c.first.as_str()) == Some(&Class::Online) { (c.first, c.second) } else { (c.second, c.first) };
        if !(delegated.contains(&online) || delegated.contains(&offline)) {
            continue;
        }
        let shown = format!("{online} ({})", at(&online, &c.keyid));
        let list = found.entry((c.keyid, offline)).or_default();
        if !list.contains(&shown) {
            list.push(shown);
        }
    }
    found
        .into_iter()
        .map(|((keyid, offline), online)| {
            let whose = holders
                .iter()
                .find(|h| h.key.keyid().eq_ignore_ascii_case(&keyid))
                .map_or_else(|| format!("unregistered key {}", short_keyid(&keyid)), |h| format!("{}'s key {}", h.name, short_keyid(&keyid)));
            format!(
                "WARNING: the offline role {offline} is delegated to {whose} ({}), which also signs the online role(s) {}: whoever takes the online server holds that key and could sign {offline}",
                at(&offline, &keyid),
                online.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, class: Class, ids: &[&str]) -> RoleKeys {
        RoleKeys::new(name, class, ids.iter().copied())
    }

    fn names(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn claimed_handed_to_the_trusted_online_key_is_warned_about() {
        let online = "00aa00aa00aa";
        let trusted = [
            role("targets", Class::OfflineTargets, &["t1"]),
            role("timestamp", Class::Online, &[online]),
            role("claimed", Class::OfflineTargets, &["c1", "c2"]),
            role("unclaimed", Class::Online, &[online]),
        ];
        // The staged files alone keep the rule: the online role moved to a new key.
        let staged = [
            role("timestamp", Class::Online, &["11bb11bb"]),
            role("claimed", Class::OfflineTargets, &[online]),
            role("unclaimed", Class::Online, &["11bb11bb"]),
        ];
        let got = conflicts(&staged);
        assert!(got.is_empty(), "expected empty, got {:?}", got);
        let w = online_key_warnings(&trusted, &staged, &names(&["claimed", "recently-claimed", "unclaimed"]), &[]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("WARNING: the offline role claimed is delegated to unregistered key 00aa00aa (staged)"), "{w:?}");
        assert!(w[0].contains("online role(s) timestamp (trusted), unclaimed (trusted)"), "{w:?}");
        // Shown in the review of the file that delegates one of the two, not elsewhere.
        assert_eq!(online_key_warnings(&trusted, &staged, &names(&["claimed.a"]), &[]), Vec::<String>::new());
        // A clean layout warns about nothing.
        assert_eq!(online_key_warnings(&trusted, &trusted, &names(&["claimed", "timestamp"]), &[]), Vec::<String>::new());
    }
}
