//! Keyholders: who holds which key, and where its private half lives.
//!
//! A holder's descriptor is public: the TUF key object and how to reach the private key
//! (a YubiKey's serial and slot, a PKCS#11 token and key label, the KDF parameters of a
//! passphrase key). It never holds a secret.

use serde::{Deserialize, Serialize};

use crate::tuf::key::{Key, KeyError};

/// Where a holder's private key lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KeySource {
    /// Ed25519 derived from a passphrase with Argon2id; nothing secret is stored. See
    /// `signer::passphrase` and docs/passphrase-keys.md.
    Passphrase {
        /// How the key is derived: `ceremony-passphrase-v1` (salt from the holder name,
        /// Argon2id v1.3, 32-byte output as the Ed25519 seed).
        #[serde(default = "passphrase_construction_v1")]
        construction: String,
        /// `ceremony` (strong) or `test` (fast, unsafe, marked everywhere it is shown).
        profile: String,
        /// Argon2id memory in KiB, iterations, lanes.
        memory_kib: u32,
        iterations: u32,
        lanes: u32,
    },
    /// ECDSA P-256 in a YubiKey PIV slot.
    Yubikey {
        serial: u32,
        slot: String,
        /// PEM certificates proving the key was generated on the device, if it offers them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attestation: Option<Attestation>,
        /// The slot's touch policy when the key was registered: as the device reported it, or
        /// as generated; absent when the device does not say.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        touch_policy: Option<TouchPolicyName>,
    },
    /// A key in a PKCS#11 token.
    Pkcs11 { module: String, token: String, key_label: String },
    /// Only the public key is known here (for example the online key).
    PublicOnly,
}

fn passphrase_construction_v1() -> String {
    PASSPHRASE_CONSTRUCTION.to_string()
}

/// PIV attestation as recorded at registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The slot's attestation certificate (PEM), certifying the slot's public key.
    pub slot_certificate: String,
    /// The device's attestation certificate (PEM), which signed the slot certificate.
    pub device_certificate: String,
    /// What was checked at registration, in plain words.
    pub verified: String,
    /// How far the check went, for machines. Descriptors written before the state existed
    /// recorded only the key check, hence the default.
    #[serde(default)]
    pub state: AttestationState,
}

/// How far a PIV attestation was verified at registration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationState {
    /// Slot certificate → device (F9) certificate → the vendor root given with --attestation-root,
    /// every signature verified, and the slot certificate certifies the registered key.
    ChainVerified,
    /// The slot certificate certifies the key and is signed by the device certificate; no root given.
    DeviceVerified,
    /// Only that the slot certificate certifies the registered key.
    #[default]
    KeyOnly,
    /// The device offered no attestation.
    None,
}

impl AttestationState {
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationState::ChainVerified => "chain-verified",
            AttestationState::DeviceVerified => "device-verified",
            AttestationState::KeyOnly => "key-only",
            AttestationState::None => "none",
        }
    }
}

impl KeySource {
    /// Where the private key lives, for people.
    pub fn describe(&self, holder: &str) -> String {
        match self {
            KeySource::Passphrase { profile, .. } if self.is_unsafe() => {
                format!("passphrase key of {holder} ({} KDF PROFILE: UNSAFE for real keys)", profile.to_uppercase())
            }
            KeySource::Passphrase { .. } => format!("passphrase key of {holder}"),
            KeySource::Yubikey { serial, slot, touch_policy: Some(t), .. } => {
                format!("YubiKey serial {serial}, slot {slot}, touch policy {t}")
            }
            KeySource::Yubikey { serial, slot, .. } => format!("YubiKey serial {serial}, slot {slot}"),
            KeySource::Pkcs11 { token, key_label, .. } => format!("PKCS#11 token {token:?}, key {key_label:?}"),
            KeySource::PublicOnly => "public key only (private key elsewhere)".to_string(),
        }
    }

    /// The attestation state of a YubiKey key; None for other sources.
    pub fn attestation_state(&self) -> Option<AttestationState> {
        match self {
            KeySource::Yubikey { attestation: Some(a), .. } => Some(a.state),
            KeySource::Yubikey { attestation: None, .. } => Some(AttestationState::None),
            _ => None,
        }
    }

    /// True for keys made with the fast test KDF profile, or with less Argon2 memory than
    /// the strong profile's floor whatever the profile is called.
    pub fn is_unsafe(&self) -> bool {
        matches!(self, KeySource::Passphrase { profile, memory_kib, .. }
            if profile == "test" || *memory_kib < MIN_SAFE_MEMORY_KIB)
    }
}

/// A registered keyholder.
#[derive(Debug, Clone)]
pub struct Holder {
    pub name: String,
    pub key: Key,
    pub source: KeySource,
    /// When the holder was registered (`YYYY-MM-DDTHH:MM:SSZ`).
    pub registered: String,
}

#[derive(Serialize, Deserialize)]
struct HolderFile {
    holder: String,
    keyid: String,
    key: Box<serde_json::value::RawValue>,
    source: KeySource,
    registered: String,
}

/// Why a holder descriptor cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolderError {
    #[error("{0:?} is not a usable holder name; use 1 to 64 letters, digits, '@', '.', '_' or '-', starting with a letter, digit or '@'")]
    BadName(String),
    #[error("the holder file is not valid: {0}")]
    Malformed(String),
    #[error("the holder file's keyid {listed} does not match its key ({computed}); the file was altered")]
    KeyidMismatch { listed: String, computed: String },
    #[error("the holder's key: {0}")]
    Key(#[from] KeyError),
}

/// Checks a holder name: it becomes a file name, so no separators or dot-names.
pub fn check_name(name: &str) -> Result<(), HolderError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'.' | b'_' | b'-'))
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'@');
    if ok {
        Ok(())
    } else {
        Err(HolderError::BadName(name.to_string()))
    }
}

/// The roles a person may hold a key of their own for (`--for ROLE`): the roles whose keys
/// must differ (see `exclusive_keys`).
pub const RECORD_ROLES: [&str; 3] = ["root", "targets", "claimed"];

/// The holder record for `person`'s key for `role` (`alice.claimed`), or `person` itself.
pub fn record_name(person: &str, role: Option<&str>) -> String {
    match role {
        Some(role) => format!("{person}.{role}"),
        None => person.to_string(),
    }
}

/// The person and role of a record named `PERSON.ROLE` (ROLE one of [`RECORD_ROLES`]).
pub fn split_record(name: &str) -> Option<(&str, &str)> {
    let (person, role) = name.rsplit_once('.')?;
    (!person.is_empty() && RECORD_ROLES.contains(&role)).then_some((person, role))
}

/// The person a record belongs to: `alice` for `alice.claimed` and for `alice`.
pub fn person_of(name: &str) -> &str {
    split_record(name).map_or(name, |(person, _)| person)
}

/// `person`'s records: `person` itself (if registered) and every `person.ROLE`, in that order.
pub fn records_of<'h>(holders: &'h [Holder], person: &str) -> Vec<&'h Holder> {
    let own = holders.iter().filter(|h| h.name == person);
    let more = holders.iter().filter(|h| split_record(&h.name).is_some_and(|(p, _)| p == person));
    own.chain(more).collect()
}

impl Holder {
    /// The descriptor file's JSON.
    pub fn to_json(&self) -> Vec<u8> {
        // The key object is Ceremony's own standard form, always valid JSON.
        let key: serde_json::Value = serde_json::from_slice(&self.key.to_json_text()).unwrap_or_default();
        let file = serde_json::json!({
            "holder": self.name,
            "keyid": self.key.keyid(),
            "key": key,
            "source": self.source,
            "registered": self.registered,
        });
        let mut out = serde_json::to_vec_pretty(&file).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Reads a descriptor file's JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Holder, HolderError> {
        let file: HolderFile = serde_json::from_slice(bytes).map_err(|e| HolderError::Malformed(e.to_string()))?;
        check_name(&file.holder)?;
        let key = Key::from_json(file.key.get().as_bytes())?;
        key.public_key()?;
        if key.keyid() != file.keyid {
            return Err(HolderError::KeyidMismatch { listed: file.keyid, computed: key.keyid().to_string() });
        }
        Ok(Holder { name: file.holder, key, source: file.source, registered: file.registered })
    }

    /// "ed25519 3f2a9c01 (YubiKey serial 123, slot 9c)" and the like.
    pub fn describe(&self) -> String {
        self.source.describe(&self.name)
    }
}

/// The passphrase construction's name, recorded in every passphrase holder's descriptor
/// (src/keys/signer/passphrase.rs derives keys under it).
pub const PASSPHRASE_CONSTRUCTION: &str = "ceremony-passphrase-v1";

/// A passphrase key made with less Argon2 memory than this is shown as unsafe wherever it
/// appears.
pub const MIN_SAFE_MEMORY_KIB: u32 = 1024 * 1024;

/// A slot's touch policy, as people and holder records name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TouchPolicyName {
    /// A touch before every signature.
    Always,
    /// One touch covers the signatures of the next 15 seconds.
    Cached,
    /// No touch: the device signs whenever the PIN was verified.
    Never,
}

impl TouchPolicyName {
    pub fn as_str(self) -> &'static str {
        match self {
            TouchPolicyName::Always => "always",
            TouchPolicyName::Cached => "cached",
            TouchPolicyName::Never => "never",
        }
    }
}

impl std::fmt::Display for TouchPolicyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::signer::{Signer, SoftwareSigner};
    use crate::tuf::key::Algorithm;

    #[test]
    fn names() {
        for good in ["alice", "@alice", "bob.smith", "key_2", "A-1"] {
            check_name(good).unwrap();
        }
        for bad in ["", ".", "..", "-x", "a/b", "a b", "ä", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn records_of_a_person() {
        assert_eq!(record_name("alice", Some("claimed")), "alice.claimed");
        assert_eq!(split_record("alice.claimed"), Some(("alice", "claimed")));
        assert_eq!(split_record("bob.smith"), None);
        assert_eq!(person_of("alice.targets"), "alice");
        assert_eq!(person_of("bob.smith"), "bob.smith");
        let h = |name: &str| Holder {
            name: name.into(),
            key: SoftwareSigner::generate(Algorithm::Ed25519).public_key().clone(),
            source: KeySource::PublicOnly,
            registered: String::new(),
        };
        let all = [h("alice.claimed"), h("alice"), h("alice.smith"), h("bob.claimed")];
        let names: Vec<&str> = records_of(&all, "alice").iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["alice", "alice.claimed"]);
    }

    #[test]
    fn round_trip_and_tamper() {
        let s = SoftwareSigner::generate(Algorithm::EcdsaP256);
        let h = Holder {
            name: "alice".into(),
            key: s.public_key().clone(),
            source: KeySource::Yubikey { serial: 123, slot: "9c".into(), attestation: None, touch_policy: None },
            registered: "2026-01-01T00:00:00Z".into(),
        };
        let json = h.to_json();
        let back = Holder::from_json(&json).unwrap();
        assert_eq!(back.key, h.key);
        assert_eq!(back.source, h.source);
        let other = SoftwareSigner::generate(Algorithm::EcdsaP256);
        let text = String::from_utf8(json).unwrap().replace(h.key.keyid(), other.public_key().keyid());
        let got = Holder::from_json(text.as_bytes());
        assert!(matches!(got, Err(HolderError::KeyidMismatch { .. })), "expected Err(HolderError::KeyidMismatch {{ .. }}), got {:?}", got);
    }
}
