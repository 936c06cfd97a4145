//! Process hygiene: what the `ceremony` process does for itself before and after any
//! command. Two things live here:
//!
//! - [`refusal_line`]: a refusal reaches the terminal as exactly one short line of plain
//!   text, whatever bytes a hostile file made its way into the message (parser errors quote
//!   the offending value; a 50 MB string or an escape sequence must not reach the screen);
//! - [`harden_process`] (see `docs/secret-hygiene.md`): core dumps off and the process not
//!   dumpable, so a crash or a debugger attach cannot copy a passphrase out of memory.

/// The longest refusal line printed (in characters, after `ceremony: `). A sentence that
/// says what is wrong and what to do fits easily; quoted hostile input does not.
pub const MAX_REFUSAL_CHARS: usize = 600;

/// One printable line: control characters (newlines and terminal escapes included) become
/// `?`, and an over-long message keeps its beginning and its end (which says what to do)
/// around a `[...]` marker.
pub fn refusal_line(message: &str) -> String {
    let clean: Vec<char> = message.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    if clean.len() <= MAX_REFUSAL_CHARS {
        return clean.into_iter().collect::<String>().trim().to_string();
    }
    let head: String = clean[..MAX_REFUSAL_CHARS / 2].iter().collect();
    let tail: String = clean[clean.len() - MAX_REFUSAL_CHARS / 3..].iter().collect();
    format!("{} [...] {}", head.trim_end(), tail.trim_start())
}

/// What [`harden_process`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hardening {
    /// RLIMIT_CORE is 0 (soft and hard): no core file, whatever the system's core pattern.
    pub core_dumps_off: bool,
    /// PR_SET_DUMPABLE is 0: no core dump through a pipe handler either, no ptrace attach by
    /// other processes of the same user, /proc/PID/mem and friends owned by root.
    pub not_dumpable: bool,
}

/// Turns core dumps off for this process for good (the hard limit too, so nothing later in
/// the process can turn them back on) and makes it not dumpable. Called first thing in
/// `main`, before any secret exists. Best effort: each step reports whether it worked.
pub fn harden_process() -> Hardening {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let core_dumps_off = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) }).is_ok();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let not_dumpable = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable).is_ok();
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let not_dumpable = false;
    Hardening { core_dumps_off, not_dumpable }
}

/// The process's current state, as [`harden_process`] leaves it (for tests and diagnostics).
pub fn current() -> Hardening {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Core);
    let core_dumps_off = limit.current == Some(0) && limit.maximum == Some(0);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let not_dumpable = matches!(rustix::process::dumpable_behavior(), Ok(rustix::process::DumpableBehavior::NotDumpable));
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let not_dumpable = false;
    Hardening { core_dumps_off, not_dumpable }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_lines_are_short_plain_and_keep_their_advice() {
        assert_eq!(refusal_line("plain sentence; do this"), "plain sentence; do this");
        assert_eq!(refusal_line("a\nb\u{1b}[31mc\r\u{7f}"), "a?b?[31mc??");
        let long = format!("the file holds \"{}\"; give a TUF root metadata file", "A".repeat(50_000));
        let line = refusal_line(&long);
        assert!(line.chars().count() <= MAX_REFUSAL_CHARS + 10, "{}", line.len());
        assert!(line.starts_with("the file holds"), "expected {:?} to start with {:?}", line, "the file holds");
        assert!(line.ends_with("give a TUF root metadata file"), "expected {:?} to end with {:?}", line, "give a TUF root metadata file");
        assert!(line.contains("[...]"), "expected {:?} to contain {:?}", line, "[...]");
    }
}
