//! Named crash points for the crash-safety test (tests/crash_safety.rs), compiled only with
//! the cargo feature `failpoints`, which scripts/test.sh turns on for the test run and no
//! release build has.
//!
//! A crash test that kills the process after a timed delay lands wherever the scheduler puts
//! it: on a busy machine every kill may fall before the commit, and the test still passes
//! without having checked the other side. A failpoint is a place in the code, named by the
//! test: with `CEREMONY_FAILPOINT=NAME` in its environment, the process prints
//! `failpoint NAME reached` on stderr and kills itself with SIGKILL the first time it gets
//! there (no destructor runs, no buffer is flushed: what a power cut or `kill -9` leaves).
//! The test then knows which side of the commit it crashed on, every run.
//!
//! The points (docs/testing.md, "Skips, timing and crash points"):
//!
//! | name | where |
//! |---|---|
//! | `transaction-write` | the first file written into a transaction's new state |
//! | `commit-start` | a transaction's commit, before its transcript records are written |
//! | `commit-before-rename` | the new state written and synced; `current` still names the old one |
//! | `commit-link-made` | the new `current` link made beside the old one, not yet renamed over it |
//! | `commit-after-rename` | `current` names the new state; the old one not yet removed |
//! | `export-bundle-unrenamed` | `bundle export`: the bundle written whole to its temporary file, not yet renamed |
//! | `export-bundle-renamed` | `bundle export`: the bundle in place, the workspace not yet committed |
//!
//! Without the feature [`hit`] is an empty inline function: a release binary has no
//! failpoint and never reads `CEREMONY_FAILPOINT` (scripts/test.sh checks the release
//! binary for the name).

/// Every failpoint, for the test that each one is reached.
pub const POINTS: [&str; 7] = [
    "transaction-write", "commit-start", "commit-before-rename", "commit-link-made", "commit-after-rename", "export-bundle-unrenamed",
    "export-bundle-renamed",
];

/// Kills the process here when the environment names this point.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    if std::env::var_os("CEREMONY_FAILPOINT").is_some_and(|v| v == name) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "failpoint {name} reached");
        let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        // SIGKILL cannot be caught; should the kill itself fail, still never run on.
        std::process::abort();
    }
}

/// Without the `failpoints` feature: nothing.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}
