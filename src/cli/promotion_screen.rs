//! What a claimed holder reads at `sign` about the staged claimed index: how it pins its
//! shards and what the shards change (`promotion_review`), with the full lists in a file.

use super::common::refuse_stage;
use super::common::ListsWritten;
use super::common::Refusal;
use crate::tuf::metadata::Metadata;
use crate::workspace::promotion_review::{promotion_review, KeyChange, PromotionReview};
use crate::workspace::review::FullList;
use crate::workspace::Workspace;

/// How many new projects the screen lists before pointing to the file.
const NEW_SHOWN: usize = 10;

/// The review text for the staged claimed index, and the file of full lists it names (the
/// caller writes it, `when` it says).
pub(super) fn claimed_index_text(ws: &Workspace, index: &Metadata, when: ListsWritten) -> Result<(String, Option<FullList>), Refusal> {
    let mut out = String::new();
    for line in crate::workspace::sealed::index_review_lines(index) {
        out.push_str(&format!("  {line}\n"));
    }
    let Some(r) = promotion_review(ws).map_err(refuse_stage)? else { return Ok((out, None)) };
    let file = FullList::promotion(ws, &r);
    out.push_str(&batch_line(&r));
    out.push_str(&format!("  new projects: {} (claimed for the first time)\n", r.new.len()));
    for name in r.new.iter().take(NEW_SHOWN) {
        out.push_str(&format!("    {name}\n"));
    }
    if r.new.len() > NEW_SHOWN {
        out.push_str(&format!("    … and {} more: every one is in the file named below\n", r.new.len() - NEW_SHOWN));
    }
    out.push_str(&key_changes(&r.key_changes));
    out.push_str(&overlaps(&r.overlaps));
    out.push_str(&removed(&r.removed));
    out.push_str(&format!("  unchanged: {} project(s) in the staged shards keep their keys\n", r.unchanged));
    if r.resealed > 0 {
        out.push_str(&format!(
            "  resealed: {} shard(s) an older Ceremony signed with the holders' keys now have one-time keys\n",
            r.resealed
        ));
    }
    if !r.split.is_empty() {
        out.push_str(&format!("  split: {} shard(s) outgrew the size limit and were replaced by smaller ones\n", r.split.len()));
    }
    out.push_str(&format!(
        "  every new project, key change, overlap and removal, computed just now from the shards: {}\n",
        file.path.display()
    ));
    if when == ListsWritten::OnConfirm {
        out.push_str("  (written there when you confirm; `ceremony review` writes it without signing)\n");
    }
    // Each warning stands apart by a blank line, one between two of them.
    Ok((out.replace("\n\n\n", "\n\n"), Some(file)))
}

fn batch_line(r: &PromotionReview) -> String {
    let what = match r.source_version {
        Some(v) => format!("a promotion from recently-claimed version {v}"),
        None => "a renewal or re-key (no promotion record)".to_string(),
    };
    let from = r.trusted_index_version.map_or("new".to_string(), |v| format!("version {v} ->"));
    format!(
        "  batch: {what}; claimed {from} {}; {} of its {} shard(s) staged, each checked against its seal and compared with the trusted shards it replaces\n",
        r.index_version, r.shards_staged, r.shards_pinned
    )
}

/// A keyid long enough that two different keys never look alike on screen.
fn short(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().map(|id| id.get(..16).unwrap_or(id)).collect();
    shown.join(", ")
}

fn key_changes(changes: &[KeyChange]) -> String {
    if changes.is_empty() {
        return "  developer key changes: none\n".to_string();
    }
    let mut out = format!(
        "\n  WARNING: {} DEVELOPER KEY CHANGE(S): from this version on only the new keys sign these projects' files; check each with its developer\n",
        changes.len()
    );
    for c in changes {
        out.push_str(&format!(
            "    {}: keys {} -> {}; threshold {} -> {}\n",
            c.project,
            short(&c.old_keyids),
            short(&c.new_keyids),
            c.old_threshold,
            c.new_threshold
        ));
    }
    out.push('\n');
    out
}

fn overlaps(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return "  new path overlaps: none\n".to_string();
    }
    let mut out = format!(
        "\n  WARNING: {} NEW PATH OVERLAP(S): the first project's patterns also match the second's older file names (docs/claimed-layout.md)\n",
        pairs.len()
    );
    for (a, b) in pairs {
        out.push_str(&format!("    {a} reaches older files of {b}\n"));
    }
    out.push('\n');
    out
}

fn removed(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n  WARNING: {} PROJECT(S) REMOVED from claimed: clients would look for their files in the online roles again, and no promotion removes a project\n",
        names.len()
    );
    for n in names {
        out.push_str(&format!("    {n}\n"));
    }
    out.push('\n');
    out
}
