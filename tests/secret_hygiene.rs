//! Secret hygiene of the running `ceremony` process (issue 7, item 3; docs/secret-hygiene.md):
//! core dumps off and not dumpable from the start of `main`, secrets in locked memory, and
//! Ctrl-C at a hidden prompt leaving the terminal as it was.
//!
//! The process is observed while it waits for a secret: `--passphrase-file` names a FIFO,
//! so the process blocks opening it, with nothing for the test to race against.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "exited {:?}", status);
}

/// Waits until the child is blocked (its /proc entry shows state S) or a minute passes.
fn wait_blocked(child: &Child) {
    let stat = format!("/proc/{}/stat", child.id());
    common::watchdog::wait_until("the ceremony process to block on the FIFO", || {
        // pid (comm) STATE ...
        std::fs::read_to_string(&stat).is_ok_and(|text| text.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('S')))
    });
    // Blocked; give it a moment more so it is really at the open(2) of the FIFO.
    std::thread::sleep(Duration::from_millis(200));
}

/// A `ceremony key new passphrase` blocked on a FIFO passphrase file, run as `as_user`
/// (via setpriv) when given.
fn blocked_ceremony(dir: &Path, as_user: Option<u32>) -> Child {
    let ws = dir.join("ws");
    let out = common::ceremony(&ws, &["init"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fifo = dir.join("passphrase.fifo");
    mkfifo(&fifo);
    let bin = env!("CARGO_BIN_EXE_ceremony");
    let args =
        ["--workspace", ws.to_str().unwrap(), "key", "new", "passphrase", "--holder", "alice", "--passphrase-file", fifo.to_str().unwrap()];
    let mut cmd = match as_user {
        None => Command::new(bin),
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}")).arg(format!("--regid={uid}")).arg("--clear-groups").arg(bin);
            c
        }
    };
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start ceremony")
}

/// The pid of `ceremony` itself (setpriv execs it, so it is the child's pid).
fn finish(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts `cmd` with its standard input, output and error each made by `io`.
fn spawn(mut cmd: Command, io: fn() -> Stdio, what: &str) -> std::process::Child {
    cmd.stdin(io()).stdout(io()).stderr(io()).spawn().unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[test]
fn a_running_ceremony_has_core_dumps_off() {
    let tmp = tempfile::tempdir().unwrap();
    let child = blocked_ceremony(tmp.path(), None);
    wait_blocked(&child);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap_or_default();
    finish(child);
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).expect("a core limit line");
    let fields: Vec<&str> = core.split_whitespace().collect();
    // "Max core file size  SOFT  HARD  bytes"
    assert_eq!(&fields[4..6], &["0", "0"], "core dumps are not off: {core}");
}

#[test]
fn a_running_ceremony_is_not_dumpable() {
    // A process that is not dumpable has its /proc/PID files owned by root instead of its
    // own user. As root, run ceremony as another user to see the difference.
    if rustix::process::geteuid().as_raw() != 0 {
        let check = "a running ceremony is not dumpable (run as another user)";
        common::skips::cannot_run(check, "not root, so ceremony cannot be run as another user", "root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let nobody = 65534;
    let dir = tmp.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(nobody), Some(nobody)).unwrap();
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // The workspace is made by root first; hand it over to nobody.
    let child_ws = dir.join("ws");
    let out = common::ceremony(&child_ws, &["init"]);
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    let status = Command::new("chown").arg("-R").arg(format!("{nobody}:{nobody}")).arg(&dir).status().unwrap();
    assert!(status.success(), "exited {:?}", status);
    let fifo = dir.join("passphrase.fifo");
    mkfifo(&fifo);
    std::os::unix::fs::chown(&fifo, Some(nobody), Some(nobody)).unwrap();
    let bin = env!("CARGO_BIN_EXE_ceremony");
    let mut setpriv = Command::new("setpriv");
    setpriv.arg(format!("--reuid={nobody}")).arg(format!("--regid={nobody}")).arg("--clear-groups").arg(bin).args([
        "--workspace",
        child_ws.to_str().unwrap(),
        "key",
        "new",
        "passphrase",
        "--holder",
        "alice",
        "--passphrase-file",
        fifo.to_str().unwrap(),
    ]);
    let child = spawn(setpriv, Stdio::null, "start ceremony as nobody");
    wait_blocked(&child);
    let proc_dir = format!("/proc/{}", child.id());
    let status_uid = std::fs::read_to_string(format!("{proc_dir}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .map(str::to_string)
        .unwrap_or_default();
    let owner = std::fs::metadata(format!("{proc_dir}/environ")).map(|m| m.uid());
    finish(child);
    assert!(status_uid.split_whitespace().nth(1) == Some("65534"), "the process did not run as nobody: {status_uid}");
    assert_eq!(owner.ok(), Some(0), "/proc/PID/environ of a not-dumpable process is owned by root");
}

#[test]
fn hardening_sets_both_and_secrets_are_locked() {
    let h = ceremony::support::hygiene::harden_process();
    assert!(h.core_dumps_off && h.not_dumpable, "{h:?}");
    assert_eq!(ceremony::support::hygiene::current(), h);
    let secret = ceremony::support::secret::SecretBytes::from("correct horse battery staple");
    if rustix::process::geteuid().as_raw() == 0 {
        // root has CAP_IPC_LOCK; elsewhere RLIMIT_MEMLOCK decides and locking is best effort.
        assert!(secret.is_locked(), "expected `secret.is_locked()`; secret = {:?}", secret);
    }
}

/// Waits until the ceremony process working on `ws` sleeps in a terminal read.
fn wait_reading_tty(ws: &Path) {
    let needle = ws.display().to_string();
    common::watchdog::wait_until("ceremony to wait at its prompt", || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
            let p = entry.path();
            let cmdline = std::fs::read(p.join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            if !cmdline.contains(&needle) || !cmdline.contains("passphrase") || cmdline.contains("script") {
                return false;
            }
            let wchan = std::fs::read_to_string(p.join("wchan")).unwrap_or_default();
            wchan.contains("tty") || wchan.contains("wait_woken")
        })
    });
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn ctrl_c_at_the_hidden_prompt_restores_the_terminal() {
    // `script` gives the command a terminal; the shell inside prints the terminal's modes
    // after ceremony exits. Ctrl-C (0x03) is typed once the prompt is up.
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let init = common::ceremony(&ws, &["init"]);
    assert!(init.status.success(), "init failed: {}", String::from_utf8_lossy(&init.stderr));
    let bin = env!("CARGO_BIN_EXE_ceremony");
    let inner =
        format!("stty echo icanon isig; {bin} --workspace {} key new passphrase --holder alice; echo \"exit=$?\"; stty -a", ws.display());
    let mut script = Command::new("script");
    script.args(["-qec", &inner, "/dev/null"]);
    let mut child = spawn(script, Stdio::piped, "run script");
    // Wait until ceremony reads the terminal at its prompt (so its own mode is in force),
    // then type some characters and Ctrl-C.
    wait_reading_tty(&ws);
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        stdin.write_all(b"secret-typed-then-abandoned\x03").unwrap();
        stdin.flush().unwrap();
    }
    std::thread::sleep(Duration::from_secs(2));
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("exit=1") || text.contains("exit=2"), "ceremony did not end with a refusal: {text}");
    let modes = text.rsplit("exit=").next().unwrap_or_default();
    let words: Vec<&str> = modes.split_whitespace().collect();
    for want in ["echo", "icanon", "isig"] {
        assert!(words.contains(&want), "terminal left without {want}: {modes}");
    }
    assert!(!text.contains("secret-typed-then-abandoned"), "the typed secret was echoed: {text}");
}
