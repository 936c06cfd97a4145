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
        let out = Command::new("bash").arg(repo_root().join("scripts/python-env.sh")).output().expect("run scripts/python-env.sh");
        assert!(out.status.success(), "scripts/python-env.sh failed: {}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string())
    })
}

/// Runs `tests/python/SCRIPT` with the python-tuf interpreter; panics with its stderr on failure.
pub fn run_python(script: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new(python()).arg(repo_root().join("tests/python").join(script)).args(args).output().expect("start python");
    assert!(out.status.success(), "{script} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
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

/// A throw-away workspace with passphrase holders and an online key.
pub mod workspace;

/// The hang guard: the one place a test reads the clock.
pub mod watchdog;

/// Checks a machine cannot run: recorded, proven under CI, never a silent pass.
pub mod skips;

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

/// python-tuf's verdict on `delegate` as `role`, delegated by the metadata `delegator`.
pub fn judge_delegate(delegator: &Path, role: &str, delegate: &Path) -> serde_json::Value {
    let args = ["verify-delegate".as_ref(), "--delegator".as_ref(), delegator.as_os_str(), "--role".as_ref()];
    let args = [&args[..], &[role.as_ref(), "--delegate".as_ref(), delegate.as_os_str()]].concat();
    serde_json::from_slice(&run_python("judge.py", &args)).unwrap()
}

/// A temporary folder holding the man pages `ceremony generate man` writes.
pub fn generated_man_pages() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony"))
        .args(["generate", "man", "--out"])
        .arg(tmp.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tmp
}

/// Runs a command that must succeed; returns its standard output.
pub fn ok(ws: &Path, args: &[&str]) -> String {
    let out = ceremony(ws, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The hash of the transcript's last record: a ceremony's closing head right after its
/// `ceremony end` (or the bundle export that closed it), as its paper record shows it.
pub fn last_hash(ws: &Path) -> String {
    let log: serde_json::Value = serde_json::from_str(&ok(ws, &["log", "show", "--json"])).unwrap();
    log.as_array().and_then(|a| a.last()).and_then(|r| r["hash"].as_str()).unwrap().to_string()
}

/// A path as the `&str` an argument list takes (test paths are UTF-8).
pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes `holder`'s passphrase to `dir/HOLDER.pass`; returns that path.
pub fn passphrase_file(dir: &Path, holder: &str) -> String {
    let path = dir.join(format!("{holder}.pass"));
    std::fs::write(&path, format!("{holder} keeps seven quiet granite teapots\n")).unwrap();
    path.display().to_string()
}

/// Every file below `dir`, at any depth (links followed, directories left out).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every entry below `dir` (nothing when it does not exist): files by their SHA-256, links
/// by their target, directories by name.
pub fn dir_tree(dir: &Path) -> std::collections::BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                out.insert(rel, format!("link {}", std::fs::read_link(&p).unwrap().display()));
            } else if m.is_dir() {
                out.insert(rel, "dir".into());
                walk(base, &p, out);
            } else {
                out.insert(rel, hex::encode(Sha256::digest(std::fs::read(&p).unwrap())));
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
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
    refused_keeping(ws, args, code, workspace_snapshot)
}

/// [`refused`], with `state` saying what of `ws` must be left as it was.
pub fn refused_keeping<T>(ws: &Path, args: &[&str], code: i32, state: impl Fn(&Path) -> T) -> String
where
    T: PartialEq + std::fmt::Debug,
{
    let before = state(ws);
    let out = ceremony(ws, args);
    let sentence = one_sentence(&out, code, &format!("{args:?}"));
    assert_eq!(state(ws), before, "{args:?} changed the workspace");
    sentence
}

/// The one sentence (WARNING lines about test-only settings aside) a refusal with exit
/// `code` printed on stderr; `what` names the command in the failure message.
pub fn one_sentence(out: &std::process::Output, code: i32, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("WARNING")).collect();
    assert_eq!(lines.len(), 1, "{what}: one sentence expected: {stderr}");
    lines[0].to_string()
}
