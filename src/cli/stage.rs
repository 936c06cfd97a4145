//! `ceremony root init|import|rotate`, `ceremony renew`, `ceremony discard`.

use std::path::PathBuf;

use time::OffsetDateTime;

use super::args::{Global, RootInitArgs, RotateArgs};
use super::common::{digest_lines, print_json, read_metadata, refuse_stage, Refusal};
use super::common::{open, refuse};
use crate::keys::holder::Holder;
use crate::tuf::datetime::parse_duration;
use crate::tuf::key::Key;
use crate::tuf::metadata::Metadata;
use crate::workspace::propose::{self, RolePlan, RootPlan, Rotation};
use crate::workspace::role_digest::role_digest;
use crate::workspace::staging::{self, digest, StageError};
use crate::workspace::Workspace;

pub(super) fn holder_keys(ws: &Workspace, names: &[String]) -> Result<Vec<Key>, Refusal> {
    names.iter().map(|n| ws.holder(n.trim()).map(|h: Holder| h.key).map_err(refuse)).collect()
}

pub(super) fn expiry(text: &Option<String>) -> Result<OffsetDateTime, Refusal> {
    let now = OffsetDateTime::now_utc();
    match text {
        None => Ok(propose::default_expiry(now)),
        Some(t) => parse_duration(t).map(|d| now + d).map_err(Refusal::unusable),
    }
}

pub(super) fn staged_message(global: &Global, role: &str, md: &Metadata) {
    let d = role_digest(role, md);
    if global.json {
        print_json(&serde_json::json!({"role": role, "version": md.version(), "digest": d.sha256, "covers": d.label, "words": d.words}));
    } else {
        print!("Staged {role} version {}.\n{}`ceremony status` shows who must sign.\n", md.version(), digest_lines(&d));
    }
}

/// What the staged `md` changes against the trusted version, as `sign` will show it: the
/// person who stages a change sees what they are about to ask others to sign. The role is
/// staged by then, so a review that cannot be made is said, not turned into a refusal.
pub(super) fn staged_review(global: &Global, ws: &Workspace, role: &str, md: &Metadata) {
    let review = ws
        .holders()
        .map_err(StageError::from)
        .and_then(|holders| crate::workspace::review::review_staged(ws, role, md, &holders, OffsetDateTime::now_utc()));
    let r = match review {
        Ok(r) => r,
        Err(e) => {
            eprintln!("The review of the staged {role} could not be made here ({e}); `ceremony sign` shows it before anything is signed.");
            return;
        }
    };
    let text = format!("Review of the staged {role}:\n{}", super::common::review_lines(&r.lines));
    // Standard output carries JSON under --json; the review is for the person.
    if global.json {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
}

pub(super) fn root_init(global: &Global, a: RootInitArgs) -> Result<(), Refusal> {
    let ws = open(global)?;
    let plan = RootPlan {
        root: RolePlan { keys: holder_keys(&ws, &a.root)?, threshold: a.root_threshold },
        targets: RolePlan { keys: holder_keys(&ws, &a.targets)?, threshold: a.targets_threshold },
        snapshot: RolePlan { keys: holder_keys(&ws, &[a.snapshot])?, threshold: 1 },
        timestamp: RolePlan { keys: holder_keys(&ws, &[a.timestamp])?, threshold: 1 },
        expires: expiry(&a.expires)?,
    };
    let lock = ws.lock().map_err(refuse)?;
    let md = propose::root_init(&ws, &lock, &plan).map_err(refuse_stage)?;
    staged_message(global, "root", &md);
    Ok(())
}

pub(super) fn root_import(global: &Global, files: &[PathBuf]) -> Result<(), Refusal> {
    let ws = open(global)?;
    let roots = read_metadata(files)?;
    let lock = ws.lock().map_err(refuse)?;
    let newest = propose::root_import(&ws, &lock, &roots).map_err(refuse_stage)?;
    if global.json {
        print_json(&serde_json::json!({"trusted_root_version": newest}));
    } else {
        println!("The root history verifies; root version {newest} is now the workspace's trusted root.");
    }
    Ok(())
}

pub(super) fn root_rotate(global: &Global, a: RotateArgs) -> Result<(), Refusal> {
    let ws = open(global)?;
    let one = |name: &Option<String>| -> Result<Option<Key>, Refusal> {
        name.as_ref().map(|n| ws.holder(n).map(|h| h.key).map_err(refuse)).transpose()
    };
    let rotation = Rotation {
        add_root: holder_keys(&ws, &a.add_root)?,
        remove_root: holder_keys(&ws, &a.remove_root)?,
        root_threshold: a.root_threshold,
        targets: a.targets.as_ref().map(|t| holder_keys(&ws, t)).transpose()?,
        targets_threshold: a.targets_threshold,
        snapshot: one(&a.snapshot)?,
        timestamp: one(&a.timestamp)?,
        expires: expiry(&a.expires)?,
    };
    let lock = ws.lock().map_err(refuse)?;
    let md = propose::root_rotate(&ws, &lock, &rotation).map_err(refuse_stage)?;
    staged_message(global, "root", &md);
    staged_review(global, &ws, "root", &md);
    Ok(())
}

pub(super) fn renew(global: &Global, role: &str, expires: &Option<String>) -> Result<(), Refusal> {
    let ws = open(global)?;
    let at = expiry(expires)?;
    let lock = ws.lock().map_err(refuse)?;
    let md = propose::renew(&ws, &lock, role, at).map_err(refuse_stage)?;
    staged_message(global, role, &md);
    Ok(())
}

pub(super) fn discard(global: &Global, role: &str) -> Result<(), Refusal> {
    let ws = open(global)?;
    let lock = ws.lock().map_err(refuse)?;
    if role == crate::pypi::roles::CLAIMED || crate::pypi::claimed::shard_key_of(role).is_some() {
        let n = crate::workspace::promotion::discard_promotion(&ws, &lock).map_err(refuse_stage)?;
        if !global.json {
            println!("Discarded the staged promotion ({n} claimed files) and the signatures it had.");
        }
        return Ok(());
    }
    // Read as found: a file changed on disk is refused everywhere else, and this is the
    // way out of that.
    let md = staging::staged_as_found(&ws, role)
        .map_err(refuse_stage)?
        .ok_or_else(|| Refusal::failed(format!("nothing is staged for {role}")))?;
    let mut tx = ws.begin(&lock).map_err(refuse)?;
    staging::remove_staged(&mut tx, &[role.to_string()]).map_err(refuse_stage)?;
    tx.record(crate::workspace::transcript::Action {
        action: "discard".into(),
        role: Some(role.to_string()),
        version: Some(md.version()),
        digest: Some(hex::encode(digest(&md))),
        ..Default::default()
    })
    .map_err(refuse)?;
    tx.commit().map_err(refuse)?;
    if !global.json {
        println!("Discarded staged {role} version {} and the signatures it had.", md.version());
    }
    Ok(())
}
