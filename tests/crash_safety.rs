//! Crash safety: `ceremony` crashes (SIGKILL, sent to itself) at every named failpoint of
//! `sign` and `bundle export`, before and after the commit (src/support/failpoint.rs). After
//! each crash the workspace is exactly as before (every file of the current state, byte for
//! byte, and where `current` points) or exactly as after (as an uninterrupted run leaves it,
//! the transcript's times and hashes aside), its transcript verifies, no half-written file is
//! visible, and the command then completes when run again.
//!
//! The crash points are places in the code, not delays: every point is reached on every run,
//! whatever the machine's speed (the test checks that the process died there). They exist only
//! in a build with the cargo feature `failpoints`, which scripts/test.sh turns on; without it
//! these tests fail, saying so, rather than pass having checked nothing.

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ceremony::support::failpoint::POINTS;
use common::dir_tree;

/// Which side of the commit a crash at a point leaves the workspace on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
}

/// `sign`'s points: its transaction writes the staged signatures, then commits.
const SIGN_POINTS: [(&str, Side); 5] = [
    ("transaction-write", Side::Before),
    ("commit-start", Side::Before),
    ("commit-before-rename", Side::Before),
    ("commit-link-made", Side::Before),
    ("commit-after-rename", Side::After),
];

/// `bundle export`'s points, with whether the bundle is in place when it crashes there.
const EXPORT_POINTS: [(&str, Side, bool); 7] = [
    ("transaction-write", Side::Before, false),
    ("export-bundle-unrenamed", Side::Before, false),
    ("export-bundle-renamed", Side::Before, true),
    ("commit-start", Side::Before, true),
    ("commit-before-rename", Side::Before, true),
    ("commit-link-made", Side::Before, true),
    ("commit-after-rename", Side::After, true),
];

/// Fails at once, saying why, when this test was built without the crash points.
fn require_failpoints() {
    #[cfg(not(feature = "failpoints"))]
    panic!(
        "expected a build with the `failpoints` feature (the crash points this test needs), got one without: \
         run it as scripts/test.sh does, `cargo test --features failpoints --test crash_safety`"
    );
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ceremony"));
    c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).env_remove("CEREMONY_FAILPOINT");
    c
}

fn run_output(ws: &Path, args: &[&str]) -> Output {
    bin().arg("--workspace").arg(ws).args(args).output().expect("run the ceremony binary")
}

/// Runs a command that must succeed.
fn run(ws: &Path, args: &[&str]) {
    let out = run_output(ws, args);
    assert!(out.status.success(), "`ceremony {}`: expected success, got {}: {}", args.join(" "), out.status, stderr(&out));
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `args` with the failpoint `point` set; asserts the process died there by SIGKILL.
fn crash_at(ws: &Path, args: &[&str], point: &str) {
    let out = bin().arg("--workspace").arg(ws).args(args).env("CEREMONY_FAILPOINT", point).output().expect("run the ceremony binary");
    let said = format!("failpoint {point} reached");
    assert!(
        out.status.signal() == Some(9) && stderr(&out).contains(&said),
        "`ceremony {}` with CEREMONY_FAILPOINT={point}: expected death by SIGKILL after {said:?} on stderr, got {} with stderr: {}",
        args.join(" "),
        out.status,
        stderr(&out)
    );
}

fn copy(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().expect("run cp");
    assert!(status.success(), "cp -a {} {}: expected success, got {status}", from.display(), to.display());
}

fn passphrase(dir: &Path, holder: &str) -> String {
    let p = dir.join(format!("{holder}.pass"));
    std::fs::write(&p, format!("{holder} keeps seven brass owls in 1999\n")).expect("write a passphrase file");
    p.display().to_string()
}

/// A workspace with root v1 staged at 2 of 3 and alice's signature on it.
fn pristine(dir: &Path) -> PathBuf {
    let ws = dir.join("pristine");
    run(&ws, &["init"]);
    for h in ["alice", "bob", "carol", "online"] {
        let pf = passphrase(dir, h);
        run(&ws, &["key", "new", "passphrase", "--holder", h, "--passphrase-file", &pf, "--kdf-profile", "test"]);
    }
    run(
        &ws,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice", "--targets-threshold", "1",
            "--snapshot", "online", "--timestamp", "online",
        ],
    );
    run(&ws, &["sign", "--holder", "alice", "--passphrase-file", &passphrase(dir, "alice"), "--yes"]);
    ws
}

/// The current state exactly: every file under `current`, by content, and where the link points.
fn exact_state(ws: &Path) -> BTreeMap<String, String> {
    let mut state = dir_tree(&ws.join("current"));
    let link = std::fs::read_link(ws.join("current")).map(|l| l.display().to_string()).unwrap_or_else(|e| format!("unreadable: {e}"));
    state.insert("-> current".into(), link);
    state
}

/// The current state as two runs of the same command leave it: the transcript's records
/// without their times and hashes (the rest of each record, and every other file, exact).
fn state_but_times(ws: &Path) -> BTreeMap<String, String> {
    let mut state = exact_state(ws);
    let text = std::fs::read_to_string(ws.join("current/transcript.jsonl")).unwrap_or_default();
    let records: Vec<String> = text
        .lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap_or(serde_json::Value::String(line.into()));
            if let Some(o) = v.as_object_mut() {
                for key in ["time", "prev", "hash"] {
                    o.remove(key);
                }
                // The bundle's digest covers its transcript, times included.
                if o.get("action").is_some_and(|a| a == "bundle-written") {
                    o.remove("digest");
                }
            }
            v.to_string()
        })
        .collect();
    state.insert("transcript.jsonl".into(), records.join("\n"));
    state
}

/// Files a write in progress would leave behind, at any depth below `dir`.
fn visible_temp_files(dir: &Path) -> Vec<PathBuf> {
    let temp = |p: &PathBuf| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".ceremony-tmp-"));
    common::files_under(dir).into_iter().filter(temp).collect()
}

/// What every crash must leave: a transcript that verifies, a working `status`, no
/// half-written file in the current state.
fn check_consistent(ws: &Path, point: &str) {
    for args in [&["log", "verify"][..], &["status"]] {
        let out = run_output(ws, args);
        assert!(
            out.status.success(),
            "after a crash at {point}: expected `ceremony {}` to succeed, got {}: {}",
            args.join(" "),
            out.status,
            stderr(&out)
        );
    }
    let temps = visible_temp_files(&ws.join("current"));
    assert!(temps.is_empty(), "after a crash at {point}: expected no half-written file in the current state, got {temps:?}");
}

/// Asserts the workspace is on `side`: exactly `before`, or as the uninterrupted run left `after`.
fn assert_side(ws: &Path, point: &str, side: Side, before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) {
    match side {
        Side::Before => {
            let got = exact_state(ws);
            assert!(
                &got == before,
                "after a crash at {point}: expected the workspace exactly as before, got changes: {}",
                diff(before, &got)
            );
        }
        Side::After => {
            let got = state_but_times(ws);
            assert!(&got == after, "after a crash at {point}: expected the workspace as a full run leaves it, got: {}", diff(after, &got));
        }
    }
}

/// The entries that differ between two states, for a failure message.
fn diff(want: &BTreeMap<String, String>, got: &BTreeMap<String, String>) -> String {
    let keys: std::collections::BTreeSet<&String> = want.keys().chain(got.keys()).collect();
    let lines: Vec<String> = keys
        .into_iter()
        .filter(|k| want.get(*k) != got.get(*k))
        .map(|k| format!("{k}: expected {:?}, got {:?}", want.get(k), got.get(k)))
        .collect();
    lines.join("; ")
}

/// Where `current` points, as `states/NNNNNN`.
fn link_of(ws: &Path) -> String {
    std::fs::read_link(ws.join("current")).map(|l| l.display().to_string()).unwrap_or_default()
}

/// The state directories of a workspace, as `states/NNNNNN`.
fn states_in(ws: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(ws.join("states")).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
    entries.iter().map(|e| format!("states/{}", e.file_name().to_string_lossy())).collect()
}

/// Signatures on the staged root: in its file and among those Ceremony collects apart.
fn signatures_on_staged_root(ws: &Path) -> usize {
    let count = |rel: &str, pick: &dyn Fn(&serde_json::Value) -> usize| {
        let bytes = std::fs::read(ws.join(rel)).ok();
        bytes.and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()).map_or(0, |v| pick(&v))
    };
    count("current/staged/root.json", &|v| v["signatures"].as_array().map_or(0, Vec::len))
        + count("current/staged/collected.sigs", &|v| v["root"].as_array().map_or(0, Vec::len))
}

/// Every point of the library is crashed at by one of the tests here, and every point named
/// here exists in the library: a point added, renamed or removed is noticed.
#[test]
fn every_failpoint_is_exercised() {
    let mut named: Vec<&str> = SIGN_POINTS.iter().map(|p| p.0).chain(EXPORT_POINTS.iter().map(|p| p.0)).collect();
    named.sort_unstable();
    named.dedup();
    let mut library = POINTS.to_vec();
    library.sort_unstable();
    assert_eq!(named, library, "expected the points crashed at here to be the library's (src/support/failpoint.rs POINTS)");
    let files: Vec<PathBuf> =
        common::files_under(&common::repo_root().join("src")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "rs")).collect();
    let source: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap_or_default()).collect();
    for point in POINTS {
        let calls = source.matches(&format!("failpoint::hit(\"{point}\")")).count();
        assert_eq!(calls, 1, "expected exactly one `failpoint::hit(\"{point}\")` in src/, got {calls}");
    }
}

#[test]
fn crashing_sign_leaves_before_or_after() {
    require_failpoints();
    let dir = tempfile::tempdir().expect("temp dir");
    let base = pristine(dir.path());
    let pf = passphrase(dir.path(), "bob");
    let args = ["sign", "--holder", "bob", "--passphrase-file", pf.as_str(), "--yes"];
    let scratch = dir.path().join("scratch");
    let before = exact_state(&base);
    copy(&base, &scratch);
    run(&scratch, &args);
    let after = state_but_times(&scratch);
    assert_eq!(signatures_on_staged_root(&scratch), 2, "expected alice's and bob's signatures after an uninterrupted sign");

    for (point, side) in SIGN_POINTS {
        copy(&base, &scratch);
        crash_at(&scratch, &args, point);
        check_consistent(&scratch, point);
        assert_side(&scratch, point, side, &before, &after);
        // Run again: it completes, and what the crash left behind is gone.
        run(&scratch, &args);
        let got = signatures_on_staged_root(&scratch);
        assert_eq!(got, 2, "after a crash at {point} and a second sign: expected 2 signatures on the staged root, got {got}");
        // A crash before the commit leaves the new state unfinished: the next command removes
        // it. A crash just after the rename leaves the old one (only space is at stake, as
        // Transaction::commit says); nothing else may remain.
        let mut allowed = vec![link_of(&scratch)];
        if side == Side::After {
            allowed.push(link_of(&base));
        }
        for state in states_in(&scratch) {
            assert!(
                allowed.contains(&state),
                "after a crash at {point} and a second sign: expected only {allowed:?} in states/, got {state} too"
            );
        }
        assert!(!scratch.join(".current.new").exists(), "after a crash at {point} and a second sign: expected no `.current.new`, got one");
    }
}

#[test]
fn crashing_export_leaves_before_or_after() {
    require_failpoints();
    let dir = tempfile::tempdir().expect("temp dir");
    let base = pristine(dir.path());
    run(&base, &["sign", "--holder", "bob", "--passphrase-file", &passphrase(dir.path(), "bob"), "--yes"]);
    // The staged root with the signatures Ceremony keeps beside it: the root to trust.
    let staged_root = dir.path().join("v1.root.json");
    let read_json = |rel: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(base.join(rel)).expect("read a staged file")).expect("a staged file is JSON")
    };
    let mut doc = read_json("current/staged/root.json");
    doc["signatures"] = read_json("current/staged/collected.sigs")["root"].clone();
    std::fs::write(&staged_root, serde_json::to_vec(&doc).expect("JSON")).expect("write the root to trust");

    let scratch = dir.path().join("scratch");
    let outdir = dir.path().join("out");
    std::fs::create_dir_all(&outdir).expect("make the output directory");
    let out = outdir.join("bundle.tar");
    let args = ["bundle", "export", "--out", out.to_str().expect("a UTF-8 path")];
    let before = exact_state(&base);
    copy(&base, &scratch);
    run(&scratch, &args);
    let after = state_but_times(&scratch);

    for (point, side, bundle_there) in EXPORT_POINTS {
        copy(&base, &scratch);
        let _ = std::fs::remove_dir_all(&outdir);
        std::fs::create_dir_all(&outdir).expect("make the output directory");
        crash_at(&scratch, &args, point);
        check_consistent(&scratch, point);
        assert_side(&scratch, point, side, &before, &after);
        assert_eq!(out.exists(), bundle_there, "after a crash at {point}: expected the bundle there: {bundle_there}, got {}", out.exists());
        if bundle_there {
            let verify = bin().args(["bundle", "verify", out.to_str().unwrap_or_default(), "--trusted-root"]).arg(&staged_root).output();
            let verify = verify.expect("run the ceremony binary");
            assert!(
                verify.status.success(),
                "after a crash at {point}: expected the bundle left to verify, got {}: {}",
                verify.status,
                stderr(&verify)
            );
        }
        if side == Side::Before {
            // Run again: it completes, and no temporary file is left beside the bundle.
            run(&scratch, &args);
            let got = state_but_times(&scratch);
            assert!(
                got == after,
                "after a crash at {point} and a second export: expected the state of a full run, got: {}",
                diff(&after, &got)
            );
            let temps = visible_temp_files(&outdir);
            assert!(
                temps.is_empty(),
                "after a crash at {point} and a second export: expected no temporary file beside the bundle, got {temps:?}"
            );
        }
    }
}
