//! `ceremony report --out FILE.html`.

use std::path::Path;

use time::OffsetDateTime;

use super::keys::open;
use super::stage::refuse_stage;
use super::{print_json, Global, Refusal};
use crate::report::{render_html, Report};

pub(super) fn report(global: &Global, out: &Path) -> Result<(), Refusal> {
    let ws = open(global)?;
    let binary = crate::buildinfo::running_binary().ok().map(|(_, hash)| hash);
    let report = Report::build(&ws, OffsetDateTime::now_utc(), binary).map_err(|e| match e {
        crate::staging::StageError::Workspace(crate::workspace::WorkspaceError::Transcript(t)) => Refusal::failed(format!(
            "{t}; a record of an altered transcript would mislead, so no report was written"
        )),
        other => refuse_stage(other),
    })?;
    let html = render_html(&report);
    crate::fsio::write_atomic(out, html.as_bytes())
        .map_err(|e| Refusal::unusable(format!("cannot write {}: {e}; choose another --out", out.display())))?;
    if global.json {
        print_json(&serde_json::json!({
            "report": out,
            "holders": report.holders.len(),
            "roles": report.roles.len(),
            "transcript": {"records": report.head.records, "head": report.head.hash},
        }));
    } else {
        println!(
            "Wrote the ceremony record to {} ({} holders, {} role versions, {} transcript records, head {}). \
             Open it in a browser and print it on A4.",
            out.display(),
            report.holders.len(),
            report.roles.len(),
            report.head.records,
            crate::key::short_keyid(&report.head.hash)
        );
    }
    Ok(())
}
