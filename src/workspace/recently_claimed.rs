//! The online `recently-claimed` role a promotion is fed from (PEP 480), verified under the
//! trusted top-level targets before any of its delegations is read: type, signatures at
//! threshold, expiry, and no rollback behind the last promotion's source.

use std::ops::Range;

use time::OffsetDateTime;

use crate::pypi::roles::RECENTLY_CLAIMED;
use crate::tuf::datetime::format_expires;
use crate::tuf::metadata::Delegation;
use crate::tuf::metadata::Metadata;
use crate::tuf::verify::{check_threshold, ThresholdReport};
use crate::workspace::staging::{self, refused, StageError};
use crate::workspace::Workspace;

/// The last `recently-claimed` a promotion used: its version and the SHA-256 of its
/// signed bytes, as the promotion's `stage` record wrote them down.
pub use crate::workspace::transcript::SourceDigest as SourceRecord;

/// Where versions before the transcript kept these records, on the stick where anyone could
/// rewrite them; `promotion.json` is still read for a workspace whose transcript has none.
pub const PROMOTION_RECORD: &str = "promotion.json";
pub const STAGED_PROMOTION_RECORD: &str = "staged/promotion.record";

/// The source of the last exported promotion: from the transcript, or for a workspace
/// whose promotions were all staged before the transcript kept it, from `promotion.json`.
pub fn last_source(ws: &Workspace) -> Result<Option<SourceRecord>, StageError> {
    if let Some(source) = &ws.ledger()?.trusted_source {
        return Ok(Some(source.clone()));
    }
    match ws.read(PROMOTION_RECORD)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StageError::Missing(format!("{PROMOTION_RECORD} is not valid ({e}); the workspace was altered outside ceremony"))),
    }
}

/// A `recently-claimed` file verified under the trusted top-level targets: type,
/// signatures at threshold, expiry, and no rollback behind the last promotion's source.
/// Only [`read_recently_claimed`] and [`verify_recently_claimed`] make one, so a promotion
/// cannot read a delegation of a file that was not verified.
#[derive(Debug)]
pub struct VerifiedSource {
    md: Metadata,
    record: SourceRecord,
}

impl VerifiedSource {
    pub fn metadata(&self) -> &Metadata {
        &self.md
    }

    /// Its version and digest, which the next promotion must not roll back behind.
    pub fn record(&self) -> &SourceRecord {
        &self.record
    }
}

/// Why a `recently-claimed` file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// It cannot be read as TUF metadata at all.
    #[error(transparent)]
    Unreadable(#[from] crate::tuf::metadata::ReadError),
    /// It was read and a rule refused it.
    #[error(transparent)]
    Refused(#[from] StageError),
}

/// What verifying a file needs of its signed bytes: the threshold report and the SHA-256
/// digest the rollback check compares.
struct SignedCheck {
    report: ThresholdReport,
    digest: [u8; 32],
}

fn check_signed(signed: &[u8], signatures: &[crate::tuf::metadata::Signature], delegation: &Delegation) -> SignedCheck {
    // Both read all 40 MB, and neither needs the other.
    let (report, digest) = rayon::join(|| check_threshold(signed, signatures, delegation), || staging::digest_signed(signed));
    SignedCheck { report, digest }
}

/// Reads and verifies the `recently-claimed` file at `path`. Its signatures are checked
/// while the file's form is: see [`file_form_guess`].
pub fn read_recently_claimed(ws: &Workspace, path: &std::path::Path, now: OffsetDateTime) -> Result<VerifiedSource, SourceError> {
    let (targets_version, delegation) = recently_claimed_delegation(ws)?;
    let (md, early) = Metadata::from_file_alongside(path, |raw| {
        file_form_guess(raw).map(|(span, sigs)| (check_signed(&raw[span.clone()], &sigs, &delegation), span, sigs))
    })?;
    // The early check counts only when it was over exactly the bytes the file signs.
    let early = early.flatten().filter(|(_, span, sigs)| md.signed_span().as_ref() == Some(span) && md.signatures() == sigs.as_slice());
    let check = match early {
        Some((check, _, _)) => check,
        None => check_signed(&md.signed_bytes(), md.signatures(), &delegation),
    };
    Ok(accept(ws, md, check, targets_version, now)?)
}

/// Verifies `md` as `recently-claimed`, as [`read_recently_claimed`] does a file.
pub fn verify_recently_claimed(ws: &Workspace, md: Metadata, now: OffsetDateTime) -> Result<VerifiedSource, StageError> {
    let (targets_version, delegation) = recently_claimed_delegation(ws)?;
    let check = check_signed(&md.signed_bytes(), md.signatures(), &delegation);
    accept(ws, md, check, targets_version, now)
}

/// Where a file in file form (`{"signatures":[…],"signed":{…}}`) holds `signed`, and its
/// signatures, found without reading the rest; `None` when the file does not start so.
/// Only a guess until the whole file is checked: the caller compares it with what the
/// checked reading found. In checked text `,"signed":` cannot lie inside a string (a
/// string's quotes are escaped), so its first appearance is the member's.
fn file_form_guess(raw: &[u8]) -> Option<(Range<usize>, Vec<crate::tuf::metadata::Signature>)> {
    const HEAD: &[u8] = b"{\"signatures\":";
    const SIGNED: &[u8] = b",\"signed\":";
    let list_end = HEAD.len() + memchr::memmem::find(raw.get(HEAD.len()..)?, SIGNED)?;
    let sigs = serde_json::from_slice(raw.get(HEAD.len()..list_end)?).ok()?;
    (raw.last() == Some(&b'}')).then(|| (list_end + SIGNED.len()..raw.len() - 1, sigs))
}

/// The delegation to `recently-claimed` in the trusted top-level targets, and that
/// targets' version. Never a staged targets: nobody has checked its delegation yet, and
/// whoever can write the workspace could name any key there.
fn recently_claimed_delegation(ws: &Workspace) -> Result<(u64, Delegation), StageError> {
    let Some(targets) = staging::trusted(ws, "targets")? else {
        return Err(match staging::staged(ws, "targets")? {
            Some(md) => refused(format!(
                "targets version {} is staged but not yet trusted, and recently-claimed is only checked against a trusted targets; export the staged targets first (`ceremony bundle export`)",
                md.version()
            )),
            None => refused("the workspace has no top-level targets; run `ceremony targets init` first"),
        });
    };
    let view = targets.targets().map_err(|e| refused(format!("targets cannot be read: {e}")))?;
    let delegation = view
        .delegation(RECENTLY_CLAIMED)
        .ok_or_else(|| refused(format!("targets version {} does not delegate to recently-claimed", targets.version())))?;
    Ok((targets.version(), delegation))
}

/// The rules on a `recently-claimed` whose signed bytes were checked: it is targets
/// metadata, signed at threshold, not expired, and no rollback.
fn accept(
    ws: &Workspace,
    md: Metadata,
    check: SignedCheck,
    targets_version: u64,
    now: OffsetDateTime,
) -> Result<VerifiedSource, StageError> {
    if md.role_type() != crate::tuf::metadata::RoleType::Targets {
        return Err(refused(format!("the file is {} metadata, not recently-claimed's targets metadata", md.role_type())));
    }
    if !check.report.is_met() {
        let why = check.report.failure().unwrap_or_else(|| "its signatures do not meet the threshold".into());
        return Err(refused(format!(
            "recently-claimed is not signed by the key targets version {targets_version} delegates it to ({why}); get the file from the online repository again"
        )));
    }
    if md.expires().is_expired(now) {
        return Err(refused(format!(
            "recently-claimed version {} expired at {}; get a current one from the online repository",
            md.version(),
            format_expires(md.expires().at)
        )));
    }
    let record = SourceRecord { version: md.version(), sha256: hex::encode(check.digest) };
    if let Some(last) = last_source(ws)? {
        if record.version < last.version || (record.version == last.version && record.sha256 != last.sha256) {
            return Err(refused(format!(
                "recently-claimed version {} is a rollback: the last promotion used version {}; get the current file from the online repository",
                record.version, last.version
            )));
        }
    }
    Ok(VerifiedSource { md, record })
}
