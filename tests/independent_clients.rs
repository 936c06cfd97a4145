//! Three independent TUF clients (python-tuf's ngclient, tuf-js, tough) judge what the
//! ceremony publishes. A workspace made with the real `ceremony` binary (root v1 → v2,
//! targets v1 → v2, two `claimed promote` batches, distinct holders for targets and
//! claimed) yields four bundles; tests/python/independent_clients.py builds, around them,
//! the legitimate online repository and one hostile repository per substitution case;
//! each client then resolves the cases in one process per client.
//!
//! The attacker owns the online key and serves any offline-signed file under any name.
//! `normal_path_and_control` proves the clients take the normal path and that the
//! attacker's signing works (it wins where it legitimately may: a recently-claimed
//! project); `substitution_never_yields_the_attackers_file` proves it never wins for the
//! claimed project, whatever offline file it serves as whatever offline role.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::{ceremony, python, repo_root, run_python};
use serde_json::Value;

const CLIENTS: [&str; 3] = ["python-tuf", "tuf-js", "tough"];
const CLAIMED_PROJECT: &str = "requests";
const RC_PROJECT: &str = "newproj";

struct Results {
    cases: Vec<Value>,
    /// client → one verdict per case, in the order of `cases`.
    verdicts: BTreeMap<&'static str, Vec<Value>>,
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn ok(ws: &Path, args: &[&str]) -> String {
    let out = ceremony(ws, args);
    assert!(out.status.success(), "ceremony {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Ceremony {
    ws: PathBuf,
    files: PathBuf,
    bundles: Vec<PathBuf>,
}

impl Ceremony {
    fn pass(&self, holder: &str) -> PathBuf {
        self.files.join(format!("{holder}.pass"))
    }

    fn sign(&self, holders: &[&str]) {
        for h in holders {
            ok(&self.ws, &["sign", "--holder", h, "--passphrase-file", s(&self.pass(h)), "--yes"]);
        }
    }

    /// Exports and extracts the bundle; remembers its metadata directory.
    fn export(&mut self) {
        let n = self.bundles.len() + 1;
        let tar = self.files.join(format!("b{n}.tar"));
        ok(&self.ws, &["bundle", "export", "--out", s(&tar)]);
        let dir = self.files.join(format!("b{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let st = Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&dir).status().unwrap();
        assert!(st.success(), "tar -xf {}", tar.display());
        self.bundles.push(dir.join("metadata"));
    }

    fn paths(&self, names: &[&str], out: &str) -> PathBuf {
        let mut args = vec!["project", "paths"];
        args.extend_from_slice(names);
        args.push("--json");
        let file = self.files.join(out);
        std::fs::write(&file, ok(&self.ws, &args)).unwrap();
        file
    }

    /// One `claimed promote` batch from a python-tuf recently-claimed, signed 2 of 3.
    fn promote(&mut self, names: &[String], version: u32) {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let paths = self.paths(&names, &format!("rc{version}.paths.json"));
        let rc = self.files.join(format!("rc{version}.json"));
        let (online, dev) = (self.files.join("online.seed"), self.files.join("dev"));
        let v = version.to_string();
        let args = ["recently-claimed", "--online", s(&online), "--paths", s(&paths), "--out", s(&rc), "--version", &v];
        let mut args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        args.extend([OsStr::new("--dev-dir"), dev.as_os_str()]);
        run_python("pep480.py", &args);
        ok(&self.ws, &["claimed", "promote", s(&rc), "--yes"]);
        self.sign(&["alice.claimed", "bob.claimed"]);
        self.export();
    }
}

/// Batch 1 fills `claimed.p` past the 16 KiB shard limit so it splits, and puts
/// the claimed project in its own shard; batch 2 adds a project beside it (a new
/// version of that shard) and one under a new first letter (a new index version).
fn batches() -> (Vec<String>, Vec<String>) {
    let mut one: Vec<String> = ["requests", "django", "numpy"].map(String::from).to_vec();
    for c1 in ['a', 'b'] {
        for c2 in 'a'..='z' {
            one.push(format!("p{c1}{c2}tool"));
        }
    }
    (one, ["rich", "zope"].map(String::from).to_vec())
}

fn make_bundles(tmp: &Path) -> Ceremony {
    let files = tmp.join("files");
    std::fs::create_dir_all(files.join("dev")).unwrap();
    let mut c = Ceremony { ws: tmp.join("ws"), files, bundles: vec![] };
    ok(&c.ws, &["init"]);
    let current = std::fs::read_link(c.ws.join("current")).map(|l| c.ws.join(l)).unwrap();
    std::fs::write(current.join("policy.json"), b"{\"claimed_shard_max_bytes\": 16384}").unwrap();
    for h in ["alice", "bob", "carol", "dave", "alice.claimed", "bob.claimed", "carol.claimed"] {
        // A person's claimed record shares their passphrase, as the team's holders do: the
        // holder name salts the derivation, so it is still another key.
        let person = h.split('.').next().unwrap_or(h);
        let phrase = format!("{person} keeps seven quiet granite teapots\n");
        std::fs::write(c.pass(h), phrase).unwrap();
        ok(&c.ws, &["key", "new", "passphrase", "--holder", h, "--passphrase-file", s(&c.pass(h)), "--kdf-profile", "test"]);
    }
    run_python("pep480.py", &[OsStr::new("keygen"), c.files.join("online").as_os_str()]);
    ok(&c.ws, &["key", "import", "--holder", "online", s(&c.files.join("online.pub.json"))]);
    ok(
        &c.ws,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice,bob,carol", "--targets-threshold",
            "2", "--snapshot", "online", "--timestamp", "online",
        ],
    );
    ok(
        &c.ws,
        &["targets", "init", "--claimed", "alice.claimed,bob.claimed,carol.claimed", "--claimed-threshold", "2", "--online", "online"],
    );
    c.sign(&["alice", "bob"]);
    c.export();
    // Root v2 gives targets to alice, bob, dave; targets v2 carries alice's and dave's
    // signatures only, one valid under root v1: a client must follow the chain to read it.
    ok(&c.ws, &["root", "rotate", "--targets", "alice,bob,dave", "--expires", "300d"]);
    ok(&c.ws, &["renew", "targets", "--expires", "300d"]);
    c.sign(&["alice", "dave"]);
    ok(&c.ws, &["sign", "--holder", "bob", "root", "--passphrase-file", s(&c.pass("bob")), "--yes"]);
    c.export();
    let targets: Value = serde_json::from_slice(&std::fs::read(c.bundles[1].join("2.targets.json")).unwrap()).unwrap();
    assert_eq!(targets["signatures"].as_array().unwrap().len(), 2, "targets v2: alice's and dave's signatures only");
    let (one, two) = batches();
    c.promote(&one, 1);
    c.promote(&two, 2);
    c
}

/// The newest `V.ROLE.json` of `role` in a bundle's metadata directory, parsed.
fn newest(bundle: &Path, role: &str) -> Value {
    let suffix = format!(".{role}.json");
    let name = std::fs::read_dir(bundle)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.strip_suffix(&suffix).is_some_and(|v| v.parse::<u64>().is_ok()))
        .max_by_key(|n| n.split('.').next().unwrap().parse::<u64>().unwrap())
        .unwrap_or_else(|| panic!("no {role} in {}", bundle.display()));
    serde_json::from_slice(&std::fs::read(bundle.join(name)).unwrap()).unwrap()
}

/// The claimed index of the last bundle must hold at least three shards, one of them
/// made by a split (a key of two characters or more that is not a whole name), and its
/// keys must not be targets' keys: the layout the team's design requires, so that serving
/// `targets` as `claimed` tests the keys and not a shortcut.
fn assert_layout(bundle: &Path) {
    let root = newest(bundle, "root");
    let targets = newest(bundle, "targets");
    let claimed = &targets["signed"]["delegations"]["roles"][0];
    assert_eq!(claimed["name"], "claimed");
    for keyid in claimed["keyids"].as_array().unwrap() {
        let targets_keys = root["signed"]["roles"]["targets"]["keyids"].as_array().unwrap();
        assert!(!targets_keys.contains(keyid), "claimed shares key {keyid} with targets");
    }
    let index = newest(bundle, "claimed");
    let shards: Vec<&str> =
        index["signed"]["delegations"]["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(shards.len() >= 3, "fewer than 3 shards: {shards:?}");
    let split = shards.iter().any(|n| n.strip_prefix("claimed.").is_some_and(|k| k.len() >= 2 && !k.ends_with('-')));
    assert!(split, "no shard made by a split: {shards:?}");
}

/// Runs `cmd` with the cases on stdin; returns its JSON list of verdicts.
fn run_client(name: &str, mut cmd: Command, cases: &[u8]) -> std::thread::JoinHandle<Vec<Value>> {
    let cases = cases.to_vec();
    let name = name.to_string();
    std::thread::spawn(move || {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(&cases).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name} client failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name} client printed no verdicts ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    })
}

/// `npm ci` for tuf-js and `cargo build --locked` for tough, from the committed lock files.
fn install_clients() -> (PathBuf, PathBuf) {
    let tufjs = repo_root().join("tests/clients/tufjs");
    let st = Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--silent"]).current_dir(&tufjs).status();
    assert!(st.as_ref().is_ok_and(|s| s.success()), "npm ci in {} failed: {st:?}", tufjs.display());
    let target = repo_root().join("target/tough-client");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let st = Command::new(cargo)
        .args(["build", "--locked", "--quiet", "--manifest-path"])
        .arg(repo_root().join("tests/clients/tough-client/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status();
    assert!(st.as_ref().is_ok_and(|s| s.success()), "building tests/clients/tough-client failed: {st:?}");
    (tufjs.join("client.js"), target.join("debug/tough-client"))
}

fn results() -> &'static Results {
    static RESULTS: OnceLock<Results> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let (tufjs, tough) = install_clients();
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("independent-clients");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let c = make_bundles(&tmp);
        assert_layout(c.bundles.last().unwrap());
        let rc_paths = c.paths(&[RC_PROJECT], "rc-project.paths.json");
        let out = tmp.join("repo");
        let mut args: Vec<&OsStr> = vec![OsStr::new("build")];
        for b in &c.bundles {
            args.extend([OsStr::new("--bundle"), b.as_os_str()]);
        }
        let (online, dev) = (c.files.join("online.seed"), c.files.join("dev"));
        args.extend([OsStr::new("--online"), online.as_os_str(), OsStr::new("--dev-dir"), dev.as_os_str()]);
        args.extend([OsStr::new("--claimed-project"), OsStr::new(CLAIMED_PROJECT)]);
        args.extend([OsStr::new("--rc-paths"), rc_paths.as_os_str(), OsStr::new("--out"), out.as_os_str()]);
        run_python("independent_clients.py", &args);
        let raw = std::fs::read(out.join("cases.json")).unwrap();
        let cases: Vec<Value> = serde_json::from_slice(&raw).unwrap();

        let mut py = Command::new(python());
        py.arg(repo_root().join("tests/python/python_tuf_client.py"));
        let mut js = Command::new("node");
        js.arg(tufjs);
        let handles = [run_client("python-tuf", py, &raw), run_client("tuf-js", js, &raw), run_client("tough", Command::new(tough), &raw)];
        let mut verdicts = BTreeMap::new();
        for (name, h) in CLIENTS.into_iter().zip(handles) {
            let v = h.join().unwrap_or_else(|_| panic!("{name} client thread panicked"));
            assert_eq!(v.len(), cases.len(), "{name}: one verdict per case");
            verdicts.insert(name, v);
        }
        Results { cases, verdicts }
    })
}

/// "client: kind (variant) A ← B: verdict" for each case of `kinds` where `bad(case, verdict)`
/// holds.
fn failures(r: &Results, kinds: &[&str], bad: impl Fn(&Value, &Value) -> bool) -> Vec<String> {
    let mut out = vec![];
    for (client, verdicts) in &r.verdicts {
        for (case, verdict) in r.cases.iter().zip(verdicts) {
            if kinds.contains(&case["kind"].as_str().unwrap()) && bad(case, verdict) {
                let (kind, variant, a, b) = (&case["kind"], &case["variant"], &case["a"], &case["b"]);
                out.push(format!("{client}: {kind} ({variant}) {a} ← {b}: {verdict}"));
            }
        }
    }
    out
}

fn got(verdict: &Value, case: &Value, which: &str) -> bool {
    verdict["ok"] == true && verdict["sha256"] == case[which]
}

#[test]
fn normal_path_and_control() {
    let r = results();
    let wrong = failures(r, &["normal"], |c, v| !got(v, c, "good_sha256"));
    assert!(wrong.is_empty(), "the normal path failed:\n{}", wrong.join("\n"));
    // Without this, a refusal in the attack cases could be the attacker's own mistake.
    let wrong = failures(r, &["control"], |c, v| !got(v, c, "bad_sha256"));
    assert!(wrong.is_empty(), "the attacker's repository is not accepted where it should be:\n{}", wrong.join("\n"));
}

// With one set of claimed keys for the index and every shard (before sealed shards),
// python-tuf, tuf-js and tough all took the attacker's file in 80 of 486 runs: a shard served
// as the index or as the claimed project's shard, and (tough) the index served as a shard.
// One key per shard version closes it; a failure lists every (client, substitution) that
// gets through.
#[test]
fn substitution_never_yields_the_attackers_file() {
    let r = results();
    let attacks = r.cases.iter().filter(|c| c["kind"] == "attack" || c["kind"] == "baseline").count();
    assert!(attacks >= 60, "only {attacks} substitution cases");
    let accepted = failures(r, &["baseline", "attack"], |c, v| got(v, c, "bad_sha256"));
    assert!(
        accepted.is_empty(),
        "{} of {} (client, substitution) runs returned the attacker's file:\n{}",
        accepted.len(),
        attacks * CLIENTS.len(),
        accepted.join("\n")
    );
}
