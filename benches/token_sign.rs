//! Benchmark: one signature over a realistic root's canonical bytes, through the library's
//! `Signer` implementations on the software token stack: SoftHSM2 P-256 and Ed25519
//! (`Pkcs11Signer`) and the software PIV card (`YubikeySigner`, through pcscd and vpcd).
//! Prints median and minimum of N signatures (default 50, `SIGNATURES=N`) for the token's own
//! signature (`sign_raw`) and for what a ceremony pays (`sign`: the token's signature, then
//! Ceremony's check of it against the registered key). Figures go to docs/performance.md.
//!
//! Needs the stack: `eval "$(bash tests/tokens/stack.sh up)"`, then
//! `cargo bench --bench token_sign`. Without the stack's variables it says so and exits 0.
//! The PIV key is generated in slot 9d (PIN policy not "always", so one PIN verification covers
//! every signature) while holding the card lock the tests use.

use std::fs::OpenOptions;
use std::process::Command;
use std::time::{Duration, Instant};

use ceremony::keys::holder::TouchPolicyName;
use ceremony::keys::pkcs11_module;
use ceremony::keys::signer::pkcs11::Pkcs11Signer;
use ceremony::keys::signer::yubikey::YubikeySigner;
use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::support::secret::SecretBytes;
use ceremony::tuf::build::{RoleSpec, RootSpec};
use ceremony::tuf::key::{Algorithm, Key};
use fs4::FileExt;

const NEEDED: [&str; 6] = [
    "TOKEN_STACK_DIR", "CEREMONY_TEST_PKCS11_MODULE", "CEREMONY_TEST_PKCS11_TOKEN", "CEREMONY_TEST_PKCS11_PIN", "CEREMONY_TEST_PIV_SERIAL",
    "CEREMONY_TEST_PIV_PIN",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let missing: Vec<&str> = NEEDED.iter().copied().filter(|v| std::env::var(v).map_or(true, |s| s.is_empty())).collect();
    if !missing.is_empty() {
        println!(
            "token_sign: needs the software token stack ({} not set): eval \"$(bash tests/tokens/stack.sh up)\"; nothing measured",
            missing.join(", ")
        );
        return;
    }
    let env = |v: &str| std::env::var(v).unwrap_or_default();
    // Under `cargo test` (no --bench) a few signatures only, as a smoke test.
    let full = args.iter().any(|a| a == "--bench");
    let n: usize = std::env::var("SIGNATURES").ok().and_then(|v| v.parse().ok()).unwrap_or(if full { 50 } else { 3 });
    println!("token_sign: {n} signatures each, {} cores available", std::thread::available_parallelism().map_or(1, |c| c.get()));

    let module = env("CEREMONY_TEST_PKCS11_MODULE");
    let token = env("CEREMONY_TEST_PKCS11_TOKEN");
    let hsm_pin = SecretBytes::from(env("CEREMONY_TEST_PKCS11_PIN").as_str());
    let p256_label = keypair(&module, &token, &env("CEREMONY_TEST_PKCS11_PIN"), "EC:prime256v1");
    let ed_label = keypair(&module, &token, &env("CEREMONY_TEST_PKCS11_PIN"), "EC:edwards25519");
    // The bench loads the module as `sign` does: only one the machine allows.
    let allowed = or_exit(pkcs11_module::allowed(&module, "CEREMONY_TEST_PKCS11_MODULE"));
    let hsm_p256 = or_exit(Pkcs11Signer::open(&allowed, &token, &p256_label, &hsm_pin));
    let hsm_ed25519 = or_exit(Pkcs11Signer::open(&allowed, &token, &ed_label, &hsm_pin));

    let lock_path = std::path::Path::new(&env("TOKEN_STACK_DIR")).join("piv-card.lock");
    let lock = or_exit(OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path));
    or_exit(FileExt::lock(&lock));
    let serial: Option<u32> = env("CEREMONY_TEST_PIV_SERIAL").parse().ok();
    let piv_pin = SecretBytes::from(env("CEREMONY_TEST_PIV_PIN").as_str());
    // The software card keeps the PIV default management key (None: the default, since the
    // card stores no PIN-protected one).
    let piv = or_exit(YubikeySigner::generate(serial, "9d", &piv_pin, None, TouchPolicyName::Always, "ceremony token_sign bench", &|| {}));

    let message = realistic_root(&[hsm_p256.public_key(), hsm_ed25519.public_key(), piv.public_key()]);
    println!("message: canonical bytes of a root with 7 keys, {} bytes", message.len());
    println!("{:<28} {:>12} {:>12} {:>14} {:>14}", "signer", "raw median", "raw min", "sign median", "sign min");
    report("SoftHSM2 P-256 (PKCS#11)", &hsm_p256, &message, n);
    report("SoftHSM2 Ed25519 (PKCS#11)", &hsm_ed25519, &message, n);
    report("software PIV card P-256", &piv, &message, n);
    drop(lock);
    for label in [p256_label, ed_label] {
        delete(&module, &token, &env("CEREMONY_TEST_PKCS11_PIN"), &label);
    }
}

fn or_exit<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| {
        eprintln!("token_sign: {e}");
        std::process::exit(1)
    })
}

/// A key pair on the SoftHSM token, made by pkcs11-tool as the tests make theirs.
fn keypair(module: &str, token: &str, pin: &str, key_type: &str) -> String {
    let label = format!("bench-{}-{}", key_type.replace(':', "-"), std::process::id());
    let out = or_exit(
        Command::new("pkcs11-tool")
            .args(["--module", module, "--token-label", token, "--login", "--pin", pin])
            .args(["--keypairgen", "--key-type", key_type, "--label", &label])
            .output(),
    );
    if !out.status.success() {
        eprintln!("token_sign: pkcs11-tool: {}", String::from_utf8_lossy(&out.stderr));
        std::process::exit(1);
    }
    label
}

/// Removes the bench's key pair, so repeated runs do not fill the token.
fn delete(module: &str, token: &str, pin: &str, label: &str) {
    for kind in ["privkey", "pubkey"] {
        let _ = Command::new("pkcs11-tool")
            .args(["--module", module, "--token-label", token, "--login", "--pin", pin])
            .args(["--delete-object", "--type", kind, "--label", label])
            .output();
    }
}

/// Root version 1 as a ceremony stages it: the token keys and four software keys.
fn realistic_root(token_keys: &[&Key]) -> Vec<u8> {
    let soft: Vec<Key> = [Algorithm::Ed25519, Algorithm::EcdsaP256, Algorithm::EcdsaP384, Algorithm::Ed25519]
        .into_iter()
        .map(|a| SoftwareSigner::generate(a).public_key().clone())
        .collect();
    let mut root_keys: Vec<Key> = token_keys.iter().map(|k| (*k).clone()).collect();
    root_keys.push(soft[0].clone());
    let role = |keys: Vec<Key>, threshold| RoleSpec { keys, threshold };
    let spec = RootSpec {
        version: 1,
        expires: time::OffsetDateTime::now_utc() + time::Duration::days(365),
        root: role(root_keys, 3),
        targets: role(vec![soft[1].clone(), soft[2].clone()], 1),
        snapshot: role(vec![soft[3].clone()], 1),
        timestamp: role(vec![soft[3].clone()], 1),
    };
    or_exit(spec.to_signed())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and minimum of `n` runs of `f`, after two unmeasured ones.
fn time_it(n: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    f();
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (millis(times[times.len() / 2]), millis(times[0]))
}

fn report(name: &str, signer: &dyn Signer, message: &[u8], n: usize) {
    let (raw_median, raw_min) = time_it(n, || {
        or_exit(signer.sign_raw(message));
    });
    let (median, min) = time_it(n, || {
        or_exit(signer.sign(message));
    });
    println!("{name:<28} {raw_median:>9.2} ms {raw_min:>9.2} ms {median:>11.2} ms {min:>11.2} ms");
}
