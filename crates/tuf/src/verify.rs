//! Threshold verification: which keys signed, and does that meet the threshold?
//!
//! The count is of distinct keys. An empty `"sig": ""` placeholder never counts; a
//! signature by a key the role does not list never counts; one public key listed under
//! two keyids counts once; and a keyid that appears twice in `signatures` makes the
//! metadata invalid outright, as python-tuf refuses such files too.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::key::{Key, PublicKey};
use crate::metadata::{Delegation, Metadata, MetadataError, RoleType, Signature, TOP_LEVEL_ROLES};

/// What was found for one listed keyid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum KeyState {
    /// A valid signature by this key counts toward the threshold.
    Signed,
    /// A valid signature, but by a key already counted under another keyid.
    SameKeyAsOther { keyid: String },
    /// No signature entry, or only a `""` placeholder.
    Missing { placeholder: bool },
    /// A signature entry that does not verify.
    Invalid { reason: String },
    /// The delegator lists the keyid but has no such key (or it cannot be read).
    Unusable { reason: String },
}

/// The outcome of checking one threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThresholdReport {
    pub role: String,
    pub threshold: u64,
    /// How many distinct valid keys signed.
    pub have: u64,
    /// Per listed keyid, in the delegator's order.
    pub keys: Vec<(String, KeyState)>,
    /// Keyids that appear more than once in `signatures`.
    pub duplicate_keyids: Vec<String>,
}

impl ThresholdReport {
    /// True when enough distinct keys signed and no keyid appears twice in `signatures`.
    pub fn is_met(&self) -> bool {
        self.have >= self.threshold && self.duplicate_keyids.is_empty()
    }

    /// Keyids whose signatures counted.
    pub fn signed(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter(|(_, s)| matches!(s, KeyState::Signed)).map(|(id, _)| id.as_str())
    }

    /// Listed keyids with no signature yet.
    pub fn missing(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter(|(_, s)| matches!(s, KeyState::Missing { .. })).map(|(id, _)| id.as_str())
    }

    /// One plain sentence saying why the threshold is not met, if it is not.
    pub fn failure(&self) -> Option<String> {
        if let Some(id) = self.duplicate_keyids.first() {
            return Some(format!("keyid {} appears more than once in the signatures", crate::key::short_keyid(id)));
        }
        (self.have < self.threshold).then(|| format!("{} of the {} {} keys needed signed validly", self.have, self.threshold, self.role))
    }
}

/// Above this size, signatures are checked in parallel: each Ed25519 check hashes the
/// whole message, about 0.07 s for a 35 MB targets file.
const PARALLEL_FROM_BYTES: usize = 1 << 20;

/// Checks `signatures` over `signed` against a delegation.
pub fn check_threshold(signed: &[u8], signatures: &[Signature], delegation: &Delegation) -> ThresholdReport {
    let mut by_keyid: BTreeMap<&str, Vec<&Signature>> = BTreeMap::new();
    for s in signatures {
        by_keyid.entry(s.keyid.as_str()).or_default().push(s);
    }
    let duplicate_keyids = by_keyid.iter().filter(|(_, v)| v.len() > 1).map(|(k, _)| k.to_string()).collect();
    let mut listed = BTreeSet::new();
    let checks: Vec<(&str, Check)> = delegation
        .keys
        .iter()
        .filter(|(keyid, _)| listed.insert(keyid.as_str()))
        .map(|(keyid, key)| {
            let entries = by_keyid.get(keyid.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            (keyid.as_str(), Check::prepare(entries, key.as_ref()))
        })
        .collect();
    let outcomes = run_checks(signed, &checks);
    let mut counted: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let mut keys = Vec::with_capacity(checks.len());
    for ((keyid, _), outcome) in checks.iter().zip(outcomes) {
        let state = match outcome {
            Outcome::State(state) => state,
            Outcome::Valid(identity) => match counted.get(&identity) {
                Some(other) => KeyState::SameKeyAsOther { keyid: other.clone() },
                None => {
                    counted.insert(identity, keyid.to_string());
                    KeyState::Signed
                }
            },
        };
        keys.push((keyid.to_string(), state));
    }
    ThresholdReport { role: delegation.role.clone(), threshold: delegation.threshold, have: counted.len() as u64, keys, duplicate_keyids }
}

/// What has to be verified for one listed keyid.
enum Check<'s> {
    Done(KeyState),
    Verify(PublicKey, Vec<&'s str>),
}

enum Outcome {
    State(KeyState),
    /// Every signature entry verified; the key's identity, for counting distinct keys.
    Valid(Vec<u8>),
}

impl<'s> Check<'s> {
    fn prepare(entries: &[&'s Signature], key: Option<&Key>) -> Check<'s> {
        let real: Vec<&str> = entries.iter().filter(|s| !s.sig.is_empty()).map(|s| s.sig.as_str()).collect();
        if real.is_empty() {
            return Check::Done(KeyState::Missing { placeholder: !entries.is_empty() });
        }
        let Some(key) = key else {
            return Check::Done(KeyState::Unusable { reason: "the delegator lists this keyid but has no key for it".into() });
        };
        match key.public_key() {
            Ok(public) => Check::Verify(public, real),
            Err(e) => Check::Done(KeyState::Unusable { reason: e.to_string() }),
        }
    }

    fn run(&self, signed: &[u8]) -> Outcome {
        match self {
            Check::Done(state) => Outcome::State(state.clone()),
            Check::Verify(public, sigs) => {
                // With duplicates the metadata is refused anyway; every entry must still
                // verify so the report never calls a bad one good.
                for sig in sigs {
                    if let Err(e) = public.verify(signed, sig) {
                        return Outcome::State(KeyState::Invalid { reason: e.to_string() });
                    }
                }
                Outcome::Valid(public.identity())
            }
        }
    }
}

fn run_checks(signed: &[u8], checks: &[(&str, Check)]) -> Vec<Outcome> {
    let work = checks.iter().filter(|(_, c)| matches!(c, Check::Verify(..))).count();
    if signed.len() < PARALLEL_FROM_BYTES || work < 2 {
        return checks.iter().map(|(_, c)| c.run(signed)).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = checks.iter().map(|(_, c)| scope.spawn(move || c.run(signed))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Outcome::State(KeyState::Invalid { reason: "the signature check failed unexpectedly".into() }))
            })
            .collect()
    })
}

/// Why a role could not be checked under its delegator at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelegateError {
    #[error("{0}")]
    Metadata(#[from] MetadataError),
    #[error("{delegator} metadata does not delegate to a role named {role:?}")]
    NotDelegated { delegator: RoleType, role: String },
    #[error("the {role} role must be {expected} metadata, but this file is {found} metadata")]
    WrongType { role: String, expected: RoleType, found: RoleType },
}

/// Checks `delegate` as role `role` under `delegator` (root for the top-level roles,
/// targets-type metadata for delegated roles), as a TUF client does: the delegate must
/// be of the role's type and carry a threshold of the delegated keys' signatures.
pub fn verify_delegate(delegator: &Metadata, role: &str, delegate: &Metadata) -> Result<ThresholdReport, DelegateError> {
    let (delegation, expected) = match delegator.role_type() {
        RoleType::Root => {
            let root = delegator.root()?;
            let expected = match role {
                "root" => RoleType::Root,
                "targets" => RoleType::Targets,
                "snapshot" => RoleType::Snapshot,
                "timestamp" => RoleType::Timestamp,
                _ => return Err(DelegateError::NotDelegated { delegator: RoleType::Root, role: role.into() }),
            };
            (root.delegation(role), expected)
        }
        RoleType::Targets if !TOP_LEVEL_ROLES.contains(&role) => (delegator.targets()?.delegation(role), RoleType::Targets),
        other => return Err(DelegateError::NotDelegated { delegator: other, role: role.into() }),
    };
    let delegation = delegation.ok_or_else(|| DelegateError::NotDelegated { delegator: delegator.role_type(), role: role.into() })?;
    if delegate.role_type() != expected {
        return Err(DelegateError::WrongType { role: role.into(), expected, found: delegate.role_type() });
    }
    Ok(check_threshold(&delegate.signed_bytes(), delegate.signatures(), &delegation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Key;
    use crate::test_keys::{ed25519, metadata, p256, root_json, rsa, signed_by, simple_root, TestKey};

    const MESSAGE: &[u8] = b"{\"_type\":\"root\",\"the\":\"signed bytes\"}";

    fn delegation(threshold: u64, keys: &[&TestKey]) -> Delegation {
        Delegation::new("root", threshold, keys.iter().map(|k| (k.keyid(), Some(k.key()))))
    }

    fn states(report: &ThresholdReport) -> Vec<KeyState> {
        report.keys.iter().map(|(_, s)| s.clone()).collect()
    }

    fn assert_invalid(state: &KeyState, why: &str) {
        match state {
            KeyState::Invalid { reason } => {
                assert!(reason.contains("does not match"), "expected a bad-signature reason ({why}), got {reason:?}")
            }
            other => panic!("expected Invalid ({why}), got {other:?}"),
        }
    }

    #[test]
    fn distinct_valid_signatures_meet_the_threshold() {
        let (a, b, c) = (ed25519(1), p256(2), rsa(0));
        let sigs = [a.sign(MESSAGE), b.sign(MESSAGE)];
        let report = check_threshold(MESSAGE, &sigs, &delegation(2, &[&a, &b, &c]));
        assert_eq!(report.have, 2, "expected two distinct valid keys, got {report:?}");
        assert_eq!(report.threshold, 2, "expected the delegation's threshold, got {report:?}");
        assert_eq!(report.role, "root", "expected the delegation's role, got {report:?}");
        assert!(report.is_met(), "expected 2 of 2 to be met, got {report:?}");
        assert_eq!(report.failure(), None, "expected no failure sentence, got {report:?}");
        let signed: Vec<&str> = report.signed().collect();
        assert_eq!(signed, [a.keyid(), b.keyid()], "expected a and b signed, got {signed:?}");
        let missing: Vec<&str> = report.missing().collect();
        assert_eq!(missing, [c.keyid()], "expected only c missing, got {missing:?}");
        assert!(report.duplicate_keyids.is_empty(), "expected no duplicate keyids, got {report:?}");
    }

    #[test]
    fn one_short_of_the_threshold_is_not_met_and_says_how_many() {
        let (a, b) = (ed25519(1), ed25519(2));
        let report = check_threshold(MESSAGE, &[a.sign(MESSAGE)], &delegation(2, &[&a, &b]));
        assert_eq!(report.have, 1, "expected one valid key, got {report:?}");
        assert!(!report.is_met(), "expected 1 of 2 not to be met, got {report:?}");
        let failure = report.failure();
        assert_eq!(failure.as_deref(), Some("1 of the 2 root keys needed signed validly"), "expected the count sentence, got {failure:?}");
    }

    #[test]
    fn a_threshold_of_zero_is_met_by_nothing() {
        let a = ed25519(1);
        let report = check_threshold(MESSAGE, &[], &delegation(0, &[&a]));
        assert!(report.is_met(), "expected 0 of 0 to be met (the bound is inclusive), got {report:?}");
        assert_eq!(report.failure(), None, "expected no failure, got {report:?}");
    }

    #[test]
    fn placeholders_and_absent_signatures_are_missing_not_invalid() {
        let (a, b) = (ed25519(1), ed25519(2));
        let sigs = [Signature { keyid: a.keyid(), sig: String::new() }];
        let report = check_threshold(MESSAGE, &sigs, &delegation(1, &[&a, &b]));
        assert_eq!(
            states(&report),
            [KeyState::Missing { placeholder: true }, KeyState::Missing { placeholder: false }],
            "expected a placeholder for a and nothing for b, got {report:?}"
        );
        assert_eq!(report.have, 0, "expected nothing counted, got {report:?}");
        assert_eq!(report.missing().count(), 2, "expected both missing, got {report:?}");
    }

    #[test]
    fn a_signature_over_other_bytes_is_invalid_and_never_counts() {
        for key in [ed25519(1), p256(1), crate::test_keys::p384(1), rsa(0)] {
            let sigs = [key.sign(b"other bytes")];
            let report = check_threshold(MESSAGE, &sigs, &delegation(1, &[&key]));
            assert_invalid(&report.keys[0].1, "a signature over other bytes");
            assert_eq!(report.have, 0, "expected nothing counted, got {report:?}");
            assert!(!report.is_met(), "expected the threshold not met, got {report:?}");
        }
    }

    #[test]
    fn a_signature_under_an_unlisted_keyid_never_counts() {
        let (a, stranger) = (ed25519(1), ed25519(9));
        let report = check_threshold(MESSAGE, &[stranger.sign(MESSAGE)], &delegation(1, &[&a]));
        assert_eq!(states(&report), [KeyState::Missing { placeholder: false }], "expected a missing, got {report:?}");
        assert_eq!(report.have, 0, "expected the stranger's signature not counted, got {report:?}");
    }

    #[test]
    fn one_key_under_two_keyids_counts_once() {
        let a = ed25519(1);
        // The same public key with a custom field: another keyid, the same key material.
        let mut object: serde_json::Value = serde_json::from_slice(&a.key().to_json_text()).unwrap();
        object["x-note"] = serde_json::json!("copy");
        let copy = Key::from_json(&serde_json::to_vec(&object).unwrap()).unwrap();
        assert_ne!(copy.keyid(), a.keyid(), "expected a second keyid for the copy");
        let d = Delegation::new("root", 2, [(a.keyid(), Some(a.key())), (copy.keyid().to_string(), Some(copy.clone()))].into_iter());
        let sig = a.sign(MESSAGE);
        let sigs = [sig.clone(), Signature { keyid: copy.keyid().to_string(), sig: sig.sig.clone() }];
        let report = check_threshold(MESSAGE, &sigs, &d);
        assert_eq!(
            states(&report),
            [KeyState::Signed, KeyState::SameKeyAsOther { keyid: a.keyid() }],
            "expected the copy reported as a's key, got {report:?}"
        );
        assert_eq!(report.have, 1, "expected one distinct key, got {report:?}");
        assert!(!report.is_met(), "expected 1 distinct of 2 not met, got {report:?}");
    }

    #[test]
    fn a_keyid_listed_twice_by_the_delegator_is_reported_once() {
        let a = ed25519(1);
        let d = Delegation::new("root", 1, [(a.keyid(), Some(a.key())), (a.keyid(), Some(a.key()))].into_iter());
        let report = check_threshold(MESSAGE, &[a.sign(MESSAGE)], &d);
        assert_eq!(report.keys, [(a.keyid(), KeyState::Signed)], "expected one entry for the repeated keyid, got {report:?}");
        assert_eq!(report.have, 1, "expected one key counted, got {report:?}");
    }

    #[test]
    fn a_keyid_twice_in_the_signatures_fails_even_with_enough_keys() {
        let (a, b) = (ed25519(1), ed25519(2));
        // Two valid signatures under a's keyid (ECDSA and RSA-PSS are randomized; Ed25519 is
        // not, so the second entry is a's signature over the message with a placeholder's twin).
        let sigs = [a.sign(MESSAGE), a.sign(MESSAGE), b.sign(MESSAGE)];
        let report = check_threshold(MESSAGE, &sigs, &delegation(1, &[&a, &b]));
        assert_eq!(report.duplicate_keyids, [a.keyid()], "expected a's keyid reported twice, got {report:?}");
        assert!(report.have >= report.threshold, "expected enough keys counted, got {report:?}");
        assert!(!report.is_met(), "expected a repeated keyid to fail the threshold, got {report:?}");
        let failure = report.failure().unwrap_or_default();
        assert!(
            failure.contains("appears more than once") && failure.contains(crate::key::short_keyid(&a.keyid())),
            "expected the repeated keyid named, got {failure:?}"
        );
    }

    /// Every signature under a repeated keyid is verified, not only the first: the report
    /// must not call a key Signed when one of its entries is forged (breakage (b) of issue 27).
    #[test]
    fn every_signature_under_a_repeated_keyid_is_verified() {
        for key in [ed25519(1), p256(1), rsa(0)] {
            let good = key.sign(MESSAGE);
            let forged = Signature { keyid: key.keyid(), sig: hex::encode(key.sign_raw(b"something else")) };
            for (order, sigs) in [("good first", [good.clone(), forged.clone()]), ("forged first", [forged.clone(), good.clone()])] {
                let report = check_threshold(MESSAGE, &sigs, &delegation(1, &[&key]));
                assert_invalid(&report.keys[0].1, order);
                assert_eq!(report.have, 0, "expected no key counted ({order}), got {report:?}");
                assert_eq!(report.signed().count(), 0, "expected no key listed as signed ({order}), got {report:?}");
                assert_eq!(report.duplicate_keyids, [key.keyid()], "expected the repeat reported ({order}), got {report:?}");
            }
            // A placeholder beside a real signature is no forgery: the real one counts.
            let with_placeholder = [Signature { keyid: key.keyid(), sig: String::new() }, good.clone()];
            let report = check_threshold(MESSAGE, &with_placeholder, &delegation(1, &[&key]));
            assert_eq!(states(&report), [KeyState::Signed], "expected the real signature to count, got {report:?}");
        }
    }

    #[test]
    fn a_listed_keyid_without_a_usable_key_is_unusable() {
        let a = ed25519(1);
        let no_key = Delegation::new("root", 1, [(a.keyid(), None)].into_iter());
        let report = check_threshold(MESSAGE, &[a.sign(MESSAGE)], &no_key);
        match &report.keys[0].1 {
            KeyState::Unusable { reason } => assert!(reason.contains("has no key"), "expected the missing key named, got {reason:?}"),
            other => panic!("expected Unusable for a keyid without a key, got {other:?}"),
        }
        let odd = Key::from_json(br#"{"keytype":"dsa","scheme":"dsa","keyval":{"public":"00"}}"#).unwrap();
        let unsupported = Delegation::new("root", 1, [(a.keyid(), Some(odd))].into_iter());
        let report = check_threshold(MESSAGE, &[a.sign(MESSAGE)], &unsupported);
        match &report.keys[0].1 {
            KeyState::Unusable { reason } => assert!(reason.contains("not supported"), "expected the key type refused, got {reason:?}"),
            other => panic!("expected Unusable for an unsupported key, got {other:?}"),
        }
        assert_eq!(report.have, 0, "expected nothing counted, got {report:?}");
    }

    /// Large messages are checked in parallel; the outcome must be the same, forgeries included.
    #[test]
    fn large_messages_get_the_same_report() {
        let big = vec![b'x'; PARALLEL_FROM_BYTES + 1];
        let (a, b, c, d) = (ed25519(1), ed25519(2), p256(3), ed25519(4));
        let sigs = [a.sign(&big), b.sign(b"not the message"), c.sign(&big)];
        let report = check_threshold(&big, &sigs, &delegation(2, &[&a, &b, &c, &d]));
        assert_eq!(report.keys[0].1, KeyState::Signed, "expected a signed, got {report:?}");
        assert_invalid(&report.keys[1].1, "b signed other bytes");
        assert_eq!(report.keys[2].1, KeyState::Signed, "expected c signed, got {report:?}");
        assert_eq!(report.keys[3].1, KeyState::Missing { placeholder: false }, "expected d missing, got {report:?}");
        assert_eq!(report.have, 2, "expected two keys counted, got {report:?}");
    }

    fn targets_json(delegated: &[&TestKey]) -> serde_json::Value {
        let mut keys = serde_json::Map::new();
        for k in delegated {
            keys.insert(k.keyid(), serde_json::from_slice(&k.key().to_json_text()).unwrap());
        }
        let keyids: Vec<String> = delegated.iter().map(|k| k.keyid()).collect();
        serde_json::json!({"_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": "2030-01-01T00:00:00Z",
            "targets": {}, "delegations": {"keys": keys, "roles": [{"name": "proj", "keyids": keyids, "threshold": 1,
            "terminating": true, "paths": ["proj/*"]}]}})
    }

    fn role_json(kind: &str) -> serde_json::Value {
        let mut v = serde_json::json!({"_type": kind, "spec_version": "1.0.31", "version": 1, "expires": "2030-01-01T00:00:00Z"});
        match kind {
            "targets" => v["targets"] = serde_json::json!({}),
            "snapshot" => v["meta"] = serde_json::json!({"targets.json": {"version": 1}}),
            "timestamp" => v["meta"] = serde_json::json!({"snapshot.json": {"version": 1}}),
            _ => {}
        }
        v
    }

    #[test]
    fn root_delegates_each_top_level_role_to_its_own_keys() {
        let keys = [ed25519(1), ed25519(2), ed25519(3), ed25519(4)];
        let root =
            metadata(&root_json(1, "2030-01-01T00:00:00Z", [(&[&keys[0]], 1), (&[&keys[1]], 1), (&[&keys[2]], 1), (&[&keys[3]], 1)]), &[]);
        for (i, role) in ["root", "targets", "snapshot", "timestamp"].into_iter().enumerate() {
            let json = if role == "root" { simple_root(2, &[&keys[0]], 1) } else { role_json(role) };
            let right = signed_by(&json, &[&keys[i]]);
            let report = verify_delegate(&root, role, &right).unwrap_or_else(|e| panic!("expected {role} checked, got {e}"));
            assert!(report.is_met(), "expected {role} signed by its key to be met, got {report:?}");
            assert_eq!(report.role, role, "expected the report for {role}, got {report:?}");
            let wrong = signed_by(&json, &[&keys[(i + 1) % 4]]);
            let report = verify_delegate(&root, role, &wrong).unwrap_or_else(|e| panic!("expected {role} checked, got {e}"));
            assert!(!report.is_met(), "expected {role} signed by another role's key not met, got {report:?}");
        }
    }

    #[test]
    fn a_delegate_of_the_wrong_type_is_refused() {
        let k = ed25519(1);
        let root = metadata(&simple_root(1, &[&k], 1), &[]);
        for (role, file) in [("root", "targets"), ("targets", "snapshot"), ("snapshot", "timestamp"), ("timestamp", "root")] {
            let json = if file == "root" { simple_root(1, &[&k], 1) } else { role_json(file) };
            let err = verify_delegate(&root, role, &signed_by(&json, &[&k])).unwrap_err();
            assert!(
                matches!(&err, DelegateError::WrongType { role: r, .. } if r == role),
                "expected {role} refused as {file} metadata, got {err:?}"
            );
            assert!(err.to_string().contains(&format!("but this file is {file} metadata")), "expected the found type named, got {err}");
        }
    }

    #[test]
    fn only_delegated_roles_are_checked() {
        let k = ed25519(1);
        let root = metadata(&simple_root(1, &[&k], 1), &[]);
        let targets_file = signed_by(&role_json("targets"), &[&k]);
        let err = verify_delegate(&root, "proj", &targets_file).unwrap_err();
        assert!(
            matches!(err, DelegateError::NotDelegated { delegator: RoleType::Root, .. }),
            "expected root not to delegate proj, got {err:?}"
        );
        let snapshot = signed_by(&role_json("snapshot"), &[&k]);
        let err = verify_delegate(&snapshot, "proj", &targets_file).unwrap_err();
        assert!(
            matches!(err, DelegateError::NotDelegated { delegator: RoleType::Snapshot, .. }),
            "expected snapshot to delegate nothing, got {err:?}"
        );
        let targets = metadata(&targets_json(&[&k]), &[]);
        for top in ["root", "targets", "snapshot", "timestamp"] {
            let err = verify_delegate(&targets, top, &targets_file).unwrap_err();
            assert!(
                matches!(err, DelegateError::NotDelegated { delegator: RoleType::Targets, .. }),
                "expected targets unable to delegate {top}, got {err:?}"
            );
        }
        // A top-level name is refused before the delegator is read, even a delegator that
        // does not read as targets metadata.
        let mut broken = targets_json(&[&k]);
        broken["delegations"]["succinct_roles"] = serde_json::json!({"keyids": [], "threshold": 1, "bit_length": 1, "name_prefix": "b"});
        let broken = metadata(&broken, &[]);
        assert!(broken.targets().is_err(), "expected targets with both roles and succinct_roles unreadable, got {:?}", broken.targets());
        let err = verify_delegate(&broken, "snapshot", &targets_file).unwrap_err();
        assert!(
            matches!(err, DelegateError::NotDelegated { delegator: RoleType::Targets, .. }),
            "expected snapshot refused as a delegated role before reading the delegator, got {err:?}"
        );
        let err = verify_delegate(&targets, "other", &targets_file).unwrap_err();
        assert!(matches!(err, DelegateError::NotDelegated { .. }), "expected an undelegated name refused, got {err:?}");
        assert!(err.to_string().contains("\"other\""), "expected the role named, got {err}");
    }

    #[test]
    fn targets_delegate_to_their_roles_keys() {
        let (k, other) = (p256(1), p256(2));
        let targets = metadata(&targets_json(&[&k]), &[]);
        let report = verify_delegate(&targets, "proj", &signed_by(&role_json("targets"), &[&k])).unwrap();
        assert!(report.is_met(), "expected proj signed by its key met, got {report:?}");
        let report = verify_delegate(&targets, "proj", &signed_by(&role_json("targets"), &[&other])).unwrap();
        assert!(!report.is_met(), "expected proj signed by another key not met, got {report:?}");
        let err = verify_delegate(&targets, "proj", &signed_by(&role_json("snapshot"), &[&k])).unwrap_err();
        assert!(
            matches!(err, DelegateError::WrongType { expected: RoleType::Targets, .. }),
            "expected a non-targets delegate refused, got {err:?}"
        );
    }
}
