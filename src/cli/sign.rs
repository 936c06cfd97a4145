//! `ceremony sign`, `ceremony signature export|import`.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::keys::{open, refuse};
use super::secrets::{have_terminal, read_passphrase};
use super::stage::refuse_stage;
use super::{print_json, Global, Refusal};
use crate::fsio::write_atomic;
use crate::holder::{Holder, KeySource};
use crate::review::review;
use crate::signer::Signer;
use crate::signing::{self, SignatureFile};
use crate::staging;


pub(super) struct SignArgs {
    pub holder: String,
    pub roles: Vec<String>,
    pub passphrase_file: Option<PathBuf>,
    pub pin_file: Option<PathBuf>,
}

/// Unlocks the holder's private key: asks for the passphrase or PIN it needs.
fn unlock(holder: &Holder, a: &SignArgs) -> Result<Box<dyn Signer>, Refusal> {
    match &holder.source {
        KeySource::Passphrase { .. } => {
            let prompt = format!("Passphrase of {}", holder.name);
            let secret = read_passphrase(a.passphrase_file.as_deref(), &prompt, false)?;
            let signer = crate::signer::passphrase::unlock(holder, &secret).map_err(|e| Refusal::failed(e.to_string()))?;
            Ok(Box::new(signer))
        }
        KeySource::PublicOnly => Err(Refusal::failed(format!(
            "only {}'s public key is registered here; {} signs on their own machine and brings the output of `ceremony signature export`",
            holder.name, holder.name
        ))),
        other => super::tokens::unlock(holder, other, a.pin_file.as_deref()),
    }
}

fn confirm(global: &Global, count: usize, holder: &str) -> Result<(), Refusal> {
    if global.yes {
        return Ok(());
    }
    if !have_terminal() {
        return Err(Refusal::unusable("signing needs a confirmation and there is no terminal to ask on; pass --yes to confirm in a script"));
    }
    let question = format!("Sign {count} role(s) above with {holder}'s key?");
    let yes = dialoguer::Confirm::new().with_prompt(question).default(false).interact().unwrap_or(false);
    if yes {
        Ok(())
    } else {
        Err(Refusal::failed("not confirmed; nothing was signed"))
    }
}

/// Writes the full list of delegation changes to a file the summary names.
fn write_full_list(ws_dir: &Path, role: &str, version: u64, list: &[String]) -> Option<PathBuf> {
    if list.is_empty() {
        return None;
    }
    let dir = ws_dir.join("review");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("{role}-v{version}-delegations.txt"));
    write_atomic(&path, (list.join("\n") + "\n").as_bytes()).ok()?;
    Some(path)
}

pub(super) fn sign(global: &Global, a: SignArgs) -> Result<(), Refusal> {
    let ws = open(global)?;
    let lock = ws.lock().map_err(refuse)?;
    let holder = ws.holder(&a.holder).map_err(refuse)?;
    let now = OffsetDateTime::now_utc();
    let roles = signing::signable(&ws, &holder, &a.roles, now).map_err(refuse_stage)?;
    let holders = ws.holders().map_err(refuse)?;
    let mut out = String::new();
    // Shards are sealed when staged (no holder signs them); the index that pins their keys
    // is what a claimed holder signs.
    for s in &roles {
        let trusted = staging::trusted(&ws, &s.role).map_err(refuse_stage)?;
        let r = review(&s.role, &s.metadata, trusted.as_ref(), &holders, now);
        out.push_str(&format!("\n== {} ==\n", s.role));
        for line in &r.lines {
            out.push_str(&format!("  {line}\n"));
        }
        if s.role == crate::pep480::CLAIMED {
            for line in crate::sealed::index_review_lines(&ws, &s.metadata) {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if let Some(path) = write_full_list(ws.dir(), &s.role, s.metadata.version(), &r.full_list) {
            out.push_str(&format!("  the full list of delegation changes is in {}\n", path.display()));
        }
        let labels: Vec<&str> = s.governing.iter().map(|g| g.label.as_str()).collect();
        out.push_str(&format!("  signs as one of the keys of: {}\n", labels.join("; ")));
        out.push_str(&format!("  sha256 of the bytes to sign: {}\n", r.digest_hex));
        out.push_str(&format!("  read aloud and compare:      {}\n", r.words.join(" ")));
    }
    // The review goes to stderr when stdout carries JSON.
    if global.json {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
    confirm(global, roles.len(), &holder.name)?;
    let signer = unlock(&holder, &a)?;
    let mut bar = super::progress::Progress::start(&format!("Signing with {}'s key", holder.name), roles.len() as u64);
    let done = signing::sign_roles_reporting(&ws, &lock, &holder, signer.as_ref(), roles, &mut |n| bar.inc(n));
    bar.finish();
    let done = done.map_err(refuse_stage)?;
    if global.json {
        print_json(&serde_json::json!({"holder": holder.name, "signed": done.iter().map(|(r, v)| serde_json::json!({"role": r, "version": v})).collect::<Vec<_>>()}));
    } else {
        for (role, version) in &done {
            println!("Signed {role} version {version} with {}'s key ({}).", holder.name, signer.describe());
        }
    }
    Ok(())
}

pub(super) fn export(global: &Global, holder: &str, out: &Path) -> Result<(), Refusal> {
    let ws = open(global)?;
    let holder = ws.holder(holder).map_err(refuse)?;
    let file = signing::export_signatures(&ws, &holder).map_err(refuse_stage)?;
    let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| Refusal::failed(e.to_string()))?;
    bytes.push(b'\n');
    write_atomic(out, &bytes).map_err(|e| Refusal::unusable(format!("cannot write {}: {e}", out.display())))?;
    if !global.json {
        println!("Wrote {} signature(s) by {} to {}.", file.signatures.len(), holder.name, out.display());
    }
    Ok(())
}

pub(super) fn import(global: &Global, files: &[PathBuf]) -> Result<(), Refusal> {
    let ws = open(global)?;
    let mut parsed = Vec::new();
    for f in files {
        let bytes = crate::fsio::read_limited(f, crate::fsio::MAX_SIGNATURE_FILE)
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
