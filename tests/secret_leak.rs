//! No secret leaves the person who holds it: a whole ceremony through the real binary (two
//! passphrase keys, a PKCS#11 key on its own SoftHSM2 token, the software PIV card's key; every
//! secret read from a file), then every file under the workspace, the bundle, the signature
//! file, and everything every command printed are searched for each secret: raw, hex (both
//! cases) and base64 (at each of the three byte alignments), and for the derived Ed25519 seeds
//! of the passphrase keys. Needs `eval "$(bash tests/tokens/stack.sh up)"`; fails, never skips.
//!
//! Secrets must be distinctive to be searched for, so this test makes its own SoftHSM token with
//! its own PIN, and changes the PIV card's PIN for its duration (under the card lock; put back
//! when the test ends, also on failure).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ceremony::keys::signer::passphrase::{derive_seed, Profile};
use ceremony::support::secret::SecretBytes;
use common::{ceremony, tokens};

const ALICE: &str = "ochre walrus juggles 47 quiet lanterns";
const BOB: &str = "brass heron sleeps under 93 violet bridges";
const HSM_PIN: &str = "Hq8-softhsm-pin-5521";
const HSM_SO_PIN: &str = "so-pin-7764-leaktest";
/// PIV PINs are at most 8 bytes.
const PIV_PIN: &str = "90817263";

/// Everything the commands printed, to be searched with the files.
#[derive(Default)]
struct Outputs(Vec<(String, Vec<u8>)>);

impl Outputs {
    fn run(&mut self, ws: &Path, args: &[&str]) -> Output {
        let out = ceremony(ws, args);
        let name = args.join(" ");
        self.0.push((format!("stdout of {name}"), out.stdout.clone()));
        self.0.push((format!("stderr of {name}"), out.stderr.clone()));
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn secret_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{secret}\n")).unwrap();
    p
}

/// The forms a secret could take in a file or an output.
/// Standard base64 with padding (written here: no crate for one test).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn encodings(secret: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut forms = vec![
        ("raw".to_string(), secret.to_vec()),
        ("hex".to_string(), hex::encode(secret).into_bytes()),
        ("HEX".to_string(), hex::encode_upper(secret).into_bytes()),
        ("base64".to_string(), base64(secret).trim_end_matches('=').as_bytes().to_vec()),
    ];
    // Inside a longer base64 text the secret can start at any of three byte offsets; the
    // characters that depend on the secret alone are those after the first group and before
    // the last. Only long enough secrets leave enough of them to search for.
    for offset in 1..3 {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(secret);
        let text = base64(&padded);
        let core = &text[4..text.len().saturating_sub(4).max(4)];
        if core.len() >= 12 {
            forms.push((format!("base64 at offset {offset}"), core.as_bytes().to_vec()));
        }
    }
    forms
}

fn files_under(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            files_under(&path, found);
        } else if meta.is_file() {
            found.push(path);
        }
    }
}

fn leaks(haystacks: &[(String, Vec<u8>)], secrets: &[(&str, Vec<u8>)]) -> Vec<String> {
    let mut found = Vec::new();
    for (secret_name, secret) in secrets {
        for (form, needle) in encodings(secret) {
            for (where_, bytes) in haystacks {
                if memchr::memmem::find(bytes, &needle).is_some() {
                    found.push(format!("{secret_name} ({form}) in {where_}"));
                }
            }
        }
    }
    found
}

/// A SoftHSM token of this test's own, with a distinctive PIN; deleted on drop.
struct OwnToken {
    label: String,
}

impl OwnToken {
    fn new() -> OwnToken {
        let label = format!("leak-{}", std::process::id());
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", &label, "--so-pin", HSM_SO_PIN, "--pin", HSM_PIN])
            .output()
            .expect("softhsm2-util (Debian softhsm2) is installed by tests/tokens/stack.sh");
        assert!(out.status.success(), "softhsm2-util: {}", String::from_utf8_lossy(&out.stderr));
        OwnToken { label }
    }

    fn keypair(&self, key_type: &str) -> String {
        let (module, _, _) = tokens::pkcs11();
        let label = "leak-test-key";
        let out = Command::new("pkcs11-tool")
            .arg("--module")
            .arg(&module)
            .args(["--token-label", &self.label, "--login", "--pin", HSM_PIN, "--keypairgen", "--key-type", key_type, "--label", label])
            .output()
            .expect("pkcs11-tool");
        assert!(out.status.success(), "pkcs11-tool: {}", String::from_utf8_lossy(&out.stderr));
        label.to_string()
    }
}

impl Drop for OwnToken {
    fn drop(&mut self) {
        let _ = Command::new("softhsm2-util").args(["--delete-token", "--token", &self.label]).output();
    }
}

/// The card's PIN changed to `PIV_PIN` for the test; the stack's PIN put back on drop.
struct PivPin {
    stack_pin: String,
}

impl PivPin {
    fn change() -> PivPin {
        let stack_pin = tokens::env("CEREMONY_TEST_PIV_PIN");
        let mut yk = yubikey::YubiKey::open_by_serial(yubikey::Serial(tokens::piv_serial()))
            .unwrap_or_else(|e| panic!("no PIV card ({e}): {}", tokens::HOW_TO_START));
        yk.change_pin(stack_pin.as_bytes(), PIV_PIN.as_bytes()).expect("change the card's PIN for the test");
        PivPin { stack_pin }
    }
}

impl Drop for PivPin {
    fn drop(&mut self) {
        if let Ok(mut yk) = yubikey::YubiKey::open_by_serial(yubikey::Serial(tokens::piv_serial())) {
            if yk.change_pin(PIV_PIN.as_bytes(), self.stack_pin.as_bytes()).is_err() {
                eprintln!("could not put the PIV card's PIN back to the stack's; restart the card: tests/tokens/README.md");
            }
        }
    }
}

#[test]
fn no_secret_appears_in_the_workspace_the_bundle_or_any_output() {
    let _card = tokens::lock_card();
    let _softhsm = tokens::lock_softhsm();
    let _pin = PivPin::change();
    let token = OwnToken::new();
    let tmp = tempfile::tempdir().unwrap();
    let secrets_dir = tmp.path().join("secrets");
    std::fs::create_dir(&secrets_dir).unwrap();
    let ws = tmp.path().join("ws");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let alice = secret_file(&secrets_dir, "alice", ALICE);
    let bob = secret_file(&secrets_dir, "bob", BOB);
    let hsm_pin = secret_file(&secrets_dir, "hsm", HSM_PIN);
    let piv_pin = secret_file(&secrets_dir, "piv", PIV_PIN);
    let (module, _, _) = tokens::pkcs11();
    let serial = tokens::piv_serial().to_string();
    let mut o = Outputs::default();

    o.run(&ws, &["init"]);
    o.run(&ws, &["key", "new", "passphrase", "--holder", "alice", "--passphrase-file", s(&alice), "--kdf-profile", "test"]);
    o.run(&ws, &["key", "new", "passphrase", "--holder", "bob", "--passphrase-file", s(&bob), "--kdf-profile", "test"]);
    let label = token.keypair("EC:prime256v1");
    o.run(
        &ws,
        &[
            "key",
            "new",
            "pkcs11",
            "--holder",
            "hsm",
            "--module",
            s(&module),
            "--token",
            &token.label,
            "--key-label",
            &label,
            "--pin-file",
            s(&hsm_pin),
        ],
    );
    o.run(&ws, &["key", "new", "yubikey", "--holder", "piv", "--slot", "9d", "--serial", &serial, "--pin-file", s(&piv_pin), "--generate"]);
    o.run(&ws, &["--json", "key", "new", "passphrase", "--holder", "carol", "--passphrase-file", s(&alice), "--kdf-profile", "test"]);
    // The online key may not be a root key, so it is a passphrase key of its own here.
    o.run(&ws, &["key", "new", "passphrase", "--holder", "online", "--passphrase-file", s(&bob), "--kdf-profile", "test"]);
    o.run(
        &ws,
        &[
            "root", "init", "--root", "alice,bob,hsm,piv", "--root-threshold", "4", "--targets", "alice,carol", "--targets-threshold", "2",
            "--snapshot", "online", "--timestamp", "online",
        ],
    );
    o.run(&ws, &["sign", "--holder", "alice", "--passphrase-file", s(&alice), "--yes"]);
    o.run(&ws, &["sign", "--holder", "bob", "--passphrase-file", s(&bob), "--yes"]);
    o.run(&ws, &["sign", "--holder", "hsm", "--pin-file", s(&hsm_pin), "--yes"]);
    o.run(&ws, &["sign", "--holder", "piv", "--pin-file", s(&piv_pin), "--yes"]);
    o.run(&ws, &["signature", "export", "--holder", "alice", "--out", s(&out_dir.join("alice.sigs"))]);
    for args in [&["status"][..], &["status", "--json"], &["key", "list"], &["key", "list", "--json"]] {
        o.run(&ws, args);
    }
    let bundle = out_dir.join("ceremony.tar");
    o.run(&ws, &["bundle", "export", "--out", s(&bundle)]);
    let root = ws.join("current/trusted/root/1.root.json");
    o.run(&ws, &["bundle", "verify", s(&bundle), "--trusted-root", s(&root)]);
    o.run(&ws, &["bundle", "verify", s(&bundle), "--trusted-root", s(&root), "--json"]);
    for args in [&["log", "show"][..], &["log", "verify"], &["verify", "root-chain", s(&root)]] {
        o.run(&ws, args);
    }
    // Wrong secrets are refused, and the refusals must not echo what was typed either.
    let wrong = secret_file(&secrets_dir, "wrong", "a wrong passphrase for alice 123");
    for args in [
        &["sign", "--holder", "alice", "--passphrase-file", s(&wrong), "--yes"][..],
        &["sign", "--holder", "hsm", "--pin-file", s(&wrong), "--yes"],
    ] {
        let out = ceremony(&ws, args);
        assert_ne!(out.status.code(), Some(0));
        o.0.push((format!("stderr of {}", args.join(" ")), out.stderr));
        o.0.push((format!("stdout of {}", args.join(" ")), out.stdout));
    }

    let mut files = Vec::new();
    files_under(&ws, &mut files);
    files_under(&out_dir, &mut files);
    assert!(files.iter().any(|f| f.ends_with("1.root.json")) && files.iter().any(|f| f == &bundle), "{files:?}");
    assert!(files.len() > 10, "the workspace was searched: {files:?}");
    let mut haystacks: Vec<(String, Vec<u8>)> = files.iter().map(|f| (f.display().to_string(), std::fs::read(f).unwrap())).collect();
    haystacks.extend(o.0);

    let seed =
        |passphrase: &str, holder: &str| derive_seed(&SecretBytes::from(passphrase), holder, &Profile::Test.params()).unwrap().to_vec();
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("alice's passphrase", ALICE.as_bytes().to_vec()),
        ("bob's passphrase", BOB.as_bytes().to_vec()),
        ("the wrong passphrase", b"a wrong passphrase for alice 123".to_vec()),
        ("the SoftHSM PIN", HSM_PIN.as_bytes().to_vec()),
        ("the PIV PIN", PIV_PIN.as_bytes().to_vec()),
        ("alice's Ed25519 seed", seed(ALICE, "alice")),
        ("bob's Ed25519 seed", seed(BOB, "bob")),
        ("carol's Ed25519 seed", seed(ALICE, "carol")),
    ];
    // The search finds what it looks for: each form of a secret planted in a copy is found.
    for (name, secret) in &secrets {
        for (form, needle) in encodings(secret) {
            let mut planted = b"prefix ".to_vec();
            planted.extend_from_slice(&needle);
            assert!(!leaks(&[("planted".into(), planted)], &[(name, secret.clone())]).is_empty(), "{name} {form}");
        }
    }
    assert_eq!(base64(b"any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw==");
    assert_eq!(base64(b"any carnal pleasu"), "YW55IGNhcm5hbCBwbGVhc3U=");
    let found = leaks(&haystacks, &secrets);
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}
