//! PKCS#11 key sources end to end through SoftHSM2 (the software token stack): key pairs made
//! by OpenSC's pkcs11-tool, registered and used by the real binary, judged by python-tuf.
//! Needs `eval "$(bash tests/tokens/stack.sh up)"`; fails, never skips, without it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::tokens::{self, pin_file, TokenWs};
use common::workspace::add_holder;
use serde_json::Value;

use common::ok;

/// A fresh key pair on the SoftHSM token, made by an independent tool.
fn keypair(key_type: &str) -> String {
    tokens::softhsm_keypair(key_type)
}

fn register(ws: &Path, holder: &str, label: &str, pin: &Path) -> Output {
    let (module, token, _) = tokens::pkcs11();
    tokens::new_pkcs11_key(ws, holder, &module, &token, label, pin, &[])
}

#[test]
fn a_mixed_root_of_token_and_passphrase_keys_meets_its_threshold_in_python_tuf() {
    let _softhsm = tokens::lock_softhsm();
    let (_, _, pin) = tokens::pkcs11();
    let TokenWs { tmp, ws, pin } = tokens::workspace(&pin);
    let labels =
        [("hsm-p256", keypair("EC:prime256v1")), ("hsm-p384", keypair("EC:secp384r1")), ("hsm-ed25519", keypair("EC:edwards25519"))];
    for (holder, label) in &labels {
        let out = register(&ws, holder, label, &pin);
        assert!(out.status.success(), "{holder}: {}", String::from_utf8_lossy(&out.stderr));
    }
    add_holder(&ws, tmp.path(), "alice");
    let pass = tmp.path().join("alice.pass");
    let list: Value = serde_json::from_str(&ok(&ws, &["key", "list", "--json"])).unwrap();
    let types: Vec<&str> = list.as_array().unwrap().iter().map(|h| h["scheme"].as_str().unwrap()).collect();
    assert!(types.contains(&"ecdsa-sha2-nistp256") && types.contains(&"ecdsa-sha2-nistp384") && types.contains(&"ed25519"), "{types:?}");

    // The online key is a key of its own: it may not sign an offline role.
    add_holder(&ws, tmp.path(), "online");
    ok(
        &ws,
        &[
            "root", "init", "--root", "hsm-p256,hsm-p384,hsm-ed25519,alice", "--root-threshold", "4", "--targets", "alice",
            "--targets-threshold", "1", "--snapshot", "online", "--timestamp", "online",
        ],
    );
    for (holder, _) in &labels {
        ok(&ws, &["sign", "--holder", holder, "--pin-file", pin.to_str().unwrap(), "--yes"]);
    }
    ok(&ws, &["sign", "--holder", "alice", "--passphrase-file", pass.to_str().unwrap(), "--yes"]);
    let bundle = tmp.path().join("b.tar");
    ok(&ws, &["bundle", "export", "--out", bundle.to_str().unwrap()]);
    let verdict = tokens::python_tuf_on_root(&ws);
    assert_eq!(verdict["ok"], true, "{verdict}");
    let log = ok(&ws, &["log", "show"]);
    assert!(log.contains("on PKCS#11 token"), "{log}");
}

#[test]
fn a_wrong_pin_or_label_registers_nothing() {
    let _softhsm = tokens::lock_softhsm();
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(&ws, &["init"]);
    let before = std::fs::read_link(ws.join("current")).unwrap();
    let label = keypair("EC:prime256v1");
    let out = register(&ws, "bob", &label, &pin_file(tmp.path(), "999999"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PIN") && err.contains("wrong") && err.lines().count() == 1, "{err}");
    let (_, _, pin) = tokens::pkcs11();
    let out = register(&ws, "bob", "no-such-key-label", &pin_file(tmp.path(), &pin));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no key labelled"),
        "expected {:?} to contain {:?}",
        String::from_utf8_lossy(&out.stderr),
        "has no key labelled"
    );
    // Two key pairs under one label: ambiguous, refused.
    let (module, token, pin_text) = tokens::pkcs11();
    let twice = Command::new("pkcs11-tool")
        .arg("--module")
        .arg(&module)
        .args(["--token-label", &token, "--login", "--pin", &pin_text, "--keypairgen", "--key-type", "EC:prime256v1", "--label", &label])
        .output()
        .unwrap();
    assert!(twice.status.success(), "failed: {}", String::from_utf8_lossy(&twice.stderr));
    let out = register(&ws, "bob", &label, &pin_file(tmp.path(), &pin));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keys labelled"), "{}", String::from_utf8_lossy(&out.stderr));
    let no_module = Path::new("/no/such/module.so");
    let out = tokens::new_pkcs11_key(&ws, "bob", no_module, "x", "y", &pin_file(tmp.path(), &pin), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_link(ws.join("current")).unwrap(), before, "nothing may be stored");
    let got = ok(&ws, &["key", "list"]);
    assert!(got.contains("No keyholders"), "expected {:?} to contain {:?}", got, "No keyholders");
}

/// A person's targets key and claimed key as two key pairs on one SoftHSM token: the second
/// label registers the record bob.claimed; the first label again is refused; targets and
/// claimed on one pair are refused with the pkcs11 command that fixes it; `sign --holder
/// bob` signs what bob's pair signs while bob.claimed has nothing staged to sign.
#[test]
fn a_second_label_is_the_persons_claimed_key() {
    let _softhsm = tokens::lock_softhsm();
    let (module, token, pin) = tokens::pkcs11();
    let TokenWs { tmp, ws, pin } = tokens::workspace(&pin);
    let (first, second) = (keypair("EC:prime256v1"), keypair("EC:prime256v1"));
    let out = register(&ws, "bob", &first, &pin);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let args = |label: &str| -> Vec<String> {
        let mut args = tokens::pkcs11_args("bob", &module, &token, label, &pin);
        args.extend(["--for", "claimed"].map(String::from));
        args
    };
    let same: Vec<String> = args(&first);
    let msg = common::refused(&ws, &same.iter().map(String::as_str).collect::<Vec<_>>(), 1);
    assert!(msg.contains("bob"), "the same key pair cannot be bob's claimed key too: {msg}");
    let other = args(&second);
    ok(&ws, &other.iter().map(String::as_str).collect::<Vec<_>>());
    let list: Value = serde_json::from_str(&ok(&ws, &["key", "list", "--json"])).unwrap();
    let rec = list.as_array().unwrap().iter().find(|h| h["holder"] == "bob.claimed").unwrap_or_else(|| panic!("{list}"));
    assert_eq!(rec["source"]["key_label"], second.as_str(), "{rec}");

    add_holder(&ws, tmp.path(), "online");
    ok(
        &ws,
        &[
            "root", "init", "--root", "bob", "--root-threshold", "1", "--targets", "bob", "--targets-threshold", "1", "--snapshot",
            "online", "--timestamp", "online",
        ],
    );
    let shared = common::refused(&ws, &["targets", "init", "--claimed", "bob", "--claimed-threshold", "1", "--online", "online"], 1);
    assert!(
        shared.contains("both targets and claimed") && shared.contains("--for claimed") && shared.contains("--key-label NEW-LABEL"),
        "{shared}"
    );
    ok(&ws, &["targets", "init", "--claimed", "bob.claimed", "--claimed-threshold", "1", "--online", "online"]);
    let out = ok(&ws, &["sign", "--holder", "bob", "--pin-file", pin.to_str().unwrap(), "--yes"]);
    assert!(out.contains("Signed root version 1 with bob's key") && out.contains("Signed targets version 1 with bob's key"), "{out}");
    ok(&ws, &["bundle", "export", "--out", tmp.path().join("b.tar").to_str().unwrap()]);
}

/// SoftHSM2's module from the Debian package, named by its link in /usr/lib/softhsm, is a
/// module the machine allows: it registers, signs, and preflight lists the file it loads (the
/// link resolved) with that file's SHA-256 (tests/pkcs11_modules.rs: modules on the stick).
#[test]
fn the_system_softhsm_module_is_accepted_and_preflight_lists_its_hash() {
    use sha2::Digest;
    let _softhsm = tokens::lock_softhsm();
    let (module, _, pin) = tokens::pkcs11();
    assert!(module.starts_with("/usr/lib"), "the stack names Debian's SoftHSM module: {}", module.display());
    let TokenWs { tmp, ws, pin } = tokens::workspace(&pin);
    let out = register(&ws, "carol", &keypair("EC:prime256v1"), &pin);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    add_holder(&ws, tmp.path(), "online");
    ok(
        &ws,
        &[
            "root", "init", "--root", "carol", "--root-threshold", "1", "--targets", "carol", "--targets-threshold", "1", "--snapshot",
            "online", "--timestamp", "online",
        ],
    );
    let out = ok(&ws, &["sign", "--holder", "carol", "--pin-file", pin.to_str().unwrap(), "--yes"]);
    assert!(out.contains("Signed root version 1 with carol's key"), "{out}");

    let sys = tmp.path().join("sys/class/net/lo");
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("operstate"), "unknown\n").unwrap();
    std::fs::write(sys.join("flags"), "0x9\n").unwrap();
    let out = common::ceremony(&ws, &["preflight", "--sys-root", tmp.path().join("sys").to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let real = std::fs::canonicalize(&module).unwrap();
    let hash = hex::encode(sha2::Sha256::digest(std::fs::read(&real).unwrap()));
    let line = format!("pass: pkcs11 module: {} sha256 {hash} (for carol)", real.display());
    assert!(stdout.lines().any(|l| l.starts_with(&line)), "{line}\n{stdout}");
    assert!(!stdout.contains("fail: "), "{stdout}");
}
