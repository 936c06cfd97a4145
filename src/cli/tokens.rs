//! Keys held in hardware tokens: registering them and unlocking them to sign.

use std::path::Path;

use time::OffsetDateTime;

use super::keys::{open, refuse};
use super::secrets::read_passphrase;
use super::{print_json, Global, Refusal};
use crate::datetime::format_expires;
use crate::holder::{check_name, Holder, KeySource};
use crate::signer::pkcs11::{Pkcs11Error, Pkcs11Signer};
use crate::signer::Signer;

fn refuse_pkcs11(e: Pkcs11Error) -> Refusal {
    match e {
        Pkcs11Error::Module { .. } => Refusal::unusable(e.to_string()),
        _ => Refusal::failed(e.to_string()),
    }
}

fn pkcs11_signer(module: &str, token: &str, label: &str, pin_file: Option<&Path>) -> Result<Pkcs11Signer, Refusal> {
    let pin = read_passphrase(pin_file, &format!("User PIN of token {token:?}"), false)?;
    Pkcs11Signer::open(module, token, label, &pin).map_err(refuse_pkcs11)
}

/// `ceremony key new pkcs11`: log in, prove the key pair signs, register the public key.
pub(super) fn new_pkcs11(
    global: &Global,
    name: &str,
    module: &str,
    token: &str,
    label: &str,
    pin_file: Option<&Path>,
) -> Result<(), Refusal> {
    let ws = open(global)?;
    check_name(name).map_err(|e| Refusal::unusable(e.to_string()))?;
    let signer = pkcs11_signer(module, token, label, pin_file)?;
    // A test signature, verified by `sign`, proves the private key belongs to this public key.
    signer
        .sign(b"ceremony: proof that this token key signs")
        .map_err(|e| Refusal::failed(format!("{e}; nothing was registered")))?;
    let holder = Holder {
        name: name.to_string(),
        key: signer.public_key().clone(),
        source: KeySource::Pkcs11 { module: module.into(), token: token.into(), key_label: label.into() },
        registered: format_expires(OffsetDateTime::now_utc()),
    };
    let lock = ws.lock().map_err(refuse)?;
    ws.add_holder(&lock, &holder).map_err(refuse)?;
    if global.json {
        print_json(&serde_json::json!({"holder": name, "keyid": holder.key.keyid(), "location": holder.describe()}));
    } else {
        println!("Registered {name} with key {} ({}).", holder.key.keyid(), holder.describe());
    }
    Ok(())
}

/// The signer for a token-held key, after asking for its PIN; refuses a token whose key is
/// not the registered one.
pub(super) fn unlock(holder: &Holder, source: &KeySource, pin_file: Option<&Path>) -> Result<Box<dyn Signer>, Refusal> {
    match source {
        KeySource::Pkcs11 { module, token, key_label } => {
            let signer = pkcs11_signer(module, token, key_label, pin_file)?;
            if signer.public_key().keyid() != holder.key.keyid() {
                return Err(Refusal::failed(format!(
                    "the key {key_label:?} on token {token:?} is not {}'s registered key; nothing was signed",
                    holder.name
                )));
            }
            Ok(Box::new(signer))
        }
        other => Err(Refusal::failed(format!(
            "{} ({}) cannot sign in this build: YubiKey signing is not available yet",
            holder.name,
            other.describe(&holder.name)
        ))),
    }
}
