//! The PEP 480 setup the promotion tests share: three holders with claimed keys, the
//! online key from python-tuf, root and targets exported; recently-claimed from python.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::run_python;

pub use super::workspace::Setup;
pub use super::{ok, path_str};

pub fn py(args: &[&str]) -> Vec<u8> {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    run_python("pep480.py", &args)
}

/// alice, bob, carol (passphrase keys, test profile) with their claimed keys alice.claimed,
/// bob.claimed, carol.claimed (same passphrases) and the online key from python; root v1
/// and targets v1 staged, not yet exported.
pub fn staged_setup() -> Setup {
    let st = Setup::with_holders(&["alice", "bob", "carol"]);
    std::fs::create_dir_all(st.files.join("dev")).unwrap();
    for h in ["alice", "bob", "carol"] {
        st.add_record(h, "claimed");
    }
    py(&["keygen", path_str(&st.files.join("online"))]);
    ok(&st.ws, &["key", "import", "--holder", "online", path_str(&st.files.join("online.pub.json"))]);
    ok(
        &st.ws,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice,bob,carol", "--targets-threshold",
            "2", "--snapshot", "online", "--timestamp", "online",
        ],
    );
    let claimed = "alice.claimed,bob.claimed,carol.claimed";
    ok(&st.ws, &["targets", "init", "--claimed", claimed, "--claimed-threshold", "2", "--online", "online"]);
    st
}

/// [`staged_setup`] with root v1 and targets v1 signed and exported (trusted).
pub fn setup() -> Setup {
    let st = staged_setup();
    // A promotion checks recently-claimed against the trusted targets only.
    st.sign_all(&["alice", "bob"]);
    ok(&st.ws, &["bundle", "export", "--out", path_str(&st.files.join("bootstrap.tar"))]);
    st
}

impl Setup {
    /// `recently-claimed.json` from python-tuf for `names`, with per-project developer keys.
    pub fn recently_claimed(&self, out: &str, names: &[&str], version: u64, extra: &[&str]) -> PathBuf {
        self.recently_claimed_by(out, names, version, "online", extra)
    }

    /// [`Setup::recently_claimed`] signed by the key `signer` (a seed file prefix in files/).
    pub fn recently_claimed_by(&self, out: &str, names: &[&str], version: u64, signer: &str, extra: &[&str]) -> PathBuf {
        let mut args = vec!["project", "paths"];
        args.extend_from_slice(names);
        args.push("--json");
        let paths = ok(&self.ws, &args);
        let paths_file = self.files.join(format!("{out}.paths.json"));
        std::fs::write(&paths_file, paths).unwrap();
        let out = self.files.join(out);
        let v = version.to_string();
        let mut args: Vec<String> =
            vec!["recently-claimed".into(), "--online".into(), path_str(&self.files.join(format!("{signer}.seed"))).to_owned()];
        args.extend(["--paths", path_str(&paths_file), "--out", path_str(&out), "--version", &v, "--dev-dir"].map(String::from));
        args.push(path_str(&self.files.join("dev")).to_owned());
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        py(&args);
        out
    }

    /// A staged role's file.
    pub fn staged_file(&self, role: &str) -> PathBuf {
        self.ws.join("current/staged").join(format!("{role}.json"))
    }

    /// Each holder signs with every record a staged role needs (alice and alice.claimed).
    pub fn sign_all(&self, holders: &[&str]) {
        for h in holders {
            self.sign(h);
        }
    }

    /// Exports, extracts the bundle's metadata, returns that directory.
    pub fn export(&self, name: &str) -> PathBuf {
        let bundle = self.files.join(format!("{name}.tar"));
        ok(&self.ws, &["bundle", "export", "--out", path_str(&bundle)]);
        let dir = self.files.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let st = std::process::Command::new("tar").arg("-xf").arg(&bundle).arg("-C").arg(&dir).status().unwrap();
        assert!(st.success(), "exited {:?}", st);
        let root = dir.join("metadata/1.root.json");
        ok(&self.ws, &["bundle", "verify", path_str(&bundle), "--trusted-root", path_str(&root)]);
        dir.join("metadata")
    }

    /// Runs python-tuf's Updater for `project`'s file on an online repository assembled
    /// around the bundle's metadata. Returns (ok, error).
    pub fn client_fetch(&self, metadata: &Path, rc: &Path, project: &str, stranger: bool) -> (bool, String) {
        let repo = tempfile::tempdir().unwrap();
        let out = repo.path().join("repo");
        let mut args = vec!["online-repo", "--bundle-metadata", path_str(metadata), "--online"];
        let seed = self.files.join("online.seed");
        let dev = self.files.join("dev");
        args.extend([path_str(&seed), "--recently-claimed", path_str(rc), "--dev-dir", path_str(&dev)]);
        args.extend(["--project", project, "--out", path_str(&out)]);
        if stranger {
            args.push("--stranger");
        }
        let made: Value = serde_json::from_slice(&py(&args)).unwrap();
        let target = made["target"].as_str().unwrap().to_string();
        let md = out.join("metadata");
        let tg = out.join("targets");
        let judge = ["updater", "--metadata-dir", path_str(&md), "--targets-dir", path_str(&tg), "--target", &target];
        let judge: Vec<&OsStr> = judge.iter().map(OsStr::new).collect();
        let verdict: Value = serde_json::from_slice(&run_python("judge.py", &judge)).unwrap();
        (verdict["ok"] == true, verdict["error"].to_string())
    }
}
