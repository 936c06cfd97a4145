//! `ceremony bundle verify`, `bundle extract` and `bundle export`.

use std::io::BufReader;
use std::path::Path;

use time::OffsetDateTime;

use super::common::{print_json, Refusal};
use crate::bundle::extract::{extract_verified, ExtractError};
use crate::bundle::{read_bundle, verify_bundle, Bundle, BundleReport, FileReport, Limits, NotCarried};
use crate::tuf::metadata::{Metadata, RoleType};

/// Reads `file` as a bundle and verifies it trusting only `trusted_root`.
fn read_and_verify(file: &Path, trusted_root: &Path) -> Result<(Bundle, BundleReport), Refusal> {
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
    Ok((bundle, report))
}

/// The refusal for a bundle that was read but does not verify.
fn not_verified(file: &Path, report: &BundleReport) -> Refusal {
    let what = report.first_problem().unwrap_or_else(|| "it does not verify".into());
    Refusal::failed(format!("the bundle {} does not verify: {what}; do not import it", file.display()))
}

pub(super) fn verify(file: &Path, trusted_root: &Path, json: bool) -> Result<(), Refusal> {
    let (_, report) = read_and_verify(file, trusted_root)?;
    if json {
        print_json(&serde_json::to_value(&report).unwrap_or_default());
    } else {
        print!("{}", report_text(&report));
    }
    if report.ok {
        return Ok(());
    }
    Err(not_verified(file, &report))
}

/// `bundle extract`: verifies exactly as `bundle verify`, then writes the files into `out`.
pub(super) fn extract(file: &Path, trusted_root: &Path, out: &Path, json: bool) -> Result<(), Refusal> {
    let (bundle, report) = read_and_verify(file, trusted_root)?;
    if !report.ok {
        if !json {
            print!("{}", report_text(&report));
        }
        return Err(not_verified(file, &report));
    }
    let written = extract_verified(&bundle, &report, out).map_err(|e| match e {
        ExtractError::NotVerified(_) => not_verified(file, &report),
        other => Refusal::unusable(other.to_string()),
    })?;
    if json {
        print_json(&serde_json::json!({"dir": out, "files": written, "report": report}));
    } else {
        print!("{}", report_text(&report));
        println!("Wrote {} files into {}:", written.len(), out.display());
        for name in &written {
            println!("  {name}");
        }
    }
    Ok(())
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

/// At PyPI scale an index delegates to thousands of shards: name a few, count the rest.
fn not_carried_line(d: &NotCarried) -> String {
    const SHOWN: usize = 8;
    let mut names = d.roles.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if d.roles.len() > SHOWN {
        names.push_str(&format!(" and {} more", d.roles.len() - SHOWN));
    }
    format!(
        "{} delegates to {} role(s) this bundle does not carry ({names}); the repository keeps serving them as published (online roles, and offline ones this ceremony did not change)\n",
        d.delegated_by,
        d.roles.len()
    )
}

fn report_text(r: &BundleReport) -> String {
    let mut out = format!("Bundle written by {}; trusting root version {}.\n", r.tool, r.trusted_root_version);
    for p in &r.problems {
        out.push_str(&format!("problem: {p}\n"));
    }
    for f in &r.files {
        out.push_str(&file_line(f));
    }
    for d in &r.not_carried {
        out.push_str(&not_carried_line(d));
    }
    match (&r.transcript.records, &r.transcript.head) {
        (Some(n), Some(h)) => {
            out.push_str(&format!("transcript: {n} records, head {h}: {}\n", if r.transcript.ok { "ok" } else { "REFUSED" }))
        }
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

pub(super) fn export(global: &super::args::Global, out: &Path) -> Result<(), Refusal> {
    let ws = super::common::open(global)?;
    let lock = ws.lock().map_err(super::common::refuse)?;
    let done =
        crate::bundle::export::export_bundle(&ws, &lock, out, time::OffsetDateTime::now_utc()).map_err(super::common::refuse_stage)?;
    if global.json {
        super::common::print_json(&serde_json::json!({
            "bundle": out,
            "sha256": done.sha256,
            "files": done.files.iter().map(|(p, new)| serde_json::json!({"path": p, "new": new})).collect::<Vec<_>>(),
            "trust_anchors": done.anchors.iter().map(|a| serde_json::json!({
                "file": a.file, "version": a.version, "sha256": a.digest.sha256, "words": a.digest.words,
            })).collect::<Vec<_>>(),
        }));
    } else {
        println!("Wrote {} (sha256 {}):", out.display(), done.sha256);
        for (path, new) in &done.files {
            println!("  {path}{}", if *new { "  (new in this ceremony)" } else { "" });
        }
        println!("The staged versions are now the workspace's trusted versions.");
        for a in &done.anchors {
            println!();
            println!("{}:", a.label());
            println!("  {}", a.digest.sha256);
            println!("  words: {}", a.digest.spoken());
            println!(
                "Read both aloud and write them on the paper record: the online side types them to check the {} it trusts (bundle extract --trusted-root-sha256).",
                a.file
            );
        }
    }
    Ok(())
}
