//! What the transcript says the workspace holds: each registered holder's record, each
//! trusted and each staged file, by the SHA-256 the record that made it wrote down.
//!
//! A workspace spends weeks on a USB stick in a safe, and anyone who handles it can rewrite
//! any of its files without holding a key. The transcript is the one file whose history is
//! checked against something off the stick (its head, written on the signed paper record
//! of the last ceremony and typed at `ceremony begin`), so every other file is believed only
//! as far as a transcript record vouches for it: a holder record by the `key-new` record
//! that registered it, a staged file by the `stage` record that made it, a trusted file by
//! the `trust` (or `root-import`) record that made it trusted. A file without its record,
//! a record without its file, or a file with another digest is refused by name.
//!
//! The ledger is computed from the checked records alone; it reads no other file, so what
//! it says cannot be chosen by anything else on the stick.

use std::collections::BTreeMap;

use crate::workspace::transcript::{Record, SourceDigest};

/// The record that vouches for a file: its sequence number, what it did, and the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub action: String,
    /// SHA-256, lower-case hex: of the signed bytes for metadata, of the whole file for a
    /// holder record (absent for holders registered before records carried it).
    pub digest: Option<String>,
    /// The keyid a `key-new` record registered.
    pub keyid: Option<String>,
}

impl Entry {
    /// "transcript record 17 (stage)", as refusals name it.
    pub fn name(&self) -> String {
        format!("transcript record {} ({})", self.seq, self.action)
    }
}

/// What the transcript says is registered, trusted and staged.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Holder name (file stem under `holders/`) to the record that registered it.
    pub holders: BTreeMap<String, Entry>,
    /// Trusted root version to the record that made it trusted.
    pub roots: BTreeMap<u64, Entry>,
    /// Trusted non-root role to the record that made its current version trusted.
    pub trusted: BTreeMap<String, Entry>,
    /// Staged role to the record that staged it.
    pub staged: BTreeMap<String, Entry>,
    /// The `recently-claimed` the last exported promotion came from.
    pub trusted_source: Option<SourceDigest>,
    /// The `recently-claimed` the staged promotion comes from.
    pub staged_source: Option<SourceDigest>,
}

impl Ledger {
    /// Replays checked records in order.
    pub fn from_records(records: &[Record]) -> Ledger {
        let mut ledger = Ledger::default();
        for r in records {
            ledger.apply(r);
        }
        ledger
    }

    fn apply(&mut self, r: &Record) {
        let a = &r.action;
        let entry = |digest: Option<&String>| Entry { seq: r.seq, action: a.action.clone(), digest: digest.cloned(), keyid: None };
        match a.action.as_str() {
            "key-new" => {
                if let Some(holder) = &a.holder {
                    let mut e = entry(a.digest.as_ref());
                    e.keyid = a.keyid.clone();
                    self.holders.insert(holder.clone(), e);
                }
            }
            "stage" => {
                if a.files.is_empty() {
                    if let Some(role) = &a.role {
                        self.staged.insert(role.clone(), entry(a.digest.as_ref()));
                    }
                }
                for (role, digest) in &a.files {
                    self.staged.insert(role.clone(), entry(Some(digest)));
                }
                if a.source.is_some() {
                    self.staged_source = a.source.clone();
                }
            }
            "discard" => self.discard(r),
            "trust" => {
                let Some(role) = &a.role else { return };
                self.staged.remove(role);
                match (role.as_str(), a.version) {
                    ("root", Some(v)) => {
                        self.roots.insert(v, entry(a.digest.as_ref()));
                    }
                    _ => {
                        self.trusted.insert(role.clone(), entry(a.digest.as_ref()));
                    }
                }
            }
            "root-import" => {
                if let Some(v) = a.version {
                    self.roots.insert(v, entry(a.digest.as_ref()));
                }
            }
            "bundle-export" => {
                if let Some(source) = self.staged_source.take() {
                    self.trusted_source = Some(source);
                }
            }
            _ => {}
        }
    }

    fn discard(&mut self, r: &Record) {
        let a = &r.action;
        for role in a.files.keys() {
            self.staged.remove(role);
        }
        let Some(role) = &a.role else { return };
        let promotion = role == crate::pypi::roles::CLAIMED;
        if promotion {
            // A promotion is discarded whole: the index, every shard and its source. (Records
            // written before `files` existed name only the index.)
            self.staged.retain(|r, _| r != role && crate::pypi::claimed::shard_key_of(r).is_none());
            self.staged_source = None;
        } else {
            self.staged.remove(role);
        }
    }

    /// The record that made `role` (a non-root role) trusted.
    pub fn trusted_entry(&self, role: &str) -> Option<&Entry> {
        self.trusted.get(role)
    }

    /// The record that staged `role`.
    pub fn staged_entry(&self, role: &str) -> Option<&Entry> {
        self.staged.get(role)
    }
}

/// What to do about a file the transcript does not vouch for.
pub const RESTORE: &str = "restore the workspace sealed after the last ceremony";

/// The sentence for a file a record made that is gone.
pub fn missing(path: &str, e: &Entry) -> String {
    format!("the workspace file {path} that {} made is missing (it was removed outside ceremony); {RESTORE}", e.name())
}

/// Refuses a set of files on disk that is not the set the ledger names: `found` (names on
/// disk) against `expected` (names the transcript vouches for). Returns the sentence.
pub fn set_mismatch<'a>(
    what: &str,
    found: impl IntoIterator<Item = &'a str>,
    expected: &BTreeMap<String, Entry>,
    path: impl Fn(&str) -> String,
) -> Option<String> {
    let found: std::collections::BTreeSet<&str> = found.into_iter().collect();
    if let Some(extra) = found.iter().find(|f| !expected.contains_key(**f)) {
        return Some(format!(
            "the workspace file {} is a {what} that no transcript record made (it was put there outside ceremony); {RESTORE}",
            path(extra)
        ));
    }
    expected.iter().find(|(name, _)| !found.contains(name.as_str())).map(|(name, e)| missing(&path(name), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::transcript::Action;

    fn rec(seq: u64, action: Action) -> Record {
        Record { seq, time: String::new(), tool: String::new(), action, prev: String::new(), hash: String::new() }
    }

    fn stage(role: &str, digest: &str) -> Action {
        Action { action: "stage".into(), role: Some(role.into()), digest: Some(digest.into()), ..Action::default() }
    }

    #[test]
    fn stage_trust_and_discard_move_files_between_the_sets() {
        let mut promotion = Action { action: "stage".into(), role: Some("claimed".into()), ..Action::default() };
        promotion.files.insert("claimed".into(), "aa".into());
        promotion.files.insert("claimed.r".into(), "bb".into());
        promotion.source = Some(SourceDigest { version: 3, sha256: "cc".into() });
        let trust = |role: &str, digest: &str| Action {
            action: "trust".into(),
            role: Some(role.into()),
            version: Some(1),
            digest: Some(digest.into()),
            ..Action::default()
        };
        let records = vec![
            rec(1, stage("targets", "11")),
            rec(2, promotion.clone()),
            rec(3, trust("targets", "11")),
            rec(4, Action { action: "discard".into(), role: Some("claimed".into()), ..Action::default() }),
        ];
        let l = Ledger::from_records(&records);
        assert!(l.staged.is_empty(), "{:?}", l.staged);
        assert_eq!(l.trusted["targets"].seq, 3);
        assert_eq!(l.staged_source, None);

        let records = vec![
            rec(1, promotion),
            rec(2, trust("claimed", "aa")),
            rec(3, trust("claimed.r", "bb")),
            rec(4, Action { action: "bundle-export".into(), ..Action::default() }),
            rec(5, trust("root", "dd")),
        ];
        let l = Ledger::from_records(&records);
        assert!(l.staged.is_empty(), "expected empty, got {:?}", l.staged);
        assert_eq!(l.trusted["claimed.r"].digest.as_deref(), Some("bb"));
        assert_eq!(l.trusted_source.as_ref().map(|s| s.version), Some(3));
        assert_eq!(l.roots[&1].seq, 5);
    }

    #[test]
    fn a_set_on_disk_must_be_the_set_recorded() {
        let l = Ledger::from_records(&[rec(7, stage("targets", "11"))]);
        let path = |r: &str| format!("staged/{r}.json");
        assert_eq!(set_mismatch("staged file", ["targets"], &l.staged, path), None);
        let extra = set_mismatch("staged file", ["targets", "claimed"], &l.staged, path).unwrap();
        assert!(extra.contains("staged/claimed.json") && extra.contains("no transcript record"), "{extra}");
        let missing = set_mismatch("staged file", [], &l.staged, path).unwrap();
        assert!(missing.contains("staged/targets.json") && missing.contains("transcript record 7 (stage)"), "{missing}");
    }
}
