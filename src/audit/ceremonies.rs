//! Ceremonies in a workspace's transcript: which records make up each ceremony, and the
//! `ceremony begin` / `ceremony end` records that mark one (docs/report.md).
//!
//! `ceremony begin` opens a ceremony and `ceremony end` closes it. Records no ceremony holds
//! yet when a `begin` comes (the workspace's `init`, holders registered the day before)
//! belong to the ceremony they prepared. Without markers (a workspace from before they
//! existed, or people who never typed `begin`), each bundle export closes a ceremony, as it
//! did in practice: one trip to the online side per meeting. Records after the last closed
//! ceremony are a ceremony still in progress.

use std::ops::Range;
use std::path::Path;

use time::OffsetDateTime;

use crate::workspace::transcript::{Action, CeremonyFacts, Record};
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

/// A purpose, place, name or bag number as people typed it: trimmed, not empty, at most
/// `max` characters, and nothing that prints differently than it reads.
pub fn check_text(what: &'static str, text: &str, max: usize) -> Result<String, CeremonyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CeremonyError::Empty { what });
    }
    if let Some(c) = text.chars().find(|c| crate::audit::report::is_hidden(*c)) {
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

/// Opens a ceremony: records the purpose, place and attendees, the running binary's
/// SHA-256 and the preflight's results on this machine (`sys` is where sysfs is mounted).
pub fn begin(ws: &Workspace, lock: &WorkspaceLock, opening: &Opening, sys: &Path, now: OffsetDateTime) -> Result<Begun, CeremonyError> {
    let purpose = check_text("purpose", &opening.purpose, MAX_PURPOSE)?;
    let place = check_text("place", &opening.place, MAX_PLACE)?;
    let attendees = check_list("attendee name", &opening.attendees, MAX_NAME, MAX_ATTENDEES)?;
    let records = ws.transcript()?;
    let all = split(&records);
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
    };
    let mut tx = ws.begin(lock)?;
    tx.record(Action { action: BEGIN.into(), ceremony: Some(facts), ..Action::default() })?;
    tx.commit()?;
    Ok(Begun::Opened(number))
}

/// What `end` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Closed(usize),
    /// The ceremony was ended with these bag numbers just before (a runbook run again).
    AlreadyEnded(usize),
}

/// Closes the open ceremony, recording the tamper-evident bag numbers.
pub fn end(ws: &Workspace, lock: &WorkspaceLock, bags: &[String]) -> Result<Ended, CeremonyError> {
    let bags = check_list("bag number", bags, MAX_BAG, MAX_BAGS)?;
    let records = ws.transcript()?;
    let all = split(&records);
    let Some(open) = open_ceremony(&all) else {
        let just_ended = all.last().filter(|c| c.end.is_some_and(|e| e + 1 == records.len()));
        return match just_ended {
            Some(c) if c.bags(&records) == bags.as_slice() => Ok(Ended::AlreadyEnded(c.number)),
            _ => Err(CeremonyError::NotOpen),
        };
    };
    let number = open.number;
    let facts = CeremonyFacts { bags, ..CeremonyFacts::default() };
    let mut tx = ws.begin(lock)?;
    tx.record(Action { action: END.into(), ceremony: Some(facts), ..Action::default() })?;
    tx.commit()?;
    Ok(Ended::Closed(number))
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

    #[test]
    fn texts_are_plain_bounded_and_trimmed() {
        assert_eq!(check_text("place", "  Room 4, PSF office ", MAX_PLACE).unwrap(), "Room 4, PSF office");
        assert!(matches!(check_text("place", " \t", MAX_PLACE), Err(CeremonyError::Empty { .. })));
        assert!(matches!(check_text("place", "a\nb", MAX_PLACE), Err(CeremonyError::Hidden { code: 0x0A, .. })));
        assert!(matches!(check_text("place", "evil\u{202E}txt", MAX_PLACE), Err(CeremonyError::Hidden { code: 0x202E, .. })));
        let long = "é".repeat(MAX_PLACE + 1);
        assert!(matches!(check_text("place", &long, MAX_PLACE), Err(CeremonyError::TooLong { .. })));
        assert!(check_text("place", &"é".repeat(MAX_PLACE), MAX_PLACE).is_ok());
        let names = vec!["alice".to_string(), "bob".into(), "alice".into()];
        assert_eq!(check_list("attendee name", &names, MAX_NAME, 3).unwrap(), ["alice", "bob"]);
        assert!(matches!(check_list("bag number", &names, MAX_BAG, 2), Err(CeremonyError::TooMany { .. })));
    }
}
