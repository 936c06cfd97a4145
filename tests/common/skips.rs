//! Checks a machine cannot run: never a silent pass.
//!
//! A test that cannot run its check (a tool the machine lacks) calls [`cannot_run`] and
//! returns. That is allowed only when it is honest and visible:
//!
//! - the test command (scripts/test.sh) probes each such tool once before the tests and writes
//!   its verdict to `$CEREMONY_TEST_PROBES/NAME`: `ok`, or `unavailable: REASON` (what it tried
//!   and what failed). A probe that says `ok` means the machine can: the test fails.
//! - under `CI=true` a skip without a probe proving `unavailable` fails: CI must run the check
//!   or show that the machine cannot.
//! - every skip is appended to `$CEREMONY_SKIP_LOG`, which the test command prints at the end,
//!   and said on stderr (`SKIPPED: ...`).

use std::io::Write;

/// What the test command's probe `name` found, when it ran: `Ok(())` for `ok`, `Err(reason)`
/// for `unavailable: reason`; `None` without a probe (a test run outside scripts/test.sh).
pub fn probe(name: &str) -> Option<Result<(), String>> {
    let dir = std::env::var_os("CEREMONY_TEST_PROBES")?;
    let text = std::fs::read_to_string(std::path::Path::new(&dir).join(name)).ok()?;
    let first = text.lines().next().unwrap_or_default().trim().to_string();
    match first.strip_prefix("unavailable:") {
        Some(reason) => Some(Err(reason.trim().to_string())),
        None if first == "ok" => Some(Ok(())),
        None => Some(Err(format!("the probe wrote {first:?}, neither `ok` nor `unavailable: ...`"))),
    }
}

/// Whether this run is CI's (`CI=true`, as CI systems set it).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Records that `check` cannot run here because `why`, with probe `name` as the proof; fails
/// the test instead when the probe says the machine can, or under `CI=true` without a probe
/// that says it cannot. The caller returns after it.
pub fn cannot_run(check: &str, why: &str, name: &str) {
    let line = match verdict(check, why, name, probe(name), under_ci()) {
        Ok(line) => line,
        Err(failure) => panic!("{failure}"),
    };
    eprintln!("SKIPPED: {line}");
    if let Some(log) = std::env::var_os("CEREMONY_SKIP_LOG") {
        let appended = std::fs::OpenOptions::new().create(true).append(true).open(&log).and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = appended {
            panic!("{check}: expected to record the skip in {}, got {e}", std::path::Path::new(&log).display());
        }
    }
}

/// The rule of [`cannot_run`], given what probe `name` found and whether this is CI: the skip's
/// line for the log, or why the test must fail instead.
pub fn verdict(check: &str, why: &str, name: &str, probe: Option<Result<(), String>>, ci: bool) -> Result<String, String> {
    let proof = match probe {
        Some(Ok(())) => {
            return Err(format!("{check}: expected it to run (scripts/test.sh's probe `{name}` found this machine can), got: {why}"));
        }
        Some(Err(reason)) => format!("proven by the test command's probe `{name}`: {reason}"),
        None if ci => {
            return Err(format!(
                "{check}: expected it to run under CI=true, got: {why}; and no probe of the test command proved the machine \
                 cannot (scripts/test.sh writes $CEREMONY_TEST_PROBES/{name})"
            ));
        }
        None => format!("not proven: no probe `{name}` (run through scripts/test.sh to probe)"),
    };
    Ok(format!("{check}: {why} ({proof})"))
}
