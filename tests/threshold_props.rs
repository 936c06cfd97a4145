//! Property tests for threshold counting: whatever mix of valid, invalid, placeholder,
//! duplicated, aliased and stranger signatures a file carries, the count is the number of
//! distinct keys with a valid signature, and a duplicated keyid never passes.

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::key::{Algorithm, Key};
use ceremony::tuf::metadata::Delegation;
use ceremony::tuf::metadata::Signature;
use ceremony::tuf::verify::check_threshold;
use proptest::prelude::*;

const MESSAGE: &[u8] = b"{\"_type\":\"root\",\"version\":2}";

#[derive(Debug, Clone, Copy)]
enum Entry {
    None,
    Valid,
    Placeholder,
    OverOtherBytes,
    Garbage,
    ValidTwice,
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        Just(Entry::None),
        Just(Entry::Valid),
        Just(Entry::Placeholder),
        Just(Entry::OverOtherBytes),
        Just(Entry::Garbage),
        Just(Entry::ValidTwice),
    ]
}

fn alias_of(key: &Key) -> Key {
    let mut value: serde_json::Value = serde_json::from_slice(&key.to_json_text()).unwrap();
    value["x-alias"] = serde_json::json!("same key, other keyid");
    Key::from_json(&serde_json::to_vec(&value).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn counts_distinct_valid_keys(
        entries in prop::collection::vec(entry(), 1..6),
        alias in any::<bool>(),
        alias_entry in entry(),
        strangers in 0usize..3,
        threshold_pick in 1u64..8,
    ) {
        let signers: Vec<SoftwareSigner> = entries.iter().map(|_| SoftwareSigner::generate(Algorithm::Ed25519)).collect();
        let mut listed: Vec<(String, Option<Key>)> =
            signers.iter().map(|s| (s.public_key().keyid().to_string(), Some(s.public_key().clone()))).collect();
        let mut sigs = Vec::new();
        let mut valid_keys = 0u64;
        let mut duplicated = false;
        let push = |signer: &dyn Signer, e: Entry, sigs: &mut Vec<Signature>| -> bool {
            let keyid = signer.public_key().keyid().to_string();
            match e {
                Entry::None => false,
                Entry::Valid => { sigs.push(signer.sign(MESSAGE).unwrap()); true }
                Entry::Placeholder => { sigs.push(Signature { keyid, sig: String::new() }); false }
                Entry::OverOtherBytes => { sigs.push(signer.sign(b"{}").unwrap()); false }
                Entry::Garbage => { sigs.push(Signature { keyid, sig: "zz".into() }); false }
                Entry::ValidTwice => { let s = signer.sign(MESSAGE).unwrap(); sigs.push(s.clone()); sigs.push(s); true }
            }
        };
        for (s, e) in signers.iter().zip(&entries) {
            if push(s, *e, &mut sigs) { valid_keys += 1; }
            duplicated |= matches!(e, Entry::ValidTwice);
        }
        if alias {
            let first = &signers[0];
            let alias_key = alias_of(first.public_key());
            listed.push((alias_key.keyid().to_string(), Some(alias_key.clone())));
            // The alias signs with the first signer's private key under the alias keyid.
            let aliased = AliasSigner { inner: first, key: alias_key };
            let alias_valid = push(&aliased, alias_entry, &mut sigs);
            duplicated |= matches!(alias_entry, Entry::ValidTwice);
            // One key counts once: only add when the first keyid did not already count.
            if alias_valid && !matches!(entries[0], Entry::Valid | Entry::ValidTwice) { valid_keys += 1; }
        }
        for _ in 0..strangers {
            sigs.push(SoftwareSigner::generate(Algorithm::Ed25519).sign(MESSAGE).unwrap());
        }
        let threshold = threshold_pick.min(listed.len() as u64);
        let report = check_threshold(MESSAGE, &sigs, &Delegation { role: "root".into(), threshold, keys: listed });
        prop_assert_eq!(report.have, valid_keys);
        prop_assert_eq!(report.is_met(), valid_keys >= threshold && !duplicated);
    }
}

struct AliasSigner<'a> {
    inner: &'a SoftwareSigner,
    key: Key,
}

impl Signer for AliasSigner<'_> {
    fn public_key(&self) -> &Key {
        &self.key
    }
    fn describe(&self) -> String {
        "alias".into()
    }
    fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, ceremony::keys::signer::SignError> {
        self.inner.sign_raw(message)
    }
}
