//! Issue 15's related holes, each through the real binary with python-tuf writing the
//! online side: promotion checks recently-claimed against the trusted targets only; a
//! staged file changed on disk is refused everywhere it is read; a keyid must be the
//! canonical one; a name listed twice is never promoted; a delegations object with both
//! `roles` and `succinct_roles` is refused.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::{ceremony, refused, run_python, workspace_snapshot};
use serde_json::Value;

struct Setup {
    _tmp: tempfile::TempDir,
    ws: PathBuf,
    files: PathBuf,
}

fn ok(ws: &Path, args: &[&str]) -> String {
    let out = ceremony(ws, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn py(args: &[&str]) -> Vec<u8> {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    run_python("pep480.py", &args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// alice, bob, carol (passphrase keys, test profile) and the online key from python;
/// root v1 and targets v1 staged, not yet exported.
fn staged_setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let files = tmp.path().join("files");
    std::fs::create_dir_all(files.join("dev")).unwrap();
    ok(&ws, &["init"]);
    for h in ["alice", "bob", "carol"] {
        let pf = files.join(format!("{h}.pass"));
        std::fs::write(&pf, format!("{h} keeps seven quiet granite teapots\n")).unwrap();
        ok(&ws, &["key", "new", "passphrase", "--holder", h, "--passphrase-file", s(&pf), "--kdf-profile", "test"]);
    }
    py(&["keygen", s(&files.join("online"))]);
    ok(&ws, &["key", "import", "--holder", "online", s(&files.join("online.pub.json"))]);
    ok(&ws, &["root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice,bob,carol",
        "--targets-threshold", "2", "--snapshot", "online", "--timestamp", "online"]);
    ok(&ws, &["targets", "init", "--claimed", "alice,bob,carol", "--claimed-threshold", "2", "--online", "online"]);
    Setup { _tmp: tmp, ws, files }
}

/// [`staged_setup`] with root v1 and targets v1 signed and exported (trusted).
fn setup() -> Setup {
    let st = staged_setup();
    st.sign_all(&["alice", "bob"]);
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("bootstrap.tar"))]);
    st
}

impl Setup {
    /// `recently-claimed` from python-tuf for `names`, signed by the key `signer` (a seed
    /// file prefix in files/), each project with its own developer key.
    fn recently_claimed(&self, out: &str, names: &[&str], version: u64, signer: &str, mutate: &[&str]) -> PathBuf {
        let mut args = vec!["project", "paths"];
        args.extend_from_slice(names);
        args.push("--json");
        let paths_file = self.files.join(format!("{out}.paths.json"));
        std::fs::write(&paths_file, ok(&self.ws, &args)).unwrap();
        let out = self.files.join(out);
        let seed = self.files.join(format!("{signer}.seed"));
        let v = version.to_string();
        let dev = self.files.join("dev");
        let mut args = vec!["recently-claimed", "--online", s(&seed), "--paths", s(&paths_file), "--out", s(&out)];
        args.extend(["--version", &v, "--dev-dir", s(&dev)]);
        for m in mutate {
            args.extend(["--mutate", m]);
        }
        py(&args);
        out
    }

    fn sign_all(&self, holders: &[&str]) {
        for h in holders {
            let pf = self.files.join(format!("{h}.pass"));
            ok(&self.ws, &["sign", "--holder", h, "--passphrase-file", s(&pf), "--yes"]);
        }
    }

    fn staged_file(&self, role: &str) -> PathBuf {
        self.ws.join("current/staged").join(format!("{role}.json"))
    }
}

/// A promotion checks recently-claimed against the trusted targets' delegation, never a
/// staged targets anyone with the workspace could have written.
#[test]
fn promotion_trusts_only_the_exported_targets() {
    // Nothing trusted yet: the staged targets is not used at all.
    let st = staged_setup();
    let rc = st.recently_claimed("rc.json", &["foo", "bar"], 1, "online", &[]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&rc)], 1);
    assert!(msg.contains("export the staged targets first"), "{msg}");

    // Trusted targets v1 delegates recently-claimed to the online key; a staged targets v2
    // names an attacker's key instead.
    let st = setup();
    py(&["keygen", s(&st.files.join("attacker"))]);
    ok(&st.ws, &["key", "import", "--holder", "attacker", s(&st.files.join("attacker.pub.json"))]);
    ok(&st.ws, &["targets", "init", "--claimed", "alice,bob,carol", "--claimed-threshold", "2", "--online", "attacker"]);
    let forged = st.recently_claimed("forged.json", &["foo", "bar"], 1, "attacker", &[]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&forged)], 1);
    assert!(msg.contains("not signed by the key targets version 1 delegates"), "{msg}");
    // What the trusted targets delegates to is still taken.
    let rc = st.recently_claimed("rc.json", &["foo", "bar"], 1, "online", &[]);
    let plan: Value = serde_json::from_str(&ok(&st.ws, &["claimed", "promote", s(&rc), "--json"])).unwrap();
    assert_eq!(plan["new"], serde_json::json!(["bar", "foo"]));
}

/// A name listed twice, one copy valid and one not: neither is promoted, both reported.
#[test]
fn a_name_listed_twice_is_never_promoted() {
    let st = setup();
    let rc = st.recently_claimed("dupbad.json", &["foo", "bar", "baz"], 1, "online", &["dupbad:bar"]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&rc)], 1);
    assert!(msg.contains("bar") && msg.contains("more than once"), "{msg}");
    let out = ok(&st.ws, &["claimed", "promote", s(&rc), "--skip-invalid", "--json"]);
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["new"], serde_json::json!(["baz", "foo"]), "{plan}");
    let skipped: Vec<&Value> = plan["skipped"].as_array().unwrap().iter().filter(|v| v["project"] == "bar").collect();
    assert_eq!(skipped.len(), 2, "both copies reported: {plan}");
}

/// One developer key listed twice, under its keyid and the same keyid in upper case, with
/// threshold 2: refused (python-tuf would count it as two keys).
#[test]
fn an_upper_case_keyid_does_not_count_as_a_second_key() {
    let st = setup();
    let rc = st.recently_claimed("upper.json", &["foo", "bar"], 1, "online", &["upperkey:foo"]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&rc)], 1);
    assert!(msg.contains("foo") && msg.contains("lower-case"), "{msg}");
    let out = ok(&st.ws, &["claimed", "promote", s(&rc), "--skip-invalid", "--json"]);
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["new"], serde_json::json!(["bar"]), "{plan}");
}

/// One developer key written twice, its public hex once in upper case: two key objects
/// under two correct keyids, one key. Counted by the key, threshold 2 cannot be met.
#[test]
fn one_key_under_two_keyids_counts_once() {
    let st = setup();
    let rc = st.recently_claimed("upperpublic.json", &["foo", "bar"], 1, "online", &["upperpublic:foo"]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&rc)], 1);
    assert!(msg.contains("foo") && msg.contains("one key listed under two keyids"), "{msg}");
}

/// python-tuf refuses a delegations object with both `roles` and `succinct_roles`; so does
/// a promotion, whole.
#[test]
fn roles_and_succinct_roles_together_are_refused() {
    let st = setup();
    let rc = st.recently_claimed("both.json", &["foo", "bar"], 1, "online", &["succinct:foo"]);
    let judge = run_python("judge.py", &[OsStr::new("load"), rc.as_os_str()]);
    let verdict: Value = serde_json::from_slice(&judge).unwrap();
    assert_eq!(verdict["ok"], false, "python-tuf accepted it: {verdict}");
    for extra in [&[][..], &["--skip-invalid"][..]] {
        let mut args = vec!["claimed", "promote", s(&rc)];
        args.extend_from_slice(extra);
        let msg = refused(&st.ws, &args, 1);
        assert!(msg.contains("succinct_roles"), "{msg}");
    }
}

/// A staged file whose bytes changed after staging is refused by sign, signature import,
/// status and export; discarding it and staging again works.
#[test]
fn a_staged_file_changed_on_disk_is_refused() {
    let st = setup();
    let rc = st.recently_claimed("rc.json", &["foo", "bar"], 1, "online", &[]);
    ok(&st.ws, &["claimed", "promote", s(&rc)]);
    // alice signs on a copy of the workspace, as on another machine.
    let other = st.files.join("other-ws");
    let cp = std::process::Command::new("cp").arg("-a").arg(&st.ws).arg(&other).status().unwrap();
    assert!(cp.success());
    let pf = st.files.join("alice.pass");
    ok(&other, &["sign", "--holder", "alice", "--passphrase-file", s(&pf), "--yes"]);
    let sigs = st.files.join("alice.sigs.json");
    ok(&other, &["signature", "export", "--holder", "alice", "--out", s(&sigs)]);

    let staged: Vec<String> = std::fs::read_dir(st.ws.join("current/staged"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".json").map(str::to_string))
        .collect();
    let shard = staged.iter().find(|r| r.starts_with("claimed.")).expect("a staged shard").clone();
    for role in [shard.as_str(), "claimed"] {
        let path = st.staged_file(role);
        let original = std::fs::read(&path).unwrap();
        // Still valid metadata, and as a person would not notice: the expiry a second off.
        let text = String::from_utf8(original.clone()).unwrap();
        let at = text.find("\"expires\":\"").unwrap() + "\"expires\":\"YYYY-MM-DDTHH:MM:S".len();
        let mut edited = text.clone().into_bytes();
        edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
        // Replaced, not written in place: a state's files may be shared with older states.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &edited).unwrap();
        let expected = format!("staged {role} was changed on disk after it was staged");
        let bundle = st.files.join("b.tar");
        for args in [
            vec!["sign", "--holder", "bob", "--passphrase-file", s(&st.files.join("bob.pass")), "--yes"],
            vec!["signature", "import", s(&sigs)],
            vec!["status"],
            vec!["bundle", "export", "--out", s(&bundle)],
        ] {
            let msg = refused(&st.ws, &args, 1);
            assert!(msg.contains(&expected) && msg.contains("ceremony discard"), "{args:?}: {msg}");
        }
        assert!(!bundle.exists());
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &original).unwrap();
    }
    // Restored bytes are accepted again; a discard and a new promotion work.
    ok(&st.ws, &["status"]);
    let path = st.staged_file("claimed");
    let before = workspace_snapshot(&st.ws);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"{\"signatures\":[],\"signed\":{}}").unwrap();
    assert_ne!(workspace_snapshot(&st.ws), before);
    ok(&st.ws, &["discard", "claimed"]);
    ok(&st.ws, &["claimed", "promote", s(&rc)]);
    st.sign_all(&["alice", "bob"]);
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("b.tar"))]);
}
