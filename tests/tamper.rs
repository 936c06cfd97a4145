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
        let text = self.text(rel);
        assert!(text.contains(from), "{rel} has no {from:?}");
        self.put(rel, text.replacen(from, to, 1).as_bytes());
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

/// How a row changes its file (`Row::file`, a path below the state).
enum Change {
    /// Its signed part changed (its expiry, by a millennium).
    Edit,
    /// `from` replaced by `to` in its text, once.
    EditText(&'static str, &'static str),
    /// Replaced by the genuine file `from` of the workspace as it was after `step`.
    Older {
        step: &'static str,
        from: &'static str,
    },
    /// Replaced by another genuine file of this state.
    Swap(&'static str),
    Delete,
    /// Added: a copy of another genuine file of this state.
    CopyOf(&'static str),
    /// Anything else, described.
    Do(&'static str, fn(&Case)),
}

use Change::{CopyOf, Delete, Do, Edit, EditText, Older, Swap};

impl Change {
    fn apply(&self, c: &Case, file: &str) {
        match self {
            Edit => c.edit(file, "\"expires\":\"20", "\"expires\":\"30"),
            EditText(from, to) => c.edit(file, from, to),
            Older { step, from } => c.older(file, step, from),
            Swap(other) | CopyOf(other) => c.put(file, &c.read(other)),
            Delete => c.delete(file),
            Do(_, change) => change(c),
        }
    }

    fn describe(&self) -> String {
        match self {
            Edit | EditText(..) => "edited".into(),
            Older { step, from } => format!("replaced by {from} as it was after {step}"),
            Swap(other) => format!("replaced by {other}"),
            Delete => "deleted".into(),
            CopyOf(other) => format!("added, a copy of {other}"),
            Do(what, _) => what.to_string(),
        }
    }
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

use Expect::{Refused, Shown, Unread};

/// One file, one change, what must follow.
struct Row {
    file: &'static str,
    change: Change,
    expect: Expect,
}

/// The usual row: refused, naming the file changed.
fn refused(file: &'static str, change: Change) -> Row {
    Row { file, change, expect: Refused(file) }
}

fn row(file: &'static str, change: Change, expect: Expect) -> Row {
    Row { file, change, expect }
}

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

/// A preflight that failed with a `fail:` line naming `named`, or what is wrong with it.
fn preflight_failure(out: &std::process::Output, named: &str) -> Result<(), String> {
    let stdout = text(&out.stdout);
    let failed = stdout.lines().any(|l| l.starts_with("fail: ") && l.contains(named));
    match out.status.code() {
        Some(1) if failed => Ok(()),
        code => Err(format!("exit {code:?} without a fail line naming {named}: {stdout}")),
    }
}

/// The commands a ceremony runs on a workspace, the bundle (if any) written to `bundle`.
fn ceremony_commands(bundle: &Path) -> Vec<Vec<String>> {
    let (pass, sys) = (base().files().join("bob.pass"), base().sys());
    owned(&[
        &["status"],
        &["review"],
        &["sign", "--holder", "bob", "--passphrase-file", path_str(&pass), "--yes"],
        &["bundle", "export", "--out", path_str(bundle)],
        &["preflight", "--sys-root", path_str(&sys)],
    ])
}

/// Runs `args` on `ws`, which must refuse naming `named` and stay as it was.
fn refuses(ws: &Path, args: &[String], named: &str) -> Result<String, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let before = dir_tree(ws);
    let out = ceremony(ws, &args);
    let verdict = if args[0] == "preflight" { preflight_failure(&out, named).map(|()| String::new()) } else { refusal(&out, named) };
    match dir_tree(ws) == before {
        true => verdict,
        false => Err(format!("changed the workspace ({})", verdict.err().unwrap_or_default())),
    }
}

/// Runs the row's commands on a fresh copy; returns what went wrong.
fn check(r: &Row) -> Vec<String> {
    let c = Case::new();
    r.change.apply(&c, r.file);
    let mut wrong = Vec::new();
    match &r.expect {
        Refused(named) => {
            let bundle = c.out.join("b.tar");
            for args in ceremony_commands(&bundle) {
                if let Err(e) = refuses(&c.ws, &args, named) {
                    wrong.push(format!("{}: {e}", args[0]));
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
    wrong.into_iter().map(|w| format!("{} {}: {}", r.file, r.change.describe(), short(w))).collect()
}

/// Checks every row, then reports every row that went wrong at once.
fn run_table(rows: Vec<Row>) {
    let wrong: Vec<String> = rows.iter().flat_map(check).collect();
    assert!(wrong.is_empty(), "{} problems:\n{}", wrong.len(), wrong.join("\n"));
}

/// A signature by carol (a targets key) that does not verify, added to targets'.
fn carols_bad_signature(c: &Case) {
    let carol = c.keyid("carol");
    c.sigs("trusted", |s| push_sig(s, "targets", &carol))
}

#[test]
fn trusted_files() {
    run_table(vec![
        refused("trusted/root/2.root.json", Edit),
        refused("trusted/root/2.root.json", Older { step: "bootstrap", from: "trusted/root/1.root.json" }),
        refused("trusted/root/2.root.json", Delete),
        refused("trusted/root/3.root.json", CopyOf("trusted/root/2.root.json")),
        refused("trusted/targets.json", Edit),
        refused("trusted/targets.json", Older { step: "bootstrap", from: "trusted/targets.json" }),
        refused("trusted/targets.json", Delete),
        refused(
            "trusted/recently-claimed.json",
            Do("added, genuine and signed by the online key", |c| {
                c.put("trusted/recently-claimed.json", &std::fs::read(base().files().join("rc1.json")).unwrap())
            }),
        ),
        refused("trusted/claimed.json", Edit),
        refused("trusted/claimed.json", Older { step: "promoted1", from: "trusted/claimed.json" }),
        refused("trusted/claimed.json", Delete),
        refused("trusted/claimed.r.json", Edit),
        refused("trusted/claimed.r.json", Older { step: "promoted1", from: "trusted/claimed.r.json" }),
        refused("trusted/claimed.r.json", Delete),
        refused("trusted/claimed.b.json", CopyOf("trusted/claimed.a.json")),
        refused("trusted/collected.sigs", Do("edited: a targets signature changed", |c| c.sigs("trusted", |s| flip_first(s, "targets")))),
        refused("trusted/collected.sigs", Older { step: "renewed", from: "trusted/collected.sigs" }),
        refused("trusted/collected.sigs", Delete),
        refused("trusted/collected.sigs", Do("added: a signature by carol that does not verify", carols_bad_signature)),
    ]);
}

const ALICE_REGISTERED: Change = EditText("\"registered\": \"20", "\"registered\": \"19");

#[test]
fn holder_records() {
    run_table(vec![
        refused("holders/alice.json", ALICE_REGISTERED),
        refused("holders/alice.json", Swap("holders/bob.json")),
        refused("holders/alice.json", Delete),
        refused(
            "holders/dave.json",
            Do("added: carol's record renamed", |c| {
                c.put("holders/dave.json", c.text("holders/carol.json").replace("carol", "dave").as_bytes())
            }),
        ),
        refused("holders/alice.claimed.json", ALICE_REGISTERED),
        refused("holders/alice.claimed.json", Swap("holders/bob.claimed.json")),
        refused("holders/alice.claimed.json", Delete),
        refused("holders/carol.root.json", CopyOf("holders/carol.json")),
    ]);
}

/// alice's signature on the staged index is gone: status says so.
fn alice_unsigned(_: &Case) -> String {
    "threshold of targets version 2: 0 signed, 2 needed: NOT met".into()
}

#[test]
fn staged_files() {
    const SIGS: &str = "staged/collected.sigs";
    run_table(vec![
        refused("staged/claimed.json", Edit),
        refused("staged/claimed.json", Older { step: "promoted2", from: "trusted/claimed.json" }),
        refused("staged/claimed.json", Delete),
        refused("staged/claimed.d.json", Edit),
        refused("staged/claimed.d.json", Older { step: "promoted2", from: "trusted/claimed.d.json" }),
        refused("staged/claimed.d.json", Delete),
        refused("staged/claimed.a.json", CopyOf("trusted/claimed.a.json")),
        refused(SIGS, Do("edited: alice's signature changed", |c| c.sigs("staged", |s| flip_first(s, "claimed")))),
        // A signature fewer is a change Ceremony makes itself (a holder's signing undone by
        // restoring an older copy): shown, not refused.
        row(SIGS, Older { step: "staged3", from: SIGS }, Shown { text: alice_unsigned, review: false }),
        row(
            SIGS,
            Do("edited: alice's signature dropped", |c| c.sigs("staged", |s| drop(s.remove("claimed")))),
            Shown { text: alice_unsigned, review: false },
        ),
        // The shards' seals go with it.
        refused(SIGS, Delete),
        refused(
            SIGS,
            Do("added: a signature by bob.claimed that does not verify", |c| {
                let bob = c.keyid("bob.claimed");
                c.sigs("staged", |s| push_sig(s, "claimed", &bob))
            }),
        ),
    ]);
}

fn policy_digest(c: &Case) -> String {
    use sha2::Digest;
    format!("policy.json (sha256 {})", hex::encode(sha2::Sha256::digest(c.read("policy.json"))))
}

/// The transcript's last record, again.
fn repeat_last_record(c: &Case) {
    let text = c.text("transcript.jsonl");
    let last = text.lines().last().unwrap().to_string();
    c.put("transcript.jsonl", format!("{text}{last}\n").as_bytes())
}

fn link_outside(c: &Case) {
    let elsewhere = c.out.join("state");
    cp(&std::fs::canonicalize(c.ws.join("current")).unwrap(), &elsewhere);
    c.relink(&elsewhere)
}

#[test]
fn transcript_policy_and_links() {
    const CURRENT: &str = "`current` link";
    run_table(vec![
        refused("transcript.jsonl", EditText("\"holder\":\"bob\"", "\"holder\":\"bop\"")),
        // The files it vouched for are not the ones on disk.
        row("transcript.jsonl", Older { step: "promoted2", from: "transcript.jsonl" }, Refused("staged/claimed.json")),
        refused("transcript.jsonl", Delete),
        refused("transcript.jsonl", Do("added: its last record again", repeat_last_record)),
        // Written by hand, so never refused: shown with its digest wherever a change matters.
        row(
            "policy.json",
            Do("edited", |c| c.put("policy.json", b"{\"max_expiry_days\":900}")),
            Shown { text: policy_digest, review: true },
        ),
        row("policy.json", Delete, Shown { text: |_| "no policy.json".into(), review: true }),
        row(CURRENT, Do("pointed outside the workspace", link_outside), Refused(CURRENT)),
        row(CURRENT, Do("pointed at no state", |c| c.relink(Path::new("states/999999"))), Refused(CURRENT)),
        row("states/", Do("an extra old state added", |c| drop(c.old_state("promoted2", "000001"))), Unread),
    ]);
}

/// Changes only the transcript anchor (the previous ceremony's closing head typed at
/// `ceremony begin`) can catch: a whole older workspace state is as consistent as the
/// current one.
#[test]
#[ignore = "a consistent older state is caught only by the closing head typed at `ceremony begin` (workspace_lifecycle tests it); no check of the workspace alone can tell"]
fn a_whole_older_state_is_refused() {
    run_table(vec![
        row(
            "`current` link",
            Do("pointed at an older genuine state", |c| {
                c.old_state("promoted2", "000001");
                c.relink(Path::new("states/000001"))
            }),
            Refused("transcript.jsonl"),
        ),
        refused("transcript.jsonl", Older { step: "staged3", from: "transcript.jsonl" }),
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

/// Each command refused naming `named` and `also`, the workspace unchanged.
fn all_refuse(c: &Case, commands: &[Vec<String>], named: &str, also: &str) {
    for args in commands {
        let sentence = refuses(&c.ws, args, named).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(args[0] == "preflight" || sentence.contains(also), "{args:?}: {sentence}");
    }
}

fn owned(commands: &[&[&str]]) -> Vec<Vec<String>> {
    commands.iter().map(|args| args.iter().map(|a| a.to_string()).collect()).collect()
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
    let mut commands = owned(&[&["renew", "claimed"], &["claimed", "promote", path_str(&rc3)]]);
    commands.extend(ceremony_commands(&c.out.join("b.tar")));
    all_refuse(&c, &commands, rel, "");
    assert!(!c.out.join("b.tar").exists(), "{} exists", c.out.join("b.tar").display());
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
    all_refuse(&c, &ceremony_commands(&c.out.join("b.tar")), "staged/claimed", "no transcript record");
    assert!(!c.out.join("b.tar").exists(), "{} exists", c.out.join("b.tar").display());
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
    all_refuse(&c, &ceremony_commands(&c.out.join("b.tar")), "staged/claimed", "(stage)");
    assert!(!c.out.join("b.tar").exists(), "{} exists", c.out.join("b.tar").display());
}
