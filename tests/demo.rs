//! `ceremony demo`: the whole simulated ceremony runs with no prompts and no terminal, its
//! `--json` summary names three bundles that verify, and python-tuf accepts every bundle
//! (every file loads, the root chain from root v1 holds, every role under its delegator).

mod common;

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use common::run_python;
use serde_json::Value;

#[test]
fn demo_bundles_verify_with_python_tuf() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let started = std::time::Instant::now();
    let out =
        Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["demo", "--json", "--dir"]).arg(&dir).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed().as_secs() < 60, "the demo must finish in under a minute");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    assert_eq!(summary["ok"], true);
    let bundles = summary["bundles"].as_array().unwrap();
    let phases: Vec<&str> = bundles.iter().map(|b| b["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["bootstrap", "promotion", "root rotation"]);
    assert_eq!(bundles[2]["newest_root_version"], 2);
    assert!(summary["projects_promoted"].as_u64().unwrap() >= 10);
    for key in ["report", "transcript", "trusted_root", "recently_claimed"] {
        assert!(std::path::Path::new(summary[key].as_str().unwrap()).is_file(), "{key}");
    }
    let trusted = summary["trusted_root"].as_str().unwrap();
    for b in bundles {
        let path = b["path"].as_str().unwrap();
        let x = tmp.path().join(format!("x-{}", b["phase"].as_str().unwrap().replace(' ', "-")));
        std::fs::create_dir_all(&x).unwrap();
        assert!(Command::new("tar").arg("-xf").arg(path).arg("-C").arg(&x).status().unwrap().success());
        let md = x.join("metadata");
        let args = [OsStr::new("bundle-dir"), md.as_os_str(), OsStr::new("--trusted-root"), OsStr::new(trusted)];
        let verdict: Value = serde_json::from_slice(&run_python("judge.py", &args)).unwrap();
        assert_eq!(verdict["ok"], true, "{path}: {verdict}");
        // The ceremony's own verifier agrees, from another process.
        let own =
            Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["bundle", "verify", path, "--trusted-root", trusted]).output().unwrap();
        assert!(own.status.success(), "{}", String::from_utf8_lossy(&own.stderr));
    }
    // A second run into the same directory is refused, not merged.
    let again = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["demo", "--dir"]).arg(&dir).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
}
