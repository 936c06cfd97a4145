//! Where each staged role stands: its governing thresholds, counted over the signatures
//! collected so far, and the policy rules it breaks. `status`, `bundle export` and the
//! report read it.

use time::OffsetDateTime;

use crate::keys::holder::Holder;
use crate::tuf::metadata::Metadata;
use crate::tuf::verify::{check_threshold, ThresholdReport};
use crate::workspace::staging::{check_intact, digest, governing_with, staged, staged_roles, Delegators, StageError};
use crate::workspace::Workspace;

/// One staged role's state.
#[derive(Debug, Clone)]
pub struct RoleStatus {
    pub role: String,
    pub version: u64,
    pub digest: [u8; 32],
    pub thresholds: Vec<(String, ThresholdReport)>,
    /// Policy rules the staged metadata breaks (see `policy`).
    pub problems: Vec<String>,
}

impl RoleStatus {
    /// Every governing threshold met and no rule broken.
    pub fn complete(&self) -> bool {
        !self.thresholds.is_empty() && self.thresholds.iter().all(|(_, r)| r.is_met()) && self.problems.is_empty()
    }
}

/// The state of every staged role (each checked on its own core where there are many).
pub fn status(ws: &Workspace, now: OffsetDateTime) -> Result<Vec<RoleStatus>, StageError> {
    Ok(status_with_metadata(ws, now)?.into_iter().map(|(s, _)| s).collect())
}

/// [`status`], with the staged metadata each status was read from.
pub fn status_with_metadata(ws: &Workspace, now: OffsetDateTime) -> Result<Vec<(RoleStatus, Metadata)>, StageError> {
    // Staged work is judged against what is trusted, so all of it is verified first, also
    // the files no staged role reads (a shard rewritten on the stick would otherwise wait
    // silently for the next promotion to launder it under a fresh seal).
    crate::workspace::staging::verify_trusted_state(ws)?;
    let holders = ws.holders()?;
    let roles = staged_roles(ws)?;
    let delegators = Delegators::load(ws)?;
    crate::support::par::map(&roles, |role| role_status(ws, role, &holders, &delegators, now)).into_iter().collect()
}

fn role_status(
    ws: &Workspace,
    role: &str,
    holders: &[Holder],
    delegators: &Delegators,
    now: OffsetDateTime,
) -> Result<(RoleStatus, Metadata), StageError> {
    let md = staged(ws, role)?.ok_or_else(|| StageError::NotStaged(role.to_string()))?;
    let mut problems = crate::workspace::policy::check(ws, role, &md, holders, now)?;
    let thresholds: Vec<(String, ThresholdReport)> = match governing_with(ws, role, &md, Some(delegators)) {
        Ok(g) => g.into_iter().map(|g| (g.label, check_threshold(&md.signed_bytes(), md.signatures(), &g.delegation))).collect(),
        Err(StageError::Missing(why)) => {
            problems.push(why);
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    check_intact(role, &md, &thresholds.iter().map(|(_, r)| r).collect::<Vec<_>>())?;
    let status = RoleStatus { role: role.to_string(), version: md.version(), digest: digest(&md), thresholds, problems };
    Ok((status, md))
}
