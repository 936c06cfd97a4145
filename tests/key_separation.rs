//! Role-exclusive keys (issue 15): a key listed for two targets-type roles a client could
//! confuse, or an online key listed for an offline role, is refused when staged, in one
//! sentence naming the holder, the key and the two roles, with nothing changed. A person
//! holds a key per role as the record `H.ROLE`; `sign --holder H` signs with all of them.

mod common;

use std::path::Path;

use common::workspace::Setup;
use common::{ceremony, ok, path_str as s, refused};
use serde_json::Value;

/// alice, bob (passphrase keys, test profile), their claimed records, and online.
fn setup() -> Setup {
    let setup = Setup::with_holders(&["alice", "bob", "online"]);
    for h in ["alice", "bob"] {
        let out = setup.add_record(h, "claimed");
        assert!(out.contains(&format!("Registered {h}.claimed")), "{out}");
    }
    setup
}

/// [`setup`] with root v1 (root alice, bob; targets alice) and targets v1 delegating
/// claimed to `claimed` (1 of them) signed and exported.
fn exported(claimed: &str) -> Setup {
    let st = setup();
    ok(&st.ws, &args(&root_init("alice", "online")));
    ok(&st.ws, &["targets", "init", "--claimed", claimed, "--claimed-threshold", "1", "--online", "online"]);
    for h in ["alice", "bob"] {
        st.sign(h);
    }
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("b1.tar"))]);
    st
}

fn root_init(targets: &str, online: &str) -> Vec<String> {
    [
        "root", "init", "--root", "alice,bob", "--root-threshold", "2", "--targets", targets, "--targets-threshold", "1", "--snapshot",
        online, "--timestamp", online,
    ]
    .map(String::from)
    .to_vec()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_record_comes_from_the_same_passphrase_and_a_wrong_one_registers_nothing() {
    let st = setup();
    // Same passphrase, another name as salt: another key.
    assert_ne!(st.keyid("alice"), st.keyid("alice.claimed"));
    let list: Value = serde_json::from_str(&ok(&st.ws, &["key", "list", "--json"])).unwrap();
    let rec = list.as_array().unwrap().iter().find(|h| h["holder"] == "alice.claimed").unwrap();
    assert_eq!(rec["source"]["kind"], "passphrase");
    assert_eq!(rec["unsafe"], true, "the record keeps alice's (test) KDF profile: {rec}");
    let got = ok(&st.ws, &["key", "list"]);
    assert!(got.contains("alice.claimed"), "expected {:?} to contain {:?}", got, "alice.claimed");
    // bob's passphrase is not alice's: refused, nothing registered.
    let bob = st.pass("bob");
    let msg = refused(&st.ws, &["key", "new", "passphrase", "--holder", "alice", "--for", "targets", "--passphrase-file", s(&bob)], 1);
    assert!(msg.contains("does not give alice's registered key") && msg.contains("alice.targets was not registered"), "{msg}");
    // A record taken is refused before anything is asked.
    let alice = st.pass("alice");
    let msg = refused(&st.ws, &["key", "new", "passphrase", "--holder", "alice", "--for", "claimed", "--passphrase-file", s(&alice)], 1);
    assert!(msg.contains("alice.claimed"), "{msg}");
    // Only root, targets and claimed take a record of their own.
    let out = ceremony(&st.ws, &["key", "new", "passphrase", "--holder", "alice", "--for", "snapshot", "--passphrase-file", s(&alice)]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn targets_and_claimed_sharing_a_key_is_refused_and_separate_keys_go_through() {
    let st = setup();
    ok(&st.ws, &args(&root_init("alice", "online")));
    let msg = refused(&st.ws, &["targets", "init", "--claimed", "alice,bob", "--claimed-threshold", "1", "--online", "online"], 1);
    let short = &st.keyid("alice")[..8];
    assert!(msg.contains(&format!("alice's key {short} would sign both targets and claimed")), "{msg}");
    assert!(
        msg.contains("`ceremony key new passphrase --holder alice --for claimed`") && msg.contains("name alice.claimed instead"),
        "{msg}"
    );
    // The online key may not sign claimed either.
    let msg = refused(&st.ws, &["targets", "init", "--claimed", "online", "--claimed-threshold", "1", "--online", "online"], 1);
    assert!(msg.contains("online's key") && msg.contains("would sign both claimed and ") && msg.contains("signed online"), "{msg}");
    ok(&st.ws, &["targets", "init", "--claimed", "alice.claimed,bob.claimed", "--claimed-threshold", "2", "--online", "online"]);

    // `sign --holder alice` signs root and targets with alice and nothing with
    // alice.claimed (no staged role needs it); bob signs root.
    let out = st.sign("alice");
    assert!(out.contains("Signed targets version 1 with alice's key"), "{out}");
    st.sign("bob");
    let status: Value = serde_json::from_str(&ok(&st.ws, &["status", "--json"])).unwrap();
    assert_eq!(status["ready"], true, "{status}");
    assert_eq!(status["trusted_key_warnings"], serde_json::json!([]));
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("b1.tar"))]);
}

#[test]
fn an_online_key_in_an_offline_role_is_refused() {
    let st = setup();
    for (targets, online, pair) in [("alice", "alice", "both root and snapshot"), ("online", "online", "both targets and snapshot")] {
        let msg = refused(&st.ws, &args(&root_init(targets, online)), 1);
        assert!(msg.contains(pair) && msg.contains("signed online") && msg.ends_with("nothing was staged"), "{msg}");
    }
}

#[test]
fn a_rotation_that_brings_a_claimed_key_into_targets_is_refused() {
    let st = exported("alice.claimed,bob.claimed");
    let msg = refused(&st.ws, &["root", "rotate", "--targets", "bob.claimed"], 1);
    assert!(msg.contains("bob.claimed's key") && msg.contains("both targets and claimed") && msg.contains("nothing was staged"), "{msg}");
    let msg = refused(&st.ws, &["root", "rotate", "--timestamp", "alice"], 1);
    assert!(msg.contains("both root and timestamp"), "{msg}");
    ok(&st.ws, &["root", "rotate", "--targets", "bob"]);
}

#[test]
fn sign_with_a_person_signs_every_record_a_staged_role_needs_and_export_carries_them() {
    let st = exported("alice.claimed,bob.claimed");
    // alice moves her root key to a record of its own: root 2 needs alice's old root key
    // (the previous root's threshold) and alice.root (its own). One passphrase, both keys.
    let alice = st.pass("alice");
    ok(&st.ws, &["key", "new", "passphrase", "--holder", "alice", "--for", "root", "--passphrase-file", s(&alice)]);
    ok(&st.ws, &["root", "rotate", "--add-root", "alice.root", "--remove-root", "alice"]);
    let out = ok(&st.ws, &["sign", "--holder", "alice", "--passphrase-file", s(&alice), "--yes"]);
    assert!(out.contains("Signed root version 2 with alice's key") && out.contains("Signed root version 2 with alice.root's key"), "{out}");
    let status: Value = serde_json::from_str(&ok(&st.ws, &["status", "--json"])).unwrap();
    let signed: Vec<String> = status["staged"][0]["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["signed"].as_array().unwrap().iter().map(|k| k["holder"].as_str().unwrap().to_string()))
        .collect();
    assert!(signed.contains(&"alice".to_string()) && signed.contains(&"alice.root".to_string()), "both signatures kept: {status}");
    // signature export --holder alice carries both records' signatures, and they import.
    let sigs = st.files.join("alice.sigs");
    ok(&st.ws, &["signature", "export", "--holder", "alice", "--out", s(&sigs)]);
    let file: Value = serde_json::from_slice(&std::fs::read(&sigs).unwrap()).unwrap();
    let keyids: Vec<&str> = file["signatures"].as_array().unwrap().iter().map(|e| e["keyid"].as_str().unwrap()).collect();
    assert!(keyids.contains(&st.keyid("alice").as_str()) && keyids.contains(&st.keyid("alice.root").as_str()), "{file}");
    st.sign("bob");
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("b2.tar"))]);
    // python-tuf's client takes root 2 as the successor of root 1 (both thresholds met).
    let roots = st.ws.join("current/trusted/root");
    let (r1, r2) = (roots.join("1.root.json"), roots.join("2.root.json"));
    let verdict: Value =
        serde_json::from_slice(&common::run_python("judge.py", &["root-chain".as_ref(), r1.as_os_str(), r2.as_os_str()])).unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");
}

/// A workspace an older Ceremony left: its trusted targets delegates claimed to alice's
/// targets key. status and preflight warn, staging is refused with the fix, and the
/// documented migration (claimed keys of their own, targets init, sign, export) clears it.
#[test]
fn an_old_workspace_that_shares_keys_is_warned_about_refused_and_migrated() {
    let st = exported("alice.claimed");
    // A root renewal staged and signed before the workspace turns out to be an old one.
    ok(&st.ws, &["renew", "root"]);
    for h in ["alice", "bob"] {
        st.sign(h);
    }
    // As an older version exported it: claimed delegated to alice's own (targets) key.
    let file = st.ws.join("current/trusted/targets.json");
    let mut md: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let (alice, record) = (st.keyid("alice"), st.keyid("alice.claimed"));
    let delegations = &mut md["signed"]["delegations"];
    let mut alice_obj = delegations["keys"][&record].clone();
    alice_obj["keyval"]["public"] = public_of(&st.ws, "alice");
    delegations["keys"][&alice] = alice_obj;
    delegations["roles"][0]["keyids"] = serde_json::json!([alice]);
    trust_as_an_older_version_did(&st.ws, "targets", &md["signed"], "alice");

    let status = ok(&st.ws, &["status"]);
    assert!(status.contains("WARNING (trusted metadata): alice's key") && status.contains("both targets and claimed"), "{status}");
    let pre = ceremony(&st.ws, &["preflight"]);
    let pre = String::from_utf8_lossy(&pre.stdout);
    assert!(pre.contains("key separation") && pre.contains("both targets and claimed"), "{pre}");
    // Export refuses the signed renewal, with the fix.
    let msg = refused(&st.ws, &["bundle", "export", "--out", s(&st.files.join("never.tar"))], 1);
    assert!(msg.contains("root version 2 breaks a rule: alice's key") && msg.contains("--for claimed"), "{msg}");
    assert!(msg.ends_with("nothing was exported"), "{msg}");
    ok(&st.ws, &["discard", "root"]);
    let msg = refused(&st.ws, &["renew", "targets"], 1);
    assert!(msg.contains("alice's key") && msg.contains("--for claimed") && msg.contains("nothing was staged"), "{msg}");
    // The migration: claimed names a key of its own again; targets v2, signed, exported.
    ok(&st.ws, &["targets", "init", "--claimed", "alice.claimed,bob.claimed", "--claimed-threshold", "1", "--online", "online"]);
    st.sign("alice");
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("b2.tar"))]);
    let status: Value = serde_json::from_str(&ok(&st.ws, &["status", "--json"])).unwrap();
    assert_eq!(status["trusted_key_warnings"], serde_json::json!([]), "{status}");
}

/// Makes `signed`, signed by `holder`'s passphrase key, the trusted version of `role`, with the
/// transcript record an export makes: a workspace as an older version left it, which every
/// command verifies (a file rewritten without its record is refused as tampered).
fn trust_as_an_older_version_did(ws_dir: &Path, role: &str, signed: &Value, holder: &str) {
    use ceremony::keys::signer::passphrase::{PassphraseSigner, Profile};
    use ceremony::keys::signer::Signer;
    let pass = ceremony::support::secret::SecretBytes::new(format!("{holder} keeps seven quiet granite teapots").into_bytes());
    let signer = PassphraseSigner::derive(&pass, holder, &Profile::Test.params()).unwrap();
    let mut md = ceremony::tuf::metadata::Metadata::from_signed(ceremony::tuf::canonical::to_canonical(signed).unwrap()).unwrap();
    md.set_signature(signer.sign(&md.signed_bytes()).unwrap());
    let ws = ceremony::workspace::Workspace::open(ws_dir).unwrap();
    let lock = ws.lock().unwrap();
    let mut tx = ws.begin(&lock).unwrap();
    let mut collected = ceremony::workspace::collected::Collected::in_transaction(&tx, "trusted").unwrap();
    collected.take(role);
    collected.write(&mut tx, "trusted").unwrap();
    common::workspace::trust_as_an_export_does(&mut tx, role, &md);
    tx.commit().unwrap();
}

/// A holder's public key value (`keyval.public`) from its descriptor.
fn public_of(ws: &Path, holder: &str) -> Value {
    let desc: Value = serde_json::from_slice(&std::fs::read(ws.join(format!("current/holders/{holder}.json"))).unwrap()).unwrap();
    desc["key"]["keyval"]["public"].clone()
}
