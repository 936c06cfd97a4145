//! `ceremony init`, `ceremony key ...`.

use std::path::Path;

use time::OffsetDateTime;

use super::args::Global;
use super::common::{open, print_json, refuse, workspace_dir, Refusal};
use super::secrets::{choose_new_passphrase, derive_with_progress, have_terminal, no_terminal, read_passphrase, weak_refusal, Terminal};
use crate::keys::holder::{check_name, Holder, KeySource};
use crate::keys::signer::passphrase::{check_strength, PassphraseError, Profile};
use crate::keys::signer::Signer;
use crate::support::secret::read_secret_file;
use crate::tuf::datetime::format_expires;
use crate::tuf::key::{short_keyid, Key};
use crate::workspace::{Workspace, WorkspaceError};

pub(super) fn init(global: &Global) -> Result<(), Refusal> {
    let dir = workspace_dir(global);
    Workspace::init(&dir).map_err(refuse)?;
    if global.json {
        print_json(&serde_json::json!({"workspace": dir}));
    } else {
        println!("Created an empty ceremony workspace in {}.", dir.display());
    }
    Ok(())
}

/// The registered key for an imported key object: standard form, no custom fields.
fn standard_key(file: &Path) -> Result<(Key, Vec<String>), Refusal> {
    let bytes = crate::tuf::limits::read_limited(file, crate::support::fsio::MAX_KEY_FILE)
        .map_err(|e| Refusal::unusable(format!("cannot read {}: {e}", file.display())))?;
    let given = Key::from_json(&bytes).map_err(|e| {
        Refusal::unusable(format!(
            "{} is not a TUF key object ({e}); give {{\"keytype\", \"scheme\", \"keyval\": {{\"public\"}}}}",
            file.display()
        ))
    })?;
    let public = given.public_key().map_err(|e| Refusal::unusable(format!("{}: {e}", file.display())))?;
    let key = public.to_standard_key().map_err(|e| Refusal::unusable(format!("{}: {e}", file.display())))?;
    // Some tools write the keyid into the key file. The key registered here is the standard
    // form, so a keyid the file states must be that form's: anything else means the file
    // does not describe the key its sender thinks it does.
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        if let Some(stated) = fields.get("keyid") {
            if stated.as_str() != Some(key.keyid()) {
                return Err(Refusal::unusable(format!(
                    "{} states a keyid that is not its key's ({}); ask its sender for the key file again",
                    file.display(),
                    key.keyid()
                )));
            }
        }
    }
    let mut notes = Vec::new();
    if key.keyid() != given.keyid() {
        notes.push(format!(
            "the key was rewritten in the standard form without custom fields, so its keyid is {} (it was {})",
            short_keyid(key.keyid()),
            short_keyid(given.keyid())
        ));
    }
    Ok((key, notes))
}

pub(super) fn import(global: &Global, name: &str, file: &Path) -> Result<(), Refusal> {
    let ws = open(global)?;
    let (key, notes) = standard_key(file)?;
    register(global, &ws, name, key, KeySource::PublicOnly)?;
    if !global.json {
        for n in notes {
            println!("Note: {n}.");
        }
    }
    Ok(())
}

/// Registers a holder under the workspace lock and says so: one line, or with `--json`
/// the holder's descriptor.
pub(crate) fn register(global: &Global, ws: &Workspace, name: &str, key: Key, source: KeySource) -> Result<Holder, Refusal> {
    let holder = Holder { name: name.to_string(), key, source, registered: format_expires(OffsetDateTime::now_utc()) };
    let lock = ws.lock().map_err(refuse)?;
    ws.add_holder(&lock, &holder).map_err(refuse)?;
    if global.json {
        print_json(&holder_json(&holder));
    } else {
        println!("Registered {name} with key {} ({}).", holder.key.keyid(), holder.describe());
    }
    Ok(holder)
}

/// `ceremony key new passphrase`: choose (or read) a passphrase, derive the key, register
/// the holder with its public key and KDF parameters.
pub(super) fn new_passphrase(
    global: &Global,
    person: &str,
    for_role: Option<&str>,
    passphrase_file: Option<&Path>,
    profile: Profile,
) -> Result<(), Refusal> {
    let ws = open(global)?;
    let record = crate::keys::holder::record_name(person, for_role);
    let name = record.as_str();
    check_name(name).map_err(|e| Refusal::unusable(e.to_string()))?;
    // Refuse a taken name before asking anything; `add_holder` checks again under the lock.
    match ws.holder(name) {
        Ok(_) => return Err(refuse(WorkspaceError::HolderExists(name.to_string()))),
        Err(WorkspaceError::NoSuchHolder(_)) => {}
        Err(e) => return Err(refuse(e)),
    }
    if for_role.is_some() {
        match ws.holder(person) {
            Ok(p) if matches!(p.source, KeySource::Passphrase { .. }) => {
                return new_record_passphrase(global, &ws, &p, name, passphrase_file);
            }
            Ok(_) | Err(WorkspaceError::NoSuchHolder(_)) => {}
            Err(e) => return Err(refuse(e)),
        }
    }
    let passphrase = match passphrase_file {
        Some(file) => {
            let p = read_secret_file(file).map_err(|e| Refusal::unusable(e.to_string()))?;
            check_strength(&p, name).map_err(|w| weak_refusal(&w, true))?;
            p
        }
        None if have_terminal() => choose_new_passphrase(&mut Terminal, name)?,
        None => return Err(no_terminal("passphrase", "--passphrase-file")),
    };
    let params = profile.params();
    let signer = derive_with_progress(&passphrase, name, &params).map_err(|e| match e {
        PassphraseError::OutOfMemory { .. } => Refusal::unusable(e.to_string()),
        _ => Refusal::failed(e.to_string()),
    })?;
    drop(passphrase);
    let (key, source) = (signer.public_key().clone(), signer.key_source().clone());
    drop(signer);
    let holder = register(global, &ws, name, key, source)?;
    if holder.source.is_unsafe() {
        eprintln!(
            "WARNING: {name}'s key was derived with the UNSAFE `{}` KDF profile ({}): a passphrase behind it can be guessed \
             quickly by anyone who has the public key; use it for tests only, never for real metadata.",
            params.profile,
            params.describe()
        );
    }
    if !global.json {
        println!(
            "To sign with this key, {name} needs the passphrase and the holder name \"{name}\" exactly; \
             nothing else is needed, and nothing secret was stored."
        );
    }
    Ok(())
}

/// How often a person at the terminal may type their passphrase for `--for`.
const RECORD_TRIES: usize = 3;

/// `key new passphrase --holder H --for ROLE` where H has a passphrase key: H's passphrase
/// (checked against H's key, another try on a terminal) derives the key of the record.
fn new_record_passphrase(global: &Global, ws: &Workspace, person: &Holder, record: &str, file: Option<&Path>) -> Result<(), Refusal> {
    let tries = if file.is_some() { 1 } else { RECORD_TRIES };
    let prompt = format!("Passphrase of {} (the key for {record} is derived from it)", person.name);
    let mut signer = None;
    for attempt in 1..=tries {
        let passphrase = read_passphrase(file, &prompt, false)?;
        match crate::keys::signer::passphrase::derive_record(person, record, &passphrase) {
            Ok(s) => {
                signer = Some(s);
                break;
            }
            Err(PassphraseError::WrongPassphrase { .. }) if attempt < tries => {
                eprintln!("That passphrase does not give {}'s registered key; try again.", person.name);
            }
            Err(PassphraseError::WrongPassphrase { .. }) => {
                return Err(Refusal::failed(format!(
                    "the passphrase given does not give {}'s registered key, so {record} was not registered; give {}'s passphrase",
                    person.name, person.name
                )));
            }
            Err(e @ PassphraseError::OutOfMemory { .. }) => return Err(Refusal::unusable(e.to_string())),
            Err(e) => return Err(Refusal::failed(e.to_string())),
        }
    }
    let signer = signer.ok_or_else(|| Refusal::failed(format!("no passphrase was accepted, so {record} was not registered")))?;
    let (key, source) = (signer.public_key().clone(), signer.key_source().clone());
    drop(signer);
    register(global, ws, record, key, source)?;
    if !global.json {
        println!(
            "{record}'s key comes from {}'s passphrase and the holder name \"{record}\": to sign as {record}, `ceremony sign --holder {}` asks for that passphrase once.",
            person.name, person.name
        );
    }
    Ok(())
}

fn holder_json(h: &Holder) -> serde_json::Value {
    serde_json::json!({
        "holder": h.name,
        "keyid": h.key.keyid(),
        "keytype": h.key.keytype(),
        "scheme": h.key.scheme(),
        "location": h.describe(),
        "source": h.source,
        "unsafe": h.source.is_unsafe(),
        "attestation": h.source.attestation_state().map(|s| s.as_str()),
        "registered": h.registered,
    })
}

pub(super) fn list(global: &Global, names_only: bool) -> Result<(), Refusal> {
    let ws = open(global)?;
    let holders = ws.holders().map_err(refuse)?;
    if names_only {
        let mut names: Vec<&str> = holders.iter().map(|h| h.name.as_str()).collect();
        names.sort_unstable();
        for name in names {
            println!("{name}");
        }
        return Ok(());
    }
    if global.json {
        print_json(&serde_json::Value::Array(holders.iter().map(holder_json).collect()));
        return Ok(());
    }
    if holders.is_empty() {
        println!("No keyholders are registered yet; `ceremony key new ...` registers one.");
        return Ok(());
    }
    let width = holders.iter().map(|h| h.name.len()).max().unwrap_or(6).max(6);
    println!("{:<width$}  {:<8}  {:<12}  where the private key lives", "holder", "keyid", "key type");
    for h in &holders {
        let kind = h.key.public_key().map(|p| p.algorithm().label()).unwrap_or("unusable");
        let attested = h.source.attestation_state().map(|s| format!(" (attestation: {})", s.as_str())).unwrap_or_default();
        println!("{:<width$}  {:<8}  {:<12}  {}{attested}", h.name, short_keyid(h.key.keyid()), kind, h.describe());
    }
    Ok(())
}
