//! Keys held in hardware tokens: registering them and unlocking them to sign.

use std::path::{Path, PathBuf};

use super::args::Global;
use super::common::open;
use super::common::Refusal;
use super::keys::register;
use super::secrets::read_pin;
use crate::keys::holder::TouchPolicyName;
use crate::keys::holder::{check_name, Holder, KeySource};
use crate::keys::pkcs11_module::{self, AllowedModule};
use crate::keys::signer::pkcs11::{Pkcs11Error, Pkcs11Signer};
use crate::keys::signer::yubikey::{management_key, parse_slot, YubikeyError, YubikeySigner};
use crate::keys::signer::Signer;
use crate::support::secret::read_secret_file;

fn refuse_pkcs11(e: Pkcs11Error) -> Refusal {
    match e {
        Pkcs11Error::Module { .. } => Refusal::unusable(e.to_string()),
        _ => Refusal::failed(e.to_string()),
    }
}

/// Opens a token through `module`, a module this machine allows (checked before the PIN is asked).
fn pkcs11_signer(module: &AllowedModule, token: &str, label: &str, pin_file: Option<&Path>) -> Result<Pkcs11Signer, Refusal> {
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
    // A module the machine does not allow is a wrong --module: bad usage, nothing loaded.
    let allowed = pkcs11_module::allowed(module, "--module").map_err(|e| Refusal::unusable(e.to_string()))?;
    let signer = pkcs11_signer(&allowed, token, label, pin_file)?;
    // A test signature, verified by `sign`, proves the private key belongs to this public key.
    signer.sign(b"ceremony: proof that this token key signs").map_err(|e| Refusal::failed(format!("{e}; nothing was registered")))?;
    register(
        global,
        &ws,
        name,
        signer.public_key().clone(),
        KeySource::Pkcs11 { module: module.into(), token: token.into(), key_label: label.into() },
    )?;
    Ok(())
}

fn refuse_yubikey(e: YubikeyError) -> Refusal {
    match e {
        YubikeyError::Pcsc(_) | YubikeyError::BadSlot(_) | YubikeyError::BadMgmtKey => Refusal::unusable(e.to_string()),
        _ => Refusal::failed(e.to_string()),
    }
}

fn yubikey_pin(serial: Option<u32>, pin_file: Option<&Path>) -> Result<crate::support::secret::SecretBytes, Refusal> {
    let device = serial.map_or_else(|| "the YubiKey".to_string(), |s| format!("YubiKey serial {s}"));
    read_pin(pin_file, &format!("PIV PIN of {device}"))
}

/// A prompt before each signature that counts them, so a holder told "3 touches" can follow.
fn counted_touch_prompt(policy: Option<TouchPolicyName>) -> impl Fn() + 'static {
    let done = std::cell::Cell::new(0usize);
    move || {
        let n = done.get() + 1;
        done.set(n);
        match policy {
            Some(TouchPolicyName::Never) => {}
            Some(TouchPolicyName::Cached) if n > 1 => eprintln!("signature {n}: touch the YubiKey if it blinks"),
            _ => eprintln!("signature {n}: touch the YubiKey now"),
        }
    }
}

/// What a YubiKey holder will be asked to do for `signatures` signatures, said before the
/// first one; None for keys that are not in a YubiKey.
pub(super) fn touch_notice(holder: &Holder, signatures: usize) -> Option<String> {
    let KeySource::Yubikey { serial, slot, touch_policy, .. } = &holder.source else { return None };
    let device = format!("YubiKey serial {serial}, slot {slot}");
    let touches = |n: usize| if n == 1 { "1 touch".to_string() } else { format!("{n} touches") };
    let signatures_of = if signatures == 1 { "1 signature".to_string() } else { format!("{signatures} signatures") };
    Some(match touch_policy {
        Some(TouchPolicyName::Always) => {
            format!("{device} (touch policy always): {} for {}'s {signatures_of}, one before each", touches(signatures), holder.name)
        }
        Some(TouchPolicyName::Cached) => format!(
            "{device} (touch policy cached): 1 touch for {}'s {signatures_of}; it covers 15 seconds, so touch again if the device blinks",
            holder.name
        ),
        Some(TouchPolicyName::Never) => format!("{device} (touch policy never): no touch is asked"),
        None => format!("{device}: up to {}, one before each signature if the slot asks for it", touches(signatures)),
    })
}

/// Options of `ceremony key new yubikey`.
pub(super) struct YubikeyArgs {
    pub slot: String,
    pub serial: Option<u32>,
    pub pin_file: Option<PathBuf>,
    pub generate: bool,
    /// Used with `generate` only.
    pub touch_policy: TouchPolicyName,
    pub mgmt_key_file: Option<PathBuf>,
    pub attestation_root: Option<PathBuf>,
}

/// The vendor certificates of `--attestation-root`, read before the device is touched.
fn attestation_roots(file: Option<&Path>) -> Result<Option<Vec<x509_cert::Certificate>>, Refusal> {
    let Some(file) = file else { return Ok(None) };
    let pem = std::fs::read(file).map_err(|e| Refusal::unusable(format!("cannot read {}: {e}", file.display())))?;
    let roots = crate::keys::attestation::parse_roots(&pem)
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
        Some(f) => {
            let hex_key = read_secret_file(f).map_err(|e| Refusal::unusable(e.to_string()))?;
            Some(management_key(&hex_key).map_err(refuse_yubikey)?)
        }
        None => None,
    };
    let pin = yubikey_pin(a.serial, a.pin_file.as_deref())?;
    // One count for the certificate --generate signs and the test signature after it.
    let touch = std::rc::Rc::new(counted_touch_prompt(a.generate.then_some(a.touch_policy)));
    let signer = if a.generate {
        let subject = format!("ceremony key of {name}");
        YubikeySigner::generate(a.serial, &slot, &pin, mgm_key, a.touch_policy, &subject, &*touch)
    } else {
        YubikeySigner::open(a.serial, &slot, &pin)
    }
    .map_err(refuse_yubikey)?
    .before_each_signature(move || touch());
    drop(pin);
    // A test signature, verified by `sign`, proves the private key belongs to this public key.
    signer.sign(b"ceremony: proof that this YubiKey key signs").map_err(|e| Refusal::failed(format!("{e}; nothing was registered")))?;
    let attestation = signer.attestation(roots.as_deref()).map_err(refuse_yubikey)?;
    match &attestation {
        None => eprintln!("this device offers no PIV attestation"),
        Some(a) => eprintln!("attestation ({}): {}", a.state.as_str(), a.verified),
    }
    match signer.touch_policy() {
        Some(t) => eprintln!("touch policy: {t}"),
        None => eprintln!("this device does not report the slot's touch policy"),
    }
    let source = KeySource::Yubikey { serial: signer.serial(), slot, attestation, touch_policy: signer.touch_policy() };
    register(global, &ws, name, signer.public_key().clone(), source)?;
    Ok(())
}

/// The signer for a token-held key, after asking for its PIN; refuses a token whose key is
/// not the registered one.
pub(super) fn unlock(holder: &Holder, source: &KeySource, pin_file: Option<&Path>) -> Result<Box<dyn Signer>, Refusal> {
    match source {
        KeySource::Pkcs11 { module, token, key_label } => {
            // The record comes from the workspace, which anyone may have rewritten: refused, exit 1.
            let allowed =
                pkcs11_module::allowed(module, &pkcs11_module::holder_record(&holder.name)).map_err(|e| Refusal::failed(e.to_string()))?;
            let signer = pkcs11_signer(&allowed, token, key_label, pin_file)?;
            if signer.public_key().keyid() != holder.key.keyid() {
                return Err(Refusal::failed(format!(
                    "the key {key_label:?} on token {token:?} is not {}'s registered key; nothing was signed",
                    holder.name
                )));
            }
            Ok(Box::new(signer))
        }
        KeySource::Yubikey { serial, slot, touch_policy, .. } => {
            let pin = yubikey_pin(Some(*serial), pin_file)?;
            let signer = YubikeySigner::open(Some(*serial), slot, &pin).map_err(refuse_yubikey)?;
            if signer.public_key().keyid() != holder.key.keyid() {
                return Err(Refusal::failed(format!(
                    "the key in slot {slot} of YubiKey serial {serial} is not {}'s registered key; nothing was signed",
                    holder.name
                )));
            }
            let policy = signer.touch_policy().or(*touch_policy);
            Ok(Box::new(signer.before_each_signature(counted_touch_prompt(policy))))
        }
        other => Err(Refusal::failed(format!("{} ({}) has no private key here", holder.name, other.describe(&holder.name)))),
    }
}
