//! A workspace that lies is caught (docs/hostile-inputs.md, "A workspace that lies").
//!
//! A workspace travels on a USB stick, where anyone can rewrite any file without a key. The
//! transcript's records vouch for every other file (src/workspace/ledger.rs) and every trusted
//! file is verified from the root down, so each kind of file, changed in each way a stick
//! allows (edited, put back as an older genuine copy, deleted, one more added), must be
//! refused by every command a ceremony runs, in one sentence naming the file, the workspace
//! left byte for byte as it was and no bundle written. A change Ceremony could have made
//! itself (a signature fewer) is not refused: `status` shows it.
//!
//! The workspace is built once (a bootstrap, a root and targets renewal, two promotions
//! exported, a third staged and signed by alice) with a copy kept after each step, and every
//! row works on a fresh copy of it.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ceremony::tuf::metadata::Metadata;
use common::promotion::{ok, path_str, setup};
use common::{ceremony, dir_tree};
use serde_json::Value;

/// The workspace every row starts from, built once, with copies of it after each step.
struct Base {
    dir: PathBuf,
}

impl Base {
    fn ws(&self) -> PathBuf {
        self.dir.join("ws")
    }

    /// Passphrases, recently-claimed files and bundles made while building it.
    fn files(&self) -> PathBuf {
        self.dir.join("files")
    }

    /// The workspace as it was after `step`: bootstrap (root 1 and targets 1 exported, a
    /// policy.json written by hand), renewed (root 2 and targets 2 exported), promoted1,
    /// promoted2 (two promotions exported), staged3 (a third promotion staged, unsigned).
    fn step(&self, step: &str) -> PathBuf {
        self.dir.join("steps").join(step)
    }

    /// A fake sysfs with only loopback, so preflight fails for the workspace alone.
    fn sys(&self) -> PathBuf {
        self.dir.join("sys")
    }
}

fn cp(from: &Path, to: &Path) {
    let st = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(st.success(), "cp -a {} {}", from.display(), to.display());
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tamper-base");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("steps")).unwrap();
        let lo = dir.join("sys/class/net/lo");
        std::fs::create_dir_all(&lo).unwrap();
        std::fs::write(lo.join("operstate"), "unknown\n").unwrap();
        std::fs::write(lo.join("flags"), "0x9\n").unwrap();

        let s = setup();
        let keep = |step: &str| cp(&s.ws, &dir.join("steps").join(step));
        let export = |name: &str| ok(&s.ws, &["bundle", "export", "--out", path_str(&s.files.join(format!("{name}.tar")))]);
        // No command writes policy.json: people write it by hand.
        std::fs::write(s.ws.join("current/policy.json"), b"{\"max_expiry_days\":1000}").unwrap();
        keep("bootstrap");
        ok(&s.ws, &["root", "rotate", "--expires", "300d"]);
        ok(&s.ws, &["renew", "targets"]);
        s.sign_all(&["alice", "bob"]);
        export("renewed");
        keep("renewed");
        // Shards by first letter: claimed.a, .d, .f, .n, .r; the second promotion changes
        // claimed.r (a new key for requests), the third stages claimed.d, .f and .n.
        let rc1 = s.recently_claimed("rc1.json", &["foo", "django", "requests", "numpy"], 1, &[]);
        ok(&s.ws, &["claimed", "promote", path_str(&rc1)]);
        s.sign_all(&["alice", "bob"]);
        export("promoted1");
        keep("promoted1");
        let rc2 = s.recently_claimed("rc2.json", &["requests", "attrs"], 2, &[]);
        ok(&s.ws, &["claimed", "promote", path_str(&rc2)]);
        s.sign_all(&["alice", "bob"]);
        export("promoted2");
        keep("promoted2");
        let rc3 = s.recently_claimed("rc3.json", &["django", "numpy", "flask"], 3, &[]);
        ok(&s.ws, &["claimed", "promote", path_str(&rc3)]);
        keep("staged3");
        s.sign_all(&["alice"]);
        cp(&s.ws, &dir.join("ws"));
        cp(&s.files, &dir.join("files"));
        let base = Base { dir };
        for rel in ["trusted/claimed.r.json", "staged/claimed.json", "staged/claimed.d.json", "trusted/root/2.root.json"] {
            assert!(base.ws().join("current").join(rel).is_file(), "{rel}");
        }
        base
    })
}

/// A fresh copy of the base workspace that one row changes.
struct Case {
    _tmp: tempfile::TempDir,
    ws: PathBuf,
    out: PathBuf,
}

impl Case {
    fn new() -> Case {
        Case::of(&base().ws())
    }

    /// A fresh copy of the workspace as it was after `step`.
    fn from_step(step: &str) -> Case {
        Case::of(&base().step(step))
    }

    fn of(ws_dir: &Path) -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        cp(ws_dir, &ws);
        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        Case { _tmp: tmp, ws, out }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.ws.join("current").join(rel)
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Replaces a file (a new file, as anyone with the stick would write it).
    fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.path(rel);
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, bytes).unwrap();
    }

    fn delete(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }

    /// Replaces `from` in the file by `to`, once.
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = String::from_utf8(self.read(rel)).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        self.put(rel, text.replacen(from, to, 1).as_bytes());
    }

    /// Changes metadata's signed part (its expiry, by a millennium).
    fn edit_signed(&self, rel: &str) {
        self.edit(rel, "\"expires\":\"20", "\"expires\":\"30");
    }

    /// Puts the genuine file `from` of the workspace as it was after `step` at `rel`.
    fn older(&self, rel: &str, step: &str, from: &str) {
        let bytes = std::fs::read(base().step(step).join("current").join(from)).unwrap();
        assert_ne!(bytes, self.read_or_empty(rel), "{from} of {step} is the file {rel} already");
        self.put(rel, &bytes);
    }

    fn text(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    fn read_or_empty(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_default()
    }

    /// `dir/collected.sigs` as JSON, changed by `change`, written back in canonical form.
    fn sigs(&self, dir: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) {
        let rel = format!("{dir}/collected.sigs");
        let mut v: Value = serde_json::from_slice(&self.read(&rel)).unwrap();
        change(v.as_object_mut().unwrap());
        self.put(&rel, &ceremony::tuf::canonical::to_canonical(&v).unwrap());
    }

    /// A holder's keyid, from its record.
    fn keyid(&self, holder: &str) -> String {
        let record: Value = serde_json::from_slice(&self.read(&format!("holders/{holder}.json"))).unwrap();
        record["keyid"].as_str().unwrap().to_string()
    }

    /// Points `current` at `target`.
    fn relink(&self, target: &Path) {
        let link = self.ws.join("current");
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(target, &link).unwrap();
    }

    /// A copy of the state after `step` put in this workspace's states/ as `name`.
    fn old_state(&self, step: &str, name: &str) -> PathBuf {
        let from = std::fs::canonicalize(base().step(step).join("current")).unwrap();
        let to = self.ws.join("states").join(name);
        cp(&from, &to);
        to
    }
}

/// The signature list of `role` in a collected.sigs object.
fn sig_list<'a>(sigs: &'a mut serde_json::Map<String, Value>, role: &str) -> &'a mut Vec<Value> {
    sigs.get_mut(role).and_then(Value::as_array_mut).unwrap_or_else(|| panic!("no signatures for {role}"))
}

/// A signature whose hex is changed in its first digit.
fn flip_first(sigs: &mut serde_json::Map<String, Value>, role: &str) {
    let sig = &mut sig_list(sigs, role)[0]["sig"];
    let text = sig.as_str().unwrap().to_string();
    let first = if text.starts_with('0') { "1" } else { "0" };
    *sig = Value::from(format!("{first}{}", &text[1..]));
}

fn push_sig(sigs: &mut serde_json::Map<String, Value>, role: &str, keyid: &str) {
    sig_list(sigs, role).push(serde_json::json!({"keyid": keyid, "sig": "ab".repeat(64)}));
}

/// What must happen after a row's change.
enum Expect {
    /// status, review, sign, bundle export and preflight refuse, naming this (a file of the
    /// state, or the `current` link).
    Refused(&'static str),
    /// Not refused: status (and review, when `review` is set) shows `text`.
    Shown { text: fn(&Case) -> String, review: bool },
    /// A file no command reads: status prints what it printed before.
    Unread,
}

/// One kind of file, one change, what must follow.
struct Row {
    file: &'static str,
    change: &'static str,
    apply: fn(&Case),
    expect: Expect,
}

fn row(file: &'static str, change: &'static str, apply: fn(&Case), expect: Expect) -> Row {
    Row { file, change, apply, expect }
}

use Expect::{Refused, Shown, Unread};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The sentence a refusal printed on stderr, or what is wrong with the refusal.
fn refusal(out: &std::process::Output, named: &str) -> Result<String, String> {
    let stderr = text(&out.stderr);
    if !matches!(out.status.code(), Some(1 | 2)) {
        return Err(format!("exit {:?}, not refused: {stderr}{}", out.status.code(), text(&out.stdout)));
    }
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("WARNING")).collect();
    match lines.as_slice() {
        [line] if line.contains(named) => Ok(line.to_string()),
        [line] => Err(format!("the refusal does not name {named}: {line}")),
        _ => Err(format!("not one sentence: {stderr}")),
    }
}

/// Runs the row's commands on a fresh copy; returns what went wrong.
fn check(r: &Row) -> Vec<String> {
    let c = Case::new();
    (r.apply)(&c);
    let mut wrong = Vec::new();
    match &r.expect {
        Refused(named) => {
            let bundle = c.out.join("b.tar");
            let pass = base().files().join("bob.pass");
            let sys = base().sys();
            let commands: [Vec<&str>; 5] = [
                vec!["status"],
                vec!["review"],
                vec!["sign", "--holder", "bob", "--passphrase-file", path_str(&pass), "--yes"],
                vec!["bundle", "export", "--out", path_str(&bundle)],
                vec!["preflight", "--sys-root", path_str(&sys)],
            ];
            for args in commands {
                let before = dir_tree(&c.ws);
                let out = ceremony(&c.ws, &args);
                let verdict = if args[0] == "preflight" {
                    let stdout = text(&out.stdout);
                    let failed = stdout.lines().any(|l| l.starts_with("fail: ") && l.contains(named));
                    match out.status.code() {
                        Some(1) if failed => Ok(String::new()),
                        code => Err(format!("exit {code:?} without a fail line naming {named}: {stdout}")),
                    }
                } else {
                    refusal(&out, named)
                };
                if let Err(e) = verdict {
                    wrong.push(format!("{}: {e}", args[0]));
                }
                if dir_tree(&c.ws) != before {
                    wrong.push(format!("{}: changed the workspace", args[0]));
                }
            }
            if bundle.exists() {
                wrong.push("a bundle was written".into());
            }
        }
        Shown { text: expected, review } => {
            let expected = expected(&c);
            let commands: &[&str] = if *review { &["status", "review"] } else { &["status"] };
            for command in commands {
                let out = ceremony(&c.ws, &[command]);
                let stdout = text(&out.stdout);
                if !out.status.success() || !stdout.contains(&expected) {
                    wrong.push(format!("{command} does not show {expected:?}: {stdout}{}", text(&out.stderr)));
                }
            }
        }
        Unread => {
            let before = ok(&base().ws(), &["status"]);
            let out = ceremony(&c.ws, &["status"]);
            if text(&out.stdout) != before {
                wrong.push(format!("status changed: {}{}", text(&out.stdout), text(&out.stderr)));
            }
        }
    }
    // The first lines say what happened; the rest of a screen would drown the table.
    let short = |w: String| w.lines().take(3).collect::<Vec<_>>().join(" | ");
    wrong.into_iter().map(|w| format!("{} ({}): {}", r.file, r.change, short(w))).collect()
}

fn run_table(rows: Vec<Row>) {
    let wrong: Vec<String> = rows.iter().flat_map(check).collect();
    assert!(wrong.is_empty(), "{} problems:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn trusted_files() {
    run_table(vec![
        row("root", "edit", |c| c.edit_signed("trusted/root/2.root.json"), Refused("trusted/root/2.root.json")),
        row(
            "root",
            "older",
            |c| c.older("trusted/root/2.root.json", "bootstrap", "trusted/root/1.root.json"),
            Refused("trusted/root/2.root.json"),
        ),
        row("root", "delete", |c| c.delete("trusted/root/2.root.json"), Refused("trusted/root/2.root.json")),
        row("root", "add", |c| c.put("trusted/root/3.root.json", &c.read("trusted/root/2.root.json")), Refused("trusted/root/3.root.json")),
        row("targets", "edit", |c| c.edit_signed("trusted/targets.json"), Refused("trusted/targets.json")),
        row("targets", "older", |c| c.older("trusted/targets.json", "bootstrap", "trusted/targets.json"), Refused("trusted/targets.json")),
        row("targets", "delete", |c| c.delete("trusted/targets.json"), Refused("trusted/targets.json")),
        row(
            "targets",
            "add (recently-claimed, genuine, online-signed)",
            |c| c.put("trusted/recently-claimed.json", &std::fs::read(base().files().join("rc1.json")).unwrap()),
            Refused("trusted/recently-claimed.json"),
        ),
        row("claimed index", "edit", |c| c.edit_signed("trusted/claimed.json"), Refused("trusted/claimed.json")),
        row(
            "claimed index",
            "older",
            |c| c.older("trusted/claimed.json", "promoted1", "trusted/claimed.json"),
            Refused("trusted/claimed.json"),
        ),
        row("claimed index", "delete", |c| c.delete("trusted/claimed.json"), Refused("trusted/claimed.json")),
        row("claimed shard", "edit", |c| c.edit_signed("trusted/claimed.r.json"), Refused("trusted/claimed.r.json")),
        row(
            "claimed shard",
            "older",
            |c| c.older("trusted/claimed.r.json", "promoted1", "trusted/claimed.r.json"),
            Refused("trusted/claimed.r.json"),
        ),
        row("claimed shard", "delete", |c| c.delete("trusted/claimed.r.json"), Refused("trusted/claimed.r.json")),
        row(
            "claimed shard",
            "add",
            |c| c.put("trusted/claimed.b.json", &c.read("trusted/claimed.a.json")),
            Refused("trusted/claimed.b.json"),
        ),
        row(
            "trusted/collected.sigs",
            "edit (targets' signature)",
            |c| c.sigs("trusted", |s| flip_first(s, "targets")),
            Refused("trusted/collected.sigs"),
        ),
        row(
            "trusted/collected.sigs",
            "older (before the promotions)",
            |c| c.older("trusted/collected.sigs", "renewed", "trusted/collected.sigs"),
            Refused("trusted/collected.sigs"),
        ),
        row("trusted/collected.sigs", "delete", |c| c.delete("trusted/collected.sigs"), Refused("trusted/collected.sigs")),
        row(
            "trusted/collected.sigs",
            "add (a signature by carol that does not verify)",
            |c| {
                let carol = c.keyid("carol");
                c.sigs("trusted", |s| push_sig(s, "targets", &carol))
            },
            Refused("trusted/collected.sigs"),
        ),
    ]);
}

#[test]
fn holder_records() {
    run_table(vec![
        row(
            "holder record",
            "edit",
            |c| c.edit("holders/alice.json", "\"registered\": \"20", "\"registered\": \"19"),
            Refused("holders/alice.json"),
        ),
        row(
            "holder record",
            "another genuine record",
            |c| c.put("holders/alice.json", &c.read("holders/bob.json")),
            Refused("holders/alice.json"),
        ),
        row("holder record", "delete", |c| c.delete("holders/alice.json"), Refused("holders/alice.json")),
        row(
            "holder record",
            "add",
            |c| c.put("holders/dave.json", c.text("holders/carol.json").replace("carol", "dave").as_bytes()),
            Refused("holders/dave.json"),
        ),
        row(
            "holder record",
            "edit (NAME.claimed)",
            |c| c.edit("holders/alice.claimed.json", "\"registered\": \"20", "\"registered\": \"19"),
            Refused("holders/alice.claimed.json"),
        ),
        row(
            "holder record",
            "another genuine record (NAME.claimed)",
            |c| c.put("holders/alice.claimed.json", &c.read("holders/bob.claimed.json")),
            Refused("holders/alice.claimed.json"),
        ),
        row("holder record", "delete (NAME.claimed)", |c| c.delete("holders/alice.claimed.json"), Refused("holders/alice.claimed.json")),
        row(
            "holder record",
            "add (NAME.claimed)",
            |c| c.put("holders/dave.claimed.json", c.text("holders/carol.claimed.json").replace("carol", "dave").as_bytes()),
            Refused("holders/dave.claimed.json"),
        ),
    ]);
}

/// "threshold of targets version 2: 0 signed, 2 needed": alice's signature is gone.
fn alice_unsigned(_: &Case) -> String {
    "threshold of targets version 2: 0 signed, 2 needed: NOT met".into()
}

#[test]
fn staged_files() {
    run_table(vec![
        row("staged index", "edit", |c| c.edit_signed("staged/claimed.json"), Refused("staged/claimed.json")),
        row(
            "staged index",
            "older (the last promotion's)",
            |c| c.older("staged/claimed.json", "promoted2", "trusted/claimed.json"),
            Refused("staged/claimed.json"),
        ),
        row("staged index", "delete", |c| c.delete("staged/claimed.json"), Refused("staged/claimed.json")),
        row("staged shard", "edit", |c| c.edit_signed("staged/claimed.d.json"), Refused("staged/claimed.d.json")),
        row(
            "staged shard",
            "older (the last promotion's)",
            |c| c.older("staged/claimed.d.json", "promoted2", "trusted/claimed.d.json"),
            Refused("staged/claimed.d.json"),
        ),
        row("staged shard", "delete", |c| c.delete("staged/claimed.d.json"), Refused("staged/claimed.d.json")),
        row(
            "staged shard",
            "add (a trusted shard)",
            |c| c.put("staged/claimed.a.json", &c.read("trusted/claimed.a.json")),
            Refused("staged/claimed.a.json"),
        ),
        row(
            "staged/collected.sigs",
            "edit (alice's signature)",
            |c| c.sigs("staged", |s| flip_first(s, "claimed")),
            Refused("staged/collected.sigs"),
        ),
        row(
            "staged/collected.sigs",
            "older (before alice signed)",
            |c| c.older("staged/collected.sigs", "staged3", "staged/collected.sigs"),
            Shown { text: alice_unsigned, review: false },
        ),
        row(
            "staged/collected.sigs",
            "drop alice's signature",
            |c| {
                c.sigs("staged", |s| {
                    s.remove("claimed");
                })
            },
            Shown { text: alice_unsigned, review: false },
        ),
        row(
            "staged/collected.sigs",
            "delete (the shards' seals go with it)",
            |c| c.delete("staged/collected.sigs"),
            Refused("staged/collected.sigs"),
        ),
        row(
            "staged/collected.sigs",
            "add (a signature by bob.claimed that does not verify)",
            |c| {
                let bob = c.keyid("bob.claimed");
                c.sigs("staged", |s| push_sig(s, "claimed", &bob))
            },
            Refused("staged/collected.sigs"),
        ),
    ]);
}

fn policy_digest(c: &Case) -> String {
    use sha2::Digest;
    format!("policy.json (sha256 {})", hex::encode(sha2::Sha256::digest(c.read("policy.json"))))
}

#[test]
fn transcript_policy_and_links() {
    run_table(vec![
        row(
            "transcript.jsonl",
            "edit",
            |c| c.edit("transcript.jsonl", "\"holder\":\"bob\"", "\"holder\":\"bop\""),
            Refused("transcript.jsonl"),
        ),
        // The files it vouched for are not the ones on disk.
        row("transcript.jsonl", "older", |c| c.older("transcript.jsonl", "promoted2", "transcript.jsonl"), Refused("staged/claimed.json")),
        row("transcript.jsonl", "delete", |c| c.delete("transcript.jsonl"), Refused("transcript.jsonl")),
        row(
            "transcript.jsonl",
            "add (its last record again)",
            |c| {
                let text = c.text("transcript.jsonl");
                let last = text.lines().last().unwrap().to_string();
                c.put("transcript.jsonl", format!("{text}{last}\n").as_bytes())
            },
            Refused("transcript.jsonl"),
        ),
        // Written by hand, so never refused: shown with its digest wherever a change matters.
        row("policy.json", "edit", |c| c.put("policy.json", b"{\"max_expiry_days\":900}"), Shown { text: policy_digest, review: true }),
        row("policy.json", "delete", |c| c.delete("policy.json"), Shown { text: |_| "no policy.json".into(), review: true }),
        row(
            "current link",
            "points outside the workspace",
            |c| {
                let elsewhere = c.out.join("state");
                cp(&std::fs::canonicalize(c.ws.join("current")).unwrap(), &elsewhere);
                c.relink(&elsewhere)
            },
            Refused("`current` link"),
        ),
        row("current link", "points at no state", |c| c.relink(Path::new("states/999999")), Refused("`current` link")),
        row("states", "an extra old state", |c| drop(c.old_state("promoted2", "000001")), Unread),
    ]);
}

/// Changes only the transcript anchor (the previous ceremony's closing head typed at
/// `ceremony begin`) can catch: a whole older workspace state is as consistent as the
/// current one.
#[test]
#[ignore = "a consistent older state is caught only by the transcript anchor typed at `ceremony begin`, not on main yet"]
fn a_whole_older_state_is_refused() {
    run_table(vec![
        row(
            "current link",
            "points at an older genuine state",
            |c| {
                c.old_state("promoted2", "000001");
                c.relink(Path::new("states/000001"))
            },
            Refused("transcript.jsonl"),
        ),
        row(
            "transcript.jsonl",
            "cut to before alice signed",
            |c| c.older("transcript.jsonl", "staged3", "transcript.jsonl"),
            Refused("transcript.jsonl"),
        ),
    ]);
}

/// A new Ed25519 key's keyid and TUF key object: an attacker's developer key.
fn attacker_key() -> (String, Value) {
    use ceremony::keys::signer::{Signer, SoftwareSigner};
    let key = SoftwareSigner::generate(ceremony::tuf::key::Algorithm::Ed25519).public_key().clone();
    (key.keyid().to_string(), serde_json::from_slice(&key.to_json_text()).unwrap())
}

/// `signed` of a claimed shard with the attacker's key added to `project`'s delegation.
fn with_attacker_key(signed: &mut Value, project: &str) {
    let (keyid, key) = attacker_key();
    let delegations = &mut signed["delegations"];
    delegations["keys"][&keyid] = key;
    let roles = delegations["roles"].as_array_mut().unwrap();
    let role = roles.iter_mut().find(|r| r["name"] == project).unwrap_or_else(|| panic!("no {project}"));
    role["keyids"].as_array_mut().unwrap().push(Value::from(keyid));
}

fn canonical(v: &Value) -> Vec<u8> {
    ceremony::tuf::canonical::to_canonical(v).unwrap()
}

/// `staged/digests.record` as versions before the ledger kept it, for the files staged now:
/// the attacker writes it too, so the attack would have passed there.
fn legacy_digests(c: &Case) {
    let mut digests = serde_json::Map::new();
    for f in std::fs::read_dir(c.path("staged")).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        let Some(role) = name.strip_suffix(".json") else { continue };
        let md = Metadata::from_vec(c.read(&format!("staged/{name}"))).unwrap();
        digests.insert(role.to_string(), Value::from(hex::encode(ceremony::workspace::staging::digest(&md))));
    }
    c.put("staged/digests.record", &canonical(&Value::Object(digests)));
}

/// Each command refused naming `named` (and `also`), the workspace unchanged, no bundle.
fn all_refuse(c: &Case, commands: &[Vec<&str>], named: &str, also: &str) {
    for args in commands {
        let before = dir_tree(&c.ws);
        let out = ceremony(&c.ws, args);
        let sentence = refusal(&out, named).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(sentence.contains(also), "{args:?}: {sentence}");
        assert_eq!(dir_tree(&c.ws), before, "{args:?} changed the workspace");
    }
    assert!(!c.out.join("b.tar").exists());
}

fn preflight_fails(c: &Case, named: &str) {
    let before = dir_tree(&c.ws);
    let out = ceremony(&c.ws, &["preflight", "--sys-root", path_str(&base().sys())]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("fail: ") && l.contains(named)), "{stdout}");
    assert_eq!(dir_tree(&c.ws), before);
}

/// Attack: a trusted shard rewritten on the stick so that a claimed project trusts an
/// attacker's developer key, then laundered by `renew claimed` (which reseals every shard
/// with a fresh key) or by the next promotion touching that shard. Before the ledger a
/// trusted file was only parsed, so both staged the attacker's key under a fresh seal.
#[test]
fn an_edited_trusted_shard_is_not_laundered_by_a_reseal() {
    let c = Case::from_step("promoted2");
    let rel = "trusted/claimed.d.json";
    let mut md: Value = serde_json::from_slice(&c.read(rel)).unwrap();
    with_attacker_key(&mut md["signed"], "django");
    c.put(rel, &canonical(&md));
    let rc3 = base().files().join("rc3.json");
    let commands = [vec!["renew", "claimed"], vec!["claimed", "promote", path_str(&rc3)], vec!["status"], vec!["review"]];
    all_refuse(&c, &commands, rel, "");
    preflight_fails(&c, rel);
}

fn staged_work_commands(c: &Case) -> [Vec<&'static str>; 4] {
    let pass: &'static str = Box::leak(base().files().join("bob.pass").display().to_string().into_boxed_str());
    let out: &'static str = Box::leak(c.out.join("b.tar").display().to_string().into_boxed_str());
    [
        vec!["review"],
        vec!["sign", "--holder", "bob", "--passphrase-file", pass, "--yes"],
        vec!["status"],
        vec!["bundle", "export", "--out", out],
    ]
}

/// Attack: a complete promotion's staged files (with the digests older versions kept beside
/// them) copied from another copy of the workspace into one with nothing staged: no
/// transcript record staged them here.
#[test]
fn staged_work_nobody_staged_is_refused() {
    let c = Case::from_step("promoted2");
    let from = base().ws().join("current/staged");
    for f in std::fs::read_dir(&from).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        c.put(&format!("staged/{name}"), &std::fs::read(from.join(&name)).unwrap());
    }
    legacy_digests(&c);
    all_refuse(&c, &staged_work_commands(&c), "staged/claimed", "no transcript record");
    preflight_fails(&c, "staged/claimed");
}

/// Attack: after `claimed promote`, a staged shard gives django an attacker's key, is
/// resealed with a new one-time key, and the staged index pins that key (alice's signature
/// on the index, which no longer verifies, dropped): every seal verifies, and only the
/// `stage` record's digests tell.
#[test]
fn a_resealed_staged_shard_is_refused() {
    use ceremony::pypi::claimed;
    let c = Case::new();
    let shard = Metadata::from_vec(c.read("staged/claimed.d.json")).unwrap();
    let mut signed: Value = serde_json::from_slice(&shard.signed_bytes()).unwrap();
    with_attacker_key(&mut signed, "django");
    let (sealed, seal) = claimed::seal(canonical(&signed)).unwrap();
    c.put("staged/claimed.d.json", &sealed.to_bytes_with(&[]));

    let index = Metadata::from_vec(c.read("staged/claimed.json")).unwrap();
    let mut signed: Value = serde_json::from_slice(&index.signed_bytes()).unwrap();
    let roles = signed["delegations"]["roles"].as_array_mut().unwrap();
    let role = roles.iter_mut().find(|r| r["name"] == "claimed.d").unwrap();
    let old = role["keyids"][0].as_str().unwrap().to_string();
    role["keyids"] = serde_json::json!([seal.keyid]);
    let keys = signed["delegations"]["keys"].as_object_mut().unwrap();
    keys.remove(&old);
    keys.insert(seal.keyid.clone(), serde_json::from_slice(&seal.key).unwrap());
    c.put("staged/claimed.json", &Metadata::from_signed(canonical(&signed)).unwrap().to_bytes_with(&[]));
    let seal_sig = &sealed.signatures()[0];
    c.sigs("staged", |s| {
        s.insert("claimed.d".into(), serde_json::json!([{"keyid": seal_sig.keyid, "sig": seal_sig.sig}]));
        s.remove("claimed");
    });
    legacy_digests(&c);
    all_refuse(&c, &staged_work_commands(&c), "staged/claimed", "(stage)");
    preflight_fails(&c, "staged/claimed");
}
