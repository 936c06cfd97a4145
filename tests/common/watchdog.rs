//! The one place a test may read the clock: a hang guard.
//!
//! Tests assert on what a command does, never on how fast: speed is measured in benches/ and
//! written in docs/performance.md (tests/suite_timing.rs fails on a clock read anywhere else
//! in the tests). A command that hangs would still hang the test run forever, so a child
//! started here is killed after [`HANG_LIMIT`], far above any normal time (minutes, where a
//! refusal takes milliseconds and the slowest command seconds, even in a debug build on a
//! busy machine). The kill is not a verdict: the test then asserts on the exit, which a
//! killed process fails, and [`Finished::describe`] says it was the hang guard that killed it.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a child may run before it is taken for hung and killed.
pub const HANG_LIMIT: Duration = Duration::from_secs(300);

/// A child's exit and what it printed (stdout and stderr each up to [`KEPT`] bytes).
pub struct Finished {
    pub status: ExitStatus,
    /// The limit it ran under.
    pub limit: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Whether the hang guard killed it.
    pub hung: bool,
}

/// The most of each output stream kept; the rest is read and dropped so the child never
/// blocks on a full pipe.
pub const KEPT: usize = 1 << 20;

impl Finished {
    /// "exit status: 2", or that the hang guard killed it, for a failure message.
    pub fn describe(&self) -> String {
        if self.hung {
            format!("killed by the hang guard after {} s without finishing (it hung)", self.limit.as_secs())
        } else {
            self.status.to_string()
        }
    }
}

/// Runs `cmd` (its stdin as the caller set it, stdout and stderr captured) to its end, killing
/// it if it has not ended after [`HANG_LIMIT`].
pub fn run(cmd: &mut Command) -> Finished {
    run_for(cmd, HANG_LIMIT)
}

/// [`run`] with another limit: only for the test of the guard itself.
pub fn run_for(cmd: &mut Command, limit: Duration) -> Finished {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start the child process");
    let stdout = drain(child.stdout.take().expect("a stdout pipe"));
    let stderr = drain(child.stderr.take().expect("a stderr pipe"));
    let (done, finished) = mpsc::channel::<()>();
    let pid = rustix::process::Pid::from_raw(child.id() as i32);
    // The guard waits on a channel the waiter closes; no polling loop, no sleep.
    let guard = std::thread::spawn(move || {
        let timed_out = matches!(finished.recv_timeout(limit), Err(mpsc::RecvTimeoutError::Timeout));
        if timed_out {
            // The child is not reaped until `wait` below returns, so its pid is still its own.
            if let Some(pid) = pid {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        timed_out
    });
    let status = child.wait().expect("wait for the child process");
    drop(done);
    let hung = guard.join().unwrap_or(false);
    Finished { status, limit, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default(), hung }
}

/// Reads a pipe to its end on a thread, keeping the first [`KEPT`] bytes.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = KEPT.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        kept
    })
}

/// Waits until `ready()` holds, checking every 20 ms, for a state another process reaches in
/// its own time (a prompt that turned echo off, a child blocked on a FIFO). Past
/// [`HANG_LIMIT`] it fails, saying that `what` never happened: a hang, not a speed verdict.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < HANG_LIMIT,
            "expected {what}, got nothing after {} s: the hang guard gave up waiting",
            HANG_LIMIT.as_secs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
