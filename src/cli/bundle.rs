//! `ceremony bundle verify`.

use std::io::BufReader;
use std::path::Path;

use time::OffsetDateTime;

use super::{print_json, Refusal};
use crate::bundle::{read_bundle, verify_bundle, BundleReport, FileReport, Limits};
use crate::metadata::{Metadata, RoleType};

pub(super) fn verify(file: &Path, trusted_root: &Path, json: bool) -> Result<(), Refusal> {
    let root = Metadata::from_file(trusted_root)
        .map_err(|e| Refusal::unusable(format!("{e}; give --trusted-root a TUF root metadata file you trust")))?;
    if root.role_type() != RoleType::Root {
        return Err(Refusal::unusable(format!(
            "{} is {} metadata, not root metadata; give --trusted-root a root metadata file you trust",
            trusted_root.display(),
            root.role_type()
        )));
    }
    let reader = std::fs::File::open(file)
        .map_err(|e| Refusal::unusable(format!("cannot read {}: {e}; give the path of a bundle file", file.display())))?;
    let bundle = read_bundle(BufReader::new(reader), &Limits::default()).map_err(|e| {
        Refusal::unusable(format!(
            "{} is not a usable bundle: {e}; do not import it, and ask for a fresh copy of the bundle the ceremony exported",
            file.display()
        ))
    })?;
    let report = verify_bundle(&bundle, &root, OffsetDateTime::now_utc());
    if json {
        print_json(&serde_json::to_value(&report).unwrap_or_default());
    } else {
        print!("{}", report_text(&report));
    }
    if report.ok {
        return Ok(());
    }
    let what = report.first_problem().unwrap_or_else(|| "it does not verify".into());
    Err(Refusal::failed(format!(
        "the bundle {} does not verify: {what}; do not import it",
        file.display()
    )))
}

fn file_line(f: &FileReport) -> String {
    let mut line = format!("{} v{}", f.role, f.version);
    if f.new {
        line.push_str(" (new)");
    }
    line.push_str(if f.ok { ": ok" } else { ": REFUSED" });
    let thresholds: Vec<String> = f
        .thresholds
        .iter()
        .map(|t| {
            if t.have <= t.need {
                format!("signed by {} of {} needed {}", t.have, t.need, t.keys_of)
            } else {
                format!("signed by {} {} ({} needed)", t.have, t.keys_of, t.need)
            }
        })
        .collect();
    if !thresholds.is_empty() {
        line.push_str(": ");
        line.push_str(&thresholds.join(", "));
    }
    if let Some(e) = &f.expires {
        line.push_str(&format!("; expires {e}"));
    }
    line.push('\n');
    for p in &f.problems {
        line.push_str(&format!("    problem: {p}\n"));
    }
    for w in &f.warnings {
        line.push_str(&format!("    warning: {w}\n"));
    }
    line
}

fn report_text(r: &BundleReport) -> String {
    let mut out = format!("Bundle written by {}; trusting root version {}.\n", r.tool, r.trusted_root_version);
    for p in &r.problems {
        out.push_str(&format!("problem: {p}\n"));
    }
    for f in &r.files {
        out.push_str(&file_line(f));
    }
    match (&r.transcript.records, &r.transcript.head) {
        (Some(n), Some(h)) => out.push_str(&format!(
            "transcript: {n} records, head {h}: {}\n",
            if r.transcript.ok { "ok" } else { "REFUSED" }
        )),
        _ => out.push_str("transcript: REFUSED\n"),
    }
    for p in &r.transcript.problems {
        out.push_str(&format!("    problem: {p}\n"));
    }
    match (r.ok, r.newest_root_version) {
        (true, Some(v)) => out.push_str(&format!("The bundle verifies: root version {v} and every role under it.\n")),
        _ => out.push_str("The bundle does NOT verify.\n"),
    }
    out
}

pub(super) fn export(global: &super::Global, out: &Path) -> Result<(), Refusal> {
    let ws = super::keys::open(global)?;
    let lock = ws.lock().map_err(super::keys::refuse)?;
    let done = crate::export::export_bundle(&ws, &lock, out, time::OffsetDateTime::now_utc()).map_err(super::stage::refuse_stage)?;
    if global.json {
        super::print_json(&serde_json::json!({
            "bundle": out,
            "sha256": done.sha256,
            "files": done.files.iter().map(|(p, new)| serde_json::json!({"path": p, "new": new})).collect::<Vec<_>>(),
        }));
    } else {
        println!("Wrote {} (sha256 {}):", out.display(), done.sha256);
        for (path, new) in &done.files {
            println!("  {path}{}", if *new { "  (new in this ceremony)" } else { "" });
        }
        println!("The staged versions are now the workspace's trusted versions.");
    }
    Ok(())
}
