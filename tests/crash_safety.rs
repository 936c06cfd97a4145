//! Crash safety: `ceremony` is killed with SIGKILL at many points while signing and while
//! exporting. After every kill the workspace must be exactly as before or exactly as after
//! (its transcript verifies, the staged and trusted files agree with one of the two), no
//! half-written file is visible, and the command then completes when run again.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILLS: u32 = 40;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ceremony"));
    c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    c
}

fn run(ws: &Path, args: &[&str]) -> bool {
    bin().arg("--workspace").arg(ws).args(args).status().unwrap().success()
}

fn copy(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    assert!(Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap().success());
}

fn passphrase(dir: &Path, holder: &str) -> String {
    let p = dir.join(format!("{holder}.pass"));
    std::fs::write(&p, format!("{holder} keeps seven brass owls in 1999\n")).unwrap();
    p.display().to_string()
}

/// A workspace with root v1 staged at 2 of 3 and alice's signature on it.
fn pristine(dir: &Path) -> PathBuf {
    let ws = dir.join("pristine");
    assert!(run(&ws, &["init"]));
    for h in ["alice", "bob", "carol", "online"] {
        let pf = passphrase(dir, h);
        assert!(run(&ws, &["key", "new", "passphrase", "--holder", h, "--passphrase-file", &pf, "--kdf-profile", "test"]));
    }
    assert!(run(
        &ws,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice", "--targets-threshold", "1",
            "--snapshot", "online", "--timestamp", "online",
        ]
    ));
    assert!(run(&ws, &["sign", "--holder", "alice", "--passphrase-file", &passphrase(dir, "alice"), "--yes"]));
    ws
}

/// Files a write in progress would leave behind, at any depth below `dir`.
fn visible_temp_files(dir: &Path) -> Vec<PathBuf> {
    let temp = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().starts_with(".ceremony-tmp-");
    common::files_under(dir).into_iter().filter(temp).collect()
}

/// Signatures on the staged root: in its file and among those Ceremony collects apart.
fn signatures_on_staged_root(ws: &Path) -> Option<usize> {
    let bytes = std::fs::read(ws.join("current/staged/root.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let beside = match std::fs::read(ws.join("current/staged/collected.sigs")) {
        Ok(b) => serde_json::from_slice::<serde_json::Value>(&b).unwrap()["root"].as_array().map_or(0, |a| a.len()),
        Err(_) => 0,
    };
    Some(v["signatures"].as_array().unwrap().len() + beside)
}

/// Kills `args` after `delay`; returns whether it finished on its own first.
fn kill_after(ws: &Path, args: &[&str], delay: Duration) -> bool {
    let mut child = bin().arg("--workspace").arg(ws).args(args).spawn().unwrap();
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    let _ = child.wait();
    finished
}

/// The longest of three uninterrupted runs: on a busy machine a run takes longer, and the
/// kill points must still reach past the end.
fn duration_of(ws: &Path, scratch: &Path, args: &[&str]) -> Duration {
    (0..3)
        .map(|_| {
            copy(ws, scratch);
            let start = Instant::now();
            assert!(run(scratch, args));
            start.elapsed()
        })
        .max()
        .unwrap_or_default()
}

/// Kill points from the start to twice the longest run.
fn delay(full: Duration, i: u32) -> Duration {
    full * 2 * i / KILLS
}

fn check_consistent(ws: &Path) {
    assert!(run(ws, &["log", "verify"]), "the transcript must verify after a kill");
    assert!(run(ws, &["status"]), "status must work after a kill");
    let temps = visible_temp_files(&ws.join("current"));
    assert!(temps.is_empty(), "half-written files are visible: {temps:?}");
}

#[test]
fn killing_sign_leaves_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let base = pristine(dir.path());
    let pf = passphrase(dir.path(), "bob");
    let args = ["sign", "--holder", "bob", "--passphrase-file", pf.as_str(), "--yes"];
    let scratch = dir.path().join("scratch");
    let full = duration_of(&base, &scratch, &args);
    let (mut before, mut after) = (0, 0);
    for i in 0..KILLS {
        copy(&base, &scratch);
        kill_after(&scratch, &args, delay(full, i));
        check_consistent(&scratch);
        match signatures_on_staged_root(&scratch) {
            Some(1) => before += 1,
            Some(2) => after += 1,
            other => panic!("the staged root has {other:?} signatures"),
        }
        assert!(run(&scratch, &args), "signing must complete after a kill");
        assert_eq!(signatures_on_staged_root(&scratch), Some(2));
    }
    assert!(before > 0 && after > 0, "kills must land both before and after the commit ({before}/{after})");
}

#[test]
fn killing_export_leaves_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let base = pristine(dir.path());
    assert!(run(&base, &["sign", "--holder", "bob", "--passphrase-file", &passphrase(dir.path(), "bob"), "--yes"]));
    let staged_root = dir.path().join("v1.root.json");
    // The staged root with the signatures Ceremony keeps beside it: the root to trust.
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(base.join("current/staged/root.json")).unwrap()).unwrap();
    let collected: serde_json::Value = serde_json::from_slice(&std::fs::read(base.join("current/staged/collected.sigs")).unwrap()).unwrap();
    doc["signatures"] = collected["root"].clone();
    std::fs::write(&staged_root, serde_json::to_vec(&doc).unwrap()).unwrap();
    let scratch = dir.path().join("scratch");
    let out = dir.path().join("out.tar");
    let args = ["bundle", "export", "--out", out.to_str().unwrap()];
    let full = duration_of(&base, &scratch, &args);
    let (mut before, mut after) = (0, 0);
    for i in 0..KILLS {
        copy(&base, &scratch);
        let _ = std::fs::remove_file(&out);
        kill_after(&scratch, &args, delay(full, i));
        check_consistent(&scratch);
        let staged = scratch.join("current/staged/root.json").exists();
        let trusted = scratch.join("current/trusted/root/1.root.json").exists();
        assert!(staged != trusted, "root must be staged or trusted, not both or neither");
        if trusted {
            after += 1;
            assert!(out.exists(), "the workspace moved on without a bundle");
        } else {
            before += 1;
        }
        if out.exists() {
            let verified = bin()
                .args(["bundle", "verify", out.to_str().unwrap(), "--trusted-root", staged_root.to_str().unwrap()])
                .status()
                .unwrap()
                .success();
            assert!(verified, "a bundle left after a kill must be complete and valid");
        }
        if staged {
            assert!(run(&scratch, &args), "the export must complete after a kill");
            assert!(
                visible_temp_files(dir.path()).iter().all(|p| p.parent() != Some(dir.path())),
                "a retried export leaves no temporary file beside the bundle"
            );
        }
    }
    assert!(before > 0 && after > 0, "kills must land both before and after the commit ({before}/{after})");
}
