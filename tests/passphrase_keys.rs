//! Passphrase-derived Ed25519 keys through the real binary: registration, re-derivation on
//! a fresh workspace, refusals, signing a root that python-tuf verifies, and no secret in
//! any file or output.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ceremony::keys::signer::passphrase::{self, derive_seed, unlock, Profile};
use ceremony::keys::signer::Signer;
use ceremony::support::secret::SecretBytes;
use ceremony::tuf::metadata::Metadata;
use ceremony::workspace::Workspace;
use serde_json::Value;
use time::macros::datetime;

/// The known answer: this passphrase, holder `alice`, the test profile. Computed here and,
/// independently, by tests/python/passphrase_key.py (pyca/cryptography's Argon2id).
const KAT_PASSPHRASE: &str = "vivid shrimp unbolted cupped deceit gala";
const KAT_KEYID: &str = "3b7e1c644d86e69b97ed4bb07b5ef71b230febd055843d6841c9dbd88de6f89d";
const KAT_PUBLIC: &str = "8a7ac12f7df8596a506ab090f42277788a45f951401438555e4bec8631929f5a";

fn ceremony(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ceremony")).arg("--workspace").arg(ws).args(args).stdin(Stdio::null()).output().expect("run ceremony")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh workspace in a temporary directory.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = ceremony(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

fn passphrase_file(dir: &Path, content: &str) -> PathBuf {
    let path = dir.join(format!("pass-{}", content.len()));
    std::fs::write(&path, content).unwrap();
    path
}

/// Registers `holder` with the test profile; returns (keyid, stdout, stderr).
fn register(ws: &Path, holder: &str, file: &Path) -> (String, String, String) {
    let out = ceremony(
        ws,
        &["--json", "key", "new", "passphrase", "--holder", holder, "--passphrase-file", file.to_str().unwrap(), "--kdf-profile", "test"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    (json["keyid"].as_str().unwrap().to_string(), text(&out.stdout), text(&out.stderr))
}

/// Every file under `dir` with its content: "nothing was stored" means this is unchanged.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> =
        common::files_under(dir).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
    files.sort();
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_fresh_workspace_rederives_the_same_key_and_the_known_answer() {
    let secrets = tempfile::tempdir().unwrap();
    let file = passphrase_file(secrets.path(), &format!("{KAT_PASSPHRASE}\r\n"));
    let (first, ..) = register(workspace().path(), "alice", &file);
    let (second, _, stderr) = register(workspace().path(), "alice", &file);
    assert_eq!(first, second);
    assert_eq!(first, KAT_KEYID, "the construction changed: keys registered before no longer re-derive");
    assert!(stderr.contains("UNSAFE"), "{stderr}");

    // The library gives the same key, and so does an independent implementation.
    let signer = passphrase::PassphraseSigner::derive(&SecretBytes::from(KAT_PASSPHRASE), "alice", &Profile::Test.params()).unwrap();
    assert_eq!(signer.public_key().keyid(), KAT_KEYID);
    assert_eq!(signer.public_key().public(), KAT_PUBLIC);
    let python: Value = serde_json::from_slice(&common::run_python(
        "passphrase_key.py",
        &[file.as_os_str(), OsStr::new("alice"), OsStr::new("8192"), OsStr::new("1"), OsStr::new("1")],
    ))
    .unwrap();
    assert_eq!(python["keyid"], KAT_KEYID);
    assert_eq!(python["public"], KAT_PUBLIC);
}

#[test]
fn the_same_passphrase_under_another_holder_name_is_another_key() {
    let ws = workspace();
    let secrets = tempfile::tempdir().unwrap();
    let file = passphrase_file(secrets.path(), &format!("{KAT_PASSPHRASE}\n"));
    let (alice, ..) = register(ws.path(), "alice", &file);
    let (bob, ..) = register(ws.path(), "bob", &file);
    let (alice_cap, ..) = register(ws.path(), "Alice", &file);
    assert_ne!(alice, bob);
    assert_ne!(alice, alice_cap);
    let list = ceremony(ws.path(), &["key", "list"]);
    let list = text(&list.stdout);
    assert_eq!(list.matches("UNSAFE").count(), 3, "{list}");
}

#[test]
fn a_root_signed_with_the_passphrase_key_verifies_in_python_tuf() {
    let ws = workspace();
    let secrets = tempfile::tempdir().unwrap();
    let file = passphrase_file(secrets.path(), &format!("{KAT_PASSPHRASE}\n"));
    register(ws.path(), "alice", &file);

    let holder = Workspace::open(ws.path()).unwrap().holder("alice").unwrap();
    let signer = unlock(&holder, &SecretBytes::from(KAT_PASSPHRASE)).unwrap();
    assert_eq!(signer.public_key().keyid(), holder.key.keyid());
    let role = |k: &ceremony::tuf::key::Key| ceremony::tuf::build::RoleSpec { keys: vec![k.clone()], threshold: 1 };
    let spec = ceremony::tuf::build::RootSpec {
        version: 1,
        expires: datetime!(2099-01-01 00:00 UTC),
        root: role(&holder.key),
        targets: role(&holder.key),
        snapshot: role(&holder.key),
        timestamp: role(&holder.key),
    };
    let mut root = Metadata::from_signed(spec.to_signed().unwrap()).unwrap();
    root.set_signature(signer.sign(&root.signed_bytes()).unwrap());
    let path = secrets.path().join("root.json");
    std::fs::write(&path, root.to_bytes()).unwrap();
    let verdict: Value = serde_json::from_slice(&common::run_python(
        "judge.py",
        &[
            OsStr::new("verify-delegate"),
            OsStr::new("--delegator"),
            path.as_os_str(),
            OsStr::new("--role"),
            OsStr::new("root"),
            OsStr::new("--delegate"),
            path.as_os_str(),
        ],
    ))
    .unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");
}

#[test]
fn a_wrong_passphrase_is_refused_plainly() {
    let ws = workspace();
    let secrets = tempfile::tempdir().unwrap();
    let file = passphrase_file(secrets.path(), KAT_PASSPHRASE);
    register(ws.path(), "alice", &file);
    let holder = Workspace::open(ws.path()).unwrap().holder("alice").unwrap();
    let e = unlock(&holder, &SecretBytes::from("vivid shrimp unbolted cupped deceit galA")).unwrap_err();
    assert_eq!(e.to_string(), "the passphrase does not give alice's registered key; nothing was signed");
}

#[test]
fn weak_missing_and_absent_passphrases_are_refused_and_nothing_is_stored() {
    let ws = workspace();
    let secrets = tempfile::tempdir().unwrap();
    let before = snapshot(ws.path());
    for weak in ["Summer2024!\n", "i love my dog very much\n", "passwordpassword123\n"] {
        let file = passphrase_file(secrets.path(), weak);
        let out = ceremony(
            ws.path(),
            &["key", "new", "passphrase", "--holder", "bob", "--passphrase-file", file.to_str().unwrap(), "--kdf-profile", "test"],
        );
        assert_eq!(out.status.code(), Some(1), "{weak}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("generated 7-word passphrase"), "{stderr}");
        assert!(!stderr.contains(weak.trim()), "{stderr}");
        assert!(out.stdout.is_empty(), "{weak}: expected nothing on stdout, got {}", text(&out.stdout));
        assert_eq!(snapshot(ws.path()), before, "the workspace changed");
    }

    let missing = secrets.path().join("no-such-file");
    let out = ceremony(ws.path(), &["key", "new", "passphrase", "--holder", "bob", "--passphrase-file", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr).lines().count(), 1);

    // No terminal (stdin is /dev/null) and no file: refused, not a wait for input that never
    // comes (the shared hang guard kills it if it waits).
    let out = common::watchdog::run(
        Command::new(env!("CARGO_BIN_EXE_ceremony"))
            .arg("--workspace")
            .arg(ws.path())
            .args(["key", "new", "passphrase", "--holder", "bob", "--kdf-profile", "test"])
            .stdin(Stdio::null()),
    );
    assert_eq!(out.status.code(), Some(2), "without a terminal or a file: expected exit 2, got {}", out.describe());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--passphrase-file"), "{stderr}");
    assert_eq!(snapshot(ws.path()), before, "the workspace changed");
}

#[test]
fn no_secret_appears_in_any_file_or_output() {
    let ws = workspace();
    let secrets = tempfile::tempdir().unwrap();
    let distinctive = "Quixotic-Zephyr 8817 tangerine Obelisk jaunt";
    let file = passphrase_file(secrets.path(), &format!("{distinctive}\n"));
    let (_, stdout, stderr) = register(ws.path(), "carol", &file);
    let listed = ceremony(ws.path(), &["key", "list"]);
    let listed_json = ceremony(ws.path(), &["key", "list", "--json"]);

    // Unlock and sign, as `ceremony sign` will, and keep the result in the workspace.
    let holder = Workspace::open(ws.path()).unwrap().holder("carol").unwrap();
    let pass = SecretBytes::from(distinctive);
    let signer = unlock(&holder, &pass).unwrap();
    let sig = signer.sign(b"some metadata").unwrap();
    std::fs::write(ws.path().join("signature.json"), serde_json::to_vec(&serde_json::json!({"sig": sig.sig})).unwrap()).unwrap();
    let seed = derive_seed(&pass, "carol", &Profile::Test.params()).unwrap();

    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("the passphrase".into(), distinctive.as_bytes().to_vec()),
        ("a word of the passphrase".into(), b"Quixotic".to_vec()),
        ("the seed (hex)".into(), hex::encode(*seed).into_bytes()),
        ("the seed (HEX)".into(), hex::encode_upper(*seed).into_bytes()),
        ("the seed (bytes)".into(), seed.to_vec()),
    ];
    needles.push(("the passphrase (hex)".into(), hex::encode(distinctive).into_bytes()));
    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("stdout of key new".into(), stdout.into_bytes()),
        ("stderr of key new".into(), stderr.into_bytes()),
        ("stdout of key list".into(), listed.stdout),
        ("stderr of key list".into(), listed.stderr),
        ("stdout of key list --json".into(), listed_json.stdout),
    ];
    for path in common::files_under(ws.path()) {
        places.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(places.len() >= 8, "{:?}", places.iter().map(|p| &p.0).collect::<Vec<_>>());
    for (what, needle) in &needles {
        for (place, content) in &places {
            assert!(!contains(content, needle), "{what} appears in {place}");
        }
    }
    let debug = format!("{pass:?} {signer:?}");
    assert!(!debug.contains("Quixotic"), "expected no passphrase in the Debug forms, got {debug}");
}

/// The one derivation with the strong profile in the test suite (2 GiB). How long it takes is
/// measured by benches/passphrase_kdf.rs (docs/performance.md), not asserted here.
#[test]
fn the_default_profile_is_the_strong_one() {
    let ws = workspace();
    let secrets = tempfile::tempdir().unwrap();
    let file = passphrase_file(secrets.path(), &format!("{KAT_PASSPHRASE}\n"));
    let out = ceremony(ws.path(), &["key", "new", "passphrase", "--holder", "dave", "--passphrase-file", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("UNSAFE") && !text(&out.stderr).contains("UNSAFE"), "{stdout}");
    let holder: Value = serde_json::from_slice(&std::fs::read(ws.path().join("current/holders/dave.json")).unwrap()).unwrap();
    assert_eq!(
        holder["source"],
        serde_json::json!({"kind": "passphrase", "construction": "ceremony-passphrase-v1", "profile": "ceremony",
                           "memory_kib": 2097152, "iterations": 3, "lanes": 4})
    );
    assert!(stdout.contains(holder["keyid"].as_str().unwrap()), "{stdout}");
}
