//! PEP 480 end to end: python-tuf writes the online `recently-claimed`, the ceremony
//! promotes it into the sharded `claimed` at 2 of 3, and python-tuf's ngclient resolves
//! project files through targets → claimed → shard → project role. Every refusal the
//! issue lists is checked for exit code, one-sentence message and an unchanged workspace.

mod common;

use std::path::{Path, PathBuf};

use common::promotion::{ok, path_str, py, setup, Setup};
use common::{ceremony, refused, workspace_snapshot as snapshot};
use serde_json::Value;

const PROJECTS: [&str; 12] =
    ["foo", "foo-bar", "foo-bar2", "foo-1", "foo1", "django", "django-rest", "zope-interface", "a", "a-1", "requests", "numpy"];

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
        let f = f.unwrap();
        let len = f.metadata().unwrap().len();
        assert!(len < 16384 + 2048, "{} is {len} bytes, more than 16384 + 2048", f.path().display());
    }
    for project in ["pya-tool0", "python-tool3", "pyc-tool158", "pyb-tool97"] {
        assert!(names.iter().any(|n| n == project), "{project} is not among {names:?}");
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
    let plan: Value = serde_json::from_str(&ok(&s.ws, &["claimed", "promote", path_str(&file), "--skip-invalid", "--json"])).unwrap();
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
    let stranger = s.files.join("stranger.seed");
    let forged_is_refused = |extra: &[&str]| {
        let args = ["recently-claimed", "--online", path_str(&stranger), "--paths", path_str(&paths), "--out", path_str(&forged)];
        py(&[&args[..], &["--version", "2"], extra].concat());
        let msg = refused(&s.ws, &["claimed", "promote", path_str(&forged)], 1);
        assert!(msg.contains("not signed by the key"), "{msg}");
    };
    forged_is_refused(&[]);
    // The same in file form, read while its signatures are checked: forged, then with
    // its signature made over the rest of the file, which is not what it signs.
    forged_is_refused(&["--file-form"]);
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

/// The workspace's current directory (where `staged/` and `trusted/` are).
fn current(ws: &Path) -> PathBuf {
    ws.join(std::fs::read_link(ws.join("current")).unwrap())
}

/// A delegation: role name, keyids, threshold.
type Delegated = (String, Vec<String>, u64);

/// The bundle's index: each shard's (keyids, threshold), and its keys.
fn index_delegations(metadata: &Path) -> (Vec<Delegated>, Vec<String>) {
    let newest = std::fs::read_dir(metadata)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".claimed.json"))
        .max_by_key(|n| n.split('.').next().unwrap().parse::<u64>().unwrap())
        .unwrap();
    let index: Value = serde_json::from_slice(&std::fs::read(metadata.join(newest)).unwrap()).unwrap();
    let d = &index["signed"]["delegations"];
    let roles = d["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let ids = r["keyids"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
            (r["name"].as_str().unwrap().to_string(), ids, r["threshold"].as_u64().unwrap())
        })
        .collect();
    (roles, d["keys"].as_object().unwrap().keys().cloned().collect())
}

/// The keyids that signed a bundle file.
fn signers_of(file: &Path) -> Vec<String> {
    let v: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    v["signatures"].as_array().unwrap().iter().map(|s| s["keyid"].as_str().unwrap().to_string()).collect()
}

/// Each shard under its own one-time key, signed by that key alone; holders sign the index.
fn assert_sealed(metadata: &Path, holder_keyids: &[String]) -> Vec<(String, String)> {
    let (roles, keys) = index_delegations(metadata);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (name, ids, threshold) in &roles {
        assert_eq!((ids.len(), *threshold), (1, 1), "{name}");
        assert!(seen.insert(ids[0].clone()), "{name} shares its key");
        assert!(!holder_keyids.contains(&ids[0]), "{name} is signed by a holder's key");
        out.push((name.clone(), ids[0].clone()));
        let shard = std::fs::read_dir(metadata)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().ends_with(&format!(".{name}.json")));
        if let Some(shard) = shard {
            assert_eq!(signers_of(&shard), vec![ids[0].clone()], "{name}");
        }
    }
    assert_eq!(keys.len(), roles.len(), "the index lists a key no shard uses");
    out
}

fn keyids(ws: &Path, holders: &[&str]) -> Vec<String> {
    let list: Value = serde_json::from_str(&ok(ws, &["key", "list", "--json"])).unwrap();
    let all = list.as_array().cloned().unwrap_or_else(|| list["holders"].as_array().unwrap().clone());
    all.iter()
        .filter(|h| holders.contains(&h["holder"].as_str().or(h["name"].as_str()).unwrap()))
        .map(|h| h["keyid"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shards_are_sealed_and_the_holders_sign_only_the_index() {
    let s = setup();
    let rc = s.recently_claimed("rc1.json", &PROJECTS, 1, &[]);
    let text = ok(&s.ws, &["claimed", "promote", path_str(&rc)]);
    assert!(text.contains("files to sign: 1 (claimed version 1"), "{text}");
    let status: Value = serde_json::from_str(&ok(&s.ws, &["status", "--json"])).unwrap();
    let staged = status["staged"].as_array().unwrap();
    let shards: Vec<&Value> = staged.iter().filter(|r| r["role"].as_str().unwrap().starts_with("claimed.")).collect();
    assert!(shards.len() >= 5 && shards.iter().all(|r| r["complete"] == true && r["sealed"] == true), "{status}");
    let index = staged.iter().find(|r| r["role"] == "claimed").unwrap();
    assert_eq!(index["complete"], false);
    // What alice is shown before signing the index: the batch and the seals.
    let pf = s.files.join("alice.pass");
    let review = ok(&s.ws, &["sign", "--holder", "alice", "--passphrase-file", path_str(&pf), "--yes"]);
    assert!(review.contains("one-time Ed25519 key") && review.contains("new projects: 12"), "{review}");
    assert!(!review.contains("resealed") && !text.contains("resealed"), "nothing predates seals here: {review}");
    assert!(review.contains("NEW PATH OVERLAP(S)") && review.contains("foo reaches older files of foo-bar"), "{review}");
    assert!(review.contains("Signed claimed version 1") && !review.contains("Signed claimed."), "{review}");
    s.sign_all(&["bob"]);
    let metadata = s.export("b1");
    let holders = keyids(&s.ws, &["alice", "bob", "carol", "online"]);
    assert_eq!(holders.len(), 4);
    let first = assert_sealed(&metadata, &holders);
    let (ok_, err) = s.client_fetch(&metadata, &rc, "requests", false);
    assert!(ok_, "{err}");

    // The next batch: the shard it touches gets a new key, the others keep theirs.
    let rc2 = s.recently_claimed("rc2.json", &["attrs"], 2, &[]);
    let plan: Value = serde_json::from_str(&ok(&s.ws, &["claimed", "promote", path_str(&rc2), "--json"])).unwrap();
    assert_eq!(plan["files"].as_array().unwrap().len(), 2, "{plan}");
    assert_eq!(plan["resealed"], serde_json::json!([]), "{plan}");
    s.sign_all(&["alice", "carol"]);
    let metadata = s.export("b2");
    let second = assert_sealed(&metadata, &holders);
    for ((name, k1), (name2, k2)) in first.iter().zip(&second) {
        assert_eq!(name, name2);
        assert_eq!(k1 == k2, name != "claimed.a", "{name}");
    }
    let (ok_, err) = s.client_fetch(&metadata, &rc2, "attrs", false);
    assert!(ok_, "{err}");
}

#[test]
fn a_staged_shard_changed_after_promote_is_refused() {
    let (s, rc) = first_batch_promoted();
    s.sign_all(&["alice"]);
    let file = current(&s.ws).join("staged/claimed.f.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let expires = serde_json::from_str::<Value>(&text).unwrap()["signed"]["expires"].as_str().unwrap().to_string();
    let later = format!("{}{}", (expires[..4].parse::<u32>().unwrap() - 1), &expires[4..]);
    std::fs::write(&file, text.replacen(&expires, &later, 1)).unwrap();
    let pf = s.files.join("bob.pass");
    for args in [
        vec!["status"],
        vec!["sign", "--holder", "bob", "--passphrase-file", path_str(&pf), "--yes"],
        vec!["bundle", "export", "--out", path_str(&s.files.join("x.tar"))],
    ] {
        let before = snapshot(&s.ws);
        let msg = refused(&s.ws, &args, 1);
        // The transcript's stage record catches it first; the seal, which no longer verifies,
        // is the second line of defence (claimed::tests cover it).
        let named =
            msg.contains("staged/claimed.f.json is not what transcript record") && msg.contains("changed on disk after it was staged");
        assert!(named, "{args:?}: {msg}");
        assert_eq!(snapshot(&s.ws), before, "{args:?}");
    }
    assert!(!s.files.join("x.tar").exists(), "{} exists", s.files.join("x.tar").display());
    // Dropping and promoting again seals afresh.
    ok(&s.ws, &["discard", "claimed"]);
    ok(&s.ws, &["claimed", "promote", path_str(&rc)]);
    s.sign_all(&["alice", "bob"]);
    s.export("b1");
}

#[test]
fn renew_claimed_reseals_every_shard() {
    let (s, rc) = first_batch_promoted();
    s.sign_all(&["alice", "bob"]);
    let holders = keyids(&s.ws, &["alice", "bob", "carol", "online"]);
    let before = assert_sealed(&s.export("b1"), &holders);
    let msg = refused(&s.ws, &["renew", "claimed.f"], 1);
    assert!(msg.contains("renew claimed"), "{msg}");
    let out = ok(&s.ws, &["renew", "claimed", "--expires", "30d", "--json"]);
    let staged: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(staged["version"], 2);
    let status: Value = serde_json::from_str(&ok(&s.ws, &["status", "--json"])).unwrap();
    assert_eq!(status["staged"].as_array().unwrap().len(), before.len() + 1, "{status}");
    s.sign_all(&["bob", "carol"]);
    let metadata = s.export("b2");
    let after = assert_sealed(&metadata, &holders);
    assert_eq!(after.len(), before.len());
    for ((name, k1), (_, k2)) in before.iter().zip(&after) {
        assert_ne!(k1, k2, "{name} kept its key");
        let shard = metadata.join(format!("2.{name}.json"));
        let v: Value = serde_json::from_slice(&std::fs::read(&shard).unwrap()).unwrap();
        let index: Value = serde_json::from_slice(&std::fs::read(metadata.join("2.claimed.json")).unwrap()).unwrap();
        assert_eq!(v["signed"]["expires"], index["signed"]["expires"], "{name}");
    }
    let (ok_, err) = s.client_fetch(&metadata, &rc, "foo-bar", false);
    assert!(ok_, "{err}");
}

/// [`setup`] with [`PROJECTS`] promoted (staged); returns the recently-claimed they came from.
fn first_batch_promoted() -> (Setup, PathBuf) {
    let s = setup();
    let rc = s.recently_claimed("rc1.json", &PROJECTS, 1, &[]);
    ok(&s.ws, &["claimed", "promote", path_str(&rc)]);
    (s, rc)
}

/// [`setup`] with [`PROJECTS`] promoted, signed by alice and carol, and exported as b1;
/// alice's and bob's claimed records can sign from files of their own. Returns the
/// recently-claimed the batch came from.
fn first_batch_exported() -> (Setup, PathBuf) {
    let (s, rc) = first_batch_promoted();
    // A person's claimed record shares the person's passphrase (setup registered them).
    for h in ["alice", "bob"] {
        std::fs::copy(s.files.join(format!("{h}.pass")), s.files.join(format!("{h}.claimed.pass"))).unwrap();
    }
    s.sign_all(&["alice", "carol"]);
    s.export("b1");
    (s, rc)
}

#[test]
fn changing_the_claimed_holders_restages_the_index_for_the_new_holders() {
    let (s, rc) = first_batch_exported();
    // carol leaves the claimed holders; alice and bob take claimed-only keys.
    let out = ok(&s.ws, &["targets", "init", "--claimed", "alice.claimed,bob.claimed", "--claimed-threshold", "2", "--online", "online"]);
    assert!(out.contains("claimed version 2 is staged too"), "{out}");
    // alice and bob sign targets only (their claimed records would sign the index too).
    for h in ["alice", "bob"] {
        let pf = s.files.join(format!("{h}.pass"));
        ok(&s.ws, &["sign", "--holder", h, "targets", "--passphrase-file", path_str(&pf), "--yes"]);
    }
    // Targets is complete, but the index is not until the new holders sign it.
    let msg = refused(&s.ws, &["bundle", "export", "--out", path_str(&s.files.join("early.tar"))], 1);
    assert!(msg.contains("claimed version 2") && msg.contains("signatures needed"), "{msg}");
    // Dropped, the index left trusted is signed by keys the staged targets no longer lists.
    ok(&s.ws, &["discard", "claimed"]);
    let status: Value = serde_json::from_str(&ok(&s.ws, &["status", "--json"])).unwrap();
    assert_eq!(status["ready"], false);
    let problem = status["problems"][0].as_str().unwrap();
    assert!(problem.contains("claimed version 1") && problem.contains("renew claimed"), "{status}");
    let msg = refused(&s.ws, &["bundle", "export", "--out", path_str(&s.files.join("early.tar"))], 1);
    assert!(msg.contains("renew claimed"), "{msg}");
    ok(&s.ws, &["renew", "claimed"]);
    let review = {
        let pf = s.files.join("alice.claimed.pass");
        ok(&s.ws, &["sign", "--holder", "alice.claimed", "--passphrase-file", path_str(&pf), "--yes"])
    };
    assert!(review.contains("Signed claimed version 2"), "{review}");
    s.sign_all(&["bob.claimed"]);
    let metadata = s.export("b2");
    let signed = signers_of(&metadata.join("2.claimed.json"));
    assert_eq!(signed.len(), 2);
    let new_holders = keyids(&s.ws, &["alice.claimed", "bob.claimed"]);
    assert!(signed.iter().all(|k| new_holders.contains(k)), "{signed:?}");
    let (ok_, err) = s.client_fetch(&metadata, &rc, "numpy", false);
    assert!(ok_, "{err}");
    // The same bundle carrying the index the old holders signed does not verify: bundle
    // verify checks the index under the bundle's targets, and each shard under its index.
    let b1 = s.files.join("b1/metadata");
    let files: Vec<ceremony::bundle::BundleFile> = std::fs::read_dir(&metadata)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let (v, rest) = name.split_once('.').unwrap();
            let role = rest.strip_suffix(".json").unwrap().to_string();
            let (v, p) = if role == "claimed" { (1, b1.join("1.claimed.json")) } else { (v.parse().unwrap(), p) };
            ceremony::bundle::BundleFile::metadata(&role, v, std::fs::read(p).unwrap(), true)
        })
        .collect();
    let bytes = ceremony::bundle::write_bundle(&files, b"").unwrap();
    let bundle = ceremony::bundle::read_bundle(bytes.as_slice(), &Default::default()).unwrap();
    let root = ceremony::tuf::metadata::Metadata::from_slice(&std::fs::read(metadata.join("1.root.json")).unwrap()).unwrap();
    let report = ceremony::bundle::verify_bundle(&bundle, &root, time::OffsetDateTime::now_utc());
    let index = report.files.iter().find(|f| f.role == "claimed").unwrap();
    assert!(!index.ok && index.verified_under.as_deref() == Some("targets v2"), "{index:?}");
    let shard = report.files.iter().find(|f| f.role == "claimed.f").unwrap();
    assert!(!shard.ok, "{shard:?}");
}

/// Rewrites the trusted index and shards as a Ceremony from before seals left them: every
/// shard delegated to the claimed holders (2 of alice, bob, carol) and signed by their claimed
/// keys, alice.claimed and bob.claimed.
fn make_legacy(ws_dir: &Path) {
    use ceremony::keys::signer::passphrase::{PassphraseSigner, Profile};
    use ceremony::keys::signer::Signer;
    use ceremony::tuf::metadata::Metadata;
    let ws = ceremony::workspace::Workspace::open(ws_dir).unwrap();
    let index = ceremony::workspace::claimed_state::load_index(&ws).unwrap();
    let signers: Vec<PassphraseSigner> = ["alice", "bob"]
        .iter()
        .map(|h| {
            let pass = ceremony::support::secret::SecretBytes::new(format!("{h} keeps seven quiet granite teapots").into_bytes());
            PassphraseSigner::derive(&pass, &format!("{h}.claimed"), &Profile::Test.params()).unwrap()
        })
        .collect();
    let sign = |signed: Vec<u8>| {
        let mut md = Metadata::from_signed(signed).unwrap();
        for s in &signers {
            md.set_signature(s.sign(&md.signed_bytes()).unwrap());
        }
        md
    };
    let trusted = ceremony::workspace::staging::trusted(&ws, "claimed").unwrap().unwrap();
    let mut signed: Value = serde_json::from_slice(trusted.signed_text()).unwrap();
    let keys: serde_json::Map<String, Value> =
        index.keys.keys.iter().map(|(id, k)| (id.clone(), serde_json::from_slice(k).unwrap())).collect();
    signed["delegations"]["keys"] = Value::Object(keys);
    for role in signed["delegations"]["roles"].as_array_mut().unwrap() {
        role["keyids"] = serde_json::json!(index.keys.keyids);
        role["threshold"] = serde_json::json!(index.keys.threshold);
    }
    let lock = ws.lock().unwrap();
    let mut tx = ws.begin(&lock).unwrap();
    let mut collected = ceremony::workspace::collected::Collected::in_transaction(&tx, "trusted").unwrap();
    let mut files = vec![("claimed".to_string(), sign(ceremony::tuf::canonical::to_canonical(&signed).unwrap()))];
    for leaf in &index.leaves {
        let role = ceremony::pypi::claimed::shard_role(leaf);
        let md = ceremony::workspace::staging::trusted(&ws, &role).unwrap().unwrap();
        files.push((role, sign(md.signed_bytes().into_owned())));
    }
    for (role, md) in files {
        collected.take(&role);
        common::workspace::trust_as_an_export_does(&mut tx, &role, &md);
    }
    collected.write(&mut tx, "trusted").unwrap();
    tx.commit().unwrap();
    drop(lock);
    let legacy = ceremony::workspace::claimed_state::load_index(&ws).unwrap();
    assert_eq!(legacy.unsealed().count(), legacy.leaves.len());
}

#[test]
fn the_next_promotion_reseals_shards_from_before_seals() {
    let (s, rc) = first_batch_promoted();
    s.sign_all(&["alice", "bob"]);
    s.export("b1");
    make_legacy(&s.ws);
    let rc2 = s.recently_claimed("rc2.json", &["attrs"], 2, &[]);
    let text = ok(&s.ws, &["claimed", "promote", path_str(&rc2)]);
    assert!(text.contains("resealed: 6 shard(s)"), "{text}");
    let pf = s.files.join("carol.pass");
    let review = ok(&s.ws, &["sign", "--holder", "carol", "--passphrase-file", path_str(&pf), "--yes"]);
    assert!(review.contains("resealed: 6"), "{review}");
    s.sign_all(&["alice"]);
    let metadata = s.export("b2");
    let holders = keyids(&s.ws, &["alice", "bob", "carol", "online"]);
    let sealed = assert_sealed(&metadata, &holders);
    for (name, _) in &sealed {
        assert!(metadata.join(format!("2.{name}.json")).exists(), "{name} was not resealed");
    }
    for project in ["attrs", "requests", "foo-bar"] {
        let rc = if project == "attrs" { &rc2 } else { &rc };
        let (ok_, err) = s.client_fetch(&metadata, rc, project, false);
        assert!(ok_, "{project}: {err}");
    }
}

#[test]
fn a_promotion_after_a_re_key_replaces_the_restaged_index() {
    let (s, _) = first_batch_exported();
    ok(&s.ws, &["targets", "init", "--claimed", "alice.claimed,bob.claimed", "--claimed-threshold", "2", "--online", "online"]);
    let rc2 = s.recently_claimed("rc2.json", &["attrs"], 2, &[]);
    let plan: Value = serde_json::from_str(&ok(&s.ws, &["claimed", "promote", path_str(&rc2), "--json"])).unwrap();
    assert_eq!(plan["files"][0]["role"], "claimed");
    assert_eq!(plan["files"][0]["version"], 2);
    // carol, no longer a claimed holder, signs only targets; the new claimed holders sign claimed.
    let pf = s.files.join("carol.pass");
    let out = ok(&s.ws, &["sign", "--holder", "carol", "--passphrase-file", path_str(&pf), "--yes"]);
    assert!(out.contains("Signed targets version 2") && !out.contains("Signed claimed"), "{out}");
    s.sign_all(&["alice", "bob.claimed"]);
    let metadata = s.export("b2");
    let (ok_, err) = s.client_fetch(&metadata, &rc2, "attrs", false);
    assert!(ok_, "{err}");
}
