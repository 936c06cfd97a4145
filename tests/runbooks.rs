//! Every runbook in `ceremony-scripts/` runs end to end, non-interactively
//! (`CEREMONY_RUNBOOK_NONINTERACTIVE=1`, secrets from files named in env vars), in the order
//! a real repository lives through them, against the software token stack: bootstrap with
//! one holder on the PIV card (`key new yubikey`), one on SoftHSM (`key new pkcs11`), one with
//! a passphrase; a promotion of a recently-claimed that python-tuf makes with the online key;
//! a planned root rotation; a renewal; an emergency revocation of a lost key; and after each,
//! the online side's import runbook. python-tuf checks every bundle trusting only root v1.
//! Needs `eval "$(bash tests/tokens/stack.sh up)"`; fails, never skips, without it.
//!
//! Card use: slot 9c is regenerated (under `tokens::lock_card()`, like the other card tests).

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo_root, run_python, tokens};
use serde_json::Value;

struct Rehearsal {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    env: Vec<(String, String)>,
    bundles: Vec<PathBuf>,
    /// The last ceremony's closing head as printed for its paper record: (hex, words).
    closing: Option<(String, String)>,
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

impl Rehearsal {
    fn new() -> Rehearsal {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let secret = |name: &str, value: &str| {
            let p = dir.join(format!("{name}.secret"));
            std::fs::write(&p, format!("{value}\n")).unwrap();
            (format!("CEREMONY_RUNBOOK_SECRET_{}", name.to_uppercase()), s(&p))
        };
        let mut env = vec![
            ("CEREMONY".to_string(), env!("CARGO_BIN_EXE_ceremony").to_string()),
            ("CEREMONY_WORKSPACE".to_string(), s(&dir.join("ws"))),
            ("CEREMONY_RUNBOOK_NONINTERACTIVE".to_string(), "1".to_string()),
            ("CEREMONY_RUNBOOK_KDF_PROFILE".to_string(), "test".to_string()),
            ("CEREMONY_RUNBOOK_DATE".to_string(), time::OffsetDateTime::now_utc().date().to_string()),
        ];
        env.push(secret("alice", &tokens::env("CEREMONY_TEST_PIV_PIN")));
        env.push(secret("bob", &tokens::pkcs11().2));
        for h in ["carol", "dave", "erin"] {
            env.push(secret(h, &format!("{h} keeps seven quiet granite teapots")));
        }
        Rehearsal { _tmp: tmp, dir, env, bundles: Vec::new(), closing: None }
    }

    /// Runs a runbook with the common settings plus `extra`; returns its output.
    fn run(&self, script: &str, extra: &[(&str, String)]) -> String {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("ceremony-scripts").join(script)).current_dir(&self.dir).stdin(std::process::Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{script} failed ({}):\n{text}", out.status);
        text
    }

    /// A ceremony runbook writing to a fresh USB directory; returns the bundle it wrote.
    fn ceremony(&mut self, script: &str, usb: &str, extra: &[(&str, String)]) -> PathBuf {
        let bag = format!("TEB-{usb}");
        let usb = self.dir.join(usb);
        let mut all = vec![
            ("CEREMONY_RUNBOOK_USB", s(&usb)),
            ("CEREMONY_RUNBOOK_PLACE", "Rehearsal room".into()),
            ("CEREMONY_RUNBOOK_BAGS", format!("{bag} TEB-tokens")),
        ];
        all.extend_from_slice(extra);
        // The previous closing head, copied from the paper: alternately its hex and its words.
        if let Some((hex, words)) = &self.closing {
            all.push((
                "CEREMONY_RUNBOOK_PREVIOUS_HEAD",
                if self.bundles.len().is_multiple_of(2) { hex.clone() } else { words.to_uppercase() },
            ));
        }
        let text = self.run(script, &all);
        for item in ["tamper-evident bags", "verified live image", "no network hardware", "six digest words", "USB stick"] {
            assert!(text.contains(item), "{script} does not show the checklist item {item:?}");
        }
        assert!(text.contains("preflight"), "{script} does not run preflight");
        let bundle = std::fs::read_dir(&usb)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension() == Some(OsStr::new("tar")))
            .unwrap_or_else(|| panic!("{script} wrote no bundle"));
        // The record on the stick is this ceremony's: its number, bags and bundle digest.
        let report = std::fs::read_dir(&usb)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("-report.html"))
            .unwrap_or_else(|| panic!("{script} wrote no report"));
        let html = std::fs::read_to_string(report).unwrap();
        let n = self.bundles.len() + 1;
        assert!(html.contains(&format!("Record of ceremony {n} (of {n})")), "{script}: not ceremony {n}'s record");
        assert!(html.contains(&bag) && html.contains("Rehearsal room"), "{script}: bag or place missing from the record");
        let sha = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(std::fs::read(&bundle).unwrap()))
        };
        assert!(html.contains(&sha[..32]), "{script}: the bundle's SHA-256 is not in the record");
        let closing = closing_head(&text);
        assert!(html.contains(&closing.0[..32]) && html.contains(&closing.1), "{script}: the closing head is not in the record");
        if n > 1 {
            assert!(text.contains("The last closed ceremony closed at the head on the paper record"), "{script}: the head was not checked");
        }
        self.closing = Some(closing);
        self.import(&bundle);
        self.bundles.push(bundle.clone());
        bundle
    }

    /// The online side's runbook, trusting root v1 by the digest read out at the bootstrap,
    /// against what the earlier imports published; then python-tuf on what it laid out.
    fn import(&self, bundle: &Path) {
        let publish = self.dir.join(format!("publish-{}", bundle.file_stem().unwrap().to_string_lossy()));
        let published = self.dir.join("published");
        std::fs::create_dir_all(&published).unwrap();
        let anchor = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(std::fs::read(self.root1()).unwrap()))
        };
        let text = self.run(
            "online-import.sh",
            &[
                ("CEREMONY_RUNBOOK_BUNDLE", s(bundle)),
                ("CEREMONY_RUNBOOK_TRUSTED_ROOT", s(&self.root1())),
                ("CEREMONY_RUNBOOK_TRUSTED_ROOT_SHA256", anchor),
                ("CEREMONY_RUNBOOK_PUBLISHED", s(&published)),
                ("CEREMONY_RUNBOOK_PUBLISH", s(&publish)),
            ],
        );
        assert!(text.contains("The bundle verifies"), "{text}");
        let md = publish.join("metadata");
        for e in std::fs::read_dir(&md).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), published.join(e.file_name())).unwrap();
        }
        let root1 = self.root1();
        let args = [OsStr::new("bundle-dir"), md.as_os_str(), OsStr::new("--trusted-root"), root1.as_os_str()];
        let verdict: Value = serde_json::from_slice(&run_python("judge.py", &args)).unwrap();
        assert_eq!(verdict["ok"], true, "{}: {verdict}", bundle.display());
    }

    fn root1(&self) -> PathBuf {
        self.dir.join("usb-bootstrap/1.root.json")
    }

    fn python(&self, args: &[&str]) {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        run_python("pep480.py", &args);
    }
}

/// The closing head a runbook's `ceremony end` printed for the paper record: (hex, words).
fn closing_head(text: &str) -> (String, String) {
    let last = |label: &str| {
        let line = text.lines().rev().find_map(|l| l.trim().strip_prefix(label)).unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
        line.trim().to_string()
    };
    (last("closing head:"), last("closing head words:"))
}

#[test]
fn every_runbook_end_to_end_against_the_token_stack() {
    let _card = tokens::lock_card();
    let _hsm = tokens::lock_softhsm();
    let mut r = Rehearsal::new();
    let (module, token, _) = tokens::pkcs11();
    let label = tokens::softhsm_keypair("EC:prime256v1");
    let serial = tokens::piv_serial();
    r.python(&["keygen", &s(&r.dir.join("online"))]);

    let holders = format!("alice:yubikey:{serial}:9c:generate bob:pkcs11:{}:{token}:{label} carol:passphrase", s(&module));
    // Each holder's claimed key is a key of its own: another PIV slot, another key label,
    // and for carol the record carol.claimed from her passphrase.
    let claimed_label = tokens::softhsm_keypair("EC:prime256v1");
    let claimed = format!("alice:yubikey:{serial}:9d:generate bob:pkcs11:{}:{token}:{claimed_label} carol:passphrase", s(&module));
    let boot = r.ceremony(
        "bootstrap.sh",
        "usb-bootstrap",
        &[
            ("CEREMONY_RUNBOOK_HOLDERS", holders),
            ("CEREMONY_RUNBOOK_CLAIMED_HOLDERS", claimed),
            ("CEREMONY_RUNBOOK_ONLINE_KEY", s(&r.dir.join("online.pub.json"))),
        ],
    );
    assert!(r.root1().is_file(), "bootstrap puts root v1 on the USB stick: {} is not a file", r.root1().display());
    assert!(boot.exists(), "{} is missing", boot.display());

    // The online side's recently-claimed, made by python-tuf with the online key.
    let ceremony = env!("CARGO_BIN_EXE_ceremony");
    let paths = Command::new(ceremony).args(["project", "paths", "foo", "bar-baz", "requests", "--json"]).output().unwrap();
    assert!(paths.status.success(), "failed: {}", String::from_utf8_lossy(&paths.stderr));
    let paths_file = r.dir.join("paths.json");
    std::fs::write(&paths_file, &paths.stdout).unwrap();
    std::fs::create_dir_all(r.dir.join("dev")).unwrap();
    let rc = r.dir.join("recently-claimed.json");
    r.python(&[
        "recently-claimed",
        "--online",
        &s(&r.dir.join("online.seed")),
        "--paths",
        &s(&paths_file),
        "--out",
        &s(&rc),
        "--version",
        "1",
        "--dev-dir",
        &s(&r.dir.join("dev")),
    ]);
    r.ceremony(
        "promotion.sh",
        "usb-promotion",
        &[("CEREMONY_RUNBOOK_RECENTLY_CLAIMED", s(&rc)), ("CEREMONY_RUNBOOK_SIGNERS", "alice carol".into())],
    );

    // carol leaves root; dave joins (old threshold: alice + bob; new: alice + dave (+ bob)).
    // Then a renewal. Then bob's HSM is lost: his root key goes, erin's comes, signed by the
    // holders who remain.
    // A runbook, the folder of its USB stick, its settings.
    type Step<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let later: [Step; 3] = [
        (
            "root-rotation.sh",
            "usb-rotation",
            &[
                ("CEREMONY_RUNBOOK_ADD", "dave:passphrase"),
                ("CEREMONY_RUNBOOK_REMOVE", "carol"),
                ("CEREMONY_RUNBOOK_SIGNERS", "dave alice bob"),
            ],
        ),
        ("renewal.sh", "usb-renewal", &[("CEREMONY_RUNBOOK_ROLES", "root targets claimed"), ("CEREMONY_RUNBOOK_SIGNERS", "alice bob")]),
        (
            "emergency-revocation.sh",
            "usb-revocation",
            &[
                ("CEREMONY_RUNBOOK_REVOKE", "bob"),
                ("CEREMONY_RUNBOOK_REPLACEMENT", "erin:passphrase"),
                ("CEREMONY_RUNBOOK_SIGNERS", "alice dave erin"),
            ],
        ),
    ];
    for (script, usb, settings) in later {
        let settings: Vec<(&str, String)> = settings.iter().map(|(k, v)| (*k, v.to_string())).collect();
        r.ceremony(script, usb, &settings);
    }
    assert_eq!(r.bundles.len(), 5);
    // The last bundle carries the whole root history, 1 to 4, and python-tuf followed it.
    let last = r.bundles.last().unwrap();
    let listing = Command::new("tar").arg("-tf").arg(last).output().unwrap();
    assert!(
        String::from_utf8_lossy(&listing.stdout).contains("metadata/4.root.json"),
        "expected {:?} to contain {:?}",
        String::from_utf8_lossy(&listing.stdout),
        "metadata/4.root.json"
    );
}

#[test]
fn a_runbook_refuses_without_its_settings_and_never_prompts_for_secrets_in_ci() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |script: &str, env: &[(&str, &str)]| {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("ceremony-scripts").join(script)).env_clear().env("PATH", std::env::var("PATH").unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(std::process::Stdio::null()).output().unwrap()
    };
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let out = run("bootstrap.sh", &[("CEREMONY_RUNBOOK_NONINTERACTIVE", "1")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("set CEREMONY_WORKSPACE"),
        "expected {:?} to contain {:?}",
        String::from_utf8_lossy(&out.stderr),
        "set CEREMONY_WORKSPACE"
    );
    // A passphrase holder without a secret file in a non-interactive run: refused, no prompt.
    let ws = tmp.path().join("ws");
    let usb = tmp.path().join("usb");
    let key = tmp.path().join("k.json");
    std::fs::write(&key, "{}").unwrap();
    let out = run(
        "bootstrap.sh",
        &[
            ("CEREMONY", env!("CARGO_BIN_EXE_ceremony")),
            ("CEREMONY_RUNBOOK_NONINTERACTIVE", "1"),
            ("CEREMONY_WORKSPACE", ws.to_str().unwrap()),
            ("CEREMONY_RUNBOOK_USB", usb.to_str().unwrap()),
            ("CEREMONY_RUNBOOK_HOLDERS", "zed:passphrase"),
            ("CEREMONY_RUNBOOK_DATE", &today),
            ("CEREMONY_RUNBOOK_ONLINE_KEY", key.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CEREMONY_RUNBOOK_SECRET_ZED"), "{}", String::from_utf8_lossy(&out.stderr));
    // A token holder's claimed key must be named (another slot or label): refused before anything.
    let out = run(
        "bootstrap.sh",
        &[
            ("CEREMONY", env!("CARGO_BIN_EXE_ceremony")),
            ("CEREMONY_RUNBOOK_NONINTERACTIVE", "1"),
            ("CEREMONY_WORKSPACE", tmp.path().join("ws2").to_str().unwrap()),
            ("CEREMONY_RUNBOOK_USB", usb.to_str().unwrap()),
            ("CEREMONY_RUNBOOK_HOLDERS", "yan:yubikey:123 zed:passphrase"),
            ("CEREMONY_RUNBOOK_ONLINE_KEY", key.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("set CEREMONY_RUNBOOK_CLAIMED_HOLDERS") && stderr.contains("yan"), "{stderr}");
    assert!(!tmp.path().join("ws2").exists(), "nothing was made before the refusal: {} exists", tmp.path().join("ws2").display());
}
