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
