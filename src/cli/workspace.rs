//! `ceremony workspace pack|unpack`.

use std::path::Path;

use super::args::{Global, WorkspaceCommand};
use super::common::{print_json, Refusal};
use super::common::{refuse, workspace_dir};
use crate::bundle::pack::{pack, unpack, PackError, PackManifest};
use crate::workspace::Workspace;

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
