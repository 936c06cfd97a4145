//! The one trait every key source implements, and why a signature could not be made.

use crate::tuf::key::{Key, KeyError};
use crate::tuf::metadata::Signature;

/// Why a signature could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("{device} could not sign: {reason}")]
    Device { device: String, reason: String },
    #[error("{device} produced a signature that does not verify against its registered public key ({source}); nothing was stored")]
    DoesNotVerify { device: String, source: KeyError },
}

/// A key source that can sign.
pub trait Signer {
    /// The TUF key object of this signer's public key.
    fn public_key(&self) -> &Key;

    /// Where the private key lives, for people: "YubiKey serial 12345678, slot 9c".
    fn describe(&self) -> String;

    /// Signs `message` and returns the raw signature bytes (Ed25519: 64 bytes; ECDSA: DER).
    fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;

    /// This signer, when it may sign from several threads at once (a key in memory).
    /// Devices sign one message at a time and keep the default.
    fn concurrent(&self) -> Option<&(dyn Signer + Sync)> {
        None
    }

    /// Signs `message` (the canonical bytes of `signed`) and checks the signature.
    fn sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        let raw = self.sign_raw(message)?;
        let key = self.public_key();
        let public = key.public_key().map_err(|source| SignError::DoesNotVerify { device: self.describe(), source })?;
        public.verify_raw(message, &raw).map_err(|source| SignError::DoesNotVerify { device: self.describe(), source })?;
        Ok(Signature { keyid: key.keyid().to_string(), sig: hex::encode(raw) })
    }
}
