//! `ceremony preflight` and `ceremony --version [--verbose]` through the real binary.
//! Preflight reads a fake sysfs tree (hidden `--sys-root`), so its verdict does not depend
//! on the machine the tests run on; one run on the real /sys checks only its form.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::ceremony;
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ceremony")).args(args).stdin(std::process::Stdio::null()).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sha256_of_binary() -> String {
    ceremony::support::buildinfo::file_sha256(Path::new(env!("CARGO_BIN_EXE_ceremony"))).unwrap()
}

fn iface(sys: &Path, name: &str, operstate: &str, flags: &str) {
    let d = sys.join("class/net").join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("operstate"), format!("{operstate}\n")).unwrap();
    std::fs::write(d.join("flags"), format!("{flags}\n")).unwrap();
}

#[test]
fn version_plain_and_verbose() {
    let out = run(&["--version"]);
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text(&out.stdout), format!("ceremony {}\n", env!("CARGO_PKG_VERSION")));
    let out = run(&["-V"]);
    assert_eq!(text(&out.stdout), format!("ceremony {}\n", env!("CARGO_PKG_VERSION")));

    let hash = sha256_of_binary();
    for args in [&["--version", "--verbose"][..], &["version", "--verbose"][..]] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with(&format!("ceremony {}\n", env!("CARGO_PKG_VERSION"))), "{stdout}");
        assert!(stdout.contains(&format!("sha256:  {hash}\n")), "{stdout}");
        assert!(stdout.contains("target:  ") && stdout.contains("-linux-"), "{stdout}");
        assert!(stdout.contains("profile: "), "{stdout}");
    }
    let json: Value = serde_json::from_slice(&run(&["--version", "--verbose", "--json"]).stdout).unwrap();
    assert_eq!(json["sha256"], hash.as_str());
    // --verbose alone is a usage error; no command at all too.
    assert_eq!(run(&["--verbose"]).status.code(), Some(2));
    assert_eq!(run(&["--json"]).status.code(), Some(2));
}

#[test]
fn preflight_on_a_clean_fake_machine_passes_and_an_up_interface_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let sys = tmp.path().join("sys");
    iface(&sys, "lo", "unknown", "0x9");
    let ws = tmp.path().join("ws");
    let sys_arg = sys.to_str().unwrap();

    // No workspace: workspace checks warn, nothing fails.
    let out = ceremony(&ws, &["preflight", "--sys-root", sys_arg]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("pass: network: no network interface other than loopback"), "{stdout}");
    assert!(stdout.contains("warn: workspace: no workspace"), "{stdout}");
    assert!(stdout.contains(&format!("pass: binary: sha256 {}", sha256_of_binary())), "{stdout}");
    for line in stdout.lines() {
        assert!(line.starts_with("pass: ") || line.starts_with("warn: ") || line.starts_with("fail: "), "{line}");
    }

    // A fresh workspace: its checks pass.
    let init = ceremony(&ws, &["init"]);
    assert!(init.status.success(), "failed: {}", String::from_utf8_lossy(&init.stderr));
    let out = ceremony(&ws, &["preflight", "--sys-root", sys_arg, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    let checks = json["checks"].as_array().unwrap();
    for name in ["network", "wireless", "transcript", "holders", "metadata", "root chain", "clock", "binary"] {
        assert!(checks.iter().any(|c| c["check"] == name && c["result"] == "pass"), "{name}: {json}");
    }

    // An interface that is up: one fail line, exit 1, one sentence on stderr.
    iface(&sys, "eth0", "up", "0x1003");
    let out = ceremony(&ws, &["preflight", "--sys-root", sys_arg]);
    assert_eq!(out.status.code(), Some(1));
    let got = text(&out.stdout);
    assert!(
        got.contains("fail: network: interface eth0 is up"),
        "expected {:?} to contain {:?}",
        got,
        "fail: network: interface eth0 is up"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    // A transcript altered outside ceremony fails the integrity check.
    std::fs::remove_dir_all(sys.join("class/net/eth0")).unwrap();
    let transcript = ws.join("current/transcript.jsonl");
    let altered = std::fs::read_to_string(&transcript).unwrap().replace("\"init\"", "\"tini\"");
    std::fs::write(&transcript, altered).unwrap();
    let out = ceremony(&ws, &["preflight", "--sys-root", sys_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("fail: transcript: "), "{}", text(&out.stdout));
}

#[test]
fn preflight_on_this_machine_prints_one_verdict_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ceremony(&tmp.path().join("none"), &["preflight"]);
    let stdout = text(&out.stdout);
    let fails = stdout.lines().filter(|l| l.starts_with("fail: ")).count();
    assert_eq!(out.status.code(), Some(if fails == 0 { 0 } else { 1 }), "{stdout}");
    assert!(stdout.lines().all(|l| ["pass: ", "warn: ", "fail: "].iter().any(|p| l.starts_with(p))), "{stdout}");
}
