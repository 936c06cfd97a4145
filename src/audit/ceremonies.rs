//! Ceremonies in a workspace's transcript: which records make up each ceremony, and the
//! `ceremony begin` / `ceremony end` records that mark one (docs/report.md).
//!
//! `ceremony begin` opens a ceremony and `ceremony end` closes it. Records no ceremony holds
//! yet when a `begin` comes (the workspace's `init`, holders registered the day before)
//! belong to the ceremony they prepared. Without markers (a workspace from before they
//! existed, or people who never typed `begin`), each bundle export closes a ceremony, as it
//! did in practice: one trip to the online side per meeting. Records after the last closed
//! ceremony are a ceremony still in progress.
//!
//! The anchor outside the stick: a ceremony's closing head (the transcript's head after its
//! last record) is printed by `ceremony end` and on its report, and written on the signed
//! paper record. The next `begin` takes it back from the paper ([`PreviousHead`]) and refuses
//! a workspace whose last closed ceremony closed elsewhere: a rewritten and re-hashed
//! transcript, or a whole workspace rolled back to an older consistent copy, passes every
//! check of the chain itself but not this one.

use std::ops::Range;
use std::path::Path;

use time::OffsetDateTime;

use crate::workspace::review::{digest_words, DIGEST_WORDS};
use crate::workspace::transcript::{head, Action, CeremonyFacts, Head, Record};
use crate::workspace::{Workspace, WorkspaceError, WorkspaceLock};

/// The transcript action of `ceremony begin`.
pub const BEGIN: &str = "ceremony-begin";
/// The record of people who joined an open ceremony after it began (`ceremony begin` run
/// again with the same purpose and place and more attendees, as a resumed runbook does).
pub const JOIN: &str = "ceremony-join";
/// The transcript action of `ceremony end`.
pub const END: &str = "ceremony-end";
/// The record `bundle export` adds after its bundle is written, with the bundle's SHA-256.
pub const BUNDLE_WRITTEN: &str = "bundle-written";

/// Longest purpose, in characters: two printed lines.
pub const MAX_PURPOSE: usize = 200;
/// Longest place, in characters.
pub const MAX_PLACE: usize = 120;
/// Longest attendee name, in characters.
pub const MAX_NAME: usize = 64;
/// Longest bag number, in characters.
pub const MAX_BAG: usize = 40;
/// Most attendees one ceremony records.
pub const MAX_ATTENDEES: usize = 40;
/// Most bag numbers one ceremony records.
pub const MAX_BAGS: usize = 40;

/// Why a ceremony could not be begun or ended.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error("the {what} is empty; give it in plain words")]
    Empty { what: &'static str },
    #[error("the {what} is {len} characters long; at most {max} fit on the printed record, shorten it")]
    TooLong { what: &'static str, len: usize, max: usize },
    #[error("the {what} holds a control or invisible character (U+{code:04X}); type it as plain text on one line")]
    Hidden { what: &'static str, code: u32 },
    #[error("{count} {what}s were given; at most {max} fit on the printed record")]
    TooMany { what: &'static str, count: usize, max: usize },
    #[error(
        "ceremony {number} ({purpose}) is open since {since}; end it with `ceremony end --bag NUMBER` before beginning another, or begin again with the same purpose and place to continue it"
    )]
    AlreadyOpen { number: usize, purpose: String, since: String },
    #[error("no ceremony is open; `ceremony begin --purpose TEXT --place TEXT` opens one")]
    NotOpen,
    #[error(
        "a new ceremony needs the previous ceremony's closing head as written on its signed paper record: pass --previous-head with its 64 hex digits or its six words (or --previous-head none for a workspace that never closed a ceremony)"
    )]
    PreviousHeadNeeded,
    #[error("{0}")]
    PreviousHeadUnreadable(String),
    #[error(
        "the paper record says the previous ceremony closed at {typed}, but this workspace's last closed ceremony (ceremony {number}) closed at {held}: this is not the workspace sealed after the last ceremony; restore the sealed copy and do not sign anything with this one"
    )]
    PreviousHeadMismatch { typed: String, number: usize, held: String },
    #[error(
        "the paper record says a previous ceremony closed at {typed}, but this workspace holds no closed ceremony: this is not the workspace sealed after the last ceremony; restore the sealed copy and do not sign anything with this one"
    )]
    NoClosedCeremony { typed: String },
    #[error(
        "--previous-head none says this workspace never closed a ceremony, but it closed ceremony {number} (at record {records}): type that ceremony's closing head from its signed paper record; if no paper record of it exists, this is not the workspace you meant, so do not sign anything with it"
    )]
    // The head it holds is not named: it would invite copying it from the screen instead
    // of reading it from the paper, which is the whole check.
    ClosedButNoneGiven { number: usize, records: u64 },
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

/// One ceremony: a run of transcript records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// 1 for the workspace's first ceremony.
    pub number: usize,
    /// Indexes into the transcript.
    pub records: Range<usize>,
    /// Index of its `ceremony begin` record, when it was begun so.
    pub begin: Option<usize>,
    /// Index of its `ceremony end` record, when it was ended so.
    pub end: Option<usize>,
    /// Ended, or (without markers) closed by a bundle export.
    pub closed: bool,
}

impl Ceremony {
    /// What `ceremony begin` recorded.
    pub fn opening<'r>(&self, records: &'r [Record]) -> Option<&'r CeremonyFacts> {
        self.begin.and_then(|i| records.get(i)).and_then(|r| r.action.ceremony.as_ref())
    }

    /// Everyone recorded as present: the attendees `begin` named, then those who joined.
    pub fn attendees(&self, records: &[Record]) -> Vec<String> {
        let mut out: Vec<String> = self.opening(records).map(|f| f.attendees.clone()).unwrap_or_default();
        for r in records.get(self.records.clone()).unwrap_or_default().iter().filter(|r| r.action.action == JOIN) {
            for name in r.action.ceremony.as_ref().map_or(&[][..], |f| &f.attendees) {
                if !out.iter().any(|a| a.eq_ignore_ascii_case(name)) {
                    out.push(name.clone());
                }
            }
        }
        out
    }

    /// The bag numbers `ceremony end` recorded.
    pub fn bags<'r>(&self, records: &'r [Record]) -> &'r [String] {
        self.end.and_then(|i| records.get(i)).and_then(|r| r.action.ceremony.as_ref()).map_or(&[], |f| &f.bags)
    }
}

/// Where a closed ceremony left the transcript: its head after the ceremony's last record
/// (its `ceremony end`, or the export that closed it). `None` while it is open.
pub fn closing_head(records: &[Record], c: &Ceremony) -> Option<Head> {
    c.closed.then(|| head(records.get(..c.records.end).unwrap_or(records)))
}

/// The last closed ceremony and its closing head: what the latest signed paper record names.
pub fn last_closed(records: &[Record]) -> Option<(usize, Head)> {
    let all = split(records);
    all.iter().rev().find_map(|c| closing_head(records, c).map(|h| (c.number, h)))
}

/// The six words of a transcript hash (hex), as digests are read aloud; empty for a hash
/// that is not 64 hex digits.
pub fn head_words(hash: &str) -> String {
    let bytes: Option<[u8; 32]> = hex::decode(hash).ok().and_then(|b| b.try_into().ok());
    bytes.map(|d| digest_words(&d).join(" ")).unwrap_or_default()
}

/// A head as the paper record shows it: record count, hex and words.
pub fn describe_head(h: &Head) -> String {
    format!("record {}, sha256 {} ({})", h.records, h.hash, head_words(&h.hash))
}

/// The previous ceremony's closing head as people typed it from the signed paper record.
///
/// Matched so that what is on paper can be typed as it stands, but never loosely: the full
/// 64 hex digits (any case, spaces between groups ignored; a prefix is refused, it would
/// let a forged history that shares the first digits pass), or the six words (any case,
/// any spacing), which carry 77 bits. The record count on paper is for people; the hash
/// already fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviousHead {
    /// The workspace never closed a ceremony (`--previous-head none`).
    None,
    /// 64 lowercase hex digits.
    Hex(String),
    /// Six words, lowercase.
    Words(Vec<String>),
}

impl PreviousHead {
    /// Reads what was typed: `none`, 64 hex digits, or the six words.
    pub fn parse(typed: &str) -> Result<PreviousHead, CeremonyError> {
        let unreadable = |why: String| CeremonyError::PreviousHeadUnreadable(why);
        let typed = typed.trim();
        if typed.eq_ignore_ascii_case("none") {
            return Ok(PreviousHead::None);
        }
        let joined: String = typed.split_whitespace().collect();
        if !joined.is_empty() && joined.chars().all(|c| c.is_ascii_hexdigit()) {
            if joined.len() != 64 {
                return Err(unreadable(format!(
                    "the previous closing head has {} hex digits, but all 64 are needed (a prefix would also match a forged history); type every digit from the paper record, or its six words",
                    joined.len()
                )));
            }
            return Ok(PreviousHead::Hex(joined.to_ascii_lowercase()));
        }
        let words: Vec<String> = typed.split_whitespace().map(str::to_lowercase).collect();
        let wordlike = |w: &String| w.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        if words.len() != DIGEST_WORDS || !words.iter().all(wordlike) {
            return Err(unreadable(format!(
                "what was typed for the previous closing head is neither its 64 hex digits nor its {DIGEST_WORDS} words; type one of them from the paper record, or none for a workspace that never closed a ceremony"
            )));
        }
        Ok(PreviousHead::Words(words))
    }

    /// True when this is the head `h`.
    pub fn matches(&self, h: &Head) -> bool {
        match self {
            PreviousHead::None => false,
            PreviousHead::Hex(hex) => *hex == h.hash.to_ascii_lowercase(),
            PreviousHead::Words(words) => words.join(" ") == head_words(&h.hash),
        }
    }

    /// What was typed, with its words (hex) or as the words it is.
    pub fn describe(&self) -> String {
        match self {
            PreviousHead::None => "none".to_string(),
            PreviousHead::Hex(hex) => format!("sha256 {hex} ({})", head_words(hex)),
            PreviousHead::Words(words) => format!("\"{}\"", words.join(" ")),
        }
    }
}

/// Checks the paper's closing head against the workspace's last closed ceremony; returns
/// the head it matched (`None` for a workspace that never closed one, as the paper said).
pub fn check_previous(records: &[Record], given: &PreviousHead) -> Result<Option<Head>, CeremonyError> {
    match (last_closed(records), given) {
        (None, PreviousHead::None) => Ok(None),
        (None, typed) => Err(CeremonyError::NoClosedCeremony { typed: typed.describe() }),
        (Some((number, held)), PreviousHead::None) => Err(CeremonyError::ClosedButNoneGiven { number, records: held.records }),
        (Some((_, held)), typed) if typed.matches(&held) => Ok(Some(held)),
        (Some((number, held)), typed) => {
            Err(CeremonyError::PreviousHeadMismatch { typed: typed.describe(), number, held: describe_head(&held) })
        }
    }
}

/// Splits a transcript into ceremonies, in order.
pub fn split(records: &[Record]) -> Vec<Ceremony> {
    let mut out: Vec<Ceremony> = Vec::new();
    let mut start = 0;
    let mut begin = None;
    let close = |out: &mut Vec<Ceremony>, records: Range<usize>, begin, end, closed| {
        let number = out.len() + 1;
        out.push(Ceremony { number, records, begin, end, closed });
    };
    let mut i = 0;
    while i < records.len() {
        match records[i].action.action.as_str() {
            // Ceremony never writes a second begin while one is open; read one as ending
            // the open ceremony unclosed rather than merging two.
            BEGIN if begin.is_some() => {
                close(&mut out, start..i, begin, None, false);
                start = i;
                begin = Some(i);
            }
            BEGIN => begin = Some(i),
            END if begin.is_some() => {
                close(&mut out, start..i + 1, begin.take(), Some(i), true);
                start = i + 1;
            }
            "bundle-export" if begin.is_none() => {
                if records.get(i + 1).is_some_and(|r| r.action.action == BUNDLE_WRITTEN) {
                    i += 1;
                }
                close(&mut out, start..i + 1, None, None, true);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < records.len() {
        close(&mut out, start..records.len(), begin, None, false);
    }
    out
}

/// True for a character that prints as nothing or differently than it reads: controls,
/// bidirectional overrides, zero-width and other invisible format characters.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x061C | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0xFFF9..=0xFFFB)
}

/// A purpose, place, name or bag number as people typed it: trimmed, not empty, at most
/// `max` characters, and nothing that prints differently than it reads.
pub fn check_text(what: &'static str, text: &str, max: usize) -> Result<String, CeremonyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CeremonyError::Empty { what });
    }
    if let Some(c) = text.chars().find(|c| is_hidden(*c)) {
        return Err(CeremonyError::Hidden { what, code: c as u32 });
    }
    let len = text.chars().count();
    if len > max {
        return Err(CeremonyError::TooLong { what, len, max });
    }
    Ok(text.to_string())
}

fn check_list(what: &'static str, items: &[String], each: usize, most: usize) -> Result<Vec<String>, CeremonyError> {
    if items.len() > most {
        return Err(CeremonyError::TooMany { what, count: items.len(), max: most });
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = check_text(what, item, each)?;
        // The same person named twice gets one signature line.
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// What people say when they begin a ceremony.
#[derive(Debug, Clone, Default)]
pub struct Opening {
    pub purpose: String,
    pub place: String,
    pub attendees: Vec<String>,
    /// The previous ceremony's closing head from the signed paper record: needed to open a
    /// new ceremony; checked when given to continue an open one.
    pub previous_head: Option<PreviousHead>,
}

/// What `begin` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    Opened(usize),
    /// The same ceremony was already open (a runbook run again): nothing was recorded.
    /// The open ceremony goes on; `joined` are the attendees it did not have yet.
    Continued {
        number: usize,
        joined: Vec<String>,
    },
}

/// The ceremony still open with a `begin` record, if any.
fn open_ceremony(all: &[Ceremony]) -> Option<&Ceremony> {
    all.last().filter(|c| !c.closed && c.begin.is_some())
}

/// True when `begin` with this opening would open a new ceremony, which needs the previous
/// closing head: no ceremony is open. (An open one is continued, or refused when another.)
/// Checks the texts first, so nobody is asked for the head only to be refused for a typo.
pub fn opens_new(ws: &Workspace, opening: &Opening) -> Result<bool, CeremonyError> {
    check_text("purpose", &opening.purpose, MAX_PURPOSE)?;
    check_text("place", &opening.place, MAX_PLACE)?;
    check_list("attendee name", &opening.attendees, MAX_NAME, MAX_ATTENDEES)?;
    Ok(open_ceremony(&split(&ws.transcript()?)).is_none())
}

/// Opens a ceremony: records the purpose, place and attendees, the running binary's
/// SHA-256 and the preflight's results on this machine (`sys` is where sysfs is mounted).
pub fn begin(ws: &Workspace, lock: &WorkspaceLock, opening: &Opening, sys: &Path, now: OffsetDateTime) -> Result<Begun, CeremonyError> {
    let purpose = check_text("purpose", &opening.purpose, MAX_PURPOSE)?;
    let place = check_text("place", &opening.place, MAX_PLACE)?;
    let attendees = check_list("attendee name", &opening.attendees, MAX_NAME, MAX_ATTENDEES)?;
    let records = ws.transcript()?;
    let all = split(&records);
    let matched = opening.previous_head.as_ref().map(|given| check_previous(&records, given)).transpose()?;
    if let Some(open) = open_ceremony(&all) {
        let had = open.opening(&records).cloned().unwrap_or_default();
        if had.purpose.as_deref() == Some(purpose.as_str()) && had.place.as_deref() == Some(place.as_str()) {
            let present = open.attendees(&records);
            let joined: Vec<String> = attendees.into_iter().filter(|a| !present.iter().any(|p| p.eq_ignore_ascii_case(a))).collect();
            if !joined.is_empty() {
                check_list("attendee name", &[present.clone(), joined.clone()].concat(), MAX_NAME, MAX_ATTENDEES)?;
                let facts = CeremonyFacts { attendees: joined.clone(), ..CeremonyFacts::default() };
                let mut tx = ws.begin(lock)?;
                tx.record(Action { action: JOIN.into(), ceremony: Some(facts), ..Action::default() })?;
                tx.commit()?;
            }
            return Ok(Begun::Continued { number: open.number, joined });
        }
        let since = open.begin.and_then(|i| records.get(i)).map(|r| r.time.clone()).unwrap_or_default();
        return Err(CeremonyError::AlreadyOpen { number: open.number, purpose: had.purpose.unwrap_or_default(), since });
    }
    let Some(matched) = matched else {
        return Err(CeremonyError::PreviousHeadNeeded);
    };
    let number = match all.last() {
        Some(c) if !c.closed => c.number,
        Some(c) => c.number + 1,
        None => 1,
    };
    let checks = crate::audit::preflight::run(sys, ws.dir(), now);
    let binary_sha256 = crate::support::buildinfo::running_binary().ok().map(|(_, hash)| hash);
    let facts = CeremonyFacts {
        purpose: Some(purpose),
        place: Some(place),
        attendees,
        binary_sha256,
        preflight: checks.iter().map(crate::audit::preflight::Check::line).collect(),
        bags: Vec::new(),
        previous_head: matched,
    };
    let mut tx = ws.begin(lock)?;
    tx.record(Action { action: BEGIN.into(), ceremony: Some(facts), ..Action::default() })?;
    tx.commit()?;
    Ok(Begun::Opened(number))
}

/// What `end` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Closed; the head is its closing head, for the paper record.
    Closed { number: usize, head: Head },
    /// The ceremony was ended with these bag numbers just before (a runbook run again).
    AlreadyEnded { number: usize, head: Head },
}

/// Closes the open ceremony, recording the tamper-evident bag numbers.
pub fn end(ws: &Workspace, lock: &WorkspaceLock, bags: &[String]) -> Result<Ended, CeremonyError> {
    let bags = check_list("bag number", bags, MAX_BAG, MAX_BAGS)?;
    let records = ws.transcript()?;
    let all = split(&records);
    let Some(open) = open_ceremony(&all) else {
        let just_ended = all.last().filter(|c| c.end.is_some_and(|e| e + 1 == records.len()));
        return match just_ended {
            Some(c) if c.bags(&records) == bags.as_slice() => Ok(Ended::AlreadyEnded { number: c.number, head: head(&records) }),
            _ => Err(CeremonyError::NotOpen),
        };
    };
    let number = open.number;
    let facts = CeremonyFacts { bags, ..CeremonyFacts::default() };
    let mut tx = ws.begin(lock)?;
    let last = tx.record(Action { action: END.into(), ceremony: Some(facts), ..Action::default() })?;
    tx.commit()?;
    Ok(Ended::Closed { number, head: Head { records: last.seq, hash: last.hash } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(action: &str) -> Record {
        Record {
            seq: 0,
            time: String::new(),
            tool: String::new(),
            action: Action { action: action.into(), ..Action::default() },
            prev: String::new(),
            hash: String::new(),
        }
    }

    fn spans(actions: &[&str]) -> Vec<(Range<usize>, bool)> {
        let records: Vec<Record> = actions.iter().map(|a| rec(a)).collect();
        split(&records).into_iter().map(|c| (c.records, c.closed)).collect()
    }

    #[test]
    fn without_markers_each_export_closes_a_ceremony() {
        let t = ["init", "key-new", "stage", "sign", "bundle-export", "stage", "sign", "bundle-export", BUNDLE_WRITTEN];
        assert_eq!(spans(&t), vec![(0..5, true), (5..9, true)]);
        assert_eq!(spans(&["init", "stage", "bundle-export", "stage"]), vec![(0..3, true), (3..4, false)]);
    }

    #[test]
    fn begin_takes_the_preparation_and_end_closes_past_exports() {
        let t = ["init", "key-new", BEGIN, "stage", "bundle-export", BUNDLE_WRITTEN, "stage", "bundle-export", END, "stage"];
        assert_eq!(spans(&t), vec![(0..9, true), (9..10, false)]);
        let records: Vec<Record> = t.iter().map(|a| rec(a)).collect();
        let all = split(&records);
        assert_eq!((all[0].begin, all[0].end), (Some(2), Some(8)));
        assert_eq!(all[1].number, 2);
    }

    #[test]
    fn an_open_ceremony_is_in_progress() {
        assert_eq!(spans(&["init", BEGIN, "stage", "bundle-export"]), vec![(0..4, false)]);
        assert_eq!(spans(&["init", BEGIN, BEGIN]), vec![(0..2, false), (2..3, false)]);
    }

    /// A chained transcript of these actions, as `transcript::append` would write it.
    fn chained(actions: &[&str]) -> Vec<Record> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        for a in actions {
            crate::workspace::transcript::append(&path, Action { action: (*a).into(), ..Action::default() }, "t").unwrap();
        }
        crate::workspace::transcript::read(&path).unwrap()
    }

    #[test]
    fn the_closing_head_is_the_head_after_the_ceremonys_last_record() {
        let records = chained(&["init", BEGIN, "stage", END, "stage", "bundle-export", BUNDLE_WRITTEN, "stage"]);
        let all = split(&records);
        assert_eq!(closing_head(&records, &all[0]), Some(head(&records[..4])));
        // Closed by an export: the head after its last record, the bundle-written one.
        assert_eq!(closing_head(&records, &all[1]), Some(head(&records[..7])));
        assert_eq!(closing_head(&records, &all[2]), None);
        assert_eq!(last_closed(&records), Some((2, head(&records[..7]))));
    }

    #[test]
    fn the_previous_head_matches_only_in_full() {
        let records = chained(&["init", BEGIN, END]);
        let held = head(&records);
        let words = head_words(&held.hash);
        assert_eq!(words.split(' ').count(), DIGEST_WORDS);
        let ok = |typed: &str| check_previous(&records, &PreviousHead::parse(typed).unwrap());
        assert_eq!(ok(&held.hash.to_uppercase()).unwrap(), Some(held.clone()));
        let grouped: Vec<String> = held.hash.as_bytes().chunks(8).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        let got = ok(&grouped.join(" "));
        assert!(got.is_ok(), "hex in groups, as written on paper: expected Ok, got {:?}", got);
        let got = ok(&format!("  {}  ", words.to_uppercase().replace(' ', "   \t")));
        assert!(got.is_ok(), "words in any case and spacing: expected Ok, got {:?}", got);
        // A prefix is not enough; five words are not six.
        let got = PreviousHead::parse(&held.hash[..16]);
        assert!(
            matches!(got, Err(CeremonyError::PreviousHeadUnreadable(_))),
            "expected Err(CeremonyError::PreviousHeadUnreadable(_)), got {:?}",
            got
        );
        let five: Vec<&str> = words.split(' ').take(5).collect();
        let got = PreviousHead::parse(&five.join(" "));
        assert!(
            matches!(got, Err(CeremonyError::PreviousHeadUnreadable(_))),
            "expected Err(CeremonyError::PreviousHeadUnreadable(_)), got {:?}",
            got
        );
        // Another head, another history.
        let other = chained(&["init", "stage", BEGIN, END]);
        let theirs = head(&other);
        let got = ok(&theirs.hash);
        assert!(
            matches!(got, Err(CeremonyError::PreviousHeadMismatch { number: 1, .. })),
            "expected Err(CeremonyError::PreviousHeadMismatch {{ number: 1, .. }}), got {:?}",
            got
        );
        let got = ok(&head_words(&theirs.hash));
        assert!(
            matches!(got, Err(CeremonyError::PreviousHeadMismatch { .. })),
            "expected Err(CeremonyError::PreviousHeadMismatch {{ .. }}), got {:?}",
            got
        );
        let got = ok("none");
        assert!(
            matches!(got, Err(CeremonyError::ClosedButNoneGiven { number: 1, .. })),
            "expected Err(CeremonyError::ClosedButNoneGiven {{ number: 1, .. }}), got {:?}",
            got
        );
        let fresh = chained(&["init", "key-new"]);
        assert_eq!(check_previous(&fresh, &PreviousHead::None).unwrap(), None);
        let got = check_previous(&fresh, &PreviousHead::Hex(held.hash.clone()));
        assert!(
            matches!(got, Err(CeremonyError::NoClosedCeremony { .. })),
            "expected Err(CeremonyError::NoClosedCeremony {{ .. }}), got {:?}",
            got
        );
    }

    #[test]
    fn texts_are_plain_bounded_and_trimmed() {
        assert_eq!(check_text("place", "  Room 4, PSF office ", MAX_PLACE).unwrap(), "Room 4, PSF office");
        let got = check_text("place", " \t", MAX_PLACE);
        assert!(matches!(got, Err(CeremonyError::Empty { .. })), "expected Err(CeremonyError::Empty {{ .. }}), got {:?}", got);
        let got = check_text("place", "a\nb", MAX_PLACE);
        assert!(
            matches!(got, Err(CeremonyError::Hidden { code: 0x0A, .. })),
            "expected Err(CeremonyError::Hidden {{ code: 0x0A, .. }}), got {:?}",
            got
        );
        let got = check_text("place", "evil\u{202E}txt", MAX_PLACE);
        assert!(
            matches!(got, Err(CeremonyError::Hidden { code: 0x202E, .. })),
            "expected Err(CeremonyError::Hidden {{ code: 0x202E, .. }}), got {:?}",
            got
        );
        let long = "é".repeat(MAX_PLACE + 1);
        let got = check_text("place", &long, MAX_PLACE);
        assert!(matches!(got, Err(CeremonyError::TooLong { .. })), "expected Err(CeremonyError::TooLong {{ .. }}), got {:?}", got);
        let got = check_text("place", &"é".repeat(MAX_PLACE), MAX_PLACE);
        assert!(got.is_ok(), "expected Ok, got {:?}", got);
        let names = vec!["alice".to_string(), "bob".into(), "alice".into()];
        assert_eq!(check_list("attendee name", &names, MAX_NAME, 3).unwrap(), ["alice", "bob"]);
        let got = check_list("bag number", &names, MAX_BAG, 2);
        assert!(matches!(got, Err(CeremonyError::TooMany { .. })), "expected Err(CeremonyError::TooMany {{ .. }}), got {:?}", got);
    }
}
