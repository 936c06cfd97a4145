//! Interop both ways with python-tuf 7.x, the reference implementation: what it writes
//! verifies here with the verdicts its own manifest records, and what we write loads and
//! verifies there.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::chain::verify_root_chain;
use ceremony::tuf::key::Algorithm;
use ceremony::tuf::metadata::Metadata;
use ceremony::tuf::verify::{verify_delegate, KeyState};
use serde_json::{json, Value};
use time::macros::datetime;

/// Fixtures made once per test binary by `make_fixtures.py`.
fn fixtures() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        common::run_python("make_fixtures.py", &[dir.path().as_os_str()]);
        dir
    })
    .path()
}

fn judge(args: &[&OsStr]) -> Value {
    serde_json::from_slice(&common::run_python("judge.py", args)).unwrap()
}

fn load(path: &Path) -> Metadata {
    Metadata::from_file(path).unwrap_or_else(|e| panic!("{e}"))
}

fn manifest(sub: &str) -> Vec<Value> {
    let text = std::fs::read(fixtures().join(sub).join("manifest.json")).unwrap();
    serde_json::from_slice(&text).unwrap()
}

/// Each chain gets the verdict its manifest expects of a careful verifier, and that verdict is
/// python-tuf's own (recorded by make_fixtures.py from ngclient) except in the cases the
/// manifest names as a disagreement, where Ceremony is stricter and must still differ.
#[test]
fn root_chains_written_by_python_tuf_get_the_recorded_verdicts() {
    let cases = manifest("chains");
    assert!(cases.len() >= 10, "only {} chain cases in the manifest", cases.len());
    let mut disagreements = Vec::new();
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let files: Vec<PathBuf> =
            case["files"].as_array().unwrap().iter().map(|f| fixtures().join("chains").join(f.as_str().unwrap())).collect();
        let roots: Vec<Metadata> = files.iter().map(|f| load(f)).collect();
        let report = verify_root_chain(&roots, datetime!(2030-01-01 00:00 UTC));
        assert_eq!(report.ok, case["valid"].as_bool().unwrap(), "case {name}: {report:#?}");
        let failed_at = if report.ok { None } else { report.steps.last().map(|s| s.index as u64) };
        let python_tuf = (case["python_tuf"]["ok"].as_bool().unwrap(), case["python_tuf"]["failed_at"].as_u64());
        if case["disagreement"].is_null() {
            assert_eq!((report.ok, failed_at), python_tuf, "case {name}: Ceremony and python-tuf differ: {}", case["python_tuf"]);
        } else {
            assert_ne!((report.ok, failed_at), python_tuf, "case {name} is a named disagreement, but python-tuf now agrees");
            disagreements.push(name.to_string());
        }
        if let Some(fail_at) = case["fail_at"].as_u64() {
            let last = report.steps.last().unwrap();
            assert_eq!(last.index as u64, fail_at, "case {name}: failed at the wrong step: {report:#?}");
            assert!(!last.holds(), "case {name}: the last step holds: {last:#?}");
            let problems = last.problems.join("; ");
            let expected = match case["why"].as_str().unwrap() {
                "signature" | "threshold" | "same-key-twice" => "keys needed signed validly",
                "version" => "must be version",
                "duplicate-signature" => "more than once",
                "type" => "metadata was expected",
                other => panic!("unknown why {other}"),
            };
            assert!(problems.contains(expected), "case {name}: {expected:?} not in {problems}");
        } else {
            assert_eq!(report.steps.len(), files.len(), "case {name}: {report:#?}");
        }
    }
    // The disagreements docs/testing.md documents; a new one must be documented there too.
    assert_eq!(disagreements, ["same-key-twice"], "the named disagreements changed: update docs/testing.md's chains table");
}

/// The chain python-tuf wrote in `fixtures/chains/NAME` (`1.root.json` to `N.root.json`),
/// verified on a date every root in it is current.
fn chain_fixture(name: &str, versions: u64) -> ceremony::tuf::chain::ChainReport {
    let dir = fixtures().join("chains").join(name);
    let roots: Vec<Metadata> = (1..=versions).map(|v| load(&dir.join(format!("{v}.root.json")))).collect();
    verify_root_chain(&roots, datetime!(2030-01-01 00:00 UTC))
}

#[test]
fn a_changed_byte_shows_as_an_invalid_signature() {
    let report = chain_fixture("byte-changed", 3);
    let own = report.steps[2].own.as_ref().unwrap();
    assert!(own.keys.iter().any(|(_, s)| matches!(s, KeyState::Invalid { .. })), "{own:#?}");
}

#[test]
fn one_key_under_two_keyids_counts_once() {
    let report = chain_fixture("same-key-twice", 2);
    let own = report.steps[1].own.as_ref().unwrap();
    assert_eq!(own.have, 1, "{own:#?}");
    assert!(
        own.keys.iter().any(|(_, s)| matches!(s, KeyState::SameKeyAsOther { .. })),
        "none matches `|(_, s)| matches!(s, KeyState::SameKeyAsOther {{ .. }})`: {:?}",
        own.keys
    );
    assert!(
        report.steps[1].previous.as_ref().unwrap().is_met(),
        "expected `report.steps[1].previous.as_ref().unwrap().is_met()`; report.steps[1].previous.as_ref().unwrap() = {:?}",
        report.steps[1].previous.as_ref().unwrap()
    );
}

#[test]
fn yubikey_history_reports_legacy_keytypes_and_placeholders() {
    let report = chain_fixture("yubikey-history", 5);
    assert!(report.ok, "{report:#?}");
    assert!(
        report.steps[0].warnings.iter().any(|w| w.contains("legacy keytype")),
        "none matches `|w| w.contains(\"legacy keytype\")`: {:?}",
        report.steps[0].warnings
    );
    assert!(
        report.steps[4].warnings.iter().all(|w| !w.contains("legacy keytype")),
        "not all match `|w| !w.contains(\"legacy keytype\")`: {:?}",
        report.steps[4].warnings
    );
    let placeholders = report
        .steps
        .iter()
        .flat_map(|s| s.own.iter().chain(s.previous.iter()))
        .flat_map(|r| r.keys.iter())
        .filter(|(_, s)| *s == KeyState::Missing { placeholder: true })
        .count();
    assert!(placeholders > 0, "the history has empty-signature placeholders: expected `placeholders > 0`, got {:?}", placeholders);
}

#[test]
fn every_role_python_tuf_wrote_verifies_under_its_delegator() {
    for sub in ["metadata", "consistent/metadata"] {
        let base = fixtures().join(sub);
        let entries = manifest(sub);
        assert!(entries.len() > 10, "expected `entries.len() > 10`, got {:?}", entries.len());
        for e in entries {
            let file = e["file"].as_str().unwrap();
            let delegator = load(&base.join(e["delegator_file"].as_str().unwrap()));
            let delegate = load(&base.join(file));
            let role = e["role"].as_str().unwrap();
            let ok = match verify_delegate(&delegator, role, &delegate) {
                Ok(report) => report.is_met(),
                Err(_) => false,
            };
            assert_eq!(ok, e["valid"].as_bool().unwrap(), "{sub}/{file} as {role}");
            // Every typed view must read what python-tuf wrote.
            match delegate.role_type() {
                ceremony::tuf::metadata::RoleType::Root => drop(delegate.root().unwrap()),
                ceremony::tuf::metadata::RoleType::Targets => drop(delegate.targets().unwrap()),
                ceremony::tuf::metadata::RoleType::Snapshot => drop(delegate.snapshot().unwrap()),
                ceremony::tuf::metadata::RoleType::Timestamp => drop(delegate.timestamp().unwrap()),
            }
        }
    }
}

#[test]
fn succinct_bins_match_python_tuf_naming_and_hashing() {
    let base = fixtures().join("metadata");
    let parent = load(&base.join("bins-parent.json"));
    let targets = parent.targets().unwrap();
    let succinct = targets.delegations.as_ref().unwrap().succinct_roles.as_ref().unwrap();
    assert_eq!(succinct.bin_count(), 8);
    for n in 0..8 {
        let bin = load(&base.join(format!("{}.json", succinct.role_name(n))));
        for path in bin.targets().unwrap().targets.keys() {
            assert_eq!(succinct.role_for_target(path), succinct.role_name(n), "{path}");
        }
    }
    assert!(!succinct.is_role("bin-8"), "expected `!succinct.is_role(\"bin-8\")`; succinct = {:?}", succinct);
    assert!(!succinct.is_role("bin-00"), "expected `!succinct.is_role(\"bin-00\")`; succinct = {:?}", succinct);
}

#[test]
fn unknown_fields_survive_load_sign_write() {
    let dir = fixtures().join("unknown-fields");
    let before = dir.join("root.json");
    let mut md = load(&before);
    let root = md.root().unwrap();
    let before_signing =
        root.delegation("root").map(|d| ceremony::tuf::verify::check_threshold(&md.signed_bytes(), md.signatures(), &d)).unwrap();
    assert!(!before_signing.is_met(), "the fixture is already signed to its threshold: {before_signing:?}");
    let keys: Vec<Value> = serde_json::from_slice(&std::fs::read(dir.join("keys.json")).unwrap()).unwrap();
    let signed_already: Vec<String> = md.signatures().iter().map(|s| s.keyid.clone()).collect();
    let next = keys.iter().find(|k| !signed_already.contains(&k["keyid"].as_str().unwrap().to_string())).unwrap();
    let seed: [u8; 32] = hex::decode(next["private_seed_hex"].as_str().unwrap()).unwrap().try_into().unwrap();
    let key_object = root.keys[next["keyid"].as_str().unwrap()].clone();
    let signer = SoftwareSigner::from_ed25519_seed(&seed, "test key").with_key_object(key_object).unwrap();
    assert_eq!(signer.public_key().keyid(), next["keyid"].as_str().unwrap());
    md.set_signature(signer.sign(&md.signed_bytes()).unwrap());
    let out = tempfile::tempdir().unwrap();
    let after = out.path().join("root.json");
    std::fs::write(&after, md.to_bytes()).unwrap();

    let verdict = judge(&["unchanged".as_ref(), "--before".as_ref(), before.as_os_str(), "--after".as_ref(), after.as_os_str()]);
    assert_eq!(verdict["ok"], true, "{verdict}");
    let verdict = common::judge_delegate(&after, "root", &after);
    assert_eq!(verdict["ok"], true, "{verdict}");
    // And reading our own output again gives the very same signed bytes.
    assert_eq!(load(&after).signed_bytes(), md.signed_bytes());
}

#[test]
fn a_root_chain_we_write_verifies_in_python_tuf() {
    let out = tempfile::tempdir().unwrap();
    let roots = ceremony::demo::write_sample_root_chain(out.path(), time::OffsetDateTime::now_utc()).unwrap();
    let mut args: Vec<&OsStr> = vec!["root-chain".as_ref()];
    args.extend(roots.iter().map(|r| r.path.as_os_str()));
    let verdict = judge(&args);
    assert_eq!(verdict["ok"], true, "{verdict}");
}

/// Targets metadata with delegations to every key type we sign with, custom fields, and
/// strings that canonical JSON writes raw (control characters, non-ASCII, astral).
#[test]
fn targets_we_write_load_and_verify_in_python_tuf() {
    let out = tempfile::tempdir().unwrap();
    let root_key = SoftwareSigner::generate(Algorithm::Ed25519);
    let targets_key = SoftwareSigner::generate(Algorithm::EcdsaP384);
    let online = SoftwareSigner::generate(Algorithm::EcdsaP256);
    let role = |k: &SoftwareSigner| ceremony::tuf::build::RoleSpec { keys: vec![k.public_key().clone()], threshold: 1 };
    let spec = ceremony::tuf::build::RootSpec {
        version: 1,
        expires: datetime!(2099-01-01 00:00 UTC),
        root: role(&root_key),
        targets: role(&targets_key),
        snapshot: role(&online),
        timestamp: role(&online),
    };
    let mut root = Metadata::from_signed(spec.to_signed().unwrap()).unwrap();
    root.set_signature(root_key.sign(&root.signed_bytes()).unwrap());
    std::fs::write(out.path().join("root.json"), root.to_bytes()).unwrap();

    let dev_keys: Vec<SoftwareSigner> =
        [Algorithm::Ed25519, Algorithm::EcdsaP256, Algorithm::EcdsaP384].into_iter().map(SoftwareSigner::generate).collect();
    let key_json = |k: &SoftwareSigner| -> Value { serde_json::from_slice(&k.public_key().to_json_text()).unwrap() };
    let signed = json!({
        "_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": "2099-01-01T00:00:00Z",
        "x-ceremony-note": "Zürich ☃ 😀 \u{7} tab\t newline\n quote\" backslash\\",
        "targets": {"files/a.txt": {"length": 3, "hashes": {"sha256": "ab".repeat(32)}, "custom": {"x": [1, -2, 18446744073709551615u64]}}},
        "delegations": {
            "keys": {
                dev_keys[0].public_key().keyid(): key_json(&dev_keys[0]),
                dev_keys[1].public_key().keyid(): key_json(&dev_keys[1]),
                dev_keys[2].public_key().keyid(): key_json(&dev_keys[2]),
            },
            "roles": [
                {"name": "project-a", "keyids": [dev_keys[0].public_key().keyid(), dev_keys[1].public_key().keyid()],
                 "threshold": 2, "terminating": true, "paths": ["packages/*/*/*/project_a-*"]},
                {"name": "project-b", "keyids": [dev_keys[2].public_key().keyid()],
                 "threshold": 1, "terminating": true, "paths": ["packages/*/*/*/project_b-*"]},
            ],
        },
    });
    let mut targets = Metadata::from_signed(ceremony::tuf::canonical::to_canonical(&signed).unwrap()).unwrap();
    targets.set_signature(targets_key.sign(&targets.signed_bytes()).unwrap());
    let targets_path = out.path().join("targets.json");
    std::fs::write(&targets_path, targets.to_bytes()).unwrap();

    let root_path = out.path().join("root.json");
    let loaded = judge(&["load".as_ref(), targets_path.as_os_str()]);
    assert_eq!(loaded["ok"], true, "{loaded}");
    let verdict = common::judge_delegate(&root_path, "targets", &targets_path);
    assert_eq!(verdict["ok"], true, "{verdict}");

    // A delegated role signed by both developer keys verifies there too.
    let project = json!({"_type": "targets", "spec_version": "1.0.31", "version": 1,
        "expires": "2099-01-01T00:00:00Z", "targets": {}});
    let mut project = Metadata::from_signed(ceremony::tuf::canonical::to_canonical(&project).unwrap()).unwrap();
    for k in &dev_keys[..2] {
        project.set_signature(k.sign(&project.signed_bytes()).unwrap());
    }
    let project_path = out.path().join("project-a.json");
    std::fs::write(&project_path, project.to_bytes()).unwrap();
    let verdict = common::judge_delegate(&targets_path, "project-a", &project_path);
    assert_eq!(verdict["ok"], true, "{verdict}");
    let project_a = verify_delegate(&load(&targets_path), "project-a", &load(&project_path)).unwrap();
    assert!(project_a.is_met(), "project-a is not signed to its threshold: {project_a:?}");
}

fn ceremony_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ceremony"))
}

#[test]
fn verify_root_chain_command_exit_codes_and_json() {
    let chains = fixtures().join("chains");
    let files = |case: &str, n: usize| -> Vec<PathBuf> { (1..=n).map(|v| chains.join(case).join(format!("{v}.root.json"))).collect() };

    let out = ceremony_bin().args(["verify", "root-chain", "--json"]).args(files("rotation", 7)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["steps"].as_array().unwrap().len(), 7);
    let step = &report["steps"][3];
    assert_eq!(step["thresholds"][0]["keys_of"], "previous root");
    assert_eq!(step["thresholds"][1]["keys_of"], "this root");
    assert!(step["thresholds"][1]["have"].as_u64().unwrap() >= step["thresholds"][1]["need"].as_u64().unwrap(), "expected `step[\"thresholds\"][1][\"have\"].as_u64().unwrap() >= step[\"thresholds\"][1][\"need\"].as_u64().unwrap()`, got {:?} and {:?}", step["thresholds"][1]["have"].as_u64().unwrap(), step["thresholds"][1]["need"].as_u64().unwrap());

    let out = ceremony_bin().args(["--json", "verify", "root-chain"]).args(files("new-keys-only", 5)).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("5.root.json") && stderr.contains("previous root"), "{stderr}");

    let out = ceremony_bin().args(["verify", "root-chain"]).args(files("rotation", 2)).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("The chain holds"),
        "expected {:?} to contain {:?}",
        String::from_utf8_lossy(&out.stdout),
        "The chain holds"
    );

    let missing = chains.join("no-such-file.json");
    let out = ceremony_bin().args(["verify", "root-chain"]).arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}
