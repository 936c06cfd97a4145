//! Driving the real `ceremony` binary on a pseudo-terminal, as a keyholder types at it.
//!
//! Confirmations and hidden prompts behave differently on a terminal than on a pipe
//! (`--yes`, `--passphrase-file`), so the tests of what a person sees and types run the
//! binary here: standard input, output and error are all the pty, and `/dev/tty` is it too.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rexpect::session::{spawn_with_options, Options, PtySession};

/// How long one expected text may take to appear (a test-profile key derivation included).
const STEP: Duration = Duration::from_secs(120);

/// A running `ceremony` on a pty, and everything it has printed so far.
pub struct Pty {
    session: PtySession,
    /// Every byte read from the terminal so far, in order: what the person saw.
    pub screen: String,
    what: String,
}

/// Starts `ceremony --workspace WS ARGS…` on a new pseudo-terminal.
pub fn spawn(ws: &Path, args: &[&str]) -> Pty {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ceremony"));
    cmd.arg("--workspace").arg(ws).args(args);
    // A fixed, plain terminal: no colours, no width surprises in the expected texts.
    cmd.env("TERM", "dumb").env("COLUMNS", "200").env("NO_COLOR", "1");
    spawn_command(cmd, &format!("ceremony {}", args.join(" ")))
}

/// Starts any command (a runbook, say) on a new pseudo-terminal.
pub fn spawn_command(cmd: Command, what: &str) -> Pty {
    let options = Options::new().timeout_ms(Some(STEP.as_millis() as u64)).strip_ansi_escape_codes(true);
    let session = spawn_with_options(cmd, options).unwrap_or_else(|e| panic!("start {what} on a pty: {e}"));
    Pty { session, screen: String::new(), what: what.to_string() }
}

impl Pty {
    /// Waits until `text` appears; returns what was printed before it. Panics with the
    /// screen so far when it does not come.
    pub fn expect(&mut self, text: &str) -> String {
        match self.session.exp_string(text) {
            Ok(before) => {
                self.screen.push_str(&before);
                self.screen.push_str(text);
                before
            }
            Err(e) => panic!("{}: waited for {text:?}: {e}\n--- screen so far ---\n{}", self.what, self.screen),
        }
    }

    /// Types `line` and Enter.
    pub fn type_line(&mut self, line: &str) {
        self.session.send_line(line).unwrap_or_else(|e| panic!("{}: type {line:?}: {e}", self.what));
        self.session.flush().unwrap_or_else(|e| panic!("{}: flush: {e}", self.what));
    }

    /// Types raw keys with no Enter (a lone `y`, or `y\n` and more at once, as a hurried person does).
    pub fn type_keys(&mut self, keys: &str) {
        self.session.send(keys).unwrap_or_else(|e| panic!("{}: type {keys:?}: {e}", self.what));
        self.session.flush().unwrap_or_else(|e| panic!("{}: flush: {e}", self.what));
    }

    /// The pty's master side: on Linux its terminal modes are the program's terminal's, and
    /// they stay readable after the program ended while this handle is open.
    pub fn master(&self) -> std::fs::File {
        self.session.process().get_file_handle().unwrap_or_else(|e| panic!("{}: the pty's master: {e}", self.what))
    }

    /// Sends `signal` to the program, as `kill` from another terminal does.
    pub fn signal(&mut self, signal: rexpect::process::Signal) {
        self.session.process_mut().signal(signal).unwrap_or_else(|e| panic!("{}: send {signal}: {e}", self.what));
    }

    /// Waits for the program to end; returns its exit code (128 + signal when killed) and
    /// the whole screen.
    pub fn finish(mut self) -> (i32, String) {
        match self.session.exp_eof() {
            Ok(rest) => self.screen.push_str(&rest),
            Err(e) => panic!("{}: waited for the end: {e}\n--- screen so far ---\n{}", self.what, self.screen),
        }
        let status = self.session.process_mut().wait();
        let code = match status {
            Ok(rexpect::process::WaitStatus::Exited(_, code)) => code,
            Ok(rexpect::process::WaitStatus::Signaled(_, sig, _)) => 128 + sig as i32,
            other => panic!("{}: unexpected end {other:?}\n{}", self.what, self.screen),
        };
        (code, self.screen)
    }
}
