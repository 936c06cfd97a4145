//! `ceremony demo`: narrates the simulated ceremony the library runs (`crate::demo`).

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::common::{print_json, Refusal};
use crate::demo::{DemoOptions, DemoSummary, Event, ThresholdState};
use crate::tuf::key::short_keyid;

/// How many generated projects the promotion batch carries: enough to fill several
/// delegations and show the batch summary, few enough to stay well under a minute.
const DEMO_PROJECTS: usize = 40;

pub(super) fn demo(dir: Option<PathBuf>, json: bool) -> Result<(), Refusal> {
    let now = OffsetDateTime::now_utc();
    let dir = dir.unwrap_or_else(|| PathBuf::from(format!("ceremony-demo-{}", now.unix_timestamp())));
    if dir.join("workspace").exists() {
        return Err(Refusal::unusable(format!("{} already holds a demo; choose another --dir or remove it", dir.display())));
    }
    let opts = DemoOptions {
        dir: dir.clone(),
        projects: DEMO_PROJECTS,
        binary_sha256: crate::support::buildinfo::running_binary().ok().map(|(_, hash)| hash),
        now,
    };
    if !json {
        println!("Ceremony demo: a whole simulated ceremony with throw-away keys, in {}.", dir.display());
        println!("Nothing here is secret or real: the keys live in memory and are forgotten at the end.");
    }
    let mut narrate = |e: Event| {
        if !json {
            print!("{}", narration(&e));
        }
    };
    let summary = crate::demo::run(&opts, &mut narrate).map_err(|e| Refusal::failed(format!("the demo stopped: {e}")))?;
    if json {
        print_json(&serde_json::to_value(&summary).unwrap_or_default());
    } else {
        print!("{}", closing(&summary));
    }
    if summary.ok {
        Ok(())
    } else {
        Err(Refusal::failed("a bundle the demo exported did not verify; this is a bug, please report it"))
    }
}

fn narration(e: &Event) -> String {
    match e {
        Event::Phase { number, title } => format!("\n== {number}. {title} ==\n"),
        Event::Registered { holder, keyid, kind } => {
            let whose =
                if holder == "online" { "the online repository's key (public part only)".to_string() } else { format!("{holder}'s key") };
            format!("  Registered {whose}: {kind}, keyid {}.\n", short_keyid(keyid))
        }
        Event::Staged { role, version, covers, digest_hex, words } => format!(
            "  Staged {role} version {version}. The digest of {covers} is {}…; the holders read these words aloud and compare: {}\n",
            &digest_hex[..16.min(digest_hex.len())],
            words.join(" ")
        ),
        Event::RecentlyClaimed { path, version, projects } => format!(
            "  The online repository's recently-claimed version {version} delegates to {projects} projects that registered \
             developer keys ({}).\n",
            path.display()
        ),
        Event::Promoted { new, files } => {
            format!("  Checked it against the online key in targets and staged {new} new projects in {files} claimed file(s): each shard sealed by its own one-time key, the index for the claimed holders to sign.\n")
        }
        Event::Signed { holder, roles, after } => signed(holder, roles, after),
        Event::Exported { bundle, sha256, new_files } => {
            format!("  Exported {} (sha256 {}…), new in it: {}.\n", bundle.display(), &sha256[..16.min(sha256.len())], new_files.join(", "))
        }
        Event::Verified { bundle, ok, newest_root, files, problem } => verified(bundle, *ok, *newest_root, *files, problem),
        Event::Wrote { what, path } => format!("  Wrote {what}: {}\n", path.display()),
    }
}

fn signed(holder: &str, roles: &[(String, u64)], after: &[ThresholdState]) -> String {
    let what: Vec<String> = roles.iter().map(|(r, v)| format!("{r} v{v}")).collect();
    let mut out = format!("  {holder} checked the change and the words on screen, then signed {}.\n", short_list(&what, 4));
    // One line per distinct threshold state: a promotion has many files with the same one.
    let mut seen = std::collections::BTreeSet::new();
    for t in after {
        let line = if t.role.starts_with("claimed") {
            format!("claimed files: {} signed, {} needed from {}", t.have, t.need, t.keys_of)
        } else {
            format!("{} v{}: {} signed, {} needed from {}", t.role, t.version, t.have, t.need, t.keys_of)
        };
        if seen.insert(line.clone()) {
            let mark = if t.have >= t.need { "met" } else { "not yet" };
            out.push_str(&format!("      {line}: {mark}\n"));
        }
    }
    out
}

fn short_list(items: &[String], n: usize) -> String {
    if items.len() <= n {
        return items.join(", ");
    }
    format!("{} and {} more", items[..n].join(", "), items.len() - n)
}

fn verified(bundle: &Path, ok: bool, newest_root: Option<u64>, files: usize, problem: &Option<String>) -> String {
    match (ok, newest_root) {
        (true, Some(v)) => {
            let chain = if v == 1 { "root version 1".to_string() } else { format!("the root chain from version 1 to version {v}") };
            format!("  {}: verifies: {chain}, and all {files} metadata files under their delegators.\n", bundle.display())
        }
        _ => format!("  {}: DOES NOT VERIFY: {}\n", bundle.display(), problem.clone().unwrap_or_default()),
    }
}

fn closing(s: &DemoSummary) -> String {
    let mut out = String::from("\n== Where everything is ==\n");
    for b in &s.bundles {
        out.push_str(&format!("  bundle ({}): {}\n", b.phase, b.path.display()));
    }
    out.push_str(&format!("  the online side's trust anchor (root version 1): {}\n", s.trusted_root.display()));
    out.push_str(&format!("  the online repository's recently-claimed: {}\n", s.recently_claimed.display()));
    out.push_str(&format!("  the printable report: {} (open it in a browser, print on A4)\n", s.report.display()));
    out.push_str(&format!("  the transcript: {} (`ceremony --workspace {} log show`)\n", s.transcript.display(), s.workspace.display()));
    out.push_str(&format!("  the workspace: {}\n", s.workspace.display()));
    out.push_str(&format!(
        "Check a bundle yourself: ceremony bundle verify {} --trusted-root {}\n",
        s.bundles.last().map(|b| b.path.display().to_string()).unwrap_or_default(),
        s.trusted_root.display()
    ));
    let verdict = if s.ok { "Every bundle verifies." } else { "A bundle did NOT verify." };
    out.push_str(&format!("{verdict}\n"));
    out
}
