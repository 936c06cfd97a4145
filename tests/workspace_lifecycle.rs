//! The ceremony workspace end to end through the real binary: the full root lifecycle
//! with three passphrase holders, every refusal (exit code, message, workspace unchanged),
//! transcript tampering, and python-tuf as the judge of what the bundles carry.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::workspace::Setup;
use common::{ceremony, ok, passphrase_file, refused};

/// A workspace with alice, bob, carol, dave, erin (passphrase, test KDF) and the online key.
fn setup() -> Setup {
    let st = Setup::with_holders(&["alice", "bob", "carol", "dave", "erin"]);
    st.import_online("online");
    st
}

fn sign(st: &Setup, dir: &Path, holder: &str) {
    let pf = passphrase_file(&st.files, holder);
    ok(dir, &["sign", "--holder", holder, "--passphrase-file", &pf, "--yes"]);
}

fn status(dir: &Path) -> Value {
    serde_json::from_str(&ok(dir, &["status", "--json"])).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

fn extract(bundle: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    let status = Command::new("tar").arg("-xf").arg(bundle).arg("-C").arg(to).status().unwrap();
    assert!(status.success());
    to.join("metadata")
}

fn judge(args: &[&OsStr]) -> Value {
    serde_json::from_slice(&common::run_python("judge.py", args)).unwrap()
}

fn root_init(dir: &Path) {
    ok(
        dir,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice", "--targets-threshold", "1",
            "--snapshot", "online", "--timestamp", "online",
        ],
    );
}

#[test]
fn root_lifecycle_with_three_passphrase_holders() {
    let st = setup();
    root_init(&st.ws);
    sign(&st, &st.ws, "alice");
    let s = status(&st.ws);
    assert_eq!(s["ready"], false);
    assert_eq!(s["staged"][0]["thresholds"][0]["have"], 1);

    // bob signs on a copy of the workspace, on "another machine", and brings his signatures back.
    let other = st.files.join("bobs-machine");
    copy_dir(&st.ws, &other);
    sign(&st, &other, "bob");
    let sigs = st.files.join("bob.sigs.json");
    ok(&other, &["signature", "export", "--holder", "bob", "--out", sigs.to_str().unwrap()]);
    ok(&st.ws, &["signature", "import", sigs.to_str().unwrap()]);
    // Importing twice is harmless.
    assert!(ok(&st.ws, &["signature", "import", sigs.to_str().unwrap(), sigs.to_str().unwrap()]).contains("Imported 0"));
    assert_eq!(status(&st.ws)["ready"], true);

    let b1 = st.files.join("b1.tar");
    ok(&st.ws, &["bundle", "export", "--out", b1.to_str().unwrap()]);
    let meta1 = extract(&b1, &st.files.join("b1"));
    let root1 = meta1.join("1.root.json");
    let v = common::judge_delegate(&root1, "root", &root1);
    assert_eq!(v["ok"], true, "{v}");

    // Rotation to v2: carol out, dave and erin in, still 2 of N.
    ok(&st.ws, &["root", "rotate", "--remove-root", "carol", "--add-root", "dave", "--add-root", "erin"]);
    sign(&st, &st.ws, "dave");
    sign(&st, &st.ws, "erin");
    let s = status(&st.ws);
    let th = &s["staged"][0]["thresholds"];
    assert_eq!(th[0]["threshold_of"], "previous root (version 1)");
    assert_eq!(th[0]["have"], 0);
    assert_eq!(th[1]["have"], 2);
    assert_eq!(s["ready"], false);
    let b2 = st.files.join("b2.tar");
    let msg = refused(&st.ws, &["bundle", "export", "--out", b2.to_str().unwrap()], 1);
    assert!(msg.contains("previous root (version 1)"), "{msg}");
    assert!(!b2.exists());

    sign(&st, &st.ws, "alice");
    assert_eq!(status(&st.ws)["ready"], false);
    // carol is no longer in v2 but her v1 key still counts for the previous root's threshold.
    sign(&st, &st.ws, "carol");
    assert_eq!(status(&st.ws)["ready"], true);
    ok(&st.ws, &["bundle", "export", "--out", b2.to_str().unwrap()]);

    let meta2 = extract(&b2, &st.files.join("b2"));
    let chain = judge(&["root-chain".as_ref(), meta2.join("1.root.json").as_os_str(), meta2.join("2.root.json").as_os_str()]);
    assert_eq!(chain["ok"], true, "{chain}");
    // And the bundle verifies here trusting only root version 1.
    ok(&st.ws, &["bundle", "verify", b2.to_str().unwrap(), "--trusted-root", root1.to_str().unwrap()]);
    ok(&st.ws, &["log", "verify"]);
    let log = ok(&st.ws, &["log", "show"]);
    assert!(log.contains("sign, holder carol, root v2"), "{log}");
}

#[test]
fn refusals_name_the_rule_and_leave_the_workspace_unchanged() {
    let st = setup();
    let d = st.ws.as_path();
    let base = ["root", "init", "--targets", "alice", "--targets-threshold", "1", "--snapshot", "online", "--timestamp", "online"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { base.iter().copied().chain(extra.iter().copied()).collect() };

    let m = refused(d, &with(&["--root", "alice,bob", "--root-threshold", "3"]), 1);
    assert!(m.contains("threshold rule"), "{m}");
    let m = refused(d, &with(&["--root", "alice,bob", "--root-threshold", "0"]), 1);
    assert!(m.contains("threshold 0"), "{m}");
    let m = refused(d, &with(&["--root", "alice,bob", "--root-threshold", "2", "--expires", "5000d"]), 1);
    assert!(m.contains("expiry rule"), "{m}");
    let m = refused(d, &with(&["--root", "alice,zed", "--root-threshold", "2"]), 1);
    assert!(m.contains("no holder named \"zed\""), "{m}");
    let m = refused(d, &with(&["--root", "alice,bob", "--root-threshold", "2", "--expires", "soon"]), 2);
    assert!(m.contains("not a duration"), "{m}");
    let m = refused(d, &["renew", "targets"], 1);
    assert!(m.contains("no trusted targets"), "{m}");
    let m = refused(d, &["root", "rotate"], 1);
    assert!(m.contains("trusts no root"), "{m}");

    root_init(d);
    let m = refused(d, &["root", "rotate"], 1);
    assert!(m.contains("trusts no root"), "{m}");
    let m = refused(d, &with(&["--root", "alice,bob", "--root-threshold", "2"]), 1);
    assert!(m.contains("already staged"), "{m}");

    // Wrong passphrase: nothing signed.
    let wrong = st.files.join("wrong.pass");
    std::fs::write(&wrong, "not alice's passphrase at all, no\n").unwrap();
    let m = refused(d, &["sign", "--holder", "alice", "--passphrase-file", wrong.to_str().unwrap(), "--yes"], 1);
    assert!(m.contains("does not give alice's registered key"), "{m}");
    // No terminal and no --yes: refused, not hanging.
    let pf = passphrase_file(&st.files, "alice");
    let m = refused(d, &["sign", "--holder", "alice", "--passphrase-file", &pf], 2);
    assert!(m.contains("--yes"), "{m}");
    // A holder whose key signs nothing staged.
    let m = refused(d, &["sign", "--holder", "dave", "--passphrase-file", &passphrase_file(&st.files, "dave"), "--yes"], 1);
    assert!(m.contains("no staged role needs dave"), "{m}");
    let m = refused(d, &["sign", "--holder", "online", "--yes"], 1);
    assert!(m.contains("no staged role needs online") || m.contains("public key"), "{m}");

    // A signature over other bytes: bob signs a different staged root elsewhere.
    let other = st.files.join("elsewhere");
    copy_dir(d, &other);
    ok(&other, &["discard", "root"]);
    ok(
        &other,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "3", "--targets", "alice", "--targets-threshold", "1",
            "--snapshot", "online", "--timestamp", "online",
        ],
    );
    sign(&st, &other, "bob");
    let sigs = st.files.join("other-bytes.json");
    ok(&other, &["signature", "export", "--holder", "bob", "--out", sigs.to_str().unwrap()]);
    let m = refused(d, &["signature", "import", sigs.to_str().unwrap()], 1);
    assert!(m.contains("over other bytes"), "{m}");
    // A forged signature value on the right bytes.
    let mut forged: Value = serde_json::from_slice(&std::fs::read(&sigs).unwrap()).unwrap();
    let staged: Value = status(d);
    forged["signatures"][0]["digest"] = staged["staged"][0]["digest"].clone();
    let sig = forged["signatures"][0]["sig"].as_str().unwrap().to_string();
    forged["signatures"][0]["sig"] = Value::String(format!("{}00", &sig[..sig.len() - 2]));
    let forged_path = st.files.join("forged.json");
    std::fs::write(&forged_path, serde_json::to_vec(&forged).unwrap()).unwrap();
    let m = refused(d, &["signature", "import", forged_path.to_str().unwrap()], 1);
    assert!(m.contains("does not verify"), "{m}");
    std::fs::write(&forged_path, b"{not json").unwrap();
    refused(d, &["signature", "import", forged_path.to_str().unwrap()], 2);
    refused(d, &["signature", "import", "/no/such/file.json"], 2);

    // Export refused while incomplete; the bundle file is not created.
    let out = st.files.join("never.tar");
    let m = refused(d, &["bundle", "export", "--out", out.to_str().unwrap()], 1);
    assert!(m.contains("0 of the 2 signatures"), "{m}");
    assert!(!out.exists());
    // Not a workspace.
    refused(&st.files.join("nothing-here"), &["status"], 2);
}

/// [`setup`] with root v1 staged and signed by alice; the path of `file` in the current
/// state and its text.
fn root_signed_by_alice(file: &str) -> (Setup, PathBuf, String) {
    let st = setup();
    root_init(&st.ws);
    sign(&st, &st.ws, "alice");
    let path = st.ws.join("current").join(file);
    let original = std::fs::read_to_string(&path).unwrap();
    (st, path, original)
}

#[test]
fn tampering_with_the_transcript_is_caught() {
    let (st, path, original) = root_signed_by_alice("transcript.jsonl");
    let lines: Vec<&str> = original.lines().collect();
    let cases: Vec<(&str, String)> = vec![
        ("altered", original.replacen("\"alice\"", "\"mallory\"", 1)),
        ("removed", lines.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")),
        ("reordered", {
            let mut l = lines.clone();
            l.swap(1, 2);
            l.join("\n")
        }),
        ("not json", original.replacen('{', "[", 1)),
    ];
    for (what, text) in cases {
        // Replace the file (not write into it: the previous state may share its inode).
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &text).unwrap();
        let out = ceremony(&st.ws, &["log", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stderr).contains("transcript"), "{what}");
    }
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &original).unwrap();
    ok(&st.ws, &["log", "verify"]);
}

/// The signatures Ceremony collects apart from the staged files (`staged/collected.sigs`)
/// are checked like those in the files: a changed, doubled or malformed one is
/// refused by every command that reads it, plainly and without changing the workspace.
#[test]
fn tampering_with_the_collected_signatures_is_caught() {
    let (st, path, original) = root_signed_by_alice("staged/collected.sigs");
    let doc: Value = serde_json::from_str(&original).unwrap();
    let alice = doc["root"][0].clone();
    let keyid = alice["keyid"].as_str().unwrap();
    let sig = alice["sig"].as_str().unwrap();
    let flipped = format!("{}{}", if sig.starts_with('0') { '1' } else { '0' }, &sig[1..]);
    let cases: Vec<(&str, String)> = vec![
        ("changed signature", original.replace(sig, &flipped)),
        ("a second signature by the same key", original.replace("}]", &format!("}},{{\"keyid\":\"{keyid}\",\"sig\":\"{flipped}\"}}]"))),
        ("not canonical JSON", original.replace("{\"keyid\"", "{ \"keyid\"")),
        ("not a signatures list", "[]".to_string()),
    ];
    let pf = passphrase_file(&st.files, "bob");
    let out = st.files.join("b.tar");
    for (what, text) in cases {
        assert_ne!(text, original, "{what}: the case did not apply");
        // Replace the file (not write into it: the previous state may share its inode).
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &text).unwrap();
        for args in [
            vec!["status"],
            vec!["sign", "--holder", "bob", "--passphrase-file", pf.as_str(), "--yes"],
            vec!["bundle", "export", "--out", out.to_str().unwrap()],
        ] {
            let stderr = refused(&st.ws, &args, 1);
            assert!(stderr.contains("staged") || stderr.contains("collected"), "{what}, {args:?}: {stderr}");
        }
        assert!(!out.exists(), "{what}: a bundle was written");
    }
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &original).unwrap();
    sign(&st, &st.ws, "bob");
}
