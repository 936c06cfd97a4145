//! The online side against a workspace that lies: the root it trusts is checked against the
//! digest read out at the ceremony (`--trusted-root-sha256`, `--trusted-root-words`), and a
//! bundle is checked against what the repository already publishes (`--published`), so an
//! older genuine bundle handed over after a newer one is refused. Drives the real binary.

mod common;

use std::path::{Path, PathBuf};

use common::workspace::Setup;
use common::{ceremony, ok, one_sentence, path_str};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// alice, bob and carol (root, targets; claimed through their records), the online key;
/// root v1 and targets v1 staged and signed, not yet exported.
fn bootstrap() -> Setup {
    let st = Setup::with_holders(&["alice", "bob", "carol"]);
    for h in ["alice", "bob", "carol"] {
        st.add_record(h, "claimed");
    }
    st.import_online("online");
    st.root_init("alice,bob,carol", "2", "alice,bob,carol");
    ok(
        &st.ws,
        &["targets", "init", "--claimed", "alice.claimed,bob.claimed,carol.claimed", "--claimed-threshold", "2", "--online", "online"],
    );
    st.sign("alice");
    st.sign("bob");
    st
}

/// Exports NAME.tar; returns its path and what export printed.
fn export(st: &Setup, name: &str) -> (PathBuf, String) {
    let bundle = st.files.join(format!("{name}.tar"));
    let text = ok(&st.ws, &["bundle", "export", "--out", path_str(&bundle)]);
    (bundle, text)
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// `bundle extract` with ARGS after the bundle, run outside any workspace.
fn extract(st: &Setup, bundle: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["bundle", "extract", path_str(bundle), "--out", path_str(out)];
    all.extend_from_slice(args);
    ceremony(&st.files, &all)
}

/// Publishes what an extract wrote: its metadata files into the repository's directory.
fn publish(extracted: &Path, repo: &Path) {
    std::fs::create_dir_all(repo).unwrap();
    for e in std::fs::read_dir(extracted.join("metadata")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), repo.join(e.file_name())).unwrap();
    }
}

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn export_reads_out_each_new_root_and_the_report_holds_it() {
    let st = bootstrap();
    let (_, printed) = export(&st, "b1");
    let root1 = st.ws.join("current/trusted/root/1.root.json");
    let sha = sha256_hex(&root1);
    let words = ceremony::workspace::review::digest_words(&Sha256::digest(std::fs::read(&root1).unwrap()).into()).join(" ");
    assert!(printed.contains("SHA-256 of the file 1.root.json (the trust anchor):"), "{printed}");
    assert!(printed.contains(&sha) && printed.contains(&format!("words: {words}")), "{printed}");

    let log = ok(&st.ws, &["log", "show"]);
    assert!(log.contains(&format!("file sha256 {sha} (the trust anchor)")), "{log}");

    let report = st.files.join("b1.html");
    ok(&st.ws, &["report", "--out", path_str(&report)]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("SHA-256 of the file 1.root.json (the trust anchor)"),
        "the record lacks the anchor: expected {:?} to contain {:?}",
        html,
        "SHA-256 of the file 1.root.json (the trust anchor)"
    );
    assert!(html.contains(&sha[..32]), "the record lacks the anchor's digest or words: expected {:?} to contain {:?}", html, &sha[..32]);
    assert!(html.contains(&sha[32..]), "the record lacks the anchor's digest or words: expected {:?} to contain {:?}", html, &sha[32..]);
    assert!(html.contains(&words), "the record lacks the anchor's digest or words: expected {:?} to contain {:?}", html, &words);
    // The whole history shows it too, computed from the trusted file.
    ok(&st.ws, &["report", "--all", "--out", path_str(&report)]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("SHA-256 of the file 1.root.json (the trust anchor)"),
        "expected {:?} to contain {:?}",
        html,
        "SHA-256 of the file 1.root.json (the trust anchor)"
    );
    assert!(html.contains(&words), "expected {:?} to contain {:?}", html, &words);

    // A bundle with no new root reads nothing out.
    ok(&st.ws, &["renew", "targets"]);
    st.sign("alice");
    st.sign("bob");
    let (_, printed) = export(&st, "b2");
    assert!(!printed.contains("trust anchor"), "{printed}");

    // A root rotation reads out the new root; its JSON carries it.
    ok(&st.ws, &["root", "rotate", "--root-threshold", "3"]);
    for h in ["alice", "bob", "carol"] {
        st.sign(h);
    }
    let bundle = st.files.join("b3.tar");
    let json: Value = serde_json::from_str(&ok(&st.ws, &["--json", "bundle", "export", "--out", path_str(&bundle)])).unwrap();
    let root2 = st.ws.join("current/trusted/root/2.root.json");
    assert_eq!(json["trust_anchors"][0]["file"], "2.root.json");
    assert_eq!(json["trust_anchors"][0]["sha256"], sha256_hex(&root2));
    assert_eq!(json["trust_anchors"].as_array().unwrap().len(), 1, "{json}");
    ok(&st.ws, &["report", "--out", path_str(&report)]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("SHA-256 of the file 2.root.json (the trust anchor)"),
        "expected {:?} to contain {:?}",
        html,
        "SHA-256 of the file 2.root.json (the trust anchor)"
    );
    assert!(html.contains(&sha256_hex(&root2)[..32]), "expected {:?} to contain {:?}", html, &sha256_hex(&root2)[..32]);
}

#[test]
fn the_trusted_root_must_have_the_digest_read_out() {
    let st = bootstrap();
    let (bundle, _) = export(&st, "b1");
    let root = st.files.join("1.root.json");
    std::fs::copy(st.ws.join("current/trusted/root/1.root.json"), &root).unwrap();
    let sha = sha256_hex(&root);
    let wrong = "ab".repeat(32);

    let out = extract(&st, &bundle, &st.files.join("x1"), &["--trusted-root", path_str(&root), "--trusted-root-sha256", &wrong]);
    let msg = one_sentence(&out, 1, "a wrong digest");
    assert!(msg.contains(&sha) && msg.contains(&wrong) && msg.contains("read out at the ceremony"), "{msg}");
    assert!(
        !st.files.join("x1").exists(),
        "files were written for a root that is not the anchor: {} exists",
        st.files.join("x1").display()
    );
    let verify =
        ceremony(&st.files, &["bundle", "verify", path_str(&bundle), "--trusted-root", path_str(&root), "--trusted-root-sha256", &wrong]);
    let got = one_sentence(&verify, 1, "verify with a wrong digest");
    assert!(got.contains(&wrong), "expected {:?} to contain {:?}", got, &wrong);

    // A root swapped with the bundle: another ceremony's root, and its own bundle, verify
    // alone; the digest on the paper refuses them.
    let other = bootstrap();
    let (forged, _) = export(&other, "forged");
    let forged_root = other.ws.join("current/trusted/root/1.root.json");
    let out = extract(&st, &forged, &st.files.join("x2"), &["--trusted-root", path_str(&forged_root)]);
    assert_eq!(out.status.code(), Some(0), "the forged pair verifies alone");
    let out = extract(&st, &forged, &st.files.join("x3"), &["--trusted-root", path_str(&forged_root), "--trusted-root-sha256", &sha]);
    let msg = one_sentence(&out, 1, "a swapped root");
    assert!(msg.contains(&sha) && msg.contains(&sha256_hex(&forged_root)), "{msg}");

    // The right digest, typed in upper case and in two halves, or the words, is accepted.
    let typed = format!("{} {}", sha[..32].to_uppercase(), &sha[32..]);
    let out = extract(&st, &bundle, &st.files.join("x4"), &["--trusted-root", path_str(&root), "--trusted-root-sha256", &typed]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text(&out).contains(&format!("has the SHA-256 read out at the ceremony: {sha}")), "{}", text(&out));
    let words = ceremony::workspace::review::digest_words(&Sha256::digest(std::fs::read(&root).unwrap()).into()).join(" ");
    let out = extract(&st, &bundle, &st.files.join("x5"), &["--trusted-root", path_str(&root), "--trusted-root-words", &words]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = extract(
        &st,
        &bundle,
        &st.files.join("x6"),
        &["--trusted-root", path_str(&root), "--trusted-root-words", "one two three four five six"],
    );
    let msg = one_sentence(&out, 1, "wrong words");
    assert!(msg.contains(&words) && msg.contains("one two three four five six"), "{msg}");

    // Not a digest at all: bad usage.
    let out = extract(&st, &bundle, &st.files.join("x7"), &["--trusted-root", path_str(&root), "--trusted-root-sha256", "abc"]);
    one_sentence(&out, 2, "a short digest");
}

#[test]
fn an_older_bundle_is_refused_against_what_is_published() {
    let st = bootstrap();
    let (b1, _) = export(&st, "b1");
    ok(&st.ws, &["renew", "targets"]);
    st.sign("alice");
    st.sign("bob");
    let (b2, _) = export(&st, "b2");
    let root = st.files.join("1.root.json");
    std::fs::copy(st.ws.join("current/trusted/root/1.root.json"), &root).unwrap();
    let repo = st.files.join("repo");
    std::fs::create_dir(&repo).unwrap();
    let trust = ["--trusted-root", path_str(&root), "--published", path_str(&repo)];

    // The first import: an empty repository, everything to publish.
    let out = extract(&st, &b1, &st.files.join("i1"), &trust);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text(&out).contains("metadata/1.targets.json: to publish"), "{}", text(&out));
    publish(&st.files.join("i1"), &repo);
    let out = extract(&st, &b2, &st.files.join("i2"), &trust);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = text(&out);
    assert!(printed.contains("metadata/2.targets.json: to publish"), "{printed}");
    assert!(printed.contains("metadata/1.root.json: already published"), "{printed}");
    publish(&st.files.join("i2"), &repo);

    // The first bundle again, after the second was published: a replay.
    let out = extract(&st, &b1, &st.files.join("replay"), &trust);
    let msg = one_sentence(&out, 1, "a replayed bundle");
    assert!(msg.contains("targets version 1") && msg.contains("version 2") && msg.contains("replay"), "{msg}");
    assert!(!st.files.join("replay").exists(), "a replayed bundle was written out: {} exists", st.files.join("replay").display());
    // Without --published it still verifies: only what is published tells it is old.
    let out = extract(&st, &b1, &st.files.join("alone"), &trust[..2]);
    assert_eq!(out.status.code(), Some(0));

    // The second again: accepted, every file already published.
    let out = extract(&st, &b2, &st.files.join("again"), &trust);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text(&out).contains("Every file of this bundle is already published"), "{}", text(&out));
    let json: Value = serde_json::from_slice(
        &ceremony(&st.files, &["--json", "bundle", "verify", path_str(&b2), trust[0], trust[1], trust[2], trust[3]]).stdout,
    )
    .unwrap();
    assert!(json["published"].as_array().unwrap().iter().all(|f| f["standing"] == "already-published"), "{json}");

    // The same version published with other bytes: two files under one version.
    let published = repo.join("2.targets.json");
    let mut bytes = std::fs::read(&published).unwrap();
    bytes.push(b'\n');
    std::fs::write(&published, bytes).unwrap();
    let out = extract(&st, &b2, &st.files.join("differs"), &trust);
    let msg = one_sentence(&out, 1, "a published file that differs");
    assert!(msg.contains("2.targets.json") && msg.contains("another file with the same version"), "{msg}");
}

#[test]
fn a_root_history_must_extend_the_published_one() {
    let st = bootstrap();
    let (b1, _) = export(&st, "b1");
    ok(&st.ws, &["root", "rotate", "--root-threshold", "3"]);
    for h in ["alice", "bob", "carol"] {
        st.sign(h);
    }
    let (b2, _) = export(&st, "b2");
    let root = st.files.join("1.root.json");
    std::fs::copy(st.ws.join("current/trusted/root/1.root.json"), &root).unwrap();
    let repo = st.files.join("repo");
    let out = extract(&st, &b2, &st.files.join("i2"), &["--trusted-root", path_str(&root)]);
    assert_eq!(out.status.code(), Some(0));
    publish(&st.files.join("i2"), &repo);
    let trust = ["--trusted-root", path_str(&root), "--published", path_str(&repo)];

    // Root version 1 alone after version 2 is published: a replay of the bootstrap.
    let out = extract(&st, &b1, &st.files.join("replay"), &trust);
    let msg = one_sentence(&out, 1, "an older root history");
    assert!(msg.contains("newest root is version 1") && msg.contains("root version 2") && msg.contains("replay"), "{msg}");

    // A published root.json names its version inside; a published root that differs from
    // the bundle's is another history.
    let other = st.files.join("other-repo");
    std::fs::create_dir(&other).unwrap();
    std::fs::copy(repo.join("2.root.json"), other.join("root.json")).unwrap();
    let out = extract(&st, &b1, &st.files.join("r1"), &["--trusted-root", path_str(&root), "--published", path_str(&other)]);
    let got = one_sentence(&out, 1, "root.json of version 2");
    assert!(got.contains("root version 2"), "expected {:?} to contain {:?}", got, "root version 2");
    let mut bytes = std::fs::read(repo.join("1.root.json")).unwrap();
    bytes.push(b'\n');
    std::fs::write(other.join("1.root.json"), bytes).unwrap();
    let out = extract(&st, &b2, &st.files.join("r2"), &["--trusted-root", path_str(&root), "--published", path_str(&other)]);
    let msg = one_sentence(&out, 1, "a published root that differs");
    assert!(msg.contains("root version 1") && msg.contains("does not extend"), "{msg}");

    // A directory that is not there is a mistake, not an empty repository.
    let out =
        extract(&st, &b2, &st.files.join("r3"), &["--trusted-root", path_str(&root), "--published", path_str(&st.files.join("nope"))]);
    one_sentence(&out, 2, "a missing published directory");
}
