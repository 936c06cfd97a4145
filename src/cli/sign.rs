//! `ceremony sign`, `ceremony signature export|import`.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::args::Global;
use super::common::refuse_stage;
use super::common::{open, refuse};
use super::common::{print_json, review_lines, ListsWritten, Refusal};
use super::secrets::{ask_yes_no, check_secret_source, have_terminal, read_passphrase, SecretKind};
use crate::keys::holder::{Holder, KeySource};
use crate::keys::signer::Signer;
use crate::support::fsio::write_atomic;
use crate::support::secret::SecretBytes;
use crate::workspace::review::{review_staged, signs_as, FullList};
use crate::workspace::signing::{self, SignatureFile};
use crate::workspace::staging;

pub(super) struct SignArgs {
    pub holder: String,
    pub roles: Vec<String>,
    pub passphrase_file: Option<PathBuf>,
    pub pin_file: Option<PathBuf>,
}

/// Unlocks a record's private key: asks for the passphrase or PIN it needs. A passphrase
/// typed for one of a person's records is tried first for the others (`alice.claimed` is
/// derived from alice's passphrase), so the person types it once.
fn unlock(holder: &Holder, a: &SignArgs, typed: &mut Option<SecretBytes>) -> Result<Box<dyn Signer>, Refusal> {
    match &holder.source {
        KeySource::Passphrase { .. } => {
            if let Some(secret) = typed.as_ref() {
                match crate::keys::signer::passphrase::unlock(holder, secret) {
                    Ok(signer) => return Ok(Box::new(signer)),
                    Err(e) if a.passphrase_file.is_some() => return Err(Refusal::failed(e.to_string())),
                    Err(_) => {}
                }
            }
            let prompt = format!("Passphrase of {}", holder.name);
            let secret = read_passphrase(a.passphrase_file.as_deref(), &prompt, false)?;
            let signer = crate::keys::signer::passphrase::unlock(holder, &secret).map_err(|e| Refusal::failed(e.to_string()))?;
            *typed = Some(secret);
            Ok(Box::new(signer))
        }
        KeySource::PublicOnly => Err(unlock_public_only(holder)),
        other => super::tokens::unlock(holder, other, a.pin_file.as_deref()),
    }
}

fn confirm(global: &Global, count: usize, holder: &str) -> Result<(), Refusal> {
    if global.yes {
        return Ok(());
    }
    let question = format!("Sign {count} role(s) above with the key(s) of {holder}?");
    match ask_yes_no(&question) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refusal::failed("not confirmed; nothing was signed")),
        Err(e) => Err(Refusal::unusable(format!("cannot read the answer from the terminal: {e}; nothing was signed"))),
    }
}

/// Everything signing will ask for besides the confirmation, checked before the review is
/// shown: a refusal after people read the review and confirmed would waste their reading
/// (and, in a runbook, their ceremony step). A given secret file is read here once to
/// prove it usable; the secret itself is read again when the key is unlocked.
fn check_inputs(global: &Global, a: &SignArgs, records: &[&Holder]) -> Result<(), Refusal> {
    if !global.yes && !have_terminal() {
        return Err(Refusal::unusable(
            "signing needs a confirmation and there is no terminal to ask on; pass --yes to confirm in a script",
        ));
    }
    for holder in records {
        let (file, kind) = match &holder.source {
            KeySource::Passphrase { .. } => (a.passphrase_file.as_deref(), SecretKind::Passphrase),
            KeySource::PublicOnly => return Err(unlock_public_only(holder)),
            KeySource::Pkcs11 { module, .. } => {
                // The record is the workspace's word, which anyone may have rewritten: the
                // module must be one this machine allows, before anything is shown or loaded.
                let whose = crate::keys::pkcs11_module::holder_record(&holder.name);
                crate::keys::pkcs11_module::allowed(module, &whose).map_err(|e| Refusal::failed(e.to_string()))?;
                (a.pin_file.as_deref(), SecretKind::Pin)
            }
            KeySource::Yubikey { .. } => (a.pin_file.as_deref(), SecretKind::Pin),
        };
        check_secret_source(kind, file)?;
    }
    Ok(())
}

fn unlock_public_only(holder: &Holder) -> Refusal {
    Refusal::failed(format!(
        "only {}'s public key is registered here; {} signs on their own machine and brings the output of `ceremony signature export`",
        holder.name, holder.name
    ))
}

/// Writes the full lists a review named; a list the screen promised and that cannot be
/// written refuses, before anything is signed.
fn write_lists(lists: &[FullList]) -> Result<(), Refusal> {
    for list in lists {
        list.write().map_err(|e| Refusal::unusable(format!("{e}; nothing was signed")))?;
    }
    Ok(())
}

/// The review of the roles one record signs.
fn review_text(
    ws: &crate::workspace::Workspace,
    signer: Option<&Holder>,
    roles: &[signing::Signable],
    holders: &[Holder],
    now: OffsetDateTime,
    when: ListsWritten,
) -> Result<(String, Vec<FullList>), Refusal> {
    let mut out = String::new();
    let mut lists = Vec::new();
    // Shards are sealed when staged (no holder signs them); the index that pins their keys
    // is what a claimed holder signs.
    for s in roles {
        let r = review_staged(ws, &s.role, &s.metadata, holders, now).map_err(refuse_stage)?;
        out.push_str(&format!("\n== {} ==\n", s.role));
        out.push_str(&review_lines(&r.lines));
        if s.role == crate::pypi::roles::CLAIMED {
            let (text, list) = super::promotion_screen::claimed_index_text(ws, &s.metadata, when)?;
            out.push_str(&text);
            lists.extend(list);
        }
        if let Some(list) = FullList::delegations(ws, &s.role, s.metadata.version(), &r.full_list) {
            out.push_str(&match when {
                ListsWritten::Now => format!("  the full list of delegation changes is in {}\n", list.path.display()),
                ListsWritten::OnConfirm => format!(
                    "  the full list of delegation changes goes to {} when you confirm (`ceremony review` writes it without signing)\n",
                    list.path.display()
                ),
            });
            lists.push(list);
        }
        out.push_str(&format!("  {}\n", signer_line(&s.governing, signer)));
        out.push_str(&super::common::digest_lines(&crate::workspace::role_digest::role_digest(&s.role, &s.metadata)));
    }
    Ok((out, lists))
}

/// Which thresholds the signer's signature counts toward; without a signer (`ceremony
/// review`), every threshold the role's signatures count toward.
fn signer_line(governing: &[crate::workspace::staging::Governing], signer: Option<&Holder>) -> String {
    match signer {
        Some(h) => signs_as(governing, h.key.keyid()),
        None => {
            let labels: Vec<&str> = governing.iter().map(|g| g.label.as_str()).collect();
            format!("signed as one of the keys of: {}", labels.join("; "))
        }
    }
}

/// `ceremony review`: what `sign` shows, for every staged role people sign; nothing is
/// signed and no key is needed. Runbooks print it before asking the room to confirm it.
pub(super) fn review_command(global: &Global, only: &[String]) -> Result<(), Refusal> {
    let ws = open(global)?;
    let _lock = ws.lock().map_err(refuse)?;
    let now = OffsetDateTime::now_utc();
    let roles = signing::reviewable(&ws, only, now).map_err(refuse_stage)?;
    let holders = ws.holders().map_err(refuse)?;
    let (text, lists) = review_text(&ws, None, &roles, &holders, now, ListsWritten::Now)?;
    let policy = crate::workspace::policy::in_effect(&ws).map_err(refuse_stage)?;
    write_lists(&lists)?;
    if global.json {
        let staged: Vec<_> = roles.iter().map(|s| serde_json::json!({"role": s.role, "version": s.metadata.version()})).collect();
        print_json(&serde_json::json!({"staged": staged, "review": text, "policy": policy}));
        return Ok(());
    }
    if roles.is_empty() {
        println!("Nothing is staged.");
    } else {
        print!("{text}");
    }
    println!("{}", policy.line());
    Ok(())
}

/// The holder named and, for a person, their records for roles (`alice`, `alice.claimed`).
fn records(ws: &crate::workspace::Workspace, name: &str) -> Result<Vec<Holder>, Refusal> {
    let holders = ws.holders().map_err(refuse)?;
    let records: Vec<Holder> = crate::keys::holder::records_of(&holders, name).into_iter().cloned().collect();
    if records.is_empty() {
        return Ok(vec![ws.holder(name).map_err(refuse)?]);
    }
    Ok(records)
}

pub(super) fn sign(global: &Global, a: SignArgs) -> Result<(), Refusal> {
    let ws = open(global)?;
    let lock = ws.lock().map_err(refuse)?;
    let now = OffsetDateTime::now_utc();
    let plans = signing::signable_records(&ws, &records(&ws, &a.holder)?, &a.roles, now).map_err(refuse_stage)?;
    check_inputs(global, &a, &plans.iter().map(|(h, _)| h).collect::<Vec<_>>())?;
    let holders = ws.holders().map_err(refuse)?;
    let mut out = String::new();
    let mut lists = Vec::new();
    for (holder, roles) in &plans {
        if plans.len() > 1 {
            out.push_str(&format!("\n-- with {}'s key ({}) --\n", holder.name, holder.describe()));
        }
        let (text, more) = review_text(&ws, Some(holder), roles, &holders, now, ListsWritten::OnConfirm)?;
        out.push_str(&text);
        lists.extend(more);
        if let Some(notice) = super::tokens::touch_notice(holder, roles.len()) {
            out.push_str(&format!("\n{notice}\n"));
        }
    }
    // The review goes to stderr when stdout carries JSON.
    if global.json {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
    let names: Vec<&str> = plans.iter().map(|(h, _)| h.name.as_str()).collect();
    confirm(global, plans.iter().map(|(_, r)| r.len()).sum(), &names.join(", "))?;
    write_lists(&lists)?;
    // One record at a time, each token released before the next is opened (two records
    // may be two slots of one card). Each record's signatures are kept in one transaction.
    let mut typed = None;
    let mut signed: Vec<serde_json::Value> = Vec::new();
    let mut touched = std::collections::BTreeSet::new();
    for (holder, mut roles) in plans {
        let signer = unlock(&holder, &a, &mut typed)?;
        // Two records may sign one role (a root rotation: alice's old root key and her new
        // alice.root): keep what the earlier record just stored.
        for s in roles.iter_mut().filter(|s| touched.contains(&s.role)) {
            if let Some(now) = staging::staged(&ws, &s.role).map_err(refuse_stage)? {
                s.metadata.add_signatures(now.signatures().to_vec());
            }
        }
        touched.extend(roles.iter().map(|s| s.role.clone()));
        let mut bar = super::progress::Progress::start(&format!("Signing with {}'s key", holder.name), roles.len() as u64);
        let done = signing::sign_roles_reporting(&ws, &lock, &holder, signer.as_ref(), roles, &mut |n| bar.inc(n));
        bar.finish();
        let done = done.map_err(refuse_stage)?;
        if !global.json {
            report_signed(&holder, signer.as_ref(), &done);
        }
        signed.extend(done.into_iter().map(|(r, v)| serde_json::json!({"holder": holder.name, "role": r, "version": v})));
    }
    if global.json {
        print_json(&serde_json::json!({"holder": a.holder, "signed": signed}));
    }
    Ok(())
}

fn report_signed(holder: &Holder, signer: &dyn Signer, done: &[(String, u64)]) {
    for (role, version) in done {
        println!("Signed {role} version {version} with {}'s key ({}).", holder.name, signer.describe());
    }
}

pub(super) fn export(global: &Global, holder: &str, out: &Path) -> Result<(), Refusal> {
    let ws = open(global)?;
    let records = records(&ws, holder)?;
    let file = signing::export_signatures_of(&ws, holder, &records).map_err(refuse_stage)?;
    let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| Refusal::failed(e.to_string()))?;
    bytes.push(b'\n');
    write_atomic(out, &bytes).map_err(|e| Refusal::unusable(format!("cannot write {}: {e}", out.display())))?;
    if !global.json {
        let names: Vec<&str> = records.iter().map(|h| h.name.as_str()).collect();
        println!("Wrote {} signature(s) by {} to {}.", file.signatures.len(), names.join(", "), out.display());
    }
    Ok(())
}

pub(super) fn import(global: &Global, files: &[PathBuf]) -> Result<(), Refusal> {
    let ws = open(global)?;
    let mut parsed = Vec::new();
    for f in files {
        let bytes = crate::tuf::limits::read_limited(f, crate::support::fsio::MAX_SIGNATURE_FILE)
            .map_err(|e| Refusal::unusable(format!("cannot read {}: {e}", f.display())))?;
        let file: SignatureFile = signing::parse_signature_file(&bytes).map_err(|e| {
            Refusal::unusable(format!("{} is not a signatures file ({e}); it comes from `ceremony signature export`", f.display()))
        })?;
        parsed.push(file);
    }
    let lock = ws.lock().map_err(refuse)?;
    let added = signing::import_signatures(&ws, &lock, &parsed).map_err(refuse_stage)?;
    if global.json {
        print_json(&serde_json::json!({"imported": added}));
    } else {
        println!("Imported {added} new signature(s); each verified against the staged bytes.");
    }
    Ok(())
}
