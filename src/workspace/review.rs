//! What a keyholder is shown before signing: the change against the last trusted version,
//! and the digest of exactly the bytes to be signed, also as words people read aloud.

pub mod delegations;
pub mod rotation;
pub mod separation;

use std::collections::BTreeSet;
use std::path::PathBuf;

use time::OffsetDateTime;

use crate::keys::holder::Holder;
use crate::tuf::key::{short_keyid, Key};
use crate::tuf::metadata::{Metadata, Root};
use crate::workspace::exclusive_keys;
use crate::workspace::staging::{digest, Governing, StageError};
use crate::workspace::Workspace;

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
        crate::tuf::datetime::format_expires(exp),
        days_from(now, exp),
        trusted.map(|t| format!(", was {}", crate::tuf::datetime::format_expires(t.expires().at))).unwrap_or_default()
    ));
    if let Ok(new) = staged.root() {
        let old = trusted.and_then(|t| t.root().ok().map(|r| (r, t.version())));
        root_changes(&new, staged.version(), old.as_ref(), holders, &mut lines);
    }
    if let Ok(new) = staged.targets() {
        let old = trusted.and_then(|t| t.targets().ok());
        let (shown, all) = delegation_changes(role, &new, old.as_ref(), holders);
        lines.extend(shown);
        full_list = all;
        if let (false, Some(heading)) = (full_list.is_empty(), lines.first()) {
            full_list.insert(0, heading.clone());
        }
    }
    let d = digest(staged);
    Review { role: role.to_string(), lines, full_list, digest_hex: hex::encode(d), words: digest_words(&d) }
}

/// [`review`] of `staged` as `role` against the workspace's trusted version, with a warning
/// for each offline role it delegates to a key an online role also lists (trusted or staged).
pub fn review_staged(ws: &Workspace, role: &str, staged: &Metadata, holders: &[Holder], now: OffsetDateTime) -> Result<Review, StageError> {
    let trusted = crate::workspace::staging::trusted(ws, role)?;
    let mut r = review(role, staged, trusted.as_ref(), holders, now);
    let before = exclusive_keys::layout(ws, exclusive_keys::Source::Trusted, None)?;
    let after = exclusive_keys::layout(ws, exclusive_keys::Source::Effective, Some((role, staged)))?;
    let delegated: BTreeSet<String> = [Some(staged), trusted.as_ref()].into_iter().flatten().flat_map(delegated_roles).collect();
    let warnings = separation::online_key_warnings(&before, &after, &delegated, holders);
    if !r.full_list.is_empty() {
        r.full_list.extend(warnings.iter().cloned());
    }
    r.lines.extend(warnings);
    Ok(r)
}

/// The roles a root or delegating targets file names keys for.
fn delegated_roles(md: &Metadata) -> Vec<String> {
    if let Ok(root) = md.root() {
        return root.roles.keys().cloned().collect();
    }
    let view = md.targets().ok();
    delegations::views(view.as_ref()).into_keys().collect()
}

/// The line naming the thresholds `keyid`'s signature counts toward, and those it does not:
/// a holder removed from a rotated root signs for the previous root only.
pub fn signs_as(governing: &[Governing], keyid: &str) -> String {
    let (mine, others): (Vec<&Governing>, Vec<&Governing>) =
        governing.iter().partition(|g| g.delegation.keys.iter().any(|(id, _)| id.eq_ignore_ascii_case(keyid)));
    let labels = |v: &[&Governing]| v.iter().map(|g| g.label.as_str()).collect::<Vec<_>>().join("; ");
    if others.is_empty() {
        return format!("signs as one of the keys of: {}", labels(&mine));
    }
    format!(
        "signs as one of the keys of: {} only (not one of the keys of {}, so it does not count toward that threshold)",
        labels(&mine),
        labels(&others)
    )
}

fn root_changes(new: &Root, version: u64, old: Option<&(Root, u64)>, holders: &[Holder], lines: &mut Vec<String>) {
    let new_ids: BTreeSet<&String> = new.keys.keys().collect();
    let old_ids: BTreeSet<&String> = old.map(|(o, _)| o.keys.keys().collect()).unwrap_or_default();
    for id in new_ids.difference(&old_ids) {
        lines.push(format!("key added: {}", describe_key(&new.keys[*id], holders)));
    }
    if let Some((o, _)) = old {
        for id in old_ids.difference(&new_ids) {
            lines.push(format!("key removed: {}", describe_key(&o.keys[*id], holders)));
        }
    }
    let names = delegations::Names { holders, unknown: "unregistered key" };
    lines.extend(rotation::role_changes(new, old.map(|(o, _)| o), &names));
    if let Some((o, old_version)) = old {
        lines.extend(rotation::root_signers(new, version, o, *old_version, &names));
    }
}

/// What the delegations of `role` change: on screen in full (holders, keys, threshold,
/// terminating, paths; old -> new), or for the claimed index, whose shards are sealed with
/// one-time keys and number in the hundreds, as counts. The list for the file is in full.
fn delegation_changes(
    role: &str,
    new: &crate::tuf::metadata::Targets<'_>,
    old: Option<&crate::tuf::metadata::Targets<'_>>,
    holders: &[Holder],
) -> (Vec<String>, Vec<String>) {
    let changes = delegations::changes(&delegations::views(Some(new)), &delegations::views(old));
    let index = role == crate::pypi::roles::CLAIMED;
    let unknown = if index { "one-time seal key" } else { "unregistered key" };
    let names = delegations::Names { holders, unknown };
    let all: Vec<String> = changes.iter().flat_map(|c| delegations::change_lines(c, &names)).collect();
    if index {
        return (delegations::summary_lines(&changes), all);
    }
    let mut shown = all;
    shown.extend(delegations::delegation_threshold_warnings(&changes));
    (shown.clone(), shown)
}

/// A full list a review screen names: kept in the workspace's `review/` directory, derived
/// from the staged files and never read back.
#[derive(Debug, Clone)]
pub struct FullList {
    pub path: PathBuf,
    pub text: String,
}

/// A full list that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the full review list cannot be written to {path} ({source}); make that directory writable and try again")]
pub struct FullListError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

impl FullList {
    /// The full list of a role's delegation changes, if it has any.
    pub fn delegations(ws: &Workspace, role: &str, version: u64, lines: &[String]) -> Option<FullList> {
        if lines.is_empty() {
            return None;
        }
        let path = ws.dir().join("review").join(format!("{role}-v{version}-delegations.txt"));
        Some(FullList { path, text: lines.join("\n") + "\n" })
    }

    /// Every new project, key change, overlap and removal of a staged claimed index.
    pub fn promotion(ws: &Workspace, review: &crate::workspace::promotion_review::PromotionReview) -> FullList {
        let name = format!("claimed-v{}-promotion-review.txt", review.index_version);
        FullList { path: ws.dir().join("review").join(name), text: review.full_text() }
    }

    /// Replaces the file atomically: a reader finds the old list or the new one, whole.
    pub fn write(&self) -> Result<(), FullListError> {
        let fail = |source| FullListError { path: self.path.display().to_string(), source };
        if let Some(dir) = self.path.parent() {
            crate::workspace::own_dir(dir).map_err(fail)?;
        }
        crate::support::fsio::write_atomic(&self.path, self.text.as_bytes()).map_err(fail)
    }
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
