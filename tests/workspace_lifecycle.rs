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
    assert!(status.success(), "exited {:?}", status);
}

fn extract(bundle: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    let status = Command::new("tar").arg("-xf").arg(bundle).arg("-C").arg(to).status().unwrap();
    assert!(status.success(), "exited {:?}", status);
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
    let got = ok(&st.ws, &["signature", "import", sigs.to_str().unwrap(), sigs.to_str().unwrap()]);
    assert!(got.contains("Imported 0"), "expected {:?} to contain {:?}", got, "Imported 0");
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
    assert!(!b2.exists(), "{} exists", b2.display());

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
    assert!(!out.exists(), "{} exists", out.display());
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

/// Begins a ceremony with `previous` as the closing head typed from the paper.
fn begin_args<'a>(purpose: &'a str, previous: &'a str) -> Vec<&'a str> {
    vec!["begin", "--purpose", purpose, "--place", "Room 1", "--attendee", "alice", "--previous-head", previous]
}

/// Ends the open ceremony; returns its closing head as printed for the paper: (hex, words).
fn end_ceremony(ws: &Path, bag: &str) -> (String, String) {
    let out: Value = serde_json::from_str(&ok(ws, &["--json", "end", "--bag", bag])).unwrap();
    let closing = &out["closing_head"];
    (closing["head"].as_str().unwrap().to_string(), closing["words"].as_str().unwrap().to_string())
}

/// The history anchored outside the stick (issue 23): `ceremony end` prints the closing
/// head; the next `begin` takes it from the paper, in hex or words, and refuses a workspace
/// whose last ceremony closed anywhere else, a `none` where a ceremony was closed, and a
/// missing head where nobody can be asked. A continued ceremony is not asked again.
#[test]
fn begin_checks_the_previous_closing_head_from_the_paper() {
    let st = Setup::new();
    let ws = &st.ws;
    // No terminal, no flag: refused at once (no hang), naming the flag; nothing recorded.
    let said = refused(ws, &["begin", "--purpose", "First", "--place", "Room 1"], 2);
    assert!(said.contains("--previous-head") && said.contains("paper record"), "{said}");
    // A prefix of hex, or five words, is not a head.
    let said = refused(ws, &begin_args("First", "0123456789abcdef"), 2);
    assert!(said.contains("all 64 are needed"), "{said}");
    ok(ws, &begin_args("First", "none"));
    // Continuing the open ceremony needs no head again.
    let got = ok(ws, &["begin", "--purpose", "First", "--place", "Room 1"]);
    assert!(got.contains("continues"), "expected {:?} to contain {:?}", got, "continues");
    let text = ok(ws, &["end", "--bag", "TEB-1"]);
    let (hex, words) = (common::last_hash(ws), ceremony::audit::ceremonies::head_words(&common::last_hash(ws)));
    assert!(text.contains(&format!("closing head: {hex}")) && text.contains(&format!("closing head words: {words}")), "{text}");
    assert!(text.contains("records: 3"), "the head after the end record: {text}");
    assert_eq!(words.split(' ').count(), 6);

    // `none` where a ceremony was closed is refused, without the head it holds (to be read
    // from the paper, not copied from the screen).
    let said = refused(ws, &begin_args("Second", "none"), 1);
    assert!(said.contains("closed ceremony 1") && said.contains("do not sign"), "{said}");
    assert!(!said.contains(&hex) && !said.contains(&words), "{said}");
    // A wrong head: one sentence naming both, each with its words, and what to do.
    let wrong = "ab".repeat(32);
    let wrong_words = ceremony::audit::ceremonies::head_words(&wrong);
    let said = refused(ws, &begin_args("Second", &wrong), 1);
    for part in [&wrong, &wrong_words, &hex, &words] {
        assert!(said.contains(part.as_str()), "{part} missing from: {said}");
    }
    assert!(said.contains("restore the sealed copy") && said.contains("do not sign"), "{said}");
    // The right head in words, any case and spacing, opens ceremony 2.
    let spaced = words.to_uppercase().replace(' ', "   ");
    let got = ok(ws, &begin_args("Second", &spaced));
    assert!(got.contains("Began ceremony 2"), "expected {:?} to contain {:?}", got, "Began ceremony 2");
    let (hex2, _) = end_ceremony(ws, "TEB-2");
    // In hex, in groups of eight as written on paper, it opens ceremony 3.
    let grouped: Vec<&str> = (0..8).map(|i| &hex2[i * 8..i * 8 + 8]).collect();
    let got = ok(ws, &begin_args("Third", &grouped.join(" ")));
    assert!(got.contains("Began ceremony 3"), "expected {:?} to contain {:?}", got, "Began ceremony 3");
    // The begin record keeps the head that was checked; `log verify` checks it again.
    let log: Value = serde_json::from_str(&ok(ws, &["log", "show", "--json"])).unwrap();
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["ceremony"]["previous_head"]["hash"], hex2.as_str());
    let got = ok(ws, &["log", "verify", "--previous-head", &hex2]);
    assert!(
        got.contains("closed at the head on the paper record"),
        "expected {:?} to contain {:?}",
        got,
        "closed at the head on the paper record"
    );
    refused(ws, &["log", "verify", "--previous-head", &hex], 1);
}

/// A workspace rolled back to an older, consistent copy passes every check of its own
/// chain, but not the paper: begin refuses it.
#[test]
fn a_workspace_rolled_back_to_an_older_copy_is_refused_at_begin() {
    let st = Setup::new();
    let ws = &st.ws;
    ok(ws, &begin_args("First", "none"));
    let (hex1, _) = end_ceremony(ws, "TEB-1");
    let sealed_after_1 = st.files.join("copy-after-1");
    copy_dir(ws, &sealed_after_1);
    ok(ws, &begin_args("Second", &hex1));
    common::workspace::import_online(ws, &st.files, "online");
    let (hex2, words2) = end_ceremony(ws, "TEB-2");

    std::fs::remove_dir_all(ws).unwrap();
    copy_dir(&sealed_after_1, ws);
    ok(ws, &["log", "verify"]);
    let said = refused(ws, &begin_args("Third", &hex2), 1);
    assert!(said.contains(&hex2) && said.contains(&words2) && said.contains(&hex1), "{said}");
    assert!(said.contains("not the workspace sealed after the last ceremony"), "{said}");
    // The same with the words.
    refused(ws, &begin_args("Third", &words2), 1);
}

/// A JSON value with every object's keys in sorted order, at every depth.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let keys: std::collections::BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(keys.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Re-hashes a transcript as Ceremony writes it: each record's `hash` is the SHA-256 of its
/// canonical JSON without `hash` (keys sorted, no spaces; the texts here are plain ASCII, so
/// string escaping agrees), and `prev` is the hash of the record before.
fn rehash(text: &str) -> String {
    use sha2::Digest;
    let mut prev = "0".repeat(64);
    let mut out = String::new();
    for line in text.lines() {
        let mut record: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        record.insert("prev".into(), Value::String(prev.clone()));
        record.remove("hash");
        let canonical = serde_json::to_string(&sorted(&Value::Object(record.clone()))).unwrap();
        let hash = hex::encode(sha2::Sha256::digest(canonical));
        record.insert("hash".into(), Value::String(hash.clone()));
        out.push_str(&serde_json::to_string(&record).unwrap());
        out.push('\n');
        prev = hash;
    }
    out
}

fn hashes(text: &str) -> Vec<String> {
    text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["hash"].as_str().unwrap().to_string()).collect()
}

/// A transcript rewritten and re-hashed consistently verifies as a chain, but its
/// ceremony no longer closes at the head on the paper: begin refuses it.
#[test]
fn a_rewritten_and_rehashed_transcript_is_refused_at_begin() {
    let st = Setup::new();
    let ws = &st.ws;
    ok(ws, &begin_args("First", "none"));
    common::workspace::add_holder(ws, &st.files, "alice");
    let (hex1, words1) = end_ceremony(ws, "TEB-1");
    let path = ws.join("current").join("transcript.jsonl");
    let original = std::fs::read_to_string(&path).unwrap();
    assert_eq!(hashes(&rehash(&original)), hashes(&original), "the re-hasher hashes as Ceremony does");

    // History rewritten: mallory, not alice, registered in ceremony 1.
    let forged = rehash(&original.replace("\"alice\"", "\"mallory\""));
    assert_ne!(forged, original);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &forged).unwrap();
    ok(ws, &["log", "verify"]);
    let said = refused(ws, &begin_args("Second", &hex1), 1);
    assert!(said.contains(&hex1) && said.contains(&words1) && said.contains("restore the sealed copy"), "{said}");
    refused(ws, &["log", "verify", "--previous-head", &words1], 1);

    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &original).unwrap();
    let got = ok(ws, &begin_args("Second", &words1));
    assert!(got.contains("Began ceremony 2"), "expected {:?} to contain {:?}", got, "Began ceremony 2");
}
