#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    ceremony::cli::run()
}
