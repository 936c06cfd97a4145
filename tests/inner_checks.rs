//! Every inner check caught on its own (issue 27, docs/inner-checks.md).
//!
//! Ceremony's checks are layered: the transcript's records vouch for every workspace file by
//! digest (src/workspace/ledger.rs), and behind that each staged or trusted file is verified
//! under the keys that govern it; a command checks what the library checks again. A test that
//! trips the outer layer never reaches the inner one, so the inner one could be removed and
//! every test would still pass. Each test here satisfies every outer layer honestly (the
//! files keep the bytes their records vouch for, the library is called as the command would
//! call it after its own checks passed) and changes only what the inner check alone guards:
//! each fails when that one check is removed.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ceremony::tuf::metadata::Metadata;
use common::promotion::{ok, path_str, setup};
use common::{refused, workspace_snapshot};
use serde_json::Value;

/// The workspace steps every test starts from, built once: `promoted` (root 1, targets 1
/// and a promotion of foo, django, requests and numpy exported: trusted sealed shards),
/// `staged` (a second promotion, of django and flask, staged and not signed).
struct Base {
    dir: PathBuf,
}

impl Base {
    fn step(&self, step: &str) -> PathBuf {
        self.dir.join(step)
    }
}

fn cp(from: &Path, to: &Path) {
    let st = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().expect("run cp");
    assert!(st.success(), "expected cp -a {} {} to succeed, got {st}", from.display(), to.display());
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inner-checks-base");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the base directory");
        let s = setup();
        let rc1 = s.recently_claimed("rc1.json", &["foo", "django", "requests", "numpy"], 1, &[]);
        ok(&s.ws, &["claimed", "promote", path_str(&rc1)]);
        s.sign_all(&["alice", "bob"]);
        ok(&s.ws, &["bundle", "export", "--out", path_str(&s.files.join("promoted.tar"))]);
        cp(&s.ws, &dir.join("promoted"));
        let rc2 = s.recently_claimed("rc2.json", &["django", "flask"], 2, &[]);
        ok(&s.ws, &["claimed", "promote", path_str(&rc2)]);
        cp(&s.ws, &dir.join("staged"));
        cp(&s.files, &dir.join("files"));
        let base = Base { dir };
        for rel in
            ["promoted/current/trusted/claimed.d.json", "staged/current/staged/claimed.d.json", "staged/current/staged/claimed.f.json"]
        {
            assert!(base.dir.join(rel).is_file(), "expected the base workspace to hold {rel}, got none");
        }
        base
    })
}

/// A fresh copy of the workspace as it was after `step`.
struct Case {
    _tmp: tempfile::TempDir,
    ws: PathBuf,
}

impl Case {
    fn of(step: &str) -> Case {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let ws = tmp.path().join("ws");
        cp(&base().step(step), &ws);
        Case { _tmp: tmp, ws }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.ws.join("current").join(rel)
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("expected to read {rel}, got {e}"))
    }

    /// Replaces a file, as anyone with the stick would.
    fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.path(rel);
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("expected to write {rel}, got {e}"));
    }

    /// `dir/collected.sigs` changed by `change`, written back canonical (as Ceremony writes it).
    fn sigs(&self, dir: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) {
        let rel = format!("{dir}/collected.sigs");
        let mut v: Value = serde_json::from_slice(&self.read(&rel)).expect("collected.sigs is JSON");
        change(v.as_object_mut().expect("collected.sigs is an object"));
        self.put(&rel, &ceremony::tuf::canonical::to_canonical(&v).expect("canonical JSON"));
    }

    fn open(&self) -> ceremony::workspace::Workspace {
        ceremony::workspace::Workspace::open(&self.ws).unwrap_or_else(|e| panic!("expected the workspace to open, got {e}"))
    }
}

/// The signed bytes of `dir/role.json` are still the ones its transcript record vouches for:
/// the outer layer (the ledger) is satisfied.
fn ledger_vouches_for(c: &Case, dir: &str, role: &str) {
    let ws = c.open();
    let md = match dir {
        "staged" => ceremony::workspace::staging::staged_as_found(&ws, role),
        _ => Ok(Metadata::from_vec(c.read(&format!("trusted/{role}.json"))).ok()),
    };
    let md = md.ok().flatten().unwrap_or_else(|| panic!("expected {dir}/{role}.json to read as metadata, got none"));
    let ledger = ws.ledger().unwrap_or_else(|e| panic!("expected the ledger, got {e}"));
    let entry = match dir {
        "staged" => ledger.staged_entry(role),
        _ => ledger.trusted_entry(role),
    };
    let want = hex::encode(ceremony::workspace::staging::digest(&md));
    let got = entry.and_then(|e| e.digest.clone());
    assert_eq!(got.as_deref(), Some(want.as_str()), "expected the record of {dir}/{role}.json to vouch for its bytes");
}

/// A change made to a workspace copy.
type Change = Box<dyn Fn(&Case)>;

/// The two ways a shard loses its seal while its bytes stay the ones staged: the seal
/// dropped, or replaced by a genuine seal of another shard (a valid signature, by a key its
/// index does not pin for it).
fn seal_changes(dir: &'static str, shard: &'static str, other: &'static str) -> Vec<(&'static str, Change)> {
    vec![
        ("its seal dropped", Box::new(move |c: &Case| c.sigs(dir, |s| drop(s.remove(shard))))),
        (
            "its seal replaced by another shard's",
            Box::new(move |c: &Case| {
                c.sigs(dir, |s| {
                    let theirs = s.get(other).cloned().unwrap_or_else(|| panic!("expected a seal for {other}, got none"));
                    s.insert(shard.to_string(), theirs);
                })
            }),
        ),
    ]
}

/// The seal check of a staged shard (`staging::check_intact`, the shard branch): the
/// shard's bytes are the ones its `stage` record vouches for, so only the seal tells.
#[test]
fn a_staged_shard_without_its_seal_is_refused_by_status_sign_and_export() {
    for (what, change) in seal_changes("staged", "claimed.d", "claimed.f") {
        let c = Case::of("staged");
        change(&c);
        ledger_vouches_for(&c, "staged", "claimed.d");
        let out = c.ws.parent().map(|p| p.join("b.tar")).unwrap_or_default();
        let alice = base().step("files").join("alice.pass");
        for args in [
            vec!["status"],
            vec!["sign", "--holder", "alice", "--passphrase-file", path_str(&alice), "--yes"],
            vec!["bundle", "export", "--out", path_str(&out)],
        ] {
            let sentence = refused(&c.ws, &args, 1);
            assert!(
                sentence.contains("staged claimed.d") && sentence.contains("no longer verifies under the one-time key"),
                "{what}: expected {args:?} to refuse staged claimed.d for its seal, got {sentence:?}"
            );
        }
        assert!(!out.exists(), "{what}: expected no bundle, got {}", out.display());
    }
}

/// The seal check of the promotion review (`promotion_review::staged_shards`): `ceremony
/// review` shows the claimed index without checking the shards as roles (no holder signs
/// them), so the review's own check is the one that refuses, and the library's review
/// refuses however it is called.
#[test]
fn the_promotion_review_checks_each_shards_seal_itself() {
    for (what, change) in seal_changes("staged", "claimed.d", "claimed.f") {
        let c = Case::of("staged");
        change(&c);
        ledger_vouches_for(&c, "staged", "claimed.d");
        let sentence = refused(&c.ws, &["review"], 1);
        assert!(
            sentence.contains("staged claimed.d") && sentence.contains("no longer verifies under the one-time key"),
            "{what}: expected `review` to refuse staged claimed.d for its seal, got {sentence:?}"
        );
        let got = ceremony::workspace::promotion_review::promotion_review(&c.open());
        match got {
            Err(e) => assert!(
                e.to_string().contains("staged claimed.d") && e.to_string().contains("one-time key"),
                "{what}: expected the review to refuse claimed.d's seal, got {e}"
            ),
            Ok(r) => panic!("{what}: expected the promotion review to refuse claimed.d, got {r:?}"),
        }
    }
}

/// The seal check of a trusted shard (`staging::trusted`: the threshold under the seal the
/// trusted index pins): its bytes are the ones its `trust` record vouches for, and every
/// other trusted file keeps its signatures, so only that shard's threshold tells.
#[test]
fn a_trusted_shard_without_its_seal_is_refused() {
    for (what, change) in seal_changes("trusted", "claimed.d", "claimed.f") {
        let c = Case::of("promoted");
        change(&c);
        ledger_vouches_for(&c, "trusted", "claimed.d");
        for args in [vec!["status"], vec!["renew", "claimed"]] {
            let sentence = refused(&c.ws, &args, 1);
            assert!(
                sentence.contains("trusted/claimed.d.json") && sentence.contains("signatures it needs"),
                "{what}: expected {args:?} to refuse trusted/claimed.d.json for its seal, got {sentence:?}"
            );
        }
    }
}

/// The public key a trusted or staged claimed index pins for `shard`, as a TUF key object.
fn seal_key(c: &Case, index: &str, shard: &str) -> Value {
    let md: Value = serde_json::from_slice(&c.read(index)).expect("the index is JSON");
    let delegations = &md["signed"]["delegations"];
    let roles = delegations["roles"].as_array().expect("the index delegates");
    let role = roles.iter().find(|r| r["name"] == shard).unwrap_or_else(|| panic!("expected {index} to delegate to {shard}, got none"));
    let keyid = role["keyids"][0].as_str().expect("a keyid");
    delegations["keys"][keyid].clone()
}

/// Key exclusivity counts each shard as a role of its own (`exclusive_keys::layout`, the
/// `shards(..)` it adds): a rotation naming a shard's one-time key for targets would let
/// whoever holds the online key serve the shard's file as targets. Nobody holds a seal's
/// private key (it is destroyed after sealing), but its public key is in the index for
/// anyone to import, and nothing else refuses it.
#[test]
fn a_key_that_signs_a_shard_is_refused_for_targets() {
    for (step, index) in [("promoted", "trusted/claimed.json"), ("staged", "staged/claimed.json")] {
        let c = Case::of(step);
        let key = seal_key(&c, index, "claimed.d");
        let file = c.ws.parent().map(|p| p.join("sealer.json")).unwrap_or_default();
        std::fs::write(&file, serde_json::to_vec(&key).expect("a key object")).expect("write the key file");
        ok(&c.ws, &["key", "import", "--holder", "sealer", path_str(&file)]);
        let sentence = refused(&c.ws, &["root", "rotate", "--targets", "alice,sealer"], 1);
        assert!(
            sentence.contains("sealer's key") && sentence.contains("both targets and claimed.d") && sentence.contains("nothing was staged"),
            "{step}: expected the rotation to be refused for the key that signs claimed.d, got {sentence:?}"
        );
    }
}

/// `staging::staged` refuses a staged file no `stage` record made even when asked for that
/// one role: commands that read one role (`effective`) do not list the staged files first,
/// and the list's own check (`staged_roles`) is what the CLI trips first otherwise.
#[test]
fn a_staged_file_nobody_staged_is_refused_when_read_alone() {
    let c = Case::of("promoted");
    c.put("staged/claimed.d.json", &c.read("trusted/claimed.d.json"));
    let before = workspace_snapshot(&c.ws);
    match ceremony::workspace::staging::staged(&c.open(), "claimed.d") {
        Err(e) => assert!(
            e.to_string().contains("staged/claimed.d.json was staged by no transcript record"),
            "expected claimed.d to be refused as staged by no record, got {e}"
        ),
        Ok(md) => panic!("expected claimed.d to be refused as staged by no record, got {:?}", md.map(|m| m.version())),
    }
    assert_eq!(workspace_snapshot(&c.ws), before, "expected reading to leave the workspace unchanged");
}

/// alice's record `alice.claimed` with its signer, and what it can sign in the staged step
/// after a change that the CLI's checks would not pass (the caller makes it).
fn alice_claimed(ws: &ceremony::workspace::Workspace) -> (ceremony::keys::holder::Holder, Vec<ceremony::workspace::signing::Signable>) {
    let holders = ws.holders().unwrap_or_else(|e| panic!("expected the holders, got {e}"));
    let record = holders.iter().find(|h| h.name == "alice.claimed").cloned().expect("alice.claimed is registered");
    let now = time::OffsetDateTime::now_utc();
    let roles = ceremony::workspace::signing::signable(ws, &record, &[], now).unwrap_or_else(|e| panic!("expected roles to sign, got {e}"));
    assert_eq!(roles.iter().map(|s| s.role.as_str()).collect::<Vec<_>>(), ["claimed"], "expected alice.claimed to sign the index");
    (record, roles)
}

fn alice_claimed_signer(ws: &ceremony::workspace::Workspace) -> ceremony::keys::signer::passphrase::PassphraseSigner {
    let holders = ws.holders().unwrap_or_else(|e| panic!("expected the holders, got {e}"));
    let alice = holders.iter().find(|h| h.name == "alice").expect("alice is registered");
    let pass = ceremony::support::secret::SecretBytes::new(b"alice keeps seven quiet granite teapots".to_vec());
    ceremony::keys::signer::passphrase::derive_record(alice, "alice.claimed", &pass)
        .unwrap_or_else(|e| panic!("expected alice.claimed's key from alice's passphrase, got {e}"))
}

/// `signing::sign_roles` checks that the signer is the holder's key and that the key counts
/// for the role, though the CLI only asks a holder's own device and `signable` only offers
/// roles whose delegations list the holder: called with anything else, it keeps nothing.
#[test]
fn sign_roles_refuses_a_signer_not_the_holders_and_a_key_that_does_not_count() {
    use ceremony::keys::signer::{Signer, SoftwareSigner};
    let c = Case::of("staged");
    let ws = c.open();
    let lock = ws.lock().unwrap_or_else(|e| panic!("expected the lock, got {e}"));
    let before = workspace_snapshot(&c.ws);

    let (record, roles) = alice_claimed(&ws);
    let stranger = SoftwareSigner::generate(ceremony::tuf::key::Algorithm::Ed25519);
    match ceremony::workspace::signing::sign_roles(&ws, &lock, &record, &stranger, roles) {
        Err(e) => assert!(e.to_string().contains("this signer's key is not alice.claimed's registered key"), "expected a refusal, got {e}"),
        Ok(done) => panic!("expected a signer that is not alice.claimed's key to be refused, got {done:?} signed"),
    }
    assert_eq!(workspace_snapshot(&c.ws), before, "expected nothing kept");

    let (record, mut roles) = alice_claimed(&ws);
    let signer = alice_claimed_signer(&ws);
    assert_eq!(signer.public_key().keyid(), record.key.keyid(), "expected the derived key to be alice.claimed's");
    // The index's governing threshold swapped for targets' (which alice.claimed is not in).
    let targets = ceremony::workspace::staging::trusted(&ws, "targets").ok().flatten().expect("a trusted targets");
    roles[0].governing = ceremony::workspace::staging::governing(&ws, "targets", &targets).expect("targets' thresholds");
    match ceremony::workspace::signing::sign_roles(&ws, &lock, &record, &signer, roles) {
        Err(e) => assert!(e.to_string().contains("does not count for any of its thresholds"), "expected a refusal, got {e}"),
        Ok(done) => panic!("expected a key no threshold lists to be refused, got {done:?} signed"),
    }
    assert_eq!(workspace_snapshot(&c.ws), before, "expected nothing kept");
}

/// `signing::import_signatures` checks the file's format and holder name, which `signature
/// import` already checked when it parsed the file (`parse_signature_file`).
#[test]
fn import_signatures_checks_the_format_and_holder_itself() {
    use ceremony::workspace::signing::{import_signatures, SignatureFile, SIGNATURE_FORMAT};
    let c = Case::of("staged");
    let ws = c.open();
    let lock = ws.lock().unwrap_or_else(|e| panic!("expected the lock, got {e}"));
    let before = workspace_snapshot(&c.ws);
    let cases = [
        ("another format", SignatureFile { format: "ceremony-signatures-v0".into(), holder: "alice".into(), signatures: vec![] }, "format"),
        (
            "a holder name that is a path",
            SignatureFile { format: SIGNATURE_FORMAT.into(), holder: "../alice".into(), signatures: vec![] },
            "holder",
        ),
    ];
    for (what, file, named) in cases {
        match import_signatures(&ws, &lock, &[file]) {
            Err(e) => assert!(
                e.to_string().contains(named) && e.to_string().contains("nothing was imported"),
                "{what}: expected a refusal naming the {named}, got {e}"
            ),
            Ok(n) => panic!("{what}: expected a refusal, got {n} imported"),
        }
    }
    assert_eq!(workspace_snapshot(&c.ws), before, "expected nothing kept");
}

/// A bundle of root 1, targets 1 (delegating `claimed` to one key), claimed 1 (delegating
/// the shards `claimed.a`, carried, and `claimed.b`, not carried, each to its seal key) and
/// `claimed.a`, with `targets` and `claimed` signed by `targets_by` and `claimed_by`.
mod bundles {
    use ceremony::bundle::{read_bundle, verify_bundle, write_bundle, Bundle, BundleFile, BundleReport, Limits};
    use ceremony::keys::signer::{Signer, SoftwareSigner};
    use ceremony::tuf::build::{RoleSpec, RootSpec};
    use ceremony::tuf::key::Algorithm;
    use ceremony::tuf::metadata::Metadata;
    use serde_json::{json, Value};

    pub struct Keys {
        pub root: SoftwareSigner,
        pub targets: SoftwareSigner,
        pub claimed: SoftwareSigner,
        pub seal_a: SoftwareSigner,
        pub seal_b: SoftwareSigner,
        pub online: SoftwareSigner,
    }

    impl Keys {
        pub fn new() -> Keys {
            let new = || SoftwareSigner::generate(Algorithm::Ed25519);
            Keys { root: new(), targets: new(), claimed: new(), seal_a: new(), seal_b: new(), online: new() }
        }
    }

    fn signed_by(signed: &Value, signers: &[&SoftwareSigner]) -> Metadata {
        let mut md = Metadata::from_signed(ceremony::tuf::canonical::to_canonical(signed).expect("canonical")).expect("metadata");
        for s in signers {
            let sig = s.sign(&md.signed_bytes()).expect("a signature");
            md.set_signature(sig);
        }
        md
    }

    fn key(k: &SoftwareSigner) -> Value {
        serde_json::from_slice(&k.public_key().to_json_text()).expect("a key object")
    }

    /// `{"keys", "roles"}` delegating each `(name, key)` with threshold 1.
    fn delegations(to: &[(&str, &SoftwareSigner)]) -> Value {
        let keys: serde_json::Map<String, Value> = to.iter().map(|(_, k)| (k.public_key().keyid().to_string(), key(k))).collect();
        let roles: Vec<Value> = to
            .iter()
            .map(|(name, k)| json!({"name": name, "keyids": [k.public_key().keyid()], "threshold": 1, "terminating": false, "paths": ["simple/*/*"]}))
            .collect();
        json!({"keys": keys, "roles": roles})
    }

    fn targets_type(delegations: Option<Value>) -> Value {
        let mut v = json!({"_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": "2099-01-01T00:00:00Z", "targets": {}});
        if let Some(d) = delegations {
            v["delegations"] = d;
        }
        v
    }

    pub fn root(k: &Keys) -> Metadata {
        let role = |s: &SoftwareSigner| RoleSpec { keys: vec![s.public_key().clone()], threshold: 1 };
        let spec = RootSpec {
            version: 1,
            expires: time::macros::datetime!(2099-01-01 00:00 UTC),
            root: role(&k.root),
            targets: role(&k.targets),
            snapshot: role(&k.online),
            timestamp: role(&k.online),
        };
        signed_by(&serde_json::from_slice(&spec.to_signed().expect("root")).expect("JSON"), &[&k.root])
    }

    fn transcript() -> Vec<u8> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("transcript.jsonl");
        let action = ceremony::workspace::transcript::Action { action: "init".into(), ..Default::default() };
        ceremony::workspace::transcript::append(&path, action, "2026-01-01T00:00:00Z").expect("a transcript");
        std::fs::read(&path).expect("the transcript")
    }

    pub fn bundle(k: &Keys, targets_by: &SoftwareSigner, claimed_by: &SoftwareSigner) -> Bundle {
        let root = root(k);
        let targets = signed_by(&targets_type(Some(delegations(&[("claimed", &k.claimed)]))), &[targets_by]);
        let claimed = signed_by(&targets_type(Some(delegations(&[("claimed.a", &k.seal_a), ("claimed.b", &k.seal_b)]))), &[claimed_by]);
        let shard = signed_by(&targets_type(None), &[&k.seal_a]);
        let files = [("root", root), ("targets", targets), ("claimed", claimed), ("claimed.a", shard)]
            .map(|(role, md)| BundleFile::metadata(role, 1, md.to_bytes(), true));
        let bytes = write_bundle(&files, &transcript()).expect("a bundle");
        read_bundle(&bytes[..], &Limits::default()).expect("the bundle reads back")
    }

    pub fn verify(k: &Keys, b: &Bundle) -> BundleReport {
        verify_bundle(b, &root(k), time::OffsetDateTime::now_utc())
    }
}

/// (verified under, ok, problems) of `role` in a report.
fn verdict(report: &ceremony::bundle::BundleReport, role: &str) -> (Option<String>, bool, Vec<String>) {
    let f = report.files.iter().find(|f| f.role == role).unwrap_or_else(|| panic!("expected {role} in the report, got {report:#?}"));
    (f.verified_under.clone(), f.ok, f.problems.clone())
}

fn not_carried(report: &ceremony::bundle::BundleReport) -> Vec<(String, Vec<String>)> {
    report.not_carried.iter().map(|n| (n.delegated_by.clone(), n.roles.clone())).collect()
}

/// `bundle::verify_other_roles` follows a role's delegations only when its threshold is met:
/// the bundle is refused either way (the failed role is), so only the report of what the
/// failed role delegates to tells. At each level (targets, then claimed), what a failed role
/// delegates to is reported not checked, verified under nothing, and not listed as served.
#[test]
fn what_a_role_that_failed_its_threshold_delegates_to_is_not_verified() {
    let k = bundles::Keys::new();
    // Control: all signed right, so the shard is verified under claimed.
    let good = bundles::verify(&k, &bundles::bundle(&k, &k.targets, &k.claimed));
    assert!(good.ok, "expected the well-signed bundle to verify, got {:?}", good.first_problem());
    let (under, ok, _) = verdict(&good, "claimed.a");
    assert_eq!((under.as_deref(), ok), (Some("claimed v1"), true), "expected claimed.a verified under claimed v1");
    assert_eq!(not_carried(&good), [("claimed v1".to_string(), vec!["claimed.b".to_string()])], "expected claimed.b listed as not carried");

    for (failed, child, report) in [
        ("claimed", "claimed.a", bundles::verify(&k, &bundles::bundle(&k, &k.targets, &k.online))),
        ("targets", "claimed", bundles::verify(&k, &bundles::bundle(&k, &k.online, &k.claimed))),
    ] {
        assert!(!report.ok, "expected a bundle whose {failed} fails its threshold to be refused, got ok");
        let (_, failed_ok, problems) = verdict(&report, failed);
        assert!(!failed_ok && problems.iter().any(|p| p.contains("needed")), "expected {failed} to fail its threshold, got {problems:?}");
        let (under, ok, problems) = verdict(&report, child);
        assert_eq!(under, None, "expected {child} verified under nothing, as {failed} failed its threshold");
        assert!(!ok, "expected {child} not ok, as {failed} failed its threshold, got ok");
        let why = format!("not checked: its delegator {failed} v1 does not verify");
        assert!(problems.iter().any(|p| p.contains(&why)), "expected {child} reported {why:?}, got {problems:?}");
        assert_eq!(not_carried(&report), [], "expected nothing listed as delegated by a role that failed, got {:?}", not_carried(&report));
    }
}

/// `bundle::extract::extract_verified` refuses a report that is not ok, though `bundle
/// extract` refuses it first: nothing is written.
#[test]
fn extract_verified_writes_nothing_for_a_bundle_that_does_not_verify() {
    let k = bundles::Keys::new();
    let bundle = bundles::bundle(&k, &k.targets, &k.online);
    let report = bundles::verify(&k, &bundle);
    assert!(!report.ok, "expected the bundle with claimed signed by the online key to be refused, got ok: {report:?}");
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("out");
    match ceremony::bundle::extract::extract_verified(&bundle, &report, &dir) {
        Err(ceremony::bundle::extract::ExtractError::NotVerified(why)) => {
            assert!(why.contains("claimed"), "expected the refusal to name claimed, got {why:?}")
        }
        other => panic!("expected NotVerified, got {other:?}"),
    }
    assert!(!dir.exists(), "expected nothing written, got {}", dir.display());
}

/// `bundle export` refuses a trusted claimed index the effective targets' claimed keys no
/// longer meet (`sealed::set_problems`). Staging targets with new claimed keys restages the
/// index for them (`sealed::restage_for_rekey`), which hides the check; discarding that
/// restaged index reaches it.
#[test]
fn export_refuses_targets_whose_claimed_keys_the_trusted_index_does_not_meet() {
    let c = Case::of("promoted");
    let claimed = "alice.claimed,bob.claimed,carol.claimed";
    ok(&c.ws, &["targets", "init", "--claimed", claimed, "--claimed-threshold", "3", "--online", "online"]);
    assert!(c.path("staged/claimed.json").is_file(), "expected the re-key to stage the claimed index, got none in {}", c.ws.display());
    ok(&c.ws, &["discard", "claimed"]);
    for h in ["alice", "bob"] {
        let pass = base().step("files").join(format!("{h}.pass"));
        ok(&c.ws, &["sign", "--holder", h, "--passphrase-file", path_str(&pass), "--yes"]);
    }
    let out = c.ws.parent().map(|p| p.join("b.tar")).unwrap_or_default();
    let sentence = refused(&c.ws, &["bundle", "export", "--out", path_str(&out)], 1);
    assert!(
        sentence.contains("claimed version 1 has 2 of the 3 signatures needed") && sentence.contains("nothing was exported"),
        "expected export refused for the trusted claimed index, got {sentence:?}"
    );
    assert!(!out.exists(), "expected no bundle, got {}", out.display());
}

/// `staging::check_intact` refuses a collected signature in a spelling Ceremony never writes
/// (a keyid or a signature in upper-case hex). Metadata parsing refuses such a signature in
/// the file itself, but `staged/collected.sigs` is read as plain lists; and either spelling
/// would otherwise pass: an upper-case keyid matches no key (a signature silently ignored),
/// an upper-case signature decodes to the same bytes and verifies.
#[test]
fn a_collected_signature_spelled_otherwise_is_refused() {
    type Respell = fn(&mut Value);
    let cases: [(&str, Respell, &str); 2] = [
        (
            "its keyid in upper case",
            |s| s["keyid"] = Value::from(s["keyid"].as_str().map(str::to_ascii_uppercase)),
            "keyid is not 64 lower-case hex digits",
        ),
        (
            "its signature in upper case",
            |s| s["sig"] = Value::from(s["sig"].as_str().map(str::to_ascii_uppercase)),
            "is not lower-case hex",
        ),
    ];
    for (what, respell, named) in cases {
        let c = Case::of("staged");
        let pass = base().step("files").join("alice.pass");
        ok(&c.ws, &["sign", "--holder", "alice", "--passphrase-file", path_str(&pass), "--yes"]);
        c.sigs("staged", |s| {
            let list = s.get_mut("claimed").and_then(Value::as_array_mut).expect("alice's signature on claimed");
            respell(&mut list[0]);
        });
        let sentence = refused(&c.ws, &["status"], 1);
        assert!(sentence.contains("staged/claimed.json") && sentence.contains(named), "{what}: expected {named:?}, got {sentence:?}");
    }
}

/// The same spelling rule holds for trusted signatures (`staging::trusted`): a genuine
/// signature on trusted `targets`, its keyid or its hex in upper case, still verifies and
/// still meets the threshold, so only the spelling tells that the file was rewritten.
#[test]
fn a_trusted_signature_spelled_otherwise_is_refused() {
    type Respell = fn(&mut Value);
    let cases: [(&str, Respell, &str); 2] = [
        ("its keyid in upper case", |s| s["keyid"] = Value::from(s["keyid"].as_str().map(str::to_ascii_uppercase)), "keyid is not 64"),
        (
            "its signature in upper case",
            |s| s["sig"] = Value::from(s["sig"].as_str().map(str::to_ascii_uppercase)),
            "is not lower-case hex",
        ),
    ];
    for (what, respell, named) in cases {
        let c = Case::of("promoted");
        let mut respelled = false;
        c.sigs("trusted", |s| {
            if let Some(first) = s.get_mut("targets").and_then(Value::as_array_mut).and_then(|l| l.first_mut()) {
                respell(first);
                respelled = true;
            }
        });
        if !respelled {
            let rel = "trusted/targets.json";
            let mut doc: Value = serde_json::from_slice(&c.read(rel)).expect("trusted targets is JSON");
            let first = doc["signatures"].as_array_mut().and_then(|l| l.first_mut()).expect("trusted targets has a signature");
            respell(first);
            c.put(rel, &ceremony::tuf::canonical::to_canonical(&doc).expect("canonical JSON"));
        }
        let sentence = refused(&c.ws, &["status"], 1);
        assert!(sentence.contains("trusted/targets.json") && sentence.contains(named), "{what}: expected {named:?}, got {sentence:?}");
    }
}

/// `staging::trusted_roots` verifies the trusted roots' chain again on every read. A root's
/// `trust` record vouches for its signed bytes only, and a trusted root keeps its signatures
/// in its file: one of them dropped leaves the bytes the record vouches for, so only the
/// chain check tells (root 1 needs 2 of its root keys and keeps 1).
#[test]
fn a_trusted_root_without_its_threshold_of_signatures_is_refused() {
    let c = Case::of("promoted");
    let rel = "trusted/root/1.root.json";
    let mut doc: Value = serde_json::from_slice(&c.read(rel)).expect("the root is JSON");
    let sigs = doc["signatures"].as_array_mut().expect("the root's signatures");
    assert_eq!(sigs.len(), 2, "expected root 1 signed by alice and bob, got {sigs:?}");
    sigs.pop();
    c.put(rel, &ceremony::tuf::canonical::to_canonical(&doc).expect("canonical JSON"));
    let ledger = c.open().ledger().unwrap_or_else(|e| panic!("expected the ledger, got {e}"));
    let md = Metadata::from_vec(c.read(rel)).expect("root 1 still reads");
    let want = hex::encode(ceremony::workspace::staging::digest(&md));
    assert_eq!(ledger.roots.get(&1).and_then(|e| e.digest.as_deref()), Some(want.as_str()), "expected root 1's record to vouch for it");
    for args in [vec!["status"], vec!["root", "rotate", "--targets", "alice,bob"]] {
        let sentence = refused(&c.ws, &args, 1);
        assert!(
            sentence.contains(rel) && sentence.contains("no longer form a chain"),
            "expected {args:?} refused for root 1's chain, got {sentence:?}"
        );
    }
}

/// `renew` refuses a claimed shard alone (`sealed::refuse_shard_renewal`): its seal's private
/// key was destroyed, so a renewed shard could never be signed, and the index pins the old
/// seal. No other check stops it: the trusted shard verifies and nothing of it is staged.
#[test]
fn a_shard_is_not_renewed_alone() {
    let c = Case::of("promoted");
    let sentence = refused(&c.ws, &["renew", "claimed.d"], 1);
    assert!(
        sentence.contains("claimed.d cannot be renewed alone") && sentence.contains("`ceremony renew claimed`"),
        "expected renewing claimed.d alone to be refused, got {sentence:?}"
    );
}

/// `sign` refuses a staged role that breaks a policy rule (`signing::signable_role`), though
/// staging refused it first: a role staged under the rules can break them later, when
/// `policy.json` (written by hand) tightens a rule before the holders sign.
#[test]
fn sign_refuses_a_role_that_breaks_a_rule_tightened_since_it_was_staged() {
    let c = Case::of("promoted");
    ok(&c.ws, &["renew", "targets", "--expires", "300d"]);
    c.put("policy.json", b"{\"max_expiry_days\":100}");
    let pass = base().step("files").join("alice.pass");
    let sentence = refused(&c.ws, &["sign", "--holder", "alice", "--passphrase-file", path_str(&pass), "--yes"], 1);
    assert!(
        sentence.contains("targets cannot be signed") && sentence.contains("expiry rule"),
        "expected alice's signing refused for targets' expiry, got {sentence:?}"
    );
}
