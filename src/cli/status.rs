//! `ceremony status`.

use time::OffsetDateTime;

use super::args::Global;
use super::common::refuse_stage;
use super::common::{open, refuse};
use super::common::{print_json, Refusal};
use crate::keys::holder::Holder;
use crate::tuf::key::short_keyid;
use crate::tuf::verify::ThresholdReport;
use crate::workspace::review::digest_words;
use crate::workspace::status::{self, RoleStatus};

fn who(keyid: &str, holders: &[Holder]) -> String {
    holders.iter().find(|h| h.key.keyid() == keyid).map_or_else(|| format!("key {}", short_keyid(keyid)), |h| h.name.clone())
}

fn threshold_json(label: &str, r: &ThresholdReport, holders: &[Holder]) -> serde_json::Value {
    let names = |ids: Vec<&str>| -> Vec<serde_json::Value> {
        ids.into_iter().map(|id| serde_json::json!({"keyid": id, "holder": who(id, holders)})).collect()
    };
    serde_json::json!({
        "threshold_of": label,
        "have": r.have,
        "need": r.threshold,
        "met": r.is_met(),
        "signed": names(r.signed().collect()),
        "missing": names(r.missing().collect()),
    })
}

fn role_json(s: &RoleStatus, holders: &[Holder]) -> serde_json::Value {
    serde_json::json!({
        "role": s.role,
        "version": s.version,
        "complete": s.complete(),
        "sealed": is_shard(s) && s.complete(),
        "digest": hex::encode(s.digest),
        "words": digest_words(&s.digest),
        "thresholds": s.thresholds.iter().map(|(l, r)| threshold_json(l, r, holders)).collect::<Vec<_>>(),
        "problems": s.problems,
    })
}

fn is_shard(s: &RoleStatus) -> bool {
    crate::pypi::claimed::shard_key_of(&s.role).is_some()
}

/// The first line, so a promotion staging hundreds of roles is judged before its details:
/// "31 roles staged: 29 complete, 2 not complete; ready to export: no."
fn summary(roles: &[RoleStatus], ready: bool) -> Option<String> {
    let complete = roles.iter().filter(|s| s.complete()).count();
    let noun = if roles.len() == 1 { "role" } else { "roles" };
    let missing = match roles.len() - complete {
        0 => String::new(),
        n => format!(", {n} not complete"),
    };
    let ready = if ready { "yes" } else { "no" };
    (!roles.is_empty()).then(|| format!("{} {noun} staged: {complete} complete{missing}; ready to export: {ready}.", roles.len()))
}

pub(super) fn status(global: &Global) -> Result<(), Refusal> {
    let ws = open(global)?;
    let holders = ws.holders().map_err(refuse)?;
    let roles = status::status(&ws, OffsetDateTime::now_utc()).map_err(refuse_stage)?;
    let head = ws.verify_transcript(None).map_err(refuse)?;
    let set_problems = crate::workspace::sealed::set_problems(&ws).map_err(refuse_stage)?;
    let ready = !roles.is_empty() && roles.iter().all(RoleStatus::complete) && set_problems.is_empty();
    // A workspace made before keys were role-exclusive: say so even with nothing staged.
    let shared = crate::workspace::exclusive_keys::trusted_problems(&ws, &holders).map_err(refuse_stage)?;
    let policy = crate::workspace::policy::in_effect(&ws).map_err(refuse_stage)?;
    if global.json {
        print_json(&serde_json::json!({
            "ready": ready,
            "problems": set_problems,
            "trusted_key_warnings": shared,
            "staged": roles.iter().map(|s| role_json(s, &holders)).collect::<Vec<_>>(),
            "transcript": {"records": head.records, "head": head.hash},
            "policy": policy,
        }));
        return Ok(());
    }
    match summary(&roles, ready) {
        Some(line) => println!("{line}"),
        None => println!("Nothing is staged."),
    }
    for s in roles.iter().filter(|s| !(is_shard(s) && s.complete())) {
        println!("{} version {}: {}", s.role, s.version, if s.complete() { "complete" } else { "NOT complete" });
        println!("  sha256 {}  ({})", hex::encode(s.digest), digest_words(&s.digest).join(" "));
        for (label, r) in &s.thresholds {
            let signed: Vec<String> = r.signed().map(|id| who(id, &holders)).collect();
            let missing: Vec<String> = r.missing().map(|id| who(id, &holders)).collect();
            let state = if r.is_met() { "met" } else { "NOT met" };
            println!("  threshold of {label}: {} signed, {} needed: {state}", r.have, r.threshold);
            if !signed.is_empty() {
                println!("    signed: {}", signed.join(", "));
            }
            if !r.is_met() && !missing.is_empty() {
                println!("    still missing (any {} of): {}", r.threshold - r.have.min(r.threshold), missing.join(", "));
            }
        }
        for p in &s.problems {
            println!("  problem: {p}");
        }
    }
    let sealed = roles.iter().filter(|s| is_shard(s) && s.complete()).count();
    if sealed > 0 {
        println!("{sealed} claimed shard(s): complete, each sealed by the one-time key the staged claimed index pins for it");
    }
    for p in &set_problems {
        println!("problem: {p}");
    }
    for w in &shared {
        println!("WARNING (trusted metadata): {w}.");
    }
    println!("{}", policy.line());
    println!(
        "Ready to export: {}. Transcript: {} records, head {}.",
        if ready { "yes" } else { "no" },
        head.records,
        short_keyid(&head.hash)
    );
    Ok(())
}
