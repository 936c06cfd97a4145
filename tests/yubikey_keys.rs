//! YubiKey PIV key sources end to end through the software PIV card (pcscd + vpcd, the real
//! `yubikey` crate): a key generated on the card, registered and used by the real binary,
//! judged by python-tuf. Needs `eval "$(bash tests/tokens/stack.sh up)"`; fails, never skips,
//! without it.
//!
//! Slot use on the shared card: this test regenerates 9e (tests/token_stack.rs regenerates 9c,
//! keeps 9a across restarts, and its ignored timing measurement regenerates 9d). It holds
//! `tokens::lock_card()` throughout.

mod common;

use std::path::Path;
use std::process::Output;

use common::tokens::{self, pin_file, run_ok as ok, stderr, stdout, TokenWs};
use common::workspace::add_holder;
use serde_json::Value;

/// The slot this test generates its key in.
const SLOT: &str = "9e";

use common::ceremony;

fn register(ws: &Path, holder: &str, serial: &str, pin: &Path) -> Output {
    tokens::new_yubikey_key(ws, holder, SLOT, pin, &["--serial", serial, "--generate"])
}

/// Verifies the right PIN on the card, which resets its retry counter to 3; on drop too, so a
/// failed run does not leave the shared card closer to a blocked PIN.
struct PinCounterReset;

impl PinCounterReset {
    fn now() -> PinCounterReset {
        let serial = tokens::piv_serial();
        let mut yk = yubikey::YubiKey::open_by_serial(yubikey::Serial(serial))
            .unwrap_or_else(|e| panic!("no PIV card with serial {serial} ({e}): {}", tokens::HOW_TO_START));
        yk.verify_pin(tokens::env("CEREMONY_TEST_PIV_PIN").as_bytes())
            .expect("the card's PIN is the test PIN and not blocked (unblock: tests/tokens/README.md)");
        PinCounterReset
    }
}

impl Drop for PinCounterReset {
    fn drop(&mut self) {
        if let Ok(mut yk) = yubikey::YubiKey::open_by_serial(yubikey::Serial(tokens::piv_serial())) {
            let _ = yk.verify_pin(tokens::env("CEREMONY_TEST_PIV_PIN").as_bytes());
        }
    }
}

#[test]
fn a_yubikey_and_a_passphrase_key_sign_a_root_python_tuf_accepts() {
    let _card = tokens::lock_card();
    let _pin_counter = PinCounterReset::now();
    let serial = tokens::piv_serial().to_string();
    let TokenWs { tmp, ws, pin } = tokens::workspace(&tokens::env("CEREMONY_TEST_PIV_PIN"));
    let before = std::fs::read_link(ws.join("current")).unwrap();

    // The wrong device: nothing is touched, nothing stored.
    let other = (tokens::piv_serial() ^ 1).to_string();
    let out = register(&ws, "yk", &other, &pin);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("insert the YubiKey with serial {other}")) && err.contains(&serial), "{err}");

    // A wrong PIN: refused with the tries left, nothing stored, the slot's key not replaced.
    let out = register(&ws, "yk", &serial, &pin_file(tmp.path(), "000000"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("PIN") && err.contains("wrong") && err.contains("2 tries left"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read_link(ws.join("current")).unwrap(), before, "nothing may be stored");

    // The right PIN (which resets the retry counter): a key is generated and registered.
    let out = register(&ws, "yk", &serial, &pin);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("this device offers no PIV attestation"), "{err}");
    assert!(err.contains("touch the YubiKey now"), "{err}");
    // Registration counts its touches as `sign` does: the certificate, then the test signature.
    assert!(err.contains("signature 1: touch the YubiKey now\n") && err.contains("signature 2: touch the YubiKey now\n"), "{err}");
    assert!(stdout(&out).contains(&format!("YubiKey serial {serial}, slot {SLOT}")), "{}", stdout(&out));
    let list: Value = serde_json::from_str(&stdout(&ok(&ws, &["key", "list", "--json"]))).unwrap();
    let yk = list.as_array().unwrap().iter().find(|h| h["holder"] == "yk").expect("yk is listed");
    assert_eq!(yk["scheme"], "ecdsa-sha2-nistp256", "{yk}");
    let desc: Value = serde_json::from_slice(&std::fs::read(ws.join("current/holders/yk.json")).unwrap()).unwrap();
    assert_eq!(desc["source"]["kind"], "yubikey", "{desc}");
    assert_eq!(desc["source"]["serial"], tokens::piv_serial(), "{desc}");
    assert_eq!(desc["source"]["slot"], SLOT, "{desc}");
    assert!(desc["source"].get("attestation").is_none(), "the software card offers no attestation: {desc}");

    // Registering the slot again without --generate reads the key from the slot's certificate.
    let out = tokens::new_yubikey_key(&ws, "yk-again", SLOT, &pin, &[]);
    assert_eq!(out.status.code(), Some(1), "the same key cannot belong to two holders: {}", stderr(&out));
    assert!(stderr(&out).contains("already has this key"), "{}", stderr(&out));

    add_holder(&ws, tmp.path(), "alice");
    let pass = tmp.path().join("alice.pass");
    // The online key is a key of its own: it may not sign an offline role.
    add_holder(&ws, tmp.path(), "online");
    ok(
        &ws,
        &[
            "root", "init", "--root", "yk,alice", "--root-threshold", "2", "--targets", "alice", "--targets-threshold", "1", "--snapshot",
            "online", "--timestamp", "online",
        ],
    );
    let out = ok(&ws, &["sign", "--holder", "yk", "--pin-file", pin.to_str().unwrap(), "--yes"]);
    assert!(stderr(&out).contains("touch the YubiKey now"), "{}", stderr(&out));
    ok(&ws, &["sign", "--holder", "alice", "--passphrase-file", pass.to_str().unwrap(), "--yes"]);
    let bundle = tmp.path().join("b.tar");
    ok(&ws, &["bundle", "export", "--out", bundle.to_str().unwrap()]);
    let verdict = tokens::python_tuf_on_root(&ws);
    assert_eq!(verdict["ok"], true, "{verdict}");
    let log = stdout(&ok(&ws, &["log", "show"]));
    assert!(log.contains("YubiKey serial"), "{log}");
}

/// The slot the touch policy and management key test generates in (the ignored timing
/// measurement in tests/token_stack.rs regenerates it too, under the same card lock).
const POLICY_SLOT: &str = "9d";

fn generate(ws: &Path, holder: &str, pin: &Path, extra: &[&str]) -> Output {
    tokens::new_yubikey_key(ws, holder, POLICY_SLOT, pin, &[&["--generate"], extra].concat())
}

#[test]
fn the_touch_policy_is_set_on_the_device_and_the_touches_are_counted_before_the_first() {
    let _card = tokens::lock_card();
    let _pin_counter = PinCounterReset::now();
    let serial = tokens::piv_serial();
    let TokenWs { tmp, ws, pin } = tokens::workspace(&tokens::env("CEREMONY_TEST_PIV_PIN"));

    // The card reports (GET METADATA) the policy GENERATE asked for; the record says it.
    let touch_of = |record: &str| -> Value {
        let desc: Value = serde_json::from_slice(&std::fs::read(ws.join(format!("current/holders/{record}.json"))).unwrap()).unwrap();
        desc["source"]["touch_policy"].clone()
    };
    let out = generate(&ws, "carol", &pin, &["--for", "claimed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("touch policy: cached"), "a claimed key defaults to cached: {}", stderr(&out));
    assert_eq!(touch_of("carol.claimed"), "cached");
    let out = generate(&ws, "dave", &pin, &["--touch-policy", "cached"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(touch_of("dave"), "cached");
    let out = generate(&ws, "yk", &pin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("touch policy: always"), "a root or targets key defaults to always: {}", stderr(&out));
    assert_eq!(touch_of("yk"), "always");
    let out = ok(&ws, &["key", "list"]);
    assert!(stdout(&out).contains(&format!("YubiKey serial {serial}, slot {POLICY_SLOT}, touch policy always")), "{}", stdout(&out));

    // The policy is set when a key is made: without --generate the flag is a usage error.
    let out = ceremony(&ws, &["key", "new", "yubikey", "--holder", "eve", "--slot", POLICY_SLOT, "--touch-policy", "cached"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Before the first touch, the holder is told how many there will be: yk signs root and targets.
    add_holder(&ws, tmp.path(), "online");
    ok(
        &ws,
        &[
            "root", "init", "--root", "yk", "--root-threshold", "1", "--targets", "yk", "--targets-threshold", "1", "--snapshot", "online",
            "--timestamp", "online",
        ],
    );
    let out = ok(&ws, &["sign", "--holder", "yk", "--pin-file", pin.to_str().unwrap(), "--yes"]);
    let (screen, prompts) = (stdout(&out), stderr(&out));
    let signatures = screen.matches("\n== ").count();
    assert!(signatures >= 1, "{screen}");
    let touches = if signatures == 1 { "1 touch".to_string() } else { format!("{signatures} touches") };
    assert!(screen.contains(&format!("YubiKey serial {serial}, slot {POLICY_SLOT} (touch policy always): {touches} for yk's")), "{screen}");
    for n in 1..=signatures {
        assert!(prompts.contains(&format!("signature {n}: touch the YubiKey now")), "{prompts}");
    }
}

/// Makes the card's management key a random one stored PIN-protected (as `ykman piv access
/// change-management-key --protect` does), and puts the default back when dropped.
struct ProtectedManagementKey(yubikey::MgmKey);

impl ProtectedManagementKey {
    fn set() -> ProtectedManagementKey {
        let mut yk = yubikey::YubiKey::open_by_serial(yubikey::Serial(tokens::piv_serial())).unwrap();
        yk.verify_pin(tokens::env("CEREMONY_TEST_PIV_PIN").as_bytes()).unwrap();
        yk.authenticate(yubikey::MgmKey::default()).expect("the card has the default management key");
        let key = yubikey::MgmKey::generate();
        key.set_protected(&mut yk).expect("store a PIN-protected management key");
        ProtectedManagementKey(key)
    }
}

impl Drop for ProtectedManagementKey {
    fn drop(&mut self) {
        let mut yk = yubikey::YubiKey::open_by_serial(yubikey::Serial(tokens::piv_serial())).unwrap();
        let _ = yk.verify_pin(tokens::env("CEREMONY_TEST_PIV_PIN").as_bytes());
        if yk.authenticate(self.0.clone()).is_ok() {
            let _ = yubikey::MgmKey::default().set_manual(&mut yk, false);
        }
    }
}

#[test]
fn a_pin_protected_management_key_is_used_without_a_key_file() {
    let _card = tokens::lock_card();
    let _pin_counter = PinCounterReset::now();
    let TokenWs { tmp, ws, pin } = tokens::workspace(&tokens::env("CEREMONY_TEST_PIV_PIN"));
    let protected = ProtectedManagementKey::set();

    // The default key no longer opens the card: given in a file, it is refused, plainly.
    let default_key = tmp.path().join("mgmt.hex");
    std::fs::write(&default_key, "010203040506070801020304050607080102030405060708\n").unwrap();
    let out = generate(&ws, "yk", &pin, &["--mgmt-key-file", default_key.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("management key") && stderr(&out).contains("--protect"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));

    // Without a file, the key the card keeps behind the PIN is read and used.
    let out = generate(&ws, "yk", &pin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Value = serde_json::from_str(&stdout(&ok(&ws, &["key", "list", "--json"]))).unwrap();
    assert!(list.as_array().unwrap().iter().any(|h| h["holder"] == "yk"), "{list}");
    drop(protected);

    // Back to the default: the card is as the other tests expect it.
    let mut yk = yubikey::YubiKey::open_by_serial(yubikey::Serial(tokens::piv_serial())).unwrap();
    let got = yk.authenticate(yubikey::MgmKey::default());
    assert!(got.is_ok(), "expected Ok, got {:?}", got);
}
