//! Unlocking keys held in hardware tokens (YubiKey PIV, PKCS#11).

use std::path::Path;

use super::Refusal;
use crate::holder::{Holder, KeySource};
use crate::signer::Signer;

/// The signer for a token-held key, after asking for its PIN.
pub(super) fn unlock(holder: &Holder, source: &KeySource, _pin_file: Option<&Path>) -> Result<Box<dyn Signer>, Refusal> {
    Err(Refusal::failed(format!(
        "{} ({}) cannot sign in this build: hardware token signing is not available yet",
        holder.name,
        source.describe(&holder.name)
    )))
}
