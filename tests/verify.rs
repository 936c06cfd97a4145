//! Threshold counting (crates/tuf/src/verify.rs) with signatures made by Ceremony's own
//! software signer, which the TUF crate cannot use: valid signatures count once per key,
//! placeholders, repeats, strangers and signatures over other bytes never do.

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::key::{Algorithm, Key};
use ceremony::tuf::metadata::{Delegation, Signature};
use ceremony::tuf::verify::{check_threshold, KeyState};

fn delegation(threshold: u64, keys: &[&Key]) -> Delegation {
    Delegation::new("root", threshold, keys.iter().map(|k| (k.keyid().to_string(), Some((*k).clone()))))
}

#[test]
fn counts_valid_signatures() {
    let a = SoftwareSigner::generate(Algorithm::Ed25519);
    let b = SoftwareSigner::generate(Algorithm::EcdsaP256);
    let msg = b"{\"x\":1}";
    let sigs = vec![a.sign(msg).unwrap(), b.sign(msg).unwrap()];
    let r = check_threshold(msg, &sigs, &delegation(2, &[a.public_key(), b.public_key()]));
    assert!(r.is_met(), "{r:?}");
    assert_eq!(r.have, 2);
}

#[test]
fn placeholder_never_counts() {
    let a = SoftwareSigner::generate(Algorithm::Ed25519);
    let msg = b"{}";
    let sigs = vec![Signature { keyid: a.public_key().keyid().into(), sig: String::new() }];
    let r = check_threshold(msg, &sigs, &delegation(1, &[a.public_key()]));
    assert!(!r.is_met(), "expected `!r.is_met()`; r = {:?}", r);
    assert_eq!(r.keys[0].1, KeyState::Missing { placeholder: true });
}

#[test]
fn duplicate_keyid_fails() {
    let a = SoftwareSigner::generate(Algorithm::Ed25519);
    let msg = b"{}";
    let s = a.sign(msg).unwrap();
    let r = check_threshold(msg, &[s.clone(), s], &delegation(1, &[a.public_key()]));
    assert_eq!(r.have, 1);
    assert!(!r.is_met(), "expected `!r.is_met()`; r = {:?}", r);
    let got = r.failure().unwrap();
    assert!(got.contains("more than once"), "expected {:?} to contain {:?}", got, "more than once");
}

#[test]
fn signature_over_other_bytes_is_invalid() {
    let a = SoftwareSigner::generate(Algorithm::EcdsaP384);
    let s = a.sign(b"{\"a\":1}").unwrap();
    let r = check_threshold(b"{\"a\":2}", &[s], &delegation(1, &[a.public_key()]));
    assert!(matches!(r.keys[0].1, KeyState::Invalid { .. }), "expected KeyState::Invalid {{ .. }}, got {:?}", r.keys[0].1);
    assert!(!r.is_met(), "expected `!r.is_met()`; r = {:?}", r);
}

#[test]
fn unlisted_signer_does_not_count() {
    let a = SoftwareSigner::generate(Algorithm::Ed25519);
    let stranger = SoftwareSigner::generate(Algorithm::Ed25519);
    let msg = b"{}";
    let r = check_threshold(msg, &[stranger.sign(msg).unwrap()], &delegation(1, &[a.public_key()]));
    assert_eq!(r.have, 0);
}
