//! `ceremony verify root-chain FILE...`: a chain of root files checked and explained.

use std::path::PathBuf;

use time::OffsetDateTime;

use super::common::{print_json, read_metadata, Refusal};
use crate::tuf::chain::{verify_root_chain, ChainReport, Step};
use crate::tuf::key::short_keyid;
use crate::tuf::metadata::Metadata;
use crate::tuf::verify::{KeyState, ThresholdReport};

pub(super) fn verify_root_chain_cmd(files: &[PathBuf], json: bool) -> Result<(), Refusal> {
    let roots = read_metadata(files)?;
    let report = verify_root_chain(&roots, OffsetDateTime::now_utc());
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    if json {
        print_json(&chain_json(&report, &names));
    } else {
        print!("{}", chain_text(&report, &names, &key_labels(&roots)));
    }
    if report.ok {
        return Ok(());
    }
    let failed = report.steps.iter().find(|s| !s.holds());
    let message = match failed {
        Some(step) => format!(
            "the root chain breaks at {} (version {}): {}; do not trust it or any root after it",
            names[step.index],
            step.version,
            step.problems.join("; ")
        ),
        None => "the root chain could not be checked to the end".to_string(),
    };
    Err(Refusal::failed(message))
}

fn chain_json(report: &ChainReport, names: &[String]) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = report
        .steps
        .iter()
        .map(|s| {
            let mut thresholds = Vec::new();
            if let Some(p) = &s.previous {
                thresholds.push(threshold_json("previous root", p));
            }
            if let Some(o) = &s.own {
                thresholds.push(threshold_json("this root", o));
            }
            serde_json::json!({
                "file": names[s.index],
                "version": s.version,
                "expires": s.expires,
                "ok": s.holds(),
                "thresholds": thresholds,
                "problems": s.problems,
                "warnings": s.warnings,
            })
        })
        .collect();
    serde_json::json!({
        "ok": report.ok,
        "trusted": names.first(),
        "newest_trusted_version": report.newest_trusted_version,
        "newest_expired": report.newest_expired,
        "steps": steps,
    })
}

fn threshold_json(by: &str, r: &ThresholdReport) -> serde_json::Value {
    serde_json::json!({
        "keys_of": by,
        "role": r.role,
        "have": r.have,
        "need": r.threshold,
        "of": r.keys.len(),
        "met": r.is_met(),
        "signed": r.signed().collect::<Vec<_>>(),
        "missing": r.missing().collect::<Vec<_>>(),
        "keys": r.keys.iter().map(|(id, st)| serde_json::json!({"keyid": id, "result": st})).collect::<Vec<_>>(),
        "duplicate_keyids": r.duplicate_keyids,
    })
}

/// keyid -> "ECDSA P-256" (or the keytype as written, for keys Ceremony cannot use).
type KeyLabels = std::collections::BTreeMap<String, String>;

fn key_labels(roots: &[Metadata]) -> KeyLabels {
    let mut labels = KeyLabels::new();
    for root in roots.iter().filter_map(|md| md.root().ok()) {
        for (keyid, key) in root.keys {
            let label = match key.public_key() {
                Ok(p) => p.algorithm().label().to_string(),
                Err(_) => format!("{} (unusable)", key.keytype()),
            };
            labels.insert(keyid, label);
        }
    }
    labels
}

fn chain_text(report: &ChainReport, names: &[String], labels: &KeyLabels) -> String {
    let mut out = String::new();
    for step in &report.steps {
        out.push_str(&step_text(step, &names[step.index], labels));
    }
    for name in names.iter().skip(report.steps.len()) {
        out.push_str(&format!("{name}: not checked, an earlier step failed\n"));
    }
    match (report.ok, report.newest_trusted_version) {
        (true, Some(v)) => {
            out.push_str(&format!("The chain holds: root version {v} is trusted.\n"));
            if report.newest_expired {
                out.push_str("Note: that root has expired; clients will refuse it until a newer root is published.\n");
            }
        }
        _ => out.push_str("The chain does NOT hold.\n"),
    }
    out
}

fn step_text(step: &Step, name: &str, labels: &KeyLabels) -> String {
    let verdict = match (step.index, step.holds()) {
        (0, true) => "trusted",
        (_, true) => "valid successor",
        (_, false) => "REFUSED",
    };
    let mut out = format!("{name}: root version {}, expires {}: {verdict}\n", step.version, step.expires);
    if let Some(p) = &step.previous {
        out.push_str(&threshold_lines("the previous root's root keys", p, labels));
    }
    if let Some(o) = &step.own {
        out.push_str(&threshold_lines("its own root keys", o, labels));
    }
    for p in &step.problems {
        out.push_str(&format!("    problem: {p}\n"));
    }
    for w in &step.warnings {
        out.push_str(&format!("    warning: {w}\n"));
    }
    out
}

fn threshold_lines(whose: &str, r: &ThresholdReport, labels: &KeyLabels) -> String {
    let mark = if r.is_met() { "met" } else { "NOT MET" };
    let mut out = format!("    {whose}: {} signed, {} needed (of {} keys): {mark}\n", r.have, r.threshold, r.keys.len());
    for (id, state) in &r.keys {
        let text = match state {
            KeyState::Signed => "signed".to_string(),
            KeyState::SameKeyAsOther { keyid } => {
                format!("signed, but it is the same key as {} and counts once", short_keyid(keyid))
            }
            KeyState::Missing { placeholder: true } => "not signed (empty placeholder)".to_string(),
            KeyState::Missing { placeholder: false } => "not signed".to_string(),
            KeyState::Invalid { reason } => format!("INVALID signature: {reason}"),
            KeyState::Unusable { reason } => format!("unusable key: {reason}"),
        };
        let label = labels.get(id).map(String::as_str).unwrap_or("unknown key");
        out.push_str(&format!("      {}  {label:<12} {text}\n", short_keyid(id)));
    }
    out
}
