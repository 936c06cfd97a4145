#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    // Before anything else, before any secret exists: no core dumps, not dumpable.
    let hardening = ceremony::support::hygiene::harden_process();
    if !hardening.core_dumps_off {
        eprintln!("ceremony: warning: core dumps could not be turned off for this process");
    }
    ceremony::cli::run()
}
