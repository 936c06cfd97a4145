//! `ceremony log show`, `ceremony log verify`.

use super::args::Global;
use super::common::{open, refuse};
use super::common::{print_json, Refusal};
use crate::audit::ceremonies::{self, PreviousHead};
use crate::tuf::key::short_keyid;
use crate::workspace::transcript::Record;
use crate::workspace::WorkspaceError;

fn refuse_log(e: WorkspaceError) -> Refusal {
    match e {
        WorkspaceError::Transcript(t) => {
            Refusal::failed(format!("{t}; the transcript cannot be trusted, compare it with a printed report or a bundle"))
        }
        other => refuse(other),
    }
}

pub(super) fn show(global: &Global) -> Result<(), Refusal> {
    let ws = open(global)?;
    let records = ws.transcript().map_err(refuse_log)?;
    if global.json {
        print_json(&serde_json::to_value(&records).unwrap_or_default());
        return Ok(());
    }
    for r in &records {
        println!("{}", line(r));
    }
    if let Some(last) = records.last() {
        println!("{} records; head {}", records.len(), last.hash);
    } else {
        println!("The transcript is empty.");
    }
    Ok(())
}

fn line(r: &Record) -> String {
    let a = &r.action;
    let mut parts = vec![format!("#{} {} {}", r.seq, r.time, a.action)];
    if let Some(h) = &a.holder {
        parts.push(format!("holder {h}"));
    }
    if let (Some(role), Some(v)) = (&a.role, a.version) {
        parts.push(format!("{role} v{v}"));
    }
    if let Some(d) = &a.digest {
        parts.push(format!("sha256 {}", short_keyid(d)));
    }
    if let Some(f) = &a.file_sha256 {
        // Whole, as on the paper record: it is compared with what the room wrote down.
        parts.push(format!("file sha256 {f} (the trust anchor)"));
    }
    if let Some(k) = &a.keyid {
        parts.push(format!("key {}", short_keyid(k)));
    }
    if let Some(d) = &a.device {
        parts.push(format!("on {d}"));
    }
    if let Some(d) = &a.detail {
        parts.push(d.clone());
    }
    if let Some(c) = &a.ceremony {
        parts.extend(c.purpose.as_ref().map(|x| format!("purpose {x}")));
        parts.extend(c.place.as_ref().map(|x| format!("place {x}")));
        if !c.attendees.is_empty() {
            parts.push(format!("attendees {}", c.attendees.join("; ")));
        }
        parts.extend(c.binary_sha256.as_ref().map(|x| format!("binary sha256 {}", short_keyid(x))));
        if !c.preflight.is_empty() {
            let fails = c.preflight.iter().filter(|l| l.starts_with("fail")).count();
            parts.push(format!("preflight {} checks, {fails} failed", c.preflight.len()));
        }
        if !c.bags.is_empty() {
            parts.push(format!("bags {}", c.bags.join("; ")));
        }
    }
    parts.join(", ")
}

pub(super) fn verify(global: &Global, previous_head: Option<&str>) -> Result<(), Refusal> {
    let ws = open(global)?;
    let head = ws.verify_transcript(None).map_err(refuse_log)?;
    // The chain alone cannot tell a rewritten or rolled-back history: the paper can.
    let anchored = match previous_head {
        Some(typed) => {
            let given = PreviousHead::parse(typed).map_err(super::report::refuse_ceremony)?;
            let records = ws.transcript().map_err(refuse_log)?;
            Some(ceremonies::check_previous(&records, &given).map_err(super::report::refuse_ceremony)?)
        }
        None => None,
    };
    if global.json {
        let mut out = serde_json::json!({"ok": true, "records": head.records, "head": head.hash});
        if let Some(matched) = &anchored {
            out["previous_head"] =
                matched.as_ref().map_or(serde_json::Value::Null, |h| serde_json::json!({"records": h.records, "head": h.hash}));
        }
        print_json(&out);
        return Ok(());
    }
    println!("The transcript is intact: {} records, head {}.", head.records, head.hash);
    match anchored {
        Some(Some(h)) => println!("The last closed ceremony closed at the head on the paper record: {}.", ceremonies::describe_head(&h)),
        Some(None) => println!("No ceremony was closed in this workspace, as the paper record said."),
        None => {}
    }
    Ok(())
}
