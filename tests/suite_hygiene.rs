//! The test suite itself, read as text: every test file under tests/ (and its helpers in
//! tests/common/) and every `#[cfg(test)]` module in src/ and crates/.
//!
//! - No test asserts on elapsed time: speed belongs in benches/ (docs/performance.md), where a
//!   slow machine gives a slower figure instead of a failed test. A clock read (`Instant::now`,
//!   `SystemTime::now`, `.elapsed()`) anywhere but the one hang guard, tests/common/watchdog.rs
//!   (which kills a hung child far above any normal time and never is what a test asserts on),
//!   fails.
//! - No silent skip: a test that cannot run its check goes through tests/common/skips.rs
//!   (recorded, listed by the test command, proven under CI), so `SKIPPED` is printed nowhere
//!   else; and every `#[ignore]` gives its reason, which the test command lists.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{skips, watchdog};

/// This file, which names what it looks for as data.
const THIS: &str = "tests/suite_hygiene.rs";

/// The one helper that records a skip.
const SKIPS: &str = "tests/common/skips.rs";

/// The one helper allowed to read the clock.
const HANG_GUARD: &str = "tests/common/watchdog.rs";

const CLOCK_READS: [&str; 3] = ["Instant::now", "SystemTime::now", ".elapsed()"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The test code of every file: whole files under tests/ (its top level and tests/common/;
/// the programs in tests/tokens/ and tests/clients/ are tools the tests start, not tests),
/// and what follows `#[cfg(test)]` in src/ and crates/.
fn test_code() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut whole = Vec::new();
    for dir in ["tests", "tests/common"] {
        let entries = std::fs::read_dir(root().join(dir)).map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>()).unwrap_or_default();
        whole.extend(entries.into_iter().filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rs")));
    }
    for file in whole {
        out.push((relative(&file), read(&file)));
    }
    let mut library = Vec::new();
    rust_files(&root().join("src"), &mut library);
    rust_files(&root().join("crates"), &mut library);
    for file in library {
        let text = read(&file);
        if let Some((_, tests)) = text.split_once("#[cfg(test)]") {
            out.push((relative(&file), tests.to_string()));
        }
    }
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("expected to read {}, got {e}", path.display()))
}

/// The clock reads in `code`, comments left out: (line number, line).
fn clock_reads(code: &str) -> Vec<(usize, String)> {
    let code_of = |line: &str| line.split("//").next().unwrap_or_default().to_string();
    code.lines()
        .enumerate()
        .filter(|(_, line)| CLOCK_READS.iter().any(|c| code_of(line).contains(c)))
        .map(|(i, line)| (i + 1, line.trim().to_string()))
        .collect()
}

#[test]
fn no_test_reads_the_clock_outside_the_hang_guard() {
    let files = test_code();
    assert!(files.len() > 40, "expected to read every test file, got {} files", files.len());
    let mut found = Vec::new();
    for (file, code) in &files {
        let reads = clock_reads(code);
        // This file names the clock reads as data, to look for them.
        if file == HANG_GUARD || file == THIS {
            continue;
        }
        found.extend(reads.into_iter().map(|(n, line)| format!("{file}:{n}: {line}")));
    }
    assert!(
        found.is_empty(),
        "expected no clock read in tests outside {HANG_GUARD} (measure speed in benches/), got:\n{}",
        found.join("\n")
    );
    let guard = files.iter().find(|(f, _)| f == HANG_GUARD).map(|(_, c)| clock_reads(c).len());
    assert!(guard.is_some_and(|n| n > 0), "expected {HANG_GUARD} to be read and to hold the clock reads, got {guard:?}");
}

/// The check itself catches what it is for: each clock read, in a test file or in a
/// `#[cfg(test)]` module, and not one in a comment.
#[test]
fn the_check_catches_each_kind_of_clock_read() {
    for read in ["let t = std::time::Instant::now();", "let n = SystemTime::now();", "assert!(t.elapsed() < limit);"] {
        let got = clock_reads(&format!("fn f() {{\n    {read}\n}}\n"));
        assert_eq!(got.len(), 1, "expected `{read}` to be caught, got {got:?}");
    }
    let got = clock_reads("// Instant::now is not used here\n/// nor .elapsed()\n");
    assert!(got.is_empty(), "expected comments to be skipped, got {got:?}");
}

/// Lines of `code` (comments left out) holding `needle`: (line number, line).
fn lines_with(code: &str, needle: &str) -> Vec<(usize, String)> {
    code.lines()
        .enumerate()
        .filter(|(_, line)| line.split("//").next().unwrap_or_default().contains(needle))
        .map(|(i, line)| (i + 1, line.trim().to_string()))
        .collect()
}

#[test]
fn every_skip_goes_through_the_skips_helper_and_every_ignore_says_why() {
    let mut found = Vec::new();
    for (file, code) in test_code() {
        if file == THIS || file == SKIPS {
            continue;
        }
        for (n, line) in lines_with(&code, "SKIPPED") {
            found.push(format!("{file}:{n}: prints SKIPPED itself (use common::skips::cannot_run): {line}"));
        }
        for (n, line) in lines_with(&code, "#[ignore]") {
            found.push(format!("{file}:{n}: an #[ignore] without a reason (write #[ignore = \"why\"]): {line}"));
        }
    }
    assert!(found.is_empty(), "expected no skip outside {SKIPS} and no #[ignore] without a reason, got:\n{}", found.join("\n"));
}

/// The hang guard kills a child that does not end, says so, and leaves one that ends alone.
#[test]
fn the_hang_guard_kills_only_a_hung_child() {
    let hung = watchdog::run_for(Command::new("sleep").arg("600").stdin(Stdio::null()), Duration::from_secs(1));
    assert!(hung.hung && hung.status.signal() == Some(9), "expected `sleep 600` killed by SIGKILL as hung, got {}", hung.describe());
    assert!(hung.describe().contains("hang guard"), "expected the description to name the hang guard, got {}", hung.describe());
    let done = watchdog::run(Command::new("sh").arg("-c").arg("echo out; echo err >&2; exit 3").stdin(Stdio::null()));
    let got = (done.hung, done.status.code(), done.stdout.as_slice(), done.stderr.as_slice());
    assert_eq!(got, (false, Some(3), &b"out\n"[..], &b"err\n"[..]), "expected a finished child's exit and output untouched");
}

/// A skip fails where the probe proved the machine can, and under CI without proof; it is
/// recorded with the proof otherwise.
#[test]
fn a_skip_needs_a_proof_under_ci_and_fails_where_the_machine_can() {
    let unavailable = || Some(Err("/dev/fuse does not exist".to_string()));
    // (what the probe found, CI, the proof the recorded line gives; None: the test fails)
    type Case = (Option<Result<(), String>>, bool, Option<&'static str>);
    let cases: [Case; 6] = [
        (Some(Ok(())), false, None),
        (Some(Ok(())), true, None),
        (unavailable(), false, Some("proven by the test command's probe `fat-mount`: /dev/fuse does not exist")),
        (unavailable(), true, Some("proven by the test command's probe `fat-mount`: /dev/fuse does not exist")),
        (None, false, Some("not proven")),
        (None, true, None),
    ];
    for (probe, ci, recorded) in cases {
        let shown = format!("{probe:?}, CI {ci}");
        let got = skips::verdict("a check", "fusefat is missing", "fat-mount", probe, ci);
        match recorded {
            Some(proof) => {
                let line = got.unwrap_or_else(|e| panic!("{shown}: expected the skip recorded, got a failure: {e}"));
                assert!(
                    line.starts_with("a check: fusefat is missing (") && line.contains(proof),
                    "{shown}: expected {proof:?} in the line, got {line}"
                );
            }
            None => assert!(got.is_err(), "{shown}: expected the test to fail, got the skip recorded: {got:?}"),
        }
    }
}
