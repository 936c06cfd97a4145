//! What a claimed holder reviews at `sign`: the new projects, developer key changes and
//! path overlaps of the staged batch, computed from the staged and trusted shards (so an
//! edited review file changes nothing), and the same digest words at staging and at `sign`.

mod common;

use std::path::{Path, PathBuf};

use common::promotion::{ok, path_str, setup, Setup};
use serde_json::Value;

/// The text after `label` up to the end of its line.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    let at = text.find(label).unwrap_or_else(|| panic!("{label:?} not in:\n{text}")) + label.len();
    text[at..].lines().next().unwrap().trim_end_matches('\r').trim()
}

/// The developer keyids a recently-claimed file gives `project`.
fn dev_keyids(rc: &Path, project: &str) -> Vec<String> {
    let doc: Value = serde_json::from_slice(&std::fs::read(rc).unwrap()).unwrap();
    let roles = doc["signed"]["delegations"]["roles"].as_array().unwrap();
    let role = roles.iter().find(|r| r["name"] == project).unwrap();
    role["keyids"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect()
}

/// Batch 1 (foo, requests, numpy) promoted, signed and exported; batch 2 (foo-bar and
/// attrs new, requests with a new developer key) staged. Returns the
/// setup, batch 2's file and what `promote` printed for it.
fn second_batch_staged() -> (Setup, PathBuf, PathBuf, String) {
    let s = setup();
    let rc1 = s.recently_claimed("rc1.json", &["foo", "requests", "numpy"], 1, &[]);
    ok(&s.ws, &["claimed", "promote", path_str(&rc1)]);
    s.sign_all(&["alice", "bob"]);
    s.export("b1");
    let rc2 = s.recently_claimed("rc2.json", &["foo-bar", "requests", "attrs"], 2, &[]);
    let promoted = ok(&s.ws, &["claimed", "promote", path_str(&rc2)]);
    (s, rc1, rc2, promoted)
}

#[test]
fn sign_lists_the_batch_from_the_shards_whatever_the_review_files_say() {
    let (s, rc1, rc2, promoted) = second_batch_staged();
    assert!(promoted.contains("digest of the signed part of claimed v2 (the bytes the signature covers)"), "{promoted}");
    let words_at_promote = after(&promoted, "read aloud and compare:").to_string();
    assert_eq!(words_at_promote.split(' ').count(), 6, "{promoted}");

    // Whoever can write the workspace rewrites the batch list `promote` wrote, and plants a
    // reassuring review where `sign` will write its own.
    let batch_list = PathBuf::from(after(&promoted, "the full list is in"));
    std::fs::write(&batch_list, "# claimed promotion from recently-claimed version 2\nunchanged\trequests\n").unwrap();
    let planted = batch_list.with_file_name("claimed-v2-promotion-review.txt");
    std::fs::write(&planted, "nothing changes\n").unwrap();

    // alice reads the review on a terminal and says no.
    let pf = s.files.join("alice.pass");
    let mut t = common::pty::spawn(&s.ws, &["sign", "--holder", "alice", "--passphrase-file", path_str(&pf)]);
    t.expect("read aloud and compare:");
    t.type_line("no");
    let (code, screen) = t.finish();
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("new projects: 2"), "{screen}");
    assert!(screen.contains("    attrs") && screen.contains("    foo-bar"), "{screen}");
    let (old, new) = (dev_keyids(&rc1, "requests"), dev_keyids(&rc2, "requests"));
    assert_ne!(old, new);
    assert!(screen.contains("WARNING: 1 DEVELOPER KEY CHANGE(S)"), "{screen}");
    let line = format!("requests: keys {} -> {}; threshold 1 -> 1", &old[0][..16], &new[0][..16]);
    assert!(screen.contains(&line), "{line} not in:\n{screen}");
    assert!(screen.contains("WARNING: 1 NEW PATH OVERLAP(S)"), "{screen}");
    assert!(screen.contains("foo reaches older files of foo-bar"), "{screen}");
    // foo shares its shard with foo-bar: restaged, with the same keys.
    assert!(screen.contains("unchanged: 1 project(s)"), "{screen}");
    assert!(!screen.contains("REMOVED"), "{screen}");
    // The same bytes, the same words, under the same label.
    assert!(screen.contains("digest of the signed part of claimed v2 (the bytes the signature covers)"), "{screen}");
    assert_eq!(after(&screen, "read aloud and compare:"), words_at_promote);

    // The screen names the file it will write, and a refused `sign` writes nothing there.
    let named = PathBuf::from(after(&screen, "computed just now from the shards:"));
    assert_eq!(named, planted);
    assert!(screen.contains("(written there when you confirm"), "{screen}");
    assert_eq!(std::fs::read_to_string(&named).unwrap(), "nothing changes\n");

    // The batch list deleted makes no difference either: `sign --yes` shows the same, signs,
    // and replaces the planted review with the one computed from the shards.
    std::fs::remove_file(&batch_list).unwrap();
    let signed = ok(&s.ws, &["sign", "--holder", "alice", "--passphrase-file", path_str(&pf), "--yes"]);
    assert!(signed.contains(&line) && signed.contains("foo reaches older files of foo-bar"), "{signed}");
    assert_eq!(after(&signed, "read aloud and compare:"), words_at_promote);
    let full = std::fs::read_to_string(&named).unwrap();
    assert!(!full.contains("nothing changes"), "{full}");
    let change = format!("key-change\trequests\t{} -> {}\tthreshold 1 -> 1\n", old[0], new[0]);
    assert!(full.contains(&change), "{full}");
    for line in ["overlap\tfoo\tfoo-bar\n", "new\tattrs\n", "new\tfoo-bar\n"] {
        assert!(full.contains(line), "{line:?} not in {full}");
    }
    assert!(signed.contains("Signed claimed version 2"), "{signed}");
}

/// A workspace where one person holds every role: root v1 staged.
fn one_holder_workspace(tmp: &Path) -> (PathBuf, PathBuf, String) {
    let ws = tmp.join("ws");
    let pf = tmp.join("alice.pass");
    std::fs::write(&pf, "alice keeps seven quiet granite teapots\n").unwrap();
    ok(&ws, &["init"]);
    ok(&ws, &["key", "new", "passphrase", "--holder", "alice", "--passphrase-file", path_str(&pf), "--kdf-profile", "test"]);
    ok(&ws, &["key", "new", "passphrase", "--holder", "online", "--passphrase-file", path_str(&pf), "--kdf-profile", "test"]);
    let staged = ok(
        &ws,
        &[
            "root", "init", "--root", "alice", "--root-threshold", "1", "--targets", "alice", "--targets-threshold", "1", "--snapshot",
            "online", "--timestamp", "online",
        ],
    );
    (ws, pf, staged)
}

#[test]
fn the_words_at_staging_are_the_words_at_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, pf, staged) = one_holder_workspace(tmp.path());
    assert!(staged.contains("digest of the signed part of root v1 (the bytes the signature covers)"), "{staged}");
    let signed = ok(&ws, &["sign", "--holder", "alice", "--passphrase-file", path_str(&pf), "--yes"]);
    assert!(signed.contains("digest of the signed part of root v1 (the bytes the signature covers)"), "{signed}");
    assert_eq!(after(&signed, "read aloud and compare:"), after(&staged, "read aloud and compare:"));
    assert_eq!(after(&signed, "sha256"), after(&staged, "sha256"));
    // Staged again with --json: scripts get the label and words the screen shows.
    ok(&ws, &["discard", "root"]);
    let json: Value = serde_json::from_str(&ok(
        &ws,
        &[
            "root", "init", "--root", "alice", "--root-threshold", "1", "--targets", "alice", "--targets-threshold", "1", "--snapshot",
            "online", "--timestamp", "online", "--json",
        ],
    ))
    .unwrap();
    assert_eq!(json["covers"], "the signed part of root v1 (the bytes the signature covers)", "{json}");
    let words: Vec<&str> = json["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    let signed = ok(&ws, &["sign", "--holder", "alice", "--passphrase-file", path_str(&pf), "--yes"]);
    assert_eq!(after(&signed, "read aloud and compare:"), words.join(" "));
    assert_eq!(after(&signed, "sha256"), json["digest"].as_str().unwrap());
}
