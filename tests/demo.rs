//! `ceremony demo`: the whole simulated ceremony runs with no prompts and no terminal, its
//! `--json` summary names three bundles that verify, and python-tuf accepts every bundle
//! (every file loads, the root chain from root v1 holds, every role under its delegator).
//! How long the demo takes is measured by benches/demo.rs (docs/performance.md), not here.

mod common;

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use common::run_python;
use serde_json::Value;

#[test]
fn demo_bundles_verify_with_python_tuf() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out =
        Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["demo", "--json", "--dir"]).arg(&dir).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "`ceremony demo`: expected success, got {}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    assert_eq!(summary["ok"], true, "expected \"ok\": true in the demo summary, got {summary}");
    let bundles = summary["bundles"].as_array().unwrap();
    let phases: Vec<&str> = bundles.iter().map(|b| b["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["bootstrap", "promotion", "root rotation"], "expected the three bundles of the demo, in order");
    assert_eq!(bundles[2]["newest_root_version"], 2, "expected the rotation bundle to carry root v2, got {}", bundles[2]);
    let promoted = summary["projects_promoted"].as_u64();
    assert!(promoted.is_some_and(|n| n >= 10), "expected at least 10 projects promoted, got {promoted:?}");
    for key in ["report", "transcript", "trusted_root", "recently_claimed"] {
        assert!(
            std::path::Path::new(summary[key].as_str().unwrap()).is_file(),
            "expected the file the summary names as {key} to exist, got {}",
            summary[key]
        );
    }
    let trusted = summary["trusted_root"].as_str().unwrap();
    for b in bundles {
        let path = b["path"].as_str().unwrap();
        let x = tmp.path().join(format!("x-{}", b["phase"].as_str().unwrap().replace(' ', "-")));
        std::fs::create_dir_all(&x).unwrap();
        let tar = Command::new("tar").arg("-xf").arg(path).arg("-C").arg(&x).status().unwrap();
        assert!(tar.success(), "tar -xf {path}: expected success, got {tar}");
        let md = x.join("metadata");
        let args = [OsStr::new("bundle-dir"), md.as_os_str(), OsStr::new("--trusted-root"), OsStr::new(trusted)];
        let verdict: Value = serde_json::from_slice(&run_python("judge.py", &args)).unwrap();
        assert_eq!(verdict["ok"], true, "{path}: {verdict}");
        // The ceremony's own verifier agrees, from another process.
        let own =
            Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["bundle", "verify", path, "--trusted-root", trusted]).output().unwrap();
        assert!(
            own.status.success(),
            "`bundle verify {path}`: expected success, got {}: {}",
            own.status,
            String::from_utf8_lossy(&own.stderr)
        );
    }
    // A second run into the same directory is refused, not merged.
    let again = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["demo", "--dir"]).arg(&dir).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "a second demo into the same directory: expected exit 2, got {}", again.status);
}
