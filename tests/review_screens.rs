//! What a keyholder reads before signing a delegation change or a root rotation (issue 16):
//! a claimed key handed to someone else, a root holder removed and one added, with the
//! threshold each one's signature counts toward, and the warnings for a threshold with no
//! spare key, a threshold that drops and an offline role on a key an online role uses.
//! The staging screens are read from `ceremony`'s output; the signing screens on a
//! pseudo-terminal, up to the confirmation, which is declined.

mod common;

use common::workspace::Setup;
use common::{ok, path_str as s};
use serde_json::Value;
use std::path::Path;

impl Setup {
    /// The first 8 hex digits of a holder's keyid, as reviews show it.
    fn short(&self, holder: &str) -> String {
        self.keyid(holder)[..8].to_string()
    }

    /// `sign --holder H` on a terminal, up to its confirmation question, declined: the
    /// screen the holder would have said yes to.
    fn sign_screen(&self, holder: &str, expect: &[&str]) -> String {
        let mut t = common::pty::spawn(&self.ws, &["sign", "--holder", holder, "--passphrase-file", s(&self.pass(holder))]);
        for text in expect {
            t.expect(text);
        }
        t.expect("read aloud and compare:");
        // The question follows the review; nothing in the review asks anything.
        t.expect("?");
        t.type_line("no");
        let (code, screen) = t.finish();
        assert_eq!(code, 1, "declined, nothing signed: {screen}");
        screen
    }
}

/// The files in the workspace's review/ directory (the full lists earlier signatures wrote).
fn review_files(ws: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(dir) = std::fs::read_dir(ws.join("review")) else { return Vec::new() };
    let mut files: Vec<_> = dir.map(|e| e.unwrap().path()).map(|p| (p.display().to_string(), std::fs::read(&p).unwrap())).collect();
    files.sort();
    files
}

/// alice, bob, carol, dave (passphrase keys, test profile) with claimed records, the
/// online key; root v1 (root alice, bob, carol, 3 of 3; targets alice) and targets v1
/// (claimed alice.claimed, bob.claimed, 2 of 2) signed and exported.
fn bootstrap() -> Setup {
    let st = Setup::with_holders(&["alice", "bob", "carol", "dave"]);
    for h in ["alice", "bob", "carol", "dave"] {
        st.add_record(h, "claimed");
    }
    st.import_online("online");
    ok(
        &st.ws,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "3", "--targets", "alice", "--targets-threshold", "1",
            "--snapshot", "online", "--timestamp", "online",
        ],
    );
    let out = ok(&st.ws, &["targets", "init", "--claimed", "alice.claimed,bob.claimed", "--claimed-threshold", "2", "--online", "online"]);
    // A first targets lists each delegation whole.
    for line in [
        "delegation ADDED: claimed",
        "    holders: alice.claimed, bob.claimed",
        "    threshold: 2 of 2",
        "    terminating: no",
        "    paths: packages/*/*/*/*, simple/*/*",
        "delegation ADDED: unclaimed",
        "WARNING: claimed needs 2 of 2 keys",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    for h in ["alice", "bob", "carol"] {
        st.sign(h);
    }
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("bootstrap.tar"))]);
    st
}

#[test]
fn a_claimed_key_handed_to_another_holder_is_named_at_staging_and_at_sign() {
    let st = bootstrap();
    let (bob, carol) = (st.short("bob.claimed"), st.short("carol.claimed"));
    let out =
        ok(&st.ws, &["targets", "init", "--claimed", "alice.claimed,carol.claimed", "--claimed-threshold", "2", "--online", "online"]);
    let expected = [
        "Review of the staged targets:".to_string(),
        "  targets: version 1 -> 2".into(),
        "  delegation CHANGED: claimed".into(),
        "    holders: alice.claimed, bob.claimed -> alice.claimed, carol.claimed".into(),
        format!("    KEY ADDED:   carol.claimed ({carol})"),
        format!("    KEY REMOVED: bob.claimed ({bob})"),
        "    threshold: 2 of 2 (unchanged)".into(),
        "    terminating: no (unchanged)".into(),
        "    paths: packages/*/*/*/*, simple/*/* (unchanged)".into(),
    ];
    for line in &expected {
        assert!(out.contains(line.as_str()), "{line:?} at staging:\n{out}");
    }
    // Only claimed changed: recently-claimed and unclaimed are not listed.
    assert!(!out.contains("recently-claimed") && !out.contains("delegation CHANGED: unclaimed"), "{out}");
    // The screen is the staged bytes: targets v2 delegates claimed to alice.claimed and carol.claimed.
    let staged: Value = serde_json::from_slice(&std::fs::read(st.ws.join("current/staged/targets.json")).unwrap()).unwrap();
    let claimed = &staged["signed"]["delegations"]["roles"][0];
    let ids: Vec<String> = claimed["keyids"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()[..8].to_string()).collect();
    assert_eq!(claimed["name"], "claimed");
    assert_eq!(ids, vec![st.short("alice.claimed"), carol.clone()]);

    // alice signs targets (root's targets key): the same lines, on her terminal, before the question.
    let before = common::workspace_snapshot(&st.ws);
    let reviews_before = review_files(&st.ws);
    let screen = st
        .sign_screen("alice", &["== targets ==", "delegation CHANGED: claimed", "KEY ADDED:   carol.claimed", "KEY REMOVED: bob.claimed"]);
    for line in &expected[1..] {
        assert!(screen.contains(line.as_str()), "{line:?} at sign:\n{screen}");
    }
    assert!(screen.contains("signs as one of the keys of: root version 1"), "{screen}");
    // The screen says where the full list goes; refused, `sign` wrote nothing at all.
    let list = st.ws.join("review/targets-v2-delegations.txt");
    assert!(screen.contains(&format!("the full list of delegation changes goes to {} when you confirm", list.display())), "{screen}");
    assert!(!list.exists(), "a refused sign wrote {}", list.display());
    assert_eq!(review_files(&st.ws), reviews_before, "a refused sign changed review/");
    assert_eq!(common::workspace_snapshot(&st.ws), before, "a refused sign changed the workspace");
    // `ceremony review` writes it without signing, and it carries the same detail.
    let reviewed = ok(&st.ws, &["review", "targets"]);
    assert!(reviewed.contains(&format!("the full list of delegation changes is in {}", list.display())), "{reviewed}");
    let file = std::fs::read_to_string(&list).unwrap();
    for line in &expected[2..] {
        assert!(file.contains(line.trim_start()), "{line:?} in the file:\n{file}");
    }
    assert!(!file.lines().any(|l| l == "changed claimed"), "{file}");
}

#[test]
fn a_root_rotation_names_who_left_and_who_joined_and_which_root_each_counts_for() {
    let st = bootstrap();
    let (alice, bob, carol, dave) = (st.short("alice"), st.short("bob"), st.short("carol"), st.short("dave"));
    let out =
        ok(&st.ws, &["root", "rotate", "--add-root", "dave", "--remove-root", "bob", "--remove-root", "carol", "--root-threshold", "2"]);
    let expected = [
        "  root role: 3 of 3 -> 2 of 2".to_string(),
        format!("    HOLDER ADDED:   dave ({dave})"),
        format!("    HOLDER REMOVED: bob ({bob})"),
        format!("    HOLDER REMOVED: carol ({carol})"),
        format!("    kept: alice ({alice})"),
        format!("  targets role: unchanged, 1 of 1, signed by alice ({alice})"),
        // At the margin, so nobody reads past them.
        "\nWARNING: root needs 2 of 2 keys: there is no spare key".into(),
        "\nWARNING: the root threshold drops from 3 of 3 to 2 of 2".into(),
        format!("    alice ({alice}): both, the previous root (version 1, 3 of 3) and this root (version 2, 2 of 2)"),
        format!("    carol ({carol}): only the previous root (version 1, 3 of 3); removed, so not toward this root (version 2, 2 of 2)"),
        format!(
            "    dave ({dave}): only this root (version 2, 2 of 2); new to the root, so not toward the previous root (version 1, 3 of 3)"
        ),
    ];
    for line in &expected {
        assert!(out.contains(line.as_str()), "{line:?} at staging:\n{out}");
    }
    // Each signer is told the truth about their own signature.
    let removed = st.sign_screen("carol", &["== root ==", "HOLDER REMOVED: carol"]);
    for line in &expected {
        assert!(removed.contains(line.trim_start_matches('\n')), "{line:?} on carol's screen:\n{removed}");
    }
    assert!(
        removed.contains("signs as one of the keys of: previous root (version 1) only (not one of the keys of this root (version 2)"),
        "{removed}"
    );
    let added = st.sign_screen("dave", &["== root ==", "HOLDER ADDED:   dave"]);
    assert!(
        added.contains("signs as one of the keys of: this root (version 2) only (not one of the keys of previous root (version 1)"),
        "{added}"
    );
    let kept = st.sign_screen("alice", &["== root =="]);
    assert!(kept.contains("signs as one of the keys of: previous root (version 1); this root (version 2)"), "{kept}");
    assert!(!kept.contains("does not count toward"), "{kept}");
    // No threshold drop, no warning.
    let out = ok(&st.ws, &["discard", "root"]);
    assert!(out.contains("Discarded"), "{out}");
    let out = ok(&st.ws, &["root", "rotate", "--add-root", "dave"]);
    assert!(out.contains("  root role: 3 of 3 -> 3 of 4") && !out.contains("WARNING"), "{out}");
}

#[test]
fn claimed_on_the_key_the_trusted_root_gives_the_online_roles_is_warned_about() {
    let st = bootstrap();
    // The online roles move to a new key in the staged root, and claimed goes to the old
    // one: the staged files alone keep the rule, but the trusted root still lists that
    // key for snapshot and timestamp, and the trusted targets for the online roles.
    st.import_online("online2");
    let online = st.short("online");
    let root = ok(&st.ws, &["root", "rotate", "--snapshot", "online2", "--timestamp", "online2"]);
    // Nothing offline is on the old online key yet.
    assert!(root.contains("    HOLDER REMOVED: online (") && !root.contains("WARNING"), "{root}");
    let targets = ok(&st.ws, &["targets", "init", "--claimed", "online", "--claimed-threshold", "1", "--online", "online2"]);
    let warning =
        format!("\nWARNING: the offline role claimed is delegated to online's key {online} (staged), which also signs the online role(s) ");
    assert!(
        targets.contains(&format!("{warning}snapshot (trusted), timestamp (trusted), recently-claimed (trusted), unclaimed (trusted)")),
        "{targets}"
    );
    assert!(targets.contains("    holders: alice.claimed, bob.claimed -> online"), "{targets}");
    // At sign, on the screen of alice, who signs both: in the review of root, which gives
    // snapshot and timestamp their keys, and of targets, which gives claimed its key.
    let out = st.sign("alice");
    assert_eq!(out.matches(&warning).count(), 2, "{out}");
    assert!(out.contains(&format!("{warning}snapshot (trusted), timestamp (trusted): whoever takes the online server")), "{out}");
}
