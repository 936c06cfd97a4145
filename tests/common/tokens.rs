//! Access to the software token stack started by `tests/tokens/stack.sh up`
//! (see tests/tokens/README.md). Tests that need it FAIL, never skip, when it is not running.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, MutexGuard};

use fs4::FileExt;

/// How to bring the stack up; part of every "missing" failure message.
pub const HOW_TO_START: &str =
    "start the software token stack first:\n    eval \"$(bash tests/tokens/stack.sh up)\"\n(see tests/tokens/README.md)";

/// The value of environment variable `name`, exported by `stack.sh up`; panics with the way to
/// start the stack when it is absent.
pub fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!("{name} is not set: {HOW_TO_START}"),
    }
}

/// State directory of the running stack (`TOKEN_STACK_DIR`).
pub fn stack_dir() -> PathBuf {
    PathBuf::from(env("TOKEN_STACK_DIR"))
}

/// The software PIV card's serial number (`CEREMONY_TEST_PIV_SERIAL`).
pub fn piv_serial() -> u32 {
    let s = env("CEREMONY_TEST_PIV_SERIAL");
    s.parse().unwrap_or_else(|e| panic!("CEREMONY_TEST_PIV_SERIAL={s:?} is not a number: {e}"))
}

/// PKCS#11 module, token label and user PIN of the SoftHSM2 token.
pub fn pkcs11() -> (PathBuf, String, String) {
    (PathBuf::from(env("CEREMONY_TEST_PKCS11_MODULE")), env("CEREMONY_TEST_PKCS11_TOKEN"), env("CEREMONY_TEST_PKCS11_PIN"))
}

/// Exclusive use of the one software PIV card, held until dropped.
///
/// The card has one set of slots and one security state (PIN verified, management key
/// authenticated), so tests that use it must not interleave. Within a test binary a static mutex
/// serialises them; across processes (several test binaries run at once, e.g. by nextest) an
/// exclusive `flock` on `$TOKEN_STACK_DIR/piv-card.lock` does.
pub struct CardLock {
    _file: File,
    _guard: MutexGuard<'static, ()>,
}

pub fn lock_card() -> CardLock {
    static IN_PROCESS: Mutex<()> = Mutex::new(());
    lock(&IN_PROCESS, "piv-card.lock")
}

/// Exclusive use of the SoftHSM2 token directory, for tests that write to it (make key pairs)
/// while others read it: SoftHSM reads the token files when a process starts using it, and one
/// half-written by another process can make the token invisible ("no token labelled ...").
pub fn lock_softhsm() -> CardLock {
    static IN_PROCESS: Mutex<()> = Mutex::new(());
    lock(&IN_PROCESS, "softhsm.lock")
}

fn lock(in_process: &'static Mutex<()>, file_name: &str) -> CardLock {
    let guard_source = in_process;
    // A test that panicked while holding the card leaves it usable: its session is gone.
    let guard = guard_source.lock().unwrap_or_else(|e| e.into_inner());
    let path = stack_dir().join(file_name);
    let file =
        OpenOptions::new().create(true).truncate(false).write(true).open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    // fs4's flock; spelled out because Rust 1.89+ has an inherent `File::lock` of its own.
    FileExt::lock(&file).unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
    CardLock { _file: file, _guard: guard }
}

/// A fresh key pair on the SoftHSM token, made by an independent tool (OpenSC's pkcs11-tool),
/// under a label unique to this process; returns the label.
pub fn softhsm_keypair(key_type: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let (module, token, pin) = pkcs11();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let label = format!("ceremony-test-{}-{}-{n}", key_type.replace(':', "-"), std::process::id());
    // SoftHSM's file-backed token now and then answers a process that opens it while another
    // writes it with CKR_GENERAL_ERROR, or does not show the token at all; both happen before
    // anything is created, so try again.
    for attempt in 1..=3 {
        let out = std::process::Command::new("pkcs11-tool")
            .arg("--module")
            .arg(&module)
            .args(["--token-label", &token, "--login", "--pin", &pin, "--keypairgen", "--key-type", key_type, "--label", &label])
            .output()
            .expect("pkcs11-tool (Debian opensc) is installed by tests/tokens/stack.sh");
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            return label;
        }
        let racing = err.contains("CKR_GENERAL_ERROR") || err.contains("No slot with token named");
        assert!(attempt < 3 && racing, "pkcs11-tool: {err}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    unreachable!("the loop returns or panics")
}

/// Runs a command that must succeed; returns its whole output (token prompts go to stderr).
pub fn run_ok(ws: &Path, args: &[&str]) -> Output {
    let out = super::ceremony(ws, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `secret` and a newline to `dir/name`, as a PIN or passphrase file.
pub fn secret_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{secret}\n")).unwrap();
    p
}

/// A PIN file `dir/pin-PIN`.
pub fn pin_file(dir: &Path, pin: &str) -> PathBuf {
    secret_file(dir, &format!("pin-{pin}"), pin)
}

/// The arguments of `key new pkcs11` that register `holder` with the key `label` on the
/// token `token` of `module`, its PIN read from the file `pin`.
pub fn pkcs11_args(holder: &str, module: &Path, token: &str, label: &str, pin: &Path) -> Vec<String> {
    let (module, pin) = (module.display().to_string(), pin.display().to_string());
    let args =
        ["key", "new", "pkcs11", "--holder", holder, "--module", &module, "--token", token, "--key-label", label, "--pin-file", &pin];
    args.map(String::from).to_vec()
}

/// Runs `key new pkcs11` as [`pkcs11_args`] says, with `extra` arguments after.
pub fn new_pkcs11_key(ws: &Path, holder: &str, module: &Path, token: &str, label: &str, pin: &Path, extra: &[&str]) -> Output {
    let args = pkcs11_args(holder, module, token, label, pin);
    let args: Vec<&str> = args.iter().map(String::as_str).chain(extra.iter().copied()).collect();
    super::ceremony(ws, &args)
}

/// Runs `key new yubikey` for `holder` with the key in `slot`, the PIN read from the file
/// `pin`, with `extra` arguments after.
pub fn new_yubikey_key(ws: &Path, holder: &str, slot: &str, pin: &Path, extra: &[&str]) -> Output {
    let pin = pin.display().to_string();
    let args = ["key", "new", "yubikey", "--holder", holder, "--slot", slot, "--pin-file", &pin];
    super::ceremony(ws, &[&args[..], extra].concat())
}

/// An initialised workspace `tmp/ws` and the PIN file for `pin` beside it.
pub struct TokenWs {
    pub tmp: tempfile::TempDir,
    pub ws: PathBuf,
    pub pin: PathBuf,
}

pub fn workspace(pin: &str) -> TokenWs {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let pin = pin_file(tmp.path(), pin);
    run_ok(&ws, &["init"]);
    TokenWs { tmp, ws, pin }
}

/// python-tuf's verdict on the workspace's trusted root 1, exported: it must verify itself.
pub fn python_tuf_on_root(ws: &Path) -> serde_json::Value {
    let root = ws.join("current/trusted/root/1.root.json");
    super::judge_delegate(&root, "root", &root)
}
