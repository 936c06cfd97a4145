//! TUF public keys: the key object as metadata carries it, its keyid, and the public key
//! material that verifies signatures.
//!
//! A key object is kept as the canonical bytes it was received in, so its keyid (SHA-256
//! over those bytes) covers every field, custom `x-...` ones included, and writing it back
//! reproduces it exactly. Keys Ceremony creates carry no custom fields.

use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::canonical;

/// The key types and schemes this module can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    RsaPssSha256,
}

impl Algorithm {
    /// The `keytype` and `scheme` Ceremony writes for this algorithm.
    pub fn keytype_and_scheme(self) -> (&'static str, &'static str) {
        match self {
            Algorithm::Ed25519 => ("ed25519", "ed25519"),
            Algorithm::EcdsaP256 => ("ecdsa", "ecdsa-sha2-nistp256"),
            Algorithm::EcdsaP384 => ("ecdsa", "ecdsa-sha2-nistp384"),
            Algorithm::RsaPssSha256 => ("rsa", "rsassa-pss-sha256"),
        }
    }

    /// A short name for people: "ed25519", "ECDSA P-256", ...
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::EcdsaP256 => "ECDSA P-256",
            Algorithm::EcdsaP384 => "ECDSA P-384",
            Algorithm::RsaPssSha256 => "RSA-PSS",
        }
    }
}

/// Why a key object or a signature could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key object is malformed: {0}")]
    Malformed(String),
    #[error("the key type {keytype:?} with scheme {scheme:?} is not supported (Ceremony verifies ed25519, ecdsa-sha2-nistp256/384 and rsassa-pss-sha256)")]
    Unsupported { keytype: String, scheme: String },
    #[error("the {algorithm} public key cannot be read: {reason}")]
    BadPublicKey { algorithm: &'static str, reason: String },
    #[error("the signature is not hex")]
    SignatureNotHex,
    #[error("the signature is empty (a placeholder for a signature not yet made)")]
    EmptySignature,
    #[error("the signature is not well formed for {0}")]
    MalformedSignature(&'static str),
    #[error("the signature does not match the signed bytes and this key")]
    BadSignature,
}

/// A note about an old-style encoding that was accepted on reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyForm {
    /// keytype `ecdsa-sha2-nistp256` (or `-nistp384`) instead of `ecdsa`.
    EcdsaKeytype,
    /// An ECDSA public key as a hex SEC1 point instead of PEM.
    HexEcdsaPoint,
}

#[derive(Deserialize)]
struct KeyFields {
    keytype: String,
    scheme: String,
    keyval: KeyVal,
}

#[derive(Deserialize)]
struct KeyVal {
    public: String,
}

/// A TUF key object: `{"keytype", "scheme", "keyval": {"public"}, ...}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    keytype: String,
    scheme: String,
    public: String,
    canonical: Vec<u8>,
    keyid: String,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").field("keyid", &self.keyid).field("keytype", &self.keytype).field("scheme", &self.scheme).finish()
    }
}

impl Key {
    /// Reads a key object from JSON text (any formatting); keeps all its fields.
    pub fn from_json(json: &[u8]) -> Result<Key, KeyError> {
        let canonical = canonical::canonicalize(json).map_err(|e| KeyError::Malformed(e.to_string()))?;
        let fields: KeyFields = serde_json::from_slice(json).map_err(|e| KeyError::Malformed(e.to_string()))?;
        let keyid = hex::encode(Sha256::digest(&canonical));
        Ok(Key { keytype: fields.keytype, scheme: fields.scheme, public: fields.keyval.public, canonical, keyid })
    }

    /// A key object with exactly the standard fields, as Ceremony writes keys.
    pub fn new(algorithm: Algorithm, public: String) -> Key {
        let (keytype, scheme) = algorithm.keytype_and_scheme();
        let mut canonical = Vec::with_capacity(public.len() + 80);
        canonical.extend_from_slice(b"{\"keytype\":");
        canonical::encode_string(keytype, &mut canonical);
        canonical.extend_from_slice(b",\"keyval\":{\"public\":");
        canonical::encode_string(&public, &mut canonical);
        canonical.extend_from_slice(b"},\"scheme\":");
        canonical::encode_string(scheme, &mut canonical);
        canonical.push(b'}');
        let keyid = hex::encode(Sha256::digest(&canonical));
        Key { keytype: keytype.to_string(), scheme: scheme.to_string(), public, canonical, keyid }
    }

    /// hex SHA-256 of the canonical key object, custom fields included.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    pub fn keytype(&self) -> &str {
        &self.keytype
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `keyval.public` as written in the metadata.
    pub fn public(&self) -> &str {
        &self.public
    }

    /// The key object's canonical JSON bytes.
    pub fn canonical_bytes(&self) -> &[u8] {
        &self.canonical
    }

    /// The key object as JSON text for a file (see [`crate::wire`]).
    pub fn to_json_text(&self) -> Vec<u8> {
        crate::wire::canonical_to_text(self.canonical.clone())
    }

    /// True when the key object has fields beyond keytype, scheme and keyval.public.
    pub fn has_custom_fields(&self) -> bool {
        Key::new_unchecked_len(&self.keytype, &self.scheme, &self.public) != self.canonical.len()
    }

    fn new_unchecked_len(keytype: &str, scheme: &str, public: &str) -> usize {
        let mut probe = Vec::new();
        probe.extend_from_slice(b"{\"keytype\":");
        canonical::encode_string(keytype, &mut probe);
        probe.extend_from_slice(b",\"keyval\":{\"public\":");
        canonical::encode_string(public, &mut probe);
        probe.extend_from_slice(b"},\"scheme\":");
        canonical::encode_string(scheme, &mut probe);
        probe.push(b'}');
        probe.len()
    }

    /// Parses the public key material this key object describes.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        PublicKey::from_tuf(&self.keytype, &self.scheme, &self.public)
    }
}

/// Public key material that can verify signatures.
#[derive(Clone, Debug)]
pub struct PublicKey {
    algorithm: Algorithm,
    material: Material,
    legacy: Option<LegacyForm>,
}

#[derive(Clone, Debug)]
enum Material {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
}

impl PublicKey {
    /// Reads `keyval.public` for the given keytype and scheme.
    pub fn from_tuf(keytype: &str, scheme: &str, public: &str) -> Result<PublicKey, KeyError> {
        let unsupported = || KeyError::Unsupported { keytype: keytype.to_string(), scheme: scheme.to_string() };
        let (algorithm, legacy_type) = match (keytype, scheme) {
            ("ed25519", "ed25519") => (Algorithm::Ed25519, false),
            ("ecdsa", "ecdsa-sha2-nistp256") => (Algorithm::EcdsaP256, false),
            ("ecdsa", "ecdsa-sha2-nistp384") => (Algorithm::EcdsaP384, false),
            ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => (Algorithm::EcdsaP256, true),
            ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => (Algorithm::EcdsaP384, true),
            ("rsa", "rsassa-pss-sha256") => (Algorithm::RsaPssSha256, false),
            _ => return Err(unsupported()),
        };
        let mut legacy = legacy_type.then_some(LegacyForm::EcdsaKeytype);
        let material = match algorithm {
            Algorithm::Ed25519 => Material::Ed25519(parse_ed25519(public)?),
            Algorithm::EcdsaP256 => {
                let (key, hex_point) = parse_ecdsa::<p256::NistP256>(public, "ECDSA P-256")?;
                if hex_point {
                    legacy = Some(LegacyForm::HexEcdsaPoint);
                }
                Material::P256(p256::ecdsa::VerifyingKey::from(key))
            }
            Algorithm::EcdsaP384 => {
                let (key, hex_point) = parse_ecdsa::<p384::NistP384>(public, "ECDSA P-384")?;
                if hex_point {
                    legacy = Some(LegacyForm::HexEcdsaPoint);
                }
                Material::P384(p384::ecdsa::VerifyingKey::from(key))
            }
            Algorithm::RsaPssSha256 => Material::Rsa(parse_rsa(public)?),
        };
        Ok(PublicKey { algorithm, material, legacy })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Set when the key was written in an old form that Ceremony reads but never writes.
    pub fn legacy(&self) -> Option<LegacyForm> {
        self.legacy
    }

    /// The key material itself, independent of how the key object spells it: two key
    /// objects with equal identities are one key, however many keyids they appear under.
    pub fn identity(&self) -> Vec<u8> {
        use rsa::traits::PublicKeyParts;
        let mut id = vec![self.algorithm as u8];
        match &self.material {
            Material::Ed25519(k) => id.extend_from_slice(k.as_bytes()),
            Material::P256(k) => id.extend_from_slice(k.to_encoded_point(false).as_bytes()),
            Material::P384(k) => id.extend_from_slice(k.to_encoded_point(false).as_bytes()),
            Material::Rsa(k) => {
                id.extend_from_slice(&k.n().to_bytes_be());
                id.push(0);
                id.extend_from_slice(&k.e().to_bytes_be());
            }
        }
        id
    }

    /// The key object Ceremony writes for this key: standard keytype and scheme, PEM for
    /// ECDSA and RSA, no custom fields.
    pub fn to_standard_key(&self) -> Result<Key, KeyError> {
        use elliptic_curve::pkcs8::{EncodePublicKey, LineEnding};
        let pem_error =
            |e: elliptic_curve::pkcs8::spki::Error| KeyError::BadPublicKey { algorithm: self.algorithm.label(), reason: e.to_string() };
        let public = match &self.material {
            Material::Ed25519(k) => hex::encode(k.as_bytes()),
            Material::P256(k) => k.to_public_key_pem(LineEnding::LF).map_err(pem_error)?,
            Material::P384(k) => k.to_public_key_pem(LineEnding::LF).map_err(pem_error)?,
            Material::Rsa(k) => rsa::pkcs8::EncodePublicKey::to_public_key_pem(k, LineEnding::LF).map_err(pem_error)?,
        };
        Ok(Key::new(self.algorithm, public))
    }

    /// Verifies a TUF signature (`sig`, hex as in metadata) over `message`.
    pub fn verify(&self, message: &[u8], sig_hex: &str) -> Result<(), KeyError> {
        if sig_hex.is_empty() {
            return Err(KeyError::EmptySignature);
        }
        let sig = hex::decode(sig_hex).map_err(|_| KeyError::SignatureNotHex)?;
        self.verify_raw(message, &sig)
    }

    /// Verifies signature bytes (Ed25519 64 bytes, ECDSA DER, RSA-PSS) over `message`.
    pub fn verify_raw(&self, message: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        use signature::Verifier;
        match &self.material {
            Material::Ed25519(k) => {
                let bytes: [u8; 64] = sig.try_into().map_err(|_| KeyError::MalformedSignature("Ed25519"))?;
                let sig = ed25519_dalek::Signature::from_bytes(&bytes);
                k.verify_strict(message, &sig).map_err(|_| KeyError::BadSignature)
            }
            Material::P256(k) => {
                let sig = p256::ecdsa::Signature::from_der(sig).map_err(|_| KeyError::MalformedSignature("ECDSA P-256 (DER expected)"))?;
                k.verify(message, &sig).map_err(|_| KeyError::BadSignature)
            }
            Material::P384(k) => {
                let sig = p384::ecdsa::Signature::from_der(sig).map_err(|_| KeyError::MalformedSignature("ECDSA P-384 (DER expected)"))?;
                k.verify(message, &sig).map_err(|_| KeyError::BadSignature)
            }
            Material::Rsa(k) => verify_rsa_pss(k, message, sig),
        }
    }
}

fn parse_ed25519(public: &str) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
    let bad = |reason: &str| KeyError::BadPublicKey { algorithm: "Ed25519", reason: reason.to_string() };
    let bytes = hex::decode(public).map_err(|_| bad("keyval.public is not hex"))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad("keyval.public must be 64 hex characters"))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a point on the curve"))?;
    // A point has one canonical encoding; a y coordinate at or above the field prime (e.g.
    // 32 bytes of FF) decodes to the same point as its reduction. Two spellings of one key
    // would get two keyids and two identities, so only the canonical one is accepted.
    if key.to_edwards().compress().as_bytes() != &bytes {
        return Err(bad("not the canonical encoding of a curve point"));
    }
    Ok(key)
}

/// Reads a PEM SubjectPublicKeyInfo or (legacy) a hex SEC1 point. Returns whether it was hex.
fn parse_ecdsa<C>(public: &str, algorithm: &'static str) -> Result<(elliptic_curve::PublicKey<C>, bool), KeyError>
where
    C: elliptic_curve::CurveArithmetic + elliptic_curve::pkcs8::AssociatedOid,
    elliptic_curve::AffinePoint<C>: elliptic_curve::sec1::FromEncodedPoint<C> + elliptic_curve::sec1::ToEncodedPoint<C>,
    elliptic_curve::FieldBytesSize<C>: elliptic_curve::sec1::ModulusSize,
{
    use elliptic_curve::pkcs8::DecodePublicKey;
    let bad = |reason: String| KeyError::BadPublicKey { algorithm, reason };
    if public.trim_start().starts_with("-----BEGIN") {
        let key = elliptic_curve::PublicKey::<C>::from_public_key_pem(public.trim())
            .map_err(|e| bad(format!("not a PEM SubjectPublicKeyInfo for this curve ({e})")))?;
        return Ok((key, false));
    }
    let bytes = hex::decode(public).map_err(|_| bad("neither PEM nor a hex point".to_string()))?;
    let key = elliptic_curve::PublicKey::<C>::from_sec1_bytes(&bytes).map_err(|_| bad("the hex point is not on the curve".to_string()))?;
    Ok((key, true))
}

fn parse_rsa(public: &str) -> Result<rsa::RsaPublicKey, KeyError> {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPublicKey::from_public_key_pem(public.trim())
        .map_err(|e| KeyError::BadPublicKey { algorithm: "RSA", reason: format!("not a PEM SubjectPublicKeyInfo ({e})") })?;
    if key.n().bits() < 2048 {
        return Err(KeyError::BadPublicKey { algorithm: "RSA", reason: "the modulus is shorter than 2048 bits".into() });
    }
    Ok(key)
}

/// RSASSA-PSS with SHA-256 and MGF1-SHA-256. Signers differ in the salt length they use
/// (securesystemslib: the digest length; older tools: the maximum), and verifiers such as
/// python-tuf's detect it, so both lengths are accepted.
fn verify_rsa_pss(key: &rsa::RsaPublicKey, message: &[u8], sig: &[u8]) -> Result<(), KeyError> {
    use rsa::traits::PublicKeyParts;
    use signature::Verifier;
    let sig = rsa::pss::Signature::try_from(sig).map_err(|_| KeyError::MalformedSignature("RSA-PSS"))?;
    let em_len = key.n().bits().div_ceil(8);
    let max_salt = em_len.saturating_sub(32 + 2);
    for salt_len in [32, max_salt] {
        let verifier = rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key.clone(), salt_len);
        if verifier.verify(message, &sig).is_ok() {
            return Ok(());
        }
    }
    Err(KeyError::BadSignature)
}

/// The first eight hex characters of a keyid, as people read them aloud.
pub fn short_keyid(keyid: &str) -> &str {
    keyid.get(..8).unwrap_or(keyid)
}

/// True when `id` is the lower-case hex of SHA-256 over `canonical`, compared as bytes
/// with the digest's hex made on the stack (this runs for every key of every delegation).
pub fn keyid_matches(id: &str, canonical: &[u8]) -> bool {
    let mut hex = [0u8; 64];
    // The digest is short and the output fixed; encoding cannot fail.
    id.len() == 64 && hex::encode_to_slice(<sha2::Sha256 as sha2::Digest>::digest(canonical), &mut hex).is_ok() && hex == id.as_bytes()
}

#[cfg(test)]
mod encoding_tests {
    use super::*;

    #[test]
    fn ed25519_keys_only_in_canonical_encoding() {
        // y = 2^255 - 1 (>= p) is accepted by decompression as y mod p; refuse that spelling.
        let err = PublicKey::from_tuf("ed25519", "ed25519", &"ff".repeat(32)).unwrap_err();
        assert!(err.to_string().contains("canonical"), "{err}");
        // A real key's encoding is canonical.
        let seed = [9u8; 32];
        let public = hex::encode(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().as_bytes());
        PublicKey::from_tuf("ed25519", "ed25519", &public).unwrap();
    }
}
