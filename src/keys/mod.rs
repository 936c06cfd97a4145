//! Who holds which key and how a signature is made (layer 2, beside [`crate::pypi`]).
//!
//! [`holder`] is the public record of a keyholder (name, public key, where the private key
//! lives: a YubiKey slot, a PKCS#11 token, a passphrase, or nowhere here). [`signer`] makes
//! signatures from those sources; [`attestation`] checks a YubiKey's word that a key was
//! generated on the device; [`pkcs11_module`] decides which PKCS#11 modules this machine
//! will load (never one a workspace chooses).
//!
//! May use: [`crate::tuf`], [`crate::support`]; not [`crate::pypi`] beside it. Never the workspace: a signer signs the bytes
//! it is given.

pub mod attestation;
pub mod holder;
pub mod pkcs11_module;
pub mod signer;
