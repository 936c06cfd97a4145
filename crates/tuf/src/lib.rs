//! ceremony-tuf: the TUF rules, and nothing of PyPI or of the ceremony (layer 1, the bottom
//! of Ceremony; the `ceremony` crate re-exports it as `ceremony::tuf`).
//!
//! What a client of the TUF specification enforces on the files we write: canonical JSON
//! (the bytes signatures cover), keys and keyids, the signed envelope and typed views of
//! root, targets, snapshot and timestamp, threshold counting over distinct keys, the root
//! chain, and metadata times. Everything here works on bytes and values given to it: no file
//! but the one [`metadata::Metadata::from_file`] is asked to read, no workspace, no prompt.
//!
//! A crate of its own so that the compiler keeps it so: it cannot name anything of the
//! layers above it. Everything above may use it.

#![forbid(unsafe_code)]

pub mod build;
pub mod canonical;
pub mod chain;
pub mod datetime;
pub mod jsonview;
pub mod key;
pub mod limits;
pub mod metadata;
pub mod verify;
pub mod wire;

/// Keys made by the tests themselves, and metadata signed with them: the crate's tests need
/// no fixture files and no other crate. Inline here rather than a file of its own, so the
/// module list in docs/architecture.md stays the crate's real modules.
#[cfg(test)]
pub(crate) mod test_keys {
    use std::sync::OnceLock;

    use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};

    use crate::key::{Algorithm, Key};
    use crate::metadata::{Metadata, Signature};

    /// A private key of one of the four algorithms, and how it signs.
    pub enum TestKey {
        Ed25519(ed25519_dalek::SigningKey),
        P256(p256::ecdsa::SigningKey),
        P384(p384::ecdsa::SigningKey),
        /// The key, and the salt length it signs with (verifiers accept 32 and the maximum).
        Rsa(rsa::RsaPrivateKey, usize),
    }

    /// A different Ed25519 key per seed.
    pub fn ed25519(seed: u8) -> TestKey {
        TestKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
    }

    pub fn p256(seed: u8) -> TestKey {
        let scalar = [seed.max(1); 32];
        TestKey::P256(p256::ecdsa::SigningKey::from_slice(&scalar).expect("a small constant scalar is a valid P-256 key"))
    }

    pub fn p384(seed: u8) -> TestKey {
        let scalar = [seed.max(1); 48];
        TestKey::P384(p384::ecdsa::SigningKey::from_slice(&scalar).expect("a small constant scalar is a valid P-384 key"))
    }

    /// One of two 2048-bit RSA keys (0 or 1), generated once per test run: generation is slow.
    pub fn rsa_private(which: usize) -> rsa::RsaPrivateKey {
        static KEYS: OnceLock<[rsa::RsaPrivateKey; 2]> = OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            let make = || rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("generating a 2048-bit RSA key");
            [make(), make()]
        });
        keys[which].clone()
    }

    /// An RSA key signing with the digest-length salt (securesystemslib's choice).
    pub fn rsa(which: usize) -> TestKey {
        TestKey::Rsa(rsa_private(which), 32)
    }

    impl TestKey {
        /// The key object metadata lists for this key, as Ceremony writes it.
        pub fn key(&self) -> Key {
            use elliptic_curve::pkcs8::{EncodePublicKey, LineEnding};
            match self {
                TestKey::Ed25519(k) => Key::new(Algorithm::Ed25519, hex::encode(k.verifying_key().as_bytes())),
                TestKey::P256(k) => Key::new(Algorithm::EcdsaP256, k.verifying_key().to_public_key_pem(LineEnding::LF).expect("P-256 PEM")),
                TestKey::P384(k) => Key::new(Algorithm::EcdsaP384, k.verifying_key().to_public_key_pem(LineEnding::LF).expect("P-384 PEM")),
                TestKey::Rsa(k, _) => Key::new(
                    Algorithm::RsaPssSha256,
                    rsa::pkcs8::EncodePublicKey::to_public_key_pem(&k.to_public_key(), LineEnding::LF).expect("RSA PEM"),
                ),
            }
        }

        pub fn keyid(&self) -> String {
            self.key().keyid().to_string()
        }

        /// Raw signature bytes over `message`, as each scheme's TUF signature carries them.
        pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
            match self {
                TestKey::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
                TestKey::P256(k) => Signer::<p256::ecdsa::Signature>::sign(k, message).to_der().as_bytes().to_vec(),
                TestKey::P384(k) => Signer::<p384::ecdsa::Signature>::sign(k, message).to_der().as_bytes().to_vec(),
                TestKey::Rsa(k, salt) => {
                    let signer = rsa::pss::SigningKey::<sha2::Sha256>::new_with_salt_len(k.clone(), *salt);
                    signer.sign_with_rng(&mut rand_core::OsRng, message).to_vec()
                }
            }
        }

        /// A signature entry over `message` under this key's keyid.
        pub fn sign(&self, message: &[u8]) -> Signature {
            Signature { keyid: self.keyid(), sig: hex::encode(self.sign_raw(message)) }
        }
    }

    /// `signed` (JSON text of a `signed` object) as metadata carrying `signatures`.
    pub fn metadata(signed: &serde_json::Value, signatures: &[Signature]) -> Metadata {
        let text = serde_json::to_vec(&serde_json::json!({"signed": signed, "signatures": signatures})).expect("JSON of a JSON value");
        Metadata::from_slice(&text).unwrap_or_else(|e| panic!("expected the test's metadata to read, got {e}"))
    }

    /// `signed` as metadata signed by each of `signers` over its canonical bytes.
    pub fn signed_by(signed: &serde_json::Value, signers: &[&TestKey]) -> Metadata {
        let unsigned = metadata(signed, &[]);
        let bytes = unsigned.signed_bytes().into_owned();
        let signatures: Vec<Signature> = signers.iter().map(|k| k.sign(&bytes)).collect();
        metadata(signed, &signatures)
    }

    /// A root `signed` object: each role as (keys, threshold), in the order root, targets,
    /// snapshot, timestamp; every key is listed under its own keyid.
    pub fn root_json(version: u64, expires: &str, roles: [(&[&TestKey], u64); 4]) -> serde_json::Value {
        let mut keys = serde_json::Map::new();
        let mut role_map = serde_json::Map::new();
        for (name, (signers, threshold)) in ["root", "targets", "snapshot", "timestamp"].into_iter().zip(roles) {
            let mut keyids = Vec::new();
            for k in signers {
                let key = k.key();
                let value: serde_json::Value = serde_json::from_slice(&key.to_json_text()).expect("a key object is JSON");
                keys.insert(key.keyid().to_string(), value);
                keyids.push(key.keyid().to_string());
            }
            role_map.insert(name.to_string(), serde_json::json!({"keyids": keyids, "threshold": threshold}));
        }
        serde_json::json!({"_type": "root", "spec_version": "1.0.31", "version": version, "consistent_snapshot": true,
            "expires": expires, "keys": keys, "roles": role_map})
    }

    /// A root whose four roles all use `keys` with `threshold`, expiring in 2030.
    pub fn simple_root(version: u64, keys: &[&TestKey], threshold: u64) -> serde_json::Value {
        root_json(version, "2030-01-01T00:00:00Z", [(keys, threshold), (keys, threshold), (keys, threshold), (keys, threshold)])
    }
}
