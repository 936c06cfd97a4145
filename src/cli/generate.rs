//! `ceremony generate man --out DIR`, `ceremony generate completions SHELL` (hidden: for
//! packagers and for `docs/man/`), and `ceremony --version [--verbose]`.

use std::io::Write;
use std::path::Path;

use clap::{CommandFactory, Subcommand};

use super::{print_json, Cli, Global, Refusal};
use crate::buildinfo;

#[derive(Subcommand, Debug)]
pub enum GenerateCommand {
    /// Write one man page per command and subcommand (ceremony.1, ceremony-key-new.1, ...) to DIR.
    Man {
        /// The directory to write the pages to (created if missing), e.g. docs/man.
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
    },
    /// Print a completion script for SHELL on stdout.
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

/// Every man page, as (file name, roff bytes), generated from the clap definitions: the
/// top-level command and each visible subcommand, recursively. Deterministic (no date).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            walk(sub, out)?;
        }
        let man = clap_mangen::Man::new(cmd).source(format!("ceremony {}", buildinfo::VERSION)).manual("Ceremony");
        let mut bytes = Vec::new();
        man.render(&mut bytes)?;
        out.push((man.get_filename(), bytes));
        Ok(())
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(cmd, &mut out)?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

pub(super) fn generate(global: &Global, what: GenerateCommand) -> Result<(), Refusal> {
    match what {
        GenerateCommand::Man { out } => write_man(global, &out),
        GenerateCommand::Completions { shell } => {
            // Rendered into memory first: clap_complete panics on a write error (a closed pipe).
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "ceremony", &mut script);
            let mut out = std::io::stdout().lock();
            // A reader that went away (`| head`) is not an error worth a message.
            let _ = out.write_all(&script).and_then(|()| out.flush());
            Ok(())
        }
    }
}

fn write_man(global: &Global, dir: &Path) -> Result<(), Refusal> {
    let pages = man_pages().map_err(|e| Refusal::failed(format!("cannot render the man pages: {e}")))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Refusal::unusable(format!("cannot create {}: {e}; choose another --out", dir.display())))?;
    for (name, bytes) in &pages {
        let path = dir.join(name);
        crate::fsio::write_atomic(&path, bytes)
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
