//! The signatures collected for roles, kept apart from the role files.
//!
//! A `claimed promote` stages hundreds of claimed shards (526 files, 35 MB, for 100,000
//! projects) and every holder signs every one. Kept inside the role files, each `sign`
//! would rewrite all of them; kept in one file per role, it would create hundreds of files,
//! which on ext4 after many deletions costs more than the signatures themselves (the
//! allocator skips recently freed inodes one by one). So each of `staged/` and `trusted/`
//! holds one `collected.sigs`: a canonical JSON object from role name to the list of
//! `{"keyid", "sig"}` collected for it. A role's signatures are those in its file together
//! with those listed here; the bundle carries each file with all of them.

use std::collections::BTreeMap;

use crate::tuf::metadata::Signature;
use crate::workspace::{Transaction, Workspace, WorkspaceError};

/// The file's name inside `staged/` and `trusted/`.
pub const FILE: &str = "collected.sigs";

/// Role name to the signatures collected for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    roles: BTreeMap<String, Vec<Signature>>,
}

fn path(dir: &str) -> String {
    format!("{dir}/{FILE}")
}

impl Collected {
    /// The signatures collected in `dir` of the current state, read once per process while
    /// the file is unchanged.
    pub fn current(ws: &Workspace, dir: &str) -> Result<std::sync::Arc<Collected>, WorkspaceError> {
        Ok(ws.read_parsed(&path(dir), Collected::parse)?.unwrap_or_default())
    }

    /// The signatures collected in `dir` of a transaction's new state.
    pub fn in_transaction(tx: &Transaction, dir: &str) -> Result<Collected, WorkspaceError> {
        let rel = path(dir);
        match tx.read(&rel)? {
            None => Ok(Collected::default()),
            Some(bytes) => Collected::parse(&bytes).map_err(|why| WorkspaceError::Corrupt(rel, why)),
        }
    }

    /// Reads the file strictly: canonical JSON, an object of lists of `{"keyid", "sig"}`.
    pub fn parse(bytes: &[u8]) -> Result<Collected, String> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Sig {
            keyid: String,
            sig: String,
        }
        if !crate::tuf::canonical::is_canonical(bytes) {
            return Err("it is not a signatures list in canonical JSON".into());
        }
        let raw: BTreeMap<String, Vec<Sig>> =
            serde_json::from_slice(bytes).map_err(|e| format!("it is not a list of signatures by role: {e}"))?;
        let roles = raw
            .into_iter()
            .map(|(role, sigs)| (role, sigs.into_iter().map(|s| Signature { keyid: s.keyid, sig: s.sig }).collect()))
            .collect();
        Ok(Collected { roles })
    }

    /// The signatures collected for `role`.
    pub fn of(&self, role: &str) -> &[Signature] {
        self.roles.get(role).map_or(&[], Vec::as_slice)
    }

    /// Replaces the signatures of `role` (none: forgets it).
    pub fn set(&mut self, role: &str, signatures: &[Signature]) {
        if signatures.is_empty() {
            self.roles.remove(role);
        } else {
            self.roles.insert(role.to_string(), signatures.to_vec());
        }
    }

    /// Removes and returns the signatures of `role`.
    pub fn take(&mut self, role: &str) -> Vec<Signature> {
        self.roles.remove(role).unwrap_or_default()
    }

    /// Writes the file into `dir` of the transaction's new state (removes it when empty).
    pub fn write(&self, tx: &mut Transaction, dir: &str) -> Result<(), WorkspaceError> {
        let rel = path(dir);
        if self.roles.is_empty() {
            return tx.remove(&rel);
        }
        let mut out = Vec::with_capacity(self.roles.len() * 400);
        out.push(b'{');
        for (i, (role, sigs)) in self.roles.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            crate::tuf::canonical::encode_string(role, &mut out);
            out.push(b':');
            out.extend_from_slice(&crate::tuf::metadata::signatures_json(sigs));
        }
        out.push(b'}');
        tx.write(&rel, &crate::tuf::wire::canonical_to_text(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(keyid: char, sig: &str) -> Signature {
        Signature { keyid: keyid.to_string().repeat(64), sig: sig.into() }
    }

    #[test]
    fn reads_strictly() {
        let mut c = Collected::default();
        c.set("root", &[sig('a', "01"), sig('b', "02")]);
        c.set("claimed.a", &[sig('a', "03")]);
        let ws_dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(ws_dir.path()).unwrap();
        let lock = ws.lock().unwrap();
        let mut tx = ws.begin(&lock).unwrap();
        c.write(&mut tx, "staged").unwrap();
        let bytes = tx.read("staged/collected.sigs").unwrap().unwrap();
        assert_eq!(Collected::parse(&bytes).unwrap(), c);
        for bad in [
            &b"{\"root\":[{\"sig\":\"01\",\"keyid\":\"aa\"}]}"[..], // not canonical (member order)
            b"{\"root\":[{\"keyid\":\"aa\",\"sig\":\"01\",\"x\":1}]}", // unknown field
            b"[{\"keyid\":\"aa\",\"sig\":\"01\"}]",                 // not by role
            b"{\"root\":[{\"keyid\":\"aa\"}]}",                     // no signature
            b"{\"root\":[1.5]}",
        ] {
            assert!(Collected::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        c.set("root", &[]);
        let got = c.of("root");
        assert!(got.is_empty(), "expected empty, got {:?}", got);
        assert_eq!(c.take("claimed.a"), vec![sig('a', "03")]);
    }
}
