//! ECDSA P-256 keys in a YubiKey's PIV application (slots 9a, 9c, 9d, 9e), through PC/SC.
//!
//! The device signs a digest the caller computed and returns a DER ECDSA signature, which is
//! what TUF wants; the digest (SHA-256) is made here.
//!
//! Finding a slot's public key: YubiKey firmware 5.3+ answers GET METADATA with it; older
//! firmware (and other PIV cards) do not, so the slot's certificate is read instead and its
//! SubjectPublicKeyInfo taken. `generate` therefore stores a self-signed certificate for the
//! key it makes, so that later reads find the key on any device.
//!
//! Keys made by `generate` have PIN policy "once" (the PIN is asked once per session) and the
//! touch policy the caller chooses: "always" (every signature needs a person to touch the
//! device, so a compromised ceremony machine cannot sign in the background) or "cached" (a
//! touch covers the signatures of the next 15 seconds, for holders who sign many roles in one
//! go). The policy the device reports afterwards (GET METADATA) must be the one asked for.
//!
//! Generating needs the PIV management key: the one from `--mgmt-key-file`, else the
//! PIN-protected one the device stores (ykman's `--protect`), else the PIV default, which a
//! YubiKey prepared for a ceremony should no longer have. See docs/yubikey-keys.md.

use std::cell::RefCell;
use std::time::Duration;

use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use x509_cert::der::{Encode, EncodePem};
use yubikey::certificate::Certificate;
use yubikey::piv::{self, AlgorithmId, SlotId};
use yubikey::reader::Context;
use yubikey::{Error as YkError, MgmKey, PinPolicy, Serial, TouchPolicy, YubiKey};

use super::source::{SignError, Signer};
use crate::keys::holder::{Attestation, TouchPolicyName};
use crate::support::secret::SecretBytes;
use crate::tuf::key::{Key, PublicKey};

/// Why a YubiKey could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YubikeyError {
    #[error("cannot reach the PC/SC service ({0}); is pcscd running?")]
    Pcsc(String),
    #[error("no YubiKey is connected; insert it and try again")]
    NoDevice,
    #[error("insert the YubiKey with serial {0}")]
    Missing(u32),
    #[error("insert the YubiKey with serial {serial} (found: {found})")]
    WrongDevice { serial: u32, found: String },
    #[error("several YubiKeys are connected (serials {0}); pass --serial")]
    Several(String),
    #[error("{0:?} is not a PIV signing slot; use 9a, 9c, 9d or 9e")]
    BadSlot(String),
    #[error("the PIN of YubiKey serial {serial} is wrong; {} left before it locks; nothing was signed or stored", tries_left(*.tries))]
    WrongPin { serial: u32, tries: u8 },
    #[error("the PIN of YubiKey serial {0} is locked; unblock it with the PUK (ykman piv access unblock-pin) before the ceremony")]
    PinLocked(u32),
    #[error("the management key of YubiKey serial {0} was refused; pass --mgmt-key-file F (the key in hex on its first line), or store the key PIN-protected on the device (ykman piv access change-management-key --protect)")]
    MgmtKey(u32),
    #[error("YubiKey serial {serial} reports touch policy {found} for slot {slot} after generating a key with touch policy {asked}; nothing was registered")]
    TouchPolicyNotSet { serial: u32, slot: String, asked: TouchPolicyName, found: TouchPolicyName },
    #[error("the management key in the file is not a 24-byte 3DES key in hex")]
    BadMgmtKey,
    #[error("slot {slot} of YubiKey serial {serial} holds no certificate, so its public key cannot be read (the device has no GET METADATA); pass --generate to make a key there, or put a certificate for the slot's key in it first (ykman piv certificates generate)")]
    NoCertificate { serial: u32, slot: String },
    #[error("the key in slot {slot} of YubiKey serial {serial} is not an ECDSA P-256 key")]
    NotP256 { serial: u32, slot: String },
    #[error("YubiKey serial {serial}: {reason}; nothing was registered")]
    Attestation { serial: u32, reason: String },
    #[error("YubiKey serial {serial} offers no PIV attestation, so --attestation-root cannot be checked; nothing was registered")]
    NoAttestation { serial: u32 },
    #[error("YubiKey serial {serial} failed: {reason}")]
    Device { serial: u32, reason: String },
}

/// The device's name for a touch policy.
fn to_device(policy: TouchPolicyName) -> TouchPolicy {
    match policy {
        TouchPolicyName::Always => TouchPolicy::Always,
        TouchPolicyName::Cached => TouchPolicy::Cached,
        TouchPolicyName::Never => TouchPolicy::Never,
    }
}

fn from_device(policy: TouchPolicy) -> Option<TouchPolicyName> {
    match policy {
        TouchPolicy::Always => Some(TouchPolicyName::Always),
        TouchPolicy::Cached => Some(TouchPolicyName::Cached),
        TouchPolicy::Never => Some(TouchPolicyName::Never),
        TouchPolicy::Default => None,
    }
}

/// The touch policy `slot` reports, where the device answers GET METADATA.
fn read_touch_policy(yk: &mut YubiKey, slot: SlotId) -> Option<TouchPolicyName> {
    let (_, touch) = piv::metadata(yk, slot).ok()?.policy?;
    from_device(touch)
}

fn tries_left(tries: u8) -> String {
    if tries == 1 {
        "1 try".to_string()
    } else {
        format!("{tries} tries")
    }
}

/// The PIV slot named `name` (9a, 9c, 9d, 9e), and its canonical lowercase name.
pub fn parse_slot(name: &str) -> Result<(SlotId, String), YubikeyError> {
    let lower = name.to_ascii_lowercase();
    let slot = match lower.as_str() {
        "9a" => SlotId::Authentication,
        "9c" => SlotId::Signature,
        "9d" => SlotId::KeyManagement,
        "9e" => SlotId::CardAuthentication,
        _ => return Err(YubikeyError::BadSlot(name.to_string())),
    };
    Ok((slot, lower))
}

/// The management key in `hex` (the first line of --mgmt-key-file).
pub fn management_key(hex_key: &SecretBytes) -> Result<MgmKey, YubikeyError> {
    let text = std::str::from_utf8(hex_key.expose()).map_err(|_| YubikeyError::BadMgmtKey)?;
    let bytes = zeroize::Zeroizing::new(hex::decode(text.trim()).map_err(|_| YubikeyError::BadMgmtKey)?);
    MgmKey::from_bytes(bytes.as_slice()).map_err(|_| YubikeyError::BadMgmtKey)
}

/// The management key to generate with: the one given, else the PIN-protected key the device
/// stores (readable only after the PIN was verified), else the PIV default.
fn management_key_for(yk: &mut YubiKey, given: Option<MgmKey>) -> MgmKey {
    given.or_else(|| MgmKey::get_protected(yk).ok()).unwrap_or_default()
}

fn device(serial: u32) -> impl Fn(YkError) -> YubikeyError {
    move |e| YubikeyError::Device { serial, reason: e.to_string() }
}

/// Opens the YubiKey with `serial`, or the only one connected when `serial` is None.
fn open_device(serial: Option<u32>) -> Result<YubiKey, YubikeyError> {
    let mut ctx = match Context::open() {
        Ok(ctx) => ctx,
        Err(YkError::PcscError { inner: Some(pcsc::Error::NoReadersAvailable) }) => {
            return Err(serial.map_or(YubikeyError::NoDevice, YubikeyError::Missing))
        }
        Err(e) => return Err(YubikeyError::Pcsc(e.to_string())),
    };
    let readers = match ctx.iter() {
        Ok(r) => r,
        Err(YkError::PcscError { inner: Some(pcsc::Error::NoReadersAvailable) }) => Vec::new().into_iter(),
        Err(e) => return Err(YubikeyError::Pcsc(e.to_string())),
    };
    let mut found: Vec<YubiKey> = readers.filter_map(|r| r.open().ok()).collect();
    let serials = |keys: &[YubiKey]| keys.iter().map(|k| k.serial().0.to_string()).collect::<Vec<_>>().join(", ");
    let chosen = match serial {
        Some(s) => match found.iter().position(|k| k.serial() == Serial(s)) {
            Some(i) => found.swap_remove(i),
            None if found.is_empty() => return Err(YubikeyError::Missing(s)),
            None => {
                let e = YubikeyError::WrongDevice { serial: s, found: serials(&found) };
                leave(found);
                return Err(e);
            }
        },
        None => match found.len() {
            0 => return Err(YubikeyError::NoDevice),
            1 => found.remove(0),
            _ => {
                let e = YubikeyError::Several(serials(&found));
                leave(found);
                return Err(e);
            }
        },
    };
    leave(found);
    Ok(chosen)
}

/// Lets go of devices we did not choose without resetting them.
fn leave(keys: Vec<YubiKey>) {
    for k in keys {
        let _ = k.disconnect(pcsc::Disposition::LeaveCard);
    }
}

/// The TUF key object of a P-256 SubjectPublicKeyInfo (DER), or None for other keys.
fn key_from_spki(spki_der: &[u8]) -> Option<Key> {
    let public = p256::PublicKey::from_public_key_der(spki_der).ok()?;
    let point = hex::encode(public.to_sec1_bytes());
    PublicKey::from_tuf("ecdsa", "ecdsa-sha2-nistp256", &point).ok()?.to_standard_key().ok()
}

/// The public key in `slot`: from GET METADATA where the device has it, else from the slot's
/// certificate.
fn read_slot_key(yk: &mut YubiKey, slot: SlotId, slot_name: &str) -> Result<Key, YubikeyError> {
    let serial = yk.serial().0;
    let not_p256 = || YubikeyError::NotP256 { serial, slot: slot_name.into() };
    if let Ok(Some(spki)) = piv::metadata(yk, slot).map(|m| m.public) {
        let der = spki.to_der().map_err(|_| not_p256())?;
        return key_from_spki(&der).ok_or_else(not_p256);
    }
    let cert = match Certificate::read(yk, slot) {
        Ok(c) => c,
        Err(YkError::InvalidObject | YkError::NotFound | YkError::SizeError) => {
            return Err(YubikeyError::NoCertificate { serial, slot: slot_name.into() })
        }
        Err(e) => return Err(device(serial)(e)),
    };
    let der = cert.cert.tbs_certificate.subject_public_key_info.to_der().map_err(|_| not_p256())?;
    key_from_spki(&der).ok_or_else(not_p256)
}

fn verify_pin(yk: &mut YubiKey, pin: &SecretBytes) -> Result<(), YubikeyError> {
    let serial = yk.serial().0;
    match yk.verify_pin(pin.expose()) {
        Ok(()) => Ok(()),
        Err(YkError::WrongPin { tries: 0 }) | Err(YkError::PinLocked) => Err(YubikeyError::PinLocked(serial)),
        Err(YkError::WrongPin { tries }) => Err(YubikeyError::WrongPin { serial, tries }),
        Err(e) => Err(device(serial)(e)),
    }
}

/// An ECDSA P-256 key in a YubiKey PIV slot, PIN verified and ready to sign.
pub struct YubikeySigner {
    yk: RefCell<YubiKey>,
    slot: SlotId,
    slot_name: String,
    serial: u32,
    key: Key,
    touch: Option<TouchPolicyName>,
    before_sign: Option<Box<dyn Fn()>>,
    /// Kept (zeroized on drop) for slots whose PIN policy is "always" (9c by default on a
    /// YubiKey made with ykman, always on the software card): the device then wants the PIN
    /// again before each signature.
    pin: SecretBytes,
}

impl YubikeySigner {
    /// Opens the YubiKey (`serial`, or the only one connected), reads the public key in `slot`
    /// and verifies `pin`.
    pub fn open(serial: Option<u32>, slot: &str, pin: &SecretBytes) -> Result<YubikeySigner, YubikeyError> {
        let (slot, slot_name) = parse_slot(slot)?;
        let mut yk = open_device(serial)?;
        let key = read_slot_key(&mut yk, slot, &slot_name)?;
        verify_pin(&mut yk, pin)?;
        let serial = yk.serial().0;
        let touch = read_touch_policy(&mut yk, slot);
        Ok(YubikeySigner { yk: RefCell::new(yk), slot, slot_name, serial, key, touch, before_sign: None, pin: pin.clone() })
    }

    /// Opens the YubiKey, verifies `pin`, generates a new P-256 key in `slot` (PIN policy once,
    /// touch policy `touch_policy`; replaces any key there) and stores a self-signed certificate
    /// for it in the slot, subject `CN=<subject>`. `touch` is called before the device's
    /// self-signature. `mgm_key`: see [`management_key_for`].
    pub fn generate(
        serial: Option<u32>,
        slot: &str,
        pin: &SecretBytes,
        mgm_key: Option<MgmKey>,
        touch_policy: TouchPolicyName,
        subject: &str,
        touch: &dyn Fn(),
    ) -> Result<YubikeySigner, YubikeyError> {
        let (slot, slot_name) = parse_slot(slot)?;
        let mut yk = open_device(serial)?;
        let serial = yk.serial().0;
        // The PIN first: a wrong PIN must not cost the slot its current key.
        verify_pin(&mut yk, pin)?;
        let mgm_key = management_key_for(&mut yk, mgm_key);
        match yk.authenticate(mgm_key) {
            Ok(()) => {}
            Err(YkError::AuthenticationError | YkError::GenericError) => return Err(YubikeyError::MgmtKey(serial)),
            Err(e) => return Err(device(serial)(e)),
        }
        let spki = piv::generate(&mut yk, slot, AlgorithmId::EccP256, PinPolicy::Once, to_device(touch_policy)).map_err(device(serial))?;
        let touch_found = check_touch_policy(&mut yk, slot, &slot_name, touch_policy)?;
        let der = spki.to_der().map_err(|e| YubikeyError::Device { serial, reason: e.to_string() })?;
        let key = key_from_spki(&der).ok_or(YubikeyError::NotP256 { serial, slot: slot_name.clone() })?;
        verify_pin(&mut yk, pin)?;
        let name: x509_cert::name::Name =
            format!("CN={subject}").parse().map_err(|e: x509_cert::der::Error| YubikeyError::Device { serial, reason: e.to_string() })?;
        let validity = x509_cert::time::Validity::from_now(Duration::from_secs(20 * 365 * 86400))
            .map_err(|e| YubikeyError::Device { serial, reason: e.to_string() })?;
        let cert_serial = x509_cert::serial_number::SerialNumber::from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_secs()),
        );
        touch();
        Certificate::generate_self_signed::<_, p256::NistP256>(&mut yk, slot, cert_serial, validity, name, spki, |_| Ok(())).map_err(
            |e| YubikeyError::Device { serial, reason: format!("the key was generated but its certificate could not be stored: {e}") },
        )?;
        Ok(YubikeySigner {
            yk: RefCell::new(yk),
            slot,
            slot_name,
            serial,
            key,
            touch: Some(touch_found),
            before_sign: None,
            pin: pin.clone(),
        })
    }

    /// The slot's touch policy as the device reports it (None: the device does not say).
    pub fn touch_policy(&self) -> Option<TouchPolicyName> {
        self.touch
    }

    /// Calls `f` before each signature (to ask for a touch).
    pub fn before_each_signature(mut self, f: impl Fn() + 'static) -> YubikeySigner {
        self.before_sign = Some(Box::new(f));
        self
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    pub fn slot(&self) -> &str {
        &self.slot_name
    }

    /// PIV attestation of the slot's key, if the device offers it: the slot's attestation
    /// certificate and the device's attestation certificate (slot F9), checked by
    /// [`crate::keys::attestation::check`]: the slot certificate certifies this signer's public key and
    /// is signed by the F9 certificate, which (given `roots`, the vendor's certificates) is
    /// signed by one of them. With `roots`, a device without attestation or a broken chain is an
    /// error.
    pub fn attestation(&self, roots: Option<&[x509_cert::Certificate]>) -> Result<Option<Attestation>, YubikeyError> {
        let serial = self.serial;
        let yk = &mut *self.yk.borrow_mut();
        let Ok(raw) = piv::attest(yk, self.slot) else {
            return match roots {
                Some(_) => Err(YubikeyError::NoAttestation { serial }),
                None => Ok(None),
            };
        };
        let fail = |reason: String| YubikeyError::Device { serial, reason };
        let slot_cert = crate::keys::attestation::from_der(&raw).ok_or_else(|| fail("unreadable attestation certificate".into()))?;
        let device = Certificate::read(yk, SlotId::Attestation).ok().map(|c| c.cert);
        let checked = crate::keys::attestation::check(&self.slot_name, &slot_cert, &self.key, device.as_ref(), roots)
            .map_err(|e| YubikeyError::Attestation { serial, reason: e.to_string() })?;
        let pem = |c: &x509_cert::Certificate| c.to_pem(p256::pkcs8::LineEnding::LF).map_err(|e| fail(e.to_string()));
        let device_certificate = match &device {
            Some(d) => pem(d)?,
            None => String::new(),
        };
        Ok(Some(Attestation { slot_certificate: pem(&slot_cert)?, device_certificate, verified: checked.verified, state: checked.state }))
    }
}

/// The touch policy of a slot just generated with `asked`: a device that reports another one
/// ignored the request, so the key is not what the holder was told. A device without GET
/// METADATA cannot be checked; the policy asked for is then the best knowledge there is.
fn check_touch_policy(yk: &mut YubiKey, slot: SlotId, slot_name: &str, asked: TouchPolicyName) -> Result<TouchPolicyName, YubikeyError> {
    match read_touch_policy(yk, slot) {
        Some(found) if found != asked => {
            Err(YubikeyError::TouchPolicyNotSet { serial: yk.serial().0, slot: slot_name.to_string(), asked, found })
        }
        _ => Ok(asked),
    }
}

impl Signer for YubikeySigner {
    fn public_key(&self) -> &Key {
        &self.key
    }

    fn describe(&self) -> String {
        format!("YubiKey serial {}, slot {}", self.serial, self.slot_name)
    }

    fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        if let Some(f) = &self.before_sign {
            f();
        }
        let digest = Sha256::digest(message);
        let fail = |reason: String| SignError::Device { device: self.describe(), reason };
        let yk = &mut *self.yk.borrow_mut();
        let der = match piv::sign_data(yk, &digest, AlgorithmId::EccP256, self.slot) {
            // "Security status not satisfied": a PIN-always slot; verify the PIN and sign once more.
            Err(YkError::AuthenticationError) => {
                verify_pin(yk, &self.pin).map_err(|e| fail(e.to_string()))?;
                piv::sign_data(yk, &digest, AlgorithmId::EccP256, self.slot)
            }
            other => other,
        }
        .map_err(|e| fail(e.to_string()))?;
        Ok(der.to_vec())
    }
}
