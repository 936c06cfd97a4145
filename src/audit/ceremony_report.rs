//! The printable record of one ceremony (`ceremony report`, the default; `--all` gives the
//! whole history, [`crate::audit::report`]): its purpose, date, place and machine, who attended and
//! who signed, what was staged, signed and handed over (bundle name and SHA-256), the
//! tamper-evident bag numbers, its part of the transcript, and a signature line for each
//! person present. Rendered with the whole-history report's escaping and A4 layout.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::audit::ceremonies::{self, Ceremony, BUNDLE_WRITTEN};
use crate::audit::report::{escape, hex_id, page, signature_lines, signed_digests, time_cell, transcript_table, SignedDigest};
use crate::keys::holder::person_of;
use crate::tuf::datetime::format_expires;
use crate::workspace::role_digest::{anchor_label, recorded_root_file_digest};
use crate::workspace::transcript::{Head, Record};
use crate::workspace::{Workspace, WorkspaceError};

/// Why there is no record of the ceremony asked for.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyReportError {
    #[error("the transcript holds no ceremony yet")]
    NoCeremony,
    #[error("the transcript holds {count} ceremon{}; choose --ceremony 1 to {count}, or --all for the whole history", if *count == 1 { "y" } else { "ies" })]
    NoSuchCeremony { asked: usize, count: usize },
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

/// How the ceremony was delimited, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimited {
    /// `ceremony begin` … `ceremony end`.
    Ended,
    /// Begun, not ended yet.
    InProgress,
    /// No markers: from the record after the previous ceremony to a bundle export.
    Export,
    /// No markers and no export yet.
    Unmarked,
}

/// Someone who signed in this ceremony, with the records (keys) used.
#[derive(Debug, Clone)]
pub struct Signer {
    pub person: String,
    /// "alice.claimed on YubiKey serial 123, slot 9c" per record used.
    pub keys: Vec<String>,
    /// Signed on this machine (a `sign` record), not only imported from another.
    pub here: bool,
}

/// A role version staged or made trusted in this ceremony.
#[derive(Debug, Clone)]
pub struct RoleLine {
    pub seq: u64,
    pub role: String,
    pub version: Option<u64>,
    pub digest: Option<String>,
    pub detail: Option<String>,
    /// For a root made trusted: the SHA-256 of its whole file, the trust anchor read aloud.
    pub file_sha256: Option<String>,
}

/// A bundle exported in this ceremony.
#[derive(Debug, Clone)]
pub struct BundleLine {
    pub seq: u64,
    /// The path it was written to, as given to `bundle export`.
    pub file: String,
    /// Recorded once it was written; `None` for bundles exported by an older Ceremony.
    pub sha256: Option<String>,
    pub files: Option<String>,
}

/// The record of one ceremony.
#[derive(Debug, Clone)]
pub struct CeremonyReport {
    pub number: usize,
    pub of: usize,
    pub delimited: Delimited,
    pub purpose: Option<String>,
    pub place: Option<String>,
    pub began: String,
    pub last: String,
    pub attendees: Vec<String>,
    pub machine_sha256: Option<String>,
    pub preflight: Vec<String>,
    /// The tool versions its records were written by.
    pub tools: Vec<String>,
    pub signers: Vec<Signer>,
    pub staged: Vec<RoleLine>,
    pub signed: Vec<SignedDigest>,
    pub trusted: Vec<RoleLine>,
    pub bundles: Vec<BundleLine>,
    pub bags: Vec<String>,
    pub records: Vec<Record>,
    /// The whole transcript's head, to compare with the screen.
    pub head: Head,
    /// The transcript's head after this ceremony's last record (its `end`, or the export
    /// that closed it), for the paper record: the next `begin` asks for it. `None` while open.
    pub closing: Option<Head>,
    /// The previous ceremony's closing head, typed from its paper record and checked at `begin`.
    pub previous: Option<Head>,
    /// One signature line each: attendees, then everyone who signed here.
    pub present: Vec<String>,
    pub generated: String,
    pub tool: String,
    pub binary_sha256: Option<String>,
    pub workspace: String,
}

/// Which ceremony: `None` for the latest.
pub fn pick(all: &[Ceremony], asked: Option<usize>) -> Result<&Ceremony, CeremonyReportError> {
    match asked {
        None => all.last().ok_or(CeremonyReportError::NoCeremony),
        Some(n) => all.get(n.wrapping_sub(1)).ok_or(CeremonyReportError::NoSuchCeremony { asked: n, count: all.len() }),
    }
}

fn signers(records: &[Record]) -> Vec<Signer> {
    let mut out: Vec<Signer> = Vec::new();
    for r in records.iter().filter(|r| matches!(r.action.action.as_str(), "sign" | "signature-import")) {
        let Some(holder) = &r.action.holder else { continue };
        let here = r.action.action == "sign";
        let key = match (&r.action.device, here) {
            (Some(d), true) => format!("{holder} on {d}"),
            (_, true) => holder.clone(),
            (_, false) => format!("{holder}, signed on another machine and imported"),
        };
        let person = person_of(holder).to_string();
        match out.iter_mut().find(|s| s.person == person) {
            Some(s) => {
                s.here |= here;
                if !s.keys.contains(&key) {
                    s.keys.push(key);
                }
            }
            None => out.push(Signer { person, keys: vec![key], here }),
        }
    }
    out
}

fn role_line(r: &Record) -> RoleLine {
    RoleLine {
        seq: r.seq,
        role: r.action.role.clone().unwrap_or_default(),
        version: r.action.version,
        digest: r.action.digest.clone(),
        detail: r.action.detail.clone(),
        file_sha256: r.action.file_sha256.clone(),
    }
}

fn bundles(records: &[Record]) -> Vec<BundleLine> {
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if r.action.action != "bundle-export" {
            continue;
        }
        let detail = r.action.detail.clone().unwrap_or_default();
        // Older records say only "N files to PATH".
        let (files, path) = match detail.split_once(" to ") {
            Some((files, path)) => (Some(files.to_string()), path.to_string()),
            None => (None, detail),
        };
        let written = records.get(i + 1).filter(|w| w.action.action == BUNDLE_WRITTEN);
        out.push(BundleLine {
            seq: r.seq,
            file: written.and_then(|w| w.action.detail.clone()).unwrap_or(path),
            sha256: written.and_then(|w| w.action.digest.clone()),
            files,
        });
    }
    out
}

/// Everyone present: the attendees as recorded, then each person who signed here and is
/// not among them (names compared without regard to case).
fn present(attendees: &[String], signers: &[Signer]) -> Vec<String> {
    let mut out = attendees.to_vec();
    for s in signers.iter().filter(|s| s.here) {
        if !out.iter().any(|a| a.eq_ignore_ascii_case(&s.person)) {
            out.push(s.person.clone());
        }
    }
    out
}

impl CeremonyReport {
    /// The record of ceremony `asked` (the latest when `None`). Refuses when the transcript's
    /// chain does not verify, as the whole-history report does.
    pub fn build(
        ws: &Workspace,
        asked: Option<usize>,
        now: OffsetDateTime,
        binary_sha256: Option<String>,
    ) -> Result<CeremonyReport, CeremonyReportError> {
        let transcript = ws.transcript()?;
        let all = ceremonies::split(&transcript);
        let c = pick(&all, asked)?;
        let records = &transcript[c.records.clone()];
        let opening = c.opening(&transcript).cloned().unwrap_or_default();
        let delimited = match (c.begin.is_some(), c.closed) {
            (true, true) => Delimited::Ended,
            (true, false) => Delimited::InProgress,
            (false, true) => Delimited::Export,
            (false, false) => Delimited::Unmarked,
        };
        let mut tools: Vec<String> = Vec::new();
        for r in records {
            if !tools.contains(&r.tool) {
                tools.push(r.tool.clone());
            }
        }
        let signers = signers(records);
        let signed = signed_digests(records);
        let of_kind = |kind: &str| records.iter().filter(|r| r.action.action == kind).map(role_line).collect::<Vec<_>>();
        Ok(CeremonyReport {
            number: c.number,
            of: all.len(),
            delimited,
            purpose: opening.purpose,
            place: opening.place,
            began: records.first().map(|r| r.time.clone()).unwrap_or_default(),
            last: records.last().map(|r| r.time.clone()).unwrap_or_default(),
            present: present(&c.attendees(&transcript), &signers),
            attendees: c.attendees(&transcript),
            machine_sha256: opening.binary_sha256,
            preflight: opening.preflight,
            tools,
            signers,
            staged: of_kind("stage"),
            signed,
            trusted: of_kind("trust"),
            bundles: bundles(records),
            bags: c.bags(&transcript).to_vec(),
            records: records.to_vec(),
            head: crate::workspace::transcript::head(&transcript),
            closing: ceremonies::closing_head(&transcript, c),
            previous: opening.previous_head.clone(),
            generated: format_expires(now),
            tool: format!("ceremony {}", crate::support::buildinfo::VERSION),
            binary_sha256,
            workspace: ws.dir().display().to_string(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// HTML

/// Renders the record as one self-contained HTML page for A4.
pub fn render_html(r: &CeremonyReport) -> String {
    let title = format!("Record of ceremony {}, {}", r.number, escape(&r.began));
    page(&title, 32 * 1024, |h| {
        summary(h, r);
        people(h, r);
        signed(h, r);
        handed_over(h, r);
        h.push_str("<h2>This ceremony's transcript</h2>\n");
        let _ = writeln!(
            h,
            "<p class=\"small\">Records {} to {} of the workspace's hash-chained transcript; \
             each record's hash covers the one before it.</p>",
            r.records.first().map_or(0, |x| x.seq),
            r.records.last().map_or(0, |x| x.seq)
        );
        transcript_table(h, &r.records);
        sign_off(h, r);
    })
}

fn row(h: &mut String, k: &str, v: &str) {
    let _ = writeln!(h, "<tr><td>{}</td><td>{v}</td></tr>", escape(k));
}

fn or_unrecorded(v: &Option<String>) -> String {
    match v {
        Some(x) => escape(x),
        None => "<span class=\"small\">not recorded (the ceremony was not begun with <code>ceremony begin</code>)</span>".into(),
    }
}

fn summary(h: &mut String, r: &CeremonyReport) {
    let _ = writeln!(h, "<h1>Record of ceremony {} (of {})</h1>\n<table class=\"summary\">", r.number, r.of);
    row(h, "Purpose", &or_unrecorded(&r.purpose));
    row(h, "Place", &or_unrecorded(&r.place));
    let state = match r.delimited {
        Delimited::Ended => "ended with <code>ceremony end</code>".to_string(),
        Delimited::InProgress => "<span class=\"bad\">in progress: not ended yet</span>".to_string(),
        Delimited::Export => "no <code>ceremony begin</code>/<code>end</code>: taken to end with its bundle export".to_string(),
        Delimited::Unmarked => "<span class=\"bad\">in progress: no bundle exported yet</span>".to_string(),
    };
    row(h, "Date", &format!("{} to {}<br><span class=\"small\">{state}</span>", time_cell(&r.began), time_cell(&r.last)));
    let machine = match &r.machine_sha256 {
        Some(s) => format!("{}<br><span class=\"small\">SHA-256 of the ceremony binary, recorded at its beginning</span>", hex_id(s)),
        None => "<span class=\"small\">binary SHA-256 not recorded (no <code>ceremony begin</code>)</span>".into(),
    };
    let tools: Vec<String> = r.tools.iter().map(|t| escape(t)).collect();
    row(h, "Machine", &format!("{machine}<br><span class=\"small\">records written by {}</span>", tools.join(", ")));
    row(h, "Preflight", &preflight_cell(&r.preflight));
    row(
        h,
        "Transcript",
        &format!(
            "this ceremony: records {} to {}<br>whole transcript: {} records, last hash {}",
            r.records.first().map_or(0, |x| x.seq),
            r.records.last().map_or(0, |x| x.seq),
            r.head.records,
            hex_id(&r.head.hash)
        ),
    );
    row(h, "Closing head", &closing_cell(r.closing.as_ref()));
    if let Some(p) = &r.previous {
        row(
            h,
            "Previous closing head",
            &format!(
                "record {}, {}<br><span class=\"small\">typed from the previous ceremony's paper record at <code>ceremony begin</code>; it matched this workspace</span>",
                p.records,
                hex_id(&p.hash)
            ),
        );
    }
    let report_binary = match &r.binary_sha256 {
        Some(s) => hex_id(s),
        None => "binary SHA-256 could not be read".into(),
    };
    row(
        h,
        "This page",
        &format!(
            "written {} by {}, {report_binary}<br>workspace <span class=\"id\">{}</span>",
            escape(&r.generated),
            escape(&r.tool),
            escape(&r.workspace)
        ),
    );
    h.push_str("</table>\n");
}

fn preflight_cell(lines: &[String]) -> String {
    if lines.is_empty() {
        return "<span class=\"small\">no preflight recorded in this ceremony</span>".into();
    }
    let mut out = String::from("<span class=\"small\">at <code>ceremony begin</code>, on this machine:</span>");
    for l in lines {
        let class = if l.starts_with("fail") { "bad" } else { "small" };
        let _ = write!(out, "<br><span class=\"{class}\">{}</span>", escape(l));
    }
    out
}

fn people(h: &mut String, r: &CeremonyReport) {
    h.push_str("<h2>Who was there, who signed</h2>\n");
    if r.attendees.is_empty() {
        h.push_str("<p>Attendees: <span class=\"small\">not recorded</span></p>\n");
    } else {
        let _ = writeln!(h, "<p>Attendees: {}</p>", escape(&r.attendees.join("; ")));
    }
    if r.signers.is_empty() {
        h.push_str("<p>Nobody signed in this ceremony.</p>\n");
        return;
    }
    h.push_str(
        "<table>\n<colgroup><col style=\"width:22%\"><col style=\"width:78%\"></colgroup>\n\
         <thead><tr><th>signer</th><th>keys used</th></tr></thead>\n<tbody>\n",
    );
    for s in &r.signers {
        let keys: Vec<String> = s.keys.iter().map(|k| escape(k)).collect();
        let _ = writeln!(h, "<tr><td>{}</td><td class=\"small\">{}</td></tr>", escape(&s.person), keys.join("<br>"));
    }
    h.push_str("</tbody>\n</table>\n");
}

fn role_version(role: &str, version: Option<u64>) -> String {
    format!("{}{}", escape(role), version.map(|v| format!(" v{v}")).unwrap_or_default())
}

fn signed(h: &mut String, r: &CeremonyReport) {
    h.push_str("<h2>What was staged and signed</h2>\n");
    if !r.staged.is_empty() {
        h.push_str("<p>Staged:</p>\n<ul>\n");
        for s in &r.staged {
            let detail = s.detail.as_deref().map(|d| format!(": {}", escape(d))).unwrap_or_default();
            let _ = writeln!(h, "<li>#{} {}{detail}</li>", s.seq, role_version(&s.role, s.version));
        }
        h.push_str("</ul>\n");
    }
    if r.signed.is_empty() {
        h.push_str("<p>No signature was made or imported in this ceremony.</p>\n");
        return;
    }
    h.push_str(
        "<p class=\"small\">Each digest is the SHA-256 of the role's signed part (the canonical bytes of its \
         <code>signed</code> value), the bytes the signature covers. The words are the ones <code>ceremony sign</code> \
         showed for those bytes and the signer read aloud; every signer of one role version saw the same.</p>\n\
         <table>\n<colgroup><col style=\"width:5%\"><col style=\"width:19%\"><col style=\"width:15%\">\
         <col style=\"width:33%\"><col style=\"width:28%\"></colgroup>\n\
         <thead><tr><th>#</th><th>holder</th><th>role</th><th>SHA-256 of the signed part</th><th>words read</th></tr></thead>\n<tbody>\n",
    );
    for s in &r.signed {
        let how = if s.action == "sign" {
            String::new()
        } else {
            "<br><span class=\"small\">imported: signed on another machine</span>".to_string()
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}{how}</td><td>{}</td><td>{}</td><td class=\"words\">{}</td></tr>",
            s.seq,
            escape(&s.holder),
            role_version(&s.role, s.version),
            hex_id(&s.digest),
            escape(&s.words.join(" ")),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn handed_over(h: &mut String, r: &CeremonyReport) {
    h.push_str("<h2>Handed over</h2>\n");
    if r.trusted.is_empty() {
        h.push_str("<p>No role became trusted in this ceremony.</p>\n");
    } else {
        let roles: Vec<String> = r.trusted.iter().map(|t| role_version(&t.role, t.version)).collect();
        let _ = writeln!(h, "<p>Became trusted: {}</p>", roles.join(", "));
    }
    trust_anchors(h, r);
    if r.bundles.is_empty() {
        h.push_str("<p>No bundle was exported in this ceremony.</p>\n");
    } else {
        h.push_str(
            "<table>\n<colgroup><col style=\"width:5%\"><col style=\"width:45%\"><col style=\"width:50%\"></colgroup>\n\
             <thead><tr><th>#</th><th>bundle file</th><th>SHA-256 of the file</th></tr></thead>\n<tbody>\n",
        );
        for b in &r.bundles {
            let sha = match &b.sha256 {
                Some(s) => hex_id(s),
                None => "<span class=\"small\">not recorded (exported by an older Ceremony): run <code>sha256sum</code> on the file</span>"
                    .into(),
            };
            let files = b.files.as_deref().map(|f| format!("<br><span class=\"small\">{}</span>", escape(f))).unwrap_or_default();
            let _ = writeln!(h, "<tr><td>{}</td><td><span class=\"id\">{}</span>{files}</td><td>{sha}</td></tr>", b.seq, escape(&b.file));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    if r.bags.is_empty() {
        let why = if r.delimited == Delimited::Ended {
            "none were entered at <code>ceremony end</code>"
        } else {
            "entered at <code>ceremony end</code>"
        };
        let _ = writeln!(h, "<p>Tamper-evident bags: <span class=\"small\">none recorded ({why})</span></p>");
    } else {
        let bags: Vec<String> = r.bags.iter().map(|b| format!("<span class=\"id\">{}</span>", escape(b))).collect();
        let _ = writeln!(h, "<p>Tamper-evident bags: {}</p>", bags.join(", "));
    }
}

/// Each new root's file digest and words, as read aloud: the online side types them to check
/// the root it trusts, so the paper must hold them.
fn trust_anchors(h: &mut String, r: &CeremonyReport) {
    for t in r.trusted.iter().filter(|t| t.role == "root") {
        let version = t.version.unwrap_or_default();
        let label = escape(&anchor_label(version));
        match t.file_sha256.as_deref().and_then(|sha| recorded_root_file_digest(version, sha)) {
            Some(d) => {
                let _ = writeln!(
                    h,
                    "<p>{label}: {}<br>words: <span class=\"words\">{}</span><br>\
                     <span class=\"small\">Read aloud at the export; the online side checks the root it trusts against it.</span></p>",
                    hex_id(&d.sha256),
                    escape(&d.spoken()),
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<p>{label}: <span class=\"small\">not recorded (exported by an older Ceremony): run <code>sha256sum</code> on the file</span></p>"
                );
            }
        }
    }
}

/// The closing head with its words, or why there is none yet.
fn closing_cell(closing: Option<&Head>) -> String {
    match closing {
        Some(c) => format!(
            "record {}, {}<br>words: <b>{}</b><br><span class=\"small\">the transcript's head after this ceremony's last record; \
             the next <code>ceremony begin</code> asks for it from this paper</span>",
            c.records,
            hex_id(&c.hash),
            escape(&ceremonies::head_words(&c.hash))
        ),
        None => "<span class=\"bad\">not closed yet: <code>ceremony end</code> prints it</span>".to_string(),
    }
}

fn sign_off(h: &mut String, r: &CeremonyReport) {
    h.push_str(
        "<h2>Signed by the people present</h2>\n<div class=\"keep\">\n<p class=\"small\">Each person present checks \
                that this record matches the screen (transcript head above, bundle SHA-256, bag numbers) and signs.</p>\n",
    );
    if r.present.is_empty() {
        h.push_str("<p>No attendee or signer was recorded for this ceremony.</p>\n</div>\n");
        return;
    }
    signature_lines(h, r.present.iter().map(String::as_str), 0);
    h.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_texts_are_escaped() {
        let evil = "<img src=x onerror=alert(1)>\u{202E}";
        let r = CeremonyReport {
            number: 1,
            of: 1,
            delimited: Delimited::Ended,
            purpose: Some(evil.into()),
            place: Some(evil.into()),
            began: evil.into(),
            last: evil.into(),
            attendees: vec![evil.into()],
            machine_sha256: Some(evil.into()),
            preflight: vec![evil.into()],
            tools: vec![evil.into()],
            signers: vec![Signer { person: evil.into(), keys: vec![evil.into()], here: true }],
            staged: vec![RoleLine {
                seq: 1,
                role: evil.into(),
                version: None,
                digest: None,
                detail: Some(evil.into()),
                file_sha256: Some(evil.into()),
            }],
            signed: Vec::new(),
            trusted: Vec::new(),
            bundles: vec![BundleLine { seq: 2, file: evil.into(), sha256: Some(evil.into()), files: Some(evil.into()) }],
            bags: vec![evil.into()],
            records: Vec::new(),
            head: Head { records: 0, hash: evil.into() },
            closing: Some(Head { records: 0, hash: evil.into() }),
            previous: Some(Head { records: 0, hash: evil.into() }),
            present: vec![evil.into()],
            generated: evil.into(),
            tool: evil.into(),
            binary_sha256: None,
            workspace: evil.into(),
        };
        let html = render_html(&r);
        assert!(!html.contains("<img"), "expected {:?} not to contain {:?}", html, "<img");
        assert!(!html.contains('\u{202E}'), "expected {:?} not to contain {:?}", html, '\u{202E}');
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;[U+202E]"),
            "expected {:?} to contain {:?}",
            html,
            "&lt;img src=x onerror=alert(1)&gt;[U+202E]"
        );
    }

    #[test]
    fn present_is_attendees_then_local_signers() {
        let s = |p: &str, here| Signer { person: p.into(), keys: Vec::new(), here };
        let got = present(&["Alice".into(), "Dana (auditor)".into()], &[s("alice", true), s("bob", true), s("erin", false)]);
        assert_eq!(got, ["Alice", "Dana (auditor)", "bob"]);
    }
}
