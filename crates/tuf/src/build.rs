//! Building new `signed` objects. What is built here is canonical from the start and
//! carries no custom fields.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::canonical::{self, CanonicalError};
use crate::datetime::format_expires;
use crate::key::Key;
use crate::metadata::SPEC_VERSION;

/// A top-level role as root defines it.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    pub keys: Vec<Key>,
    pub threshold: u64,
}

/// Everything root version N says.
#[derive(Debug, Clone)]
pub struct RootSpec {
    pub version: u64,
    pub expires: OffsetDateTime,
    pub root: RoleSpec,
    pub targets: RoleSpec,
    pub snapshot: RoleSpec,
    pub timestamp: RoleSpec,
}

fn key_value(key: &Key) -> Result<Value, CanonicalError> {
    serde_json::from_slice(&key.to_json_text()).map_err(|e| CanonicalError::Serialize { message: e.to_string() })
}

impl RootSpec {
    /// The canonical bytes of this root's `signed` object.
    pub fn to_signed(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut keys = Map::new();
        let mut roles = BTreeMap::new();
        for (name, role) in [("root", &self.root), ("targets", &self.targets), ("snapshot", &self.snapshot), ("timestamp", &self.timestamp)]
        {
            let mut keyids = Vec::new();
            for key in &role.keys {
                keys.insert(key.keyid().to_string(), key_value(key)?);
                keyids.push(key.keyid().to_string());
            }
            roles.insert(name, json!({"keyids": keyids, "threshold": role.threshold}));
        }
        canonical::to_canonical(&json!({
            "_type": "root",
            "spec_version": SPEC_VERSION,
            "version": self.version,
            "expires": format_expires(self.expires),
            "consistent_snapshot": true,
            "keys": keys,
            "roles": roles,
        }))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::metadata::Metadata;
    use crate::test_keys::{ed25519, p256, rsa};

    #[test]
    fn a_built_root_reads_back_as_specified() {
        let (a, b, c) = (ed25519(1), p256(2), rsa(0));
        let role = |keys: Vec<Key>, threshold| RoleSpec { keys, threshold };
        let spec = RootSpec {
            version: 7,
            expires: datetime!(2031-02-03 04:05:06.7 UTC),
            root: role(vec![a.key(), b.key()], 2),
            targets: role(vec![c.key()], 1),
            snapshot: role(vec![b.key()], 1),
            timestamp: role(vec![a.key()], 1),
        };
        let signed = spec.to_signed().unwrap_or_else(|e| panic!("expected the root built, got {e}"));
        assert!(canonical::is_canonical(&signed), "expected canonical bytes, got {}", String::from_utf8_lossy(&signed));
        let md = Metadata::from_signed(signed).unwrap_or_else(|e| panic!("expected the built root to read, got {e}"));
        let root = md.root().unwrap_or_else(|e| panic!("expected a valid root, got {e}"));
        assert_eq!(md.version(), 7, "expected version 7");
        assert_eq!(format_expires(md.expires().at), "2031-02-03T04:05:06Z", "expected the expiry without its fraction");
        assert!(!md.expires().legacy, "expected the strict time form, got {:?}", md.expires());
        assert_eq!(md.header().spec_version, SPEC_VERSION, "expected the spec version Ceremony writes");
        assert_eq!(root.consistent_snapshot, Some(true), "expected consistent snapshots");
        assert_eq!(root.keys.len(), 3, "expected the three keys listed once each, got {:?}", root.keys);
        for (name, keys, threshold) in
            [("root", vec![&a, &b], 2), ("targets", vec![&c], 1), ("snapshot", vec![&b], 1), ("timestamp", vec![&a], 1)]
        {
            let d = root.delegation(name).unwrap_or_else(|| panic!("expected a {name} role"));
            let want: Vec<(String, Option<Key>)> = keys.iter().map(|k| (k.keyid(), Some(k.key()))).collect();
            assert_eq!(d.keys, want, "expected {name}'s keys in the spec's order");
            assert_eq!(d.threshold, threshold, "expected {name}'s threshold");
        }
        assert!(root.keyid_mismatches().is_empty(), "expected every keyid the hash of its key, got {:?}", root.keyid_mismatches());
    }
}
