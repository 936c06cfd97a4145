//! Fuzz target: a signatures file read as `ceremony signature import` reads it
//! (`signing::parse_signature_file`) must never panic; whatever it accepts must meet its
//! stated rules and survive a write and a re-read unchanged; and checking each accepted
//! signature against a fixed key (Ed25519 and ECDSA P-256) must not panic either.
#![no_main]

use std::sync::OnceLock;

use ceremony::tuf::key::{Algorithm, Key};
use ceremony::tuf::metadata::Signature;
use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::workspace::signing::parse_signature_file;
use ceremony::tuf::verify::check_threshold;
use ceremony::tuf::metadata::Delegation;
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static [Key] {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    KEYS.get_or_init(|| {
        vec![
            SoftwareSigner::from_ed25519_seed(&[7; 32], "fuzz").public_key().clone(),
            SoftwareSigner::generate(Algorithm::EcdsaP256).public_key().clone(),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(file) = parse_signature_file(data) else { return };
    assert!(!file.holder.is_empty());
    for e in &file.signatures {
        assert!(e.version >= 1);
        assert_eq!(e.keyid.len(), 64);
        assert!(!e.sig.is_empty());
    }
    let again = serde_json::to_vec_pretty(&file).expect("a parsed file serializes");
    assert_eq!(parse_signature_file(&again).expect("what we write reads back"), file);
    for e in file.signatures.iter().take(16) {
        for key in keys() {
            // The entry's signature under the fixed key's keyid, so it is really checked.
            let sig = Signature { keyid: key.keyid().to_string(), sig: e.sig.clone() };
            let d = Delegation::new("root", 1, std::iter::once((key.keyid().to_string(), Some(key.clone()))));
            let _ = check_threshold(e.digest.as_bytes(), std::slice::from_ref(&sig), &d);
        }
    }
});
