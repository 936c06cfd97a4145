//! `ceremony workspace pack|unpack`.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueHint};

use super::keys::{refuse, workspace_dir};
use super::{print_json, Global, Refusal};
use crate::bundle::pack::{pack, unpack, PackError, PackManifest};
use crate::workspace::Workspace;

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Write the workspace's current state as one archive with a SHA-256 manifest, to carry
    /// it on a FAT or exFAT USB stick, by mail or in a zip. Also works on a workspace
    /// already copied without its links.
    Pack {
        /// Where to write the pack (replaced atomically if it exists).
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        out: PathBuf,
    },
    /// Verify a pack and make it a new workspace at --workspace DIR (absent or empty).
    Unpack {
        /// The pack `ceremony workspace pack` wrote.
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
        file: PathBuf,
    },
}

pub(super) fn run(global: &Global, what: WorkspaceCommand) -> Result<(), Refusal> {
    let dir = workspace_dir(global);
    match what {
        WorkspaceCommand::Pack { out } => {
            let ws = Workspace::open_for_reading(&dir).map_err(refuse)?;
            let _lock = ws.lock().map_err(refuse)?;
            let manifest = pack(&ws, &out).map_err(refusal)?;
            done(global, "Packed", &dir, &out, &manifest);
        }
        WorkspaceCommand::Unpack { file } => {
            if global.workspace.is_none() {
                return Err(Refusal::unusable("give the new workspace's directory with --workspace DIR"));
            }
            let manifest = unpack(&file, &dir).map_err(refusal)?;
            done(global, "Unpacked", &dir, &file, &manifest);
        }
    }
    Ok(())
}

fn refusal(e: PackError) -> Refusal {
    match e {
        PackError::Workspace(w) => refuse(w),
        PackError::Refused(..) => Refusal::failed(e.to_string()),
        _ => Refusal::unusable(e.to_string()),
    }
}

fn done(global: &Global, verb: &str, dir: &Path, file: &Path, m: &PackManifest) {
    if global.json {
        print_json(&serde_json::json!({
            "workspace": dir, "pack": file, "files": m.files.len(),
            "transcript": {"records": m.transcript.records, "head": m.transcript.head},
        }));
    } else {
        println!(
            "{verb} the workspace {} ({} file{}; transcript head: record {}, {}) — pack {}.",
            dir.display(),
            m.files.len(),
            if m.files.len() == 1 { "" } else { "s" },
            m.transcript.records,
            m.transcript.head,
            file.display()
        );
    }
}
