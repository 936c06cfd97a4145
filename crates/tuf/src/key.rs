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
        assert!(err.to_string().contains("canonical"), "expected a non-canonical encoding refused as such, got {err}");
        // A real key's encoding is canonical.
        let seed = [9u8; 32];
        let public = hex::encode(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().as_bytes());
        PublicKey::from_tuf("ed25519", "ed25519", &public).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_keys::{ed25519, p256, p384, rsa, rsa_private, TestKey};

    const MESSAGE: &[u8] = b"the canonical bytes of signed";

    fn public(k: &TestKey) -> PublicKey {
        k.key().public_key().unwrap_or_else(|e| panic!("expected the test key to read, got {e}"))
    }

    fn refused(result: Result<(), KeyError>, expected: KeyError, what: &str) {
        assert_eq!(result, Err(expected.clone()), "expected {what} refused with {expected:?}");
    }

    /// Every scheme accepts its own signature and refuses one over other bytes, by another
    /// key, or with a bit flipped.
    #[test]
    fn each_scheme_verifies_only_good_signatures() {
        for (signer, other) in [(ed25519(1), ed25519(2)), (p256(1), p256(2)), (p384(1), p384(2)), (rsa(0), rsa(1))] {
            let key = public(&signer);
            let sig = signer.sign_raw(MESSAGE);
            let label = key.algorithm().label();
            assert_eq!(key.verify_raw(MESSAGE, &sig), Ok(()), "expected {label} to accept its own signature");
            assert_eq!(key.verify(MESSAGE, &hex::encode(&sig)), Ok(()), "expected {label} to accept its own hex signature");
            refused(key.verify_raw(b"other bytes", &sig), KeyError::BadSignature, &format!("{label} over other bytes"));
            refused(key.verify_raw(MESSAGE, &other.sign_raw(MESSAGE)), KeyError::BadSignature, &format!("{label} by another key"));
            let mut flipped = sig.clone();
            let last = flipped.len() - 1;
            flipped[last / 2] ^= 0x01;
            let got = key.verify_raw(MESSAGE, &flipped);
            assert!(
                matches!(got, Err(KeyError::BadSignature | KeyError::MalformedSignature(_))),
                "expected {label} to refuse a flipped bit, got {got:?}"
            );
        }
    }

    /// Breakage (a) of issue 27: an RSA-PSS check that always says yes. A forged signature
    /// (random bytes of the right length, zeros, the modulus length of another key's
    /// signature over other bytes) must be refused.
    #[test]
    fn rsa_pss_refuses_forgeries() {
        let signer = rsa(0);
        let key = public(&signer);
        for (what, forged) in [
            ("all zeros", vec![0u8; 256]),
            ("all ones", vec![0xff; 256]),
            ("a short signature", vec![1u8; 16]),
            ("another message's signature", signer.sign_raw(b"not this")),
            ("another key's signature", rsa(1).sign_raw(MESSAGE)),
        ] {
            let got = key.verify_raw(MESSAGE, &forged);
            assert_eq!(got, Err(KeyError::BadSignature), "expected RSA-PSS to refuse {what}, got {got:?}");
        }
    }

    /// Both salt lengths signers use are accepted: the digest length and the maximum.
    #[test]
    fn rsa_pss_accepts_both_salt_lengths_and_no_other() {
        let private = rsa_private(0);
        let key = public(&TestKey::Rsa(private.clone(), 32));
        for salt in [32, 256 - 32 - 2] {
            let sig = TestKey::Rsa(private.clone(), salt).sign_raw(MESSAGE);
            assert_eq!(key.verify_raw(MESSAGE, &sig), Ok(()), "expected a salt of {salt} bytes accepted");
        }
        for salt in [0, 20, 64, 221] {
            let sig = TestKey::Rsa(private.clone(), salt).sign_raw(MESSAGE);
            assert_eq!(key.verify_raw(MESSAGE, &sig), Err(KeyError::BadSignature), "expected a salt of {salt} bytes refused");
        }
    }

    #[test]
    fn rsa_keys_shorter_than_2048_bits_are_refused() {
        use elliptic_curve::pkcs8::LineEnding;
        let short = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 1024).expect("generating a 1024-bit RSA key");
        let pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(&short.to_public_key(), LineEnding::LF).expect("RSA PEM");
        let err = PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &pem).unwrap_err();
        assert!(err.to_string().contains("shorter than 2048 bits"), "expected a short modulus refused, got {err}");
        let err = PublicKey::from_tuf("rsa", "rsassa-pss-sha256", "not pem").unwrap_err();
        assert!(err.to_string().contains("not a PEM SubjectPublicKeyInfo"), "expected a non-PEM key refused, got {err}");
        let full = rsa(0).key();
        let key = PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &format!("\n{}\n", full.public()));
        assert!(key.is_ok(), "expected surrounding blank lines tolerated, got {key:?}");
    }

    #[test]
    fn malformed_signatures_are_named() {
        refused(public(&ed25519(1)).verify(MESSAGE, ""), KeyError::EmptySignature, "an empty signature");
        refused(public(&ed25519(1)).verify(MESSAGE, "zz"), KeyError::SignatureNotHex, "a non-hex signature");
        refused(public(&ed25519(1)).verify_raw(MESSAGE, &[0; 63]), KeyError::MalformedSignature("Ed25519"), "a 63-byte Ed25519 signature");
        refused(
            public(&p256(1)).verify_raw(MESSAGE, &[0; 64]),
            KeyError::MalformedSignature("ECDSA P-256 (DER expected)"),
            "a raw P-256 signature",
        );
        refused(
            public(&p384(1)).verify_raw(MESSAGE, &[0; 96]),
            KeyError::MalformedSignature("ECDSA P-384 (DER expected)"),
            "a raw P-384 signature",
        );
    }

    #[test]
    fn keytypes_and_schemes_must_match_a_supported_pair() {
        let ed = ed25519(1).key();
        for (keytype, scheme) in
            [("ed25519", "ecdsa-sha2-nistp256"), ("rsa", "ed25519"), ("ecdsa", "ecdsa-sha2-nistp521"), ("ed448", "ed448")]
        {
            let err = PublicKey::from_tuf(keytype, scheme, ed.public()).unwrap_err();
            assert_eq!(
                err,
                KeyError::Unsupported { keytype: keytype.into(), scheme: scheme.into() },
                "expected {keytype}/{scheme} unsupported, got {err:?}"
            );
        }
        for (algorithm, keytype, scheme, label) in [
            (Algorithm::Ed25519, "ed25519", "ed25519", "Ed25519"),
            (Algorithm::EcdsaP256, "ecdsa", "ecdsa-sha2-nistp256", "ECDSA P-256"),
            (Algorithm::EcdsaP384, "ecdsa", "ecdsa-sha2-nistp384", "ECDSA P-384"),
            (Algorithm::RsaPssSha256, "rsa", "rsassa-pss-sha256", "RSA-PSS"),
        ] {
            assert_eq!(algorithm.keytype_and_scheme(), (keytype, scheme), "expected {algorithm:?}'s keytype and scheme");
            assert_eq!(algorithm.label(), label, "expected {algorithm:?}'s label");
        }
    }

    #[test]
    fn ed25519_public_keys_are_64_hex_digits_on_the_curve() {
        for (public, why) in [("zz".repeat(32), "not hex"), ("ab".repeat(31), "64 hex characters")] {
            let err = PublicKey::from_tuf("ed25519", "ed25519", &public).unwrap_err();
            assert!(err.to_string().contains(why), "expected {public:?} refused as {why}, got {err}");
        }
    }

    /// ECDSA keys read from PEM or (legacy) a hex point, under either keytype spelling; the
    /// key is the same key whichever way it is written.
    #[test]
    fn ecdsa_legacy_forms_read_as_the_same_key() {
        for signer in [p256(1), p384(1)] {
            let (pem, point, algorithm, scheme) = match &signer {
                TestKey::P256(k) => (
                    signer.key().public().to_string(),
                    hex::encode(k.verifying_key().to_encoded_point(false).as_bytes()),
                    Algorithm::EcdsaP256,
                    "ecdsa-sha2-nistp256",
                ),
                TestKey::P384(k) => (
                    signer.key().public().to_string(),
                    hex::encode(k.verifying_key().to_encoded_point(false).as_bytes()),
                    Algorithm::EcdsaP384,
                    "ecdsa-sha2-nistp384",
                ),
                _ => unreachable!("only ECDSA keys here"),
            };
            let standard = PublicKey::from_tuf("ecdsa", scheme, &pem).unwrap();
            assert_eq!(standard.legacy(), None, "expected PEM under ecdsa not legacy");
            assert_eq!(standard.algorithm(), algorithm, "expected {algorithm:?}");
            for (keytype, public, legacy) in [
                (scheme, pem.as_str(), LegacyForm::EcdsaKeytype),
                ("ecdsa", point.as_str(), LegacyForm::HexEcdsaPoint),
                (scheme, point.as_str(), LegacyForm::HexEcdsaPoint),
            ] {
                let key = PublicKey::from_tuf(keytype, scheme, public)
                    .unwrap_or_else(|e| panic!("expected {keytype} {public:.20} read, got {e}"));
                assert_eq!(key.legacy(), Some(legacy), "expected {keytype} {public:.20} read as {legacy:?}");
                assert_eq!(key.identity(), standard.identity(), "expected one identity for one key");
                assert_eq!(key.verify_raw(MESSAGE, &signer.sign_raw(MESSAGE)), Ok(()), "expected the legacy form to verify");
                let rewritten = key.to_standard_key().unwrap();
                assert_eq!(rewritten, signer.key(), "expected the standard key object back, got {rewritten:?}");
            }
            let err = PublicKey::from_tuf("ecdsa", scheme, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").unwrap_err();
            assert!(err.to_string().contains("not a PEM SubjectPublicKeyInfo for this curve"), "expected a bad PEM refused, got {err}");
            let err = PublicKey::from_tuf("ecdsa", scheme, "04abcd").unwrap_err();
            assert!(err.to_string().contains("not on the curve"), "expected a bad point refused, got {err}");
            let err = PublicKey::from_tuf("ecdsa", scheme, "hello").unwrap_err();
            assert!(err.to_string().contains("neither PEM nor a hex point"), "expected garbage refused, got {err}");
        }
        // A P-256 key is no P-384 key.
        let err = PublicKey::from_tuf("ecdsa", "ecdsa-sha2-nistp384", p256(1).key().public()).unwrap_err();
        assert!(
            matches!(err, KeyError::BadPublicKey { algorithm: "ECDSA P-384", .. }),
            "expected a P-256 PEM refused for P-384, got {err:?}"
        );
    }

    #[test]
    fn identities_tell_keys_and_algorithms_apart() {
        let keys = [ed25519(1), ed25519(2), p256(1), p256(2), p384(1), rsa(0), rsa(1)];
        let ids: Vec<Vec<u8>> = keys.iter().map(|k| public(k).identity()).collect();
        for (i, a) in ids.iter().enumerate() {
            assert!(a.len() > 32, "expected an identity carrying the key material, got {} bytes", a.len());
            for b in &ids[i + 1..] {
                assert_ne!(a, b, "expected distinct keys to have distinct identities");
            }
        }
        assert_eq!(ids[0][0], Algorithm::Ed25519 as u8, "expected the algorithm first");
        assert_eq!(public(&rsa(0)).identity(), ids[5], "expected an identity to be stable");
    }

    #[test]
    fn standard_keys_round_trip() {
        for k in [ed25519(1), p256(1), p384(1), rsa(0)] {
            let key = k.key();
            let again = public(&k).to_standard_key().unwrap();
            assert_eq!(again, key, "expected the same key object back");
            assert_eq!(again.keyid(), key.keyid(), "expected the same keyid back");
            assert!(!key.has_custom_fields(), "expected no custom fields on {key:?}");
            let parsed = Key::from_json(&key.to_json_text()).unwrap();
            assert_eq!(parsed, key, "expected the JSON text to read back as the key");
            assert_eq!(parsed.canonical_bytes(), key.canonical_bytes(), "expected the same canonical bytes");
        }
    }

    #[test]
    fn key_objects_keep_custom_fields_in_their_keyid() {
        let plain = ed25519(1).key();
        let text = format!(
            "{{ \"x-note\": \"mine\", \"keytype\": \"ed25519\", \"scheme\": \"ed25519\", \"keyval\": {{\"public\": \"{}\"}} }}",
            plain.public()
        );
        let custom = Key::from_json(text.as_bytes()).unwrap();
        assert!(custom.has_custom_fields(), "expected x-note to count as a custom field, got {custom:?}");
        assert_ne!(custom.keyid(), plain.keyid(), "expected the custom field to change the keyid");
        assert_eq!(custom.keyid(), hex::encode(Sha256::digest(custom.canonical_bytes())), "expected the keyid over the canonical bytes");
        assert_eq!(
            (custom.keytype(), custom.scheme(), custom.public()),
            ("ed25519", "ed25519", plain.public()),
            "expected the fields read"
        );
        let rsa_key = rsa(0).key();
        assert_eq!((rsa_key.keytype(), rsa_key.scheme()), ("rsa", "rsassa-pss-sha256"), "expected RSA's keytype and scheme");
        assert!(rsa_key.public().starts_with("-----BEGIN PUBLIC KEY-----"), "expected a PEM public key, got {}", rsa_key.public());
        let debug = format!("{custom:?}");
        assert!(debug.contains(custom.keyid()) && debug.contains("ed25519"), "expected the keyid and type in Debug, got {debug}");
        let from_json = Key::from_json(&plain.to_json_text()).unwrap();
        assert_eq!(from_json.keyid(), plain.keyid(), "expected Key::new and Key::from_json to agree");
        for bad in [&b"{"[..], br#"{"keytype":"ed25519"}"#] {
            let err = Key::from_json(bad).unwrap_err();
            assert!(matches!(err, KeyError::Malformed(_)), "expected {:?} malformed, got {err:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn keyids_match_only_their_own_hash() {
        let key = ed25519(1).key();
        assert!(keyid_matches(key.keyid(), key.canonical_bytes()), "expected the keyid {} to match its key", key.keyid());
        assert!(!keyid_matches(&key.keyid().to_uppercase(), key.canonical_bytes()), "expected {} in upper case not to match", key.keyid());
        assert!(!keyid_matches(&key.keyid()[..63], key.canonical_bytes()), "expected {} cut short not to match", key.keyid());
        assert!(!keyid_matches(&"0".repeat(64), key.canonical_bytes()), "expected 64 zeros not to match the key of {}", key.keyid());
        assert_eq!(short_keyid("0123456789abcdef"), "01234567", "expected the first eight characters");
        assert_eq!(short_keyid("0123"), "0123", "expected a short keyid whole");
    }
}
