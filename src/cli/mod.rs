//! The `ceremony` command line: argument parsing, prompts and printing only. Every rule
//! lives in the library modules this calls.

use std::process::ExitCode;

use clap::Parser;

mod args;
mod bundle;
mod chain;
mod closed_pipe;
mod common;
mod demo;
pub mod generate;
mod keys;
mod log;
mod pep480;
mod preflight;
pub mod progress;
mod promotion_screen;
mod report;
pub(crate) mod secrets;
mod sign;
mod stage;
mod status;
mod tokens;
mod workspace;

pub use args::Cli;
use args::*;
use common::{print_json, Refusal, JSON_PRINTED};
use std::sync::atomic::Ordering;

/// Parses the command line and runs it.
pub fn run() -> ExitCode {
    closed_pipe::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let json = cli.global.json;
    // Only the closed-pipe panic is caught (see closed_pipe.rs); any other goes on unwinding.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(refusal)) => refuse(&refusal, json),
        Err(panic) if closed_pipe::is_closed_pipe(&*panic) => ExitCode::from(closed_pipe::EXIT),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The sentence on stderr; under `--json` also a document on stdout unless the command
/// already printed its own (a failed `verify root-chain --json` report says `"ok": false`).
fn refuse(refusal: &Refusal, json: bool) -> ExitCode {
    let line = crate::support::hygiene::refusal_line(&refusal.message);
    if json && !JSON_PRINTED.load(Ordering::Relaxed) {
        print_json(&refusal_json(refusal.code, &line));
    }
    eprintln!("ceremony: {line}");
    ExitCode::from(refusal.code)
}

/// `{"ok": false, "exit": N, "error": "…"}`: what a script reading `--json` output gets
/// instead of an empty stdout when the command is refused.
fn refusal_json(code: u8, line: &str) -> serde_json::Value {
    serde_json::json!({"ok": false, "exit": code, "error": line})
}

/// A command line clap could not parse (or `--help`/`--version`, which clap also reports as
/// an "error"): clap's own text and status, plus the refusal document when `--json` is among
/// the arguments (clap never got to set the flag).
fn usage_error(e: &clap::Error) -> ExitCode {
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    let json_asked = std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--json");
    if e.use_stderr() && json_asked {
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or("the command line is not valid");
        let line = crate::support::hygiene::refusal_line(first.trim_start_matches("error: "));
        print_json(&refusal_json(code, &line));
    }
    // Nothing useful is left to do when the terminal itself cannot be written to.
    let _ = e.print();
    ExitCode::from(code)
}

fn dispatch(cli: Cli) -> Result<(), Refusal> {
    let global = cli.global;
    if cli.version {
        return generate::version(cli.verbose, global.json);
    }
    let Some(command) = cli.command else {
        return Err(Refusal::unusable("no command was given; `ceremony --help` lists them"));
    };
    match command {
        Command::Init => keys::init(&global),
        Command::Key(KeyCommand::New(NewKeyCommand::Passphrase { holder, for_role, passphrase_file, kdf_profile })) => {
            let role = for_role.map(ForRole::as_str);
            keys::new_passphrase(&global, &holder, role, passphrase_file.as_deref(), kdf_profile.profile())
        }
        Command::Key(KeyCommand::New(NewKeyCommand::Pkcs11 { holder, for_role, module, token, key_label, pin_file })) => {
            tokens::new_pkcs11(&global, &record(&holder, for_role), &module, &token, &key_label, pin_file.as_deref())
        }
        Command::Key(KeyCommand::New(NewKeyCommand::Yubikey {
            holder,
            for_role,
            slot,
            serial,
            pin_file,
            generate,
            touch_policy,
            mgmt_key_file,
            attestation_root,
        })) => tokens::new_yubikey(
            &global,
            &record(&holder, for_role),
            tokens::YubikeyArgs {
                slot,
                serial,
                pin_file,
                generate,
                touch_policy: TouchPolicyArg::or_default_for(touch_policy, for_role),
                mgmt_key_file,
                attestation_root,
            },
        ),
        Command::Key(KeyCommand::Import { holder, for_role, file }) => keys::import(&global, &record(&holder, for_role), &file),
        Command::Key(KeyCommand::List { names }) => keys::list(&global, names),
        Command::Root(RootCommand::Init(args)) => stage::root_init(&global, args),
        Command::Root(RootCommand::Import { files }) => stage::root_import(&global, &files),
        Command::Root(RootCommand::Rotate(args)) => stage::root_rotate(&global, args),
        Command::Targets(TargetsCommand::Init { claimed, claimed_threshold, online, expires }) => {
            pep480::targets_init(&global, &claimed, claimed_threshold, &online, &expires)
        }
        Command::Claimed(ClaimedCommand::Promote { file, projects, skip_invalid, expires }) => {
            pep480::promote(&global, pep480::PromoteArgs { file, projects, skip_invalid, expires })
        }
        Command::Project(ProjectCommand::Paths { names }) => pep480::project_paths(&names),
        Command::Renew { role, expires } => stage::renew(&global, &role, &expires),
        Command::Discard { role } => stage::discard(&global, &role),
        Command::Status => status::status(&global),
        Command::Review { roles } => sign::review_command(&global, &roles),
        Command::Sign { holder, roles, passphrase_file, pin_file } => {
            sign::sign(&global, sign::SignArgs { holder, roles, passphrase_file, pin_file })
        }
        Command::Signature(SignatureCommand::Export { holder, out }) => sign::export(&global, &holder, &out),
        Command::Signature(SignatureCommand::Import { files }) => sign::import(&global, &files),
        Command::Log(LogCommand::Show) => log::show(&global),
        Command::Log(LogCommand::Verify { previous_head }) => log::verify(&global, previous_head.as_deref()),
        Command::Verify(VerifyCommand::RootChain { files }) => chain::verify_root_chain_cmd(&files, global.json),
        Command::Workspace(what) => workspace::run(&global, what),
        Command::Bundle(BundleCommand::Export { out }) => bundle::export(&global, &out),
        Command::Bundle(BundleCommand::Verify { file, trust }) => bundle::verify(&file, &trust, global.json),
        Command::Bundle(BundleCommand::Extract { file, trust, out }) => bundle::extract(&file, &trust, &out, global.json),
        Command::Demo { dir } => demo::demo(dir, global.json),
        Command::Begin { purpose, place, attendees, previous_head } => {
            report::begin(&global, purpose, place, attendees, previous_head.as_deref())
        }
        Command::End { bags } => report::end(&global, &bags),
        Command::Report { out, ceremony, all } => report::report(&global, &out, ceremony, all),
        Command::Preflight { date, sys_root } => preflight::preflight(&global, date, &sys_root),
        Command::Version { verbose } => generate::version(verbose, global.json),
        Command::Generate(what) => generate::generate(&global, what),
    }
}
