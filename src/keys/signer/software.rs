//! In-memory keys: the demo's throw-away keys and test keys.

use rand_core::OsRng;

use super::source::{SignError, Signer};
use crate::tuf::key::{Algorithm, Key, KeyError};

/// An in-memory key: for the demo's throw-away keys and for tests. Real ceremonies use
/// tokens and passphrase-derived keys.
pub struct SoftwareSigner {
    secret: SecretKey,
    key: Key,
    label: String,
}

enum SecretKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl SoftwareSigner {
    /// A fresh random key. RSA is not offered: Ceremony never creates RSA keys.
    pub fn generate(algorithm: Algorithm) -> SoftwareSigner {
        let secret = match algorithm {
            Algorithm::Ed25519 | Algorithm::RsaPssSha256 => SecretKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng)),
            Algorithm::EcdsaP256 => SecretKey::P256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            Algorithm::EcdsaP384 => SecretKey::P384(p384::ecdsa::SigningKey::random(&mut OsRng)),
        };
        SoftwareSigner::from_secret(secret, "throw-away software key")
    }

    /// An Ed25519 key from its 32-byte seed.
    pub fn from_ed25519_seed(seed: &[u8; 32], label: &str) -> SoftwareSigner {
        SoftwareSigner::from_secret(SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed)), label)
    }

    /// Uses `key` (as metadata lists it, custom fields and all) as this signer's key
    /// object, so signatures carry its keyid. Refused unless it is this very key.
    pub fn with_key_object(mut self, key: Key) -> Result<SoftwareSigner, KeyError> {
        if key.public_key()?.identity() != self.key.public_key()?.identity() {
            return Err(KeyError::Malformed("the key object is not this signer's public key".into()));
        }
        self.key = key;
        Ok(self)
    }

    fn from_secret(secret: SecretKey, label: &str) -> SoftwareSigner {
        use p256::pkcs8::{EncodePublicKey, LineEnding};
        let key = match &secret {
            SecretKey::Ed25519(k) => Key::new(Algorithm::Ed25519, hex::encode(k.verifying_key().as_bytes())),
            SecretKey::P256(k) => Key::new(Algorithm::EcdsaP256, k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap_or_default()),
            SecretKey::P384(k) => Key::new(Algorithm::EcdsaP384, k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap_or_default()),
        };
        SoftwareSigner { secret, key, label: label.to_string() }
    }
}

impl Signer for SoftwareSigner {
    fn public_key(&self) -> &Key {
        &self.key
    }

    fn describe(&self) -> String {
        self.label.clone()
    }

    fn concurrent(&self) -> Option<&(dyn Signer + Sync)> {
        Some(self)
    }

    fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        use signature::Signer as _;
        Ok(match &self.secret {
            SecretKey::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            SecretKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            SecretKey::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies() {
        for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256, Algorithm::EcdsaP384] {
            let s = SoftwareSigner::generate(alg);
            let sig = s.sign(b"hello").unwrap();
            assert_eq!(sig.keyid, s.public_key().keyid());
            s.public_key().public_key().unwrap().verify(b"hello", &sig.sig).unwrap();
            let got = s.public_key().public_key().unwrap().verify(b"hellp", &sig.sig);
            assert!(got.is_err(), "expected an error, got {:?}", got);
        }
    }
}
