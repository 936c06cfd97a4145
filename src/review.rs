//! What a keyholder is shown before signing: the change against the last trusted version,
//! and the digest of exactly the bytes to be signed, also as words people read aloud.

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use crate::holder::Holder;
use crate::key::{short_keyid, Key};
use crate::metadata::{Metadata, Root};
use crate::staging::digest;

/// How many words stand for a digest: 6 words of the 7776-word list carry 77 bits.
pub const DIGEST_WORDS: usize = 6;

/// The words for a SHA-256 digest: its first bytes read as a number in base 7776.
pub fn digest_words(digest: &[u8; 32]) -> Vec<&'static str> {
    let list = diceware_wordlists::Wordlist::EffLong.get_list();
    let mut n = u128::from_be_bytes(digest[..16].try_into().unwrap_or([0; 16]));
    let base = list.len() as u128;
    (0..DIGEST_WORDS)
        .map(|_| {
            let w = list[(n % base) as usize];
            n /= base;
            w
        })
        .collect()
}

/// One line of a review, already in plain words.
#[derive(Debug, Clone)]
pub struct Review {
    pub role: String,
    pub lines: Vec<String>,
    /// The complete list of delegation changes, for a file the summary names.
    pub full_list: Vec<String>,
    pub digest_hex: String,
    pub words: Vec<&'static str>,
}

fn describe_key(key: &Key, holders: &[Holder]) -> String {
    let kind = key.public_key().map(|p| p.algorithm().label()).unwrap_or("unusable key");
    match holders.iter().find(|h| h.key.keyid() == key.keyid()) {
        Some(h) => format!("{} {kind} of {}, {}", short_keyid(key.keyid()), h.name, h.describe()),
        None => format!("{} {kind} (no registered holder)", short_keyid(key.keyid())),
    }
}

/// Whole days to the nearest day: an expiry staged as `365d` an hour ago is 364 days and 23
/// hours away, which a signer reads as "365 days", not the truncated 364.
fn days_from(now: OffsetDateTime, at: OffsetDateTime) -> i64 {
    const DAY: i64 = 86_400;
    ((at - now).whole_seconds() + DAY / 2).div_euclid(DAY)
}

/// Summarises `staged` against `trusted` (absent for a role's first version).
pub fn review(role: &str, staged: &Metadata, trusted: Option<&Metadata>, holders: &[Holder], now: OffsetDateTime) -> Review {
    let mut lines = Vec::new();
    let mut full_list = Vec::new();
    match trusted {
        Some(t) => lines.push(format!("{role}: version {} -> {}", t.version(), staged.version())),
        None => lines.push(format!("{role}: new, version {}", staged.version())),
    }
    let exp = staged.expires().at;
    lines.push(format!(
        "expires {} ({} days from now){}",
        crate::datetime::format_expires(exp),
        days_from(now, exp),
        trusted.map(|t| format!(", was {}", crate::datetime::format_expires(t.expires().at))).unwrap_or_default()
    ));
    if let (Ok(new), old) = (staged.root(), trusted.map(Metadata::root)) {
        root_changes(&new, old.and_then(Result::ok).as_ref(), holders, &mut lines);
    }
    if let Ok(new) = staged.targets() {
        let old = trusted.and_then(|t| t.targets().ok());
        let (summary, all) = delegation_changes(&new, old.as_ref());
        lines.extend(summary);
        full_list = all;
    }
    let d = digest(staged);
    Review { role: role.to_string(), lines, full_list, digest_hex: hex::encode(d), words: digest_words(&d) }
}

fn root_changes(new: &Root, old: Option<&Root>, holders: &[Holder], lines: &mut Vec<String>) {
    let new_ids: BTreeSet<&String> = new.keys.keys().collect();
    let old_ids: BTreeSet<&String> = old.map(|o| o.keys.keys().collect()).unwrap_or_default();
    for id in new_ids.difference(&old_ids) {
        lines.push(format!("key added: {}", describe_key(&new.keys[*id], holders)));
    }
    if let Some(o) = old {
        for id in old_ids.difference(&new_ids) {
            lines.push(format!("key removed: {}", describe_key(&o.keys[*id], holders)));
        }
    }
    for (name, role) in &new.roles {
        let who: Vec<String> = role.keyids.iter().map(|k| short_keyid(k).to_string()).collect();
        let line = match old.and_then(|o| o.roles.get(name)) {
            Some(prev) if prev.threshold != role.threshold || prev.keyids != role.keyids => format!(
                "{name} role: threshold {} of {} -> {} of {} (keys {})",
                prev.threshold,
                prev.keyids.len(),
                role.threshold,
                role.keyids.len(),
                who.join(", ")
            ),
            Some(_) => format!("{name} role: unchanged, {} of {}", role.threshold, role.keyids.len()),
            None => format!("{name} role: {} of {} (keys {})", role.threshold, role.keyids.len(), who.join(", ")),
        };
        lines.push(line);
    }
}

/// Counts and first names of delegations added, removed and changed; and the full list.
fn delegation_changes(
    new: &crate::metadata::Targets<'_>,
    old: Option<&crate::metadata::Targets<'_>>,
) -> (Vec<String>, Vec<String>) {
    let roles = |t: Option<&crate::metadata::Targets<'_>>| -> BTreeMap<String, String> {
        t.and_then(|t| t.delegations.as_ref())
            .and_then(|d| d.roles.as_ref())
            .map(|roles| {
                roles
                    .iter()
                    .map(|r| {
                        let shape = format!("{:?}|{}|{:?}|{}", r.keyids, r.threshold, r.paths, r.terminating);
                        (r.name.to_string(), shape)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (new_roles, old_roles) = (roles(Some(new)), roles(old));
    let added: Vec<&String> = new_roles.keys().filter(|k| !old_roles.contains_key(*k)).collect();
    let removed: Vec<&String> = old_roles.keys().filter(|k| !new_roles.contains_key(*k)).collect();
    let changed: Vec<&String> =
        new_roles.iter().filter(|(k, v)| old_roles.get(*k).is_some_and(|o| o != *v)).map(|(k, _)| k).collect();
    let mut summary = Vec::new();
    let mut all = Vec::new();
    for (what, names) in [("added", &added), ("removed", &removed), ("changed", &changed)] {
        if names.is_empty() {
            continue;
        }
        let first: Vec<&str> = names.iter().take(5).map(|s| s.as_str()).collect();
        let more = if names.len() > 5 { format!(" and {} more", names.len() - 5) } else { String::new() };
        summary.push(format!("delegations {what}: {} ({}{more})", names.len(), first.join(", ")));
        all.extend(names.iter().map(|n| format!("{what} {n}")));
    }
    (summary, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_words_are_stable_and_distinct() {
        let a = digest_words(&[0u8; 32]);
        assert_eq!(a.len(), DIGEST_WORDS);
        let mut one = [0u8; 32];
        one[15] = 1;
        assert_ne!(digest_words(&one), a);
        assert_eq!(digest_words(&one), digest_words(&one));
    }

    #[test]
    fn days_from_now_round_to_the_nearest_day() {
        let now = time::macros::datetime!(2026-12-06 20:00:00 UTC);
        let d = time::Duration::days;
        assert_eq!(days_from(now, now + d(365) - time::Duration::hours(3)), 365);
        assert_eq!(days_from(now, now + d(365)), 365);
        assert_eq!(days_from(now, now + d(1) + time::Duration::hours(13)), 2);
        assert_eq!(days_from(now, now - d(2) - time::Duration::hours(1)), -2);
        assert_eq!(days_from(now, now), 0);
    }
}
