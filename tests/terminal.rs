//! What a keyholder sees and types on a real terminal: the binary runs on a pseudo-terminal
//! (tests/common/pty.rs), answering the prompts as a person would.

mod common;

use std::path::Path;

use ceremony::key::Algorithm;
use ceremony::signer::{Signer, SoftwareSigner};
use common::ceremony;

fn ok(ws: &Path, args: &[&str]) {
    let out = ceremony(ws, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A workspace with alice (passphrase, test KDF) and a staged root she alone signs.
fn staged_root(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("ws");
    let pf = tmp.join("alice.pass");
    std::fs::write(&pf, "alice likes quiet granite teapots 42\n").unwrap();
    ok(&dir, &["init"]);
    ok(&dir, &["key", "new", "passphrase", "--holder", "alice", "--passphrase-file", pf.to_str().unwrap(), "--kdf-profile", "test"]);
    let online = SoftwareSigner::generate(Algorithm::Ed25519);
    let key_file = tmp.join("online.json");
    std::fs::write(&key_file, online.public_key().to_json_text()).unwrap();
    ok(&dir, &["key", "import", "--holder", "online", key_file.to_str().unwrap()]);
    ok(&dir, &["root", "init", "--root", "alice", "--root-threshold", "1", "--targets", "alice", "--targets-threshold", "1", "--snapshot", "online", "--timestamp", "online"]);
    dir
}

#[test]
#[ignore = "issue 16: `yes` at the confirmation leaves `es` for the passphrase prompt"]
fn a_keyholder_signs_at_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = staged_root(tmp.path());
    let mut t = common::pty::spawn(&ws, &["sign", "--holder", "alice"]);
    t.expect("== root ==");
    t.expect("with the key(s) of alice?");
    t.type_line("yes");
    t.expect("Passphrase of alice");
    t.type_line("alice likes quiet granite teapots 42");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
}
