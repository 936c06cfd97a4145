//! The ceremony transcript: an append-only, hash-chained record of every action.
//!
//! Each record is one line of JSON carrying the SHA-256 of the previous record's line and
//! its own hash (over its canonical form without the `hash` field). Altering, removing or
//! reordering any record breaks the chain at that point. Removing records from the end
//! leaves a shorter but consistent chain, so the head (sequence number and hash) is also
//! shown wherever the transcript's state matters — in `status`, on every signing screen,
//! in the report and in every bundle's manifest — and `verify` takes an expected head.
//! A chain re-hashed after an edit, or a whole older copy, is consistent too: that is caught
//! by each ceremony's closing head on its signed paper record, which the next `ceremony
//! begin` checks (`audit::ceremonies`).
//!
//! The file is rewritten whole, atomically, on each append: after a crash it holds every
//! record or every record but the one being added, never a partial line.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::support::fsio::write_atomic;
use crate::tuf::canonical;
use crate::tuf::limits::read_limited;

/// The hash that stands before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The largest transcript read: 256 MiB, the most a bundle member may be, since every bundle
/// carries the whole transcript. A record is about 350 bytes, and the most records a
/// ceremony adds is one per staged shard (a renewal of every shard of a 1,000,000-project
/// claimed, about 13,000): a decade of fortnightly promotions and yearly full renewals
/// writes well under 200 MB. A larger file was not written by Ceremony.
pub const MAX_TRANSCRIPT: u64 = 256 << 20;

/// One action: who did what, to which role and bytes, with which key and device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Action {
    /// What was done: "init", "key-new", "stage", "sign", "signature-import", "bundle-export", ...
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// SHA-256 of the exact bytes signed or staged, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    /// Where the private key lives ("YubiKey serial 123, slot 9c").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Anything else worth keeping, in plain words. Never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What `ceremony begin` and `ceremony end` record (docs/report.md); absent elsewhere,
    /// so records written before it existed keep their hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<CeremonyFacts>,
    /// Every file a `stage` or `discard` record staged or dropped: role name to the SHA-256
    /// of its signed bytes, hex. The workspace's staged files are checked against these
    /// (`ledger`); absent where the record changed one role, named by `role` and `digest`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub files: std::collections::BTreeMap<String, String>,
    /// The online `recently-claimed` a promotion was staged from, which the next promotion
    /// may not roll back behind once this one is exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceDigest>,
    /// For a root version made trusted by `bundle export`: the SHA-256 of the whole file
    /// `N.root.json` the bundle carries (what `sha256sum` prints), the trust anchor the room
    /// reads aloud and the online side types in. Absent elsewhere, so older records keep
    /// their hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
}

/// A file named by its version and the SHA-256 of its signed bytes, hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDigest {
    pub version: u64,
    pub sha256: String,
}

/// The facts of a ceremony that only people can give, and the machine it ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CeremonyFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attendees: Vec<String>,
    /// SHA-256 of the binary that began the ceremony.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_sha256: Option<String>,
    /// The preflight's lines at the beginning ("pass: network: ...").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preflight: Vec<String>,
    /// Tamper-evident bag numbers, entered at the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bags: Vec<String>,
    /// At `begin`: the previous ceremony's closing head, as typed from its paper record and
    /// found to be this workspace's (absent for a workspace that never closed a ceremony).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_head: Option<Head>,
}

/// A record as stored: the action, when, by which tool, and the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    pub time: String,
    pub tool: String,
    #[serde(flatten)]
    pub action: Action,
    pub prev: String,
    pub hash: String,
}

/// Where the chain ends: how many records and the last one's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub records: u64,
    pub hash: String,
}

/// What is wrong with a transcript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptError {
    #[error("transcript line {line} is not a record ({reason}); the file was altered")]
    Unreadable { line: usize, reason: String },
    #[error("transcript record {seq} was altered: its content does not match its hash")]
    Altered { seq: u64 },
    #[error("transcript record {seq} does not follow the record before it: a record was removed, inserted or reordered there")]
    Broken { seq: u64 },
    #[error("the transcript has {found} records but {expected} were expected: records were removed from its end")]
    Truncated { expected: u64, found: u64 },
    #[error("the transcript's last record is not the expected one: it was rewritten")]
    WrongHead,
    #[error("cannot access the transcript: {0}")]
    Io(String),
    #[error("the transcript is larger than the {} MiB a transcript may be (a decade of ceremonies writes far less), so Ceremony did not write it; restore the workspace from the copy sealed after the last ceremony", MAX_TRANSCRIPT >> 20)]
    TooLarge,
    #[error("the transcript (the workspace file transcript.jsonl) has no records, but a workspace's transcript begins with its init record: it was emptied or removed; restore the workspace sealed after the last ceremony")]
    Empty,
}

fn record_hash(r: &Record) -> String {
    let mut value = serde_json::to_value(r).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("hash");
    }
    let bytes = canonical::to_canonical(&value).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// Reads and checks the whole chain; returns the records.
pub fn read(path: &Path) -> Result<Vec<Record>, TranscriptError> {
    read_bytes(&read_file(path)?.unwrap_or_default())
}

/// The transcript file's bytes, refused unread above [`MAX_TRANSCRIPT`]; `None` when absent.
pub fn read_file(path: &Path) -> Result<Option<Vec<u8>>, TranscriptError> {
    match read_limited(path, MAX_TRANSCRIPT) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        // `read_limited` says a file is too large, and only that, as invalid data.
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(TranscriptError::TooLarge),
        Err(e) => Err(TranscriptError::Io(e.to_string())),
    }
}

/// Reads and checks a whole chain held in memory (a bundle's `transcript.jsonl`), exactly
/// as [`read`] checks a file; bytes that are not UTF-8 make the first line they break unreadable.
pub fn read_bytes(bytes: &[u8]) -> Result<Vec<Record>, TranscriptError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TranscriptError::Unreadable {
        line: bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1,
        reason: "it is not UTF-8 text".into(),
    })?;
    parse(text)
}

fn parse(text: &str) -> Result<Vec<Record>, TranscriptError> {
    // Each record is read and its hash checked on its own, on every core (a promotion adds
    // a record per signed shard); the links are then followed in order, and the first
    // problem in file order is the one reported, as it would be one line at a time.
    let lines: Vec<&str> = text.lines().collect();
    let checked = crate::support::par::map_from(&lines, 256, |line| {
        let r: Record = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let intact = record_hash(&r) == r.hash;
        Ok::<_, String>((r, intact))
    });
    let mut records: Vec<Record> = Vec::with_capacity(checked.len());
    for (i, result) in checked.into_iter().enumerate() {
        let (r, intact) = result.map_err(|reason| TranscriptError::Unreadable { line: i + 1, reason })?;
        if !intact {
            return Err(TranscriptError::Altered { seq: r.seq });
        }
        let prev = records.last().map_or(GENESIS, |p| p.hash.as_str());
        if r.prev != prev || r.seq != i as u64 + 1 {
            return Err(TranscriptError::Broken { seq: r.seq });
        }
        records.push(r);
    }
    Ok(records)
}

/// The head of a checked chain.
pub fn head(records: &[Record]) -> Head {
    Head { records: records.len() as u64, hash: records.last().map_or(GENESIS.to_string(), |r| r.hash.clone()) }
}

/// Checks the chain and, if given, that it ends at `expected` (or continues past it).
pub fn verify(path: &Path, expected: Option<&Head>) -> Result<Head, TranscriptError> {
    let records = read(path)?;
    if let Some(want) = expected {
        if (records.len() as u64) < want.records {
            return Err(TranscriptError::Truncated { expected: want.records, found: records.len() as u64 });
        }
        let at = want.records as usize;
        let hash_there = if at == 0 { GENESIS } else { records[at - 1].hash.as_str() };
        if hash_there != want.hash {
            return Err(TranscriptError::WrongHead);
        }
    }
    Ok(head(&records))
}

/// Appends one record and rewrites the file atomically. The caller holds the workspace lock.
pub fn append(path: &Path, action: Action, time: &str) -> Result<Record, TranscriptError> {
    let mut appender = Appender::open(path)?;
    let record = appender.push(action, time)?;
    write_atomic(path, appender.text()).map_err(|e| TranscriptError::Io(e.to_string()))?;
    Ok(record)
}

/// A transcript being extended in memory: the chain is read and checked once, however
/// many records a transaction appends (signing 500 claimed shards appends 500).
pub struct Appender {
    text: Vec<u8>,
    seq: u64,
    prev: String,
}

impl Appender {
    /// Reads and checks the transcript at `path` (absent: empty). The bytes checked are the
    /// bytes kept: a bundle ships them.
    pub fn open(path: &Path) -> Result<Appender, TranscriptError> {
        let mut text = read_file(path)?.unwrap_or_default();
        let records = read_bytes(&text)?;
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        let prev = records.last().map_or(GENESIS.to_string(), |r| r.hash.clone());
        Ok(Appender { text, seq: records.len() as u64, prev })
    }

    /// Chains one more record onto the text.
    pub fn push(&mut self, action: Action, time: &str) -> Result<Record, TranscriptError> {
        let mut record = Record {
            seq: self.seq + 1,
            time: time.to_string(),
            tool: format!("ceremony {}", env!("CARGO_PKG_VERSION")),
            action,
            prev: self.prev.clone(),
            hash: String::new(),
        };
        record.hash = record_hash(&record);
        let line = serde_json::to_vec(&record).map_err(|e| TranscriptError::Io(e.to_string()))?;
        self.text.extend_from_slice(&line);
        self.text.push(b'\n');
        self.seq += 1;
        self.prev = record.hash.clone();
        Ok(record)
    }

    /// True when the transcript has no record yet.
    pub fn is_empty(&self) -> bool {
        self.seq == 0
    }

    /// The whole transcript file.
    pub fn text(&self) -> &[u8] {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path, n: usize) -> std::path::PathBuf {
        let path = dir.join("transcript.jsonl");
        for i in 0..n {
            let a = Action { action: "sign".into(), holder: Some(format!("h{i}")), ..Action::default() };
            append(&path, a, "2026-01-01T00:00:00Z").unwrap();
        }
        path
    }

    #[test]
    fn chain_verifies_and_heads_match() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path(), 4);
        let h = verify(&path, None).unwrap();
        assert_eq!(h.records, 4);
        let records = read(&path).unwrap();
        let earlier = head(&records[..2]);
        assert_eq!(verify(&path, Some(&earlier)).unwrap(), h);
    }

    #[test]
    fn every_kind_of_tampering_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path(), 4);
        let original = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = original.lines().collect();
        let full = verify(&path, None).unwrap();

        let altered = original.replacen("\"h1\"", "\"hX\"", 1);
        std::fs::write(&path, altered).unwrap();
        assert_eq!(verify(&path, None), Err(TranscriptError::Altered { seq: 2 }));

        let removed = [lines[0], lines[2], lines[3]].join("\n");
        std::fs::write(&path, removed).unwrap();
        let got = verify(&path, None);
        assert!(matches!(got, Err(TranscriptError::Broken { .. })), "expected Err(TranscriptError::Broken {{ .. }}), got {:?}", got);

        let reordered = [lines[0], lines[2], lines[1], lines[3]].join("\n");
        std::fs::write(&path, reordered).unwrap();
        let got = verify(&path, None);
        assert!(matches!(got, Err(TranscriptError::Broken { .. })), "expected Err(TranscriptError::Broken {{ .. }}), got {:?}", got);

        let truncated = lines[..3].join("\n");
        std::fs::write(&path, truncated).unwrap();
        let got = verify(&path, None);
        assert!(got.is_ok(), "expected Ok, got {:?}", got);
        assert_eq!(verify(&path, Some(&full)), Err(TranscriptError::Truncated { expected: 4, found: 3 }));

        std::fs::write(&path, "not json\n").unwrap();
        let got = verify(&path, None);
        assert!(
            matches!(got, Err(TranscriptError::Unreadable { line: 1, .. })),
            "expected Err(TranscriptError::Unreadable {{ line: 1, .. }}), got {:?}",
            got
        );
    }

    #[test]
    fn a_transcript_over_the_cap_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path(), 2);
        // Sparse: no disk is used, and nothing of it may be read.
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(MAX_TRANSCRIPT + 1).unwrap();
        assert_eq!(read(&path), Err(TranscriptError::TooLarge));
        assert_eq!(verify(&path, None), Err(TranscriptError::TooLarge));
        let got = Appender::open(&path);
        assert!(
            matches!(got, Err(TranscriptError::TooLarge)),
            "expected Err(TranscriptError::TooLarge), got {:?}",
            got.as_ref().map(|_| "an open appender")
        );
        let a = Action { action: "sign".into(), ..Action::default() };
        assert_eq!(append(&path, a, "2026-01-01T00:00:00Z"), Err(TranscriptError::TooLarge));
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(len, MAX_TRANSCRIPT + 1, "nothing written");
        let message = TranscriptError::TooLarge.to_string();
        assert!(message.contains("256 MiB") && message.contains("restore the workspace"), "{message}");
    }
}
