//! `ceremony targets init`, `ceremony claimed promote`, `ceremony project paths`.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::args::Global;
use super::common::{digest_lines, refuse_stage};
use super::common::{open, refuse};
use super::common::{print_json, Refusal};
use super::stage::{expiry, holder_keys, staged_message, staged_review};
use crate::pypi::pep480::TargetsPlan;
use crate::pypi::project;
use crate::support::fsio::write_atomic;
use crate::workspace::claimed_state;
use crate::workspace::promotion::{self, PromoteRequest, Promotion};
use crate::workspace::recently_claimed::{self, SourceError};
use crate::workspace::role_digest::{role_digest, RoleDigest};

pub(super) fn targets_init(
    global: &Global,
    claimed: &[String],
    claimed_threshold: u64,
    online: &str,
    expires: &Option<String>,
) -> Result<(), Refusal> {
    let ws = open(global)?;
    let plan = TargetsPlan {
        claimed: holder_keys(&ws, claimed)?,
        claimed_threshold,
        online: holder_keys(&ws, &[online.to_string()])?.remove(0),
        expires: expiry(expires)?,
    };
    let lock = ws.lock().map_err(refuse)?;
    let index_before = crate::workspace::staging::staged(&ws, crate::pypi::roles::CLAIMED).map_err(refuse_stage)?.is_some();
    let md = crate::workspace::propose::targets_init(&ws, &lock, &plan).map_err(refuse_stage)?;
    staged_message(global, "targets", &md);
    staged_review(global, &ws, "targets", &md);
    let index = crate::workspace::staging::staged(&ws, crate::pypi::roles::CLAIMED).map_err(refuse_stage)?;
    if let (false, Some(index), false) = (index_before, index, global.json) {
        println!(
            "The claimed holders change, so claimed version {} is staged too (same shards): the new holders sign it, and a removed key no longer counts.",
            index.version()
        );
        print!("{}", digest_lines(&role_digest(crate::pypi::roles::CLAIMED, &index)));
    }
    Ok(())
}

pub(super) fn project_paths(names: &[String]) -> Result<(), Refusal> {
    let mut out = serde_json::Map::new();
    for name in names {
        let paths = project::project_paths(name).map_err(|e| Refusal::unusable(format!("{e}; give PyPI project names")))?;
        out.insert(name.clone(), paths.into());
    }
    print_json(&serde_json::Value::Object(out));
    Ok(())
}

pub(super) struct PromoteArgs {
    pub file: PathBuf,
    pub projects: Vec<String>,
    pub skip_invalid: bool,
    pub expires: Option<String>,
}

pub(super) fn promote(global: &Global, a: PromoteArgs) -> Result<(), Refusal> {
    let ws = open(global)?;
    let only: Vec<String> = a.projects.iter().map(|n| project::normalize(n.trim())).collect();
    let expires = expiry(&a.expires)?;
    let lock = ws.lock().map_err(refuse)?;
    // Only on a terminal: in scripts stderr carries nothing but a refusal's one sentence.
    if !global.json && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!("Checking {} and every project delegation it carries…", a.file.display());
    }
    let now = OffsetDateTime::now_utc();
    let source = recently_claimed::read_recently_claimed(&ws, &a.file, now).map_err(|e| match e {
        SourceError::Unreadable(e) => Refusal::unusable(format!("{e}; give the online repository's recently-claimed.json")),
        SourceError::Refused(e) => refuse_stage(e),
    })?;
    let req = PromoteRequest { source: &source, only: &only, skip_invalid: a.skip_invalid, expires, now };
    let (promotion, staged) = promotion::plan_promotion(&ws, &req).map_err(refuse_stage)?;
    promotion::stage_promotion(&ws, &lock, &promotion, &staged).map_err(refuse_stage)?;
    let list = write_batch_list(ws.dir(), &promotion);
    let signers = claimed_signers(&ws);
    // What the holders will read aloud at `sign`: the index they sign, not the shards.
    let index = staged.iter().find(|(r, _)| r == crate::pypi::roles::CLAIMED).map(|(r, md)| role_digest(r, md));
    if global.json {
        print_json(&promotion_json(&promotion, list.as_deref(), &signers, index.as_ref()));
    } else {
        print!("{}", promotion_text(&promotion, list.as_deref(), &signers));
        if let Some(d) = &index {
            print!("{}", digest_lines(d));
        }
        println!("`ceremony status` shows who must sign.");
    }
    Ok(())
}

/// The holders whose keys sign claimed and how many of them must.
fn claimed_signers(ws: &crate::workspace::Workspace) -> (Vec<String>, u64) {
    let Ok(index) = claimed_state::load_index(ws) else { return (Vec::new(), 0) };
    let holders = ws.holders().unwrap_or_default();
    let names = holders.iter().filter(|h| index.keys.keyids.iter().any(|id| id == h.key.keyid())).map(|h| h.name.clone()).collect();
    (names, index.keys.threshold)
}

/// The full batch, one line per project, for the record and for reviewers.
fn write_batch_list(ws_dir: &Path, p: &Promotion) -> Option<PathBuf> {
    let mut text = format!("# claimed promotion from recently-claimed version {}\n", p.source_version);
    for n in &p.new {
        text.push_str(&format!("new\t{n}\n"));
    }
    for n in &p.rotated {
        text.push_str(&format!("key-rotation\t{n}\n"));
    }
    for n in &p.unchanged {
        text.push_str(&format!("unchanged\t{n}\n"));
    }
    for (n, problems) in &p.skipped {
        text.push_str(&format!("skipped\t{n}\t{}\n", problems.join("; ")));
    }
    for (outer, inner) in &p.overlaps {
        text.push_str(&format!("overlap\t{outer}\t{inner}\n"));
    }
    for (role, version, _) in &p.files {
        text.push_str(&format!("file\t{role}\t{version}\n"));
    }
    let dir = ws_dir.join("review");
    crate::workspace::own_dir(&dir).ok()?;
    let path = dir.join(format!("claimed-batch-from-recently-claimed-v{}.txt", p.source_version));
    write_atomic(&path, text.as_bytes()).ok()?;
    Some(path)
}

fn first(names: &[String], n: usize) -> String {
    let shown = names.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > n {
        format!("{shown}, … ({} more)", names.len() - n)
    } else {
        shown
    }
}

fn promotion_text(p: &Promotion, list: Option<&Path>, signers: &(Vec<String>, u64)) -> String {
    let mut out = format!("Staged a claimed promotion from recently-claimed version {}:\n", p.source_version);
    out.push_str(&format!("  new projects:          {}\n", p.new.len()));
    if !p.new.is_empty() {
        out.push_str(&format!("    first: {}\n", first(&p.new, 10)));
    }
    out.push_str(&format!("  developer key changes: {} (projects already claimed whose keys change)\n", p.rotated.len()));
    if !p.rotated.is_empty() {
        out.push_str(&format!("    {}\n", first(&p.rotated, 20)));
    }
    out.push_str(&format!("  already claimed, same keys (left as they are): {}\n", p.unchanged.len()));
    if !p.skipped.is_empty() {
        out.push_str(&format!("  SKIPPED as invalid:    {}\n", p.skipped.len()));
        for (n, problems) in p.skipped.iter().take(20) {
            out.push_str(&format!("    {n}: {}\n", problems.join("; ")));
        }
    }
    if !p.overlaps.is_empty() {
        out.push_str(&format!(
            "  overlaps: {} pair(s) of claimed projects where the first's patterns also match the second's older file names (docs/claimed-layout.md):\n",
            p.overlaps.len()
        ));
        for (a, b) in p.overlaps.iter().take(10) {
            out.push_str(&format!("    {a} reaches older files of {b}\n"));
        }
    }
    let new_roles = p.files.iter().filter(|f| f.2).count();
    let shards = p.files.len().saturating_sub(1);
    out.push_str(&format!(
        "  files staged: {} (the claimed index and {shards} shard(s), each shard sealed by its own one-time key; {} of them new roles)",
        p.files.len(),
        new_roles
    ));
    if !p.split.is_empty() {
        out.push_str(&format!("; {} shard(s) outgrew the size limit and were split", p.split.len()));
    }
    out.push('\n');
    if !p.resealed.is_empty() {
        out.push_str(&format!(
            "  resealed: {} shard(s) an older Ceremony signed with the claimed holders' keys now have one-time keys too (docs/claimed-layout.md, migration)\n",
            p.resealed.len()
        ));
    }
    if let (false, Some((role, version, _))) = (signers.0.is_empty(), p.files.first()) {
        out.push_str(&format!(
            "  files to sign: 1 ({role} version {version}, which pins every shard's key); each of {} signs it, {} of them must\n",
            signers.0.join(", "),
            signers.1
        ));
    }
    if let Some(path) = list {
        out.push_str(&format!("  the full list is in {}\n", path.display()));
    }
    out
}

fn promotion_json(p: &Promotion, list: Option<&Path>, signers: &(Vec<String>, u64), index: Option<&RoleDigest>) -> serde_json::Value {
    serde_json::json!({
        "index_digest": index.map(|d| serde_json::json!({"covers": d.label, "sha256": d.sha256, "words": d.words})),
        "source_version": p.source_version,
        "new": p.new,
        "key_rotations": p.rotated,
        "unchanged": p.unchanged.len(),
        "skipped": p.skipped.iter().map(|(n, problems)| serde_json::json!({"project": n, "problems": problems})).collect::<Vec<_>>(),
        "overlaps": p.overlaps,
        "files": p.files.iter().map(|(r, v, new)| serde_json::json!({"role": r, "version": v, "new_role": new})).collect::<Vec<_>>(),
        "split": p.split,
        "resealed": p.resealed,
        "signers": signers.0,
        "threshold": signers.1,
        "list": list.map(|p| p.display().to_string()),
    })
}
