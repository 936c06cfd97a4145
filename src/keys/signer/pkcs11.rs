//! Keys in PKCS#11 tokens (SoftHSM2, OpenSC for PIV cards and Nitrokey HSMs, YubiHSM 2).
//!
//! ECDSA tokens sign a digest the caller computed (`CKM_ECDSA`) and return raw `r‖s`; TUF
//! wants DER, so the digest is made here (SHA-256 for P-256, SHA-384 for P-384) and the
//! signature converted. Ed25519 tokens sign the message itself (`CKM_EDDSA`).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use sha2::{Digest, Sha256, Sha384};

use super::source::{SignError, Signer};
use crate::keys::pkcs11_module::AllowedModule;
use crate::support::secret::SecretBytes;
use crate::tuf::key::{Algorithm, Key, PublicKey};

/// DER of the curve OIDs in `CKA_EC_PARAMS`.
const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384_OID: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// PKCS#11 3.0 also allows the curve's name as a PrintableString (OpenSC's pkcs11-tool writes it).
const ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";

/// Why a token could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pkcs11Error {
    #[error("cannot load the PKCS#11 module {module}: {reason}; check the path (--module)")]
    Module { module: String, reason: String },
    #[error("no token labelled {0:?} is present; insert it or check --token (`pkcs11-tool -L` lists tokens)")]
    NoToken(String),
    #[error("the PIN for token {0:?} is wrong; nothing was signed or stored (the token counts failed attempts)")]
    WrongPin(String),
    #[error("the PIN of token {0:?} is locked; unlock it with the SO PIN before the ceremony")]
    PinLocked(String),
    #[error("token {token:?} has no {what} labelled {label:?}; check --key-label")]
    NoKey { token: String, what: &'static str, label: String },
    #[error("token {token:?} has {count} keys labelled {label:?}; give each key pair its own label")]
    Ambiguous { token: String, label: String, count: usize },
    #[error("key {label:?} on token {token:?} is not an ECDSA P-256/P-384 or Ed25519 key")]
    UnsupportedKey { token: String, label: String },
    #[error("token {token:?} failed: {reason}")]
    Token { token: String, reason: String },
}

/// A key on a PKCS#11 token, logged in and ready to sign.
pub struct Pkcs11Signer {
    session: Session,
    private: ObjectHandle,
    algorithm: Algorithm,
    key: Key,
    token: String,
    label: String,
    /// The PIN again, kept (zeroized on drop) only for a key flagged `CKA_ALWAYS_AUTHENTICATE`
    /// (a PIV card's 9c key through OpenSC): such a key needs a context-specific login right
    /// before every signature.
    context_pin: Option<AuthPin>,
}

fn token_error(token: &str) -> impl Fn(CkError) -> Pkcs11Error + '_ {
    move |e| Pkcs11Error::Token { token: token.to_string(), reason: e.to_string() }
}

/// Loads the module and finds the token; returns a read-write session on it. The module is
/// one the machine allows (`crate::keys::pkcs11_module`), loaded by its resolved path: this is
/// the one place a module is loaded.
fn session(module: &AllowedModule, token: &str) -> Result<Session, Pkcs11Error> {
    let failed = |e: CkError| Pkcs11Error::Module { module: module.path().display().to_string(), reason: e.to_string() };
    let ctx = Pkcs11::new(module.path()).map_err(failed)?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(e)),
    }
    let slots = ctx.get_slots_with_token().map_err(token_error(token))?;
    let slot = slots
        .into_iter()
        .find(|s| ctx.get_token_info(*s).is_ok_and(|t| t.label().trim_end() == token))
        .ok_or_else(|| Pkcs11Error::NoToken(token.to_string()))?;
    ctx.open_rw_session(slot).map_err(token_error(token))
}

/// The one object of `class` labelled `label`. Two would make "the key labelled L"
/// ambiguous (a public key from one pair, a private key from another), so that is refused.
fn find(session: &Session, token: &str, class: ObjectClass, label: &str) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    find_one(session, token, label, &[Attribute::Class(class), Attribute::Label(label.as_bytes().to_vec())])
}

/// The one object matching `template`; `label` names what was asked for in a refusal.
fn find_one(session: &Session, token: &str, label: &str, template: &[Attribute]) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    let found = session.find_objects(template).map_err(token_error(token))?;
    if found.len() > 1 {
        return Err(Pkcs11Error::Ambiguous { token: token.into(), label: label.into(), count: found.len() });
    }
    Ok(found.into_iter().next())
}

/// The other half of a key pair: the one object of `class` with `half`'s `CKA_ID`. Modules that
/// emulate a card (OpenSC) label the halves differently ("SIGN key", "SIGN pubkey") and pair them
/// by ID; an empty ID pairs nothing.
fn partner(
    session: &Session,
    token: &str,
    label: &str,
    half: ObjectHandle,
    class: ObjectClass,
) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    let attrs = session.get_attributes(half, &[AttributeType::Id]).map_err(token_error(token))?;
    let Some(Attribute::Id(id)) = attrs.into_iter().next() else { return Ok(None) };
    if id.is_empty() {
        return Ok(None);
    }
    find_one(session, token, label, &[Attribute::Class(class), Attribute::Id(id)])
}

/// The key pair `label` names: public and private key labelled alike (SoftHSM, keys made by
/// pkcs11-tool), or either half labelled `label` and the other found by `CKA_ID` (OpenSC's PIV
/// card: "SIGN key" / "SIGN pubkey"). Private keys are visible only after login.
fn key_pair(session: &Session, token: &str, label: &str) -> Result<(ObjectHandle, ObjectHandle), Pkcs11Error> {
    let no_key = |what| Pkcs11Error::NoKey { token: token.into(), what, label: label.into() };
    let public = find(session, token, ObjectClass::PUBLIC_KEY, label)?;
    let private = find(session, token, ObjectClass::PRIVATE_KEY, label)?;
    match (public, private) {
        (Some(public), Some(private)) => Ok((public, private)),
        (Some(public), None) => {
            let private = partner(session, token, label, public, ObjectClass::PRIVATE_KEY)?;
            Ok((public, private.ok_or_else(|| no_key("private key"))?))
        }
        (None, Some(private)) => {
            let public = partner(session, token, label, private, ObjectClass::PUBLIC_KEY)?;
            Ok((public.ok_or_else(|| no_key("public key"))?, private))
        }
        (None, None) => Err(no_key("key")),
    }
}

/// `CKA_EC_POINT` is a DER OCTET STRING around the point (PKCS#11 2.40); some modules give it bare.
fn unwrap_octet_string(der: Vec<u8>) -> Vec<u8> {
    match der.as_slice() {
        [0x04, len, rest @ ..] if usize::from(*len) == rest.len() => rest.to_vec(),
        [0x04, 0x81, len, rest @ ..] if usize::from(*len) == rest.len() => rest.to_vec(),
        _ => der,
    }
}

/// The TUF key object of the public key `handle` (of the pair `label` names).
fn public_key(session: &Session, token: &str, label: &str, handle: ObjectHandle) -> Result<(Algorithm, Key), Pkcs11Error> {
    let attrs = session
        .get_attributes(handle, &[AttributeType::KeyType, AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(token_error(token))?;
    let (mut kind, mut params, mut point) = (None, None, None);
    for a in attrs {
        match a {
            Attribute::KeyType(k) => kind = Some(k),
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(unwrap_octet_string(p)),
            _ => {}
        }
    }
    let unsupported = || Pkcs11Error::UnsupportedKey { token: token.into(), label: label.into() };
    let (Some(kind), Some(params), Some(point)) = (kind, params, point) else { return Err(unsupported()) };
    let (algorithm, keytype, scheme, public) = match (kind, params.as_slice()) {
        (KeyType::EC, P256_OID) => (Algorithm::EcdsaP256, "ecdsa", "ecdsa-sha2-nistp256", hex::encode(&point)),
        (KeyType::EC, P384_OID) => (Algorithm::EcdsaP384, "ecdsa", "ecdsa-sha2-nistp384", hex::encode(&point)),
        (KeyType::EC_EDWARDS, ED25519_OID | ED25519_NAME) if point.len() == 32 => {
            (Algorithm::Ed25519, "ed25519", "ed25519", hex::encode(&point))
        }
        _ => return Err(unsupported()),
    };
    // Parse the point as Ceremony reads keys, then write the standard key object (PEM for ECDSA).
    let parsed = PublicKey::from_tuf(keytype, scheme, &public).map_err(|_| unsupported())?;
    let key = parsed.to_standard_key().map_err(|_| unsupported())?;
    Ok((algorithm, key))
}

/// Reads the public key labelled `label` without logging in (public objects are public).
pub fn read_public_key(module: &AllowedModule, token: &str, label: &str) -> Result<Key, Pkcs11Error> {
    let s = session(module, token)?;
    let handle = match find(&s, token, ObjectClass::PUBLIC_KEY, label)? {
        Some(h) => h,
        None => key_pair(&s, token, label)?.0,
    };
    public_key(&s, token, label, handle).map(|(_, k)| k)
}

fn login(session: &Session, token: &str, user: UserType, pin: &AuthPin) -> Result<(), Pkcs11Error> {
    match session.login(user, Some(pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => Err(Pkcs11Error::WrongPin(token.into())),
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(Pkcs11Error::PinLocked(token.into())),
        Err(e) => Err(token_error(token)(e)),
    }
}

/// True when the private key wants the PIN again before each signature.
fn always_authenticate(session: &Session, token: &str, private: ObjectHandle) -> Result<bool, Pkcs11Error> {
    let attrs = session.get_attributes(private, &[AttributeType::AlwaysAuthenticate]).map_err(token_error(token))?;
    Ok(attrs.into_iter().any(|a| matches!(a, Attribute::AlwaysAuthenticate(true))))
}

impl Pkcs11Signer {
    /// Opens the token, logs in with `pin` and finds the key pair labelled `label`.
    pub fn open(module: &AllowedModule, token: &str, label: &str, pin: &SecretBytes) -> Result<Pkcs11Signer, Pkcs11Error> {
        let session = session(module, token)?;
        let pin_text = String::from_utf8(pin.expose().to_vec()).map_err(|_| Pkcs11Error::WrongPin(token.into()))?;
        let pin = AuthPin::new(pin_text.into());
        login(&session, token, UserType::User, &pin)?;
        let (public, private) = key_pair(&session, token, label)?;
        let (algorithm, key) = public_key(&session, token, label, public)?;
        let context_pin = always_authenticate(&session, token, private)?.then_some(pin);
        Ok(Pkcs11Signer { session, private, algorithm, key, token: token.into(), label: label.into(), context_pin })
    }

    /// Signs `data` with `mechanism`; for an always-authenticate key, logs in for this one
    /// operation between C_SignInit and the signature, as PKCS#11 requires. cryptoki offers no
    /// single-part C_Sign after a separate C_SignInit, so that path signs in parts.
    fn token_sign(&self, mechanism: &Mechanism, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let fail = |e: CkError| SignError::Device { device: self.describe(), reason: e.to_string() };
        let Some(pin) = &self.context_pin else { return self.session.sign(mechanism, self.private, data).map_err(fail) };
        self.session.sign_init(mechanism, self.private).map_err(fail)?;
        login(&self.session, &self.token, UserType::ContextSpecific, pin)
            .map_err(|e| SignError::Device { device: self.describe(), reason: e.to_string() })?;
        self.session.sign_update(data).map_err(fail)?;
        self.session.sign_final().map_err(fail)
    }
}

impl Signer for Pkcs11Signer {
    fn public_key(&self) -> &Key {
        &self.key
    }

    fn describe(&self) -> String {
        format!("PKCS#11 token {:?}, key {:?}", self.token, self.label)
    }

    fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let malformed = || SignError::Device { device: self.describe(), reason: "the token returned a malformed signature".into() };
        match self.algorithm {
            Algorithm::Ed25519 => {
                let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure));
                self.token_sign(&mechanism, message)
            }
            Algorithm::EcdsaP256 => {
                let raw = self.token_sign(&Mechanism::Ecdsa, &Sha256::digest(message))?;
                let sig = p256::ecdsa::Signature::from_slice(&raw).map_err(|_| malformed())?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Algorithm::EcdsaP384 => {
                let raw = self.token_sign(&Mechanism::Ecdsa, &Sha384::digest(message))?;
                let sig = p384::ecdsa::Signature::from_slice(&raw).map_err(|_| malformed())?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Algorithm::RsaPssSha256 => {
                Err(SignError::Device { device: self.describe(), reason: "RSA keys are not used for signing by Ceremony".into() })
            }
        }
    }
}
