//! PEP 480 end to end: python-tuf writes the online `recently-claimed`, the ceremony
//! promotes it into the sharded `claimed` at 2 of 3, and python-tuf's ngclient resolves
//! project files through targets → claimed → shard → project role. Every refusal the
//! issue lists is checked for exit code, one-sentence message and an unchanged workspace.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::{ceremony, refused, run_python, workspace_snapshot as snapshot};
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

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// alice, bob, carol (passphrase keys, test profile) and the online key from python;
/// root v1 and targets v1 exported.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let files = tmp.path().join("files");
    std::fs::create_dir_all(files.join("dev")).unwrap();
    ok(&ws, &["init"]);
    for h in ["alice", "bob", "carol"] {
        let pf = files.join(format!("{h}.pass"));
        std::fs::write(&pf, format!("{h} keeps seven quiet granite teapots\n")).unwrap();
        ok(&ws, &["key", "new", "passphrase", "--holder", h, "--passphrase-file", path_str(&pf), "--kdf-profile", "test"]);
    }
    py(&["keygen", path_str(&files.join("online"))]);
    ok(&ws, &["key", "import", "--holder", "online", path_str(&files.join("online.pub.json"))]);
    ok(&ws, &["root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice,bob,carol",
        "--targets-threshold", "2", "--snapshot", "online", "--timestamp", "online"]);
    ok(&ws, &["targets", "init", "--claimed", "alice,bob,carol", "--claimed-threshold", "2", "--online", "online"]);
    let setup = Setup { _tmp: tmp, ws, files };
    // A promotion checks recently-claimed against the trusted targets only.
    setup.sign_all(&["alice", "bob"]);
    ok(&setup.ws, &["bundle", "export", "--out", path_str(&setup.files.join("bootstrap.tar"))]);
    setup
}

impl Setup {
    /// `recently-claimed.json` from python-tuf for `names`, with per-project developer keys.
    fn recently_claimed(&self, out: &str, names: &[&str], version: u64, extra: &[&str]) -> PathBuf {
        let mut args = vec!["project", "paths"];
        args.extend_from_slice(names);
        args.push("--json");
        let paths = ok(&self.ws, &args);
        let paths_file = self.files.join(format!("{out}.paths.json"));
        std::fs::write(&paths_file, paths).unwrap();
        let out = self.files.join(out);
        let v = version.to_string();
        let mut args: Vec<String> = vec!["recently-claimed".into(), "--online".into(), path_str(&self.files.join("online.seed")).to_owned()];
        args.extend(["--paths", path_str(&paths_file), "--out", path_str(&out), "--version", &v, "--dev-dir"].map(String::from));
        args.push(path_str(&self.files.join("dev")).to_owned());
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        py(&args);
        out
    }

    fn sign_all(&self, holders: &[&str]) {
        for h in holders {
            let pf = self.files.join(format!("{h}.pass"));
            ok(&self.ws, &["sign", "--holder", h, "--passphrase-file", path_str(&pf), "--yes"]);
        }
    }

    /// Exports, extracts the bundle's metadata, returns that directory.
    fn export(&self, name: &str) -> PathBuf {
        let bundle = self.files.join(format!("{name}.tar"));
        ok(&self.ws, &["bundle", "export", "--out", path_str(&bundle)]);
        let dir = self.files.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let st = std::process::Command::new("tar").arg("-xf").arg(&bundle).arg("-C").arg(&dir).status().unwrap();
        assert!(st.success());
        let root = dir.join("metadata/1.root.json");
        ok(&self.ws, &["bundle", "verify", path_str(&bundle), "--trusted-root", path_str(&root)]);
        dir.join("metadata")
    }

    /// Runs python-tuf's Updater for `project`'s file on an online repository assembled
    /// around the bundle's metadata. Returns (ok, error).
    fn client_fetch(&self, metadata: &Path, rc: &Path, project: &str, stranger: bool) -> (bool, String) {
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

const PROJECTS: [&str; 12] = [
    "foo", "foo-bar", "foo-bar2", "foo-1", "foo1", "django", "django-rest", "zope-interface", "a", "a-1", "requests", "numpy",
];

#[test]
fn promotion_end_to_end_through_python_tuf_client() {
    let s = setup();
    let rc = s.recently_claimed("rc3.json", &PROJECTS, 3, &[]);
    let out = ok(&s.ws, &["claimed", "promote", path_str(&rc), "--json"]);
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["new"].as_array().unwrap().len(), PROJECTS.len());
    assert_eq!(plan["key_rotations"].as_array().unwrap().len(), 0);
    let overlaps = plan["overlaps"].as_array().unwrap();
    assert!(overlaps.contains(&serde_json::json!(["foo", "foo-bar"])), "{overlaps:?}");
    assert!(overlaps.contains(&serde_json::json!(["django", "django-rest"])), "{overlaps:?}");
    // One holder is not enough; two of three are.
    s.sign_all(&["alice"]);
    let msg = refused(&s.ws, &["bundle", "export", "--out", path_str(&s.files.join("early.tar"))], 1);
    assert!(msg.contains("signatures needed"), "{msg}");
    s.sign_all(&["carol"]);
    let metadata = s.export("b1");
    for project in ["foo", "foo-bar", "foo-1", "foo1", "a", "zope-interface"] {
        let (ok, err) = s.client_fetch(&metadata, &rc, project, false);
        assert!(ok, "{project}: {err}");
    }
    // A project file signed by a key that is not the developer's is refused by the client.
    let (ok_, err) = s.client_fetch(&metadata, &rc, "foo-bar", true);
    assert!(!ok_ && err.contains("foo-bar"), "{err}");

    // Second batch: one new project, one developer key rotation, the rest unchanged.
    // This one in file form (canonical, compact), whose signatures are checked while the
    // file is read.
    let rc4 = s.recently_claimed("rc4.json", &["requests", "numpy", "attrs"], 4, &["--file-form"]);
    let out = ok(&s.ws, &["claimed", "promote", path_str(&rc4), "--json"]);
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["new"], serde_json::json!(["attrs"]));
    // python made new developer keys for requests and numpy: key rotations, shown apart.
    assert_eq!(plan["key_rotations"], serde_json::json!(["numpy", "requests"]));
    assert_eq!(plan["unchanged"], 0);
    let files: Vec<&str> = plan["files"].as_array().unwrap().iter().map(|f| f["role"].as_str().unwrap()).collect();
    // Only the shards of those three projects (and the index, for the new shard) change.
    assert!(files.len() <= 4, "{files:?}");
    s.sign_all(&["alice", "bob"]);
    let metadata = s.export("b2");
    let (ok_, err) = s.client_fetch(&metadata, &rc4, "requests", false);
    assert!(ok_, "{err}");
    // Rollback: the batch before this one is refused now.
    let msg = refused(&s.ws, &["claimed", "promote", path_str(&rc)], 1);
    assert!(msg.contains("rollback"), "{msg}");
}

#[test]
fn shards_split_and_stay_reachable() {
    let s = setup();
    std::fs::write(
        std::fs::read_link(s.ws.join("current")).map(|l| s.ws.join(l)).unwrap().join("policy.json"),
        b"{\"claimed_shard_max_bytes\": 16384}",
    )
    .unwrap();
    let names: Vec<String> = (0..160).map(|i| format!("py{}-tool{}", ["a", "b", "c", "thon"][i % 4], i)).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let rc = s.recently_claimed("rc.json", &refs, 1, &[]);
    let plan: Value = serde_json::from_str(&ok(&s.ws, &["claimed", "promote", path_str(&rc), "--json"])).unwrap();
    let shards = plan["files"].as_array().unwrap().iter().filter(|f| f["role"].as_str().unwrap().starts_with("claimed.")).count();
    assert!(shards > 2, "expected several shards: {plan}");
    s.sign_all(&["alice", "bob"]);
    let metadata = s.export("b");
    for f in std::fs::read_dir(&metadata).unwrap() {
        assert!(f.unwrap().metadata().unwrap().len() < 16384 + 2048);
    }
    for project in ["pya-tool0", "python-tool3", "pyc-tool158", "pyb-tool97"] {
        assert!(names.iter().any(|n| n == project));
        let (ok_, err) = s.client_fetch(&metadata, &rc, project, false);
        assert!(ok_, "{project}: {err}");
    }
}

#[test]
fn refusals() {
    let s = setup();
    let rc = |name: &str, extra: &[&str]| s.recently_claimed(name, &["foo", "bar", "baz-qux"], 2, extra);
    // Widened paths, a duplicate, a structural name, a threshold above the keys.
    for (mutation, expect) in [
        ("widen:foo", "not the project's own patterns"),
        ("dup:bar", "more than once"),
        ("rename:bar", "structural role"),
        ("threshold:foo", "threshold 2 is not between 1"),
        ("nonterminating:baz-qux", "not terminating"),
    ] {
        let file = rc(&format!("{mutation}.json").replace(':', "-"), &["--mutate", mutation]);
        let msg = refused(&s.ws, &["claimed", "promote", path_str(&file)], 1);
        assert!(msg.contains(expect) && msg.contains("--skip-invalid"), "{mutation}: {msg}");
    }
    // With --skip-invalid the rest goes through and the skipped one is named.
    let file = rc("widen2.json", &["--mutate", "widen:foo"]);
    let plan: Value =
        serde_json::from_str(&ok(&s.ws, &["claimed", "promote", path_str(&file), "--skip-invalid", "--json"])).unwrap();
    assert_eq!(plan["skipped"][0]["project"], "foo");
    assert_eq!(plan["new"], serde_json::json!(["bar", "baz-qux"]));
    ok(&s.ws, &["discard", "claimed"]);

    // --projects: only those named.
    let good = rc("good.json", &[]);
    let plan: Value =
        serde_json::from_str(&ok(&s.ws, &["claimed", "promote", path_str(&good), "--projects", "Baz_Qux", "--json"])).unwrap();
    assert_eq!(plan["new"], serde_json::json!(["baz-qux"]));
    ok(&s.ws, &["discard", "claimed"]);
    let msg = refused(&s.ws, &["claimed", "promote", path_str(&good), "--projects", "nothere"], 1);
    assert!(msg.contains("does not delegate to nothere"), "{msg}");

    // Signed by a stranger instead of the online key.
    py(&["keygen", path_str(&s.files.join("stranger"))]);
    let paths = s.files.join("good.json.paths.json");
    let forged = s.files.join("forged.json");
    py(&["recently-claimed", "--online", path_str(&s.files.join("stranger.seed")), "--paths", path_str(&paths),
        "--out", path_str(&forged), "--version", "2"]);
    let msg = refused(&s.ws, &["claimed", "promote", path_str(&forged)], 1);
    assert!(msg.contains("not signed by the key"), "{msg}");
    // The same in file form, read while its signatures are checked: forged, then with
    // its signature made over the rest of the file, which is not what it signs.
    py(&["recently-claimed", "--online", path_str(&s.files.join("stranger.seed")), "--paths", path_str(&paths),
        "--out", path_str(&forged), "--version", "2", "--file-form"]);
    let msg = refused(&s.ws, &["claimed", "promote", path_str(&forged)], 1);
    assert!(msg.contains("not signed by the key"), "{msg}");
    let tail = s.recently_claimed("tail.json", &["foo", "bar"], 2, &["--signed-tail"]);
    let msg = refused(&s.ws, &["claimed", "promote", path_str(&tail)], 1);
    assert!(msg.contains("not signed by the key"), "{msg}");
    let compact = s.recently_claimed("compact.json", &["foo", "bar"], 2, &["--file-form"]);
    let plan: Value = serde_json::from_str(&ok(&s.ws, &["claimed", "promote", path_str(&compact), "--json"])).unwrap();
    assert_eq!(plan["new"], serde_json::json!(["bar", "foo"]));
    ok(&s.ws, &["discard", "claimed"]);
    // Expired.
    let expired = s.recently_claimed("expired.json", &["foo"], 2, &["--expires", "2020-01-01T00:00:00Z"]);
    let msg = refused(&s.ws, &["claimed", "promote", path_str(&expired)], 1);
    assert!(msg.contains("expired"), "{msg}");
    // Hostile files: each refused plainly, nothing staged.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = format!("{{\"signed\": \"{}\", \"signatures\": []}}", "a".repeat(50 << 20));
    let good_text = std::fs::read_to_string(&good).unwrap();
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", good_text.as_bytes()[..good_text.len() / 2].to_vec()),
        ("not JSON", b"{\"signed\": [".to_vec()),
        ("deep", deep.into_bytes()),
        ("huge string", huge.into_bytes()),
        ("float", changed(&good_text, "\"threshold\": 1", "\"threshold\": 1.0")),
        ("duplicate key", changed(&good_text, "{\"signatures\"", "{\"signed\": {}, \"signatures\"")),
        ("zero threshold", changed(&good_text, "\"threshold\": 1", "\"threshold\": 0")),
        ("negative version", changed(&good_text, "\"version\": 2", "\"version\": -2")),
        ("control character", changed(&good_text, "\"name\": \"foo\"", "\"name\": \"fo\\u0007o\"")),
        // Shaped like file form up to where `signed` would start, then nothing.
        ("signed cut off", b"{\"signatures\":[],\"signed\":}".to_vec()),
        ("signed empty", b"{\"signatures\":[],\"signed\":{}".to_vec()),
    ];
    for (what, bytes) in hostile {
        let f = s.files.join(format!("hostile-{}.json", what.replace(' ', "-")));
        std::fs::write(&f, bytes).unwrap();
        let before = snapshot(&s.ws);
        let out = ceremony(&s.ws, &["claimed", "promote", path_str(&f)]);
        let code = out.status.code();
        assert!(matches!(code, Some(1) | Some(2)), "{what}: {code:?} {}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.len() < 2048, "{what}: a long refusal");
        assert_eq!(snapshot(&s.ws), before, "{what} changed the workspace");
    }
    // A promotion already staged refuses a second one.
    ok(&s.ws, &["claimed", "promote", path_str(&good)]);
    let msg = refused(&s.ws, &["claimed", "promote", path_str(&good)], 1);
    assert!(msg.contains("already staged"), "{msg}");
}

/// `text` with the first `from` replaced; the replacement must happen.
fn changed(text: &str, from: &str, to: &str) -> Vec<u8> {
    assert!(text.contains(from), "{from} not in the file");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn project_paths_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(tmp.path(), &["project", "paths", "Foo.Bar", "a-1", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Foo.Bar"][0], "packages/*/*/*/[fF][oO][oO][-_.][bB][aA][rR]-*");
    assert_eq!(v["Foo.Bar"][1], "simple/foo-bar/*");
    assert_eq!(v["a-1"][0], "packages/*/*/*/[aA][_.]1-*");
    let out = ceremony(tmp.path(), &["project", "paths", "bad name", "--json"]);
    assert_eq!(out.status.code(), Some(2));
}
