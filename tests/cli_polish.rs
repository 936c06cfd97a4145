//! The command line as a script or a pager sees it: a reader that goes away early, refusals
//! under `--json`, help text on every argument, and `status` wording.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::workspace::Setup;
use common::{ceremony, ok, passphrase_file as pass};

/// alice, bob, carol (passphrase, test KDF) and the online key; root version 1 staged with
/// alice's signature only, so `status` has thresholds, signers and missing holders to print.
fn staged_root() -> Setup {
    let st = Setup::with_holders(&["alice", "bob", "carol"]);
    st.import_online("online");
    ok(
        &st.ws,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice", "--targets-threshold", "1",
            "--snapshot", "online", "--timestamp", "online", "--expires", "365d",
        ],
    );
    st.sign("alice");
    st
}

/// Runs the binary with stdout a pipe whose reading end is closed before the process starts,
/// so its very first write fails with EPIPE, whatever the pipe buffer's size.
fn with_closed_stdout(ws: &Path, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_ceremony"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_reader_that_goes_away_ends_every_command_quietly() {
    let st = staged_root();
    let commands: &[&[&str]] = &[
        &["status"],
        &["log", "show"],
        &["log", "verify"],
        &["key", "list"],
        &["--version", "--verbose"],
        &["project", "paths", "numpy", "requests"],
        &["generate", "completions", "bash"],
        &["--help"],
    ];
    for args in commands {
        let out = with_closed_stdout(&st.ws, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        // The documented status for output cut off by its reader, or 0 where the command
        // (clap's help, the completion script) treats a gone reader as done.
        assert!(matches!(out.status.code(), Some(141) | Some(0)), "{args:?}: {:?} {stderr}", out.status);
    }
    // The text commands above stop at their first line: 141, as a shell shows for SIGPIPE.
    assert_eq!(with_closed_stdout(&st.ws, &["status"]).status.code(), Some(141));
    assert_eq!(with_closed_stdout(&st.ws, &["log", "show"]).status.code(), Some(141));
}

#[test]
fn a_pipeline_into_head_ends_quietly() {
    let st = staged_root();
    let script = format!(
        "set -o pipefail; '{}' --workspace '{}' log show | head -1; echo \"status=${{PIPESTATUS[0]}}\"",
        env!("CARGO_BIN_EXE_ceremony"),
        st.ws.display()
    );
    let out = Command::new("bash").arg("-c").arg(&script).stdin(Stdio::null()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("#1 "), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stdout.contains("status=0") || stdout.contains("status=141"), "{stdout}");
}

fn json_refusal(ws: &Path, args: &[&str], code: i32) -> serde_json::Value {
    let out = ceremony(ws, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON document ({e}): {:?}", out.stdout));
    assert_eq!(doc["ok"], false, "{doc}");
    assert_eq!(doc["exit"], code, "{doc}");
    let error = doc["error"].as_str().unwrap_or_default();
    assert!(!error.is_empty(), "{doc}");
    // The same sentence is still on stderr, for the person watching.
    assert!(stderr.contains(error), "{stderr} vs {error}");
    doc
}

#[test]
fn refusals_under_json_print_a_refusal_document() {
    let st = staged_root();
    let nowhere = st.files.join("no-workspace");
    let doc = json_refusal(&nowhere, &["status", "--json"], 2);
    assert!(doc["error"].as_str().unwrap().contains("not a ceremony workspace"), "{doc}");
    // Threshold not met: refused with 1.
    let out = st.files.join("b.tar");
    let doc = json_refusal(&st.ws, &["--json", "bundle", "export", "--out", out.to_str().unwrap()], 1);
    assert!(!out.exists(), "{doc}");
    // Bad usage caught by the parser, --json before or after the subcommand.
    json_refusal(&st.ws, &["--json", "renew"], 2);
    json_refusal(&st.ws, &["status", "--frobnicate", "--json"], 2);
    // Without --json, stdout stays empty.
    let plain = ceremony(&nowhere, &["status"]);
    assert_eq!(plain.status.code(), Some(2));
    assert!(plain.stdout.is_empty(), "expected empty, got {:?}", plain.stdout);
    // A command that printed its own report (`"ok": false`) adds no second document.
    let root = st.ws.join("current/staged/root.json");
    assert!(root.exists(), "{} is missing", root.display());
    let root = root.to_str().unwrap();
    let chain = ceremony(&st.ws, &["verify", "root-chain", root, root, "--json"]);
    assert_eq!(chain.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&chain.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert!(doc["steps"].is_array(), "{doc}");
}

/// Every argument of every command, hidden ones too: `(command path, argument id)`.
fn arguments_without_help() -> Vec<String> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let builtin = matches!(arg.get_id().as_str(), "help" | "version");
            if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                out.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut cmd = <ceremony::cli::Cli as clap::CommandFactory>::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, "ceremony", &mut out);
    out
}

#[test]
fn every_argument_and_command_has_help_text() {
    assert_eq!(arguments_without_help(), Vec::<String>::new());
    fn commands_without_about(cmd: &clap::Command, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            if sub.get_about().is_none() {
                out.push(sub.get_name().to_string());
            }
            commands_without_about(sub, out);
        }
    }
    let mut missing = Vec::new();
    commands_without_about(&<ceremony::cli::Cli as clap::CommandFactory>::command(), &mut missing);
    assert_eq!(missing, Vec::<String>::new());
}

#[test]
fn top_level_help_lists_every_command_generate_included() {
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony")).arg("--help").output().unwrap();
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["init", "key", "root", "status", "sign", "bundle", "report", "preflight", "generate", "demo"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(&format!("{command} "))), "{command} missing:\n{help}");
    }
    // And the flags users asked about say what they are.
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["root", "rotate", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--add-root", "--remove-root", "--root-threshold", "--targets-threshold", "--snapshot", "--expires"] {
        let line = help.lines().find(|l| l.contains(flag)).unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
        let text = line.split_once(flag).map(|(_, rest)| rest.trim()).unwrap_or_default();
        assert!(text.split_whitespace().count() > 2, "{flag} has no help: {line}");
    }
}

#[test]
fn man_pages_have_exit_status_and_examples_that_parse() {
    let tmp = common::generated_man_pages();
    let mut pages = 0;
    for entry in std::fs::read_dir(tmp.path()).unwrap() {
        let path = entry.unwrap().path();
        let page = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        assert!(page.contains("\\fB141\\fR") && page.contains("\\fB2\\fR"), "{name}");
        let examples = page.split(".SH EXAMPLES").nth(1).unwrap_or_else(|| panic!("{name}: no EXAMPLES"));
        assert!(examples.contains("\\fBceremony"), "{name}: {examples}");
        // EXAMPLES comes before VERSION (man-pages(7) order) and after the options.
        let version = page.find(".SH VERSION").unwrap_or(page.len());
        assert!(page.find(".SH EXAMPLES").unwrap() < version, "{name}");
        pages += 1;
    }
    assert!(pages > 30, "{pages}");
    // Each example is a command line the parser accepts (so none drifts from the flags).
    for (line, _) in ceremony::cli::generate::EXAMPLES {
        let args: Vec<&str> = line.split_whitespace().collect();
        let parsed = <ceremony::cli::Cli as clap::Parser>::try_parse_from(&args);
        assert!(parsed.is_ok(), "{line}: {}", parsed.err().map(|e| e.to_string()).unwrap_or_default());
    }
}

#[test]
fn holder_completion_offers_no_file_names() {
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["generate", "completions", "zsh"]).output().unwrap();
    let zsh = String::from_utf8_lossy(&out.stdout);
    let holder_lines: Vec<&str> = zsh.lines().filter(|l| l.contains("'--holder=")).collect();
    assert!(holder_lines.len() >= 6, "{holder_lines:?}");
    for line in holder_lines {
        assert!(line.trim_end().ends_with(":H:' \\"), "{line}");
    }
    // The same for every holder-valued flag, and file flags still complete files.
    for flag in ["--root=", "--add-root=", "--snapshot=", "--online="] {
        assert!(zsh.lines().filter(|l| l.contains(flag)).all(|l| !l.contains("_files")), "{flag}");
    }
    let out_lines: Vec<&str> = zsh.lines().filter(|l| l.contains("'--out=")).collect();
    assert!(out_lines.iter().all(|l| l.contains("_files")), "an --out= completion without _files: {out_lines:?}");
}

/// Bash completes holder flags with the registered holders of the workspace the line names
/// (or none, quietly, where there is no workspace), and other flags as clap does.
#[test]
fn bash_completes_registered_holders() {
    let st = staged_root();
    let alice = pass(&st.files, "alice");
    ok(&st.ws, &["key", "new", "passphrase", "--holder", "alice", "--for", "claimed", "--passphrase-file", &alice]);
    let script = st.files.join("ceremony.bash");
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["generate", "completions", "bash"]).output().unwrap();
    std::fs::write(&script, &out.stdout).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let driver = r#"
source "$1"; ws="$2"
line() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    _ceremony_holders ceremony "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
    echo "[${COMPREPLY[*]}]"; }
line ceremony --workspace "$ws" sign --holder ""
line ceremony --workspace="$ws" sign --holder al
line ceremony --workspace "$ws" root init --root alice,b
line ceremony --workspace "$ws" targets init --claimed ""
line ceremony sign --holder ""
CEREMONY_WORKSPACE="$ws" line ceremony signature export --holder c
line ceremony --workspace = "$ws" sign --holder = b
line ceremony --workspace "$ws" generate completions ba
"#;
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ceremony")).parent().unwrap();
    let out = Command::new("bash")
        .args(["-c", driver, "driver"])
        .arg(&script)
        .arg(&st.ws)
        .current_dir(empty.path())
        .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()))
        .env_remove("CEREMONY_WORKSPACE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = "alice alice.claimed bob carol online";
    let want = [
        format!("[{all}]"),
        "[alice alice.claimed]".to_string(),
        "[alice,bob]".to_string(),
        format!("[{all}]"),
        // No workspace here: nothing offered, no file names either, and nothing written.
        "[]".to_string(),
        "[carol]".to_string(),
        "[bob]".to_string(),
        "[bash]".to_string(),
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), want, "{text}{stderr}");
    assert!(!stderr.contains("ceremony"), "{stderr}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn status_opens_with_a_summary_and_says_thresholds_plainly() {
    let st = staged_root();
    let pf = pass(&st.files, "alice");
    ok(&st.ws, &["key", "new", "passphrase", "--holder", "alice", "--for", "claimed", "--passphrase-file", &pf]);
    ok(&st.ws, &["targets", "init", "--claimed", "alice.claimed", "--claimed-threshold", "1", "--online", "online"]);
    let text = ok(&st.ws, &["status"]);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(first, "2 roles staged: 0 complete, 2 not complete; ready to export: no.", "{text}");
    for h in ["bob", "carol"] {
        let pf = pass(&st.files, h);
        let signed = ok(&st.ws, &["sign", "--holder", h, "--passphrase-file", &pf, "--yes"]);
        // Staged moments ago with --expires 365d: 365 days, not 364 (truncated hours).
        assert!(signed.contains("(365 days from now)"), "{signed}");
    }
    let text = ok(&st.ws, &["status"]);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(first, "2 roles staged: 1 complete, 1 not complete; ready to export: no.", "{text}");
    assert!(text.contains("threshold of this root (version 1): 3 signed, 2 needed: met"), "{text}");
    assert!(!text.contains(" have "), "{text}");
    assert!(text.contains("0 signed, 1 needed: NOT met"), "{text}");
}
