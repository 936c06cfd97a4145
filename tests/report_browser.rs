//! `ceremony report` rendered in a real headless Chromium: the PDF it prints on A4 holds
//! the holders, keyids, role names, versions, digest words and transcript head; nothing
//! overflows the A4 printable width; hostile strings from metadata and the transcript stay
//! text. The workspace comes from the CLI (init, passphrase keys, key import, root init,
//! sign, bundle export), plus PEP 480 metadata (targets → claimed → claimed-N shards →
//! project roles) written through the workspace API as a later ceremony would leave it.
//!
//! Chromium and poppler-utils are installed by `scripts/browser-env.sh` when missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::key::{Algorithm, Key};
use ceremony::tuf::metadata::Metadata;
use ceremony::workspace::Workspace;
use common::workspace::Setup;
use common::{ceremony, ok, repo_root};
use serde_json::{json, Value};

/// A holder name of the maximum length, without a break opportunity, to stress wrapping.
const LONG_HOLDER: &str = "h234567890123456789012345678901234567890123456789012345678901234";
/// A project role name that tries to inject markup and reverse the text after it.
const HOSTILE_ROLE: &str = "<script>alert(1)</script>\u{202E}evil";
/// A bundle file name that tries to inject markup into the transcript's detail.
const HOSTILE_BUNDLE: &str = "x\"><img src=x onerror=alert(1)>.tar";
/// Project roles delegated by the big shard: far more than the tree draws.
const BIG_SHARD: usize = 1000;

fn chromium_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/browser-env.sh"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run scripts/browser-env.sh");
        assert!(out.status.success(), "scripts/browser-env.sh failed: {}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string())
    })
}

/// Runs headless Chromium with the flags an offline machine needs, a fresh profile, and a
/// time limit (a stalled browser fails the test instead of hanging it).
fn chromium(args: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("180")
        .arg(chromium_path())
        .args([
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("start chromium");
    assert!(out.status.success(), "chromium {args:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

fn tool(name: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| panic!("run {name}: {e}"));
    assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn key_json(key: &Key) -> Value {
    serde_json::from_slice(&key.to_json_text()).unwrap()
}

/// The file bytes of unsigned targets metadata delegating to `roles` (name, keys, threshold, paths).
fn targets_file(version: u64, keys: &[&Key], roles: &[(String, Vec<&Key>, u64, Vec<String>)]) -> Vec<u8> {
    let mut key_map = serde_json::Map::new();
    for k in keys {
        key_map.insert(k.keyid().to_string(), key_json(k));
    }
    let roles: Vec<Value> = roles
        .iter()
        .map(|(name, ks, threshold, paths)| {
            json!({
                "name": name,
                "keyids": ks.iter().map(|k| k.keyid()).collect::<Vec<_>>(),
                "threshold": threshold,
                "terminating": true,
                "paths": paths,
            })
        })
        .collect();
    let signed = json!({
        "_type": "targets",
        "spec_version": "1.0.31",
        "version": version,
        "expires": "2030-01-01T00:00:00Z",
        "targets": {},
        "delegations": {"keys": key_map, "roles": roles},
    });
    let bytes = ceremony::tuf::canonical::to_canonical(&signed).unwrap();
    Metadata::from_signed(bytes).unwrap().to_bytes()
}

fn project_paths(name: &str) -> Vec<String> {
    vec![format!("packages/*/*/*/{name}-*"), format!("simple/{name}/*")]
}

struct Fixture {
    _tmp: tempfile::TempDir,
    ws: PathBuf,
    files: PathBuf,
    /// The words each signer read aloud for root version 1.
    root_words: Vec<String>,
}

fn fixture() -> Fixture {
    let st = Setup::with_holders(&["alice", "bob", "carol", LONG_HOLDER]);
    let online_key = st.import_online("online");
    st.root_init(&format!("alice,bob,carol,{LONG_HOLDER}"), "2", "alice,bob");
    let status: Value = serde_json::from_str(&ok(&st.ws, &["status", "--json"])).unwrap();
    let root_words: Vec<String> =
        status["staged"][0]["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect();
    assert_eq!(root_words.len(), 6);
    for h in ["alice", LONG_HOLDER] {
        st.sign(h);
    }
    ok(&st.ws, &["bundle", "export", "--out", st.files.join(HOSTILE_BUNDLE).to_str().unwrap()]);

    // PEP 480 metadata as a later ceremony leaves it: targets → claimed → shards → projects.
    let w = Workspace::open(&st.ws).unwrap();
    let holder = |n: &str| w.holder(n).unwrap().key;
    let (alice, bob) = (holder("alice"), holder("bob"));
    let developers: Vec<Key> = (0..3).map(|_| SoftwareSigner::generate(Algorithm::EcdsaP256).public_key().clone()).collect();
    let dev: Vec<&Key> = developers.iter().collect();
    let targets = targets_file(
        1,
        &[&alice, &bob, &online_key],
        &[
            ("claimed".into(), vec![&alice, &bob], 2, vec!["packages/*/*/*/*".into(), "simple/*/*".into()]),
            ("recently-claimed".into(), vec![&online_key], 1, vec!["packages/*/*/*/*".into()]),
            ("unclaimed".into(), vec![&online_key], 1, vec!["packages/*/*/*/*".into()]),
        ],
    );
    let shards = |n: usize| -> Vec<(String, Vec<&Key>, u64, Vec<String>)> {
        (0..n).map(|i| (format!("claimed-{i}"), vec![&alice, &bob], 2, vec![format!("packages/*/*/*/{i}*")])).collect()
    };
    let claimed_v1 = targets_file(1, &[&alice, &bob], &shards(4));
    let claimed_v2 = targets_file(2, &[&alice, &bob], &shards(5));
    let mut big: Vec<(String, Vec<&Key>, u64, Vec<String>)> = vec![(HOSTILE_ROLE.into(), vec![dev[0]], 1, project_paths("evil"))];
    big.extend((1..BIG_SHARD).map(|i| {
        let name = format!("proj-{i:04}");
        (name.clone(), vec![dev[i % 3]], 1, project_paths(&name))
    }));
    let shard0 = targets_file(1, &dev, &big);
    let small: Vec<(String, Vec<&Key>, u64, Vec<String>)> =
        (0..5).map(|i| (format!("small-{i}"), vec![dev[0], dev[1]], 2, project_paths(&format!("small-{i}")))).collect();
    let shard1 = targets_file(1, &dev, &small);
    // Signed as their delegators require and recorded as an export records them: a workspace
    // believes no trusted file without both.
    let signers: Vec<ceremony::keys::signer::passphrase::PassphraseSigner> = ["alice", "bob"]
        .iter()
        .map(|h| {
            let pass = ceremony::support::secret::SecretBytes::new(format!("{h} keeps seven quiet granite teapots").into_bytes());
            let params = ceremony::keys::signer::passphrase::Profile::Test.params();
            ceremony::keys::signer::passphrase::PassphraseSigner::derive(&pass, h, &params).unwrap()
        })
        .collect();
    let lock = w.lock().unwrap();
    let mut tx = w.begin(&lock).unwrap();
    for (role, bytes) in [("targets", &targets), ("claimed", &claimed_v1), ("claimed-0", &shard0), ("claimed-1", &shard1)] {
        let mut md = Metadata::from_vec(bytes.clone()).unwrap();
        for s in &signers {
            use ceremony::keys::signer::Signer;
            md.set_signature(s.sign(&md.signed_bytes()).unwrap());
        }
        common::workspace::trust_as_an_export_does(&mut tx, role, &md);
    }
    // Staged as ceremony stages, with the digest that ties it to what was staged.
    let staged_claimed = Metadata::from_vec(claimed_v2).unwrap();
    let version = staged_claimed.version();
    let files = ceremony::workspace::staging::write_staged(&mut tx, &[("claimed".into(), staged_claimed)]).unwrap();
    let stage = ceremony::workspace::transcript::Action {
        action: "stage".into(),
        role: Some("claimed".into()),
        version: Some(version),
        files,
        ..Default::default()
    };
    tx.record(stage).unwrap();
    tx.commit().unwrap();
    drop(lock);
    Fixture { _tmp: st._tmp, ws: st.ws, files: st.files, root_words }
}

/// Text with every whitespace character removed, so words and keyids wrapped across lines
/// by the layout still match.
fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A script the test adds to a copy of the page (the report itself has none): it writes into
/// the DOM whether anything sticks out of the viewport or scrolls inside a table cell.
const OVERFLOW_PROBE: &str = r#"<script>
(function () {
  var vw = document.documentElement.clientWidth, bad = [];
  var all = document.body.getElementsByTagName('*');
  for (var i = 0; i < all.length; i++) {
    var e = all[i], r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 0.5) bad.push(e.tagName + '.' + e.className + ' right ' + r.right);
    if (/^(TABLE|TD|TH|PRE|UL|LI)$/.test(e.tagName) && e.scrollWidth > e.clientWidth + 1)
      bad.push(e.tagName + ' scrolls ' + e.scrollWidth + '>' + e.clientWidth);
  }
  if (document.documentElement.scrollWidth > vw) bad.push('page ' + document.documentElement.scrollWidth + '>' + vw);
  var d = document.createElement('div');
  d.id = 'overflow-probe';
  d.textContent = 'width=' + vw + ' ' + (bad.length ? 'OVERFLOW ' + bad.slice(0, 10).join(' | ') : 'FITS');
  document.body.appendChild(d);
})();
</script>"#;

fn probe_at(html: &str, dir: &Path, width: u32) -> String {
    // The page's policy forbids scripts; the probe copy drops that one line.
    let start = html.find("<meta http-equiv=\"Content-Security-Policy\"").expect("the report sets a CSP");
    let end = start + html[start..].find('>').unwrap() + 1;
    let probed = format!("{}{}", &html[..start], &html[end..]).replace("</body>", &format!("{OVERFLOW_PROBE}</body>"));
    let path = dir.join(format!("probe-{width}.html"));
    std::fs::write(&path, probed).unwrap();
    let out = chromium(&[format!("--window-size={width},1000"), "--dump-dom".into(), format!("file://{}", path.display())]);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let at = dom.find("id=\"overflow-probe\">").unwrap_or_else(|| panic!("the probe did not run: {dom}"));
    let rest = &dom[at + "id=\"overflow-probe\">".len()..];
    rest[..rest.find("</div>").unwrap()].to_string()
}

#[test]
fn report_prints_on_a4_with_everything_in_it() {
    let f = fixture();
    let out_path = f.files.join("record.html");
    let said = ok(&f.ws, &["report", "--all", "--out", out_path.to_str().unwrap()]);
    assert!(said.contains("Wrote the record of the whole history"), "{said}");
    let html = std::fs::read_to_string(&out_path).unwrap();

    // Self-contained and inert: no script, no external resource, hostile strings escaped.
    for banned in ["<script", "<img", "<link", "<iframe", "url(", "@import", "http://", "https://", "\u{202E}"] {
        assert!(!html.contains(banned), "the report contains {banned:?}");
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;[U+202E]evil"),
        "expected {:?} to contain {:?}",
        html,
        "&lt;script&gt;alert(1)&lt;/script&gt;[U+202E]evil"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "expected {:?} to contain {:?}",
        html,
        "&lt;img src=x onerror=alert(1)&gt;"
    );
    assert!(html.contains("@page { size: A4; margin: 15mm }"), "expected {:?} to contain {:?}", html, "@page { size: A4; margin: 15mm }");
    // The big shard is counted, not drawn in full.
    assert!(
        html.contains(&format!("… and {} more delegations not drawn ({BIG_SHARD} in all)", BIG_SHARD - 20)),
        "cap: expected {:?} to contain {:?}",
        html,
        &format!("… and {} more delegations not drawn ({BIG_SHARD} in all)", BIG_SHARD - 20)
    );
    assert!(html.contains("proj-0019"), "the first 20 project roles are named: expected {:?} to contain {:?}", html, "proj-0019");
    assert!(!html.contains("proj-0020"), "the first 20 project roles are named: expected {:?} not to contain {:?}", html, "proj-0020");

    // (a) Printed to PDF on A4 with everything a record must show.
    let pdf = f.files.join("record.pdf");
    chromium(&["--no-pdf-header-footer".into(), format!("--print-to-pdf={}", pdf.display()), format!("file://{}", out_path.display())]);
    if let Some(keep) = std::env::var_os("CEREMONY_KEEP_REPORT") {
        // For looking at the result by eye: CEREMONY_KEEP_REPORT=/tmp/record cargo test --test report_browser
        std::fs::copy(&pdf, PathBuf::from(&keep).with_extension("pdf")).unwrap();
        std::fs::copy(&out_path, PathBuf::from(&keep).with_extension("html")).unwrap();
    }
    let info = tool("pdfinfo", &[pdf.as_os_str()]);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo: {info}"));
    assert!(pages >= 1, "{info}");
    assert!(info.contains("(A4)"), "not A4: {info}");
    // -raw keeps the text in the order it was drawn, cell by cell, so a keyid wrapped inside
    // its cell is not interleaved with the cells beside it.
    let text = tool("pdftotext", &[std::ffi::OsStr::new("-raw"), pdf.as_os_str(), std::ffi::OsStr::new("-")]);
    let flat = compact(&text);
    let w = Workspace::open(&f.ws).unwrap();
    let holders = w.holders().unwrap();
    assert_eq!(holders.len(), 5);
    for h in &holders {
        assert!(flat.contains(&h.name), "holder {} missing from the PDF", h.name);
        assert!(flat.contains(h.key.keyid()), "keyid of {} missing from the PDF", h.name);
    }
    for role in [
        "root", "targets", "snapshot", "timestamp", "claimed", "recently-claimed", "unclaimed", "claimed-0", "claimed-1", "claimed-4",
        "small-4", "proj-0001", "proj-0019",
    ] {
        assert!(flat.contains(role), "role {role} missing from the PDF");
    }
    for held in ["trustedv1", "stagedv2"] {
        assert!(flat.contains(held), "{held} missing from the PDF");
    }
    assert!(
        flat.contains("[U+202E]evil"),
        "the hostile role name is shown, neutralised: expected {:?} to contain {:?}",
        flat,
        "[U+202E]evil"
    );
    // The signed digest's words, once per signer, and in the roles table.
    let words = f.root_words.join("");
    assert!(flat.matches(&words).count() >= 3, "digest words {words} missing from the PDF");
    let head: Value = serde_json::from_str(&ok(&f.ws, &["log", "verify", "--json"])).unwrap();
    assert!(
        flat.contains(head["head"].as_str().unwrap()),
        "transcript head missing from the PDF: expected {:?} to contain {:?}",
        flat,
        head["head"].as_str().unwrap()
    );
    assert!(flat.contains("bundle-export"), "transcript actions missing: expected {:?} to contain {:?}", flat, "bundle-export");
    assert!(flat.contains("stage"), "transcript actions missing: expected {:?} to contain {:?}", flat, "stage");

    // (b) Nothing is cut: the page fits A4's printable width (180 mm = 680 px at 96 dpi with
    // 15 mm margins; 718 px is 190 mm) with no table cell scrolling.
    for width in [680, 718] {
        let verdict = probe_at(&html, &f.files, width);
        assert!(verdict.ends_with("FITS"), "at {width} px: {verdict}");
        let seen: u32 = verdict.trim_start_matches("width=").split(' ').next().unwrap().parse().unwrap();
        assert!(seen <= width && seen > width - 40, "the probe ran at {seen} px, not about {width}: {verdict}");
    }
}

#[test]
fn report_refuses_an_altered_transcript_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(&ws, &["init"]);
    let transcript = ws.join("current/transcript.jsonl");
    let text = std::fs::read_to_string(&transcript).unwrap().replace("\"init\"", "\"tini\"");
    std::fs::write(&transcript, text).unwrap();
    let out_path = tmp.path().join("r.html");
    for scope in [&["--all"][..], &[]] {
        let out = ceremony(&ws, &[&["report", "--out", out_path.to_str().unwrap()][..], scope].concat());
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(!out_path.exists(), "{} exists", out_path.display());
    }
}

/// The probe itself must see a cut table, or a passing check above would mean nothing.
#[test]
fn overflow_probe_sees_a_table_wider_than_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let cut = format!(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\
         </head><body><table><tr><td>{}</td></tr></table></body></html>",
        "0123456789abcdef".repeat(12)
    );
    let verdict = probe_at(&cut, tmp.path(), 680);
    assert!(verdict.contains("OVERFLOW"), "{verdict}");
}

/// Pages and text of an HTML file printed by Chromium to PDF.
fn print_pdf(html: &Path) -> (u32, String) {
    let pdf = html.with_extension("pdf");
    chromium(&["--no-pdf-header-footer".into(), format!("--print-to-pdf={}", pdf.display()), format!("file://{}", html.display())]);
    let info = tool("pdfinfo", &[pdf.as_os_str()]);
    assert!(info.contains("(A4)"), "not A4: {info}");
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo: {info}"));
    let text = tool("pdftotext", &[std::ffi::OsStr::new("-raw"), pdf.as_os_str(), std::ffi::OsStr::new("-")]);
    (pages, text)
}

/// The names on the signature lines of a one-ceremony record, read from its HTML.
fn signature_lines(html: &str) -> Vec<String> {
    let at = html.find("<h2>Signed by the people present</h2>").expect("a signature section");
    html[at..]
        .split("<tr><td>")
        .skip(1)
        .filter_map(|row| row.strip_suffix("</td><td></td><td></td></tr>\n").or_else(|| row.split("</td><td></td><td></td></tr>").next()))
        .map(str::to_string)
        .collect()
}

fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

struct Three {
    _tmp: tempfile::TempDir,
    ws: PathBuf,
    files: PathBuf,
    bundles: Vec<PathBuf>,
    /// Each ceremony's closing head, as its paper record shows it.
    closings: Vec<String>,
}

/// Three ceremonies: a bootstrap with no markers (as an older workspace has: the export
/// closes it), then two root renewals each begun and ended, with different people.
fn three_ceremonies() -> Three {
    let st = Setup::with_holders(&["alice", "bob", "carol"]);
    st.import_online("online");
    st.root_init("alice,bob,carol", "2", "alice,bob");
    st.sign("alice");
    st.sign("bob");
    let mut bundles = vec![st.files.join("bootstrap.tar")];
    ok(&st.ws, &["bundle", "export", "--out", bundles[0].to_str().unwrap()]);

    // The export closed ceremony 1: its closing head is the head after the export.
    let first_closing = common::last_hash(&st.ws);
    ok(
        &st.ws,
        &[
            "begin", "--purpose", "Renew root before it expires", "--place", "<b>Room 2</b> & co, PSF office", "--attendee", "alice",
            "--attendee", "carol", "--attendee", "Dana Witness", "--previous-head", &first_closing,
        ],
    );
    ok(&st.ws, &["renew", "root", "--expires", "300d"]);
    st.sign("alice");
    st.sign("carol");
    bundles.push(st.files.join("renewal-1.tar"));
    ok(&st.ws, &["bundle", "export", "--out", bundles[1].to_str().unwrap()]);
    ok(&st.ws, &["end", "--bag", "TEB-200001", "--bag", "TEB-200002"]);

    let second_closing = common::last_hash(&st.ws);
    let begin = ["begin", "--purpose", "Second renewal", "--place", "Video call, holders at home", "--attendee", "bob"];
    ok(&st.ws, &[&begin[..], &["--previous-head", &second_closing]].concat());
    ok(&st.ws, &["renew", "root", "--expires", "250d"]);
    st.sign("bob");
    st.sign("carol");
    bundles.push(st.files.join("renewal-2.tar"));
    ok(&st.ws, &["bundle", "export", "--out", bundles[2].to_str().unwrap()]);
    ok(&st.ws, &["end", "--bag", "TEB-300003"]);
    let closings = vec![first_closing, second_closing, common::last_hash(&st.ws)];
    Three { _tmp: st._tmp, ws: st.ws, files: st.files, bundles, closings }
}

#[test]
fn a_report_covers_one_ceremony_and_all_covers_every_one() {
    let t = three_ceremonies();
    let one = t.files.join("ceremony-2.html");
    let said = ok(&t.ws, &["report", "--ceremony", "2", "--out", one.to_str().unwrap()]);
    assert!(said.contains("ceremony 2 of 3"), "{said}");
    assert!(said.contains(&format!("closing head: {}", t.closings[1])), "the closing head of ceremony 2, labelled: {said}");
    let html = std::fs::read_to_string(&one).unwrap();
    // Its closing head, and the previous one it was begun from, are on its record.
    let closing_words = ceremony::audit::ceremonies::head_words(&t.closings[1]);
    assert!(html.contains("Closing head") && html.contains(&t.closings[1][..32]) && html.contains(&closing_words), "{html}");
    assert!(html.contains("Previous closing head"), "expected {:?} to contain {:?}", html, "Previous closing head");
    assert!(html.contains(&t.closings[0][..32]), "expected {:?} to contain {:?}", html, &t.closings[0][..32]);
    assert!(
        html.contains("&lt;b&gt;Room 2&lt;/b&gt; &amp; co, PSF office"),
        "the place is escaped: expected {:?} to contain {:?}",
        html,
        "&lt;b&gt;Room 2&lt;/b&gt; &amp; co, PSF office"
    );
    assert!(!html.contains("<b>Room"), "the place is escaped: expected {:?} not to contain {:?}", html, "<b>Room");
    // Exactly the people present sign: the attendees, and the signers of this ceremony.
    assert_eq!(signature_lines(&html), ["alice", "carol", "Dana Witness"]);

    let (pages, text) = print_pdf(&one);
    if let Some(keep) = std::env::var_os("CEREMONY_KEEP_REPORT") {
        std::fs::copy(&one, PathBuf::from(&keep).with_extension("one.html")).unwrap();
        std::fs::copy(one.with_extension("pdf"), PathBuf::from(&keep).with_extension("one.pdf")).unwrap();
    }
    assert!(pages <= 3, "a one-ceremony record of {pages} pages");
    let flat = compact(&text);
    for want in ["RenewrootbeforeitexpiresPlace", "PSFoffice", "DanaWitness", "TEB-200001", "TEB-200002", "renewal-1.tar"] {
        assert!(flat.contains(want), "{want} missing from ceremony 2's record");
    }
    assert!(
        flat.contains(&sha256_file(&t.bundles[1])),
        "ceremony 2's bundle SHA-256 is missing: expected {:?} to contain {:?}",
        flat,
        &sha256_file(&t.bundles[1])
    );
    for other in ["TEB-300003", "Secondrenewal", "bootstrap.tar", "renewal-2.tar"] {
        assert!(!flat.contains(other), "{other} belongs to another ceremony");
    }
    assert!(!flat.contains(&sha256_file(&t.bundles[0])), "expected {:?} not to contain {:?}", flat, &sha256_file(&t.bundles[0]));
    assert!(!flat.contains(&sha256_file(&t.bundles[2])), "expected {:?} not to contain {:?}", flat, &sha256_file(&t.bundles[2]));
    assert!(!flat.contains("bob"), "bob neither attended nor signed ceremony 2: expected {:?} not to contain {:?}", flat, "bob");
    // The words read: those `sign` showed, for the signed part of root v2, from the transcript.
    let log: Value = serde_json::from_str(&ok(&t.ws, &["log", "show", "--json"])).unwrap();
    let signed_v2 = log.as_array().unwrap().iter().find(|r| r["action"] == "sign" && r["version"] == 2).unwrap();
    let digest: [u8; 32] = hex::decode(signed_v2["digest"].as_str().unwrap()).unwrap().try_into().unwrap();
    let words = ceremony::workspace::review::digest_words(&digest).join("");
    assert_eq!(flat.matches(&words).count(), 2, "alice's and carol's words for root v2");
    assert!(
        flat.contains("SHA-256ofthesignedpart"),
        "the digest is labelled with the bytes it covers: expected {:?} to contain {:?}",
        flat,
        "SHA-256ofthesignedpart"
    );
    for width in [680, 718] {
        let verdict = probe_at(&html, &t.files, width);
        assert!(verdict.ends_with("FITS"), "at {width} px: {verdict}");
    }

    // The default is the latest ceremony; the first, with no markers, ends at its export.
    let latest = t.files.join("latest.html");
    ok(&t.ws, &["report", "--out", latest.to_str().unwrap()]);
    let latest = std::fs::read_to_string(&latest).unwrap();
    assert!(latest.contains("Record of ceremony 3 (of 3)"), "expected {:?} to contain {:?}", latest, "Record of ceremony 3 (of 3)");
    assert!(latest.contains("TEB-300003"), "expected {:?} to contain {:?}", latest, "TEB-300003");
    assert!(!latest.contains("TEB-200001"), "expected {:?} not to contain {:?}", latest, "TEB-200001");
    assert_eq!(signature_lines(&latest), ["bob", "carol"]);
    assert!(latest.contains(&sha256_file(&t.bundles[2])[..32]), "expected {:?} to contain {:?}", latest, &sha256_file(&t.bundles[2])[..32]);
    let first = t.files.join("first.html");
    ok(&t.ws, &["report", "--ceremony", "1", "--out", first.to_str().unwrap()]);
    let first = std::fs::read_to_string(&first).unwrap();
    assert_eq!(signature_lines(&first), ["alice", "bob"]);
    assert!(first.contains("bootstrap.tar"), "expected {:?} to contain {:?}", first, "bootstrap.tar");
    assert!(
        first.contains("not recorded (the ceremony was not begun"),
        "expected {:?} to contain {:?}",
        first,
        "not recorded (the ceremony was not begun"
    );
    // Closed by its export: the closing head is the head after the export's last record.
    assert!(first.contains("Closing head"), "expected {:?} to contain {:?}", first, "Closing head");
    assert!(first.contains(&t.closings[0][..32]), "expected {:?} to contain {:?}", first, &t.closings[0][..32]);

    // --all covers every ceremony.
    let all = t.files.join("all.html");
    ok(&t.ws, &["report", "--all", "--out", all.to_str().unwrap()]);
    let (all_pages, all_text) = print_pdf(&all);
    assert!(all_pages > pages, "--all ({all_pages} pages) is longer than one ceremony ({pages})");
    let all_flat = compact(&all_text);
    for want in ["TEB-200001", "TEB-300003", "bootstrap.tar", "renewal-1.tar", "renewal-2.tar", "Secondrenewal"] {
        assert!(all_flat.contains(want), "{want} missing from --all");
    }

    // A ceremony that is not there is refused in one sentence, and nothing is written.
    let nine = t.files.join("nine.html");
    let out = ceremony(&t.ws, &["report", "--ceremony", "9", "--out", nine.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("3 ceremonies") && stderr.contains("--ceremony 1 to 3"), "{stderr}");
    assert!(!nine.exists(), "{} exists", nine.display());
    let out = ceremony(&t.ws, &["report", "--ceremony", "2", "--all", "--out", nine.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn begin_and_end_check_their_texts_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(&ws, &["init"]);
    let refused = |args: &[&str], code: i32| {
        let out = ceremony(&ws, args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        stderr
    };
    let long = "x".repeat(201);
    let got = refused(&["begin", "--purpose", &long, "--place", "here"], 2);
    assert!(got.contains("at most 200"), "expected {:?} to contain {:?}", got, "at most 200");
    let got = refused(&["begin", "--purpose", "a\u{1b}[2Jb", "--place", "here"], 2);
    assert!(got.contains("U+001B"), "expected {:?} to contain {:?}", got, "U+001B");
    let got = refused(&["begin", "--purpose", "p", "--place", "here", "--attendee", "evil\u{202E}"], 2);
    assert!(got.contains("U+202E"), "expected {:?} to contain {:?}", got, "U+202E");
    let got = refused(&["end", "--bag", "1"], 1);
    assert!(got.contains("no ceremony is open"), "expected {:?} to contain {:?}", got, "no ceremony is open");
    let begin = ["begin", "--purpose", "Bootstrap", "--place", "Room 1", "--attendee", "alice"];
    // A new workspace: no closing head on any paper yet. Continuing needs none again.
    ok(&ws, &[&begin[..], &["--previous-head", "none"]].concat());
    // A runbook run again continues the open ceremony; a different one is refused.
    let got = ok(&ws, &begin);
    assert!(got.contains("continues"), "expected {:?} to contain {:?}", got, "continues");
    // Run again with someone who arrived late: the ceremony goes on and records them once.
    let later = ["begin", "--purpose", "Bootstrap", "--place", "Room 1", "--attendee", "alice", "--attendee", "Dana"];
    let got = ok(&ws, &later);
    assert!(got.contains("records Dana as present too"), "expected {:?} to contain {:?}", got, "records Dana as present too");
    let got = ok(&ws, &later);
    assert!(got.contains("it continues."), "expected {:?} to contain {:?}", got, "it continues.");
    let got = refused(&["begin", "--purpose", "Another", "--place", "Room 1"], 1);
    assert!(got.contains("ceremony 1 (Bootstrap) is open"), "expected {:?} to contain {:?}", got, "ceremony 1 (Bootstrap) is open");
    let got = refused(&["end", "--bag", "b\u{7}"], 2);
    assert!(got.contains("U+0007"), "expected {:?} to contain {:?}", got, "U+0007");
    ok(&ws, &["end", "--bag", "TEB-1"]);
    let got = ok(&ws, &["end", "--bag", "TEB-1"]);
    assert!(got.contains("already ended"), "expected {:?} to contain {:?}", got, "already ended");
    let html = tmp.path().join("one.html");
    ok(&ws, &["report", "--out", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("Attendees: alice; Dana"),
        "the late attendee is on the record once: expected {:?} to contain {:?}",
        page,
        "Attendees: alice; Dana"
    );
    let log: Value = serde_json::from_str(&ok(&ws, &["log", "show", "--json"])).unwrap();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["init", "ceremony-begin", "ceremony-join", "ceremony-end"]);
    let begun = &log[1]["ceremony"];
    assert_eq!(begun["purpose"], "Bootstrap");
    assert_eq!(begun["binary_sha256"].as_str().unwrap().len(), 64);
    assert!(begun["preflight"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("binary")), "{begun}");
    assert_eq!(log[2]["ceremony"]["attendees"], json!(["Dana"]));
    assert_eq!(log[3]["ceremony"]["bags"], json!(["TEB-1"]));
}
