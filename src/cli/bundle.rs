//! `ceremony bundle verify`, `bundle extract` and `bundle export`.

use std::io::BufReader;
use std::path::Path;

use time::OffsetDateTime;

use super::args::TrustArgs;
use super::common::{print_json, Refusal};
use crate::bundle::anchor::{check_anchor, ExpectedAnchor};
use crate::bundle::extract::{extract_verified, ExtractError};
use crate::bundle::published::{check_published, FileStanding, PublishedError, Standing};
use crate::bundle::{read_bundle, verify_bundle, Bundle, BundleReport, FileReport, Limits, NotCarried};
use crate::tuf::limits::{read_limited, MAX_METADATA_FILE};
use crate::tuf::metadata::{Metadata, RoleType};

/// A bundle read and verified, with what was checked beside the signatures.
struct Checked {
    bundle: Bundle,
    report: BundleReport,
    /// The trusted root's SHA-256, when it was checked against the one read out.
    anchor: Option<String>,
    /// Where each file stands against the published repository (`--published`).
    published: Option<Vec<FileStanding>>,
}

/// The trusted root: read once, checked against the digest read out at the ceremony when
/// one was given, then parsed from the same bytes.
fn trusted_root(trust: &TrustArgs) -> Result<(Metadata, Option<String>), Refusal> {
    let path = &trust.trusted_root;
    let expected = match (&trust.trusted_root_sha256, &trust.trusted_root_words) {
        (Some(hex), _) => Some(ExpectedAnchor::sha256(hex)),
        (None, Some(words)) => Some(ExpectedAnchor::words(words)),
        (None, None) => None,
    }
    .transpose()
    .map_err(|e| Refusal::unusable(e.to_string()))?;
    let bytes = read_limited(path, MAX_METADATA_FILE).map_err(|e| {
        Refusal::unusable(format!("cannot read {}: {e}; give --trusted-root a TUF root metadata file you trust", path.display()))
    })?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let anchor = match &expected {
        Some(expected) => {
            check_anchor(&name, &bytes, expected).map_err(|e| Refusal::failed(e.to_string()))?;
            Some(crate::bundle::hex_sha256(&bytes))
        }
        None => None,
    };
    let root = Metadata::from_vec(bytes).map_err(|e| {
        Refusal::unusable(format!("{} is not TUF metadata: {e}; give --trusted-root a TUF root metadata file you trust", path.display()))
    })?;
    if root.role_type() != RoleType::Root {
        return Err(Refusal::unusable(format!(
            "{} is {} metadata, not root metadata; give --trusted-root a root metadata file you trust",
            path.display(),
            root.role_type()
        )));
    }
    Ok((root, anchor))
}

/// Reads `file` as a bundle and verifies it trusting only `--trusted-root`; when it
/// verifies and `--published` is given, checks it against the published repository.
fn read_and_verify(file: &Path, trust: &TrustArgs) -> Result<Checked, Refusal> {
    let (root, anchor) = trusted_root(trust)?;
    if let Some(dir) = &trust.published {
        if !dir.is_dir() {
            return Err(Refusal::unusable(format!(
                "{} is not a directory; give --published the repository's published metadata directory (an empty one before the first import)",
                dir.display()
            )));
        }
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
    let published = match &trust.published {
        Some(dir) if report.ok => Some(check_published(&bundle, dir).map_err(|e| match e {
            PublishedError::Unreadable { .. } | PublishedError::BadFile { .. } => Refusal::unusable(e.to_string()),
            other => Refusal::failed(format!("{}: {other}", file.display())),
        })?),
        _ => None,
    };
    Ok(Checked { bundle, report, anchor, published })
}

/// The refusal for a bundle that was read but does not verify.
fn not_verified(file: &Path, report: &BundleReport) -> Refusal {
    let what = report.first_problem().unwrap_or_else(|| "it does not verify".into());
    Refusal::failed(format!("the bundle {} does not verify: {what}; do not import it", file.display()))
}

/// The JSON of a verification: the report, and what was checked beside it.
fn checked_json(c: &Checked) -> serde_json::Value {
    let mut value = serde_json::to_value(&c.report).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        if let Some(sha) = &c.anchor {
            map.insert("trusted_root_sha256".into(), serde_json::json!(sha));
        }
        if let Some(p) = &c.published {
            map.insert("published".into(), serde_json::to_value(p).unwrap_or_default());
        }
    }
    value
}

/// The text of a verification: the anchor line, the report, where each file stands.
fn checked_text(c: &Checked, trust: &TrustArgs) -> String {
    let mut out = String::new();
    if let Some(sha) = &c.anchor {
        out.push_str(&format!("The trusted root {} has the SHA-256 read out at the ceremony: {sha}.\n", trust.trusted_root.display()));
    }
    out.push_str(&report_text(&c.report));
    if let (Some(standings), Some(dir)) = (&c.published, &trust.published) {
        out.push_str(&published_text(standings, dir));
    }
    out
}

fn published_text(standings: &[FileStanding], dir: &Path) -> String {
    let new = standings.iter().filter(|f| f.standing == Standing::New).count();
    let mut out = format!(
        "Against the published repository {}: {new} file(s) to publish, {} already published; nothing older than what it publishes.\n",
        dir.display(),
        standings.len() - new
    );
    for f in standings {
        let what = match f.standing {
            Standing::New => "to publish",
            Standing::AlreadyPublished => "already published (the same file): nothing to do",
        };
        out.push_str(&format!("  {}: {what}\n", f.path));
    }
    if new == 0 {
        out.push_str("Every file of this bundle is already published: this bundle was imported before.\n");
    }
    out
}

pub(super) fn verify(file: &Path, trust: &TrustArgs, json: bool) -> Result<(), Refusal> {
    let checked = read_and_verify(file, trust)?;
    if json {
        print_json(&checked_json(&checked));
    } else {
        print!("{}", checked_text(&checked, trust));
    }
    if checked.report.ok {
        return Ok(());
    }
    Err(not_verified(file, &checked.report))
}

/// `bundle extract`: verifies exactly as `bundle verify`, then writes the files into `out`.
pub(super) fn extract(file: &Path, trust: &TrustArgs, out: &Path, json: bool) -> Result<(), Refusal> {
    let checked = read_and_verify(file, trust)?;
    if !checked.report.ok {
        if !json {
            print!("{}", checked_text(&checked, trust));
        }
        return Err(not_verified(file, &checked.report));
    }
    let written = extract_verified(&checked.bundle, &checked.report, out).map_err(|e| match e {
        ExtractError::NotVerified(_) => not_verified(file, &checked.report),
        other => Refusal::unusable(other.to_string()),
    })?;
    if json {
        print_json(&serde_json::json!({"dir": out, "files": written, "report": checked_json(&checked)}));
    } else {
        print!("{}", checked_text(&checked, trust));
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
