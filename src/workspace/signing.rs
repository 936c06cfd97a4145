//! Adding signatures to staged roles: from a signer in the room, or from a file a keyholder
//! made on another machine. Every signature is checked against the staged bytes and a
//! governing delegation before it is kept; nothing is kept when any check fails.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::keys::holder::Holder;
use crate::keys::signer::Signer;
use crate::tuf::key::short_keyid;
use crate::tuf::metadata::{Metadata, Signature};
use crate::tuf::verify::{check_threshold, KeyState};
use crate::workspace::staging::{self, digest, governing, refused, Governing, StageError};
use crate::workspace::transcript::Action;
use crate::workspace::{Workspace, WorkspaceLock};

/// Why signing or a signature was refused.
pub type SignRefusal = StageError;

/// A staged role a holder's key is needed for.
pub struct Signable {
    pub role: String,
    pub metadata: Metadata,
    pub governing: Vec<Governing>,
}

/// The staged roles (all, or those named) whose governing thresholds list `holder`'s key.
/// Refuses a role that breaks a policy rule: nothing counts as signable until it keeps them.
pub fn signable(ws: &Workspace, holder: &Holder, only: &[String], now: OffsetDateTime) -> Result<Vec<Signable>, SignRefusal> {
    let mut per_record = signable_records(ws, std::slice::from_ref(holder), only, now)?;
    Ok(per_record.pop().map(|(_, roles)| roles).unwrap_or_default())
}

/// [`signable`] for each of a person's records (`alice`, `alice.claimed`, ...): the records
/// some staged role needs, each with its roles. A named role must need one of the records.
pub fn signable_records(
    ws: &Workspace,
    records: &[Holder],
    only: &[String],
    now: OffsetDateTime,
) -> Result<Vec<(Holder, Vec<Signable>)>, SignRefusal> {
    // What is signed is reviewed against what is trusted: all of it is verified first.
    staging::verify_trusted_state(ws)?;
    let staged = staging::staged_roles(ws)?;
    for name in only {
        if !staged.contains(name) {
            return Err(refused(format!("nothing is staged for {name}; `ceremony status` shows what is")));
        }
    }
    let holders = ws.holders()?;
    let wanted: Vec<String> = staged.into_iter().filter(|r| only.is_empty() || only.contains(r)).collect();
    let delegators = staging::Delegators::load(ws)?;
    let mut out = Vec::new();
    for holder in records {
        let checked = crate::support::par::map(&wanted, |role| signable_role(ws, role, Some(holder), &holders, &delegators, now));
        let mut roles = Vec::new();
        for s in checked {
            roles.extend(s?);
        }
        if !roles.is_empty() {
            out.push((holder.clone(), roles));
        }
    }
    let who = match records {
        [one] => format!("{}'s key", one.name),
        more => format!("any of the keys of {}", more.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ")),
    };
    if let Some(role) = only.iter().find(|r| !out.iter().any(|(_, roles)| roles.iter().any(|s| &s.role == *r))) {
        return Err(refused(format!("{who} is not one of the keys that sign {role}")));
    }
    if out.is_empty() {
        return Err(refused(format!("no staged role needs {who}")));
    }
    Ok(out)
}

/// Every staged role a person signs (all, or those named), checked as `sign` checks them,
/// for a review before anyone signs. The claimed shards are left out unless named: each is
/// sealed by its own one-time key when staged, and the claimed index people sign pins them.
pub fn reviewable(ws: &Workspace, only: &[String], now: OffsetDateTime) -> Result<Vec<Signable>, SignRefusal> {
    staging::verify_trusted_state(ws)?;
    let staged = staging::staged_roles(ws)?;
    if let Some(name) = only.iter().find(|n| !staged.contains(n)) {
        return Err(refused(format!("nothing is staged for {name}; `ceremony status` shows what is")));
    }
    let holders = ws.holders()?;
    let wanted: Vec<String> = staged
        .into_iter()
        .filter(|r| if only.is_empty() { crate::pypi::claimed::shard_key_of(r).is_none() } else { only.contains(r) })
        .collect();
    let delegators = staging::Delegators::load(ws)?;
    let checked = crate::support::par::map(&wanted, |role| signable_role(ws, role, None, &holders, &delegators, now));
    let mut roles = Vec::new();
    for s in checked {
        roles.extend(s?);
    }
    Ok(roles)
}

/// The staged `role` checked for signing, when `holder`'s key is one that signs it (any
/// role, with no holder).
fn signable_role(
    ws: &Workspace,
    role: &str,
    holder: Option<&Holder>,
    holders: &[Holder],
    delegators: &staging::Delegators,
    now: OffsetDateTime,
) -> Result<Option<Signable>, SignRefusal> {
    let md = staging::staged(ws, role)?.ok_or_else(|| StageError::NotStaged(role.to_string()))?;
    let gov = staging::governing_with(ws, role, &md, Some(delegators))?;
    staging::check_intact_under(role, &md, &gov)?;
    let needed = holder.is_none_or(|h| gov.iter().any(|g| g.delegation.keys.iter().any(|(id, _)| id == h.key.keyid())));
    if !needed {
        return Ok(None);
    }
    let problems = crate::workspace::policy::check(ws, role, &md, holders, now)?;
    if let Some(p) = problems.first() {
        return Err(refused(format!("{role} cannot be signed: {p}")));
    }
    Ok(Some(Signable { role: role.to_string(), metadata: md, governing: gov }))
}

/// True when `sig` counts in at least one of the governing thresholds.
fn counts(md: &Metadata, sig: &Signature, gov: &[Governing]) -> bool {
    let signed = md.signed_bytes();
    gov.iter().any(|g| {
        let report = check_threshold(&signed, std::slice::from_ref(sig), &g.delegation);
        report.keys.iter().any(|(id, s)| id == &sig.keyid && *s == KeyState::Signed)
    })
}

/// True when a governing delegation lists `key` under its keyid.
fn listed(key: &crate::tuf::key::Key, gov: &[Governing]) -> bool {
    gov.iter().any(|g| {
        g.delegation
            .keys
            .iter()
            .any(|(id, k)| id == key.keyid() && k.as_ref().is_some_and(|k| k.canonical_bytes() == key.canonical_bytes()))
    })
}

/// Signs each role with `signer` and keeps the signatures, in one transaction.
pub fn sign_roles(
    ws: &Workspace,
    lock: &WorkspaceLock,
    holder: &Holder,
    signer: &dyn Signer,
    roles: Vec<Signable>,
) -> Result<Vec<(String, u64)>, SignRefusal> {
    sign_roles_reporting(ws, lock, holder, signer, roles, &mut |_| {})
}

/// [`sign_roles`], calling `progress` with how many more roles are signed as it goes (a
/// promotion signs hundreds of shards; a holder at a token wants to see it move).
pub fn sign_roles_reporting(
    ws: &Workspace,
    lock: &WorkspaceLock,
    holder: &Holder,
    signer: &dyn Signer,
    roles: Vec<Signable>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<(String, u64)>, SignRefusal> {
    if signer.public_key().keyid() != holder.key.keyid() {
        return Err(refused(format!("this signer's key is not {}'s registered key; nothing was signed", holder.name)));
    }
    // Sign first, then write in one transaction. A key in memory signs everything on every
    // core at once (a fraction of a second); a token signs one file at a time, and the
    // holder sees it move.
    let signatures: Vec<_> = match signer.concurrent() {
        Some(shared) => {
            let all = crate::support::par::map(&roles, |s| signer_sign(shared, s));
            progress(roles.len() as u64);
            all
        }
        None => roles
            .iter()
            .map(|s| {
                let sig = signer_sign(signer, s);
                progress(1);
                sig
            })
            .collect(),
    };
    // The transcript names the bytes signed by their digest: 35 MB for a promotion.
    let digests = crate::support::par::map(&roles, |s| hex::encode(digest(&s.metadata)));
    let mut tx = ws.begin(lock)?;
    let mut done = Vec::new();
    let mut signed = Vec::with_capacity(roles.len());
    for ((mut s, sig), digest) in roles.into_iter().zip(signatures).zip(digests) {
        let sig = sig?;
        // `sign` verified the signature against the signer's key, which is the holder's
        // (checked above); what is left is that the key is one the role's delegations list.
        if !listed(&holder.key, &s.governing) {
            return Err(refused(format!("the signature over {} does not count for any of its thresholds; nothing was signed", s.role)));
        }
        s.metadata.set_signature(sig);
        tx.record(Action {
            action: "sign".into(),
            holder: Some(holder.name.clone()),
            role: Some(s.role.clone()),
            version: Some(s.metadata.version()),
            digest: Some(digest),
            keyid: Some(holder.key.keyid().to_string()),
            device: Some(signer.describe()),
            ..Action::default()
        })?;
        done.push((s.role.clone(), s.metadata.version()));
        signed.push(s);
    }
    staging::write_staged_signatures(&mut tx, signed.iter().map(|s| (s.role.as_str(), &s.metadata)))?;
    tx.commit()?;
    Ok(done)
}

fn signer_sign(signer: &dyn Signer, s: &Signable) -> Result<Signature, SignRefusal> {
    signer.sign(&s.metadata.signed_bytes()).map_err(|e| refused(format!("{e}; nothing was signed")))
}

/// A signatures file: only signatures and what identifies the bytes they are over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub format: String,
    pub holder: String,
    pub signatures: Vec<SignatureEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEntry {
    pub role: String,
    pub version: u64,
    /// SHA-256 of the staged bytes, hex.
    pub digest: String,
    pub keyid: String,
    pub sig: String,
}

pub const SIGNATURE_FORMAT: &str = "ceremony-signatures-v1";

fn is_lower_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads a signatures file as `signature import` does, as strictly as metadata: canonical
/// JSON (no duplicate keys, floats, deep nesting, invalid UTF-8), no unknown fields, the
/// Ceremony format, a usable holder name, and in each entry a sane role name, a version of
/// at least 1, a 64-hex-digit digest and keyid and a lower-case hex signature. The message
/// of an error is one clause (the caller names the file).
pub fn parse_signature_file(bytes: &[u8]) -> Result<SignatureFile, String> {
    crate::tuf::canonical::canonicalize(bytes).map_err(|e| e.to_string())?;
    let file: SignatureFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if file.format != SIGNATURE_FORMAT {
        return Err(format!("its format is not {SIGNATURE_FORMAT:?}"));
    }
    crate::keys::holder::check_name(&file.holder).map_err(|e| format!("it names no usable holder: {e}"))?;
    for e in &file.signatures {
        if !crate::tuf::metadata::is_sane_role_name(&e.role) {
            return Err("an entry's role is not a role name".into());
        }
        if e.version == 0 {
            return Err(format!("the entry for {} has version 0", e.role));
        }
        if e.digest.len() != 64 || !is_lower_hex(&e.digest) || e.keyid.len() != 64 || !is_lower_hex(&e.keyid) {
            return Err(format!("the entry for {} has a digest or keyid that is not 64 lower-case hex digits", e.role));
        }
        if !is_lower_hex(&e.sig) {
            return Err(format!("the entry for {} has a signature that is not lower-case hex", e.role));
        }
    }
    Ok(file)
}

/// `holder`'s signatures over the staged roles.
pub fn export_signatures(ws: &Workspace, holder: &Holder) -> Result<SignatureFile, SignRefusal> {
    export_signatures_of(ws, &holder.name, std::slice::from_ref(holder))
}

/// The signatures of a person's `records` (`alice`, `alice.claimed`) over the staged roles,
/// in one file named for `person`.
pub fn export_signatures_of(ws: &Workspace, person: &str, records: &[Holder]) -> Result<SignatureFile, SignRefusal> {
    let mut signatures = Vec::new();
    for role in staging::staged_roles(ws)? {
        let md = staging::staged(ws, &role)?.ok_or_else(|| StageError::NotStaged(role.clone()))?;
        let ours = |s: &&Signature| !s.sig.is_empty() && records.iter().any(|h| s.keyid == h.key.keyid());
        for s in md.signatures().iter().filter(ours) {
            signatures.push(SignatureEntry {
                role: role.clone(),
                version: md.version(),
                digest: hex::encode(digest(&md)),
                keyid: s.keyid.clone(),
                sig: s.sig.clone(),
            });
        }
    }
    if signatures.is_empty() {
        return Err(refused(format!("{person} has not signed any staged role here; sign first")));
    }
    Ok(SignatureFile { format: SIGNATURE_FORMAT.into(), holder: person.to_string(), signatures })
}

/// Checks every entry of every file and keeps them all, or keeps nothing. Returns how
/// many signatures were new.
pub fn import_signatures(ws: &Workspace, lock: &WorkspaceLock, files: &[SignatureFile]) -> Result<usize, SignRefusal> {
    let mut staged: Vec<(String, Metadata, Vec<Governing>, bool)> = Vec::new();
    for role in staging::staged_roles(ws)? {
        let md = staging::staged(ws, &role)?.ok_or_else(|| StageError::NotStaged(role.clone()))?;
        let gov = governing(ws, &role, &md)?;
        staging::check_intact_under(&role, &md, &gov)?;
        staged.push((role, md, gov, false));
    }
    let mut added = Vec::new();
    for file in files {
        if file.format != SIGNATURE_FORMAT {
            return Err(refused(format!("a file is not a Ceremony signatures file (format {:?}); nothing was imported", file.format)));
        }
        // The holder name goes into messages and the transcript: it must be a holder name.
        crate::keys::holder::check_name(&file.holder)
            .map_err(|e| refused(format!("a signatures file names no usable holder: {e}; nothing was imported")))?;
        for e in &file.signatures {
            let Some((_, md, gov, changed)) = staged.iter_mut().find(|(r, ..)| *r == e.role) else {
                return Err(refused(format!(
                    "{}'s signature is for {}, which is not staged here; nothing was imported",
                    file.holder, e.role
                )));
            };
            let here = hex::encode(digest(md));
            if e.digest != here || e.version != md.version() {
                return Err(refused(format!(
                    "{}'s signature over {} version {} is over other bytes (digest {}) than the staged {} version {} (digest {}); the two workspaces differ, nothing was imported",
                    file.holder, e.role, e.version, short_keyid(&e.digest), e.role, md.version(), short_keyid(&here)
                )));
            }
            let sig = Signature { keyid: e.keyid.clone(), sig: e.sig.clone() };
            if md.signatures().contains(&sig) {
                continue;
            }
            if !counts(md, &sig, gov) {
                return Err(refused(format!(
                    "{}'s signature by key {} over {} does not verify against a key that signs {}; nothing was imported",
                    file.holder,
                    short_keyid(&e.keyid),
                    e.role,
                    e.role
                )));
            }
            md.set_signature(sig);
            *changed = true;
            added.push((file.holder.clone(), e.clone()));
        }
    }
    if added.is_empty() {
        return Ok(0);
    }
    let mut tx = ws.begin(lock)?;
    let changed = staged.iter().filter(|(.., changed)| *changed).map(|(role, md, ..)| (role.as_str(), md));
    staging::write_staged_signatures(&mut tx, changed)?;
    for (holder, e) in &added {
        tx.record(Action {
            action: "signature-import".into(),
            holder: Some(holder.clone()),
            role: Some(e.role.clone()),
            version: Some(e.version),
            digest: Some(e.digest.clone()),
            keyid: Some(e.keyid.clone()),
            ..Action::default()
        })?;
    }
    tx.commit()?;
    Ok(added.len())
}
