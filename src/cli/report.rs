//! `ceremony report --out FILE.html [--ceremony N | --all]`, `ceremony begin`, `ceremony end`.

use std::path::Path;

use time::OffsetDateTime;

use super::args::Global;
use super::common::refuse_stage;
use super::common::{open, refuse};
use super::common::{print_json, Refusal};
use crate::audit::ceremonies::{self, Begun, CeremonyError, Ended, Opening, PreviousHead};
use crate::audit::ceremony_report::{CeremonyReport, CeremonyReportError};
use crate::audit::report::{render_html, Report};
use crate::workspace::transcript::Head;
use crate::workspace::WorkspaceError;

fn transcript_refusal(e: WorkspaceError) -> Refusal {
    match e {
        WorkspaceError::Transcript(t) => {
            Refusal::failed(format!("{t}; a record of an altered transcript would mislead, so no report was written"))
        }
        other => refuse(other),
    }
}

pub(super) fn refuse_ceremony(e: CeremonyError) -> Refusal {
    match e {
        CeremonyError::Workspace(w) => refuse(w),
        CeremonyError::AlreadyOpen { .. }
        | CeremonyError::NotOpen
        | CeremonyError::PreviousHeadMismatch { .. }
        | CeremonyError::NoClosedCeremony { .. }
        | CeremonyError::ClosedButNoneGiven { .. } => Refusal::failed(e.to_string()),
        other => Refusal::unusable(other.to_string()),
    }
}

/// Where to find the previous closing head on paper, asked when `--previous-head` is absent.
const PREVIOUS_HEAD_PROMPT: &str = "The previous ceremony's closing head, from its signed paper record (the \"Closing head\" row \
    of the summary at the top of its first page, its six words also written there by hand): type its 64 hex digits or its six words, \
    or none if this workspace has never closed a ceremony: ";

/// The previous closing head from the flag, else typed at the terminal.
fn previous_head(given: Option<&str>) -> Result<Option<PreviousHead>, Refusal> {
    let typed = match given {
        Some(text) => text.to_string(),
        None if !super::secrets::have_terminal() => return Ok(None),
        None => match super::secrets::ask_line(PREVIOUS_HEAD_PROMPT) {
            Ok(Some(line)) => line,
            Ok(None) => return Err(Refusal::failed("nothing was typed for the previous closing head; no ceremony was begun")),
            Err(e) => return Err(Refusal::unusable(format!("cannot read from the terminal: {e}; pass --previous-head instead"))),
        },
    };
    PreviousHead::parse(&typed).map(Some).map_err(refuse_ceremony)
}

pub(super) fn begin(global: &Global, purpose: String, place: String, attendees: Vec<String>, given: Option<&str>) -> Result<(), Refusal> {
    let ws = open(global)?;
    let lock = ws.lock().map_err(refuse)?;
    let mut opening = Opening { purpose, place, attendees, previous_head: None };
    // Only a new ceremony needs the head: one being continued is not asked for it again.
    if given.is_some() || ceremonies::opens_new(&ws, &opening).map_err(refuse_ceremony)? {
        opening.previous_head = previous_head(given)?;
    }
    let begun = ceremonies::begin(&ws, &lock, &opening, Path::new("/sys"), OffsetDateTime::now_utc()).map_err(refuse_ceremony)?;
    let (number, continued, joined) = match begun {
        Begun::Opened(n) => (n, false, Vec::new()),
        Begun::Continued { number, joined } => (number, true, joined),
    };
    if global.json {
        print_json(&serde_json::json!({"ceremony": number, "continued": continued, "joined": joined}));
    } else if continued && joined.is_empty() {
        println!("Ceremony {number} is already open with this purpose and place; it continues.");
    } else if continued {
        println!(
            "Ceremony {number} is already open with this purpose and place; it continues, and records {} as present too.",
            joined.join(", ")
        );
    } else {
        let anchor = match opening.previous_head {
            Some(PreviousHead::None) | None => "this workspace never closed a ceremony, as the paper said".to_string(),
            Some(_) => "the previous ceremony's closing head on paper is this workspace's".to_string(),
        };
        println!(
            "Began ceremony {number} ({anchor}); the purpose, place, attendees, this binary's SHA-256 and the preflight are in the transcript. \
             End it with `ceremony end --bag NUMBER` once the bags are sealed."
        );
    }
    Ok(())
}

pub(super) fn end(global: &Global, bags: &[String]) -> Result<(), Refusal> {
    let ws = open(global)?;
    let lock = ws.lock().map_err(refuse)?;
    let (number, head, again) = match ceremonies::end(&ws, &lock, bags).map_err(refuse_ceremony)? {
        Ended::Closed { number, head } => (number, head, false),
        Ended::AlreadyEnded { number, head } => (number, head, true),
    };
    if global.json {
        print_json(&serde_json::json!({
            "ceremony": number,
            "bags": bags,
            "already_ended": again,
            "closing_head": closing_json(&head),
        }));
        return Ok(());
    }
    if again {
        println!("Ceremony {number} was already ended with these bag numbers.");
    } else {
        println!(
            "Ended ceremony {number} with {} bag number(s) recorded. Print its record: `ceremony report --out FILE.html`.",
            bags.len()
        );
    }
    println!("{}", closing_lines(number, &head));
    Ok(())
}

/// A closing head for `--json`: record count, hash and words.
fn closing_json(head: &Head) -> serde_json::Value {
    serde_json::json!({"records": head.records, "head": head.hash, "words": ceremonies::head_words(&head.hash)})
}

/// The closing head as people copy it onto the paper record, each part on its own line.
fn closing_lines(number: usize, head: &Head) -> String {
    format!(
        "Closing head of ceremony {number} (write it on the signed paper record; the next `ceremony begin` asks for it):\n  \
         records: {}\n  closing head: {}\n  closing head words: {}",
        head.records,
        head.hash,
        ceremonies::head_words(&head.hash)
    )
}

pub(super) fn report(global: &Global, out: &Path, ceremony: Option<u32>, all: bool) -> Result<(), Refusal> {
    let ws = open(global)?;
    let binary = crate::support::buildinfo::running_binary().ok().map(|(_, hash)| hash);
    let now = OffsetDateTime::now_utc();
    if all {
        return whole_history(global, &ws, out, now, binary);
    }
    let record = CeremonyReport::build(&ws, ceremony.map(|n| n as usize), now, binary).map_err(|e| match e {
        CeremonyReportError::Workspace(w) => transcript_refusal(w),
        other => Refusal::failed(format!("{other}; no report was written")),
    })?;
    write(out, &crate::audit::ceremony_report::render_html(&record))?;
    if global.json {
        print_json(&serde_json::json!({
            "report": out,
            "ceremony": record.number,
            "ceremonies": record.of,
            "records": record.records.len(),
            "bundles": record.bundles.iter().map(|b| serde_json::json!({"file": b.file, "sha256": b.sha256})).collect::<Vec<_>>(),
            "bags": record.bags,
            "present": record.present,
            "transcript": {"records": record.head.records, "head": record.head.hash},
            "closing_head": record.closing.as_ref().map(closing_json),
        }));
    } else {
        println!(
            "Wrote the record of ceremony {} of {} to {} ({} transcript records, {} signature line(s); transcript head {}). \
             Open it in a browser and print it on A4.",
            record.number,
            record.of,
            out.display(),
            record.records.len(),
            record.present.len(),
            crate::tuf::key::short_keyid(&record.head.hash)
        );
        match &record.closing {
            Some(head) => println!("{}", closing_lines(record.number, head)),
            None => println!("Ceremony {} is not closed yet: `ceremony end` prints its closing head.", record.number),
        }
    }
    Ok(())
}

fn write(out: &Path, html: &str) -> Result<(), Refusal> {
    crate::support::fsio::write_atomic(out, html.as_bytes())
        .map_err(|e| Refusal::unusable(format!("cannot write {}: {e}; choose another --out", out.display())))
}

fn whole_history(
    global: &Global,
    ws: &crate::workspace::Workspace,
    out: &Path,
    now: OffsetDateTime,
    binary: Option<String>,
) -> Result<(), Refusal> {
    let report = Report::build(ws, now, binary).map_err(|e| match e {
        crate::workspace::staging::StageError::Workspace(w) => transcript_refusal(w),
        other => refuse_stage(other),
    })?;
    write(out, &render_html(&report))?;
    if global.json {
        print_json(&serde_json::json!({
            "report": out,
            "holders": report.holders.len(),
            "roles": report.roles.len(),
            "transcript": {"records": report.head.records, "head": report.head.hash},
        }));
    } else {
        println!(
            "Wrote the record of the whole history to {} ({} holders, {} role versions, {} transcript records, head {}). \
             Open it in a browser and print it on A4.",
            out.display(),
            report.holders.len(),
            report.roles.len(),
            report.head.records,
            crate::tuf::key::short_keyid(&report.head.hash)
        );
    }
    Ok(())
}
