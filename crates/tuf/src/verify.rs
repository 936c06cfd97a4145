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
