//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository's root directory.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python interpreter of the virtual environment that holds python-tuf, created on
/// first use by `scripts/python-env.sh`. python-tuf is the independent judge of what we
/// write and read, so a missing interpreter fails the test instead of skipping it.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/python-env.sh"))
            .output()
            .expect("run scripts/python-env.sh");
        assert!(
            out.status.success(),
            "scripts/python-env.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string())
    })
}

/// Runs `tests/python/SCRIPT` with the python-tuf interpreter; panics with its stderr on failure.
pub fn run_python(script: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new(python())
        .arg(repo_root().join("tests/python").join(script))
        .args(args)
        .output()
        .expect("start python");
    assert!(
        out.status.success(),
        "{script} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The software token stack (SoftHSM2 + software PIV card): environment and card lock.
pub mod tokens;

/// The real binary on a pseudo-terminal, for prompts and confirmations.
pub mod pty;

/// The command blocks of the Markdown docs (tests/doc_blocks.rs).
pub mod doc_blocks;

/// A workspace ready for PEP 480 promotions, and python-tuf around it.
pub mod promotion;

/// Runs the `ceremony` binary on workspace `ws` with no standard input, as CI does.
pub fn ceremony(ws: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ceremony"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the ceremony binary")
}

/// Every file of a workspace's current state with its content, and where `current` points:
/// what a refused command must leave exactly as it was.
pub fn workspace_snapshot(ws: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    let current = ws.join("current");
    if !current.exists() {
        return out;
    }
    walk(&current, &current, &mut out);
    out.insert("current ->".into(), std::fs::read_link(&current).unwrap().display().to_string().into_bytes());
    out
}

/// Runs a command that must be refused: exit code `code`, one sentence on stderr (warnings
/// about test-only settings aside), the workspace unchanged. Returns the sentence.
pub fn refused(ws: &Path, args: &[&str], code: i32) -> String {
    let before = workspace_snapshot(ws);
    let out = ceremony(ws, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("WARNING")).collect();
    assert_eq!(lines.len(), 1, "{args:?}: one sentence expected: {stderr}");
    assert_eq!(workspace_snapshot(ws), before, "{args:?} changed the workspace");
    lines[0].to_string()
}
