//! Things that make signatures: one trait for every key source.
//!
//! Every source only produces raw signature bytes; [`Signer::sign`] turns them into a TUF
//! signature and verifies it against the registered public key before returning it, so a
//! token that signs with the wrong key or garbles a signature is caught at once.

pub mod passphrase;
pub mod pkcs11;
mod software;
pub mod source;
pub mod yubikey;

pub use passphrase::PassphraseSigner;
pub use software::SoftwareSigner;
pub use source::{SignError, Signer};
