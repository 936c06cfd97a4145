//! Keys held in hardware tokens: registering them and unlocking them to sign.

use std::path::{Path, PathBuf};


use super::keys::{open, register};
use super::secrets::read_pin;
use super::{Global, Refusal};
use crate::holder::{check_name, Holder, KeySource};
use crate::secret::read_secret_file;
use crate::signer::pkcs11::{Pkcs11Error, Pkcs11Signer};
use crate::signer::yubikey::{management_key, parse_slot, YubikeyError, YubikeySigner};
use crate::signer::Signer;

fn refuse_pkcs11(e: Pkcs11Error) -> Refusal {
    match e {
        Pkcs11Error::Module { .. } => Refusal::unusable(e.to_string()),
        _ => Refusal::failed(e.to_string()),
    }
}

fn pkcs11_signer(module: &str, token: &str, label: &str, pin_file: Option<&Path>) -> Result<Pkcs11Signer, Refusal> {
    let pin = read_pin(pin_file, &format!("User PIN of token {token:?}"))?;
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
    register(global, &ws, name, signer.public_key().clone(), KeySource::Pkcs11 { module: module.into(), token: token.into(), key_label: label.into() })?;
    Ok(())
}

fn refuse_yubikey(e: YubikeyError) -> Refusal {
    match e {
        YubikeyError::Pcsc(_) | YubikeyError::BadSlot(_) | YubikeyError::BadMgmtKey => Refusal::unusable(e.to_string()),
        _ => Refusal::failed(e.to_string()),
    }
}

fn yubikey_pin(serial: Option<u32>, pin_file: Option<&Path>) -> Result<crate::secret::SecretBytes, Refusal> {
    let device = serial.map_or_else(|| "the YubiKey".to_string(), |s| format!("YubiKey serial {s}"));
    read_pin(pin_file, &format!("PIV PIN of {device}"))
}

/// Asks for the touch a YubiKey with touch policy "always" waits for.
fn touch_prompt() {
    eprintln!("touch the YubiKey now");
}

/// Options of `ceremony key new yubikey`.
pub(super) struct YubikeyArgs {
    pub slot: String,
    pub serial: Option<u32>,
    pub pin_file: Option<PathBuf>,
    pub generate: bool,
    pub mgmt_key_file: Option<PathBuf>,
    pub attestation_root: Option<PathBuf>,
}

/// The vendor certificates of `--attestation-root`, read before the device is touched.
fn attestation_roots(file: Option<&Path>) -> Result<Option<Vec<x509_cert::Certificate>>, Refusal> {
    let Some(file) = file else { return Ok(None) };
    let pem = std::fs::read(file).map_err(|e| Refusal::unusable(format!("cannot read {}: {e}", file.display())))?;
    let roots = crate::attestation::parse_roots(&pem)
        .map_err(|e| Refusal::unusable(format!("{}: {e}; give the vendor's PEM certificate", file.display())))?;
    Ok(Some(roots))
}

/// `ceremony key new yubikey`: read (or generate) the slot's key, prove it signs, record any
/// PIV attestation, register the public key.
pub(super) fn new_yubikey(global: &Global, name: &str, a: YubikeyArgs) -> Result<(), Refusal> {
    let ws = open(global)?;
    check_name(name).map_err(|e| Refusal::unusable(e.to_string()))?;
    let (_, slot) = parse_slot(&a.slot).map_err(refuse_yubikey)?;
    // Refuse a taken name before --generate replaces the slot's key.
    if ws.holder(name).is_ok() {
        return Err(Refusal::failed(format!("holder {name:?} is already registered; choose another name")));
    }
    let roots = attestation_roots(a.attestation_root.as_deref())?;
    let mgm_key = match &a.mgmt_key_file {
        Some(f) => Some(read_secret_file(f).map_err(|e| Refusal::unusable(e.to_string()))?),
        None => None,
    };
    let mgm_key = management_key(mgm_key.as_ref()).map_err(refuse_yubikey)?;
    let pin = yubikey_pin(a.serial, a.pin_file.as_deref())?;
    let signer = if a.generate {
        YubikeySigner::generate(a.serial, &slot, &pin, mgm_key, &format!("ceremony key of {name}"), &touch_prompt)
    } else {
        YubikeySigner::open(a.serial, &slot, &pin)
    }
    .map_err(refuse_yubikey)?
    .before_each_signature(touch_prompt);
    drop(pin);
    // A test signature, verified by `sign`, proves the private key belongs to this public key.
    signer
        .sign(b"ceremony: proof that this YubiKey key signs")
        .map_err(|e| Refusal::failed(format!("{e}; nothing was registered")))?;
    let attestation = signer.attestation(roots.as_deref()).map_err(refuse_yubikey)?;
    match &attestation {
        None => eprintln!("this device offers no PIV attestation"),
        Some(a) => eprintln!("attestation ({}): {}", a.state.as_str(), a.verified),
    }
    register(global, &ws, name, signer.public_key().clone(), KeySource::Yubikey { serial: signer.serial(), slot, attestation })?;
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
        KeySource::Yubikey { serial, slot, .. } => {
            let pin = yubikey_pin(Some(*serial), pin_file)?;
            let signer = YubikeySigner::open(Some(*serial), slot, &pin).map_err(refuse_yubikey)?;
            if signer.public_key().keyid() != holder.key.keyid() {
                return Err(Refusal::failed(format!(
                    "the key in slot {slot} of YubiKey serial {serial} is not {}'s registered key; nothing was signed",
                    holder.name
                )));
            }
            Ok(Box::new(signer.before_each_signature(touch_prompt)))
        }
        other => Err(Refusal::failed(format!(
            "{} ({}) has no private key here",
            holder.name,
            other.describe(&holder.name)
        ))),
    }
}
