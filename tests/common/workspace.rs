//! A throw-away workspace with passphrase holders and an online key, the start most tests
//! share; each test file adds the roles and signatures its case needs.

use std::path::{Path, PathBuf};

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::key::{Algorithm, Key};
use serde_json::Value;

use super::{ok, path_str};

/// A workspace `ws` and, beside it, a folder `files` for passphrases, keys and bundles.
pub struct Setup {
    pub _tmp: tempfile::TempDir,
    pub ws: PathBuf,
    pub files: PathBuf,
}

impl Setup {
    /// An initialised, empty workspace.
    pub fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        let files = tmp.path().join("files");
        std::fs::create_dir_all(&files).unwrap();
        ok(&ws, &["init"]);
        Setup { _tmp: tmp, ws, files }
    }

    /// A workspace with `holders` registered by passphrase (test KDF profile).
    pub fn with_holders(holders: &[&str]) -> Setup {
        let st = Setup::new();
        for h in holders {
            st.add_holder(h);
        }
        st
    }

    /// Where `holder`'s passphrase is kept (written by [`Setup::add_holder`]).
    pub fn pass(&self, holder: &str) -> PathBuf {
        self.files.join(format!("{holder}.pass"))
    }

    /// Registers `holder` with a key derived from a passphrase of its own.
    pub fn add_holder(&self, holder: &str) -> String {
        add_holder(&self.ws, &self.files, holder)
    }

    /// Registers the record `holder.role`, derived from `holder`'s passphrase.
    pub fn add_record(&self, holder: &str, role: &str) -> String {
        let pf = self.pass(holder);
        ok(&self.ws, &["key", "new", "passphrase", "--holder", holder, "--for", role, "--passphrase-file", path_str(&pf)])
    }

    /// Imports a new Ed25519 public key as `name` (an online key); returns it.
    pub fn import_online(&self, name: &str) -> Key {
        import_online(&self.ws, &self.files, name)
    }

    /// Stages root version 1: `roots` with `threshold`, `targets` with threshold 1, and the
    /// holder `online` for snapshot and timestamp.
    pub fn root_init(&self, roots: &str, threshold: &str, targets: &str) -> String {
        let args = ["--root", roots, "--root-threshold", threshold, "--targets", targets, "--targets-threshold", "1"];
        ok(&self.ws, &[&["root", "init"][..], &args, &["--snapshot", "online", "--timestamp", "online"]].concat())
    }

    /// `holder` signs every staged role it can; returns what `sign` printed.
    pub fn sign(&self, holder: &str) -> String {
        let pf = self.pass(holder);
        ok(&self.ws, &["sign", "--holder", holder, "--passphrase-file", path_str(&pf), "--yes"])
    }

    /// `holder`'s keyid as `key list` gives it.
    pub fn keyid(&self, holder: &str) -> String {
        let list: Value = serde_json::from_str(&ok(&self.ws, &["key", "list", "--json"])).unwrap();
        let entry = list.as_array().unwrap().iter().find(|h| h["holder"] == holder);
        let entry = entry.unwrap_or_else(|| panic!("{holder}: {list}"));
        entry["keyid"].as_str().unwrap().to_string()
    }
}

/// Registers `holder` in `ws` with a key derived from its passphrase, written to `files`.
pub fn add_holder(ws: &Path, files: &Path, holder: &str) -> String {
    let pf = super::passphrase_file(files, holder);
    ok(ws, &["key", "new", "passphrase", "--holder", holder, "--passphrase-file", &pf, "--kdf-profile", "test"])
}

/// Imports a new Ed25519 public key into `ws` as `name`, its file in `files`; returns it.
pub fn import_online(ws: &Path, files: &Path, name: &str) -> Key {
    let key = SoftwareSigner::generate(Algorithm::Ed25519).public_key().clone();
    let file = files.join(format!("{name}.json"));
    std::fs::write(&file, key.to_json_text()).unwrap();
    ok(ws, &["key", "import", "--holder", name, path_str(&file)]);
    key
}

/// Writes `md` as the trusted version of `role` in `tx`, with the `trust` transcript record an
/// export makes: a workspace as an earlier ceremony (or an older version) left it. A workspace
/// believes no trusted file without that record, so a fixture must write both.
pub fn trust_as_an_export_does(tx: &mut ceremony::workspace::Transaction, role: &str, md: &ceremony::tuf::metadata::Metadata) {
    tx.write(&format!("trusted/{role}.json"), &md.to_bytes()).unwrap();
    let trust = ceremony::workspace::transcript::Action {
        action: "trust".into(),
        role: Some(role.into()),
        version: Some(md.version()),
        digest: Some(hex::encode(ceremony::workspace::staging::digest(md))),
        ..Default::default()
    };
    tx.record(trust).unwrap();
}
