//! `ceremony preflight [--json]`.

use std::path::Path;

use time::OffsetDateTime;

use super::args::Global;
use super::common::workspace_dir;
use super::common::{print_json, Refusal};
use crate::audit::preflight::{self, Level};

pub(super) fn preflight(global: &Global, date: Option<time::Date>, sys_root: &Path) -> Result<(), Refusal> {
    let now = OffsetDateTime::now_utc();
    let mut checks = preflight::run(sys_root, &workspace_dir(global), now);
    checks.extend(date.map(|typed| preflight::date(now, typed)));
    let ok = preflight::passed(&checks);
    if global.json {
        print_json(&serde_json::json!({"ok": ok, "checks": checks}));
    } else {
        for c in &checks {
            println!("{}", c.line());
        }
    }
    let fails = checks.iter().filter(|c| c.result == Level::Fail).count();
    if ok {
        Ok(())
    } else {
        Err(Refusal::failed(format!(
            "preflight found {fails} problem{} (the fail lines); fix {} before the ceremony",
            if fails == 1 { "" } else { "s" },
            if fails == 1 { "it" } else { "them" }
        )))
    }
}
