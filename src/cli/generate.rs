//! `ceremony generate man --out DIR`, `ceremony generate completions SHELL` (for
//! packagers and for `docs/man/`), and `ceremony --version [--verbose]`.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::args::{Cli, GenerateCommand, Global};
use super::common::{print_json, Refusal};
use crate::support::buildinfo;

/// Every man page, as (file name, roff bytes), generated from the clap definitions: the
/// top-level command and each visible subcommand, recursively. Deterministic (no date).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            walk(sub, out)?;
        }
        let path = cmd.get_bin_name().unwrap_or("ceremony").to_string();
        let man = clap_mangen::Man::new(cmd).source(format!("ceremony {}", buildinfo::VERSION)).manual("Ceremony");
        let mut bytes = Vec::new();
        man.render(&mut bytes)?;
        out.push((man.get_filename(), with_sections(bytes, &path)));
        Ok(())
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(cmd, &mut out)?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The exit statuses every command shares (the CLI contract's, plus 141 for a closed pipe).
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Done; for a check, it passed."),
    ("1", "Refused: a verification failed, a threshold is not met, or a check found a problem. One sentence on stderr says what is wrong and what to do; with --json, stdout holds {\"ok\": false, \"exit\": 1, \"error\": ...}."),
    ("2", "Bad usage or unreadable input (a missing workspace, a file that is not what it should be); reported as for 1."),
    ("141", "The reader of the output went away (e.g. piped into head) before the command finished; as a shell reports a process ended by SIGPIPE. The command may have stopped early."),
];

/// One example per command: (command line, what it does). A man page shows the examples
/// whose command line starts with its own command; `tests/cli_polish.rs` checks that each
/// still parses.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("ceremony init --workspace ws", "Create an empty workspace in ws."),
    ("ceremony key new passphrase --holder alice", "Register alice with a passphrase key, asked on the terminal."),
    ("ceremony key new passphrase --holder alice --for targets", "Register a separate targets key for alice, the record alice.targets."),
    ("ceremony key new yubikey --holder bob --slot 9c", "Register bob with the key in his YubiKey's slot 9c."),
    ("ceremony key new pkcs11 --holder carol --module /usr/lib/softhsm/libsofthsm2.so --token ceremony --key-label carol", "Register carol with a key in a PKCS#11 token."),
    ("ceremony key import --holder online online-key.json", "Register the online key from its public key file."),
    ("ceremony key list", "List the holders and their keys."),
    ("ceremony root init --root alice,bob,carol --root-threshold 2 --targets alice,bob --targets-threshold 1 --snapshot online --timestamp online --expires 365d", "Stage root version 1: 2 of 3 root keys."),
    ("ceremony root import 1.root.json 2.root.json", "Adopt an existing root history."),
    ("ceremony root rotate --add-root dave --remove-root carol --root-threshold 2", "Stage the next root with dave in carol's place."),
    ("ceremony targets init --claimed alice,bob --claimed-threshold 1 --online online", "Stage top-level targets delegating as PEP 480 describes."),
    ("ceremony claimed promote recently-claimed.json", "Stage the promotion of every project recently-claimed delegates."),
    ("ceremony project paths numpy requests --json", "The path patterns of two projects."),
    ("ceremony renew targets --expires 365d", "Stage the next targets version, valid one more year."),
    ("ceremony discard root", "Drop the staged root and its signatures."),
    ("ceremony status", "What is staged, who signed, what is missing."),
    ("ceremony sign --holder alice", "Review and sign what alice's key is needed for."),
    ("ceremony signature export --holder bob --out bob.sigs.json", "Carry bob's signatures from his machine."),
    ("ceremony signature import bob.sigs.json", "Merge them on the ceremony machine."),
    ("ceremony log show", "Print the transcript."),
    ("ceremony log verify", "Check that no record was altered, removed or reordered."),
    ("ceremony verify root-chain 1.root.json 2.root.json", "Check that version 2 is a valid successor of version 1."),
    ("ceremony bundle export --out ceremony.tar", "Write the bundle for the online repository."),
    ("ceremony bundle verify ceremony.tar --trusted-root 1.root.json", "Verify a bundle trusting only 1.root.json."),
    (
        "ceremony bundle extract ceremony.tar --trusted-root 7.root.json --trusted-root-sha256 HEX --published /srv/tuf/metadata --out incoming",
        "Check 7.root.json against the SHA-256 on the paper record and the bundle against what is published, then write its files into incoming.",
    ),
    ("ceremony workspace pack --out /media/usb/ws.pack", "Write the workspace as one archive for a FAT USB stick."),
    ("ceremony workspace unpack /media/usb/ws.pack --workspace ws", "Make the pack a new workspace in ws."),
    ("ceremony report --out ceremony.html", "Write the printable ceremony record."),
    ("ceremony preflight", "Check the machine before a ceremony."),
    ("ceremony version --verbose", "The version and the binary's SHA-256."),
    ("ceremony generate man --out docs/man", "Write the man pages."),
    ("ceremony generate completions bash", "Print the bash completion script."),
    ("ceremony demo --dir /tmp/ceremony-demo", "Run a simulated ceremony."),
];

/// Inserts EXIT STATUS and EXAMPLES (before VERSION, as man-pages(7) orders them) into a
/// page clap_mangen rendered for the command `path` (e.g. "ceremony key new").
fn with_sections(page: Vec<u8>, path: &str) -> Vec<u8> {
    let page = String::from_utf8_lossy(&page).into_owned();
    let mut extra = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_STATUS {
        extra.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(meaning)));
    }
    extra.push_str(".SH EXAMPLES\n");
    let prefix = format!("{path} ");
    let mine: Vec<_> = EXAMPLES.iter().filter(|(line, _)| path == "ceremony" || line.starts_with(&prefix)).collect();
    for (line, what) in &mine {
        extra.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff_text(line), roff_text(what)));
    }
    if mine.is_empty() {
        extra.push_str(&format!(
            ".TP\n\\fB{} --help\\fR\nThe flags of this command; ceremony(1) shows a whole ceremony.\n",
            roff_text(path)
        ));
    }
    let at = page.find(".SH VERSION").unwrap_or(page.len());
    let mut out = page;
    out.insert_str(at, &extra);
    out.into_bytes()
}

/// Text safe in a roff line: backslashes and hyphens escaped, no leading control character.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// Appended to clap's bash script: flags that name holders complete the workspace's
/// registered holders (`key list --names`, in the workspace the line names), after the last
/// comma of a list; clap alone would offer nothing there, or file names. With no workspace,
/// nothing is offered and nothing is printed.
const BASH_HOLDERS: &str = r#"
_ceremony_holders() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    # bash splits --holder=al into --holder, =, al
    if [[ "$prev" == "=" && $COMP_CWORD -ge 2 ]]; then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi
    case "$prev" in
        --holder|--root|--targets|--add-root|--remove-root|--snapshot|--timestamp|--claimed|--online) ;;
        *) _ceremony "$@"; return ;;
    esac
    local ws=() i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --workspace)
                if [[ "${COMP_WORDS[i+1]}" == "=" ]]; then ws=(--workspace "${COMP_WORDS[i+2]}")
                else ws=(--workspace "${COMP_WORDS[i+1]}"); fi ;;
            --workspace=*) ws=("${COMP_WORDS[i]}") ;;
        esac
    done
    local names head="" word="$cur"
    names="$("${COMP_WORDS[0]}" "${ws[@]}" key list --names 2>/dev/null </dev/null)" || names=""
    if [[ "$cur" == *,* ]]; then head="${cur%,*},"; word="${cur##*,}"; fi
    local IFS=$'
'
    COMPREPLY=($(compgen -P "$head" -W "$names" -- "$word"))
    if [[ ${#COMPREPLY[@]} -eq 0 ]]; then COMPREPLY=("$cur"); fi
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then compopt -o nospace; fi
}
complete -F _ceremony_holders -o nosort -o bashdefault -o default ceremony 2>/dev/null     || complete -F _ceremony_holders -o bashdefault -o default ceremony
"#;

pub(super) fn generate(global: &Global, what: GenerateCommand) -> Result<(), Refusal> {
    match what {
        GenerateCommand::Man { out } => write_man(global, &out),
        GenerateCommand::Completions { shell } => {
            // Rendered into memory first: clap_complete panics on a write error (a closed pipe).
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "ceremony", &mut script);
            if shell == clap_complete::Shell::Bash {
                script.extend_from_slice(BASH_HOLDERS.as_bytes());
            }
            let mut out = std::io::stdout().lock();
            // A reader that went away (`| head`) is not an error worth a message.
            let _ = out.write_all(&script).and_then(|()| out.flush());
            Ok(())
        }
    }
}

fn write_man(global: &Global, dir: &Path) -> Result<(), Refusal> {
    let pages = man_pages().map_err(|e| Refusal::failed(format!("cannot render the man pages: {e}")))?;
    std::fs::create_dir_all(dir).map_err(|e| Refusal::unusable(format!("cannot create {}: {e}; choose another --out", dir.display())))?;
    for (name, bytes) in &pages {
        let path = dir.join(name);
        crate::support::fsio::write_atomic(&path, bytes)
            .map_err(|e| Refusal::unusable(format!("cannot write {}: {e}; choose another --out", path.display())))?;
    }
    if global.json {
        print_json(&serde_json::json!({"dir": dir, "pages": pages.iter().map(|(n, _)| n).collect::<Vec<_>>()}));
    } else {
        println!("Wrote {} man pages to {}.", pages.len(), dir.display());
    }
    Ok(())
}

/// `ceremony --version [--verbose]` and `ceremony version [--verbose]`.
pub(super) fn version(verbose: bool, json: bool) -> Result<(), Refusal> {
    let binary = if verbose { Some(buildinfo::running_binary()) } else { None };
    if json {
        let mut v = serde_json::json!({"name": "ceremony", "version": buildinfo::VERSION});
        if let Some(found) = &binary {
            v["target"] = buildinfo::TARGET.into();
            v["profile"] = buildinfo::PROFILE.into();
            match found {
                Ok((path, hash)) => {
                    v["sha256"] = hash.clone().into();
                    v["path"] = path.display().to_string().into();
                }
                Err(e) => v["sha256_error"] = e.to_string().into(),
            }
        }
        print_json(&v);
        return Ok(());
    }
    println!("ceremony {}", buildinfo::VERSION);
    if let Some(found) = binary {
        let (path, hash) = found.map_err(|e| Refusal::unusable(format!("cannot read the running binary to hash it: {e}")))?;
        println!("sha256:  {hash}");
        println!("binary:  {}", path.display());
        println!("target:  {}", buildinfo::TARGET);
        println!("profile: {}", buildinfo::PROFILE);
    }
    Ok(())
}
