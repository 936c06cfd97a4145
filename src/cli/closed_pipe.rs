//! Ending quietly when whoever reads the output goes away (`ceremony status | head -1`).
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe fails with EPIPE, and std's `print!`
//! family turns that failure into a panic ("failed printing to stdout: Broken pipe"). The
//! usual cures do not fit here:
//!
//! - restoring SIGPIPE's default action needs `libc::signal`, and the crate forbids `unsafe`;
//!   it would also kill the process without running destructors, so a passphrase or PIN held
//!   at that moment would not be zeroized;
//! - making every print fallible would thread an error through some fifty print sites and
//!   still miss the ones inside clap and indicatif.
//!
//! So the panic std raises is recognised at one place: [`install`] keeps the panic hook from
//! printing it, the unwinding runs every destructor (secrets are zeroized, a transaction that
//! never committed leaves the workspace as it was), and [`super::run`] catches it and exits
//! with [`EXIT`]. Any other panic is reported and propagated exactly as before.

use std::any::Any;

/// The exit status after the reader of stdout (or stderr) went away: 141, what a shell
/// reports for a process ended by SIGPIPE (128 + 13), so `set -o pipefail` scripts treat it
/// as they treat `yes | head -1`. Not 0: the command may have stopped before its work was
/// done (a `bundle verify` whose report nobody read must not look verified).
pub const EXIT: u8 = 141;

/// The message std's `print!`/`eprint!` panic with when the write failed with EPIPE, for
/// each stream. Built from the same error value std formats, so the OS's wording matches.
fn messages() -> [String; 2] {
    let broken = std::io::Error::from(rustix::io::Errno::PIPE);
    ["stdout", "stderr"].map(|stream| format!("failed printing to {stream}: {broken}"))
}

/// Whether a panic payload is std's "failed printing to stdout/stderr: Broken pipe".
pub fn is_closed_pipe(payload: &(dyn Any + Send)) -> bool {
    let text = match (payload.downcast_ref::<String>(), payload.downcast_ref::<&str>()) {
        (Some(s), _) => s.as_str(),
        (None, Some(s)) => s,
        (None, None) => return false,
    };
    messages().iter().any(|m| m == text)
}

/// Keeps the default panic hook from printing the closed-pipe panic (nobody can read it, and
/// a backtrace on stderr is not "quiet"); every other panic still reaches the default hook.
pub fn install() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_closed_pipe(info.payload()) {
            default(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_the_closed_pipe_panic() {
        let caught = std::panic::catch_unwind(|| {
            let broken = std::io::Error::from(rustix::io::Errno::PIPE);
            panic!("failed printing to stdout: {broken}");
        });
        let payload = caught.err().map(|p| is_closed_pipe(&*p));
        assert_eq!(payload, Some(true));
        assert!(!is_closed_pipe(&"failed printing to stdout: No space left on device (os error 28)"));
        assert!(!is_closed_pipe(&String::from("index out of bounds")), "{:?} is taken for a closed pipe", "index out of bounds");
        assert!(!is_closed_pipe(&42_u8));
    }
}
